// SPDX-License-Identifier: GPL-2.0-or-later
/* MP table: checksums, entry counts and the routing it promises, walked as a guest would. */
#include "unit.h"

#include <errno.h>

#include "firmware/bytes.h"
#include "firmware/layout.h"
#include "firmware/mptable.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

START_TEST(tables)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, 1 << 20);
	const unsigned ncpus = 3;
	ck_assert_int_eq(mptable_write(&r.mem, ncpus), 0);
	const uint8_t *fp = r.buf + LAYOUT_MPTABLE;
	ck_assert_mem_eq(fp, "_MP_", 4);
	ck_assert_uint_eq(fp[8], 1);
	ck_assert_uint_eq(fp[9], 4);
	ck_assert_uint_eq(sum(fp, 16), 0);
	uint32_t cfg = le_get32(fp, 4);
	ck_assert_uint_eq(LAYOUT_MPTABLE % 16, 0);
	const uint8_t *h = r.buf + cfg;
	ck_assert_mem_eq(h, "PCMP", 4);
	uint16_t len = le_get16(h, 4), count = le_get16(h, 34);
	ck_assert_uint_le(cfg + len, LAYOUT_EBDA_END);
	ck_assert_uint_eq(sum(h, len), 0);
	ck_assert_uint_eq(le_get32(h, 36), LAYOUT_LAPIC);

	unsigned n[5] = { 0 }, bsp = 0, isa = 0, pci = 0, lint = 0;
	int ioapic_id = -1;
	size_t o = 44;
	uint8_t last_type = 0;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *e = h + o;
		ck_assert_uint_le(e[0], 4);
		ck_assert_uint_ge(e[0], last_type); /* entries sorted by type */
		last_type = e[0];
		n[e[0]]++;
		switch (e[0]) {
		case 0:
			ck_assert_uint_eq(e[1], n[0] - 1);
			ck_assert(e[3] & 1);
			bsp += (e[3] & 2) ? 1 : 0;
			if (e[3] & 2)
				ck_assert_uint_eq(e[1], 0);
			o += 20;
			continue;
		case 2:
			ioapic_id = e[1];
			ck_assert_uint_eq(le_get32(e, 4), LAYOUT_IOAPIC);
			break;
		case 3:
			ck_assert_int_eq(e[6], ioapic_id);
			if (e[4] == 1) { /* ISA */
				isa++;
				ck_assert_uint_eq(e[7], e[5] == 0 ? 2 : e[5]);
			} else {
				pci++;
				unsigned slot = e[5] >> 2;
				ck_assert_uint_eq(e[5] & 3, 0);
				ck_assert_uint_eq(e[7], LAYOUT_PCI_IRQ_BASE + slot % 8);
				ck_assert_uint_eq(le_get16(e, 2), 0x0f);
			}
			break;
		case 4:
			ck_assert_uint_eq(e[6], 0xff);
			ck_assert_uint_eq(e[7], e[1] == 3 ? 0 : 1); /* ExtINT on LINT0, NMI on LINT1 */
			lint++;
			break;
		}
		o += 8;
	}
	ck_assert_uint_eq(o, len);
	ck_assert_uint_eq(n[0], ncpus);
	ck_assert_uint_eq(bsp, 1);
	ck_assert_uint_eq(n[1], 2);
	ck_assert_uint_eq(n[2], 1);
	ck_assert_int_eq(ioapic_id, (int)ncpus);
	ck_assert_uint_eq(isa, 15);
	ck_assert_uint_eq(pci, 31);
	ck_assert_uint_eq(lint, 2);
	fake_ram_free(&r);
}
END_TEST

START_TEST(limits)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, 1 << 20);
	ck_assert_int_eq(mptable_write(&r.mem, 0), -EINVAL);
	ck_assert_int_eq(mptable_write(&r.mem, MPTABLE_MAX_CPUS), 0);
	const uint8_t *h = r.buf + le_get32(r.buf + LAYOUT_MPTABLE, 4);
	ck_assert_uint_eq(sum(h, le_get16(h, 4)), 0);
	ck_assert_int_eq(mptable_write(&r.mem, MPTABLE_MAX_CPUS + 1), -ENOSPC);
	fake_ram_free(&r);
	fake_ram_init(&r, 0, LAYOUT_MPTABLE + 0x100);
	ck_assert_int_eq(mptable_write(&r.mem, 1), -EFAULT);
	fake_ram_free(&r);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("mptable");
	TCase *tc = tcase_create("mptable");
	tcase_add_test(tc, tables);
	tcase_add_test(tc, limits);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
