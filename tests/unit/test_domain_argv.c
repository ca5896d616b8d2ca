// SPDX-License-Identifier: GPL-2.0-or-later
/* A domain definition as `kvmini run` arguments: the mapping of each element, checked with run's
 * own option, --disk and --net parsers, and what run cannot do yet refused with a reason. */
#include "domain_test.h"
#include "vmm/machine_disk.h"
#include "vmm/machine_net.h"
#include "vmm/options.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static int resolve_calls;
static int resolve(void *opaque, const char *pool, const char *vol, char *path, size_t len, char *e, size_t elen)
{
	resolve_calls++;
	if (!strcmp(vol, "missing"))
		return snprintf(e, elen, "volume %s/%s not found", pool, vol), -ENOENT;
	snprintf(path, len, "%s/%s", (const char *)opaque, vol);
	return 0;
}

static const char kernel_xml[] = "<domain type='kvm'><name>kb</name><memory unit='MiB'>768</memory><vcpu>2</vcpu>"
				 "<os><type arch='x86_64'>hvm</type><kernel>/k/bzImage</kernel><initrd>/k/initrd</initrd>"
				 "<cmdline>console=ttyS0 quiet</cmdline></os><cpu mode='host-passthrough'/>"
				 "<on_reboot>destroy</on_reboot><memoryBacking><hugepages/></memoryBacking><devices>"
				 "<disk type='file'><driver type='qcow2'/><source file='/d/a.qcow2'/><target dev='vda'/></disk>"
				 "<disk type='volume'><driver type='raw'/><source pool='p' volume='v.img'/><target dev='vdb'/><readonly/></disk>"
				 "<disk type='block'><source dev='/dev/loop3'/><target dev='vdc' bus='virtio'/></disk>"
				 "<interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='br0'/><model type='virtio'/></interface>"
				 "<interface type='ethernet'><target dev='tap9'/></interface>"
				 "<serial type='pty'/><video><model type='none'/></video></devices></domain>";

/* domain_argv of XML must be exactly want[0..nwant), then run's option parser must take it into *o */
static char **argv_is(const char *xml, const char *const *want, int nwant, struct run_opts *o, struct domain **dp)
{
	struct domain *d = parse_ok(xml, NULL);
	char **av;
	int n = domain_argv(d, &av, resolve, "/pool/p", err, sizeof(err));
	ck_assert_msg(n > 0, "%s", err);
	ck_assert_int_eq(n, nwant);
	for (int i = 0; i < n; i++)
		ck_assert_str_eq(av[i], want[i]);
	ck_assert_ptr_null(av[n]);
	char *run[64] = { "run" };
	memcpy(run + 1, av, sizeof(char *) * (size_t)n);
	ck_assert_msg(run_opts_parse(o, n + 1, run, err, sizeof(err)) == 0, "%s", err);
	*dp = d;
	return av;
}

START_TEST(run_arguments)
{
	static const char *const want[] = { "--name", "kb", "--mem", "768M", "--cpus", "2", "--cpu", "host", "--kernel",
					    "/k/bzImage", "--initrd", "/k/initrd", "--append", "console=ttyS0 quiet",
					    "--hugepages", "--no-reboot", "--serial", "pty", "--disk", "/d/a.qcow2,format=qcow2",
					    "--disk", "/pool/p/v.img,format=raw,readonly", "--disk", "/dev/loop3", "--net",
					    "tap,mac=52:54:00:aa:bb:cc,bridge=br0", "--net", "tap,ifname=tap9" };
	struct run_opts o;
	struct domain *d;
	char **av = argv_is(kernel_xml, want, (int)(sizeof(want) / sizeof(want[0])), &o, &d);
	ck_assert(o.mem == 768ULL << 20 && o.cpus == 2 && o.cpu_host && o.no_reboot && o.hugepages && o.serial == SERIAL_PTY);
	ck_assert_uint_eq(o.ndisks, 3);
	ck_assert_uint_eq(o.nnets, 2);
	for (unsigned i = 0; i < o.ndisks; i++) {
		struct disk_spec s;
		ck_assert_msg(disk_spec_parse(o.disks[i], &s, err, sizeof(err)) == 0, "%s", err);
	}
	struct disk_spec s;
	disk_spec_parse(o.disks[1], &s, err, sizeof(err));
	ck_assert(s.opts.read_only);
	for (unsigned i = 0; i < o.nnets; i++) {
		struct net_spec t;
		ck_assert_msg(net_spec_parse(o.nets[i], "kb", i, &t, err, sizeof(err)) == 0, "%s", err);
		if (i == 0) {
			ck_assert_str_eq(t.bridge, "br0");
			ck_assert_uint_eq(t.mac[5], 0xcc);
		} else
			ck_assert_str_eq(t.ifname, "tap9");
	}
	domain_argv_free(av);
	domain_free(d);
}
END_TEST

/* the definition with one piece replaced must be refused by domain_argv with why */
static void argv_refused(const char *from, const char *to, dom_vol_resolve_fn fn, const char *want)
{
	char xml[4096];
	const char *p = strstr(kernel_xml, from);
	ck_assert_ptr_nonnull(p);
	snprintf(xml, sizeof(xml), "%.*s%s%s", (int)(p - kernel_xml), kernel_xml, to, p + strlen(from));
	struct domain *d = parse_ok(xml, NULL);
	char **av = (char **)1;
	int r = domain_argv(d, &av, fn, "/pool/p", err, sizeof(err));
	ck_assert_msg(r < 0, "accepted: %s", xml);
	ck_assert_ptr_null(av);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
	domain_free(d);
}

START_TEST(run_refuses)
{
	argv_refused("<target dev='vdc' bus='virtio'/>", "<target dev='hde' bus='ide'/>", resolve,
		     "kb: disk hde on bus ide (kvmini's places are hda..hdd) is not supported yet");
	argv_refused("<target dev='vdc' bus='virtio'/>", "<target dev='sdg' bus='sata'/>", resolve, "disk sdg on bus sata");
	argv_refused("<target dev='vdc' bus='virtio'/>", "<target dev='sdi'/>", resolve, "disk sdi on bus scsi");
	argv_refused("<disk type='block'>", "<disk type='block' device='cdrom'>", resolve, "kb: cdrom vdc on bus virtio is not supported yet");
	argv_refused("<serial type='pty'/>", "<graphics type='vnc' port='5000'/>", resolve, "kb: VNC port 5000 (below 5900)");
	argv_refused("<kernel>/k/bzImage</kernel>", "<boot dev='network'/>", resolve, "kb: booting from the network is not supported yet");
	argv_refused("<interface type='ethernet'>", "<interface type='ethernet'><model type='e1000'/>", resolve,
		     "NIC model e1000 is not supported yet");
	argv_refused("<on_reboot>destroy</on_reboot>", "<on_reboot>preserve</on_reboot>", resolve, "on_reboot preserve");
	argv_refused("<on_reboot>destroy</on_reboot>", "<on_poweroff>restart</on_poweroff>", resolve, "on_poweroff restart");
	argv_refused("volume='v.img'", "volume='v.img'", NULL, "disk vdb from pool volume p/v.img");
	argv_refused("volume='v.img'", "volume='missing'", resolve, "kb: disk vdb: volume p/missing not found");
	argv_refused("/d/a.qcow2", "/d/a,b.qcow2", resolve, "kb: disk vda: a path with ',' cannot be given to kvmini run");
}
END_TEST

/* the seed's install pass: firmware boot from an IDE CD-ROM first, a SATA and a SCSI disk, VNC on :19 */
static const char install_xml[] = "<domain type='kvm'><name>ubuntutest</name><memory unit='MiB'>2048</memory>"
				  "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='cdrom'/><boot dev='hd'/></os><devices>"
				  "<disk type='file' device='disk'><driver type='qcow2'/><source file='/d/u.qcow2'/><target dev='sdb' bus='sata'/></disk>"
				  "<disk type='file' device='cdrom'><driver type='raw'/><source file='/d/u.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>"
				  "<disk type='file' device='cdrom'><target dev='hdd' bus='ide'/><readonly/></disk>"
				  "<controller type='scsi' model='virtio-scsi'/>"
				  "<disk type='file'><driver type='raw'/><source file='/d/s.img'/><target dev='sdc' bus='scsi'/></disk>"
				  "<graphics type='vnc' port='5919' autoport='no' listen='127.0.0.1'/></devices></domain>";

START_TEST(run_firmware_install)
{
	static const char *const want[] = { "--name", "ubuntutest", "--mem", "2G", "--cpus", "1", "--boot", "order=dc",
					    "--disk", "/d/u.qcow2,format=qcow2,if=sata,bus=1",
					    "--disk", "/d/u.iso,format=raw,if=ide,bus=1,unit=0,media=cdrom",
					    "--disk", "none,if=ide,bus=1,unit=1,media=cdrom",
					    "--disk", "/d/s.img,format=raw,if=scsi,target=2", "--vnc", "127.0.0.1:19" };
	struct run_opts o;
	struct domain *d;
	char **av = argv_is(install_xml, want, (int)(sizeof(want) / sizeof(want[0])), &o, &d);
	ck_assert_str_eq(o.vnc, "127.0.0.1:19");
	struct disk_spec s;
	ck_assert_msg(disk_spec_parse(o.disks[1], &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert(s.iface == DISK_IF_IDE && s.bus == 1 && s.unit == 0 && s.media == DISK_MEDIA_CDROM && s.opts.read_only);
	ck_assert_msg(disk_spec_parse(o.disks[2], &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert(s.empty && s.unit == 1);
	ck_assert_msg(disk_spec_parse(o.disks[0], &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert(s.iface == DISK_IF_SATA && s.bus == 1);
	ck_assert_msg(disk_spec_parse(o.disks[3], &s, err, sizeof(err)) == 0, "%s", err);
	ck_assert(s.iface == DISK_IF_SCSI && s.target == 2);
	domain_argv_free(av);
	domain_free(d);
}
END_TEST

/* autoport: the first display whose port nobody holds (5900 is taken here by this test) */
START_TEST(run_vnc_autoport)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5900), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int held = !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) && !listen(fd, 1);
	char xml[4096];
	const char *p = strstr(kernel_xml, "<serial type='pty'/>");
	snprintf(xml, sizeof(xml), "%.*s<graphics type='vnc' autoport='yes'/>%s", (int)(p - kernel_xml), kernel_xml, p);
	struct domain *d = parse_ok(xml, NULL);
	char **av;
	int n = domain_argv(d, &av, resolve, "/pool/p", err, sizeof(err));
	ck_assert_msg(n > 2, "%s", err);
	ck_assert_str_eq(av[n - 2], "--vnc");
	int disp = -1;
	ck_assert_int_eq(sscanf(av[n - 1], "127.0.0.1:%d", &disp), 1);
	ck_assert(disp >= 0 && disp < 100);
	if (held)
		ck_assert_int_ne(disp, 0);
	close(fd);
	domain_argv_free(av);
	domain_free(d);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("domain_argv");
	TCase *tc = tcase_create("domain_argv");
	tcase_add_test(tc, run_arguments);
	tcase_add_test(tc, run_refuses);
	tcase_add_test(tc, run_firmware_install);
	tcase_add_test(tc, run_vnc_autoport);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
