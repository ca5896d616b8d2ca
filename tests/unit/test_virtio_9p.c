// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-9p over virtio-mmio with fake RAM: device id, MOUNT_TAG and the tag in config space;
 * 9P messages carried in chains split across several descriptors either way; a chain with no room
 * for a reply handed back empty; and the save -> restore round trip through the state interface
 * (virtio_state_ops): a restored device on the same directory answers the old fids, and a device
 * with another tag refuses the saved state. */
#include <fcntl.h>
#include <unistd.h>

#include "p9_cli.h"
#include "state_test.h"
#include "vmmio_drv.h"
#include "virtio/p9.h"
#include "virtio/queue.h"

#define BASE 0xd0000000ULL
#define GSI 5
#define REQ 0x40000ULL
#define REP 0x60000ULL
#define REP_LEN 0x20000u

struct fix {
	struct fake_ram ram;
	struct irq_recorder rec;
	struct bus b;
	struct virtio_p9 *p;
	struct tring q;
	unsigned n; /* chains sent */
};

static void setup(struct fix *f, const char *dir, const char *tag)
{
	memset(f, 0, sizeof(*f));
	fake_ram_init(&f->ram, 0, 1 << 20);
	bus_init(&f->b, "mmio");
	ck_assert_int_eq(virtio_p9_create(&f->p, dir, tag, 0, NULL), 0);
	struct virtio_env env = { .mem = &f->ram.mem, .hooks = &irqrec_hooks, .hooks_opaque = &f->rec, .no_iothread = 1 };
	ck_assert_int_eq(virtio_mmio_create(virtio_p9_dev(f->p), &f->b, BASE, GSI, &env), 0);
	tring_init(&f->q, &f->ram, 0x10000, 16);
}

static void bring_up(struct fix *f)
{
	uint64_t feat = VIRTIO_CORE_FEATURES | 1ULL << VIRTIO_9P_F_MOUNT_TAG;
	ck_assert(mdrv_negotiate(&f->b, BASE, feat) & VIRTIO_STATUS_FEATURES_OK);
	mdrv_queue(&f->b, BASE, 0, &f->q);
	mdrv_driver_ok(&f->b, BASE);
}

static void teardown(struct fix *f)
{
	virtio_p9_destroy(f->p);
	bus_destroy(&f->b);
	fake_ram_free(&f->ram);
}

/* The request as two readable descriptors (the header alone, then the rest), the reply room as
 * two writable ones (11 bytes, then the rest), as Linux's zero-copy path splits them. */
static size_t ring_xfer(void *opaque, const uint8_t *in, size_t inlen, uint8_t *out, size_t cap)
{
	struct fix *f = opaque;
	ck_assert_uint_le(inlen, REP - REQ);
	memcpy(f->ram.buf + REQ, in, inlen);
	uint16_t d = (uint16_t)(f->n * 4 % f->q.size);
	tdesc(&f->q, d, REQ, 7, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
	tdesc(&f->q, d + 1, REQ + 7, (uint32_t)(inlen - 7), VIRTQ_DESC_F_NEXT, (uint16_t)(d + 2));
	tdesc(&f->q, d + 2, REP, 11, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)(d + 3));
	tdesc(&f->q, d + 3, REP + 11, REP_LEN - 11, VIRTQ_DESC_F_WRITE, 0);
	tavail(&f->q, d);
	mdrv_kick(&f->b, BASE, 0);
	ck_assert_uint_eq(tused_idx(&f->q), (uint16_t)(f->n + 1));
	ck_assert_uint_eq(tused_id(&f->q, (uint16_t)f->n), d);
	uint32_t len = tused_len(&f->q, (uint16_t)f->n);
	f->n++;
	ck_assert_uint_le(len, cap);
	memcpy(out, f->ram.buf + REP, len);
	return len;
}

static void cli_on(struct cli *c, struct fix *f)
{
	cli_init(c, NULL);
	c->xfer = ring_xfer;
	c->opaque = f;
}

static char dir[] = "/tmp/kvmini-v9p-XXXXXX";

static void make_dir(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char p[64];
	snprintf(p, sizeof(p), "%s/file", dir);
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_eq(write(fd, "shared bytes", 12), 12);
	close(fd);
}

static void rm_dir(void)
{
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(config_and_features)
{
	struct fix f;
	make_dir();
	setup(&f, dir, "hostshare");
	ck_assert_uint_eq(mr32(&f.b, BASE + 0x08), VIRTIO_ID_9P);
	ck_assert(mdrv_device_features(&f.b, BASE) & (1ULL << VIRTIO_9P_F_MOUNT_TAG));
	uint8_t cfg[11] = { 0 };
	for (unsigned i = 0; i < sizeof(cfg); i++)
		ck_assert_int_ge(bus_access(&f.b, BASE + 0x100 + i, &cfg[i], 1, 0), 0);
	ck_assert_uint_eq(le_get16(cfg, 0), 9);
	ck_assert(!memcmp(cfg + 2, "hostshare", 9));
	teardown(&f);
	struct virtio_p9 *p;
	ck_assert_int_eq(virtio_p9_create(&p, dir, "", 0, NULL), -EINVAL);
	ck_assert_int_eq(virtio_p9_create(&p, dir, "a-tag-that-is-much-longer-than-the-sixty-four-bytes-a-tag-may-have", 0, NULL),
			 -EINVAL);
	ck_assert_int_eq(virtio_p9_create(&p, "/nonexistent-kvmini", "t", 0, NULL), -ENOENT);
	rm_dir();
}
END_TEST

START_TEST(no_room_for_a_reply)
{
	struct fix f;
	make_dir();
	setup(&f, dir, "t");
	bring_up(&f);
	memset(f.ram.buf + REQ, 0xff, 64);
	tdesc(&f.q, 0, REQ, 64, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&f.q, 1, REP, 4, VIRTQ_DESC_F_WRITE, 0); /* not even an Rlerror fits */
	tavail(&f.q, 0);
	mdrv_kick(&f.b, BASE, 0);
	ck_assert_uint_eq(tused_idx(&f.q), 1);
	ck_assert_uint_eq(tused_len(&f.q, 0), 0);
	tdesc(&f.q, 2, REQ, 64, 0, 0); /* nothing writable at all */
	tavail(&f.q, 2);
	mdrv_kick(&f.b, BASE, 0);
	ck_assert_uint_eq(tused_idx(&f.q), 2);
	teardown(&f);
	rm_dir();
}
END_TEST

START_TEST(state_round_trip)
{
	struct fix f, g, h;
	struct cli c, d;
	char buf[32];
	make_dir();
	setup(&f, dir, "t");
	bring_up(&f);
	cli_on(&c, &f);
	ck_assert_int_eq(t_version(&c, 65536, "9P2000.L"), 0);
	ck_assert_int_eq(t_attach(&c, 0), 0);
	ck_assert_int_eq(t_walk(&c, 0, 1, "file", NULL), 1);
	ck_assert_int_eq(t_lopen(&c, 1, O_RDONLY), 0);
	ck_assert_int_eq(t_read(&c, 1, 7, sizeof(buf), buf), 5);
	ck_assert(!memcmp(buf, "bytes", 5));
	struct virtio_dev *vd = virtio_p9_dev(f.p);
	ck_assert_int_eq(virtio_dev_pause(vd), 0);
	size_t n;
	uint8_t *p = st_save(&virtio_state_ops, vd, &n);
	virtio_dev_resume(vd);
	/* the same share restored: the fids go on */
	setup(&g, dir, "t");
	memcpy(g.ram.buf, f.ram.buf, 1 << 20); /* RAM first, as a restore does */
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_p9_dev(g.p), p, n), 0);
	virtio_dev_resume(virtio_p9_dev(g.p));
	g.q = f.q;
	g.q.ram = &g.ram;
	g.n = f.n;
	cli_on(&d, &g);
	d.tag = c.tag;
	ck_assert_int_eq(t_read(&d, 1, 0, sizeof(buf), buf), 12);
	ck_assert(!memcmp(buf, "shared bytes", 12));
	ck_assert_int_eq(t_walk(&d, 0, 2, "file", NULL), 1);
	ck_assert_int_eq(t_walk(&d, 0, 1, "file", NULL), -EEXIST);
	/* another share's device refuses it and stays as it was */
	setup(&h, dir, "other");
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_p9_dev(h.p), p, n), -EINVAL);
	free(p);
	cli_free(&c);
	cli_free(&d);
	teardown(&f);
	teardown(&g);
	teardown(&h);
	rm_dir();
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtio_9p");
	TCase *t = tcase_create("virtio_9p");
	tcase_add_test(t, config_and_features);
	tcase_add_test(t, no_room_for_a_reply);
	tcase_add_test(t, state_round_trip);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
