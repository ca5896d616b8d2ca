// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "vmm/console.h"
#include "vmm/machine_disk.h"
#include "vmm/gdb_stub.h"
#include "vmm/options.h"
#include "vmm/paths.h"
#include "tools/net.h"

#include <errno.h>
#include <stdarg.h>

static int parse(struct run_opts *o, char *err, const char *a0, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, a0);
	for (const char *s = a0; s && argc < 31; s = va_arg(ap, const char *))
		argv[argc++] = (char *)s;
	va_end(ap);
	argv[argc] = NULL;
	return run_opts_parse(o, argc, argv, err, 256);
}

START_TEST(defaults_and_values)
{
	struct run_opts o;
	char err[256];
	ck_assert_int_eq(parse(&o, err, "run", "--kernel", "k", NULL), 0);
	ck_assert_uint_eq(o.mem, 512ULL << 20);
	ck_assert_uint_eq(o.cpus, 1);
	ck_assert_int_eq(o.ksm, 0);
	ck_assert_int_eq(o.serial, SERIAL_STDIO);
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "-i", "i", "-a", "console=ttyS0", "--mem", "8G", "--cpus",
			       "4", "--cpu", "host", "--ksm", "--hugepages", "--serial", "file:/tmp/x", "--no-reboot",
			       "--stats", "--disk", "a.img", "--disk", "b.img,readonly", NULL),
			 0);
	ck_assert_str_eq(o.kernel, "k");
	ck_assert_str_eq(o.initrd, "i");
	ck_assert_str_eq(o.append, "console=ttyS0");
	ck_assert_uint_eq(o.mem, 8ULL << 30);
	ck_assert_uint_eq(o.cpus, 4);
	ck_assert_int_eq(o.cpu_host, 1);
	ck_assert_int_eq(o.ksm, 1);
	ck_assert_int_eq(o.hugepages, HUGEPAGES_THP);
	ck_assert_int_eq(o.serial, SERIAL_FILE);
	ck_assert_str_eq(o.serial_path, "/tmp/x");
	ck_assert_int_eq(o.no_reboot, 1);
	ck_assert_int_eq(o.stats, 1);
	ck_assert_uint_eq(o.ndisks, 2);
	ck_assert_str_eq(o.disks[1], "b.img,readonly");
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--hugepages=hugetlb", NULL), 0);
	ck_assert_int_eq(o.hugepages, HUGEPAGES_HUGETLB);
	ck_assert_int_eq(parse(&o, err, "run", "--help", NULL), 0);
	ck_assert_int_eq(o.help, 1);
	/* the seed's IDE positions */
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--hda", "a.img", "--hdd", "d.img", "--cdrom", "c.iso", NULL), 0);
	ck_assert_str_eq(o.hd[0], "a.img");
	ck_assert_ptr_null(o.hd[1]);
	ck_assert_ptr_null(o.hd[2]);
	ck_assert_str_eq(o.hd[3], "d.img");
	ck_assert_str_eq(o.cdrom, "c.iso");
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--hdb", "a", "--hdb", "b", NULL), -EINVAL);
	ck_assert_str_eq(err, "--hdb: given twice");
	ck_assert_int_eq(parse(&o, err, "run", "--restore", "/s", "--hdc", "a", NULL), -EINVAL);
	ck_assert_str_eq(err, "--hdc: not with --restore (the snapshot says what the guest has)");
}
END_TEST

START_TEST(named_and_detached)
{
	struct run_opts o;
	char err[256];
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", NULL), 0);
	ck_assert_int_eq(o.named, 0);
	ck_assert_int_eq(o.daemonize, 0);
	ck_assert_ptr_null(o.definition);
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--name", "web-1.a_b+c", NULL), 0);
	ck_assert_int_eq(o.named, 1);
	ck_assert_str_eq(o.name, "web-1.a_b+c");
	ck_assert_int_eq(o.serial, SERIAL_STDIO); /* in the foreground the terminal stays the default */
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--name", "v", "--definition", "/d/v.xml", "--daemonize",
			       NULL),
			 0);
	ck_assert_int_eq(o.daemonize, 1);
	ck_assert_str_eq(o.definition, "/d/v.xml");
	ck_assert_int_eq(o.serial, SERIAL_PTY); /* detached: a pty unless asked otherwise */
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--daemonize", "--name", "v", "--serial", "none", NULL), 0);
	ck_assert_int_eq(o.serial, SERIAL_NONE);
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--daemonize", "--name", "v", "--serial", "stdio", NULL),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--serial stdio: not possible with --daemonize"));
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--definition", "", "--name", "v", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--definition"));
	/* --qmp PATH alone is enough for --daemonize and --paused (QEMU's -qmp -daemonize -S) */
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--qmp", "/r/q.sock", "--daemonize", "--paused", "--pidfile",
			       "/r/p", NULL),
			 0);
	ck_assert_str_eq(o.qmp, "/r/q.sock");
	ck_assert_str_eq(o.pidfile, "/r/p");
	ck_assert_int_eq(o.named, 0);
	ck_assert_int_eq(o.daemonize, 1);
	ck_assert_int_eq(o.paused, 1);
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--pidfile", "/r/p", "--daemonize", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--daemonize: needs --name or --qmp"));
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--qmp", "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--qmp: needs a file name"));
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--pidfile=", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--pidfile: needs a file name"));
	char long_name[KV_NAME_MAX + 2];
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--name", long_name, NULL), -EINVAL);
}
END_TEST

START_TEST(bad_input)
{
	struct run_opts o;
	char err[256];
	static const struct {
		const char *args[4];
		const char *needle;
	} cases[] = {
		{ { "--mem", "0", NULL }, "--mem 0" },
		{ { "--mem", "99Z", NULL }, "--mem 99Z" },
		{ { "--mem", "99999999999T", NULL }, "too large" },
		{ { "--cpus", "0", NULL }, "--cpus 0" },
		{ { "--cpus", "-2", NULL }, "--cpus -2" },
		{ { "--cpus", "2x", NULL }, "--cpus 2x" },
		{ { "--cpu", "pentium", NULL }, "--cpu pentium" },
		{ { "--serial", "file:", NULL }, "--serial file:" },
		{ { "--hugepages=1G", NULL }, "--hugepages=1G" },
		{ { "--bogus", NULL }, "unknown option" },
		{ { "stray", NULL }, "unexpected argument" },
		{ { "--kernel", NULL }, "needs a value" },
		{ { "--name", "", NULL }, "--name : " },
		{ { "--name", "a/b", NULL }, "--name a/b: " },
		{ { "--name", "-x", NULL }, "--name -x: " },
		{ { "--daemonize", NULL }, "--daemonize: needs --name" },
		{ { "--gdb", "1234", NULL }, "--gdb 1234: expected tcp:[HOST]:PORT" },
		{ { "--gdb", "tcp::0", NULL }, "--gdb tcp::0: " },
		{ { "--gdb", "tcp:host", NULL }, "--gdb tcp:host: " },
		{ { "--gdb", "tcp::65536", NULL }, "--gdb tcp::65536: " },
		{ { "--gdb-wait", NULL }, "--gdb-wait: needs --gdb" },
		{ { "--definition", "d.xml", NULL }, "--definition: needs --name" },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8] = { "run", "-k", "k" };
		int argc = 3;
		for (int j = 0; cases[i].args[j]; j++)
			argv[argc++] = (char *)cases[i].args[j];
		argv[argc] = NULL;
		err[0] = 0;
		ck_assert_int_eq(run_opts_parse(&o, argc, argv, err, sizeof(err)), -EINVAL);
		ck_assert_msg(strstr(err, cases[i].needle), "case %u: '%s' lacks '%s'", i, err, cases[i].needle);
	}
	/* without --kernel the firmware boots the disks; what only a kernel takes needs one */
	ck_assert_int_eq(parse(&o, err, "run", "--mem", "1G", NULL), 0);
	ck_assert_ptr_null(o.kernel);
	ck_assert_str_eq(o.boot.order, "cd");
	ck_assert_int_eq(parse(&o, err, "run", "--append", "x", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "needs --kernel"));
	ck_assert_int_eq(parse(&o, err, "run", "--rootfs-share", "/srv", NULL), -EINVAL);
	ck_assert_str_eq(err, "--rootfs-share: needs --kernel");
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--rootfs-share", "/srv", "-i", "i", NULL), -EINVAL);
	ck_assert_str_eq(err, "--rootfs-share: not with --initrd (it brings its own initramfs)");
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--rootfs-share", "/srv,rw", NULL), 0);
	ck_assert_str_eq(o.rootfs_share, "/srv,rw");
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--bios", "b.bin", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--bios: not with --kernel"));
	ck_assert_int_eq(parse(&o, err, "run", "-k", "k", "--boot", "d", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--boot: not with --kernel"));
	ck_assert_int_eq(parse(&o, err, "run", "--boot", "order=q", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--boot order=q"));
	ck_assert_int_eq(parse(&o, err, "run", "--boot", "order=dc,menu=on", "--bios-log", "l", "--cdrom", "x.iso", NULL), 0);
	ck_assert_str_eq(o.boot.order, "dc");
	ck_assert_int_eq(o.boot.menu, 1);
	ck_assert_str_eq(o.bios_log, "l");
}
END_TEST

START_TEST(console_escapes)
{
	struct console c = { .in_fd = -1 };
	uint8_t out[16];
	size_t n;
	const uint8_t plain[] = "ls\r";
	ck_assert_int_eq(console_filter(&c, plain, 3, out, &n), CONSOLE_NONE);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(memcmp(out, "ls\r", 3), 0);
	/* Ctrl-A a and Ctrl-A Ctrl-A send one Ctrl-A; unknown escapes vanish */
	const uint8_t esc[] = { 'a', 1, 'a', 'b', 1, 1, 1, 'z', 'c' };
	ck_assert_int_eq(console_filter(&c, esc, sizeof(esc), out, &n), CONSOLE_NONE);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(memcmp(out, "a\001b\001c", 5), 0);
	/* an escape split across two reads still works; the quit drops what follows */
	const uint8_t half[] = { 'q', 1 };
	ck_assert_int_eq(console_filter(&c, half, 2, out, &n), CONSOLE_NONE);
	ck_assert_uint_eq(n, 1);
	const uint8_t quit[] = { 'x', 'y', 'z' };
	ck_assert_int_eq(console_filter(&c, quit, 3, out, &n), CONSOLE_QUIT);
	ck_assert_uint_eq(n, 0);
	const uint8_t help[] = { 1, 'h' };
	ck_assert_int_eq(console_filter(&c, help, 2, out, &n), CONSOLE_HELP);
}
END_TEST

START_TEST(disk_specs)
{
	struct disk_spec d;
	char err[256];
	ck_assert_int_eq(disk_spec_parse("a.img", &d, err, sizeof(err)), 0);
	ck_assert_str_eq(d.path, "a.img");
	ck_assert_int_eq(d.opts.format, DISK_FMT_AUTO);
	ck_assert(!d.opts.read_only);
	ck_assert_int_eq(d.transport, VDEV_PCI);
	ck_assert_int_eq(disk_spec_parse("/x/b.qcow2,format=qcow2,readonly,cache=none,transport=mmio", &d, err,
					 sizeof(err)),
			 0);
	ck_assert_str_eq(d.path, "/x/b.qcow2");
	ck_assert_int_eq(d.opts.format, DISK_FMT_QCOW2);
	ck_assert(d.opts.read_only);
	ck_assert_int_eq(d.opts.cache, DISK_CACHE_NONE);
	ck_assert_int_eq(d.transport, VDEV_MMIO);
	ck_assert_int_eq(disk_spec_parse("c,cache=unsafe,format=raw", &d, err, sizeof(err)), 0);
	ck_assert_int_eq(d.opts.cache, DISK_CACHE_UNSAFE);
	ck_assert_int_eq(d.opts.format, DISK_FMT_RAW);
	/* virtio-scsi drives */
	ck_assert_int_eq(d.iface, DISK_IF_VIRTIO);
	ck_assert_int_eq(d.target, -1);
	ck_assert_int_eq(disk_spec_parse("s.iso,if=scsi,media=cdrom,id=cd0,target=7,lun=16383", &d, err, sizeof(err)), 0);
	ck_assert_int_eq(d.iface, DISK_IF_SCSI);
	ck_assert_int_eq(d.media, DISK_MEDIA_CDROM);
	ck_assert(d.opts.read_only); /* a CD-ROM always is */
	ck_assert_str_eq(d.id, "cd0");
	ck_assert_int_eq(d.target, 7);
	ck_assert_int_eq(d.lun, 16383);
	ck_assert_int_eq(disk_spec_parse("s.img,if=scsi,discard=ignore,readonly=on,media=disk", &d, err, sizeof(err)), 0);
	ck_assert(d.no_discard && d.opts.read_only);
	ck_assert_int_eq(d.media, DISK_MEDIA_DISK);
	ck_assert_int_eq(d.lun, -1);
	ck_assert_int_eq(disk_spec_parse("v.img,if=virtio,discard=unmap", &d, err, sizeof(err)), 0);
	ck_assert(!d.no_discard);
	ck_assert(!d.opts.no_lock);
	ck_assert_int_eq(disk_spec_parse("v.img,locking=off", &d, err, sizeof(err)), 0);
	ck_assert(d.opts.no_lock);
	ck_assert_int_eq(disk_spec_parse("v.img,locking=on", &d, err, sizeof(err)), 0);
	ck_assert(!d.opts.no_lock);
	ck_assert_int_eq(disk_spec_parse("v.img,locking=maybe", &d, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--disk v.img,locking=maybe: bad option 'locking=maybe' (see kvmini run --help)");
	/* IDE drives */
	ck_assert_int_eq(disk_spec_parse("i.iso,if=ide,media=cdrom,bus=1,unit=1", &d, err, sizeof(err)), 0);
	ck_assert(d.iface == DISK_IF_IDE && d.media == DISK_MEDIA_CDROM && d.opts.read_only);
	ck_assert(d.bus == 1 && d.unit == 1 && d.target == -1);
	ck_assert_int_eq(disk_spec_parse("i.img,if=ide", &d, err, sizeof(err)), 0);
	ck_assert(d.iface == DISK_IF_IDE && d.bus == -1 && d.unit == -1);
	ck_assert_int_eq(hd_spec_parse("a,b.img", 3, &d, err, sizeof(err)), 0); /* a file name, commas and all */
	ck_assert_str_eq(d.path, "a,b.img");
	ck_assert(d.iface == DISK_IF_IDE && d.bus == 1 && d.unit == 1 && d.opts.format == DISK_FMT_AUTO);
	ck_assert_int_eq(hd_spec_parse("", 0, &d, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--hda"));
	static const char *const conflicts[] = { "a,media=cdrom", "a,if=virtio,media=cdrom", "a,target=1", "a,lun=0",
						 "a,bus=0", "a,if=scsi,unit=1", "a,if=ide,target=0" };
	for (unsigned i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]); i++) {
		err[0] = 0;
		ck_assert_msg(disk_spec_parse(conflicts[i], &d, err, sizeof(err)) == -EINVAL, "accepted '%s'", conflicts[i]);
		ck_assert_ptr_nonnull(strstr(err, "need"));
	}
	ck_assert_int_eq(cdrom_spec_parse("none", &d, err, sizeof(err)), 0);
	/* IDE secondary master, as on QEMU's pc */
	ck_assert(d.empty && d.opts.read_only && d.iface == DISK_IF_IDE && d.media == DISK_MEDIA_CDROM);
	ck_assert(d.bus == 1 && d.unit == 0);
	ck_assert_int_eq(cdrom_spec_parse("x.iso", &d, err, sizeof(err)), 0);
	ck_assert(!d.empty);
	ck_assert_int_eq(d.opts.format, DISK_FMT_RAW);
	static const char *const bad[] = { "", ",readonly", "a,format=vmdk", "a,if=floppy", "a,if=ide,bus=2", "a,if=ide,unit=2", "a,if=ide,bus=", "a,if=ide,unit=-1", "a,media=tape", "a,discard=on",
					   "a,if=scsi,target=8", "a,if=scsi,lun=16384", "a,if=scsi,target=-1", "a,if=scsi,lun=1x",
					   "a,if=scsi,target=", "a,if=scsi,lun=000001", "a,id=", "a,id=a/b",
					   "a,id=abcdefghijklmnopqrstuvwxyz0123456", "a,if", "a,cache=", "a,transport=usb",
					   "a,readonly=maybe", "a,,", "a,", "a,readonly,", "a,,readonly", "a,cache",
					   "a,format", "a,transport=pci=mmio", "a,verylongoptionnamethatgoesonandonandonandonandonandonandon=1" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ck_assert_msg(disk_spec_parse(bad[i], &d, err, sizeof(err)) == -EINVAL, "accepted '%s'", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "--disk"));
	}
}
END_TEST

/* if=sata: AHCI drives, bus= is the port */
START_TEST(disk_specs_sata)
{
	struct disk_spec d;
	char err[256];
	ck_assert_int_eq(disk_spec_parse("a.img,if=sata", &d, err, sizeof(err)), 0);
	ck_assert_int_eq(d.iface, DISK_IF_SATA);
	ck_assert_int_eq(d.bus, -1);
	ck_assert(!d.opts.read_only);
	ck_assert_int_eq(disk_spec_parse("c.iso,if=sata,media=cdrom,bus=5", &d, err, sizeof(err)), 0);
	ck_assert_int_eq(d.media, DISK_MEDIA_CDROM);
	ck_assert(d.opts.read_only);
	ck_assert_int_eq(d.bus, 5);
	static const char *const bad[] = { "a,bus=1", "a,if=scsi,bus=0", "a,if=sata,bus=6", "a,if=sata,bus=",
					   "a,if=sata,bus=x", "a,if=sata,target=0" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ck_assert_msg(disk_spec_parse(bad[i], &d, err, sizeof(err)) == -EINVAL, "accepted '%s'", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "--disk"));
	}
}
END_TEST

/* found by fuzz_options: a call that returned inside "-hk" left getopt in that argv */
START_TEST(reparse_after_stop_in_cluster)
{
	struct run_opts o;
	char err[256];
	char a0[] = "run", a1[] = "-hk";
	char *argv1[] = { a0, a1, NULL };
	ck_assert_int_eq(run_opts_parse(&o, 2, argv1, err, sizeof(err)), 0);
	ck_assert(o.help);
	memcpy(a1, "XXX", 4); /* that argv is gone */
	char b0[] = "run", b1[] = "--kernel", b2[] = "vmlinuz";
	char *argv2[] = { b0, b1, b2, NULL };
	ck_assert_int_eq(run_opts_parse(&o, 3, argv2, err, sizeof(err)), 0);
	ck_assert_str_eq(o.kernel, "vmlinuz");
	ck_assert(!o.help);
}
END_TEST

START_TEST(net_subnets)
{
	char out[32];
	ck_assert_int_eq(net_subnet_of("10.0.2.7/24", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "10.0.2.0/24");
	ck_assert_int_eq(net_subnet_of("192.168.77.1/32", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "192.168.77.1/32");
	ck_assert_int_eq(net_subnet_of("172.31.255.255/12", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "172.16.0.0/12");
	static const char *const bad[] = { "10.0.2.7", "10.0.2.7/0", "10.0.2.7/33", "10.0.2/24", "10.0.2.256/24",
					   "10.0.2.7/24x", "10.0.2.7/-1", "10.0.2.7/", "fe80::1/64", "/24" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(net_subnet_of(bad[i], out, sizeof(out)) == -EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(restore_opts)
{
	struct run_opts o;
	char err[256];
	ck_assert_int_eq(parse(&o, err, "run", "--restore", "/s", "--name", "b", "--daemonize", NULL), 0);
	ck_assert_str_eq(o.restore, "/s");
	ck_assert_ptr_null(o.kernel); /* the snapshot names it */
	ck_assert_ptr_null(o.snap);
	ck_assert_int_eq(parse(&o, err, "run", "--restore", "/s", "--disk", "/e/d.raw", NULL), 0);
	ck_assert_uint_eq(o.ndisks, 1); /* a saved disk elsewhere (checked against the snapshot later) */
	static const char *const board[] = { "--mem", "--cpus", "--kernel", "--net", "--append" };
	static const char *const val[] = { "1G", "2", "k", "tap", "x" };
	for (unsigned i = 0; i < sizeof(board) / sizeof(board[0]); i++) {
		ck_assert_int_eq(parse(&o, err, "run", board[i], val[i], "--restore", "/s", NULL), -EINVAL);
		ck_assert_msg(!strncmp(err, board[i], strlen(board[i])) && strstr(err, "not with --restore"), "%s", err);
	}
	ck_assert_int_eq(parse(&o, err, "run", "--restore", "", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "--restore: needs a directory"));
	/* --incoming: the same board options as the source, not with --restore */
	ck_assert_int_eq(parse(&o, err, "run", "--kernel", "k", "--incoming", "tcp:10.0.0.2:4444", NULL), 0);
	ck_assert_str_eq(o.incoming, "tcp:10.0.0.2:4444");
	ck_assert_int_eq(parse(&o, err, "run", "--restore", "/s", "--incoming", "defer", NULL), -EINVAL);
	ck_assert_str_eq(err, "--incoming: not with --restore");
}
END_TEST

/* device options are recorded in argv order; a restore's argv replays the saved ones, the user's
 * of a name replacing the saved ones of that name, one for one */
START_TEST(device_args_replayed)
{
	struct run_opts o;
	char err[256];
	char *argv[] = { "run", "--restore", "/s", "--disk=/e/b.raw", "--name", "v", "--paused", NULL };
	ck_assert_int_eq(run_opts_parse(&o, 7, argv, err, sizeof(err)), 0);
	ck_assert_uint_eq(o.ndevargs, 1);
	ck_assert_str_eq(o.devargs[0].opt, "disk");
	ck_assert_str_eq(o.devargs[0].val, "/e/b.raw");
	ck_assert_int_eq(o.devargs[0].argi, 3);
	ck_assert_int_eq(o.devargs[0].argn, 1);
	char *opt[] = { "disk", "cdrom", "exit-device", "disk" }, *val[] = { "/d/a.raw,if=scsi,lun=3", "none", "", "/d/b.raw" };
	char **av;
	int ac;
	ck_assert_int_eq(run_opts_restore_argv(&o, 7, argv, opt, val, 4, &av, &ac, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--disk: the snapshot has 2, 1 given (one for each, in order)");
	char *argv2[] = { "run", "--restore", "/s", "--disk", "/e/a.raw,if=scsi", "--name", "v", "--disk=/e/b.raw", NULL };
	ck_assert_int_eq(run_opts_parse(&o, 8, argv2, err, sizeof(err)), 0);
	ck_assert_uint_eq(o.ndevargs, 2);
	ck_assert_int_eq(o.devargs[0].argn, 2);
	ck_assert_int_eq(run_opts_restore_argv(&o, 8, argv2, opt, val, 4, &av, &ac, err, sizeof(err)), 0);
	static const char *const want[] = { "run", "--disk=/e/a.raw,if=scsi", "--cdrom=none", "--exit-device",
					    "--disk=/e/b.raw", "--restore", "/s", "--name", "v" };
	ck_assert_int_eq(ac, 9);
	for (int i = 0; i < ac; i++)
		ck_assert_str_eq(av[i], want[i]);
	ck_assert_ptr_null(av[ac]);
	ck_assert_int_eq(run_opts_parse(&o, ac, av, err, sizeof(err)), 0);
	ck_assert_uint_eq(o.ndisks, 2);
	ck_assert_str_eq(o.cdrom, "none");
	ck_assert_str_eq(o.exit_device, "");
	ck_assert_uint_eq(o.ndevargs, 4);
	ck_assert_str_eq(o.name, "v");
	free(av);
	/* without the user's: the saved ones as they are */
	char *argv3[] = { "run", "--restore", "/s", NULL };
	ck_assert_int_eq(run_opts_parse(&o, 3, argv3, err, sizeof(err)), 0);
	ck_assert_int_eq(run_opts_restore_argv(&o, 3, argv3, opt, val, 4, &av, &ac, err, sizeof(err)), 0);
	ck_assert_int_eq(ac, 7);
	ck_assert_str_eq(av[1], "--disk=/d/a.raw,if=scsi,lun=3");
	ck_assert_str_eq(av[4], "--disk=/d/b.raw");
	free(av);
	ck_assert(run_opt_is_device("hda"));
	ck_assert(!run_opt_is_device("kernel"));
	/* --paused needs the control socket; --snapshot is not for a restore */
	ck_assert_int_eq(parse(&o, err, "run", "--kernel", "k", "--paused", NULL), -EINVAL);
	ck_assert_int_eq(parse(&o, err, "run", "--restore", "/s", "--snapshot", NULL), -EINVAL);
	ck_assert_int_eq(parse(&o, err, "run", "--kernel", "k", "--snapshot", "--exit-device=0x501", NULL), 0);
	ck_assert(o.snapshot);
	ck_assert_str_eq(o.exit_device, "0x501");
	/* the GDB stub's address: HOST defaults to loopback */
	ck_assert_int_eq(parse(&o, err, "run", "--kernel", "k", "--gdb", "tcp::1234", "--gdb-wait", NULL), 0);
	ck_assert_str_eq(o.gdb, "tcp::1234");
	ck_assert(o.gdb_wait);
	char host[64];
	uint16_t port;
	ck_assert_int_eq(gdb_addr_parse("tcp::1234", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 1234);
	ck_assert_int_eq(gdb_addr_parse("tcp:0.0.0.0:9", host, sizeof(host), &port), 0);
	ck_assert_str_eq(host, "0.0.0.0");
	ck_assert_uint_eq(port, 9);
	ck_assert_int_eq(gdb_addr_parse("tcp::+9", host, sizeof(host), &port), -EINVAL);
	ck_assert_int_eq(gdb_addr_parse("udp::9", host, sizeof(host), &port), -EINVAL);
	ck_assert_int_eq(gdb_addr_parse("tcp:averyveryverylonghostname:9", host, 8, &port), -EINVAL);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("run");
	tcase_add_test(tc, defaults_and_values);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, named_and_detached);
	tcase_add_test(tc, console_escapes);
	tcase_add_test(tc, disk_specs);
	tcase_add_test(tc, disk_specs_sata);
	tcase_add_test(tc, net_subnets);
	tcase_add_test(tc, reparse_after_stop_in_cluster);
	tcase_add_test(tc, restore_opts);
	tcase_add_test(tc, device_args_replayed);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
