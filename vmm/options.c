// SPDX-License-Identifier: GPL-2.0-or-later
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "size.h"

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
	O_INCOMING,
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
	{ "incoming", required_argument, NULL, O_INCOMING },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

void run_opts_usage(FILE *f)
{
	fputs("Usage: kvmini run --kernel FILE [options]\n"
	      "       kvmini run --restore DIR [--name N --daemonize --serial ...]\n"
	      "Boot a Linux kernel (bzImage or ELF vmlinux) directly on /dev/kvm.\n"
	      "\n"
	      "  -k, --kernel FILE        kernel: bzImage (64-bit entry) or uncompressed ELF vmlinux\n"
	      "  -i, --initrd FILE        initramfs (an uncompressed cpio unpacks fastest)\n"
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
	      "             [,if=virtio|scsi][,media=disk|cdrom][,discard=unmap|ignore][,id=NAME][,target=N,lun=M]\n"
	      "                           a disk (repeatable): virtio-blk, or (if=scsi) a LUN on the one\n"
	      "                           virtio-scsi controller (target 0..7, LUN 0..16383; by default\n"
	      "                           target 0, the next free LUN); media=cdrom is a read-only CD-ROM;\n"
	      "                           PATH may be an NBD export:\n"
	      "                           nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=SOCK\n"
	      "      --cdrom FILE|none    a read-only CD-ROM (2048-byte blocks) with an ISO image, or an\n"
	      "                           empty drive, on the virtio-scsi controller\n"
	      "      --net tap[,ifname=NAME][,mac=MAC][,bridge=BR][,transport=pci|mmio][,queues=N]\n"
	      "                           a virtio-net NIC on a tap device (repeatable)\n"
	      "      --name NAME          a named VM: one at a time per name, with a QMP control socket\n"
	      "                           <rundir>/NAME.qmp and NAME.pid, NAME.console (a copy of the\n"
	      "                           serial output), NAME.log when detached (rundir: /run/kvmini\n"
	      "                           for root, else $XDG_RUNTIME_DIR/kvmini); MACs derive from it\n"
	      "      --definition FILE    the VM's definition, kept as <rundir>/NAME.xml while it runs\n"
	      "      --daemonize          detach once the VM runs (needs --name; serial default pty)\n"
	      "      --no-reboot          exit when the guest reboots instead of restarting it\n"
	      "      --stats              print exit statistics per vCPU at exit\n"
	      "      --no-host-workarounds  do not add the kernel parameters a PVM host needs\n"
	      "      --kvm PATH           KVM device (default /dev/kvm)\n"
	      "      --restore DIR        continue the guest saved by `kvmini snapshot` in DIR (its board:\n"
	      "                           memory, vCPUs, disks, NICs, kernel come from there; --disk\n"
	      "                           options, one per saved disk in order, open them elsewhere)\n"
	      "  -h, --help               this text\n"
	      "\n"
	      "On the console, Ctrl-A x quits, Ctrl-A a sends Ctrl-A, Ctrl-A h lists the keys.\n"
	      "Exit status: 0 when the guest powers off, 1 on errors, 2 on usage errors,\n"
	      "128+N when stopped by signal N.\n",
	      f);
}

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
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
		return fail(err, errlen, "--serial %s: expected stdio, pty, none or file:PATH", arg);
	return 0;
}

int run_opts_parse(struct run_opts *o, int argc, char **argv, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->mem = 512ULL << 20;
	o->cpus = 1;
	o->kvm_path = "/dev/kvm";
	o->name = "kvmini";
	opterr = 0;
	/* 0, not 1: glibc then also forgets a short-option cluster an earlier call stopped inside
	 * (e.g. "-hk" returns at h); with 1 the next call would resume in that freed argv */
	optind = 0;
	int c, serial_given = 0;
	const char *board = NULL; /* the first option a snapshot's board overrides (refused with --restore) */
	while ((c = getopt_long(argc, argv, ":k:i:a:m:c:h", long_opts, NULL)) != -1) {
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
				return fail(err, errlen, "--mem %s: %s", optarg,
					    r == -ERANGE ? "too large" : "expected a size like 512M or 2G");
			if (o->mem < (16ULL << 20))
				return fail(err, errlen, "--mem %s: a guest needs at least 16M", optarg);
			break;
		}
		case O_CPUS: {
			board = board ? board : "--cpus";
			char *end;
			errno = 0;
			unsigned long n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || n == 0 || n > 1024)
				return fail(err, errlen, "--cpus %s: expected a number from 1 up", optarg);
			o->cpus = (unsigned)n;
			break;
		}
		case O_CPU:
			board = board ? board : "--cpu";
			if (!strcmp(optarg, "host"))
				o->cpu_host = 1;
			else if (strcmp(optarg, "default"))
				return fail(err, errlen, "--cpu %s: expected default or host", optarg);
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
				return fail(err, errlen, "--hugepages=%s: expected thp or hugetlb", optarg);
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
			break;
		case O_NO_HOST_WORKAROUNDS:
			o->no_host_workarounds = 1;
			break;
		case O_KVM:
			o->kvm_path = optarg;
			break;
		case O_DISK: /* with --restore: the snapshot's disks at other paths */
			if (o->ndisks >= OPT_MAX_DEVS)
				return fail(err, errlen, "--disk: at most %d disks", OPT_MAX_DEVS);
			o->disks[o->ndisks++] = optarg;
			break;
		case O_CDROM:
			if (o->cdrom)
				return fail(err, errlen, "--cdrom: given twice (add more with --disk FILE,if=scsi,media=cdrom)");
			if (!*optarg)
				return fail(err, errlen, "--cdrom: expected FILE or none");
			o->cdrom = optarg;
			break;
		case O_NET:
			board = board ? board : "--net";
			if (o->nnets >= OPT_MAX_DEVS)
				return fail(err, errlen, "--net: at most %d NICs", OPT_MAX_DEVS);
			o->nets[o->nnets++] = optarg;
			break;
		case O_NAME: {
			const char *why = NULL;
			if (kv_name_check(optarg, &why))
				return fail(err, errlen, "--name %s: %s", optarg, why);
			o->name = optarg;
			o->named = 1;
			break;
		}
		case O_DEFINITION:
			if (!optarg[0])
				return fail(err, errlen, "--definition: needs a file name");
			o->definition = optarg;
			break;
		case O_DAEMONIZE:
			o->daemonize = 1;
			break;
		case O_INCOMING:
			o->incoming = optarg;
			break;
		case O_RESTORE:
			if (!optarg[0])
				return fail(err, errlen, "--restore: needs a directory");
			o->restore = optarg;
			break;
		case O_HELP:
			o->help = 1;
			return 0;
		case ':':
			return fail(err, errlen, "%s: needs a value (try 'kvmini run --help')", argv[optind - 1]);
		default:
			return fail(err, errlen, "%s: unknown option (try 'kvmini run --help')", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fail(err, errlen, "%s: unexpected argument (try 'kvmini run --help')", argv[optind]);
	if (o->restore && o->incoming)
		return fail(err, errlen, "--incoming: not with --restore");
	if (o->restore && board)
		return fail(err, errlen, "%s: not with --restore (the snapshot says what the guest has)", board);
	if (!o->kernel && !o->restore)
		return fail(err, errlen, "--kernel: a kernel is required (try 'kvmini run --help')");
	if (o->daemonize && !o->named)
		return fail(err, errlen, "--daemonize: needs --name (the detached VM is reached through its socket)");
	if (o->definition && !o->named)
		return fail(err, errlen, "--definition: needs --name");
	if (o->daemonize && serial_given && o->serial == SERIAL_STDIO)
		return fail(err, errlen, "--serial stdio: not possible with --daemonize (use pty, file:PATH or none)");
	if (o->daemonize && !serial_given)
		o->serial = SERIAL_PTY;
	return 0;
}
