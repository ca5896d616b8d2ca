// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini stats`: the live exit statistics of a named VM, as a table (or the raw JSON), once or
 * every --watch seconds; --reset starts the VM's counters afresh after each reading, so a watch
 * shows each interval on its own. */
#include "tools/stats.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/qmp_client.h"
#include "vmm/log.h"
#include "vmm/paths.h"

static void usage(FILE *f)
{
	fputs("Usage: kvmini stats NAME [--watch S] [--reset] [--json]\n"
	      "The exit statistics of the running VM NAME (started with --name NAME --stats): per vCPU\n"
	      "and in total, each exit reason and port/MMIO range with its count and the VMM's handling\n"
	      "time (mean, p50, p99, p99.9, max), the split of time between guest, halted and VMM, and\n"
	      "KVM's in-kernel exits.\n"
	      "\n"
	      "      --watch S    print them again every S seconds until interrupted (or the VM ends)\n"
	      "      --reset      start the VM's counters afresh after each reading\n"
	      "      --json       the statistics as JSON (one line per reading)\n"
	      "  -h, --help       this text\n",
	      f);
}

static double num(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "?";
}

static void print_part(json_object *p)
{
	json_object *t, *rows, *k;
	json_object_object_get_ex(p, "time", &t);
	double wall = t ? num(t, "wall_ns") : 0;
	printf("%s: of %.3f s: guest %.1f %%, halted %.1f %%, VMM %.1f %%\n", str(p, "vcpu"), wall / 1e9,
	       wall > 0 ? num(t, "guest_ns") * 100 / wall : 0, wall > 0 ? num(t, "halted_ns") * 100 / wall : 0,
	       wall > 0 ? num(t, "vmm_ns") * 100 / wall : 0);
	printf("  %-5s %-20s %-12s %10s %11s %8s %8s %8s %9s %9s\n", "kind", "name", "address", "count", "total us",
	       "mean ns", "p50 ns", "p99 ns", "p99.9 ns", "max ns");
	if (json_object_object_get_ex(p, "rows", &rows)) {
		for (size_t i = 0; i < json_object_array_length(rows); i++) {
			json_object *r = json_object_array_get_idx(rows, i);
			char addr[24] = "";
			if (strcmp(str(r, "kind"), "exit"))
				snprintf(addr, sizeof(addr), "%#llx", (unsigned long long)num(r, "address"));
			printf("  %-5s %-20s %-12s %10.0f %11.1f %8.0f %8.0f %8.0f %9.0f %9.0f\n", str(r, "kind"),
			       str(r, "name"), addr, num(r, "count"), num(r, "total_ns") / 1e3, num(r, "mean_ns"),
			       num(r, "p50_ns"), num(r, "p99_ns"), num(r, "p999_ns"), num(r, "max_ns"));
		}
	}
	if (json_object_object_get_ex(p, "kvm", &k)) {
		json_object *ink;
		json_object_object_get_ex(k, "in_kernel_io", &ink);
		printf("  in KVM: %.0f exits, io %.0f (in-kernel %s), mmio %.0f, halt %.0f, irq %.0f, insn_emulation %.0f; "
		       "halted %.3f ms\n",
		       num(k, "exits"), num(k, "io_exits"), ink ? json_object_get_string(ink) : "unknown",
		       num(k, "mmio_exits"), num(k, "halt_exits"), num(k, "irq_exits"), num(k, "insn_emulation"),
		       num(k, "halt_wait_ns") / 1e6);
	}
}

static void print_stats(json_object *st)
{
	json_object *vl, *tot;
	if (json_object_object_get_ex(st, "vcpus", &vl))
		for (size_t i = 0; i < json_object_array_length(vl); i++)
			print_part(json_object_array_get_idx(vl, i));
	if (json_object_object_get_ex(st, "total", &tot) && vl && json_object_array_length(vl) > 1)
		print_part(tot);
}

int stats_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", required_argument, NULL, 'w' },
		{ "reset", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, reset = 0, json = 0;
	double watch = 0;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'r':
			reset = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'w':
			watch = strtod(optarg, &end);
			if (end == optarg || *end || !(watch >= 0.1 && watch <= 86400)) {
				kv_log("stats: --watch %s: expected seconds, 0.1 to 86400", optarg);
				return 2;
			}
			break;
		default:
			kv_log("stats: %s: %s (try 'kvmini stats --help')", argv[optind - 1],
			       c == ':' ? "needs a value" : "unknown option");
			return 2;
		}
	}
	if (argc - optind != 1) {
		kv_log("stats: %s (try 'kvmini stats --help')", argc - optind ? "too many arguments" : "needs a VM name");
		return 2;
	}
	const char *name = argv[optind], *why = NULL;
	if (kv_name_check(name, &why)) {
		kv_log("stats: %s: %s", name, why);
		return 2;
	}
	struct qmp_client q;
	int ret = qmpc_connect_vm(&q, name, 5000);
	if (ret) {
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			kv_log("stats: %s: no running VM of that name", name);
		else
			kv_err(ret, "stats: %s: control socket", name);
		qmpc_close(&q);
		return 1;
	}
	int status = 0;
	for (unsigned n = 0;; n++) {
		json_object *args = json_object_new_object(), *st = NULL;
		json_object_object_add(args, "reset", json_object_new_boolean(reset));
		struct qmpc_error err;
		ret = qmpc_execute(&q, "__org.kvmini_query-exit-stats", args, 10000, &st, &err);
		if (ret) {
			if (ret == -EREMOTEIO)
				kv_log("stats: %s: %s", name, err.desc);
			else if (!(n && ret == -ECONNRESET)) /* the VM ended during a watch: done */
				kv_err(ret, "stats: %s", name);
			status = n && ret == -ECONNRESET ? 0 : 1;
			break;
		}
		if (json) {
			printf("%s\n", json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN));
		} else {
			if (n)
				printf("\n");
			time_t now = time(NULL);
			char ts[32];
			strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
			printf("%s at %s (%.3f s of counters)\n", name, ts, num(st, "seconds"));
			print_stats(st);
		}
		fflush(stdout);
		json_object_put(st);
		if (!watch)
			break;
		struct timespec d = { (time_t)watch, (long)((watch - (double)(time_t)watch) * 1e9) };
		nanosleep(&d, NULL);
	}
	qmpc_close(&q);
	return status;
}
