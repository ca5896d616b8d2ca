// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini migrate NAME tcp:HOST:PORT [--offline] [--downtime-limit MS] [--bandwidth MiB/s]` and
 * `kvmini migrate NAME --cancel`: a QMP client of the VM NAME (migrate-set-parameters, migrate,
 * then query-migrate twice a second, printing the progress) until the migration completed, failed
 * or was cancelled. Exit status 0 completed (or the cancel was sent), 1 failed, 2 usage. */
#include "tools/migrate.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/qmp_client.h"
#include "vmm/log.h"
#include "vmm/paths.h"

#define CMD_TIMEOUT_MS 10000

static void usage(FILE *f)
{
	fputs("Usage: kvmini migrate NAME tcp:HOST:PORT [--offline] [--downtime-limit MS] [--bandwidth MiB/s]\n"
	      "       kvmini migrate NAME --cancel\n"
	      "Move the running VM NAME to a `kvmini run ... --incoming tcp:HOST:PORT` started with the same\n"
	      "options on the target (disks on shared storage: NBD). Live by default: the guest runs while\n"
	      "its memory is copied and stops only for the last pages; the VM here exits once the target\n"
	      "runs it. A failure or a cancel leaves it running here. The stream is not encrypted.\n"
	      "\n"
	      "      --offline            cold migration: stop the guest first, copy everything once\n"
	      "      --downtime-limit MS  the longest the guest may be stopped at the end (default 300)\n"
	      "      --bandwidth MIB      at most MIB MiB/s while the guest runs (default 128; 0 = no limit)\n"
	      "      --cancel             stop the VM's migration in progress (it goes on running here)\n"
	      "  -h, --help               this text\n"
	      "\n"
	      "Exit status: 0 migrated (or cancel sent), 1 failed or cancelled, 2 usage errors.\n",
	      f);
}

static int num(const char *s, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static long long get_i(json_object *o, const char *k)
{
	json_object *v;
	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static const char *get_s(json_object *o, const char *k)
{
	json_object *v;
	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

/* Polls query-migrate until the end, a line of progress per change. 0 completed, 1 otherwise. */
static int follow(struct qmp_client *q, const char *name)
{
	long long last_round = -1;
	for (;;) {
		json_object *ret = NULL;
		struct qmpc_error err;
		int r = qmpc_execute(q, "query-migrate", NULL, CMD_TIMEOUT_MS, &ret, &err);
		if (r) {
			/* the source exits once the target runs: a closed socket after "device" is expected */
			kv_log("migrate: %s: %s", name, r == -EREMOTEIO ? err.desc : "the VM stopped answering");
			return 1;
		}
		const char *st = get_s(ret, "status");
		json_object *ram = NULL;
		json_object_object_get_ex(ret, "ram", &ram);
		long long rounds = get_i(ram, "dirty-sync-count");
		if (!strcmp(st, "completed")) {
			printf("%s: migration completed: %.1f MiB sent, total time %lld ms, downtime %lld ms\n", name,
			       (double)get_i(ram, "transferred") / 1048576.0, get_i(ret, "total-time"), get_i(ret, "downtime"));
			json_object_put(ret);
			return 0;
		}
		if (!strcmp(st, "failed") || !strcmp(st, "cancelled")) {
			kv_log("migrate: %s: %s: %s", name, st, get_s(ret, "error-desc"));
			json_object_put(ret);
			return 1;
		}
		if (rounds != last_round && (!strcmp(st, "active") || !strcmp(st, "device"))) {
			printf("%s: round %lld: %.1f MiB sent, %lld pages left, %.0f MiB/s, expected downtime %lld ms\n", name,
			       rounds, (double)get_i(ram, "transferred") / 1048576.0, get_i(ram, "remaining") / 4096,
			       json_object_get_double(json_object_object_get(ram, "mbps")) / 8.0 * 1e6 / 1048576.0,
			       get_i(ret, "expected-downtime"));
			fflush(stdout);
			last_round = rounds;
		}
		json_object_put(ret);
		struct timespec t = { 0, 100 * 1000000L };
		nanosleep(&t, NULL);
	}
}

static int set_params(struct qmp_client *q, long long downtime, long long bw)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "downtime-limit", json_object_new_int64(downtime));
	json_object_object_add(a, "max-bandwidth", json_object_new_int64(bw * 1048576));
	return qmpc_execute(q, "migrate-set-parameters", a, CMD_TIMEOUT_MS, NULL, NULL);
}

int migrate_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "offline", no_argument, NULL, 'o' },	  { "downtime-limit", required_argument, NULL, 'd' },
		{ "bandwidth", required_argument, NULL, 'b' }, { "cancel", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },	  { NULL, 0, NULL, 0 },
	};
	int c, offline = 0, cancel = 0;
	long long downtime = 300, bw = 128;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'o':
			offline = 1;
			break;
		case 'c':
			cancel = 1;
			break;
		case 'd':
			if (num(optarg, 2000000, &downtime)) {
				kv_log("migrate: --downtime-limit %s: expected milliseconds, 0 to 2000000", optarg);
				return 2;
			}
			break;
		case 'b':
			if (num(optarg, 1LL << 30, &bw)) {
				kv_log("migrate: --bandwidth %s: expected MiB/s, 0 for no limit", optarg);
				return 2;
			}
			break;
		case ':':
			kv_log("migrate: %s: needs a value (try 'kvmini migrate --help')", argv[optind - 1]);
			return 2;
		default:
			kv_log("migrate: %s: unknown option (try 'kvmini migrate --help')", argv[optind - 1]);
			return 2;
		}
	}
	int want = cancel ? 1 : 2;
	if (argc - optind != want) {
		kv_log("migrate: %s (try 'kvmini migrate --help')",
		       argc - optind < want ? (cancel ? "needs a VM name" : "needs a VM name and tcp:HOST:PORT")
					    : "too many arguments");
		return 2;
	}
	const char *name = argv[optind], *uri = cancel ? NULL : argv[optind + 1], *why = NULL;
	if (kv_name_check(name, &why)) {
		kv_log("migrate: %s: %s", name, why);
		return 2;
	}
	if (uri && strncmp(uri, "tcp:", 4)) {
		kv_log("migrate: %s: expected tcp:HOST:PORT", uri);
		return 2;
	}
	struct qmp_client q;
	int ret = qmpc_connect_vm(&q, name, 5000), status = 1;
	if (ret) {
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			kv_log("migrate: %s: no running VM of that name", name);
		else
			kv_err(ret, "migrate: %s: control socket", name);
		qmpc_close(&q);
		return 1;
	}
	struct qmpc_error err;
	if (cancel) {
		ret = qmpc_execute(&q, "migrate_cancel", NULL, CMD_TIMEOUT_MS, NULL, &err);
		status = ret ? 1 : 0;
		if (ret)
			kv_log("migrate: %s: %s", name, ret == -EREMOTEIO ? err.desc : strerror(-ret));
	} else if ((ret = set_params(&q, downtime, bw))) {
		kv_log("migrate: %s: migrate-set-parameters: %s", name, strerror(-ret));
	} else {
		json_object *a = json_object_new_object();
		json_object_object_add(a, "uri", json_object_new_string(uri));
		if (offline)
			json_object_object_add(a, "__org.kvmini_offline", json_object_new_boolean(1));
		ret = qmpc_execute(&q, "migrate", a, CMD_TIMEOUT_MS, NULL, &err);
		if (ret)
			kv_log("migrate: %s: %s", name, ret == -EREMOTEIO ? err.desc : strerror(-ret));
		else
			status = follow(&q, name);
	}
	qmpc_close(&q);
	return status;
}
