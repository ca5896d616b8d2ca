// SPDX-License-Identifier: GPL-2.0-or-later
/* kvmini's command line: `kvmini run` boots a guest, `kvmini img` manages disk images, the virsh
 * verbs (tools/virsh.h) manage named domains. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/img.h"
#include "vmm/log.h"
#include "tools/net.h"
#include "tools/pool.h"
#include "tools/qemu_args.h"
#include "tools/migrate.h"
#include "tools/snapshot.h"
#include "tools/stats.h"
#include "tools/trace.h"
#include "vmm/snapshot.h"
#include "tools/virsh.h"
#include "vmm/options.h"
#include "vmm/run.h"

#ifndef KVMINI_VERSION
#define KVMINI_VERSION "0.1"
#endif

static void usage(FILE *f)
{
	fputs("Usage: kvmini COMMAND [options]\n"
	      "A minimal KVM hypervisor that boots Linux kernels directly.\n"
	      "\n"
	      "Commands:\n"
	      "  run       boot a guest (kvmini run --help)\n"
	      "  qemu      boot a guest from qemu-system-x86_64's options (also as a symlink named so)\n"
	      "  img       create and inspect disk images: raw, qcow2 (kvmini img --help)\n"
	      "  net       host bridge, forwarding and NAT for guests (kvmini net --help)\n"
	      "  snapshot  save a running named VM into a directory (run --restore continues it)\n"
	      "  stats     a running named VM's exit statistics, live (kvmini stats --help)\n"
	      "  trace     read an exit trace from run --trace: summary, CSV, Chrome JSON, plot\n"
	      "  bench     guest microbenchmarks of exit costs (kvmini bench exits)\n"
	      "  migrate   move a running named VM to another kvmini (run --incoming there)\n"
	      "  version   print the version\n"
	      "\n"
	      "Domains, as virsh manages them (kvmini VERB --help):\n",
	      f);
	virsh_usage_lines(f);
	fputs("\n"
	      "Storage pools and volumes (virsh's verbs; VERB --help for each):\n",
	      f);
	pool_usage(f);
	fputs("\n"
	      "Example:\n"
	      "  kvmini run --kernel bzImage --initrd initramfs.cpio --append console=ttyS0 --mem 512M --cpus 2\n",
	      f);
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	char err[256];
	if (run_opts_parse(&o, argc, argv, err, sizeof(err))) {
		kv_log("run: %s", err);
		return 2;
	}
	if (o.help) {
		run_opts_usage(stdout);
		return 0;
	}
	if (!o.restore)
		return run_vm(&o);
	/* the whole snapshot is read and checked before anything starts */
	struct snap_image *img = calloc(1, sizeof(*img));
	if (!img)
		return 1;
	int ret = snap_image_load(img, o.restore, err, sizeof(err));
	if (ret) {
		kv_log("run: --restore %s", err);
		free(img);
		return 1;
	}
	/* the snapshot's device options (or the user's in their place) parsed as if given */
	int status = 2, ac = 0;
	char **av = NULL;
	const struct snap_board *b = &img->board;
	if (run_opts_restore_argv(&o, argc, argv, b->dev_opt, b->dev_val, b->ndevs, &av, &ac, err, sizeof(err)) ||
	    run_opts_parse(&o, ac, av, err, sizeof(err)) || snap_image_opts(img, &o, err, sizeof(err)))
		kv_log("run: --restore %s: %s", o.restore ? o.restore : "", err);
	else
		status = run_vm(&o);
	free(av);
	snap_image_free(img);
	free(img);
	return status;
}

int main(int argc, char **argv)
{
	if (argc >= 1 && qemu_argv0(argv[0]))
		return qemu_main(argc, argv);
	if (argc < 2) {
		kv_log("no command given (try 'kvmini --help')");
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "qemu"))
		return qemu_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "img"))
		return img_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "snapshot"))
		return snapshot_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "trace"))
		return trace_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "stats"))
		return stats_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return bench_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "migrate"))
		return migrate_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "net"))
		return net_main(argc - 1, argv + 1);
	if (pool_is_verb(cmd))
		return pool_main(argc - 1, argv + 1);
	/* the virsh verbs (tools/virsh.h) */
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} virsh_verbs[] = {
		{ "list", virsh_list },		{ "start", virsh_start },     { "shutdown", virsh_shutdown },
		{ "reboot", virsh_reboot },	{ "destroy", virsh_destroy }, { "suspend", virsh_suspend },
		{ "resume", virsh_resume },	{ "define", virsh_define },   { "undefine", virsh_undefine },
		{ "create", virsh_create },	{ "dumpxml", virsh_dumpxml }, { "dominfo", virsh_dominfo },
		{ "domstate", virsh_domstate }, { "console", virsh_console },
		{ "snapshot-create", virsh_snapshot_create }, { "snapshot-create-as", virsh_snapshot_create_as },
		{ "snapshot-list", virsh_snapshot_list }, { "snapshot-info", virsh_snapshot_info },
		{ "snapshot-revert", virsh_snapshot_revert }, { "snapshot-delete", virsh_snapshot_delete },
	};
	for (size_t i = 0; i < sizeof(virsh_verbs) / sizeof(virsh_verbs[0]); i++)
		if (!strcmp(cmd, virsh_verbs[i].name))
			return virsh_verbs[i].fn(argc - 1, argv + 1);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("kvmini %s\n", KVMINI_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	kv_log("%s: unknown command (try 'kvmini --help')", cmd);
	return 2;
}
