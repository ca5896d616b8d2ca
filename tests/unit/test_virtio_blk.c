// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk over a raw temp file, driven through the virtio-mmio transport with real descriptor
 * chains in fake RAM: data round trips, flush, GET_ID, zeroes, and every bad request answered
 * with a status instead of a crash. */
#include "blk_test.h"

static void rw_roundtrip(int iothread)
{
	struct bctx c;
	bsetup(&c, 0, iothread);
	uint32_t used = 0;
	for (unsigned i = 0; i < 2048; i++)
		c.ram.buf[DATA + i] = (uint8_t)(i * 7 + 1);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_OUT, 5, DATA, 2048, 0, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 1);
	uint8_t f[2048];
	file_read(&c, 5 * 512, f, sizeof(f));
	ck_assert(!memcmp(f, c.ram.buf + DATA, sizeof(f)));
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_IN, 5, DATA2, 2048, 1, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 2049);
	ck_assert(!memcmp(c.ram.buf + DATA2, c.ram.buf + DATA, 2048));
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, &used), VIRTIO_BLK_S_OK);
	ck_assert_int_ge(c.rec.raises[GSI], 1);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x60) & 1, 1);
	mw32(&c.bus, BASE + 0x64, 1);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x60), 0);
	bfree(&c);
}

START_TEST(write_read_flush) { rw_roundtrip(0); }
END_TEST

START_TEST(write_read_on_iothread) { rw_roundtrip(1); }
END_TEST

START_TEST(get_id_and_config)
{
	struct bctx c;
	bsetup(&c, 0, 0);
	uint32_t used = 0;
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_GET_ID, 0, DATA, 20, 1, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 21);
	ck_assert(!memcmp(c.ram.buf + DATA, "kvmini-serial-012345", 20)); /* 20 bytes, no NUL */
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x100), 2048); /* capacity lo */
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x104), 0);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x10c), VIRTIO_BLK_SEG_MAX);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x114), 512);
	bfree(&c);
}
END_TEST

START_TEST(bad_requests)
{
	struct bctx c;
	bsetup(&c, 0, 0);
	uint8_t before[1024], after[1024];
	file_read(&c, 2046 * 512, before, sizeof(before));
	/* past the end, straddling the end, absurd sector, not a multiple of 512 */
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_OUT, 2047, DATA, 1024, 0, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_IN, 2048, DATA, 512, 1, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_IN, UINT64_MAX / 256, DATA, 512, 1, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_OUT, 0, DATA, 100, 0, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, 77, 0, DATA, 512, 1, NULL), VIRTIO_BLK_S_UNSUPP);
	file_read(&c, 2046 * 512, after, sizeof(after));
	ck_assert(!memcmp(before, after, sizeof(after)));

	/* header too short */
	tdesc(&c.r, 0, HDR, 8, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&c.r, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	tavail(&c.r, 0);
	mdrv_kick(&c.bus, BASE, 0);
	wait_used(&c);
	ck_assert_uint_eq(c.ram.buf[STATUS], VIRTIO_BLK_S_IOERR);

	/* status descriptor not writable: nothing to answer into, but used and no crash */
	c.ram.buf[STATUS] = 0xaa;
	tw32(&c.ram, HDR, VIRTIO_BLK_T_IN);
	tdesc(&c.r, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&c.r, 1, STATUS, 1, 0, 0);
	tavail(&c.r, 0);
	mdrv_kick(&c.bus, BASE, 0);
	wait_used(&c);
	ck_assert_uint_eq(tused_len(&c.r, (uint16_t)(c.seen_used - 1)), 0);
	ck_assert_uint_eq(c.ram.buf[STATUS], 0xaa);
	ck_assert(!(mr32(&c.bus, BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET));
	bfree(&c);
}
END_TEST

START_TEST(read_only_disk)
{
	struct bctx c;
	bsetup(&c, 1, 0);
	uint8_t before[1024], after[1024];
	file_read(&c, 3 * 512, before, sizeof(before));
	memset(c.ram.buf + DATA, 0x11, 1024);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_OUT, 3, DATA, 1024, 0, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 3, DATA, 16, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	file_read(&c, 3 * 512, after, sizeof(after));
	ck_assert(!memcmp(before, after, sizeof(after)));
	ck_assert_uint_eq(after[0], 0xee);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_IN, 3, DATA2, 512, 1, NULL), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(c.ram.buf[DATA2], 0xee);
	bfree(&c);
}
END_TEST

static void put_range(struct bctx *c, uint64_t sector, uint32_t num, uint32_t flags)
{
	tw64(&c->ram, DATA, sector);
	tw32(&c->ram, DATA + 8, num);
	tw32(&c->ram, DATA + 12, flags);
}

START_TEST(write_zeroes_and_discard)
{
	struct bctx c;
	bsetup(&c, 0, 0);
	put_range(&c, 3, 1, 0);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_OK);
	uint8_t f[512], z[512] = { 0 };
	file_read(&c, 3 * 512, f, sizeof(f));
	ck_assert(!memcmp(f, z, sizeof(z)));
	put_range(&c, 8, 8, 1); /* may unmap */
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_OK);
	put_range(&c, 8, 8, 0);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_OK);
	put_range(&c, 8, 8, 1); /* unmap flag on discard */
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	put_range(&c, 2047, 2, 0);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 0, DATA, 12, 0, NULL), VIRTIO_BLK_S_IOERR);
	bfree(&c);
}
END_TEST

START_TEST(hostile_chain_needs_reset)
{
	struct bctx c;
	bsetup(&c, 0, 0);
	tdesc(&c.r, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&c.r, 1, STATUS, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1); /* loops on itself */
	tavail(&c.r, 0);
	mdrv_kick(&c.bus, BASE, 0);
	ck_assert(mr32(&c.bus, BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert(mr32(&c.bus, BASE + 0x60) & 2); /* config change interrupt */
	ck_assert_uint_eq(tused_idx(&c.r), 0);
	mdrv_kick(&c.bus, BASE, 0); /* ignored now */
	/* the driver resets and starts over: works again */
	memset(c.ram.buf + 0x10000, 0, 0x4000);
	ck_assert(mdrv_negotiate(&c.bus, BASE, mdrv_device_features(&c.bus, BASE)) & VIRTIO_STATUS_FEATURES_OK);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x60), 0);
	c.r.avail_idx = 0;
	c.seen_used = 0;
	mdrv_queue(&c.bus, BASE, 0, &c.r);
	mdrv_driver_ok(&c.bus, BASE);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
	bfree(&c);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtio-blk");
	TCase *t = tcase_create("blk");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, write_read_flush);
	tcase_add_test(t, write_read_on_iothread);
	tcase_add_test(t, get_id_and_config);
	tcase_add_test(t, bad_requests);
	tcase_add_test(t, read_only_disk);
	tcase_add_test(t, write_zeroes_and_discard);
	tcase_add_test(t, hostile_chain_needs_reset);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
