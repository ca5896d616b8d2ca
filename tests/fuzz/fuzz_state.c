// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the state stream reader (vmm/state.c) and every device's load. The input is a state
 * stream. It is opened as it is (magic, version, CRC, framing), then again with its CRC made right
 * so mutations reach the sections: each section is loaded straight into the device its id names,
 * then the whole stream through the registry of a machine with every device model (8250, RTC,
 * i8042, ACPI PM, PCI host, virtio-pci with a test device and virtio-net, virtio-mmio virtio-blk).
 * The input doubles as guest RAM, so loaded rings point at hostile contents; after a load the
 * virtio devices resume and their queues are kicked. Invariant: a machine state the registry
 * accepted saves again and that stream loads back (abort otherwise).
 * Seed: KVMINI_FUZZ_STATE_SEED=FILE build/fuzz/fuzz_state writes a valid stream of a machine with
 * a running virtio-blk queue to FILE and exits (tests/fuzz/corpus/fuzz_state/ holds one). */
#include "fuzz.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "devices/acpi_pm.h"
#include "devices/disk/disk.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/queue.h"
#include "vmm/state.h"

#define RAM_SIZE 0x10000

int LLVMFuzzerInitialize(int *argc, char ***argv);

struct tdev {
	struct virtio_dev vd;
	struct virtq_chain c;
};

static void t_cfg(struct virtio_dev *vd, unsigned off, void *data, unsigned size) { memset(data, 0, size); }
static void t_handle(struct virtio_dev *vd, unsigned q)
{
	struct tdev *t = (struct tdev *)vd;
	struct virtq *vq = virtio_dev_queue(vd, q);
	while (virtq_pop(vq, &t->c) > 0)
		virtq_push(vq, t->c.head, 0);
	virtq_notify(vq);
}
static const struct virtio_dev_ops t_ops = { .config_read = t_cfg, .handle_queue = t_handle };

static void nop_irq(void *o, int reason) {}
static int set_irq(void *o, unsigned gsi, int level) { return 0; }
static int msi(void *o, uint64_t a, uint32_t d) { return 0; }
static const struct vm_hooks hooks = { .set_irq = set_irq, .signal_msi = msi, .request_stop = nop_irq };

struct machine {
	struct fz_ram *ram;
	struct bus pio, mmio;
	struct serial *uart;
	struct rtc *rtc;
	struct i8042 *kbc;
	struct acpi_pm *pm;
	struct pci_host *host;
	struct tdev test;
	struct virtio_net *net;
	struct virtio_blk *blk;
	struct virtio_dev *vds[3];
	struct state_registry g;
};

static struct disk *the_disk(void)
{
	struct disk *d = NULL;
	int fd = memfd_create("fuzz-state", 0);
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct disk_opts o = { .format = DISK_FMT_RAW };
	if (fd < 0 || ftruncate(fd, 1 << 20) || disk_open(&d, path, &o, NULL))
		fz_die("cannot open the raw disk");
	return d;
}

static struct machine *the_machine(void)
{
	static struct machine m;
	if (m.ram)
		return &m;
	m.ram = fz_ram_get(RAM_SIZE);
	bus_init(&m.pio, "pio");
	bus_init(&m.mmio, "mmio");
	struct serial_config sc = { .base = 0x3f8, .irq = { .hooks = &hooks, .gsi = 4 } };
	struct irq_line l1 = { .hooks = &hooks, .gsi = 1 }, l9 = { .hooks = &hooks, .gsi = 9 };
	if (serial_create(&m.uart, &m.pio, &sc) || rtc_create(&m.rtc, &m.pio) ||
	    i8042_create(&m.kbc, &m.pio, &l1, &hooks, NULL) || acpi_pm_create(&m.pm, &m.pio, &l9, &hooks, NULL, 0) ||
	    pci_host_create(&m.host, &m.pio, &m.mmio, &hooks, NULL))
		fz_die("devices");
	struct virtio_env env = { .mem = &m.ram->mem, .hooks = &hooks, .no_iothread = 1 };
	m.test.vd = (struct virtio_dev){ .ops = &t_ops, .name = "fuzz-test", .device_id = 42, .pci_class = 0xff0000,
					 .num_queues = 2, .queue_max = 16, .config_len = 4 };
	static int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		fz_die("socketpair");
	struct virtio_net_backend be = { .fds = { sv[0] }, .nfds = 1 };
	struct virtio_net_opts no = { .mac = { 0x52, 0x56, 0, 0, 0, 1 }, .queue_size = 16, .name = "fuzz-net" };
	struct virtio_blk_opts bo = { .queue_size = 16 };
	if (virtio_pci_create(&m.test.vd, m.host, &env) || virtio_net_create(&m.net, &be, &no) ||
	    virtio_pci_create(virtio_net_dev(m.net), m.host, &env) || virtio_blk_create(&m.blk, the_disk(), &bo) ||
	    virtio_mmio_create(virtio_blk_dev(m.blk), &m.mmio, FZ_MMIO_BASE, FZ_MMIO_GSI, &env))
		fz_die("virtio devices");
	m.vds[0] = &m.test.vd;
	m.vds[1] = virtio_net_dev(m.net);
	m.vds[2] = virtio_blk_dev(m.blk);
	state_registry_init(&m.g);
	if (state_registry_add(&m.g, &serial_state_ops, 0, m.uart) || state_registry_add(&m.g, &rtc_state_ops, 0, m.rtc) ||
	    state_registry_add(&m.g, &i8042_state_ops, 0, m.kbc) ||
	    state_registry_add(&m.g, &acpi_pm_state_ops, 0, m.pm) ||
	    state_registry_add(&m.g, &pci_host_state_ops, 0, m.host))
		fz_die("registry");
	for (unsigned i = 0; i < 3; i++)
		if (state_registry_add(&m.g, &virtio_state_ops, i, m.vds[i]))
			fz_die("registry");
	return &m;
}

/* the registry entry a section's id names (first instance of that id, or the instance asked) */
static const struct state_entry *entry_for(const struct machine *m, const struct state_section *sec)
{
	const struct state_entry *any = NULL;
	for (size_t i = 0; i < m->g.n; i++) {
		const struct state_entry *e = &m->g.e[i];
		if (strcmp(e->ops->id, sec->id))
			continue;
		if (e->instance == sec->instance)
			return e;
		if (!any)
			any = e;
	}
	return any;
}

static uint8_t *save(struct machine *m, size_t *n)
{
	for (unsigned i = 0; i < 3; i++)
		if (virtio_dev_pause(m->vds[i]))
			fz_die("pause after a load");
	struct state_writer w;
	state_writer_init(&w);
	if (state_registry_save(&m->g, &w) || state_writer_finish(&w))
		fz_die("a loaded machine does not save");
	const uint8_t *b = state_writer_data(&w, n);
	uint8_t *copy = malloc(*n);
	if (!copy)
		fz_die("malloc");
	memcpy(copy, b, *n);
	state_writer_free(&w);
	return copy;
}

static void run_devices(struct machine *m)
{
	for (unsigned i = 0; i < 3; i++) {
		virtio_dev_resume(m->vds[i]);
		for (unsigned q = 0; q < m->vds[i]->num_queues; q++)
			virtio_dev_notify(m->vds[i], q);
	}
	virtio_net_poll_rx(m->net, 0);
	uint8_t v;
	for (unsigned p = 0; p < 8; p++)
		bus_access(&m->pio, 0x3f8 + p, &v, 1, 0);
	bus_access(&m->pio, 0x64, &v, 1, 0);
	bus_access(&m->pio, 0x60, &v, 1, 0);
}

static void seed(const char *path)
{
	struct machine *m = the_machine();
	struct fz_ram *ram = m->ram;
	memset(ram->buf, 0, ram->size);
	uint8_t v = 0x0d;
	bus_access(&m->pio, 0x3f9, &v, 1, 1); /* 8250 interrupts on, a byte waiting */
	serial_rx(m->uart, (const uint8_t *)"seed", 4);
	v = 0x40;
	bus_access(&m->pio, 0x70, &v, 1, 1);
	bus_access(&m->pio, 0x71, &v, 1, 1);
	fz_mmio_negotiate(&m->mmio, 1u << VIRTIO_F_RING_EVENT_IDX);
	struct fz_ring r = { .size = 16, .desc = 0x1000, .avail = 0x2000, .used = 0x3000 };
	fz_mmio_queue(&m->mmio, 0, &r);
	fz_mmio_driver_ok(&m->mmio);
	size_t n;
	uint8_t *b = save(m, &n);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n || fclose(f))
		fz_die("writing the seed");
	free(b);
	exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *s = getenv("KVMINI_FUZZ_STATE_SEED");
	if (s)
		seed(s);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct machine *m = the_machine();
	struct state_stream s;
	char why[160];
	state_open(&s, data, size, why, sizeof(why)); /* as it is: mostly a CRC mismatch */
	if (size < STATE_MIN_SIZE || size > (1 << 20))
		return 0;
	uint8_t *b = malloc(size);
	if (!b)
		fz_die("malloc");
	memcpy(b, data, size);
	le_put32(b, size - 4, (uint32_t)crc32(0, b, (uInt)(size - 4)));
	if (state_open(&s, b, size, why, sizeof(why))) {
		free(b);
		return 0;
	}
	struct fz f = { data, size };
	fz_ram_load(m->ram, &f);
	/* each section straight into its device, whether or not the stream as a whole matches */
	struct state_section sec;
	while (state_next(&s, &sec)) {
		const struct state_entry *e = entry_for(m, &sec);
		if (e)
			e->ops->load(e->obj, &sec.r, sec.version);
	}
	if (state_registry_load(&m->g, &s, NULL, why, sizeof(why)) == 0) {
		size_t n;
		uint8_t *again = save(m, &n);
		struct state_stream s2;
		if (state_open(&s2, again, n, why, sizeof(why)) ||
		    state_registry_load(&m->g, &s2, NULL, why, sizeof(why))) {
			fprintf(stderr, "reload: %s\n", why);
			fz_die("a saved state does not load back");
		}
		free(again);
	}
	run_devices(m);
	free(b);
	return 0;
}
