// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "devices/i8042.h"
#include "vmm/bus.h"

struct fix {
	struct bus pio;
	struct irq_recorder rec;
	struct i8042 *k;
};

static void setup(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	bus_init(&f->pio, "pio");
	struct irq_line l = irqrec_line(&f->rec, 1);
	ck_assert_int_eq(i8042_create(&f->k, &f->pio, &l, &irqrec_hooks, &f->rec), 0);
}

static void teardown(struct fix *f)
{
	i8042_destroy(f->k);
	bus_destroy(&f->pio);
}

static uint8_t in8(struct fix *f, unsigned port)
{
	uint8_t v = 0;
	ck_assert_int_ge(bus_access(&f->pio, port, &v, 1, 0), 0);
	return v;
}

static void out8(struct fix *f, unsigned port, uint8_t v)
{
	ck_assert_int_ge(bus_access(&f->pio, port, &v, 1, 1), 0);
}

/* like Linux's i8042_command(): command, optional parameter, optional reply; -1 when no reply */
static int cmd(struct fix *f, uint8_t c, int param)
{
	ck_assert_uint_eq(in8(f, 0x64) & 0x02, 0); /* input buffer never full */
	out8(f, 0x64, c);
	if (param >= 0)
		out8(f, 0x60, (uint8_t)param);
	if (!(in8(f, 0x64) & 0x01))
		return -1;
	return in8(f, 0x60);
}

START_TEST(linux_probe)
{
	struct fix f;
	setup(&f);
	ck_assert_uint_ne(in8(&f, 0x64), 0xff);
	ck_assert_uint_eq(in8(&f, 0x64) & 0x01, 0); /* flush finds nothing */
	ck_assert_int_eq(cmd(&f, 0xaa, -1), 0x55);
	int ctr = cmd(&f, 0x20, -1);
	ck_assert_int_eq(cmd(&f, 0x20, -1), ctr); /* stable CTR reads */
	ck_assert_int_eq(cmd(&f, 0x60, 0x47), -1);
	ck_assert_int_eq(cmd(&f, 0x20, -1), 0x47);
	/* AUX: loop reply lacks the AUX flag, interface test says nothing is attached */
	out8(&f, 0x64, 0xd3);
	out8(&f, 0x60, 0x5a);
	ck_assert_uint_eq(in8(&f, 0x64) & 0x21, 0x01);
	int t = cmd(&f, 0xa9, -1);
	ck_assert(t != 0 && t != 0xfa && t != 0xff);
	ck_assert_int_eq(cmd(&f, 0xab, -1), 0);
	/* port disable/enable reflected in the CTR */
	cmd(&f, 0xad, -1);
	ck_assert_int_eq(cmd(&f, 0x20, -1) & 0x10, 0x10);
	cmd(&f, 0xae, -1);
	ck_assert_int_eq(cmd(&f, 0x20, -1) & 0x10, 0);
	cmd(&f, 0xa7, -1);
	ck_assert_int_eq(cmd(&f, 0x20, -1) & 0x20, 0x20);
	cmd(&f, 0xa8, -1);
	ck_assert_int_eq(cmd(&f, 0x20, -1) & 0x20, 0);
	ck_assert_int_eq(f.rec.nstop, 0);
	teardown(&f);
}
END_TEST

START_TEST(keyboard_nak_and_irq)
{
	struct fix f;
	setup(&f);
	cmd(&f, 0x60, 0x45); /* KBDINT on */
	ck_assert_int_eq(f.rec.level[1], 0);
	out8(&f, 0x60, 0xf2); /* GETID to the absent keyboard */
	ck_assert_int_eq(f.rec.level[1], 1);
	ck_assert_uint_eq(in8(&f, 0x64) & 0x21, 0x01);
	ck_assert_uint_eq(in8(&f, 0x60), 0xfe);
	ck_assert_int_eq(f.rec.level[1], 0);
	cmd(&f, 0x60, 0x44); /* KBDINT off: no interrupt */
	out8(&f, 0x60, 0xff);
	ck_assert_int_eq(f.rec.level[1], 0);
	ck_assert_uint_eq(in8(&f, 0x60), 0xfe);
	teardown(&f);
}
END_TEST

START_TEST(reset_line)
{
	struct fix f;
	setup(&f);
	out8(&f, 0x64, 0xff); /* pulse nothing */
	ck_assert_int_eq(f.rec.nstop, 0);
	out8(&f, 0x64, 0xfe);
	ck_assert_int_eq(f.rec.nstop, 1);
	ck_assert_int_eq(f.rec.stop_reason, VM_STOP_RESET);
	out8(&f, 0x64, 0xd1); /* output port with the reset bit clear */
	out8(&f, 0x60, 0x02);
	ck_assert_int_eq(f.rec.nstop, 2);
	teardown(&f);
}
END_TEST

START_TEST(wide_and_unknown)
{
	struct fix f;
	setup(&f);
	uint32_t v = 0;
	/* 0x61 stays free for the in-kernel PIT; wide accesses straddle and go unclaimed */
	ck_assert_int_lt(bus_access(&f.pio, 0x61, &v, 1, 0), 0);
	ck_assert_int_lt(bus_access(&f.pio, 0x60, &v, 4, 0), 0);
	ck_assert_int_lt(bus_access(&f.pio, 0x64, &v, 2, 1), 0);
	for (unsigned c = 0; c < 0xf0; c++) {
		if (c == 0xd1)
			continue;
		out8(&f, 0x64, (uint8_t)c);
		out8(&f, 0x60, 0x01);
		in8(&f, 0x60);
	}
	ck_assert_int_eq(f.rec.nstop, 0);
	teardown(&f);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("i8042");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, linux_probe);
	tcase_add_test(tc, keyboard_nak_and_irq);
	tcase_add_test(tc, reset_line);
	tcase_add_test(tc, wide_and_unknown);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
