// SPDX-License-Identifier: GPL-2.0-or-later
#include "options.h"

#include "vmm/log.h"
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "devices/debug_exit.h"
#include "gdb_stub.h"
#include "options_prof.h"
#include "paths.h"
#include "size.h"
#include "ui/vnc_cfg.h"

enum {
	O_KERNEL = 'k',
	O_INITRD = 'i',
	O_APPEND = 'a',
	O_MEM = 'm',
	O_CPUS = 'c',
	O_HELP = 'h',
	O_CPU = 256,
	O_KSM,
	O_HUGEPAGES,
	O_SERIAL,
	O_NO_REBOOT,
	O_STATS,
	O_NO_HOST_WORKAROUNDS,
	O_KVM,
	O_DISK,
	O_CDROM,
	O_NET,
	O_NAME,
	O_DEFINITION,
	O_DAEMONIZE,
	O_RESTORE,
	O_HDA, /* ..O_HDA + 3 */
	O_HDD = O_HDA + 3,
	O_PAUSED,
	O_SNAPSHOT,
	O_EXIT_DEVICE,
	O_PCI,
	O_BIOS,
	O_BOOT,
	O_BIOS_LOG,
	O_DISPLAY,
	O_VNC,
	O_INCOMING,
	O_PIDFILE,
	O_QMP,
	O_SHARE,
	O_ROOTFS_SHARE,
	O_GDB,
	O_GDB_WAIT,
};

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, O_KERNEL },
	{ "initrd", required_argument, NULL, O_INITRD },
	{ "append", required_argument, NULL, O_APPEND },
	{ "mem", required_argument, NULL, O_MEM },
	{ "cpus", required_argument, NULL, O_CPUS },
	{ "cpu", required_argument, NULL, O_CPU },
	{ "ksm", no_argument, NULL, O_KSM },
	{ "hugepages", optional_argument, NULL, O_HUGEPAGES },
	{ "serial", required_argument, NULL, O_SERIAL },
	{ "no-reboot", no_argument, NULL, O_NO_REBOOT },
	{ "stats", no_argument, NULL, O_STATS },
	{ "no-host-workarounds", no_argument, NULL, O_NO_HOST_WORKAROUNDS },
	{ "kvm", required_argument, NULL, O_KVM },
	{ "disk", required_argument, NULL, O_DISK },
	{ "cdrom", required_argument, NULL, O_CDROM },
	{ "net", required_argument, NULL, O_NET },
	{ "name", required_argument, NULL, O_NAME },
	{ "definition", required_argument, NULL, O_DEFINITION },
	{ "daemonize", no_argument, NULL, O_DAEMONIZE },
	{ "restore", required_argument, NULL, O_RESTORE },
	{ "hda", required_argument, NULL, O_HDA },
	{ "hdb", required_argument, NULL, O_HDA + 1 },
	{ "hdc", required_argument, NULL, O_HDA + 2 },
	{ "hdd", required_argument, NULL, O_HDD },
	{ "paused", no_argument, NULL, O_PAUSED },
	{ "snapshot", no_argument, NULL, O_SNAPSHOT },
	{ "exit-device", optional_argument, NULL, O_EXIT_DEVICE },
	{ "pci", required_argument, NULL, O_PCI },
	{ "bios", required_argument, NULL, O_BIOS },
	{ "boot", required_argument, NULL, O_BOOT },
	{ "bios-log", required_argument, NULL, O_BIOS_LOG },
	{ "display", required_argument, NULL, O_DISPLAY },
	{ "vnc", required_argument, NULL, O_VNC },
	{ "incoming", required_argument, NULL, O_INCOMING },
	{ "pidfile", required_argument, NULL, O_PIDFILE },
	{ "qmp", required_argument, NULL, O_QMP },
	{ "share", required_argument, NULL, O_SHARE },
	{ "rootfs-share", required_argument, NULL, O_ROOTFS_SHARE },
	{ "gdb", required_argument, NULL, O_GDB },
	{ "gdb-wait", no_argument, NULL, O_GDB_WAIT },
	{ "help", no_argument, NULL, O_HELP },
	PROF_LONG_OPTS,
	{ NULL, 0, NULL, 0 },
};

void run_opts_usage(FILE *f)
{
	fputs("Usage: kvmini run --kernel FILE [options]\n"
	      "       kvmini run [--bios FILE] [--boot order=dc] --disk ...|--cdrom ISO [options]\n"
	      "       kvmini run --restore DIR [--name N --daemonize --serial ...]\n"
	      "Boot a Linux kernel (bzImage or ELF vmlinux) directly on /dev/kvm, or, without --kernel,\n"
	      "boot the disks and CD-ROMs through SeaBIOS.\n"
	      "\n"
	      "  -k, --kernel FILE        kernel: bzImage (64-bit entry), uncompressed ELF vmlinux, or a\n"
	      "                           multiboot v1 kernel (kvm-unit-tests' x86/*.flat)\n"
	      "  -i, --initrd FILE        initramfs (an uncompressed cpio unpacks fastest); a multiboot\n"
	      "                           kernel's one module\n"
	      "  -a, --append TEXT        kernel command line (kvmini adds what the host needs, see below)\n"
	      "  -m, --mem SIZE           guest RAM, e.g. 512M, 2G (default 512M)\n"
	      "  -c, --cpus N             vCPUs (default 1; at most the host KVM's limit)\n"
	      "      --cpu default|host   CPUID model: default hides VMX/SVM; host passes everything the\n"
	      "                           host KVM supports through, nested virtualization included\n"
	      "      --ksm                let KSM merge guest pages (off by default: page merging is a\n"
	      "                           side channel between guests)\n"
	      "      --hugepages[=thp|hugetlb]  back RAM with transparent huge pages (default) or\n"
	      "                           preallocated hugetlbfs pages\n"
	      "      --serial stdio|pty|file:PATH|none   where COM1 goes (default stdio, raw mode)\n"
	      "      --disk PATH[,format=raw|qcow2][,readonly][,cache=writeback|none|unsafe][,transport=pci|mmio]\n"
	      "             [,if=virtio|scsi|ide|sata][,media=disk|cdrom][,discard=unmap|ignore][,id=NAME][,target=N,lun=M]\n"
	      "             [,bus=N,unit=M][,locking=on|off]\n"
	      "                           a disk (repeatable): virtio-blk, or (if=scsi) a LUN on the one\n"
	      "                           virtio-scsi controller (target 0..7, LUN 0..16383; by default\n"
	      "                           target 0, the next free LUN), or (if=ide) a drive on the PIIX3\n"
	      "                           IDE controller (bus 0..1, unit 0 master / 1 slave; by default\n"
	      "                           the first free position); media=cdrom is a read-only CD-ROM\n"
	      "                           (PATH none: an empty drive);\n"
	      "                           if=sata: a drive on the one AHCI controller (bus=0..5: its port;\n"
	      "                           by default the next free one); locking=off takes no image\n"
	      "                           locks (QEMU's file.locking=off: keeping others off is yours);\n"
	      "                           PATH may be an NBD export:\n"
	      "                           nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=SOCK\n"
	      "      --hda/--hdb/--hdc/--hdd FILE  an IDE disk at bus 0 master, 0 slave, 1 master, 1 slave\n"
	      "      --cdrom FILE|none    a read-only CD-ROM (2048-byte blocks) with an ISO image, or an\n"
	      "                           empty drive: IDE secondary master (bus 1 unit 0), as on QEMU's pc\n"
	      "      --net tap[,ifname=NAME][,mac=MAC][,bridge=BR][,transport=pci|mmio][,queues=N]\n"
	      "                           a virtio-net NIC on a tap device (repeatable)\n"
	      "      --share HOST_DIR,tag=NAME[,ro][,transport=pci|mmio]\n"
	      "                           a host directory over virtio-9p (repeatable); in the guest:\n"
	      "                           mount -t 9p -o trans=virtio,version=9p2000.L NAME /mnt; the guest\n"
	      "                           cannot reach outside HOST_DIR, ro refuses every write\n"
	      "      --rootfs-share DIR[,rw]\n"
	      "                           boot the kernel with DIR as / over virtio-9p (tag kvmini-root),\n"
	      "                           read-only with writes to a tmpfs overlay; rw: writes go to DIR;\n"
	      "                           runs init= from --append or /sbin/init; not with --initrd\n"
	      "      --display bochs|none a display: bochs-display (PCI, 16 MiB framebuffer) with a PS/2\n"
	      "                           keyboard and mouse and a virtio tablet; default none (no device\n"
	      "                           at all), bochs with --vnc\n"
	      "      --vnc :N|HOST:N|[IPV6]:N|unix:PATH[,password=on][,password-file=FILE][,pointer=tablet|ps2]\n"
	      "                           a VNC server for the display on TCP port 5900+N (QEMU's numbers)\n"
	      "                           or a Unix socket. HOST defaults to 127.0.0.1, not QEMU's every\n"
	      "                           interface: an open VNC port is a console anyone on the network\n"
	      "                           can type into. password=on asks for the VNC password (from FILE,\n"
	      "                           or QMP change-vnc-password; none set: nobody gets in); VNC's DES\n"
	      "                           challenge is weak, keep it on trusted networks or tunnels.\n"
	      "                           pointer=ps2 moves the PS/2 mouse instead of the virtio tablet\n"
	      "      --name NAME          a named VM: one at a time per name, with a QMP control socket\n"
	      "                           <rundir>/NAME.qmp and NAME.pid, NAME.console (a copy of the\n"
	      "                           serial output), NAME.log when detached (rundir: /run/kvmini\n"
	      "                           for root, else $XDG_RUNTIME_DIR/kvmini); MACs derive from it\n"
	      "      --definition FILE    the VM's definition, kept as <rundir>/NAME.xml while it runs\n"
	      "      --daemonize          detach once the VM runs (needs --name or --qmp; serial default pty)\n"
	      "      --qmp PATH           a QMP control socket at PATH (mode 0600; beside NAME.qmp with --name)\n"
	      "      --pidfile FILE       write kvmini's pid (the daemon's with --daemonize) to FILE once the\n"
	      "                           VM starts; removed at exit\n"
	      "      --bios FILE          the firmware for a boot without --kernel (default Debian's SeaBIOS,\n"
	      "                           /usr/share/seabios/bios-256k.bin, else bios.bin)\n"
	      "      --boot [order=]c|d|cd|dc[,menu=on|off]  what the firmware boots first: c the first\n"
	      "                           hard disk, d the first CD-ROM (default cd)\n"
	      "      --bios-log FILE      what the firmware writes to its debug port 0x402\n"
	      "      --no-reboot          exit when the guest reboots instead of restarting it\n"
	      PROF_USAGE
	      "      --no-host-workarounds  do not add the kernel parameters a PVM host needs\n"
	      "      --pci auto|on        the PCI host bridge: when a PCI device needs it (default), or always\n"
	      "      --kvm PATH           KVM device (default /dev/kvm)\n"
	      "      --restore DIR        continue the guest saved by `kvmini snapshot` in DIR (its board:\n"
	      "                           memory, vCPUs, disks, NICs, kernel come from there; --disk\n"
	      "                           options, one per saved disk in order, open them elsewhere)\n"
	      "      --paused             start (or restore) with the vCPUs paused until QMP cont or\n"
	      "                           `kvmini resume` (QEMU's -S; needs --name or --qmp)\n"
	      "      --snapshot           throw-away disks (QEMU's -snapshot): every writable disk gets a\n"
	      "                           temporary qcow2 overlay, deleted at exit; images are never written\n"
	      "      --exit-device[=PORT][,iosize=N]  QEMU's isa-debug-exit: a guest write of V to PORT\n"
	      "                           (default 0xf4, N 1..4 bytes, default 4) ends kvmini with exit\n"
	      "                           status (V << 1) | 1, e.g. 0x21 -> 67 (for test scripts)\n"
	      "      --gdb tcp:[HOST]:PORT  a GDB stub there (HOST default 127.0.0.1; QEMU's -s is tcp::1234)\n"
	      "      --gdb-wait           the vCPUs wait for the debugger's first continue (QEMU's -S)\n"
	      "  -h, --help               this text\n"
	      "\n"
	      "On the console, Ctrl-A x quits, Ctrl-A a sends Ctrl-A, Ctrl-A h lists the keys.\n"
	      "Exit status: 0 when the guest powers off, 1 on errors, 2 on usage errors,\n"
	      "128+N when stopped by signal N, (V << 1) | 1 when the guest wrote V to --exit-device.\n",
	      f);
}

int run_opt_is_device(const char *name)
{
	/* the IDE drives' QEMU names are here ahead of their parser (an unknown option never gets
	 * this far) */
	static const char *const devs[] = { "disk", "cdrom", "exit-device", "hda", "hdb", "hdc", "hdd", "share", NULL };
	for (unsigned i = 0; devs[i]; i++)
		if (!strcmp(name, devs[i]))
			return 1;
	return 0;
}

/* How many of o's device options (or of opt[0..n)) are called name. */
static unsigned count_named(const struct run_opts *o, char *const *opt, unsigned n, const char *name)
{
	unsigned k = 0;
	for (unsigned i = 0; o && i < o->ndevargs; i++)
		k += !strcmp(o->devargs[i].opt, name);
	for (unsigned i = 0; opt && i < n; i++)
		k += !strcmp(opt[i], name);
	return k;
}

int run_opts_restore_argv(const struct run_opts *o, int argc, char **argv, char *const *opt, char *const *val,
			  unsigned n, char ***out, int *outc, char *err, size_t errlen)
{
	*out = NULL;
	for (unsigned i = 0; i < o->ndevargs; i++) {
		const char *name = o->devargs[i].opt;
		unsigned saved = count_named(NULL, opt, n, name), given = count_named(o, NULL, 0, name);
		if (saved != given)
			return kv_fail(err, errlen, "--%s: the snapshot has %u, %u given (one for each, in order)", name,
				    saved, given);
	}
	/* one block: the pointer array, then the "--opt=val" strings */
	size_t need = (size_t)(argc + n + 1) * sizeof(char *);
	for (unsigned i = 0; i < n; i++)
		need += strlen(opt[i]) + strlen(val[i]) + 4;
	for (unsigned i = 0; i < o->ndevargs; i++)
		need += o->devargs[i].val ? strlen(o->devargs[i].val) : 0;
	char **av = calloc(1, need), *p = (char *)(av + argc + n + 1);
	if (!av)
		return -ENOMEM;
	int k = 0;
	av[k++] = argv[0];
	for (unsigned i = 0; i < n; i++) {
		const char *v = val[i];
		unsigned nth = 0; /* the user's value for this one, if they gave the name */
		for (unsigned j = 0; j < i; j++)
			nth += !strcmp(opt[j], opt[i]);
		for (unsigned j = 0; j < o->ndevargs; j++)
			if (!strcmp(o->devargs[j].opt, opt[i]) && !nth--) {
				v = o->devargs[j].val ? o->devargs[j].val : "";
				break;
			}
		av[k++] = p;
		p += sprintf(p, v[0] ? "--%s=%s" : "--%s", opt[i], v) + 1;
	}
	for (int i = 1; i < argc; i++) {
		int dev = 0;
		for (unsigned j = 0; j < o->ndevargs && !dev; j++)
			dev = i >= o->devargs[j].argi && i < o->devargs[j].argi + o->devargs[j].argn;
		if (!dev)
			av[k++] = argv[i];
	}
	av[k] = NULL;
	*out = av;
	*outc = k;
	return 0;
}

static int parse_serial(struct run_opts *o, const char *arg, char *err, size_t errlen)
{
	if (!strcmp(arg, "stdio"))
		o->serial = SERIAL_STDIO;
	else if (!strcmp(arg, "pty"))
		o->serial = SERIAL_PTY;
	else if (!strcmp(arg, "none"))
		o->serial = SERIAL_NONE;
	else if (!strncmp(arg, "file:", 5) && arg[5]) {
		o->serial = SERIAL_FILE;
		o->serial_path = arg + 5;
	} else
		return kv_fail(err, errlen, "--serial %s: expected stdio, pty, none or file:PATH", arg);
	return 0;
}

int run_opts_parse(struct run_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->mem = 512ULL << 20;
	o->cpus = 1;
	o->kvm_path = "/dev/kvm";
	o->name = "kvmini";
	boot_order_default(&o->boot);
	opterr = 0;
	/* 0, not 1: glibc then also forgets a short-option cluster an earlier call stopped inside
	 * (e.g. "-hk" returns at h); with 1 the next call would resume in that freed argv */
	optind = 0;
	int c, serial_given = 0, boot_given = 0;
	int display = -1; /* --display not given */
	const char *board = NULL; /* the first option a snapshot's board overrides (refused with --restore) */
	int li = -1, before = 1;
	while ((c = getopt_long(argc, argv, ":k:i:a:m:c:ho:", long_opts, &li)) != -1) {
		if (li >= 0 && c != ':' && c != '?' && run_opt_is_device(long_opts[li].name)) {
			if (o->ndevargs >= OPT_MAX_DEVARGS)
				return kv_fail(err, errlen, "--%s: too many device options", long_opts[li].name);
			o->devargs[o->ndevargs++] =
				(struct run_devarg){ long_opts[li].name, optarg, before, optind - before };
		}
		li = -1;
		before = optind;
		switch (c) {
		case O_KERNEL:
			board = board ? board : "--kernel";
			o->kernel = optarg;
			break;
		case O_INITRD:
			board = board ? board : "--initrd";
			o->initrd = optarg;
			break;
		case O_APPEND:
			board = board ? board : "--append";
			o->append = optarg;
			break;
		case O_MEM: {
			board = board ? board : "--mem";
			int r = parse_size(optarg, &o->mem);
			if (r)
				return kv_fail(err, errlen, "--mem %s: %s", optarg,
					    r == -ERANGE ? "too large" : "expected a size like 512M or 2G");
			if (o->mem < (16ULL << 20))
				return kv_fail(err, errlen, "--mem %s: a guest needs at least 16M", optarg);
			break;
		}
		case O_CPUS: {
			board = board ? board : "--cpus";
			char *end;
			errno = 0;
			unsigned long n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || n == 0 || n > 1024)
				return kv_fail(err, errlen, "--cpus %s: expected a number from 1 up", optarg);
			o->cpus = (unsigned)n;
			break;
		}
		case O_CPU:
			board = board ? board : "--cpu";
			if (!strcmp(optarg, "host"))
				o->cpu_host = 1;
			else if (strcmp(optarg, "default"))
				return kv_fail(err, errlen, "--cpu %s: expected default or host", optarg);
			break;
		case O_KSM:
			o->ksm = 1;
			break;
		case O_HUGEPAGES:
			if (!optarg || !strcmp(optarg, "thp"))
				o->hugepages = HUGEPAGES_THP;
			else if (!strcmp(optarg, "hugetlb"))
				o->hugepages = HUGEPAGES_HUGETLB;
			else
				return kv_fail(err, errlen, "--hugepages=%s: expected thp or hugetlb", optarg);
			break;
		case O_SERIAL:
			if (parse_serial(o, optarg, err, errlen))
				return -EINVAL;
			serial_given = 1;
			break;
		case O_NO_REBOOT:
			o->no_reboot = 1;
			break;
		case O_STATS:
			o->stats = 1;
			o->prof.on = 1;
			break;
		case O_PCI:
			if (strcmp(optarg, "auto") && strcmp(optarg, "on"))
				return kv_fail(err, errlen, "--pci %s: expected auto or on", optarg);
			o->pci_on = !strcmp(optarg, "on");
			break;
		case O_NO_HOST_WORKAROUNDS:
			o->no_host_workarounds = 1;
			break;
		case O_KVM:
			o->kvm_path = optarg;
			break;
		case O_DISK: /* with --restore: the snapshot's disks at other paths */
			if (o->ndisks >= OPT_MAX_DEVS)
				return kv_fail(err, errlen, "--disk: at most %d disks", OPT_MAX_DEVS);
			o->disks[o->ndisks++] = optarg;
			break;
		case O_HDA: case O_HDA + 1: case O_HDA + 2: case O_HDD: {
			static const char *const hd_names[] = { "--hda", "--hdb", "--hdc", "--hdd" };
			board = board ? board : hd_names[c - O_HDA];
			if (o->hd[c - O_HDA])
				return kv_fail(err, errlen, "--hd%c: given twice", 'a' + (c - O_HDA));
			if (!*optarg)
				return kv_fail(err, errlen, "--hd%c: expected FILE", 'a' + (c - O_HDA));
			o->hd[c - O_HDA] = optarg;
			break;
		}
		case O_CDROM:
			if (o->cdrom)
				return kv_fail(err, errlen, "--cdrom: given twice (add more with --disk FILE,if=ide,media=cdrom)");
			if (!*optarg)
				return kv_fail(err, errlen, "--cdrom: expected FILE or none");
			o->cdrom = optarg;
			break;
		case O_DISPLAY:
			board = board ? board : "--display";
			if (strcmp(optarg, "bochs") && strcmp(optarg, "none"))
				return kv_fail(err, errlen, "--display: expected bochs or none, not '%s'", optarg);
			display = !strcmp(optarg, "bochs");
			break;
		case O_VNC: {
			struct vnc_cfg vc;
			if (vnc_cfg_parse(&vc, optarg, err, errlen))
				return -EINVAL;
			o->vnc = optarg;
			break;
		}
		case O_NET:
			board = board ? board : "--net";
			if (o->nnets >= OPT_MAX_DEVS)
				return kv_fail(err, errlen, "--net: at most %d NICs", OPT_MAX_DEVS);
			o->nets[o->nnets++] = optarg;
			break;
		case O_NAME: {
			const char *why = NULL;
			if (kv_name_check(optarg, &why))
				return kv_fail(err, errlen, "--name %s: %s", optarg, why);
			o->name = optarg;
			o->named = 1;
			break;
		}
		case O_DEFINITION:
			if (!optarg[0])
				return kv_fail(err, errlen, "--definition: needs a file name");
			o->definition = optarg;
			break;
		case O_DAEMONIZE:
			o->daemonize = 1;
			break;
		case O_GDB: {
			char host[256];
			uint16_t port;
			if (gdb_addr_parse(optarg, host, sizeof(host), &port))
				return kv_fail(err, errlen, "--gdb %s: expected tcp:[HOST]:PORT (PORT 1..65535)", optarg);
			o->gdb = optarg;
			break;
		}
		case O_GDB_WAIT:
			o->gdb_wait = 1;
			break;
		case O_INCOMING:
			o->incoming = optarg;
			break;
		case O_PIDFILE:
		case O_QMP:
			if (!optarg[0])
				return kv_fail(err, errlen, "--%s: needs a file name", c == O_QMP ? "qmp" : "pidfile");
			*(c == O_QMP ? &o->qmp : &o->pidfile) = optarg;
			break;
		case O_ROOTFS_SHARE: /* checked by machine_shares_open */
			board = board ? board : "--rootfs-share";
			o->rootfs_share = optarg;
			break;
		case O_SHARE: /* checked by machine_shares_open */
			if (o->nshares >= OPT_MAX_DEVS)
				return kv_fail(err, errlen, "--share: at most %d shares", OPT_MAX_DEVS);
			o->shares[o->nshares++] = optarg;
			break;
		case O_RESTORE:
			if (!optarg[0])
				return kv_fail(err, errlen, "--restore: needs a directory");
			o->restore = optarg;
			break;
		case O_PAUSED:
			o->paused = 1;
			break;
		case O_SNAPSHOT:
			o->snapshot = 1;
			break;
		case O_EXIT_DEVICE: {
			uint16_t port;
			unsigned iosize;
			if (debug_exit_parse(optarg, &port, &iosize))
				return kv_fail(err, errlen, "--exit-device=%s: expected PORT (0..0xffff) and/or iosize=1..4",
					    optarg);
			o->exit_device = optarg ? optarg : "";
			break;
		}
		case O_BIOS:
			board = board ? board : "--bios";
			if (!optarg[0])
				return kv_fail(err, errlen, "--bios: needs a file name");
			o->bios = optarg;
			break;
		case O_BOOT:
			board = board ? board : "--boot";
			if (boot_order_parse(optarg, &o->boot, err, errlen))
				return -EINVAL;
			boot_given = 1;
			break;
		case O_BIOS_LOG:
			if (!optarg[0])
				return kv_fail(err, errlen, "--bios-log: needs a file name");
			o->bios_log = optarg;
			break;
		case O_HELP:
			o->help = 1;
			return 0;
		case ':':
			return kv_fail(err, errlen, "%s: needs a value (try 'kvmini run --help')", argv[optind - 1]);
		default: {
			int pr = prof_opt_parse(&o->prof, c, optarg, err, errlen);
			if (pr < 0)
				return pr;
			if (pr)
				break;
			return kv_fail(err, errlen, "%s: unknown option (try 'kvmini run --help')", argv[optind - 1]);
		}
		}
	}
	if (optind < argc)
		return kv_fail(err, errlen, "%s: unexpected argument (try 'kvmini run --help')", argv[optind]);
	if (display == 0 && o->vnc)
		return kv_fail(err, errlen, "--vnc: needs a display (not --display none)");
	o->display = display == 1 || (display < 0 && o->vnc);
	if (o->restore && o->incoming)
		return kv_fail(err, errlen, "--incoming: not with --restore");
	if (o->restore && board)
		return kv_fail(err, errlen, "%s: not with --restore (the snapshot says what the guest has)", board);
	if (o->prof.nout && !o->stats)
		o->stats = 1; /* -o FILE: the table too */
	if (!o->prof.trace_max)
		o->prof.trace_max = 1ull << 30;
	if (o->rootfs_share && o->initrd)
		return kv_fail(err, errlen, "--rootfs-share: not with --initrd (it brings its own initramfs)");
	if (!o->kernel && !o->restore && o->rootfs_share)
		return kv_fail(err, errlen, "--rootfs-share: needs --kernel");
	if (!o->kernel && !o->restore && (o->initrd || o->append))
		return kv_fail(err, errlen, "%s: needs --kernel (without one the firmware boots the disks)",
			    o->initrd ? "--initrd" : "--append");
	if (o->kernel && (o->bios || boot_given || o->bios_log))
		return kv_fail(err, errlen, "%s: not with --kernel (a kernel boots directly, without firmware)",
			    o->bios ? "--bios" : boot_given ? "--boot" : "--bios-log");
	if (o->daemonize && !o->named && !o->qmp)
		return kv_fail(err, errlen, "--daemonize: needs --name or --qmp (the detached VM is reached through its socket)");
	if (o->definition && !o->named)
		return kv_fail(err, errlen, "--definition: needs --name");
	if (o->paused && !o->named && !o->qmp)
		return kv_fail(err, errlen, "--paused: needs --name or --qmp (cont comes over its control socket)");
	if (o->gdb_wait && !o->gdb)
		return kv_fail(err, errlen, "--gdb-wait: needs --gdb");
	if (o->snapshot && o->restore)
		return kv_fail(err, errlen, "--snapshot: not with --restore (the snapshot's disks must be its own)");
	if (o->daemonize && serial_given && o->serial == SERIAL_STDIO)
		return kv_fail(err, errlen, "--serial stdio: not possible with --daemonize (use pty, file:PATH or none)");
	if (o->daemonize && !serial_given)
		o->serial = SERIAL_PTY;
	return 0;
}
