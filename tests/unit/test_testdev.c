// SPDX-License-Identifier: GPL-2.0-or-later
/* kvm-unit-tests' pc-testdev (devices/testdev.h): the scratch register, the interrupt lines, the
 * port ranges, and the saved state (round trip, hostile payloads, lines re-driven on load). */
#include "unit.h"

#include <errno.h>

#include "devices/testdev.h"
#include "state_test.h"
#include "vmm/bus.h"

START_TEST(scratch_and_lines)
{
	struct bus pio;
	struct irq_recorder rec = { 0 };
	struct testdev *t;
	bus_init(&pio, "pio");
	ck_assert_int_eq(testdev_create(&t, &pio, &irqrec_hooks, &rec), 0);
	uint32_t v = 0x12345678;
	ck_assert_int_ge(bus_access(&pio, 0xe0, &v, 4, 1), 0);
	uint8_t b = 0;
	ck_assert_int_ge(bus_access(&pio, 0xe2, &b, 1, 0), 0);
	ck_assert_uint_eq(b, 0x34);
	b = 0x99;
	ck_assert_int_ge(bus_access(&pio, 0xe1, &b, 1, 1), 0);
	v = 0;
	ck_assert_int_ge(bus_access(&pio, 0xe0, &v, 4, 0), 0);
	ck_assert_uint_eq(v, 0x12349978);
	uint16_t w = 0;
	ck_assert_int_ge(bus_access(&pio, 0xe0, &w, 2, 0), 0);
	ck_assert_uint_eq(w, 0x9978);
	/* line 14 up, down, up; any non-zero value is "up" */
	b = 1;
	ck_assert_int_ge(bus_access(&pio, 0x2000 + 14, &b, 1, 1), 0);
	ck_assert_int_eq(rec.level[14], 1);
	b = 0;
	ck_assert_int_ge(bus_access(&pio, 0x2000 + 14, &b, 1, 1), 0);
	ck_assert_int_eq(rec.level[14], 0);
	b = 0x80;
	ck_assert_int_ge(bus_access(&pio, 0x2000 + 14, &b, 1, 1), 0);
	ck_assert_int_eq(rec.level[14], 1);
	ck_assert_int_eq(rec.raises[14], 2);
	ck_assert_int_ge(bus_access(&pio, 0x2000 + 14, &b, 1, 0), 0);
	ck_assert_uint_eq(b, 1);
	b = 1;
	ck_assert_int_ge(bus_access(&pio, 0x2000 + 23, &b, 1, 1), 0);
	ck_assert_int_eq(rec.level[23], 1);
	ck_assert_int_lt(bus_access(&pio, 0x2000 + 24, &b, 1, 1), 0); /* past the 24 lines: unclaimed */
	ck_assert_int_eq(rec.level[24], 0);
	ck_assert_int_lt(bus_access(&pio, 0xe4, &b, 1, 1), 0); /* no flush-page port */
	/* a second one cannot take the same ports */
	struct testdev *t2;
	ck_assert_int_eq(testdev_create(&t2, &pio, &irqrec_hooks, &rec), -EEXIST);
	testdev_destroy(t);
	ck_assert_int_lt(bus_access(&pio, 0xe0, &b, 1, 1), 0);
	ck_assert_int_lt(bus_access(&pio, 0x2000, &b, 1, 1), 0);
	ck_assert_int_eq(testdev_create(&t, &pio, &irqrec_hooks, &rec), 0); /* both ranges were freed */
	testdev_destroy(t);
	bus_destroy(&pio);
}
END_TEST

START_TEST(state_round_trip)
{
	struct bus pio, pio2;
	struct irq_recorder rec = { 0 }, rec2 = { 0 };
	struct testdev *t, *t2;
	bus_init(&pio, "pio");
	bus_init(&pio2, "pio");
	ck_assert_int_eq(testdev_create(&t, &pio, &irqrec_hooks, &rec), 0);
	ck_assert_int_eq(testdev_create(&t2, &pio2, &irqrec_hooks, &rec2), 0);
	uint32_t v = 0xcafe0042;
	ck_assert_int_ge(bus_access(&pio, 0xe0, &v, 4, 1), 0);
	uint8_t b = 1;
	ck_assert_int_ge(bus_access(&pio, 0x2000 + 9, &b, 1, 1), 0);
	size_t len;
	uint8_t *p = st_save(&testdev_state_ops, t, &len);
	ck_assert_uint_eq(len, 28);
	ck_assert_int_eq(st_load(&testdev_state_ops, t2, p, len), 0);
	ck_assert_int_eq(rec2.level[9], 1); /* re-driven */
	v = 0;
	ck_assert_int_ge(bus_access(&pio2, 0xe0, &v, 4, 0), 0);
	ck_assert_uint_eq(v, 0xcafe0042);
	b = 0;
	ck_assert_int_ge(bus_access(&pio2, 0x2000 + 9, &b, 1, 0), 0);
	ck_assert_uint_eq(b, 1);
	st_assert_same(&testdev_state_ops, t2, p, len, 0, "a round trip", 0);
	/* a level that is not 0 or 1, short and long payloads: refused, device unchanged */
	st_check_short(&testdev_state_ops, t2, p, len, 0);
	ck_assert_uint_gt(st_check_mutations(&testdev_state_ops, t2, p, len, 0), 0);
	p[4 + 3] = 2;
	ck_assert_int_eq(st_load(&testdev_state_ops, t2, p, len), -EINVAL);
	free(p);
	testdev_destroy(t);
	testdev_destroy(t2);
	bus_destroy(&pio);
	bus_destroy(&pio2);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("testdev");
	TCase *tc = tcase_create("testdev");
	tcase_add_test(tc, scratch_and_lines);
	tcase_add_test(tc, state_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
