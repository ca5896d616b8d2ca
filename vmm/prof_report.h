/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reports of the exit profiler: a consistent copy of its counters (a "view", with KVM's in-kernel
 * counters beside them), printed as a perf-kvm-stat-style table, or written as CSV, JSON or one
 * HdrHistogram .hgrm file per row. Times in ns (converted from TSC cycles). */
#ifndef KVMINI_PROF_REPORT_H
#define KVMINI_PROF_REPORT_H
#include <json-c/json.h>
#include <stdio.h>

#include "bus.h"
#include "prof.h"

struct prof_view {
	unsigned n;
	struct prof_vcpu *v; /* n copies, then their sum */
	struct kvm_exit_counts *k; /* n + 1: KVM's counters since the last reset (have = 0: none) */
	uint64_t tsc_khz;
	uint64_t now_tsc;
	uint64_t wall_cycles; /* of the longest-running vCPU since its counters started */
	const struct bus *pio, *mmio;
};

/* Copies p's counters and reads KVM's (those since the last reset). */
int prof_view_take(struct prof_view *w, const struct prof *p, const struct bus *pio, const struct bus *mmio);
void prof_view_free(struct prof_view *w);
double prof_ns(const struct prof_view *w, uint64_t cycles);

void prof_print_table(FILE *f, const struct prof_view *w);
int prof_write_csv(FILE *f, const struct prof_view *w);
json_object *prof_view_json(const struct prof_view *w);
/* dir/<vcpuN|total>.<kind>.<name>.hgrm for every row; values in microseconds, HdrHistogram's unit
 * convention for its plotter. */
int prof_write_hgrm(const char *dir, const struct prof_view *w);
/* By the file name: .csv, .json, or a directory (.hgrm files); -EINVAL for another name. */
int prof_write_file(const char *path, const struct prof_view *w);
/* Whether path names an output prof_write_file can write (checked when the options are parsed). */
int prof_output_kind_ok(const char *path);

#endif
