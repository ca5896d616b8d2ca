/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini run` options: parsed into a plain struct so the parser is unit-testable and main.c only
 * acts on the result. */
#ifndef KVMINI_OPTIONS_H
#define KVMINI_OPTIONS_H
#include <stdint.h>
#include <stdio.h>

#include "vm.h"

#define OPT_MAX_DEVS 16

struct snap_image;

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_PTY, SERIAL_NONE };

struct run_opts {
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *name;
	int named; /* --name given: a named VM with a control socket and run files (vmm/paths.h) */
	const char *definition; /* --definition FILE: copied to <rundir>/<name>.xml */
	int daemonize;
	uint64_t mem;
	unsigned cpus;
	int cpu_host; /* --cpu host */
	int ksm;
	enum hugepages_mode hugepages;
	enum serial_mode serial; /* default stdio, pty with --daemonize */
	const char *serial_path;
	int no_reboot;
	int stats;
	int no_host_workarounds;
	const char *kvm_path;
	const char *disks[OPT_MAX_DEVS];
	unsigned ndisks;
	const char *cdrom; /* --cdrom FILE|none (virtio-scsi), NULL without */
	const char *nets[OPT_MAX_DEVS];
	unsigned nnets;
	const char *restore; /* --restore DIR: a snapshot's directory */
	const char *incoming; /* --incoming tcp:HOST:PORT | defer: wait for a migration */
	const struct snap_image *snap; /* its loaded state (set by the caller before run_vm) */
	int help;
};

/* Parses argv (argv[0] is "run"). On a usage error returns -EINVAL with a one-line reason in err
 * (without the "kvmini: " prefix). Limits that need the host (CPU count, RAM) are checked later. */
int run_opts_parse(struct run_opts *o, int argc, char **argv, char *err, size_t errlen);
void run_opts_usage(FILE *f);

#endif
