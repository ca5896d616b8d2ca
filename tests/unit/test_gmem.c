// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"

#include <errno.h>

START_TEST(bounds)
{
	struct gmem m = { 0 };
	static uint8_t lo[0x1000], hi[0x2000];
	ck_assert_int_eq(gmem_add(&m, 0, sizeof(lo), lo), 0);
	ck_assert_int_eq(gmem_add(&m, 0x100000000ULL, sizeof(hi), hi), 0);
	ck_assert_int_eq(gmem_add(&m, 0x800, 0x1000, hi), -EINVAL);
	ck_assert_int_eq(gmem_add(&m, UINT64_MAX - 10, 0x100, hi), -EINVAL);
	ck_assert_uint_eq(m.ram_size, 0x3000);
	ck_assert_ptr_eq(gmem_ptr(&m, 0, 0x1000), lo);
	ck_assert_ptr_null(gmem_ptr(&m, 0, 0x1001));
	ck_assert_ptr_null(gmem_ptr(&m, 0xfff, 2));
	ck_assert_ptr_eq(gmem_ptr(&m, 0xfff, 1), lo + 0xfff);
	ck_assert_ptr_null(gmem_ptr(&m, 0x1000, 1));
	ck_assert_ptr_null(gmem_ptr(&m, 0, 0));
	ck_assert_ptr_eq(gmem_ptr(&m, 0x100001000ULL, 0x1000), hi + 0x1000);
	/* lengths that wrap the address space never pass */
	ck_assert_ptr_null(gmem_ptr(&m, 0x10, UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(&m, 0x100000010ULL, UINT64_MAX - 0xf));
	uint32_t v = 0xdeadbeef;
	ck_assert_int_eq(gmem_write32(&m, 0x100001ffcULL, v), 0);
	ck_assert_int_eq(gmem_write32(&m, 0x100001ffdULL, v), -EFAULT);
	v = 0;
	ck_assert_int_eq(gmem_read32(&m, 0x100001ffcULL, &v), 0);
	ck_assert_uint_eq(v, 0xdeadbeef);
	uint8_t buf[16];
	ck_assert_int_eq(gmem_read(&m, 0xff8, buf, 16), -EFAULT);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("gmem");
	TCase *tc = tcase_create("accessor");
	tcase_add_test(tc, bounds);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
