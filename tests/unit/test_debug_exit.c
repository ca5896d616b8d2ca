// SPDX-License-Identifier: GPL-2.0-or-later
/* The exit device (devices/debug_exit.h): status (V << 1) | 1, the range, the option's grammar. */
#include "unit.h"

#include <errno.h>

#include "devices/debug_exit.h"
#include "vmm/bus.h"

START_TEST(write_ends_the_vm)
{
	struct bus pio;
	struct irq_recorder rec = { 0 };
	struct debug_exit *d;
	bus_init(&pio, "pio");
	ck_assert_int_eq(debug_exit_create(&d, &pio, 0xf4, 4, &irqrec_hooks, &rec), 0);
	ck_assert_int_eq(debug_exit_status(d), -1);
	uint32_t v = 0;
	ck_assert_int_ge(bus_access(&pio, 0xf4, &v, 4, 0), 0);
	ck_assert_uint_eq(v, 0xffffffff); /* nothing to read */
	ck_assert_int_eq(rec.nstop, 0);
	uint8_t b = 0x21;
	ck_assert_int_ge(bus_access(&pio, 0xf4, &b, 1, 1), 0);
	ck_assert_int_eq(rec.nstop, 1);
	ck_assert_int_eq(rec.stop_reason, VM_STOP_GUEST_EXIT);
	ck_assert_int_eq(debug_exit_status(d), 67);
	b = 0;
	ck_assert_int_ge(bus_access(&pio, 0xf7, &b, 1, 1), 0); /* the last port of the range */
	ck_assert_int_eq(debug_exit_status(d), 67); /* the first write wins */
	ck_assert_int_eq(rec.nstop, 1);
	ck_assert_int_lt(bus_access(&pio, 0xf8, &b, 1, 1), 0); /* past the range: unclaimed */
	debug_exit_destroy(d);
	ck_assert_int_lt(bus_access(&pio, 0xf4, &b, 1, 1), 0); /* gone */
	bus_destroy(&pio);
}
END_TEST

START_TEST(status_keeps_the_low_byte)
{
	struct bus pio;
	struct irq_recorder rec = { 0 };
	struct debug_exit *d;
	bus_init(&pio, "pio");
	ck_assert_int_eq(debug_exit_create(&d, &pio, 0x501, 2, &irqrec_hooks, &rec), 0);
	uint16_t w = 0x1ff; /* (0x1ff << 1) | 1 = 0x3ff: the process sees 0xff */
	ck_assert_int_ge(bus_access(&pio, 0x501, &w, 2, 1), 0);
	ck_assert_int_eq(debug_exit_status(d), 0xff);
	debug_exit_destroy(d);
	ck_assert_int_eq(debug_exit_create(&d, &pio, 0xf4, 0, &irqrec_hooks, &rec), -EINVAL);
	ck_assert_int_eq(debug_exit_create(&d, &pio, 0xf4, 5, &irqrec_hooks, &rec), -EINVAL);
	ck_assert_int_eq(debug_exit_create(&d, &pio, 0xfffe, 4, &irqrec_hooks, &rec), -EINVAL);
	bus_destroy(&pio);
}
END_TEST

START_TEST(option_grammar)
{
	uint16_t port;
	unsigned n;
	ck_assert_int_eq(debug_exit_parse(NULL, &port, &n), 0);
	ck_assert_uint_eq(port, 0xf4);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(debug_exit_parse("", &port, &n), 0);
	ck_assert_int_eq(debug_exit_parse("0x501,iosize=2", &port, &n), 0);
	ck_assert_uint_eq(port, 0x501);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(debug_exit_parse("iosize=1", &port, &n), 0);
	ck_assert_uint_eq(port, 0xf4);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(debug_exit_parse("244", &port, &n), 0);
	ck_assert_uint_eq(port, 0xf4);
	static const char *const bad[] = { "0x10000", "-1", "iosize=0", "iosize=5", "0xf4,", "x", "0xf4,iosize=",
					   "0xfffe,iosize=4", "iosize=2x", "0xf4,bogus=1" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(debug_exit_parse(bad[i], &port, &n) == -EINVAL, "%s accepted", bad[i]);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("debug_exit");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, write_ends_the_vm);
	tcase_add_test(tc, status_keeps_the_low_byte);
	tcase_add_test(tc, option_grammar);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
