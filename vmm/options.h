/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini run` options: parsed into a plain struct so the parser is unit-testable and main.c only
 * acts on the result. */
#ifndef KVMINI_OPTIONS_H
#define KVMINI_OPTIONS_H
#include <stdint.h>
#include <stdio.h>

#include "options_prof.h"
#include "firmware/bootorder.h"
#include "vm.h"

#define OPT_MAX_DEVS 16

#define OPT_MAX_DEVARGS (2 * OPT_MAX_DEVS)

struct snap_image;

/* One device option as given (--disk, --cdrom, --exit-device, ...: run_opt_is_device), in argv
 * order: what a snapshot's board records and a restore parses again. */
struct run_devarg {
	const char *opt; /* the long name, without "--" */
	const char *val; /* NULL: given without a value */
	int argi, argn;  /* where it was in argv: argv[argi .. argi + argn) */
};

enum serial_mode { SERIAL_STDIO, SERIAL_FILE, SERIAL_PTY, SERIAL_NONE };

struct run_opts {
	const char *kernel;
	const char *initrd;
	const char *append;
	const char *name;
	int named; /* --name given: a named VM with a control socket and run files (vmm/paths.h) */
	const char *definition; /* --definition FILE: copied to <rundir>/<name>.xml */
	int daemonize;
	const char *qmp;     /* --qmp PATH: a control socket there (beside <rundir>/<name>.qmp) */
	const char *pidfile; /* --pidfile FILE: the VMM's pid, written once it runs */
	uint64_t mem;
	unsigned cpus;
	int cpu_host; /* --cpu host */
	int ksm;
	enum hugepages_mode hugepages;
	enum serial_mode serial; /* default stdio, pty with --daemonize */
	const char *serial_path;
	int no_reboot;
	int stats; /* --stats: the table at exit */
	struct prof_opts prof; /* the exit profiler's options */
	int no_host_workarounds;
	int pci_on; /* --pci on: the PCI host bridge even with no PCI device */
	const char *kvm_path;
	const char *disks[OPT_MAX_DEVS];
	unsigned ndisks;
	const char *cdrom; /* --cdrom FILE|none (IDE secondary master), NULL without */
	const char *hd[4]; /* --hda..--hdd FILE: the IDE positions, NULL where not given */
	const char *nets[OPT_MAX_DEVS];
	unsigned nnets;
	const char *shares[OPT_MAX_DEVS]; /* --share HOST_DIR,tag=NAME[,ro] (vmm/machine_share.h) */
	unsigned nshares;
	const char *rootfs_share; /* --rootfs-share DIR[,rw] (vmm/rootfs.h), NULL without */
	/* firmware boot (no --kernel): SeaBIOS, the boot order, its debug log */
	const char *bios; /* --bios FILE; NULL: Debian's SeaBIOS */
	struct boot_order boot; /* --boot */
	const char *bios_log; /* --bios-log FILE: what SeaBIOS writes to port 0x402 */
	int display; /* --display: 0 none, 1 bochs-display (with its keyboard, mouse and tablet) */
	const char *vnc; /* --vnc SPEC (checked by vnc_cfg_parse), NULL without */
	const char *restore; /* --restore DIR: a snapshot's directory */
	int paused; /* --paused: the vCPUs wait for QMP cont (QEMU's -S) */
	int snapshot; /* --snapshot: writes go to temporary overlays, the images are never written */
	const char *exit_device; /* --exit-device[=PORT][,iosize=N]: "" for the defaults, NULL without */
	const char *gdb; /* --gdb tcp:[HOST]:PORT, NULL without */
	int gdb_wait; /* --gdb-wait: vCPUs parked until the debugger continues */
	const char *incoming; /* --incoming tcp:HOST:PORT | defer: wait for a migration */
	const struct snap_image *snap; /* its loaded state (set by the caller before run_vm) */
	struct run_devarg devargs[OPT_MAX_DEVARGS];
	unsigned ndevargs;
	int help;
};

/* Parses argv (argv[0] is "run"). On a usage error returns -EINVAL with a one-line reason in err
 * (without the "kvmini: " prefix). Limits that need the host (CPU count, RAM) are checked later. */
int run_opts_parse(struct run_opts *o, int argc, char **argv, char *err, size_t errlen);
void run_opts_usage(FILE *f);

/* Does --name make a guest device (a drive, the exit device)? Such options are recorded in
 * run_opts.devargs and in a snapshot's board, and a restore replays them through this parser, so
 * an option added to the list (and its parse case) needs nothing else to survive a snapshot. */
int run_opt_is_device(const char *name);
/* The argv of a restore's second parse: argv[0], the saved device options (opt[i], val[i]; val ""
 * for none) as "--opt=val", except that each option name the user gave (in o, parsed from argv)
 * replaces the saved values of that name one for one, then the user's other arguments. -EINVAL
 * with err when the user gave another number of some option than the snapshot has; -ENOMEM.
 * *out (NULL-terminated) and its strings are one allocation: free(*out). */
int run_opts_restore_argv(const struct run_opts *o, int argc, char **argv, char *const *opt, char *const *val,
			  unsigned n, char ***out, int *outc, char *err, size_t errlen);

#endif
