// SPDX-License-Identifier: GPL-2.0-or-later
/* The QEMU front end's translation, table-driven: a qemu-system-x86_64 argv (tokens split at '|')
 * becomes the expected `kvmini run` argv, which kvmini run's own parsers (run_opts_parse and the
 * --disk / --net sub-option parsers) must accept, or the expected one-line refusal: the seed's two
 * command lines, its -nettap typo, every unsupported option, and malformed values. */
#include <errno.h>

#include "unit.h"
#include "tools/qemu_args.h"
#include "vmm/machine_disk.h"
#include "vmm/machine_net.h"
#include "vmm/options.h"

#define K "-kernel|vmlinux|"

static const struct {
	const char *in, *out; /* out NULL: err is the expected line */
	const char *err;
} cases[] = {
	/* the kit's direct boot, as the integration test runs it */
	{ "-enable-kvm|-m|256|-kernel|vmlinux|-initrd|init.cpio|-append|console=ttyS0 quiet|-nographic",
	  "run|--mem|256M|--kernel|vmlinux|--initrd|init.cpio|--append|console=ttyS0 quiet", NULL },
	{ K "-accel|kvm|-machine|q35,accel=kvm|-M|pc|-M|pc-i440fx-7.2|-cpu|host|-smp|4", "run|--kernel|vmlinux|--cpu|host|--cpus|4|--mem|128M", NULL },
	{ K "-m|2G|-smp|cores=2,threads=2,sockets=1|--no-reboot", "run|--kernel|vmlinux|--mem|2G|--cpus|4|--no-reboot", NULL },
	{ K "-m|size=512M|-smp|2,maxcpus=2|-cpu|qemu64", "run|--kernel|vmlinux|--mem|512M|--cpus|2|--cpu|default", NULL },
	{ K "-name|guest=vm1,debug-threads=on|-daemonize|-serial|pty", "run|--kernel|vmlinux|--name|vm1|--daemonize|--serial|pty|--mem|128M", NULL },
	{ K "-display|none", "run|--kernel|vmlinux|--serial|none|--mem|128M", NULL },
	/* the GDB stub: -s is -gdb tcp::1234; -S waits for the debugger, or without one for QMP cont */
	{ K "-s|-S", "run|--kernel|vmlinux|--gdb|tcp::1234|--mem|128M|--gdb-wait", NULL },
	{ K "-S|-gdb|tcp:0.0.0.0:9000", "run|--kernel|vmlinux|--gdb|tcp:0.0.0.0:9000|--mem|128M|--gdb-wait", NULL },
	{ K "-S|-name|vm", "run|--kernel|vmlinux|--name|vm|--mem|128M|--paused", NULL },
	{ K "-display|none|-serial|file:/tmp/c.log|-vnc|none", "run|--kernel|vmlinux|--serial|file:/tmp/c.log|--mem|128M", NULL },
	{ K "-serial|mon:stdio|-boot|order=dc,menu=on", "run|--kernel|vmlinux|--serial|stdio|--mem|128M", NULL },
	/* storage */
	{ K "-drive|file=a.img,format=raw,if=virtio,cache=none,discard=unmap,id=d0",
	  "run|--disk|a.img,format=raw,cache=none,discard=unmap,id=d0,if=virtio|--kernel|vmlinux|--mem|128M", NULL },
	{ K "-drive|file=b.qcow2,if=scsi,index=3,readonly=on", "run|--disk|b.qcow2,readonly,if=scsi,target=3|--kernel|vmlinux|--mem|128M", NULL },
	{ K "-cdrom|x.iso", "run|--cdrom|x.iso|--kernel|vmlinux|--mem|128M", NULL },
	{ K "-drive|file=l.img,format=raw,if=virtio,file.locking=off", "run|--disk|l.img,format=raw,locking=off,if=virtio|--kernel|vmlinux|--mem|128M", NULL },
	{ K "-drive|file=l.img,if=virtio,file.locking=sometimes", NULL, "-drive file=l.img,if=virtio,file.locking=sometimes: file.locking=sometimes: expected on, off or auto" },
	{ K "-device|virtio-scsi-pci,id=scsi0|-drive|if=none,id=h,file=h.img,format=qcow2|-device|scsi-hd,drive=h,bus=scsi0.0,scsi-id=1,lun=2,id=disk1"
	    "|-drive|if=none,id=c,file=c.iso,media=cdrom|-device|scsi-cd,drive=c|-device|scsi-cd,id=empty",
	  "run|--kernel|vmlinux|--disk|h.img,format=qcow2,id=disk1,if=scsi,target=1,lun=2|--disk|c.iso,id=c,if=scsi,media=cdrom"
	  "|--disk|none,id=empty,if=scsi,media=cdrom|--mem|128M", NULL },
	{ K "-drive|if=none,id=v,file=v.img|-device|virtio-blk-pci,drive=v,id=vd0", "run|--kernel|vmlinux|--disk|v.img,id=vd0,if=virtio|--mem|128M", NULL },
	/* drives and netdevs come first, as in QEMU: a -device may name one given after it */
	{ "-device|virtio-net-pci,netdev=n|-device|virtio-blk-pci,drive=v|" K "-netdev|tap,id=n,script=no,downscript=no|-drive|if=none,id=v,file=v.img|-drive|file=w.img,if=virtio",
	  "run|--disk|w.img,if=virtio|--disk|v.img,id=v,if=virtio|--kernel|vmlinux|--net|tap|--mem|128M", NULL },
	{ "-usb|-hda|x.img", NULL, "-usb: unknown option" },
	{ K "-drive|if=none,id=p,file=a,,b.img|-device|virtio-blk-pci,drive=p", NULL,
	  "-device virtio-blk-pci,drive=p: file name 'a,b.img' has a comma, which kvmini's --disk cannot take" },
	/* network */
	{ K "-netdev|tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=on|-device|virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56",
	  "run|--kernel|vmlinux|--net|tap,ifname=tap0,mac=52:54:00:12:34:56|--mem|128M", NULL },
	{ K "-net|nic,model=virtio,macaddr=52:54:00:00:00:01|-net|tap,ifname=tap0,script=no,downscript=no|-net|none",
	  "run|--kernel|vmlinux|--net|tap,ifname=tap0,mac=52:54:00:00:00:01|--mem|128M", NULL },
	/* the seed's lines: an IDE disk at hda, the CD-ROM at hdc (QEMU's pc), CD first, VNC :19 */
	{ "-enable-kvm|-name|ubuntutest|-m|2048|-hda|ubuntutest.img|-cdrom|ubuntu.iso|-boot|d|-vnc|:19",
	  "run|--disk|ubuntutest.img,if=ide,bus=0,unit=0|--cdrom|ubuntu.iso|--name|ubuntutest|--mem|2048M|--vnc|:19|--boot|order=d",
	  NULL },
	{ "-enable-kvm|-name|ubuntutest|-m|2048|-hda|ubuntutest.img|-cdrom|ubuntu.iso|-boot|d|-net|nic,model=virtio"
	  "|-net|tap,ifname=tap0,script=no,downscript=no",
	  "run|--disk|ubuntutest.img,if=ide,bus=0,unit=0|--cdrom|ubuntu.iso|--name|ubuntutest|--mem|2048M|--net|tap,ifname=tap0|--boot|order=d",
	  NULL },
	{ "-enable-kvm|-m|2048|-nettap,ifname=tap0,script=no,downscript=no", NULL,
	  "-nettap,ifname=tap0,script=no,downscript=no: unknown option (did you mean '-net tap,ifname=tap0,script=no,downscript=no'?)" },
	{ "-enable-kvm|-m|2048|-cdrom|ubuntu.iso|-boot|d", "run|--cdrom|ubuntu.iso|--mem|2048M|--boot|order=d", NULL },
	{ "-hdc|c.img|-boot|order=c,menu=on", "run|--disk|c.img,if=ide,bus=1,unit=0|--boot|order=c,menu=on|--mem|128M", NULL },
	{ "-cdrom|x.iso|-boot|n", NULL, "-boot n: kvmini's firmware boots c (disk) and d (CD-ROM) only" },
	{ K "-vnc|:19", "run|--kernel|vmlinux|--vnc|:19|--mem|128M", NULL },
	{ K "-snapshot", "run|--kernel|vmlinux|--snapshot|--mem|128M", NULL },
	{ K "-device|ahci,id=ahci0|-drive|file=b.img,if=none,id=d1|-device|ide-hd,drive=d1,bus=ahci0.2",
	  "run|--kernel|vmlinux|--disk|b.img,id=d1,if=sata,bus=2|--mem|128M", NULL },
	{ K "-device|ahci,id=ahci0|-drive|file=b.img,if=none,id=d1|-device|ide-hd,drive=d1,bus=ahci0.6", NULL,
	  "-device ide-hd,drive=d1,bus=ahci0.6: bus=ahci0.6: an AHCI port is ahci0.0 .. ahci0.5" },
	/* each unsupported option's line */
	/* pid file and QMP socket; QMP over TCP is refused */
	{ K "-pidfile|/run/x.pid", "run|--kernel|vmlinux|--pidfile|/run/x.pid|--mem|128M", NULL },
	{ K "-qmp|unix:/tmp/q.sock,server,nowait", "run|--kernel|vmlinux|--qmp|/tmp/q.sock|--mem|128M", NULL },
	{ K "-qmp|unix:/tmp/q.sock,server=on,wait=off|-daemonize|-pidfile|p|-S",
	  "run|--kernel|vmlinux|--qmp|/tmp/q.sock|--daemonize|--pidfile|p|--mem|128M|--paused", NULL },
	{ K "-qmp|tcp:localhost:4444,server,nowait", NULL,
	  "-qmp tcp:localhost:4444,server,nowait: kvmini's QMP listens on unix sockets only (a TCP port is a root "
	  "shell for whoever reaches it): unix:PATH,server=on,wait=off" },
	{ K "-qmp|unix:/tmp/q.sock", NULL, "-qmp unix:/tmp/q.sock: kvmini listens on a unix socket: unix:PATH,server=on,wait=off" },
	/* SeaBIOS's debug port, QEMU's way */
	{ "-cdrom|x.iso|-device|isa-debugcon,iobase=0x402,chardev=sb|-chardev|file,id=sb,path=/tmp/bios.log",
	  "run|--cdrom|x.iso|--bios-log|/tmp/bios.log|--mem|128M", NULL },
	{ "-cdrom|x.iso|-chardev|file,id=sb,path=/tmp/b|-device|isa-debugcon,chardev=sb", NULL,
	  "-device isa-debugcon,chardev=sb: kvmini's debug console is the firmware's, iobase=0x402" },
	{ "-cdrom|x.iso|-device|isa-debugcon,iobase=0x402,chardev=nope", NULL,
	  "-device isa-debugcon,iobase=0x402,chardev=nope: Property 'isa-debugcon.chardev' can't find value 'nope'" },
	{ "-cdrom|x.iso|-chardev|stdio,id=s", NULL, "-chardev stdio,id=s: kvmini's chardevs are file,id=ID,path=FILE, for an isa-debugcon" },
	/* q35: the IDE drives are ports of its AHCI controller, -M given before or after them */
	{ "-hda|a.img|-cdrom|x.iso|-M|q35|-boot|d", "run|--disk|a.img,if=sata,bus=0|--disk|x.iso,if=sata,media=cdrom,bus=2|--boot|order=d|--mem|128M",
	  NULL },
	{ "-machine|pc-q35-7.2,accel=kvm|-drive|file=a.img,index=5,format=qcow2|-drive|file=b.img,if=ide|-device|ide-cd,id=cd",
	  "run|--disk|a.img,format=qcow2,if=sata,bus=5|--disk|b.img,if=sata,bus=0|--disk|none,id=cd,if=sata,media=cdrom|--mem|128M", NULL },
	{ "-M|q35|-cdrom||-m|64", "run|--disk|none,if=sata,media=cdrom,bus=2|--mem|64M", NULL },
	{ "-M|q35|-drive|file=a.img,index=6", NULL, "-drive file=a.img,index=6: no free IDE slot (index 0..5)" },
	{ "-M|pc|-drive|file=a.img,index=4", NULL, "-drive file=a.img,index=4: no free IDE slot (index 0..3)" },
	{ K "-drive|file=a.img", "run|--disk|a.img,if=ide,bus=0,unit=0|--kernel|vmlinux|--mem|128M", NULL },
	{ K "a.img", "run|--disk|a.img,if=ide,bus=0,unit=0|--kernel|vmlinux|--mem|128M", NULL },
	{ K "-device|e1000,netdev=n", NULL, "-device e1000,netdev=n: not supported (kvmini has virtio-blk-pci, virtio-scsi-pci, scsi-hd, scsi-cd, ide-hd, ide-cd, ahci, virtio-net-pci, virtio-9p-pci, isa-debugcon)" },
	{ K "-virtfs|local,path=/srv/x,mount_tag=hs,security_model=none", "run|--kernel|vmlinux|--share|/srv/x,tag=hs|--mem|128M", NULL },
	{ K "-virtfs|local,path=/srv/x,mount_tag=hs,security_model=passthrough,readonly=on",
	  "run|--kernel|vmlinux|--share|/srv/x,tag=hs,ro|--mem|128M", NULL },
	{ K "-device|virtio-9p-pci,fsdev=f0,mount_tag=t|-fsdev|local,id=f0,path=/d,security_model=none",
	  "run|--kernel|vmlinux|--share|/d,tag=t|--mem|128M", NULL },
	{ K "-virtfs|local,path=/srv/x,mount_tag=hs,security_model=mapped-xattr", NULL,
	  "-virtfs local,path=/srv/x,mount_tag=hs,security_model=mapped-xattr: security_model=mapped-xattr: kvmini has none and passthrough (owners and modes are the host's)" },
	{ K "-virtfs|local,path=/srv/x,mount_tag=hs", NULL, "-virtfs local,path=/srv/x,mount_tag=hs: security_model= is needed (none or passthrough)" },
	{ K "-virtfs|proxy,socket=/s,mount_tag=hs", NULL, "-virtfs proxy,socket=/s,mount_tag=hs: parameter 'socket' is not supported" },
	{ K "-device|virtio-9p-pci,fsdev=nope,mount_tag=t", NULL, "-device virtio-9p-pci,fsdev=nope,mount_tag=t: Property 'virtio-9p-pci.fsdev' can't find value 'nope'" },
	{ K "-netdev|user,id=n", NULL, "-netdev user,id=n: kvmini's networking is tap only (-netdev tap,id=N,ifname=TAP,script=no,downscript=no)" },
	{ K "-netdev|tap,id=n,ifname=tap0", NULL, "-netdev tap,id=n,ifname=tap0: kvmini runs no ifup scripts: give script=no,downscript=no" },
	{ K "-net|nic|-net|tap,script=no", NULL, "-net nic: kvmini's NIC is model=virtio (QEMU's default is e1000)" },
	{ K "-net|nic,model=virtio", NULL, "-net: 1 -net nic with 0 -net tap: kvmini pairs each NIC with one tap" },
	{ K "-device|scsi-hd,drive=x", NULL, "-device scsi-hd,drive=x: Property 'scsi-hd.drive' can't find value 'x'" },
	{ K "-drive|if=none,id=x,file=x.img|-device|scsi-hd,drive=x", NULL, "-device scsi-hd/scsi-cd: No 'SCSI' bus found (add -device virtio-scsi-pci)" },
	{ K "-accel|tcg", NULL, "-accel tcg: kvmini is KVM only (-accel kvm)" },
	{ K "-M|isapc", NULL, "-M isapc: kvmini has the machine pc (also q35) with accel=kvm only" },
	{ K "-smp|4,maxcpus=8", NULL, "-smp 4,maxcpus=8: maxcpus above cpus needs CPU hot-plug, which kvmini lacks" },
	{ K "-smp|0", NULL, "-smp 0: 'cpus' expects a number from 1 to 1024" },
	{ K "-m|lots", NULL, "-m lots: expected a size like 2048, 512M or 2G" },
	{ K "-cpu|Skylake-Client", NULL, "-cpu Skylake-Client: kvmini has the CPU models host (max) and its default (qemu64, kvm64)" },
	{ K "-serial|tcp::4444", NULL, "-serial tcp::4444: kvmini's serial port goes to stdio, pty, file:PATH or none" },
	{ K "-display|gtk", NULL, "-display gtk: not supported (kvmini has no display; -display none or -nographic)" },
	{ K "-nographic|-daemonize", NULL, "-nographic cannot be used with -daemonize" },
	{ K "-drive|file=a.img,if=virtio,aio=native", NULL, "-drive file=a.img,if=virtio,aio=native: parameter 'aio' is not supported" },
	{ K "-drive|file=a.img,if=floppy", NULL, "-drive file=a.img,if=floppy: if=floppy: kvmini has if=ide, scsi, virtio and none" },
	{ K "-drive|file=a.img,if=virtio,cache=writethrough", NULL, "-drive file=a.img,if=virtio,cache=writethrough: cache=writethrough: kvmini has writeback, none and unsafe" },
	{ K "-boot|order=z", NULL, "-boot order=z: boot devices are letters of a, c, d, n" },
	{ K "-usb", NULL, "-usb: unknown option" },
	{ K "-enable-kvmm", NULL, "-enable-kvmm: unknown option (did you mean '-enable-kvm'?)" },
	{ K "-m2048", NULL, "-m2048: unknown option (did you mean '-m 2048'?)" },
	{ "-kernel", NULL, "-kernel: requires an argument" },
	{ K "-device|id=x", NULL, "-device id=x: Parameter 'driver' is missing" },
	{ K "-net|id=x", NULL, "-net id=x: Parameter 'type' is missing" },
};

static char *join(char **v, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	char *s = calloc(1, len);
	ck_assert_ptr_nonnull(s);
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(s, "|");
		strcat(s, v[i]);
	}
	return s;
}

START_TEST(translations)
{
	static struct disk_spec ds;
	static struct net_spec ns;
	const char *in = cases[_i].in;
	char *copy = strdup(in), *argv[64] = { "qemu-system-x86_64" };
	int argc = 1;
	for (char *rest = copy, *t; (t = strsep(&rest, "|"));) /* "||": an empty argument */
		argv[argc++] = t;
	struct qemu_xlate x;
	char err[512];
	int r = qemu_args_translate(&x, argc, argv, err, sizeof(err));
	if (cases[_i].out) {
		ck_assert_msg(r == 0, "%s: %s", in, err);
		char *got = join(x.argv, x.argc);
		ck_assert_str_eq(got, cases[_i].out);
		free(got);
		/* kvmini run takes what came out */
		struct run_opts o;
		char rerr[256];
		ck_assert_msg(run_opts_parse(&o, x.argc, x.argv, rerr, sizeof(rerr)) == 0, "%s: %s", in, rerr);
		for (unsigned i = 0; i < o.ndisks; i++)
			ck_assert_msg(disk_spec_parse(o.disks[i], &ds, rerr, sizeof(rerr)) == 0, "%s", rerr);
		for (unsigned i = 0; i < o.nnets; i++)
			ck_assert_msg(net_spec_parse(o.nets[i], "t", i, &ns, rerr, sizeof(rerr)) == 0, "%s", rerr);
	} else {
		ck_assert_msg(r == -EINVAL, "%s: translated", in);
		ck_assert_str_eq(err, cases[_i].err);
		ck_assert_ptr_null(strchr(err, '\n'));
	}
	qemu_xlate_free(&x);
	free(copy);
}
END_TEST

START_TEST(argv0)
{
	ck_assert(qemu_argv0("qemu-system-x86_64"));
	ck_assert(qemu_argv0("/usr/local/bin/qemu-system-x86_64"));
	ck_assert(qemu_argv0("/opt/kvmini-qemu-system-x86_64"));
	ck_assert(!qemu_argv0("kvmini"));
	ck_assert(!qemu_argv0("/usr/bin/qemu-system-x86_64/kvmini"));
	ck_assert(!qemu_argv0("qemu-system-x86_64.real"));
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("qemu_args");
	TCase *t = tcase_create("core");
	tcase_add_loop_test(t, translations, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(t, argv0);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
