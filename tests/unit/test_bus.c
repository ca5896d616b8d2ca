// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "vmm/bus.h"

#include <errno.h>

struct rec {
	uint64_t off;
	uint32_t val;
	unsigned size;
	int writes, reads;
};

static void rec_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct rec *r = o;
	r->reads++;
	r->off = off;
	memset(data, 0x5a, size);
}

static void rec_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct rec *r = o;
	r->writes++;
	r->off = off;
	r->size = size;
	r->val = 0;
	memcpy(&r->val, data, size < 4 ? size : 4);
}

static const struct bus_ops rec_ops = { rec_read, rec_write };

START_TEST(overlap_refused)
{
	struct bus b;
	struct rec a = { 0 }, c = { 0 };
	bus_init(&b, "pio");
	ck_assert_int_ge(bus_register(&b, 0x3f8, 8, &rec_ops, &a, "com1"), 0);
	ck_assert_int_eq(bus_register(&b, 0x3fc, 8, &rec_ops, &c, "x"), -EEXIST);
	ck_assert_int_eq(bus_register(&b, 0x3f0, 9, &rec_ops, &c, "x"), -EEXIST);
	ck_assert_int_eq(bus_register(&b, 0x3f0, 0x20, &rec_ops, &c, "x"), -EEXIST);
	ck_assert_int_ge(bus_register(&b, 0x3f0, 8, &rec_ops, &c, "adjacent below"), 0);
	ck_assert_int_ge(bus_register(&b, 0x400, 8, &rec_ops, &c, "adjacent above"), 0);
	ck_assert_int_eq(bus_register(&b, 0x10, 0, &rec_ops, &c, "empty"), -EINVAL);
	ck_assert_int_eq(bus_register(&b, UINT64_MAX - 3, 8, &rec_ops, &c, "wraps"), -EINVAL);
	bus_destroy(&b);
}
END_TEST

START_TEST(dispatch_and_unclaimed)
{
	struct bus b;
	struct rec a = { 0 }, c = { 0 };
	bus_init(&b, "mmio");
	int ida = bus_register(&b, 0x1000, 0x100, &rec_ops, &a, "a");
	int idc = bus_register(&b, 0x3000, 0x10, &rec_ops, &c, "c");
	ck_assert_int_ne(ida, idc);
	uint32_t v = 0x12345678;
	ck_assert_int_eq(bus_access(&b, 0x1010, &v, 4, 1), ida);
	ck_assert_int_eq(a.writes, 1);
	ck_assert_uint_eq(a.off, 0x10);
	ck_assert_uint_eq(a.val, 0x12345678);
	ck_assert_int_eq(bus_access(&b, 0x300f, &v, 1, 0), idc);
	ck_assert_uint_eq(c.off, 0xf);
	ck_assert_uint_eq(v & 0xff, 0x5a);
	/* unclaimed: reads all-ones, writes dropped */
	v = 0;
	ck_assert_int_eq(bus_access(&b, 0x2000, &v, 4, 0), -ENOENT);
	ck_assert_uint_eq(v, 0xffffffffu);
	ck_assert_int_eq(bus_access(&b, 0x2000, &v, 4, 1), -ENOENT);
	/* straddles the end of a range */
	ck_assert_int_eq(bus_access(&b, 0x10fe, &v, 4, 1), -ENOENT);
	ck_assert_int_eq(a.writes, 1);
	/* unregister frees the slot; another device can take the range */
	ck_assert_int_eq(bus_unregister(&b, 0x1000, &c), -ENOENT);
	ck_assert_int_eq(bus_unregister(&b, 0x1000, &a), 0);
	ck_assert_int_eq(bus_access(&b, 0x1010, &v, 4, 1), -ENOENT);
	ck_assert_int_ge(bus_register(&b, 0x1000, 0x100, &rec_ops, &c, "c2"), 0);
	bus_destroy(&b);
}
END_TEST

static unsigned rep_calls, rep_count;
/* takes at most 100 elements per call, as a device whose data phase ends mid-batch */
static unsigned rec_rep(void *o, uint64_t off, void *data, unsigned size, unsigned count, int is_write)
{
	rep_calls++;
	rep_count = count;
	unsigned n = count < 100 ? count : 100;
	if (!is_write)
		memset(data, 0xa5, (size_t)n * size);
	return n;
}

START_TEST(string_io_in_one_call)
{
	struct bus b;
	struct rec a = { 0 };
	uint16_t buf[256];
	bus_init(&b, "pio");
	int id = bus_register(&b, 0x1f0, 8, &rec_ops, &a, "ide0");
	ck_assert_int_ge(id, 0);
	/* without a rep handler: one access per element */
	ck_assert_int_eq(bus_access_rep(&b, 0x1f0, buf, 2, 256, 0), id);
	ck_assert_int_eq(a.reads, 256);
	ck_assert_int_eq(bus_set_rep(&b, 0x1f1, &a, rec_rep), -ENOENT);
	ck_assert_int_eq(bus_set_rep(&b, 0x1f0, &rep_calls, rec_rep), -ENOENT); /* not its owner */
	ck_assert_int_eq(bus_set_rep(&b, 0x1f0, &a, rec_rep), 0);
	/* with one: one call for the batch; what it leaves goes element by element */
	a.reads = 0;
	ck_assert_int_eq(bus_access_rep(&b, 0x1f0, buf, 2, 256, 0), id);
	ck_assert_uint_eq(rep_calls, 1);
	ck_assert_uint_eq(rep_count, 256);
	ck_assert_int_eq(a.reads, 156);
	ck_assert_uint_eq(buf[99], 0xa5a5);
	ck_assert_uint_eq(buf[100], 0x5a5a);
	ck_assert_int_eq(bus_access_rep(&b, 0x1f0, buf, 2, 50, 1), id);
	ck_assert_uint_eq(rep_calls, 2);
	ck_assert_int_eq(a.writes, 0);
	ck_assert_int_eq(bus_access_rep(&b, 0x300, buf, 2, 4, 0), -ENOENT);
	ck_assert_uint_eq(buf[3], 0xffff);
	bus_destroy(&b);
}
END_TEST

START_TEST(many_sorted)
{
	struct bus b;
	struct rec r[64];
	memset(r, 0, sizeof(r));
	bus_init(&b, "pio");
	/* register in a scrambled order; each lookup must still find its own device */
	for (int i = 0; i < 64; i++) {
		int k = (i * 37) % 64;
		ck_assert_int_ge(bus_register(&b, 0x100 + (uint64_t)k * 0x10, 4, &rec_ops, &r[k], "r"), 0);
	}
	for (int k = 0; k < 64; k++) {
		uint8_t v = (uint8_t)k;
		ck_assert_int_ge(bus_access(&b, 0x100 + (uint64_t)k * 0x10 + 3, &v, 1, 1), 0);
		ck_assert_int_eq(r[k].writes, 1);
		ck_assert_uint_eq(r[k].off, 3);
		ck_assert_int_eq(bus_access(&b, 0x100 + (uint64_t)k * 0x10 + 4, &v, 1, 1), -ENOENT);
	}
	bus_destroy(&b);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("registry");
	tcase_add_test(tc, overlap_refused);
	tcase_add_test(tc, dispatch_and_unclaimed);
	tcase_add_test(tc, many_sorted);
	tcase_add_test(tc, string_io_in_one_call);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
