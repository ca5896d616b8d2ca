// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini snapshot NAME DIR [--pause]`: asks the running VM NAME, over its control socket, to save
 * itself into DIR (created if missing; it must be empty) with __org.kvmini_snapshot-save; `kvmini
 * run --restore DIR` continues it. Exit status 0 saved, 1 failed, 2 usage. */
#include "tools/snapshot.h"

#include <errno.h>
#include <getopt.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/qmp_client.h"
#include "vmm/log.h"
#include "vmm/paths.h"

#define SNAP_TIMEOUT_MS (10 * 60 * 1000) /* writing several GiB of RAM to a slow disk */

static void usage(FILE *f)
{
	fputs("Usage: kvmini snapshot NAME DIR [--pause]\n"
	      "Save the running VM NAME (its vCPUs, devices and memory) into DIR, which is created if\n"
	      "missing and must be empty; `kvmini run --restore DIR` continues the guest from there.\n"
	      "The guest is paused while it is saved and then goes on running.\n"
	      "\n"
	      "      --pause    leave the guest paused after the save (QMP cont or virsh resume goes on)\n"
	      "  -h, --help     this text\n"
	      "\n"
	      "Exit status: 0 saved, 1 failed, 2 usage errors.\n",
	      f);
}

/* 1 if DIR is an empty directory, 0 if not, -errno. */
static int dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *e;
	int empty = 1;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

int snapshot_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pause", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, pause = 0;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == 'p') {
			pause = 1;
			continue;
		}
		kv_log("snapshot: %s: unknown option (try 'kvmini snapshot --help')", argv[optind - 1]);
		return 2;
	}
	if (argc - optind != 2) {
		kv_log("snapshot: %s (try 'kvmini snapshot --help')",
		       argc - optind < 2 ? "needs a VM name and a directory" : "too many arguments");
		return 2;
	}
	const char *name = argv[optind], *dir = argv[optind + 1], *why = NULL;
	if (kv_name_check(name, &why)) {
		kv_log("snapshot: %s: %s", name, why);
		return 2;
	}
	int made = 0;
	if (mkdir(dir, 0700) == 0) {
		made = 1;
	} else if (errno != EEXIST) {
		kv_err(-errno, "snapshot: %s", dir);
		return 1;
	} else {
		int e = dir_empty(dir);
		if (e <= 0) {
			kv_log("snapshot: %s: %s", dir, e ? strerror(-e) : "not empty (a snapshot needs a new directory)");
			return e == -ENOTDIR ? 2 : 1;
		}
	}
	char real[PATH_MAX];
	if (!realpath(dir, real)) {
		kv_err(-errno, "snapshot: %s", dir);
		return 1;
	}
	struct qmp_client q;
	int ret = qmpc_connect_vm(&q, name, 5000);
	int status = 1;
	if (ret) {
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			kv_log("snapshot: %s: no running VM of that name", name);
		else
			kv_err(ret, "snapshot: %s: control socket", name);
	} else {
		json_object *args = json_object_new_object();
		json_object_object_add(args, "dir", json_object_new_string(real));
		json_object_object_add(args, "resume", json_object_new_boolean(!pause));
		struct qmpc_error err;
		ret = qmpc_execute(&q, "__org.kvmini_snapshot-save", args, SNAP_TIMEOUT_MS, NULL, &err);
		if (ret == -EREMOTEIO)
			kv_log("snapshot: %s: %s", name, err.desc);
		else if (ret)
			kv_err(ret, "snapshot: %s", name);
		else
			status = 0;
	}
	qmpc_close(&q);
	if (status)
		(void)(made && rmdir(real)); /* what the VMM left behind is .tmp files only if anything */
	else
		printf("%s saved in %s%s\n", name, real, pause ? " (paused)" : "");
	return status;
}
