// SPDX-License-Identifier: GPL-2.0-or-later
/* Split virtqueue: good chains (direct, indirect), EVENT_IDX / NO_INTERRUPT suppression, and a
 * hostile driver's descriptor tables, each of which must only set NEEDS_RESET. */
#include "unit.h"
#include "vring.h"
#include "virtio/queue.h"

#include <errno.h>

#define RAM_SIZE (8ULL << 20)
#define RING 0x10000ULL
#define BUF 0x100000ULL
#define ITABLE 0x80000ULL

struct tdev {
	struct virtio_dev vd; /* first: the transport callbacks cast back */
	struct fake_ram ram;
	struct tring r;
	struct virtq *vq;
	int qsig, csig;
	struct virtq_chain c;
};

static void t_sigq(struct virtio_dev *vd, unsigned q) { ((struct tdev *)vd)->qsig++; }
static void t_sigc(struct virtio_dev *vd) { ((struct tdev *)vd)->csig++; }
static const struct virtio_transport_ops t_tops = { .signal_queue = t_sigq, .signal_config = t_sigc };
static void t_cfg(struct virtio_dev *vd, unsigned off, void *data, unsigned size) {}
static void t_handle(struct virtio_dev *vd, unsigned q) {}
static const struct virtio_dev_ops t_ops = { .config_read = t_cfg, .handle_queue = t_handle };

static struct tdev *tsetup_n(uint64_t features, uint16_t qsize, int enable)
{
	struct tdev *t = calloc(1, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	fake_ram_init(&t->ram, 0, RAM_SIZE);
	t->vd.ops = &t_ops;
	t->vd.name = "test";
	t->vd.num_queues = 1;
	t->vd.queue_max = 256;
	struct virtio_env env = { .mem = &t->ram.mem, .no_iothread = 1 };
	ck_assert_int_eq(virtio_dev_setup(&t->vd, &env), 0);
	t->vd.tops = &t_tops;
	t->vd.driver_features = (1ULL << VIRTIO_F_VERSION_1) | features;
	t->vd.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		       VIRTIO_STATUS_DRIVER_OK;
	tring_init(&t->r, &t->ram, RING, qsize);
	t->vq = &t->vd.vq[0];
	t->vq->size = qsize;
	t->vq->desc_gpa = t->r.desc;
	t->vq->avail_gpa = t->r.avail;
	t->vq->used_gpa = t->r.used;
	if (enable) {
		ck_assert_int_eq(virtq_enable(t->vq), 0);
		virtio_dev_sync(&t->vd); /* the device side maps the rings */
	}
	return t;
}

static struct tdev *tsetup(uint64_t features)
{
	return tsetup_n(features, 16, 1);
}

static void tfree(struct tdev *t)
{
	virtio_dev_destroy(&t->vd);
	fake_ram_free(&t->ram);
	free(t);
}

static void expect_broken(struct tdev *t)
{
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), -EINVAL);
	ck_assert(t->vd.status & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_int_ge(t->csig, 1);
	/* and it stays quiet until reset */
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), -EIO);
	ck_assert_int_eq(virtq_push(t->vq, 0, 0), -EIO);
	tfree(t);
}

#define F_IND (1ULL << VIRTIO_F_RING_INDIRECT_DESC)
#define F_EVT (1ULL << VIRTIO_F_RING_EVENT_IDX)

START_TEST(good_chain)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 3, BUF, 16, VIRTQ_DESC_F_NEXT, 7);
	tdesc(&t->r, 7, BUF + 0x1000, 512, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&t->r, 1, BUF + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), 0);
	tavail(&t->r, 3);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), 1);
	ck_assert_uint_eq(t->c.head, 3);
	ck_assert_uint_eq(t->c.nr_read, 2);
	ck_assert_uint_eq(t->c.nr_write, 1);
	ck_assert_uint_eq(t->c.read_len, 528);
	ck_assert_uint_eq(t->c.write_len, 1);
	ck_assert_ptr_eq(t->c.iov[0].iov_base, t->ram.buf + BUF);
	ck_assert_ptr_eq(t->c.iov[2].iov_base, t->ram.buf + BUF + 0x2000);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), 0);
	ck_assert_int_eq(virtq_push(t->vq, 3, 1), 0);
	ck_assert_uint_eq(tused_idx(&t->r), 1);
	ck_assert_uint_eq(tused_id(&t->r, 0), 3);
	ck_assert_uint_eq(tused_len(&t->r, 0), 1);
	virtq_notify(t->vq);
	ck_assert_int_eq(t->qsig, 1);
	ck_assert(!(t->vd.status & VIRTIO_STATUS_NEEDS_RESET));
	tfree(t);
}
END_TEST

START_TEST(good_indirect_and_wraparound)
{
	struct tdev *t = tsetup(F_IND);
	tdesc_at(&t->ram, ITABLE, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 2);
	tdesc_at(&t->ram, ITABLE, 2, BUF + 16, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	tdesc_at(&t->ram, ITABLE, 1, BUF + 8192, 1, VIRTQ_DESC_F_WRITE, 0);
	tdesc(&t->r, 0, BUF + 0x3000, 8, VIRTQ_DESC_F_NEXT, 5); /* a direct one before the table */
	tdesc(&t->r, 5, ITABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	/* go round the 16-bit index a few times */
	for (unsigned i = 0; i < 70000; i++) {
		tavail(&t->r, 0);
		ck_assert_int_eq(virtq_pop(t->vq, &t->c), 1);
		ck_assert_uint_eq(t->c.nr_read, 2);
		ck_assert_uint_eq(t->c.nr_write, 2);
		ck_assert_uint_eq(t->c.write_len, 4097);
		ck_assert_int_eq(virtq_push(t->vq, t->c.head, 7), 0);
	}
	ck_assert_uint_eq(tused_idx(&t->r), (uint16_t)70000);
	ck_assert(!(t->vd.status & VIRTIO_STATUS_NEEDS_RESET));
	tfree(t);
}
END_TEST

START_TEST(chain_helpers)
{
	struct tdev *t = tsetup(0);
	memcpy(t->ram.buf + BUF, "hel", 3);
	memcpy(t->ram.buf + BUF + 0x100, "lo!", 3);
	tdesc(&t->r, 0, BUF, 3, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&t->r, 1, BUF + 0x100, 3, VIRTQ_DESC_F_NEXT, 2);
	tdesc(&t->r, 2, BUF + 0x200, 2, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	tdesc(&t->r, 3, BUF + 0x300, 4, VIRTQ_DESC_F_WRITE, 0);
	tavail(&t->r, 0);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), 1);
	char b[8] = { 0 };
	ck_assert_uint_eq(virtq_chain_read(&t->c, 1, b, 8), 5);
	ck_assert_str_eq(b, "ello!");
	ck_assert_uint_eq(virtq_chain_write(&t->c, 1, "abcdefgh", 8), 5);
	ck_assert(!memcmp(t->ram.buf + BUF + 0x201, "a", 1));
	ck_assert(!memcmp(t->ram.buf + BUF + 0x300, "bcde", 4));
	tfree(t);
}
END_TEST

START_TEST(loop_two)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&t->r, 1, BUF, 16, VIRTQ_DESC_F_NEXT, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(loop_self)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 4, BUF, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 4);
	tavail(&t->r, 4);
	expect_broken(t);
}
END_TEST

START_TEST(loop_in_indirect)
{
	struct tdev *t = tsetup(F_IND);
	tdesc_at(&t->ram, ITABLE, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	tdesc_at(&t->ram, ITABLE, 1, BUF, 16, VIRTQ_DESC_F_NEXT, 0);
	tdesc(&t->r, 0, ITABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(addr_outside_ram)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, RAM_SIZE - 8, 16, 0, 0); /* straddles the end */
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(addr_wraps)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, UINT64_MAX - 7, 64, VIRTQ_DESC_F_WRITE, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(zero_length)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&t->r, 1, BUF, 0, VIRTQ_DESC_F_WRITE, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(oversized_chain_device_limit)
{
	struct tdev *t = tsetup(0);
	t->vd.max_chain_bytes = 4096;
	tdesc(&t->r, 0, BUF, 4096, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&t->r, 1, BUF, 1, VIRTQ_DESC_F_WRITE, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(oversized_chain_4g)
{
	/* 1024 indirect entries of 8 MiB each, all over the same RAM: more than 4 GiB in total */
	struct tdev *t = tsetup(F_IND);
	for (unsigned i = 0; i < VIRTQ_MAX_SIZE; i++)
		tdesc_at(&t->ram, 0x400000, i, 0, (uint32_t)RAM_SIZE, i + 1 < VIRTQ_MAX_SIZE ? VIRTQ_DESC_F_NEXT : 0,
			 (uint16_t)(i + 1));
	tdesc(&t->r, 0, 0x400000, 16 * VIRTQ_MAX_SIZE, VIRTQ_DESC_F_INDIRECT, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(indirect_table_too_big)
{
	struct tdev *t = tsetup(F_IND);
	tdesc(&t->r, 0, 0x400000, 16 * (VIRTQ_MAX_SIZE + 1), VIRTQ_DESC_F_INDIRECT, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(writable_before_readable)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, BUF, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	tdesc(&t->r, 1, BUF + 16, 16, 0, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(nested_indirect)
{
	struct tdev *t = tsetup(F_IND);
	tdesc_at(&t->ram, ITABLE, 0, ITABLE + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	tdesc_at(&t->ram, ITABLE + 0x100, 0, BUF, 16, 0, 0);
	tdesc(&t->r, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(indirect_outside_ram)
{
	struct tdev *t = tsetup(F_IND);
	tdesc(&t->r, 0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(indirect_bad_len)
{
	struct tdev *t = tsetup(F_IND);
	tdesc(&t->r, 0, ITABLE, 24, VIRTQ_DESC_F_INDIRECT, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(indirect_with_next)
{
	struct tdev *t = tsetup(F_IND);
	tdesc_at(&t->ram, ITABLE, 0, BUF, 16, 0, 0);
	tdesc(&t->r, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	tdesc(&t->r, 1, BUF, 16, 0, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(indirect_not_negotiated)
{
	struct tdev *t = tsetup(0);
	tdesc_at(&t->ram, ITABLE, 0, BUF, 16, 0, 0);
	tdesc(&t->r, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(indirect_next_out_of_table)
{
	struct tdev *t = tsetup(F_IND);
	tdesc_at(&t->ram, ITABLE, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 2); /* table has 2 entries */
	tdesc(&t->r, 0, ITABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(next_out_of_range)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 16);
	tavail(&t->r, 0);
	expect_broken(t);
}
END_TEST

START_TEST(head_out_of_range)
{
	struct tdev *t = tsetup(0);
	tavail(&t->r, 0xffff);
	expect_broken(t);
}
END_TEST

START_TEST(avail_idx_too_far)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, BUF, 16, 0, 0);
	tw16(&t->ram, t->r.avail + 2, 17); /* 17 new entries in a 16-entry ring */
	expect_broken(t);
}
END_TEST

static void expect_enable_fails(struct tdev *t)
{
	ck_assert_int_eq(virtq_enable(t->vq), -EINVAL);
	ck_assert(t->vd.status & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert_int_eq(t->csig, 1);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), -EIO);
	tfree(t);
}

START_TEST(unaligned_desc)
{
	struct tdev *t = tsetup_n(0, 16, 0);
	t->vq->desc_gpa += 8;
	expect_enable_fails(t);
}
END_TEST

START_TEST(unaligned_avail)
{
	struct tdev *t = tsetup_n(0, 16, 0);
	t->vq->avail_gpa += 1;
	expect_enable_fails(t);
}
END_TEST

START_TEST(unaligned_used)
{
	struct tdev *t = tsetup_n(0, 16, 0);
	t->vq->used_gpa += 2;
	expect_enable_fails(t);
}
END_TEST

START_TEST(size_not_pow2)
{
	struct tdev *t = tsetup_n(0, 16, 0);
	t->vq->size = 100;
	expect_enable_fails(t);
}
END_TEST

START_TEST(size_zero_or_too_big)
{
	struct tdev *t = tsetup_n(0, 16, 0);
	t->vq->size = 0;
	ck_assert_int_eq(virtq_enable(t->vq), -EINVAL);
	tfree(t);
	t = tsetup_n(0, 16, 0);
	t->vq->size = 512; /* queue_max is 256 */
	expect_enable_fails(t);
}
END_TEST

START_TEST(ring_outside_ram)
{
	struct tdev *t = tsetup_n(0, 16, 0);
	t->vq->used_gpa = RAM_SIZE - 64; /* 6 + 8 * 16 bytes do not fit */
	expect_enable_fails(t);
}
END_TEST

START_TEST(reset_recovers)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 0);
	tavail(&t->r, 0);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), -EINVAL);
	virtio_dev_set_status_locked(&t->vd, 0);
	virtio_dev_poke(&t->vd);
	ck_assert_uint_eq(t->vd.status, 0);
	ck_assert(!t->vq->broken && !t->vq->enabled);
	ck_assert_uint_eq(t->vq->size, 256);
	tw16(&t->ram, t->r.avail + 2, 0);
	t->vd.driver_features = 1ULL << VIRTIO_F_VERSION_1;
	t->vq->size = 16;
	t->vq->desc_gpa = t->r.desc;
	t->vq->avail_gpa = t->r.avail;
	t->vq->used_gpa = t->r.used;
	ck_assert_int_eq(virtq_enable(t->vq), 0);
	virtio_dev_sync(&t->vd);
	t->r.avail_idx = 0;
	tdesc(&t->r, 0, BUF, 16, 0, 0);
	tavail(&t->r, 0);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), 1);
	tfree(t);
}
END_TEST

START_TEST(need_event_math)
{
	ck_assert(virtq_need_event(0, 1, 0));
	ck_assert(!virtq_need_event(1, 1, 0));
	ck_assert(virtq_need_event(4, 6, 3));
	ck_assert(!virtq_need_event(6, 6, 3));
	ck_assert(virtq_need_event(5, 6, 5));
	ck_assert(!virtq_need_event(2, 6, 5)); /* event already passed before: no re-notify */
	ck_assert(virtq_need_event(0xffff, 1, 0xfffe)); /* across the wrap */
	ck_assert(!virtq_need_event(2, 1, 0xfffe));
}
END_TEST

static void push_one(struct tdev *t)
{
	tavail(&t->r, 0);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), 1);
	ck_assert_int_eq(virtq_push(t->vq, 0, 1), 0);
}

START_TEST(event_idx_suppression)
{
	struct tdev *t = tsetup(F_EVT);
	tdesc(&t->r, 0, BUF, 1, VIRTQ_DESC_F_WRITE, 0);
	push_one(t);
	ck_assert_uint_eq(tavail_event(&t->r), 1); /* kick me at the next buffer */
	tset_used_event(&t->r, 0);
	ck_assert(virtq_should_notify(t->vq)); /* used 0 -> 1 crosses event 0 */
	push_one(t);
	ck_assert(!virtq_should_notify(t->vq)); /* event 0 already passed */
	tset_used_event(&t->r, 3); /* interrupt when entry 3 is used, i.e. idx goes past 3 */
	push_one(t);
	ck_assert(!virtq_should_notify(t->vq)); /* idx 3 */
	push_one(t);
	ck_assert(virtq_should_notify(t->vq)); /* idx 4 */
	push_one(t);
	push_one(t);
	ck_assert(!virtq_should_notify(t->vq));
	tset_used_event(&t->r, 6);
	push_one(t); /* 7: crosses 6 */
	virtq_notify(t->vq);
	ck_assert_int_eq(t->qsig, 1);
	tfree(t);
}
END_TEST

START_TEST(no_interrupt_flag)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, BUF, 1, VIRTQ_DESC_F_WRITE, 0);
	push_one(t);
	ck_assert(virtq_should_notify(t->vq));
	tset_avail_flags(&t->r, VIRTQ_AVAIL_F_NO_INTERRUPT);
	push_one(t);
	ck_assert(!virtq_should_notify(t->vq));
	virtq_notify(t->vq);
	ck_assert_int_eq(t->qsig, 0);
	tfree(t);
}
END_TEST

START_TEST(kick_suppression)
{
	struct tdev *t = tsetup(0);
	tdesc(&t->r, 0, BUF, 1, VIRTQ_DESC_F_WRITE, 0);
	virtq_disable_notify(t->vq);
	ck_assert_uint_eq(tused_flags(&t->r), VIRTQ_USED_F_NO_NOTIFY);
	ck_assert_int_eq(virtq_enable_notify(t->vq), 0);
	ck_assert_uint_eq(tused_flags(&t->r), 0);
	virtq_disable_notify(t->vq);
	tavail(&t->r, 0); /* arrives while kicks are off: enable must say so */
	ck_assert_int_eq(virtq_enable_notify(t->vq), 1);
	tfree(t);

	t = tsetup(F_EVT);
	tdesc(&t->r, 0, BUF, 1, VIRTQ_DESC_F_WRITE, 0);
	virtq_disable_notify(t->vq);
	tavail(&t->r, 0);
	tavail(&t->r, 0);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), 1);
	ck_assert_uint_eq(tavail_event(&t->r), 0); /* left behind while busy */
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), 1);
	ck_assert_int_eq(virtq_pop(t->vq, &t->c), 0);
	ck_assert_int_eq(virtq_enable_notify(t->vq), 0);
	ck_assert_uint_eq(tavail_event(&t->r), 2);
	tfree(t);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtq");
	TCase *g = tcase_create("good");
	tcase_set_timeout(g, 30); /* 70000 pops under ASan on a loaded machine */
	tcase_add_test(g, good_chain);
	tcase_add_test(g, good_indirect_and_wraparound);
	tcase_add_test(g, chain_helpers);
	tcase_add_test(g, reset_recovers);
	tcase_add_test(g, need_event_math);
	tcase_add_test(g, event_idx_suppression);
	tcase_add_test(g, no_interrupt_flag);
	tcase_add_test(g, kick_suppression);
	suite_add_tcase(s, g);
	TCase *h = tcase_create("hostile");
	tcase_set_timeout(h, 30);
	tcase_add_test(h, loop_two);
	tcase_add_test(h, loop_self);
	tcase_add_test(h, loop_in_indirect);
	tcase_add_test(h, addr_outside_ram);
	tcase_add_test(h, addr_wraps);
	tcase_add_test(h, zero_length);
	tcase_add_test(h, oversized_chain_device_limit);
	tcase_add_test(h, oversized_chain_4g);
	tcase_add_test(h, indirect_table_too_big);
	tcase_add_test(h, writable_before_readable);
	tcase_add_test(h, nested_indirect);
	tcase_add_test(h, indirect_outside_ram);
	tcase_add_test(h, indirect_bad_len);
	tcase_add_test(h, indirect_with_next);
	tcase_add_test(h, indirect_not_negotiated);
	tcase_add_test(h, indirect_next_out_of_table);
	tcase_add_test(h, next_out_of_range);
	tcase_add_test(h, head_out_of_range);
	tcase_add_test(h, avail_idx_too_far);
	tcase_add_test(h, unaligned_desc);
	tcase_add_test(h, unaligned_avail);
	tcase_add_test(h, unaligned_used);
	tcase_add_test(h, size_not_pow2);
	tcase_add_test(h, size_zero_or_too_big);
	tcase_add_test(h, ring_outside_ram);
	suite_add_tcase(s, h);
	return s;
}

UNIT_MAIN
