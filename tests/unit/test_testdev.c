// SPDX-License-Identifier: GPL-2.0-or-later
/* kvm-unit-tests' pc-testdev (devices/testdev.h): the scratch register, the interrupt lines, the
 * ioram, the ranges, and the saved state (round trip, hostile payloads, lines re-driven on load). */
#include "unit.h"

#include <errno.h>

#include "devices/testdev.h"
#include "state_test.h"
#include "vmm/bus.h"

START_TEST(scratch_and_lines)
{
	struct bus pio, mmio;
	struct irq_recorder rec = { 0 };
	struct testdev *t;
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	ck_assert_int_eq(testdev_create(&t, &pio, &mmio, &irqrec_hooks, &rec), 0);
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
	/* the ioram: memory behind exits, every width, its last bytes; nothing past it */
	uint64_t q = 0x1122334455667788ULL;
	ck_assert_int_ge(bus_access(&mmio, 0xff000000 + 0xfff8, &q, 8, 1), 0);
	q = 0;
	ck_assert_int_ge(bus_access(&mmio, 0xff000000 + 0xfffc, &q, 4, 0), 0);
	ck_assert_uint_eq(q, 0x11223344);
	ck_assert_int_lt(bus_access(&mmio, 0xff000000 + 0xfffc, &q, 8, 0), 0); /* straddles the end */
	ck_assert_int_lt(bus_access(&mmio, 0xff010000, &q, 1, 1), 0);
	/* a second one cannot take the same ranges */
	struct testdev *t2;
	ck_assert_int_eq(testdev_create(&t2, &pio, &mmio, &irqrec_hooks, &rec), -EEXIST);
	testdev_destroy(t);
	ck_assert_int_lt(bus_access(&pio, 0xe0, &b, 1, 1), 0);
	ck_assert_int_lt(bus_access(&pio, 0x2000, &b, 1, 1), 0);
	ck_assert_int_lt(bus_access(&mmio, 0xff000000, &b, 1, 1), 0);
	ck_assert_int_eq(testdev_create(&t, &pio, &mmio, &irqrec_hooks, &rec), 0); /* every range was freed */
	testdev_destroy(t);
	/* the I/O ranges free again when the memory cannot be had */
	static const struct bus_ops none = { NULL, NULL };
	ck_assert_int_ge(bus_register(&mmio, 0xff008000, 16, &none, &rec, "in the way"), 0);
	ck_assert_int_eq(testdev_create(&t, &pio, &mmio, &irqrec_hooks, &rec), -EEXIST);
	ck_assert_int_lt(bus_access(&pio, 0xe0, &b, 1, 1), 0);
	bus_destroy(&pio);
	bus_destroy(&mmio);
}
END_TEST

START_TEST(state_round_trip)
{
	struct bus pio, pio2, mmio, mmio2;
	struct irq_recorder rec = { 0 }, rec2 = { 0 };
	struct testdev *t, *t2;
	bus_init(&pio, "pio");
	bus_init(&pio2, "pio");
	bus_init(&mmio, "mmio");
	bus_init(&mmio2, "mmio");
	ck_assert_int_eq(testdev_create(&t, &pio, &mmio, &irqrec_hooks, &rec), 0);
	ck_assert_int_eq(testdev_create(&t2, &pio2, &mmio2, &irqrec_hooks, &rec2), 0);
	uint32_t mv = 0xabcdef01;
	ck_assert_int_ge(bus_access(&mmio, 0xff000000 + 0x1234, &mv, 4, 1), 0);
	uint32_t v = 0xcafe0042;
	ck_assert_int_ge(bus_access(&pio, 0xe0, &v, 4, 1), 0);
	uint8_t b = 1;
	ck_assert_int_ge(bus_access(&pio, 0x2000 + 9, &b, 1, 1), 0);
	size_t len;
	uint8_t *p = st_save(&testdev_state_ops, t, &len);
	ck_assert_uint_eq(len, 28 + 0x10000);
	ck_assert_int_eq(st_load(&testdev_state_ops, t2, p, len), 0);
	ck_assert_int_eq(rec2.level[9], 1); /* re-driven */
	v = 0;
	ck_assert_int_ge(bus_access(&pio2, 0xe0, &v, 4, 0), 0);
	ck_assert_uint_eq(v, 0xcafe0042);
	b = 0;
	ck_assert_int_ge(bus_access(&pio2, 0x2000 + 9, &b, 1, 0), 0);
	ck_assert_uint_eq(b, 1);
	mv = 0;
	ck_assert_int_ge(bus_access(&mmio2, 0xff000000 + 0x1234, &mv, 4, 0), 0);
	ck_assert_uint_eq(mv, 0xabcdef01);
	st_assert_same(&testdev_state_ops, t2, p, len, 0, "a round trip", 0);
	/* short and long payloads, a level that is not 0 or 1: refused, device unchanged (the whole
	 * payload's byte-wise checks would load 64 KiB 200 000 times: the cuts that matter instead) */
	static const size_t cuts[] = { 0, 3, 4, 27, 28, 28 + 0x8000 };
	uint8_t *big = malloc(len + 1);
	memcpy(big, p, len);
	big[len] = 0;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		ck_assert_int_eq(st_load(&testdev_state_ops, t2, big, cuts[i]), -EBADMSG);
	ck_assert_int_eq(st_load(&testdev_state_ops, t2, big, len - 1), -EBADMSG);
	ck_assert_int_eq(st_load(&testdev_state_ops, t2, big, len + 1), -EBADMSG);
	big[4 + 3] = 2;
	ck_assert_int_eq(st_load(&testdev_state_ops, t2, big, len), -EINVAL);
	st_assert_same(&testdev_state_ops, t2, p, len, 0, "a refused load", 0);
	free(big);
	free(p);
	testdev_destroy(t);
	testdev_destroy(t2);
	bus_destroy(&pio);
	bus_destroy(&pio2);
	bus_destroy(&mmio);
	bus_destroy(&mmio2);
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
