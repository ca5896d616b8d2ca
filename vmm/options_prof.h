/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini run`'s profiler options (--stats -o, --stats-interval, --trace, --trace-max, --boot-trace),
 * parsed apart from vmm/options.c so that file only lists them. */
#ifndef KVMINI_OPTIONS_PROF_H
#define KVMINI_OPTIONS_PROF_H
#include <stddef.h>
#include <stdint.h>

#define PROF_MAX_OUTPUTS 4

struct prof_opts {
	int on; /* any of them given: the profiler runs (set by --stats too) */
	const char *out[PROF_MAX_OUTPUTS]; /* -o FILE.csv|FILE.json|DIR (.hgrm files) */
	unsigned nout;
	unsigned interval_ms; /* --stats-interval S: a JSON line every S seconds on stderr */
	const char *trace; /* --trace FILE */
	uint64_t trace_max; /* --trace-max SIZE: the file stops growing there */
	int boot_trace; /* --boot-trace: the boot timeline at exit */
};

enum {
	O_PROF_FIRST = 0x200,
	O_STATS_OUT = 'o',
	O_STATS_INTERVAL = O_PROF_FIRST,
	O_TRACE,
	O_TRACE_MAX,
	O_BOOT_TRACE,
};

#define PROF_LONG_OPTS                                                     \
	{ "stats-output", required_argument, NULL, O_STATS_OUT },          \
		{ "stats-interval", required_argument, NULL, O_STATS_INTERVAL }, \
		{ "trace", required_argument, NULL, O_TRACE },             \
		{ "trace-max", required_argument, NULL, O_TRACE_MAX },     \
		{ "boot-trace", no_argument, NULL, O_BOOT_TRACE }

#define PROF_USAGE                                                                                      \
	"      --stats              print exit statistics per vCPU at exit: a table per vCPU and in\n"     \
	"                           total (count, time, min/mean/stddev/p50/p90/p99/p99.9/max of the\n"    \
	"                           VMM's handling per reason, port and MMIO range; time in the guest,\n"   \
	"                           halted, in the VMM; KVM's in-kernel exits)\n"                          \
	"  -o, --stats-output FILE  also write them to FILE.csv, FILE.json, or DIR/ (.hgrm files)\n"       \
	"      --stats-interval S   a JSON line of the statistics every S seconds on stderr\n"             \
	"      --trace FILE         every exit into FILE (binary; read with `kvmini trace FILE`)\n"        \
	"      --trace-max SIZE     stop the trace at SIZE (default 1G), saying so\n"                      \
	"      --boot-trace         print the boot timeline at exit (first KVM_RUN, console, kernel\n"     \
	"                           banner, init's first output, poweroff)\n"

/* Handles one of the options above (c as getopt_long returned it): 1 when it was one, 0 when not,
 * -EINVAL with the reason in err. */
int prof_opt_parse(struct prof_opts *p, int c, const char *arg, char *err, size_t errlen);

#endif
