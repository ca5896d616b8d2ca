// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-mmio transport with a dummy device: identification registers, feature negotiation,
 * queue setup, notify with and without ioeventfd, interrupt status/ack, config space, reset. */
#include "unit.h"
#include "vmmio_drv.h"
#include "virtio/queue.h"

#include <errno.h>
#include <stdio.h>

#define BASE 0xd0001000ULL
#define GSI 6

struct dummy {
	struct virtio_dev vd;
	int handled[2];
	int resets, activations;
	uint8_t config[8];
	struct virtq_chain c;
};

static void d_cfg_read(struct virtio_dev *vd, unsigned off, void *data, unsigned size)
{
	memcpy(data, ((struct dummy *)vd)->config + off, size);
}
static void d_cfg_write(struct virtio_dev *vd, unsigned off, const void *data, unsigned size)
{
	memcpy(((struct dummy *)vd)->config + off, data, size);
}
/* completes every chain with 0 bytes written */
static void d_handle(struct virtio_dev *vd, unsigned q)
{
	struct dummy *d = (struct dummy *)vd;
	struct virtq *vq = virtio_dev_queue(vd, q);
	d->handled[q]++;
	while (virtq_pop(vq, &d->c) > 0)
		virtq_push(vq, d->c.head, 0);
	virtq_notify(vq);
}
static void d_reset(struct virtio_dev *vd) { ((struct dummy *)vd)->resets++; }
static int d_activate(struct virtio_dev *vd)
{
	((struct dummy *)vd)->activations++;
	return 0;
}
static const struct virtio_dev_ops d_ops = {
	.config_read = d_cfg_read, .config_write = d_cfg_write, .handle_queue = d_handle,
	.reset = d_reset, .activate = d_activate,
};

static void dummy_init(struct dummy *d)
{
	memset(d, 0, sizeof(*d));
	d->vd.ops = &d_ops;
	d->vd.name = "dummy";
	d->vd.device_id = 42;
	d->vd.features = 1ULL << 3;
	d->vd.num_queues = 2;
	d->vd.queue_max = 128;
	d->vd.config_len = sizeof(d->config);
	memcpy(d->config, "cfgbytes", 8);
}

/* records ioeventfd registrations */
struct ioev_rec {
	struct irq_recorder irq;
	int n, assigned;
	uint64_t addr[8];
	int64_t match[8];
	unsigned len[8];
};
static int rec_ioev(void *o, uint64_t addr, unsigned len, int is_pio, int64_t dm, int efd, int assign)
{
	struct ioev_rec *r = o;
	if (assign && r->n < 8) {
		r->addr[r->n] = addr;
		r->len[r->n] = len;
		r->match[r->n] = dm;
		r->n++;
	}
	r->assigned += assign ? 1 : -1;
	return 0;
}
static const struct vm_hooks ioev_hooks = { .set_irq = irqrec_set, .ioeventfd = rec_ioev };

START_TEST(identification_and_negotiation)
{
	struct fake_ram ram;
	struct irq_recorder rec = { 0 };
	struct bus b;
	struct dummy d;
	fake_ram_init(&ram, 0, 1 << 20);
	bus_init(&b, "mmio");
	dummy_init(&d);
	struct virtio_env env = { .mem = &ram.mem, .hooks = &irqrec_hooks, .hooks_opaque = &rec, .no_iothread = 1 };
	ck_assert_int_eq(virtio_mmio_create(&d.vd, &b, BASE, GSI, &env), 0);
	ck_assert_uint_eq(mr32(&b, BASE + 0x00), 0x74726976);
	ck_assert_uint_eq(mr32(&b, BASE + 0x04), 2);
	ck_assert_uint_eq(mr32(&b, BASE + 0x08), 42);
	uint64_t f = mdrv_device_features(&b, BASE);
	ck_assert_uint_eq(f, (1ULL << 3) | VIRTIO_CORE_FEATURES);
	/* FEATURES_OK refused without VERSION_1, and for bits we do not offer */
	ck_assert(!(mdrv_negotiate(&b, BASE, 1ULL << 3) & VIRTIO_STATUS_FEATURES_OK));
	ck_assert(!(mdrv_negotiate(&b, BASE, f | (1ULL << 7)) & VIRTIO_STATUS_FEATURES_OK));
	/* DRIVER_OK without FEATURES_OK does not stick */
	mdrv_driver_ok(&b, BASE);
	ck_assert(!(mr32(&b, BASE + 0x70) & VIRTIO_STATUS_DRIVER_OK));
	ck_assert(mdrv_negotiate(&b, BASE, f) & VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(d.vd.driver_features, f);
	/* features are frozen after FEATURES_OK */
	mw32(&b, BASE + 0x24, 0);
	mw32(&b, BASE + 0x20, 0);
	ck_assert_uint_eq(d.vd.driver_features, f);
	mw32(&b, BASE + 0x30, 1);
	ck_assert_uint_eq(mr32(&b, BASE + 0x34), 128);
	mw32(&b, BASE + 0x30, 2);
	ck_assert_uint_eq(mr32(&b, BASE + 0x34), 0); /* no queue 2 */
	/* config space, 8 and 32 bit */
	uint8_t c8 = 0;
	ck_assert_int_ge(bus_access(&b, BASE + 0x101, &c8, 1, 0), 0);
	ck_assert_uint_eq(c8, 'f');
	mw32(&b, BASE + 0x104, 0x41414141);
	ck_assert(!memcmp(d.config + 4, "AAAA", 4));
	ck_assert_uint_eq(mr32(&b, BASE + 0x108), 0); /* past config_len */
	virtio_dev_destroy(&d.vd);
	ck_assert_int_eq(bus_access(&b, BASE, &c8, 1, 0), -ENOENT); /* unregistered */
	bus_destroy(&b);
	fake_ram_free(&ram);
}
END_TEST

START_TEST(notify_interrupt_reset)
{
	struct fake_ram ram;
	struct irq_recorder rec = { 0 };
	struct bus b;
	struct dummy d;
	struct tring r0, r1;
	fake_ram_init(&ram, 0, 1 << 20);
	bus_init(&b, "mmio");
	dummy_init(&d);
	struct virtio_env env = { .mem = &ram.mem, .hooks = &irqrec_hooks, .hooks_opaque = &rec, .no_iothread = 1 };
	ck_assert_int_eq(virtio_mmio_create(&d.vd, &b, BASE, GSI, &env), 0);
	ck_assert(mdrv_negotiate(&b, BASE, VIRTIO_CORE_FEATURES) & VIRTIO_STATUS_FEATURES_OK);
	tring_init(&r0, &ram, 0x10000, 8);
	tring_init(&r1, &ram, 0x20000, 128);
	mdrv_queue(&b, BASE, 0, &r0);
	mdrv_queue(&b, BASE, 1, &r1);
	mw32(&b, BASE + 0x30, 0);
	ck_assert_uint_eq(mr32(&b, BASE + 0x44), 1);
	ck_assert_uint_eq(mr32(&b, BASE + 0x80), 0x10000);
	/* a buffer made available before DRIVER_OK is looked at once DRIVER_OK is set */
	tdesc(&r1, 0, 0x50000, 64, VIRTQ_DESC_F_WRITE, 0);
	tavail(&r1, 0);
	mdrv_kick(&b, BASE, 1);
	ck_assert_int_eq(d.handled[1], 0);
	mdrv_driver_ok(&b, BASE);
	ck_assert_int_eq(d.activations, 1);
	ck_assert_int_eq(d.handled[1], 1);
	ck_assert_uint_eq(tused_idx(&r1), 1);
	ck_assert_int_eq(rec.raises[GSI], 1);
	ck_assert_int_eq(rec.level[GSI], 0); /* a pulse, not a level */
	ck_assert_uint_eq(mr32(&b, BASE + 0x60), 1);
	mw32(&b, BASE + 0x64, 1);
	ck_assert_uint_eq(mr32(&b, BASE + 0x60), 0);
	/* ring registers are frozen while the queue is live */
	mw32(&b, BASE + 0x30, 0);
	mw32(&b, BASE + 0x80, 0x30000);
	ck_assert_uint_eq(mr32(&b, BASE + 0x80), 0x10000);
	/* config change */
	virtio_config_changed(&d.vd);
	ck_assert_uint_eq(mr32(&b, BASE + 0x60), 2);
	ck_assert_uint_eq(mr32(&b, BASE + 0xfc), 1);
	ck_assert_int_eq(rec.raises[GSI], 2);
	/* reset */
	mw32(&b, BASE + 0x70, 0);
	ck_assert_uint_eq(mr32(&b, BASE + 0x70), 0);
	ck_assert_uint_eq(mr32(&b, BASE + 0x60), 0);
	ck_assert_uint_eq(mr32(&b, BASE + 0x44), 0);
	ck_assert_int_eq(d.resets, 2); /* negotiate began with a reset too */
	mdrv_kick(&b, BASE, 1);
	ck_assert_int_eq(d.handled[1], 1);
	virtio_dev_destroy(&d.vd);
	bus_destroy(&b);
	fake_ram_free(&ram);
}
END_TEST

START_TEST(ioeventfd_registered)
{
	struct fake_ram ram;
	struct ioev_rec rec = { 0 };
	struct bus b;
	struct dummy d;
	fake_ram_init(&ram, 0, 1 << 20);
	bus_init(&b, "mmio");
	dummy_init(&d);
	struct virtio_env env = { .mem = &ram.mem, .hooks = &ioev_hooks, .hooks_opaque = &rec };
	ck_assert_int_eq(virtio_mmio_create(&d.vd, &b, BASE, GSI, &env), 0);
	ck_assert_int_eq(rec.n, 2);
	for (int q = 0; q < 2; q++) {
		ck_assert_uint_eq(rec.addr[q], BASE + 0x50);
		ck_assert_uint_eq(rec.len[q], 4);
		ck_assert_int_eq(rec.match[q], q);
	}
	virtio_dev_destroy(&d.vd);
	ck_assert_int_eq(rec.assigned, 0);
	bus_destroy(&b);
	fake_ram_free(&ram);
}
END_TEST

START_TEST(cmdline)
{
	char buf[64];
	ck_assert_int_gt(virtio_mmio_cmdline(buf, sizeof(buf), 0xd0000000, 5), 0);
	ck_assert_str_eq(buf, " virtio_mmio.device=4K@0xd0000000:5");
	ck_assert_int_eq(virtio_mmio_cmdline(buf, 10, 0xd0000000, 5), -ENOSPC);
}
END_TEST

START_TEST(bad_args)
{
	struct fake_ram ram;
	struct bus b;
	struct dummy d;
	fake_ram_init(&ram, 0, 1 << 20);
	bus_init(&b, "mmio");
	dummy_init(&d);
	struct virtio_env env = { .mem = &ram.mem, .no_iothread = 1 };
	ck_assert_int_eq(virtio_mmio_create(&d.vd, &b, BASE + 8, GSI, &env), -EINVAL);
	d.vd.queue_max = 100;
	ck_assert_int_eq(virtio_mmio_create(&d.vd, &b, BASE, GSI, &env), -EINVAL);
	dummy_init(&d);
	ck_assert_int_eq(virtio_mmio_create(&d.vd, &b, BASE, GSI, &env), 0);
	struct dummy d2;
	dummy_init(&d2);
	ck_assert_int_eq(virtio_mmio_create(&d2.vd, &b, BASE, GSI, &env), -EEXIST);
	virtio_dev_destroy(&d.vd);
	bus_destroy(&b);
	fake_ram_free(&ram);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtio-mmio");
	TCase *t = tcase_create("mmio");
	tcase_add_test(t, identification_and_negotiation);
	tcase_add_test(t, notify_interrupt_reset);
	tcase_add_test(t, ioeventfd_registered);
	tcase_add_test(t, cmdline);
	tcase_add_test(t, bad_args);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
