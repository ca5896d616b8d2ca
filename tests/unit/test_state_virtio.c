// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved state of virtio devices, the PCI host and MSI-X: a source machine (fake RAM, a PCI host and
 * a virtio-pci device) is driven by a driver, paused and saved; a target built the same way gets a
 * copy of the RAM and the stream. The target must then show the driver the same registers, MSI-X
 * table and pending bits, BAR where the driver moved it, and go on with the next descriptor, with
 * the interrupts the source would have sent. Streams of another device, and damaged payloads, are
 * refused without a change. virtio-mmio with an I/O thread: a kick that came while paused is served
 * at resume. */
#include "state_test.h"
#include "vring.h"
#include "pci_drv.h"
#include "vmmio_drv.h"
#include "devices/pci.h"
#include "virtio/queue.h"
#include "vmm/bus.h"
#include "vmm/le.h"

#include <unistd.h>

#define RAM (1 << 20)
#define SLOT 1
#define RING0 0x10000
#define BUFS 0x40000

struct dummy {
	struct virtio_dev vd;
	int handled;
	uint8_t config[4];
	struct virtq_chain c;
};

static void d_cfg(struct virtio_dev *vd, unsigned off, void *data, unsigned size)
{
	memcpy(data, ((struct dummy *)vd)->config + off, size);
}

/* answers every chain with its head as the length written, so used entries say who answered */
static void d_handle(struct virtio_dev *vd, unsigned q)
{
	struct dummy *d = (struct dummy *)vd;
	struct virtq *vq = virtio_dev_queue(vd, q);
	__atomic_add_fetch(&d->handled, 1, __ATOMIC_RELEASE);
	while (virtq_pop(vq, &d->c) > 0)
		virtq_push(vq, d->c.head, 100 + d->c.head);
	virtq_notify(vq);
}
static const struct virtio_dev_ops d_ops = { .config_read = d_cfg, .handle_queue = d_handle };
static const struct vm_hooks hooks = { .set_irq = irqrec_set, .signal_msi = irqrec_msi };

struct mach {
	struct fake_ram ram;
	struct irq_recorder irq;
	struct bus pio, mmio;
	struct pci_host *host;
	struct dummy d;
	struct state_registry g;
	uint64_t bar;
	unsigned msix; /* config offset of the MSI-X capability */
};

static void mach_init(struct mach *m, uint16_t device_id, unsigned nq)
{
	memset(m, 0, sizeof(*m));
	fake_ram_init(&m->ram, 0, RAM);
	bus_init(&m->pio, "pio");
	bus_init(&m->mmio, "mmio");
	ck_assert_int_eq(pci_host_create(&m->host, &m->pio, &m->mmio, &hooks, &m->irq), 0);
	m->d.vd.ops = &d_ops;
	m->d.vd.name = "state-test";
	m->d.vd.device_id = device_id;
	m->d.vd.pci_class = 0xff0000;
	m->d.vd.num_queues = nq;
	m->d.vd.queue_max = 16;
	m->d.vd.config_len = 4;
	memcpy(m->d.config, "abcd", 4);
	struct virtio_env env = { .mem = &m->ram.mem, .hooks = &hooks, .hooks_opaque = &m->irq, .no_iothread = 1 };
	ck_assert_int_eq(virtio_pci_create(&m->d.vd, m->host, &env), 0);
	state_registry_init(&m->g);
	ck_assert_int_eq(state_registry_add(&m->g, &pci_host_state_ops, 0, m->host), 0);
	ck_assert_int_eq(state_registry_add(&m->g, &virtio_state_ops, 0, &m->d.vd), 0);
}

static void mach_free(struct mach *m)
{
	state_registry_free(&m->g);
	pci_host_destroy(m->host);
	virtio_dev_destroy(&m->d.vd);
	bus_destroy(&m->pio);
	bus_destroy(&m->mmio);
	fake_ram_free(&m->ram);
}

static uint32_t cfg_rd(struct mach *m, unsigned reg, unsigned size) { return pdrv_cfg_rd(&m->pio, SLOT, reg, size); }
static void cfg_wr(struct mach *m, unsigned reg, uint32_t v, unsigned size) { pdrv_cfg_wr(&m->pio, SLOT, reg, v, size); }
static uint64_t bar_rd(struct mach *m, uint64_t off, unsigned size) { return pdrv_mem_rd(&m->mmio, m->bar + off, size); }
static void bar_wr(struct mach *m, uint64_t off, uint64_t v, unsigned size) { pdrv_mem_wr(&m->mmio, m->bar + off, v, size); }

static void find_msix(struct mach *m)
{
	m->bar = (cfg_rd(m, 0x10, 4) & ~0xfULL) | (uint64_t)cfg_rd(m, 0x14, 4) << 32;
	for (unsigned c = cfg_rd(m, 0x34, 1); c; c = cfg_rd(m, c + 1, 1))
		if (cfg_rd(m, c, 1) == 0x11)
			m->msix = c;
	ck_assert_uint_ne(m->msix, 0);
}

/* common configuration offsets (virtio 1.2 §4.1.4.3) and the layout virtio/pci.c uses */
enum { C_DFSEL = 0x00, C_GFSEL = 0x08, C_GF = 0x0c, C_MSIXCFG = 0x10, C_STATUS = 0x14, C_QSEL = 0x16,
       C_QSIZE = 0x18, C_QVEC = 0x1a, C_QEN = 0x1c, C_QDESC = 0x20, C_QAVAIL = 0x28, C_QUSED = 0x30 };
#define NOTIFY 0x3000
#define MSIX_TABLE 0x4000
#define MSIX_PBA 0x5000

/* A driver's bring-up with the BAR moved first, EVENT_IDX, MSI-X vectors 0 (config) and 1 (queue 0). */
static void drive(struct mach *m, struct tring *r)
{
	find_msix(m);
	uint64_t moved = m->bar + 0x100000;
	cfg_wr(m, 0x04, 0, 2); /* decoding off, BAR moved, decoding on */
	cfg_wr(m, 0x10, (uint32_t)moved, 4);
	cfg_wr(m, 0x14, (uint32_t)(moved >> 32), 4);
	cfg_wr(m, 0x04, 0x06, 2);
	find_msix(m);
	ck_assert_uint_eq(m->bar, moved);
	bar_wr(m, C_STATUS, 0, 1);
	bar_wr(m, C_STATUS, 3, 1);
	bar_wr(m, C_GFSEL, 0, 4);
	bar_wr(m, C_GF, 1u << VIRTIO_F_RING_EVENT_IDX, 4);
	bar_wr(m, C_GFSEL, 1, 4);
	bar_wr(m, C_GF, 1, 4);
	bar_wr(m, C_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK, 1);
	bar_wr(m, C_MSIXCFG, 0, 2);
	tring_init(r, &m->ram, RING0, 8);
	bar_wr(m, C_QSEL, 0, 2);
	bar_wr(m, C_QSIZE, 8, 2);
	bar_wr(m, C_QVEC, 1, 2);
	bar_wr(m, C_QDESC, r->desc, 8);
	bar_wr(m, C_QAVAIL, r->avail, 8);
	bar_wr(m, C_QUSED, r->used, 8);
	bar_wr(m, C_QEN, 1, 2);
	for (unsigned v = 0; v < 2; v++) {
		bar_wr(m, MSIX_TABLE + 16 * v, 0xfee00000 + 0x1000 * v, 4);
		bar_wr(m, MSIX_TABLE + 16 * v + 4, 0, 4);
		bar_wr(m, MSIX_TABLE + 16 * v + 8, 0x40 + v, 4);
		bar_wr(m, MSIX_TABLE + 16 * v + 12, 0, 4);
	}
	cfg_wr(m, m->msix + 2, cfg_rd(m, m->msix + 2, 2) | 0x8000, 2); /* MSI-X on */
	bar_wr(m, C_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK, 1);
	for (unsigned i = 0; i < 8; i++)
		tdesc(r, i, BUFS + 0x100 * i, 0x100, VIRTQ_DESC_F_WRITE, 0);
	for (unsigned i = 0; i < 3; i++)
		tavail(r, (uint16_t)i);
	tset_used_event(r, 0);
	bar_wr(m, NOTIFY, 0, 2);
	ck_assert_uint_eq(tused_idx(r), 3);
	ck_assert_int_eq(m->irq.nmsi, 1);
	/* vector 1 masked: the next answer leaves a pending bit instead of an MSI */
	bar_wr(m, MSIX_TABLE + 16 + 12, 1, 4);
	tset_used_event(r, 3);
	tavail(r, 3);
	bar_wr(m, NOTIFY, 0, 2);
	ck_assert_uint_eq(tused_idx(r), 4);
	ck_assert_int_eq(m->irq.nmsi, 1);
	ck_assert_uint_eq(bar_rd(m, MSIX_PBA, 4), 2);
	/* the driver leaves a different queue selected and feature select pointing high */
	bar_wr(m, C_QSEL, 1, 2);
	bar_wr(m, C_DFSEL, 1, 4);
}

/* everything a driver reads from the common configuration, per queue, and the MSI-X table */
static void regs(struct mach *m, uint8_t *o)
{
	for (unsigned q = 0; q < 2; q++) {
		bar_wr(m, C_QSEL, q, 2);
		for (unsigned off = 0; off < 0x3c; off += 2)
			le_put16(o, 0x40 * q + off, (uint16_t)bar_rd(m, off, 2));
	}
	bar_wr(m, C_QSEL, 1, 2);
	for (unsigned off = 0; off < 3 * 16; off += 4)
		le_put32(o, 0x80 + off, (uint32_t)bar_rd(m, MSIX_TABLE + off, 4));
	le_put32(o, 0xb0, (uint32_t)bar_rd(m, MSIX_PBA, 4));
	for (unsigned off = 0; off < 0x40; off += 4)
		le_put32(o, 0xb4 + off, cfg_rd(m, off, 4));
	le_put32(o, 0xf4, (uint32_t)bar_rd(m, 0x2000, 4)); /* device config */
}

static uint8_t *save_machine(struct mach *m, size_t *n)
{
	struct state_writer w;
	state_writer_init(&w);
	ck_assert_int_eq(state_registry_save(&m->g, &w), 0);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	const uint8_t *b = state_writer_data(&w, n);
	uint8_t *copy = malloc(*n);
	memcpy(copy, b, *n);
	state_writer_free(&w);
	return copy;
}

START_TEST(pci_round_trip)
{
	static struct mach a, b;
	struct tring ra, rb;
	mach_init(&a, 42, 2);
	drive(&a, &ra);
	ck_assert_int_eq(virtio_dev_pause(&a.d.vd), 0);
	size_t n;
	uint8_t *stream = save_machine(&a, &n);
	uint8_t ga[0x100] = { 0 }, gb[0x100] = { 0 };
	regs(&a, ga);

	mach_init(&b, 42, 2);
	memcpy(b.ram.buf, a.ram.buf, RAM); /* guest RAM travels separately */
	struct state_stream s;
	char why[128] = "";
	ck_assert_int_eq(state_open(&s, stream, n, why, sizeof(why)), 0);
	ck_assert_int_eq(state_registry_load(&b.g, &s, NULL, why, sizeof(why)), 0);
	virtio_dev_resume(&b.d.vd);
	find_msix(&b);
	ck_assert_uint_eq(b.bar, a.bar); /* the BAR where the driver put it, and mapped there */
	regs(&b, gb);
	for (unsigned i = 0; i < sizeof(ga); i++)
		ck_assert_msg(ga[i] == gb[i], "register byte 0x%x: %02x on the source, %02x on the target", i, ga[i], gb[i]);
	ck_assert_int_eq(b.irq.nmsi, 0);

	/* both go on: unmasking delivers the pending MSI, the next chain is the fifth */
	virtio_dev_resume(&a.d.vd);
	tring_init(&rb, &b.ram, RING0, 8);
	rb.avail_idx = ra.avail_idx;
	struct mach *ms[2] = { &a, &b };
	struct tring *rs[2] = { &ra, &rb };
	int before[2] = { a.irq.nmsi, 0 };
	for (int i = 0; i < 2; i++) {
		struct mach *m = ms[i];
		bar_wr(m, MSIX_TABLE + 16 + 12, 0, 4);
		ck_assert_int_eq(m->irq.nmsi, before[i] + 1);
		ck_assert_uint_eq(m->irq.msi_addr[m->irq.nmsi - 1], 0xfee01000);
		ck_assert_uint_eq(m->irq.msi_data[m->irq.nmsi - 1], 0x41);
		ck_assert_uint_eq(bar_rd(m, MSIX_PBA, 4), 0);
		tset_used_event(rs[i], 4);
		tavail(rs[i], 6);
		bar_wr(m, NOTIFY, 0, 2);
		ck_assert_uint_eq(tused_idx(rs[i]), 5);
		ck_assert_uint_eq(tused_id(rs[i], 4), 6);
		ck_assert_uint_eq(tused_len(rs[i], 4), 106);
		ck_assert_uint_eq(tavail_event(rs[i]), 5); /* EVENT_IDX went on from the saved index */
		ck_assert_int_eq(m->irq.nmsi, before[i] + 2); /* used_event 4 crossed: interrupt */
	}
	ck_assert_mem_eq(a.ram.buf + ra.used, b.ram.buf + rb.used, 4 + 8 * 8 + 2);
	free(stream);
	mach_free(&a);
	mach_free(&b);
}
END_TEST

static uint8_t *virtio_payload(struct mach *m, size_t *n) { return st_save(&virtio_state_ops, &m->d.vd, n); }

START_TEST(pci_refusals)
{
	static struct mach a, b, c;
	struct tring ra;
	mach_init(&a, 42, 2);
	drive(&a, &ra);
	ck_assert_int_eq(virtio_dev_pause(&a.d.vd), 0);
	size_t n;
	uint8_t *p = virtio_payload(&a, &n);
	mach_init(&b, 42, 2);
	memcpy(b.ram.buf, a.ram.buf, RAM);
	ck_assert_int_eq(virtio_dev_pause(&b.d.vd), 0);
	st_check_short(&virtio_state_ops, &b.d.vd, p, n, 0);
	ck_assert_uint_gt(st_check_mutations(&virtio_state_ops, &b.d.vd, p, n, 0), 100);

	/* specific values a device must not take */
	uint8_t *bad = malloc(n);
	const unsigned q0 = 24; /* after ids, features, status, config generation */
	struct { unsigned off, len; uint64_t v; } cases[] = {
		{ 0, 2, 43 }, /* another device type */
		{ 2, 2, 3 }, /* queue count */
		{ 16, 4, VIRTIO_STATUS_DRIVER_OK | 3 }, /* DRIVER_OK without FEATURES_OK */
		{ 8, 8, 1ULL << 40 }, /* a feature never offered, accepted */
		{ q0, 2, 6 }, /* queue size not a power of two */
		{ q0, 2, 32 }, /* beyond the maximum */
		{ q0 + 2, 2, 9 }, /* MSI-X vector beyond the table */
		{ q0 + 4, 8, RAM - 16 }, /* descriptor table past the end of RAM */
		{ q0 + 12, 8, 0xfffffffffffff000ULL }, /* avail ring nowhere */
		{ q0 + 20, 8, RING0 + 2 }, /* misaligned used ring */
		{ q0 + 29, 2, 200 }, /* last_avail far beyond what was answered */
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, p, n);
		if (cases[i].len == 2)
			le_put16(bad, cases[i].off, (uint16_t)cases[i].v);
		else if (cases[i].len == 4)
			le_put32(bad, cases[i].off, (uint32_t)cases[i].v);
		else
			le_put64(bad, cases[i].off, cases[i].v);
		ck_assert_msg(st_load(&virtio_state_ops, &b.d.vd, bad, n) == -EINVAL, "case %u accepted", i);
	}
	free(bad);
	/* the same payload into a device with another queue count or type */
	mach_init(&c, 42, 3);
	ck_assert_int_eq(st_load(&virtio_state_ops, &c.d.vd, p, n), -EINVAL);
	mach_free(&c);
	mach_init(&c, 7, 2);
	ck_assert_int_eq(st_load(&virtio_state_ops, &c.d.vd, p, n), -EINVAL);
	mach_free(&c);

	/* not paused: a save is refused */
	virtio_dev_resume(&a.d.vd);
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, "virtio", 0, 1);
	ck_assert_int_eq(virtio_dev_state_save(&a.d.vd, &w), -EBUSY);
	state_writer_free(&w);

	/* the host: CONFIG_ADDRESS and the bridge */
	free(p);
	p = st_save(&pci_host_state_ops, a.host, &n);
	ck_assert_uint_eq(n, 4 + 1 + 256);
	st_check_short(&pci_host_state_ops, b.host, p, n, 0);
	ck_assert_uint_gt(st_check_mutations(&pci_host_state_ops, b.host, p, n, 0), 100);
	bad = malloc(n);
	memcpy(bad, p, n);
	bad[0] = 1; /* CONFIG_ADDRESS bits that do not exist */
	ck_assert_int_eq(st_load(&pci_host_state_ops, b.host, bad, n), -EINVAL);
	memcpy(bad, p, n);
	bad[5] ^= 1; /* the bridge's vendor id */
	ck_assert_int_eq(st_load(&pci_host_state_ops, b.host, bad, n), -EINVAL);
	free(bad);
	free(p);
	mach_free(&a);
	mach_free(&b);
}
END_TEST

/* ---- virtio-mmio with an I/O thread ---- */

#define MBASE 0xd0000000ULL

static void mmio_dev(struct dummy *d, struct fake_ram *ram, struct bus *mmio, struct irq_recorder *irq)
{
	memset(d, 0, sizeof(*d));
	d->vd.ops = &d_ops;
	d->vd.name = "mmio-state";
	d->vd.device_id = 42;
	d->vd.num_queues = 1;
	d->vd.queue_max = 16;
	d->vd.config_len = 4;
	struct virtio_env env = { .mem = &ram->mem, .hooks = &hooks, .hooks_opaque = irq };
	ck_assert_int_eq(virtio_mmio_create(&d->vd, mmio, MBASE, 5, &env), 0);
}

static void wait_used_idx(struct tring *r, uint16_t want)
{
	for (int i = 0; i < 2000 && tused_idx(r) != want; i++)
		usleep(1000);
	ck_assert_uint_eq(tused_idx(r), want);
}

START_TEST(mmio_iothread_kick_while_paused)
{
	static struct fake_ram ra, rb;
	static struct dummy a, b;
	struct bus ma, mb;
	struct irq_recorder ia, ib;
	memset(&ia, 0, sizeof(ia));
	memset(&ib, 0, sizeof(ib));
	fake_ram_init(&ra, 0, RAM);
	fake_ram_init(&rb, 0, RAM);
	bus_init(&ma, "mmio");
	bus_init(&mb, "mmio");
	mmio_dev(&a, &ra, &ma, &ia);
	mmio_dev(&b, &rb, &mb, &ib);
	struct tring r;
	tring_init(&r, &ra, RING0, 8);
	ck_assert(mdrv_negotiate(&ma, MBASE, 1ULL << VIRTIO_F_VERSION_1) & VIRTIO_STATUS_FEATURES_OK);
	mdrv_queue(&ma, MBASE, 0, &r);
	mdrv_driver_ok(&ma, MBASE);
	for (unsigned i = 0; i < 8; i++)
		tdesc(&r, i, BUFS + 0x100 * i, 0x100, VIRTQ_DESC_F_WRITE, 0);
	tavail(&r, 0);
	mdrv_kick(&ma, MBASE, 0);
	wait_used_idx(&r, 1);

	ck_assert_int_eq(virtio_dev_pause(&a.vd), 0);
	tavail(&r, 1); /* the driver queued one more and kicked as the VM stopped */
	mdrv_kick(&ma, MBASE, 0);
	usleep(20000);
	ck_assert_uint_eq(tused_idx(&r), 1); /* paused: nobody served it */
	size_t n;
	uint8_t *p = st_save(&virtio_state_ops, &a.vd, &n);
	memcpy(rb.buf, ra.buf, RAM);
	ck_assert_int_eq(st_load(&virtio_state_ops, &b.vd, p, n), 0);
	virtio_dev_resume(&b.vd); /* the target never saw that kick: resume re-runs the queue */
	struct tring rt;
	tring_init(&rt, &rb, RING0, 8);
	wait_used_idx(&rt, 2);
	ck_assert_uint_eq(tused_id(&rt, 1), 1);
	ck_assert_uint_eq(mr32(&mb, MBASE + 0x70), mr32(&ma, MBASE + 0x70));
	virtio_dev_resume(&a.vd); /* and the source, if it goes on, serves it too */
	wait_used_idx(&r, 2);
	/* and the state can be taken again from the resumed target */
	ck_assert_int_eq(virtio_dev_pause(&b.vd), 0);
	size_t n2;
	uint8_t *p2 = st_save(&virtio_state_ops, &b.vd, &n2);
	ck_assert_uint_eq(n2, n);
	virtio_dev_resume(&b.vd);
	free(p);
	free(p2);
	virtio_dev_destroy(&a.vd);
	virtio_dev_destroy(&b.vd);
	bus_destroy(&ma);
	bus_destroy(&mb);
	fake_ram_free(&ra);
	fake_ram_free(&rb);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("state_virtio");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, pci_round_trip);
	tcase_add_test(t, pci_refusals);
	tcase_add_test(t, mmio_iothread_kick_while_paused);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
