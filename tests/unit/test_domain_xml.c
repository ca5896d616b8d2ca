// SPDX-License-Identifier: GPL-2.0-or-later
/* libvirt domain XML: every element of the subset parsed into struct domain, memory units, errors
 * with their line numbers, warnings once each, virt-install's two documents, the round trip
 * parse -> format -> parse, a quiet libxml2 (test_domain_argv.c has the run arguments). */
#include "domain_test.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <unistd.h>

static const char full_xml[] =
	"<?xml version='1.0'?>\n"
	"<domain type='kvm'>\n"
	"  <name>full-1</name>\n"
	"  <uuid>0123456789abcdef0123456789ABCDEF</uuid>\n"
	"  <title>A &amp; B</title>\n"
	"  <description>line one\nline 'two' &lt;x&gt;</description>\n"
	"  <memory unit='GiB'>2</memory>\n"
	"  <currentMemory unit='MiB'>1024</currentMemory>\n"
	"  <vcpu placement='static'>4</vcpu>\n"
	"  <os>\n"
	"    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
	"    <kernel>/boot/vmlinuz</kernel>\n"
	"    <initrd>/boot/initrd.img</initrd>\n"
	"    <cmdline>console=ttyS0 root=/dev/vda</cmdline>\n"
	"    <boot dev='cdrom'/>\n"
	"    <boot dev='hd'/>\n"
	"    <boot dev='network'/>\n"
	"  </os>\n"
	"  <features><acpi/><apic/></features>\n"
	"  <cpu mode='host-passthrough'/>\n"
	"  <clock offset='utc'/>\n"
	"  <on_poweroff>destroy</on_poweroff>\n"
	"  <on_reboot>destroy</on_reboot>\n"
	"  <on_crash>restart</on_crash>\n"
	"  <memoryBacking><hugepages/></memoryBacking>\n"
	"  <devices>\n"
	"    <disk type='file' device='disk'>\n"
	"      <driver name='qemu' type='qcow2'/>\n"
	"      <source file='/var/lib/a.qcow2'/>\n"
	"      <target dev='vda' bus='virtio'/>\n"
	"    </disk>\n"
	"    <disk type='block' device='disk'>\n"
	"      <driver name='qemu' type='raw'/>\n"
	"      <source dev='/dev/loop0'/>\n"
	"      <target dev='sda' bus='scsi'/>\n"
	"      <readonly/>\n"
	"    </disk>\n"
	"    <disk type='volume' device='disk'>\n"
	"      <source pool='default' volume='v1.img'/>\n"
	"      <target dev='vdb'/>\n"
	"    </disk>\n"
	"    <disk type='file' device='cdrom'>\n"
	"      <source file='/iso/x.iso'/>\n"
	"      <target dev='hdc' bus='ide'/>\n"
	"      <readonly/>\n"
	"    </disk>\n"
	"    <disk type='file' device='cdrom'>\n"
	"      <target dev='sdb' bus='sata'/>\n"
	"    </disk>\n"
	"    <controller type='scsi' index='0' model='virtio-scsi'/>\n"
	"    <interface type='bridge'>\n"
	"      <mac address='52:54:00:12:34:56'/>\n"
	"      <source bridge='br0'/>\n"
	"      <target dev='tap7'/>\n"
	"      <model type='virtio'/>\n"
	"    </interface>\n"
	"    <interface type='ethernet'>\n"
	"      <target dev='kvtap1'/>\n"
	"      <model type='e1000'/>\n"
	"    </interface>\n"
	"    <serial type='pty'><target port='0'/></serial>\n"
	"    <console type='pty'><target type='serial' port='0'/></console>\n"
	"    <graphics type='vnc' port='5919' autoport='no' listen='127.0.0.1'/>\n"
	"    <video><model type='virtio'/></video>\n"
	"  </devices>\n"
	"</domain>\n";

START_TEST(every_element)
{
	struct warns w = { 0 };
	struct domain *d = parse_ok(full_xml, &w);
	ck_assert_str_eq(d->name, "full-1");
	ck_assert(d->has_uuid);
	ck_assert_uint_eq(d->uuid[0], 0x01);
	ck_assert_uint_eq(d->uuid[15], 0xef);
	ck_assert_str_eq(d->title, "A & B");
	ck_assert_str_eq(d->description, "line one\nline 'two' <x>");
	ck_assert_uint_eq(d->memory, 2ULL << 30);
	ck_assert_uint_eq(d->current_memory, 1ULL << 30);
	ck_assert_uint_eq(d->vcpus, 4);
	ck_assert_str_eq(d->os_arch, "x86_64");
	ck_assert_str_eq(d->os_machine, "pc-q35-7.2");
	ck_assert_str_eq(d->kernel, "/boot/vmlinuz");
	ck_assert_str_eq(d->initrd, "/boot/initrd.img");
	ck_assert_str_eq(d->cmdline, "console=ttyS0 root=/dev/vda");
	ck_assert_uint_eq(d->nboot, 3);
	ck_assert(d->boot[0] == DOM_BOOT_CDROM && d->boot[1] == DOM_BOOT_HD && d->boot[2] == DOM_BOOT_NETWORK);
	ck_assert(d->acpi && d->apic && d->hugepages && d->virtio_scsi);
	ck_assert(d->cpu_mode == DOM_CPU_HOST_PASSTHROUGH);
	ck_assert_str_eq(d->clock_offset, "utc");
	ck_assert(d->on_poweroff == DOM_ACT_DESTROY && d->on_reboot == DOM_ACT_DESTROY && d->on_crash == DOM_ACT_RESTART);
	ck_assert_uint_eq(d->ndisks, 5);
	struct dom_disk *k = d->disks;
	ck_assert(k[0].type == DOM_DISK_FILE && k[0].device == DOM_DEV_DISK && k[0].fmt == DOM_FMT_QCOW2);
	ck_assert_str_eq(k[0].source, "/var/lib/a.qcow2");
	ck_assert_str_eq(k[0].target, "vda");
	ck_assert(k[0].bus == DOM_BUS_VIRTIO && !k[0].readonly);
	ck_assert(k[1].type == DOM_DISK_BLOCK && k[1].fmt == DOM_FMT_RAW && k[1].bus == DOM_BUS_SCSI && k[1].readonly);
	ck_assert_str_eq(k[1].source, "/dev/loop0");
	ck_assert(k[2].type == DOM_DISK_VOLUME && k[2].fmt == DOM_FMT_PROBE && k[2].bus == DOM_BUS_VIRTIO);
	ck_assert_str_eq(k[2].pool, "default");
	ck_assert_str_eq(k[2].volume, "v1.img");
	ck_assert(k[3].device == DOM_DEV_CDROM && k[3].bus == DOM_BUS_IDE && k[3].readonly);
	ck_assert(k[4].device == DOM_DEV_CDROM && k[4].bus == DOM_BUS_SATA && !k[4].source);
	ck_assert_uint_eq(d->nnets, 2);
	ck_assert(d->nets[0].type == DOM_NET_BRIDGE);
	ck_assert_str_eq(d->nets[0].bridge, "br0");
	ck_assert_str_eq(d->nets[0].tap, "tap7");
	ck_assert_str_eq(d->nets[0].mac, "52:54:00:12:34:56");
	ck_assert_str_eq(d->nets[0].model, "virtio");
	ck_assert(d->nets[1].type == DOM_NET_ETHERNET && !d->nets[1].bridge && !d->nets[1].mac[0]);
	ck_assert_str_eq(d->nets[1].model, "e1000");
	ck_assert(d->serial_pty && d->console_pty && d->graphics_vnc);
	ck_assert_int_eq(d->vnc_port, 5919);
	ck_assert_str_eq(d->vnc_listen, "127.0.0.1");
	ck_assert_str_eq(d->video_model, "virtio");
	/* only what run ignores is mentioned: the video adapter and the balloon */
	ck_assert_int_eq(w.n, 2);
	ck_assert_int_eq(has_warning(&w, "<video>: kvmini has no display"), 1);
	ck_assert_int_eq(has_warning(&w, "<currentMemory> below <memory>"), 1);
	domain_free(d);
}
END_TEST

START_TEST(defaults)
{
	struct domain *d = parse_ok("<domain><name>a</name><memory>1</memory>"
				    "<devices><graphics type='vnc' autoport='yes' port='5901'/></devices></domain>",
				    NULL);
	ck_assert_uint_eq(d->memory, 1024); /* KiB by default */
	ck_assert_uint_eq(d->current_memory, 0);
	ck_assert_uint_eq(d->vcpus, 1);
	ck_assert(!d->has_uuid);
	ck_assert(d->on_poweroff == DOM_ACT_DESTROY && d->on_reboot == DOM_ACT_RESTART && d->on_crash == DOM_ACT_DESTROY);
	ck_assert(d->cpu_mode == DOM_CPU_DEFAULT);
	ck_assert_int_eq(d->vnc_port, -1); /* autoport wins */
	domain_free(d);
}
END_TEST

static uint64_t mem_of(const char *value, const char *unit)
{
	char xml[256];
	snprintf(xml, sizeof(xml), "<domain><name>u</name><memory%s%s%s>%s</memory></domain>", unit ? " unit='" : "",
		 unit ? unit : "", unit ? "'" : "", value);
	struct domain *d = parse_ok(xml, NULL);
	uint64_t m = d->memory;
	domain_free(d);
	return m;
}

START_TEST(units)
{
	ck_assert_uint_eq(mem_of("2048", NULL), 2048ULL << 10);
	ck_assert_uint_eq(mem_of("4096", "b"), 4096);
	ck_assert_uint_eq(mem_of("4096", "bytes"), 4096);
	ck_assert_uint_eq(mem_of("1000", "B"), 1024); /* rounded up to KiB, as libvirt does */
	ck_assert_uint_eq(mem_of("8", "k"), 8192);
	ck_assert_uint_eq(mem_of("8", "KiB"), 8192);
	ck_assert_uint_eq(mem_of("8", "KB"), 8192); /* 8000 bytes, rounded up */
	ck_assert_uint_eq(mem_of("2", "M"), 2ULL << 20);
	ck_assert_uint_eq(mem_of("2", "MiB"), 2ULL << 20);
	ck_assert_uint_eq(mem_of("2", "MB"), 1954 * 1024); /* 2e6 bytes up to a KiB multiple */
	ck_assert_uint_eq(mem_of(" 3 ", "G"), 3ULL << 30);
	ck_assert_uint_eq(mem_of("3", "GiB"), 3ULL << 30);
	ck_assert_uint_eq(mem_of("3", "GB"), 2929688ULL * 1024);
	ck_assert_uint_eq(mem_of("1", "TiB"), 1ULL << 40);
	ck_assert_uint_eq(mem_of("1", "T"), 1ULL << 40);
	ck_assert_uint_eq(mem_of("1", "TB"), 1000000000000ULL);
	ck_assert_uint_eq(mem_of("1", "PiB"), 1ULL << 50);
	ck_assert_uint_eq(mem_of("1", "gib"), 1ULL << 30);
	parse_bad("<domain><name>u</name>\n<memory unit='XB'>1</memory></domain>", "line 2: <memory unit='XB'>: unknown unit");
	parse_bad("<domain><name>u</name><memory unit='KiBB'>1</memory></domain>", "unknown unit");
	parse_bad("<domain><name>u</name><memory>-1</memory></domain>", "'-1' is not a number");
	parse_bad("<domain><name>u</name><memory>1.5</memory></domain>", "not a number");
	parse_bad("<domain><name>u</name><memory unit='EiB'>2</memory></domain>", "too large");
	parse_bad("<domain><name>u</name><memory>99999999999999999999999</memory></domain>", "too large");
	parse_bad("<domain><name>u</name><memory>0</memory></domain>", "no <memory> (or it is 0)");
}
END_TEST

START_TEST(errors)
{
	/* not well-formed: libxml2's reason with the line */
	parse_bad("<domain>\n  <name>x</name>\n  <memory>1</memory\n</domain>\n", "line 4: ");
	parse_bad("<domain>\n<name>x</nam>\n</domain>", "line 2: Opening and ending tag mismatch");
	parse_bad("", "line 1: ");
	parse_bad("<domain><name>&foo;</name></domain>", "Entity 'foo' not defined");
	parse_bad("<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY a 'aaaa'>]>\n<domain><name>&a;</name></domain>",
		  "line 2: a DOCTYPE is not allowed");
	parse_bad("<!DOCTYPE domain SYSTEM 'http://example.com/x.dtd'><domain/>", "DOCTYPE is not allowed");
	parse_bad("<pool><name>x</name></pool>", "line 1: the root element is <pool>, expected <domain>");
	/* what is missing or invalid */
	parse_bad("<domain>\n<memory>1</memory>\n</domain>", "line 1: <domain>: no <name>");
	parse_bad("<domain><name>a</name></domain>", "no <memory>");
	parse_bad("<domain>\n<name>a b</name><memory>1</memory></domain>", "line 2: <name>a b</name>: a name may hold only");
	parse_bad("<domain><name>../x</name><memory>1</memory></domain>", "<name>");
	parse_bad("<domain><name>a</name>\n\n<uuid>1234</uuid><memory>1</memory></domain>", "line 3: <uuid>1234</uuid>: not a UUID");
	parse_bad("<domain><name>a</name><uuid>0123456789abcdef0123456789abcdeg</uuid><memory>1</memory></domain>", "not a UUID");
	parse_bad("<domain><name>a</name><memory>1</memory><vcpu>0</vcpu></domain>", "<vcpu>: '0' is not a vCPU count");
	parse_bad("<domain><name>a</name><memory>1</memory><vcpu>x</vcpu></domain>", "<vcpu>");
	parse_bad("<domain><name>a</name><memory>1</memory><os><type>xen</type></os></domain>", "hvm guests only");
	parse_bad("<domain><name>a</name><memory>1</memory><os><type arch='aarch64'>hvm</type></os></domain>", "x86 guests only");
	parse_bad("<domain><name>a</name><memory>1</memory><os><kernel>vmlinuz</kernel></os></domain>", "not an absolute path");
	parse_bad("<domain><name>a</name><memory>1</memory><os><boot dev='usb'/></os></domain>", "<boot dev='usb'>");
	parse_bad("<domain><name>a</name><memory>1</memory><on_reboot>explode</on_reboot></domain>", "<on_reboot>: 'explode'");
	parse_bad("<domain><name>a</name><memory>1</memory><title>a\nb</title></domain>", "<title>: must be one line");
	static const char *const bad_devices[][2] = {
		{ "<disk type='file'><source file='/a'/></disk>", "no <target dev=...>" },
		{ "<disk type='file'><target dev='vda'/></disk>", "<disk> vda: no <source>" },
		{ "<disk type='file'><source file='a.img'/><target dev='vda'/></disk>", "not an absolute path" },
		{ "<disk type='file'><source file='/a'/><target dev='nvme0'/></disk>", "<target dev='nvme0'>" },
		{ "<disk type='volume'><source pool='p'/><target dev='vda'/></disk>", "needs pool= and volume=" },
		{ "<disk type='volume'><source pool='p' volume='a/b'/><target dev='vda'/></disk>", "volume='a/b'" },
		{ "<interface type='bridge'><model type='virtio'/></interface>", "no <source bridge=...>" },
		{ "<interface type='bridge'><source bridge='a-very-long-bridge-name'/></interface>", "not a network device name" },
		{ "<interface type='ethernet'><mac address='01:00:00:00:00:01'/></interface>", "unicast" },
		{ "<interface type='ethernet'><mac address='52:54:00:zz:00:01'/></interface>", "unicast" },
		{ "<interface type='ethernet'><model type='a b'/></interface>", "not a model name" },
		{ "<graphics type='vnc' port='70000'/>", "<graphics port='70000'>" },
		{ "<graphics type='vnc' autoport='maybe'/>", "autoport" },
		{ "<graphics type='vnc' listen='a b'/>", "not an address" },
	};
	for (size_t i = 0; i < sizeof(bad_devices) / sizeof(bad_devices[0]); i++) {
		char xml[512];
		snprintf(xml, sizeof(xml), "<domain><name>a</name><memory>1</memory>\n<devices>\n%s</devices></domain>",
			 bad_devices[i][0]);
		parse_bad(xml, bad_devices[i][1]);
		ck_assert_msg(!strncmp(err, "line 3: ", 8), "%s", err);
	}
}
END_TEST

START_TEST(warnings_once)
{
	struct warns w = { 0 };
	struct domain *d = parse_ok("<domain type='kvm' foo='1'><name>w</name><memory>1</memory>\n"
				    "<pm><suspend-to-mem enabled='no'/></pm>\n"
				    "<features><acpi/><vmport state='off'/><pae/></features>\n"
				    "<metadata><x/></metadata>\n"
				    "<clock offset='localtime'><timer name='rtc'/></clock>\n"
				    "<devices>\n"
				    "<channel type='unix'/><channel type='spicevmc'/><sound model='ich9'/>\n"
				    "<controller type='usb' model='ich9-ehci1'/><controller type='usb' model='ich9-uhci1'/>\n"
				    "<interface type='network'><source network='default'/></interface>\n"
				    "<interface type='user'/>\n"
				    "<disk type='file' device='disk' snapshot='no'><driver name='qemu' type='raw' cache='none'/>"
				    "<source file='/a'/><target dev='vda'/></disk>\n"
				    "<disk type='file'><driver type='vmdk'/><source file='/b'/><target dev='vdb'/></disk>\n"
				    "</devices></domain>",
				    &w);
	static const char *const want[] = {
		"<domain foo='1'>: not supported",
		"line 2: <pm>: not supported by kvmini, ignored",
		"line 3: <features><vmport>: not supported",
		"<features><pae>",
		"<metadata>",
		"<clock offset='localtime'>: kvmini's RTC keeps UTC",
		"<clock><timer>",
		"line 7: <channel>: not supported",
		"<sound>",
		"line 8: <controller type='usb'>",
		"<interface type='network'>",
		"<interface type='user'>",
		"<disk snapshot='no'>",
		"<driver cache='none'>",
		"<driver type='vmdk'>: kvmini reads raw and qcow2 images only; the disk is left out",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(has_warning(&w, want[i]) == 1, "warning '%s' given %d times", want[i], has_warning(&w, want[i]));
	ck_assert_int_eq(w.n, (int)(sizeof(want) / sizeof(want[0])));
	ck_assert_uint_eq(d->ndisks, 1); /* the vmdk one is left out */
	ck_assert_uint_eq(d->nnets, 0);
	ck_assert(d->acpi);
	domain_free(d);
}
END_TEST

START_TEST(two_documents)
{
	/* virt-install --print-xml: the install pass, then the final pass; the attribute values hold
	 * what a naive search for the second document would split at */
	static const char two[] = "<?xml version='1.0'?>\n"
				  "<domain type='kvm'>\n"
				  "  <name>inst</name><memory>1</memory>\n"
				  "  <description>not a split: &lt;domain&gt; &lt;?xml</description>\n"
				  "  <devices><disk type='file' device='cdrom'><source file='/x/&lt;domain&gt;.iso'/>"
				  "<target dev='hdc'/></disk></devices>\n"
				  "</domain>\n"
				  "<!-- between -->\n"
				  "<?xml version='1.0'?>\n"
				  "<domain type='kvm'>\n"
				  "  <name>final</name><memory>2</memory>\n"
				  "</domain>\n";
	struct domain *d[2];
	struct warns w = { 0 };
	ck_assert_int_eq(domain_parse(two, strlen(two), d, err, sizeof(err), record, &w), 0);
	ck_assert_str_eq(d[0]->name, "inst");
	ck_assert_str_eq(d[0]->disks[0].source, "/x/<domain>.iso");
	ck_assert_str_eq(d[1]->name, "final");
	ck_assert_uint_eq(d[1]->memory, 2048);
	domain_free(d[0]);
	domain_free(d[1]);
	/* without XML declarations, as virt-install 4 prints them; warnings once over both */
	static const char bare[] = "<domain><name>a</name><memory>1</memory><pm/></domain>\n"
				   "<domain><name>a</name><memory>1</memory><pm/></domain>";
	w.n = 0;
	ck_assert_int_eq(domain_parse(bare, strlen(bare), d, err, sizeof(err), record, &w), 0);
	ck_assert_ptr_nonnull(d[1]);
	ck_assert_int_eq(w.n, 1);
	domain_free(d[0]);
	domain_free(d[1]);
	/* an error in the second document has its line in the whole input */
	parse_bad("<domain><name>a</name><memory>1</memory></domain>\n\n<domain>\n<name>b</name>\n</domain>",
		  "line 3: <domain>: no <memory>");
	parse_bad("<domain><name>a</name><memory>1</memory></domain>\n<domain>\n<name>b</nam></domain>",
		  "line 3: Opening and ending tag mismatch");
	parse_bad("<domain><name>a</name><memory>1</memory></domain>\n<domain><name>b</name><memory>1</memory></domain>\n"
		  "<domain/>",
		  "line 3: more than two documents");
	parse_bad("<domain><name>a</name><memory>1</memory></domain>\ntrailing text", "line 2: ");
}
END_TEST

static void disk_eq(const struct dom_disk *a, const struct dom_disk *b)
{
	ck_assert(a->type == b->type && a->device == b->device && a->fmt == b->fmt && a->bus == b->bus &&
		  a->readonly == b->readonly);
	ck_assert_pstr_eq(a->source, b->source);
	ck_assert_pstr_eq(a->pool, b->pool);
	ck_assert_pstr_eq(a->volume, b->volume);
	ck_assert_pstr_eq(a->target, b->target);
}

/* field by field: what a round trip must keep */
static void domain_eq(const struct domain *a, const struct domain *b)
{
	ck_assert_pstr_eq(a->name, b->name);
	ck_assert(a->has_uuid == b->has_uuid && !memcmp(a->uuid, b->uuid, 16));
	ck_assert_pstr_eq(a->title, b->title);
	ck_assert_pstr_eq(a->description, b->description);
	ck_assert(a->memory == b->memory && a->current_memory == b->current_memory && a->vcpus == b->vcpus);
	ck_assert_pstr_eq(a->os_arch, b->os_arch);
	ck_assert_pstr_eq(a->os_machine, b->os_machine);
	ck_assert_pstr_eq(a->kernel, b->kernel);
	ck_assert_pstr_eq(a->initrd, b->initrd);
	ck_assert_pstr_eq(a->cmdline, b->cmdline);
	ck_assert(a->nboot == b->nboot && !memcmp(a->boot, b->boot, sizeof(a->boot[0]) * a->nboot));
	ck_assert(a->acpi == b->acpi && a->apic == b->apic && a->cpu_mode == b->cpu_mode);
	ck_assert_pstr_eq(a->clock_offset, b->clock_offset);
	ck_assert(a->on_poweroff == b->on_poweroff && a->on_reboot == b->on_reboot && a->on_crash == b->on_crash);
	ck_assert(a->hugepages == b->hugepages && a->virtio_scsi == b->virtio_scsi);
	ck_assert_uint_eq(a->ndisks, b->ndisks);
	for (unsigned i = 0; i < a->ndisks; i++)
		disk_eq(&a->disks[i], &b->disks[i]);
	ck_assert_uint_eq(a->nnets, b->nnets);
	for (unsigned i = 0; i < a->nnets; i++) {
		ck_assert(a->nets[i].type == b->nets[i].type);
		ck_assert_str_eq(a->nets[i].mac, b->nets[i].mac);
		ck_assert_pstr_eq(a->nets[i].bridge, b->nets[i].bridge);
		ck_assert_pstr_eq(a->nets[i].tap, b->nets[i].tap);
		ck_assert_pstr_eq(a->nets[i].model, b->nets[i].model);
	}
	ck_assert(a->serial_pty == b->serial_pty && a->console_pty == b->console_pty);
	ck_assert(a->graphics_vnc == b->graphics_vnc && a->vnc_port == b->vnc_port);
	ck_assert_pstr_eq(a->vnc_listen, b->vnc_listen);
	ck_assert_pstr_eq(a->video_model, b->video_model);
}

static void round_trip(const char *xml)
{
	struct domain *a = parse_ok(xml, NULL);
	char *x1 = domain_format(a);
	ck_assert_ptr_nonnull(x1);
	struct domain *b = parse_ok(x1, NULL);
	domain_eq(a, b);
	char *x2 = domain_format(b);
	ck_assert_str_eq(x1, x2);
	free(x1);
	free(x2);
	domain_free(a);
	domain_free(b);
}

START_TEST(round_trips)
{
	round_trip(full_xml);
	/* strings that need escaping, blanks that must survive, and no uuid (generated once) */
	round_trip("<domain><name>esc</name><memory unit='b'>5000</memory>"
		   "<title>  it's \"quoted\" &amp; &lt;tagged&gt; </title>"
		   "<description>\ttab\r\nCR-LF &#13; end </description>"
		   "<os><kernel>/k/a'b\"c&amp;d</kernel><cmdline> a=&quot;1 2&quot;\tb=&apos;&lt;&gt;&apos; </cmdline></os>"
		   "<devices><disk type='file'><source file='/a/b c&amp;&apos;.img'/><target dev='vda'/></disk>"
		   "<graphics type='vnc'/><video/></devices></domain>");
	struct domain *d = parse_ok("<domain><name>u</name><memory>1</memory></domain>", NULL);
	char *x = domain_format(d);
	ck_assert(d->has_uuid);
	ck_assert_uint_eq(d->uuid[6] >> 4, 4);
	char *y = domain_format(d);
	ck_assert_str_eq(x, y); /* the same uuid from then on */
	ck_assert_ptr_nonnull(strstr(x, "<domain type='kvm'>"));
	ck_assert_ptr_nonnull(strstr(x, "<memory unit='KiB'>1</memory>"));
	free(x);
	free(y);
	domain_free(d);
}
END_TEST

static int app_errors;
static void app_handler(void *opaque, xmlErrorPtr e) { app_errors++; }

/* libxml2 itself never writes to stderr, whatever the input, and the program's own libxml2 error
 * handler is neither called nor replaced */
START_TEST(quiet)
{
	xmlSetStructuredErrorFunc(&app_errors, app_handler);
	char path[] = "/tmp/kvmini-domxml-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	int saved = dup(2);
	dup2(fd, 2);
	parse_bad("<domain><name>x</name>\n<oops></domain>", "line 2");
	parse_bad("<?xml version='1.0' encoding='no-such-charset'?><domain/>", "line 1");
	parse_bad("<domain xmlns:a='x'><a:b/><c:d/></domain>", "line 1");
	parse_bad("<!DOCTYPE d SYSTEM 'file:///etc/passwd'><domain/>", "DOCTYPE");
	parse_bad("<domain>\xff\xfe</domain>", "line 1");
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	close(fd);
	unlink(path);
	ck_assert_int_eq(app_errors, 0);
	ck_assert(xmlStructuredError == app_handler && xmlStructuredErrorContext == &app_errors);
	xmlFreeDoc(xmlReadMemory("<a>", 3, NULL, NULL, 0));
	ck_assert_int_gt(app_errors, 0);
	xmlSetStructuredErrorFunc(NULL, NULL);
}
END_TEST

START_TEST(from_file)
{
	char path[] = "/tmp/kvmini-domxml-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, full_xml, strlen(full_xml)), (ssize_t)strlen(full_xml));
	close(fd);
	struct domain *d[2];
	ck_assert_int_eq(domain_parse_file(path, d, err, sizeof(err), NULL, NULL), 0);
	ck_assert_str_eq(d[0]->name, "full-1");
	domain_free(d[0]);
	unlink(path);
	ck_assert_int_eq(domain_parse_file(path, d, err, sizeof(err), NULL, NULL), -ENOENT);
	ck_assert_str_eq(err, "No such file or directory");
	ck_assert_int_eq(domain_parse_file("/tmp", d, err, sizeof(err), NULL, NULL), -EINVAL);
	ck_assert_str_eq(err, "not a regular file");
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("domain_xml");
	TCase *tc = tcase_create("domain_xml");
	tcase_add_test(tc, every_element);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, units);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, warnings_once);
	tcase_add_test(tc, two_documents);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, quiet);
	tcase_add_test(tc, from_file);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
