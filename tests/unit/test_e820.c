// SPDX-License-Identifier: GPL-2.0-or-later
/* The e820 map derived from RAM regions: order, the reserved BIOS area, limits. */
#include "unit.h"

#include <errno.h>

#include "firmware/e820.h"
#include "firmware/layout.h"

static uint8_t dummy[16]; /* e820_build never touches RAM contents */

START_TEST(split_and_sort)
{
	struct gmem m = { 0 };
	/* the high region first: the map must still come out sorted */
	ck_assert_int_eq(gmem_add(&m, LAYOUT_4G, 1ULL << 30, dummy), 0);
	ck_assert_int_eq(gmem_add(&m, 0, LAYOUT_PCI_HOLE, dummy), 0);
	struct e820_entry e[8];
	ck_assert_int_eq(e820_build(&m, e, 8), 4);
	ck_assert_uint_eq(e[0].addr, 0);
	ck_assert_uint_eq(e[0].size, LAYOUT_MPTABLE);
	ck_assert_uint_eq(e[0].type, E820_RAM);
	ck_assert_uint_eq(e[1].addr, LAYOUT_MPTABLE);
	ck_assert_uint_eq(e[1].size, LAYOUT_HIMEM - LAYOUT_MPTABLE);
	ck_assert_uint_eq(e[1].type, E820_RESERVED);
	ck_assert_uint_eq(e[2].addr, LAYOUT_HIMEM);
	ck_assert_uint_eq(e[2].size, LAYOUT_PCI_HOLE - LAYOUT_HIMEM);
	ck_assert_uint_eq(e[2].type, E820_RAM);
	ck_assert_uint_eq(e[3].addr, LAYOUT_4G);
	ck_assert_uint_eq(e[3].size, 1ULL << 30);
	ck_assert_uint_eq(e[3].type, E820_RAM);
	ck_assert_int_eq(e820_build(&m, e, 3), -ENOSPC);
}
END_TEST

START_TEST(odd_regions)
{
	struct gmem m = { 0 };
	struct e820_entry e[8];
	ck_assert_int_eq(e820_build(&m, e, 8), -EINVAL);
	/* RAM ending inside the reserved area: only the part below it is usable */
	ck_assert_int_eq(gmem_add(&m, 0, 0xa0000, dummy), 0);
	ck_assert_int_eq(e820_build(&m, e, 8), 2);
	ck_assert_uint_eq(e[0].size, LAYOUT_MPTABLE);
	ck_assert_uint_eq(e[1].type, E820_RESERVED);
	/* RAM only above 1 MiB: no reserved entry */
	struct gmem h = { 0 };
	ck_assert_int_eq(gmem_add(&h, LAYOUT_HIMEM, 1 << 20, dummy), 0);
	ck_assert_int_eq(e820_build(&h, e, 8), 1);
	ck_assert_uint_eq(e[0].addr, LAYOUT_HIMEM);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("e820");
	TCase *tc = tcase_create("map");
	tcase_add_test(tc, split_and_sort);
	tcase_add_test(tc, odd_regions);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
