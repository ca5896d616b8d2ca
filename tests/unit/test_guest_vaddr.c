// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest page-table walks (vmm/guest_vaddr.c) over fake RAM: 4-level long mode with 4 KiB, 2 MiB
 * and 1 GiB pages, 5-level, PAE, 32-bit with and without 4 MiB pages, no paging; not-present
 * entries, non-canonical addresses and tables outside RAM fail; reads stop at an unmapped page,
 * writes are all or nothing. */
#include "unit.h"
#include "vmm/guest_vaddr.h"

#include <errno.h>

#define RAM (16u << 20)
#define P 1ULL
#define W 2ULL
#define PS 0x80ULL

static struct fake_ram R;

static void setup(void)
{
	fake_ram_init(&R, 0, RAM);
}

static void teardown(void)
{
	fake_ram_free(&R);
}

static void put64(uint64_t gpa, uint64_t v)
{
	ck_assert_int_eq(gmem_write64(&R.mem, gpa, v), 0);
}

static uint64_t xlate(const struct gva_mode *md, uint64_t va, int *err)
{
	uint64_t pa = 0, span = 0;
	*err = gva_translate(&R.mem, md, va, &pa, &span);
	return pa;
}

/* long mode: PML4 at 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000 */
static const struct gva_mode LM = { .cr0 = 0x80000001, .cr3 = 0x1000, .cr4 = 0x20, .efer = 0x500 };
static const uint64_t KVA = 0xffffffff81000000ULL; /* PML4 511, PDPT 510, PD 8 */

static void build_lm(void)
{
	put64(0x1000 + 511 * 8, 0x2000 | P | W);
	put64(0x2000 + 510 * 8, 0x3000 | P | W);
	put64(0x3000 + 8 * 8, 0x4000 | P | W);
	put64(0x4000 + 1 * 8, 0x500000 | P); /* KVA + 0x1000 -> 0x500000 */
	put64(0x3000 + 9 * 8, 0x600000 | P | PS); /* KVA + 2M: a 2 MiB page at 6 MiB */
	put64(0x2000 + 0 * 8, 0x40000000 | P | PS); /* 0xffffff8000000000: a 1 GiB page at 1 GiB */
}

START_TEST(long_mode)
{
	int err;
	build_lm();
	ck_assert_uint_eq(xlate(&LM, KVA + 0x1234, &err), 0x500234);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(xlate(&LM, KVA + 0x200000 + 0x12345, &err), 0x612345);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(xlate(&LM, 0xffffff8000000000ULL + 0x123456, &err), 0x40123456);
	ck_assert_int_eq(err, 0);
	uint64_t pa, span;
	ck_assert_int_eq(gva_translate(&R.mem, &LM, KVA + 0x1ff0, &pa, &span), 0);
	ck_assert_uint_eq(span, 0x10);
	xlate(&LM, KVA, &err); /* PT entry 0 not present */
	ck_assert_int_eq(err, -EFAULT);
	xlate(&LM, 0x0000800000000000ULL, &err); /* not canonical */
	ck_assert_int_eq(err, -EFAULT);
	xlate(&LM, 0x1000, &err); /* PML4 entry 0 empty */
	ck_assert_int_eq(err, -EFAULT);
	/* a table outside RAM: the walk fails, nothing is read from there */
	put64(0x3000 + 10 * 8, 0x7ff0000000ULL | P);
	xlate(&LM, KVA + 0x400000, &err);
	ck_assert_int_eq(err, -EFAULT);
	struct gva_mode far = LM;
	far.cr3 = 0x100000000ULL;
	xlate(&far, KVA, &err);
	ck_assert_int_eq(err, -EFAULT);
}
END_TEST

START_TEST(five_level)
{
	int err;
	struct gva_mode md = LM;
	md.cr4 |= 1 << 12; /* LA57: PML5 at 0x1000, its entry 511 -> the PML4 at 0x5000 */
	put64(0x1000 + 511 * 8, 0x5000 | P);
	put64(0x5000 + 511 * 8, 0x2000 | P);
	put64(0x2000 + 510 * 8, 0x3000 | P);
	put64(0x3000 + 8 * 8, 0x800000 | P | PS);
	ck_assert_uint_eq(xlate(&md, KVA + 0x42, &err), 0x800042);
	ck_assert_int_eq(err, 0);
	xlate(&md, 0x0100000000000000ULL, &err); /* bit 56 set, bits above not: not canonical */
	ck_assert_int_eq(err, -EFAULT);
}
END_TEST

START_TEST(legacy_modes)
{
	int err;
	/* PAE: PDPT at 0x1020 (32-byte aligned), entry 3 -> PD 0x3000; PD entry 1 -> PT 0x4000 */
	struct gva_mode pae = { .cr0 = 0x80000001, .cr3 = 0x1020, .cr4 = 0x20 };
	put64(0x1020 + 3 * 8, 0x3000 | P);
	put64(0x3000 + 1 * 8, 0x4000 | P);
	put64(0x4000 + 5 * 8, 0x800000 | P);
	put64(0x3000 + 2 * 8, 0xa00000 | P | PS);
	ck_assert_uint_eq(xlate(&pae, 0xc0205123, &err), 0x800123);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(xlate(&pae, 0xc0412345, &err), 0xa12345);
	ck_assert_int_eq(err, 0);
	xlate(&pae, 0x00001000, &err);
	ck_assert_int_eq(err, -EFAULT);
	/* 32-bit: PD at 0x6000; entry 0x300 -> PT 0x7000; entry 0x301 a 4 MiB page (with PSE) */
	struct gva_mode pg32 = { .cr0 = 0x80000001, .cr3 = 0x6000, .cr4 = 0x10 };
	ck_assert_int_eq(gmem_write32(&R.mem, 0x6000 + 0x300 * 4, 0x7000 | P), 0);
	ck_assert_int_eq(gmem_write32(&R.mem, 0x7000 + 2 * 4, 0x900000 | P), 0);
	ck_assert_int_eq(gmem_write32(&R.mem, 0x6000 + 0x301 * 4, 0xc00000 | P | PS), 0);
	ck_assert_uint_eq(xlate(&pg32, 0xc0002abc, &err), 0x900abc);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(xlate(&pg32, 0xc0412345, &err), 0xc12345);
	ck_assert_int_eq(err, 0);
	/* no paging: linear is physical */
	struct gva_mode flat = { .cr0 = 0x11 };
	ck_assert_uint_eq(xlate(&flat, 0x123456, &err), 0x123456);
	ck_assert_int_eq(err, 0);
}
END_TEST

START_TEST(read_write)
{
	build_lm();
	put64(0x4000 + 2 * 8, 0x501000 | P); /* KVA+0x1000 and +0x2000 both mapped, +0x3000 not */
	uint8_t buf[0x3000];
	memset(R.buf + 0x500ff0, 0x5a, 0x20);
	ck_assert_int_eq(gva_read(&R.mem, &LM, KVA + 0x1ff0, buf, 0x20), 0x20);
	ck_assert_uint_eq(buf[0x1f], 0x5a);
	ck_assert_int_eq(gva_read(&R.mem, &LM, KVA + 0x2ff0, buf, 0x20), 0x10); /* stops at the hole */
	ck_assert_int_eq(gva_read(&R.mem, &LM, KVA + 0x3000, buf, 0x20), -EFAULT);
	ck_assert_int_eq(gva_read(&R.mem, &LM, KVA + 0x3000, buf, 0), 0);
	memset(buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(gva_write(&R.mem, &LM, KVA + 0x2ff0, buf, 0x20), -EFAULT);
	ck_assert_uint_eq(R.buf[0x501ff0], 0); /* nothing written */
	ck_assert_int_eq(gva_write(&R.mem, &LM, KVA + 0x1ff8, buf, 0x10), 0);
	ck_assert_uint_eq(R.buf[0x500ff8], 0xa5);
	ck_assert_uint_eq(R.buf[0x501007], 0xa5);
	ck_assert_uint_eq(R.buf[0x501008], 0x5a); /* the byte after: as it was */
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("guest_vaddr");
	TCase *tc = tcase_create("walk");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, long_mode);
	tcase_add_test(tc, five_level);
	tcase_add_test(tc, legacy_modes);
	tcase_add_test(tc, read_write);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
