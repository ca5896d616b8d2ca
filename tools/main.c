// SPDX-License-Identifier: GPL-2.0-or-later
/* kvmini's command line: `kvmini run` boots a guest, `kvmini img` manages disk images. */
#include <stdio.h>
#include <string.h>

#include "tools/img.h"
#include "vmm/log.h"
#include "tools/net.h"
#include "tools/pool.h"
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
	      "  img       create and inspect disk images: raw, qcow2 (kvmini img --help)\n"
	      "  net       host bridge, forwarding and NAT for guests (kvmini net --help)\n"
	      "  version   print the version\n"
	      "\n"
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
	return run_vm(&o);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		kv_log("no command given (try 'kvmini --help')");
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "img"))
		return img_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "net"))
		return net_main(argc - 1, argv + 1);
	if (pool_is_verb(cmd))
		return pool_main(argc - 1, argv + 1);
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
