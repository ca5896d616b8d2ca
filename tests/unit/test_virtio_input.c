// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-input tablet over virtio-mmio with fake RAM: the config queries Linux's virtio_input
 * makes (name, device ids, event-type bitmaps, ABS_X/ABS_Y ranges, unknown selects size 0),
 * pointer reports written into the event queue's buffers as type/code/value with SYN_REPORT last,
 * only changed axes and buttons sent, events kept until buffers come, a bounded queue, the status
 * queue drained, and the state round trip of what is pending. */
#include "unit.h"
#include "state_test.h"
#include "vmmio_drv.h"
#include "virtio/input.h"
#include "virtio/queue.h"
#include "vmm/le.h"

#define BASE 0xd0002000ULL
#define GSI 7
#define BUFS 0x40000

struct fix {
	struct fake_ram ram;
	struct irq_recorder rec;
	struct bus b;
	struct virtio_input *in;
	struct tring evq, stq;
};

static void setup(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	fake_ram_init(&f->ram, 0, 1 << 20);
	bus_init(&f->b, "mmio");
	ck_assert_int_eq(virtio_input_create(&f->in, NULL), 0);
	struct virtio_env env = { .mem = &f->ram.mem, .hooks = &irqrec_hooks, .hooks_opaque = &f->rec, .no_iothread = 1 };
	ck_assert_int_eq(virtio_mmio_create(virtio_input_dev(f->in), &f->b, BASE, GSI, &env), 0);
}

static void bring_up(struct fix *f)
{
	ck_assert(mdrv_negotiate(&f->b, BASE, VIRTIO_CORE_FEATURES) & VIRTIO_STATUS_FEATURES_OK);
	tring_init(&f->evq, &f->ram, 0x10000, 64);
	tring_init(&f->stq, &f->ram, 0x20000, 64);
	mdrv_queue(&f->b, BASE, 0, &f->evq);
	mdrv_queue(&f->b, BASE, 1, &f->stq);
	mdrv_driver_ok(&f->b, BASE);
}

/* n event buffers of 8 bytes, chains i..i+n-1 */
static void give_buffers(struct fix *f, unsigned from, unsigned n)
{
	for (unsigned i = from; i < from + n; i++) {
		tdesc(&f->evq, i % 64, BUFS + 8ULL * (i % 64), 8, 2 /* WRITE */, 0);
		tavail(&f->evq, (uint16_t)(i % 64));
	}
	mdrv_kick(&f->b, BASE, 0);
}

static void teardown(struct fix *f)
{
	virtio_input_destroy(f->in);
	bus_destroy(&f->b);
	fake_ram_free(&f->ram);
}

static unsigned cfg_select(struct fix *f, uint8_t sel, uint8_t sub, uint8_t *u)
{
	uint8_t b[2] = { sel, sub };
	ck_assert_int_ge(bus_access(&f->b, BASE + 0x100, &b[0], 1, 1), 0);
	ck_assert_int_ge(bus_access(&f->b, BASE + 0x101, &b[1], 1, 1), 0);
	uint8_t size = 0;
	ck_assert_int_ge(bus_access(&f->b, BASE + 0x102, &size, 1, 0), 0);
	for (unsigned i = 0; i < 128; i += 4)
		ck_assert_int_ge(bus_access(&f->b, BASE + 0x108 + i, u + i, 4, 0), 0);
	return size;
}

/* the event in used entry i: type, code, value */
static void ev(struct fix *f, uint16_t i, unsigned *type, unsigned *code, int32_t *value)
{
	uint32_t id = tused_id(&f->evq, i);
	ck_assert_uint_eq(tused_len(&f->evq, i), 8);
	const uint8_t *p = f->ram.buf + BUFS + 8ULL * id;
	*type = le_get16(p, 0);
	*code = le_get16(p, 2);
	*value = (int32_t)le_get32(p, 4);
}

static void expect_ev(struct fix *f, uint16_t i, unsigned type, unsigned code, int32_t value)
{
	unsigned t, c;
	int32_t v;
	ev(f, i, &t, &c, &v);
	ck_assert_msg(t == type && c == code && v == value, "event %u: %u %u %d, want %u %u %d", i, t, c, v, type,
		      code, value);
}

START_TEST(config_queries)
{
	struct fix f;
	setup(&f);
	ck_assert_uint_eq(mr32(&f.b, BASE + 0x08), VIRTIO_ID_INPUT);
	uint8_t u[128];
	unsigned n = cfg_select(&f, VIRTIO_INPUT_CFG_ID_NAME, 0, u);
	ck_assert_uint_eq(n, strlen("kvmini tablet"));
	ck_assert(!memcmp(u, "kvmini tablet", n));
	ck_assert_uint_eq(cfg_select(&f, VIRTIO_INPUT_CFG_ID_DEVIDS, 0, u), 8);
	ck_assert_uint_eq(le_get16(u, 0), 0x06); /* BUS_VIRTUAL */
	ck_assert_uint_eq(cfg_select(&f, VIRTIO_INPUT_CFG_EV_BITS, EV_ABS, u), 1);
	ck_assert_uint_eq(u[0], 0x03); /* ABS_X, ABS_Y */
	n = cfg_select(&f, VIRTIO_INPUT_CFG_EV_BITS, EV_KEY, u);
	ck_assert_uint_eq(n, BTN_MIDDLE / 8 + 1);
	ck_assert_uint_eq(u[BTN_LEFT / 8], 0x07); /* left, right, middle */
	ck_assert_uint_eq(cfg_select(&f, VIRTIO_INPUT_CFG_EV_BITS, EV_REL, u), 2);
	ck_assert_uint_eq(u[1], 0x01); /* REL_WHEEL (8) */
	ck_assert_uint_eq(cfg_select(&f, VIRTIO_INPUT_CFG_EV_BITS, 0x11 /* EV_LED */, u), 0);
	ck_assert_uint_eq(cfg_select(&f, VIRTIO_INPUT_CFG_ABS_INFO, ABS_Y, u), 20);
	ck_assert_uint_eq(le_get32(u, 0), 0);
	ck_assert_uint_eq(le_get32(u, 4), VIRTIO_INPUT_ABS_MAX);
	ck_assert_uint_eq(cfg_select(&f, VIRTIO_INPUT_CFG_ABS_INFO, 5, u), 0);
	ck_assert_uint_eq(cfg_select(&f, VIRTIO_INPUT_CFG_PROP_BITS, 0, u), 0);
	ck_assert_uint_eq(cfg_select(&f, 0xff, 0xff, u), 0);
	for (unsigned i = 0; i < 128; i++)
		ck_assert_uint_eq(u[i], 0);
	/* the size byte and the union are read-only */
	uint8_t junk = 0x55;
	bus_access(&f.b, BASE + 0x102, &junk, 1, 1);
	ck_assert_uint_eq(cfg_select(&f, VIRTIO_INPUT_CFG_ID_NAME, 0, u), strlen("kvmini tablet"));
	teardown(&f);
}
END_TEST

START_TEST(pointer_events)
{
	struct fix f;
	setup(&f);
	bring_up(&f);
	virtio_input_pointer(f.in, 100, 200, 0, 0); /* before any buffer: kept */
	ck_assert_uint_eq(tused_idx(&f.evq), 0);
	give_buffers(&f, 0, 16);
	ck_assert_uint_eq(tused_idx(&f.evq), 3);
	expect_ev(&f, 0, EV_ABS, ABS_X, 100);
	expect_ev(&f, 1, EV_ABS, ABS_Y, 200);
	expect_ev(&f, 2, EV_SYN, SYN_REPORT, 0);
	ck_assert_int_ge(f.rec.raises[GSI], 1);
	/* only what changed: Y the same, left pressed, wheel up */
	virtio_input_pointer(f.in, 300, 200, 1, 1);
	ck_assert_uint_eq(tused_idx(&f.evq), 7);
	expect_ev(&f, 3, EV_ABS, ABS_X, 300);
	expect_ev(&f, 4, EV_KEY, BTN_LEFT, 1);
	expect_ev(&f, 5, EV_REL, REL_WHEEL, 1);
	expect_ev(&f, 6, EV_SYN, SYN_REPORT, 0);
	virtio_input_pointer(f.in, 99999, 300, 4, -1); /* clamped; left up, right down */
	ck_assert_uint_eq(tused_idx(&f.evq), 13);
	expect_ev(&f, 7, EV_ABS, ABS_X, VIRTIO_INPUT_ABS_MAX);
	expect_ev(&f, 8, EV_ABS, ABS_Y, 300);
	expect_ev(&f, 9, EV_KEY, BTN_LEFT, 0);
	expect_ev(&f, 10, EV_KEY, BTN_RIGHT, 1);
	expect_ev(&f, 11, EV_REL, REL_WHEEL, -1);
	/* three buffers left: the next report waits for more */
	virtio_input_pointer(f.in, 1, 2, 4, 0);
	virtio_input_pointer(f.in, 3, 4, 4, 0);
	ck_assert_uint_eq(tused_idx(&f.evq), 16);
	give_buffers(&f, 16, 16);
	ck_assert_uint_eq(tused_idx(&f.evq), 19);
	expect_ev(&f, 16, EV_ABS, ABS_X, 3); /* the second report, whole, once there is room */
	expect_ev(&f, 17, EV_ABS, ABS_Y, 4);
	expect_ev(&f, 18, EV_SYN, SYN_REPORT, 0);
	/* status queue (LEDs): taken and handed back */
	tdesc(&f.stq, 0, BUFS + 0x1000, 8, 0, 0);
	tavail(&f.stq, 0);
	mdrv_kick(&f.b, BASE, 1);
	ck_assert_uint_eq(tused_idx(&f.stq), 1);
	teardown(&f);
}
END_TEST

START_TEST(bounded_and_state)
{
	struct fix f, g;
	setup(&f);
	bring_up(&f);
	for (unsigned i = 0; i < 1000; i++) /* no buffers: at most VIRTIO_INPUT_PENDING events kept */
		virtio_input_pointer(f.in, i, i, i & 1, 0);
	struct virtio_dev *vd = virtio_input_dev(f.in);
	ck_assert_int_eq(virtio_dev_pause(vd), 0);
	size_t n;
	uint8_t *p = st_save(&virtio_state_ops, vd, &n);
	virtio_dev_resume(vd);
	setup(&g);
	memcpy(g.ram.buf, f.ram.buf, 1 << 20); /* RAM first, as a restore does */
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_input_dev(g.in), p, n), 0);
	virtio_dev_resume(virtio_input_dev(g.in));
	g.evq = f.evq;
	g.evq.ram = &g.ram;
	/* both hand out the same kept events once buffers come */
	give_buffers(&f, 0, 64);
	give_buffers(&g, 0, 64);
	ck_assert_uint_eq(tused_idx(&f.evq), 64);
	ck_assert_uint_eq(tused_idx(&g.evq), 64);
	ck_assert(!memcmp(f.ram.buf + BUFS, g.ram.buf + BUFS, 64 * 8));
	/* the oldest kept: the first report (x = y = 0), then the second (x = y = 1, left down) */
	expect_ev(&g, 0, EV_ABS, ABS_X, 0);
	expect_ev(&g, 3, EV_ABS, ABS_X, 1);
	expect_ev(&g, 5, EV_KEY, BTN_LEFT, 1);
	free(p);
	teardown(&f);
	teardown(&g);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtio_input");
	TCase *t = tcase_create("virtio_input");
	tcase_add_test(t, config_queries);
	tcase_add_test(t, pointer_events);
	tcase_add_test(t, bounded_and_state);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
