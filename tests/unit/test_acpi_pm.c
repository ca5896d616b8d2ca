// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "devices/acpi_pm.h"
#include "firmware/layout.h"
#include "vmm/bus.h"

#include <time.h>

struct fix {
	struct bus pio;
	struct irq_recorder rec;
	struct acpi_pm *pm;
};

static void setup_with(struct fix *f, int own_reset)
{
	memset(f, 0, sizeof(*f));
	bus_init(&f->pio, "pio");
	struct irq_line sci = irqrec_line(&f->rec, LAYOUT_SCI_IRQ);
	ck_assert_int_eq(acpi_pm_create(&f->pm, &f->pio, &sci, &irqrec_hooks, &f->rec, own_reset), 0);
}

static void teardown(struct fix *f)
{
	acpi_pm_destroy(f->pm);
	bus_destroy(&f->pio);
}

static uint32_t in(struct fix *f, unsigned port, unsigned size)
{
	uint32_t v = 0;
	ck_assert_int_ge(bus_access(&f->pio, port, &v, size, 0), 0);
	return v;
}

static void out(struct fix *f, unsigned port, uint32_t v, unsigned size)
{
	ck_assert_int_ge(bus_access(&f->pio, port, &v, size, 1), 0);
}

START_TEST(poweroff)
{
	struct fix f;
	setup_with(&f, 1);
	ck_assert_uint_eq(in(&f, LAYOUT_PM_CNT, 2) & 1, 1); /* SCI_EN */
	out(&f, LAYOUT_PM_CNT, 3 << 10 | 1 << 13, 2); /* S3: ignored */
	ck_assert_int_eq(f.rec.nstop, 0);
	out(&f, LAYOUT_PM_CNT, 5 << 10, 2); /* type without SLP_EN: nothing yet */
	ck_assert_int_eq(f.rec.nstop, 0);
	ck_assert_uint_eq(in(&f, LAYOUT_PM_CNT, 2), 5 << 10 | 1);
	out(&f, LAYOUT_PM_CNT + 1, (5 << 10 | 1 << 13) >> 8, 1); /* high byte alone is enough */
	ck_assert_int_eq(f.rec.nstop, 1);
	ck_assert_int_eq(f.rec.stop_reason, VM_STOP_POWEROFF);
	ck_assert_uint_eq(in(&f, LAYOUT_PM_CNT, 2) & (1 << 13), 0); /* SLP_EN is write-only */
	teardown(&f);
}
END_TEST

START_TEST(reset_register)
{
	struct fix f;
	setup_with(&f, 1);
	out(&f, LAYOUT_RESET_PORT, 0x02, 1);
	ck_assert_int_eq(f.rec.nstop, 0);
	ck_assert_uint_eq(in(&f, LAYOUT_RESET_PORT, 1), 0x02);
	out(&f, LAYOUT_RESET_PORT, ACPI_PM_RESET_VALUE, 1);
	ck_assert_int_eq(f.rec.nstop, 1);
	ck_assert_int_eq(f.rec.stop_reason, VM_STOP_RESET);
	out(&f, LAYOUT_RESET_PORT, 0x0e, 1);
	ck_assert_int_eq(f.rec.nstop, 2);
	teardown(&f);
	/* without the port, 0xCF9 stays free for the PCI host */
	setup_with(&f, 0);
	uint8_t v = 6;
	ck_assert_int_lt(bus_access(&f.pio, LAYOUT_RESET_PORT, &v, 1, 1), 0);
	ck_assert_int_eq(f.rec.nstop, 0);
	teardown(&f);
}
END_TEST

START_TEST(timer_runs)
{
	struct fix f;
	setup_with(&f, 0);
	uint32_t a = in(&f, LAYOUT_PM_TMR, 4);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	uint32_t b = in(&f, LAYOUT_PM_TMR, 4);
	ck_assert_uint_eq(a >> 24, 0);
	ck_assert_uint_eq(b >> 24, 0);
	uint32_t d = (b - a) & 0xffffff;
	ck_assert_uint_ge(d, 35000); /* 10 ms = 35795 ticks */
	ck_assert_uint_lt(d, 3579545);
	out(&f, LAYOUT_PM_TMR, 0, 4); /* read-only, harmless */
	teardown(&f);
}
END_TEST

START_TEST(events_and_sci)
{
	struct fix f;
	setup_with(&f, 0);
	acpi_pm_power_button(f.pm);
	ck_assert_uint_eq(in(&f, LAYOUT_PM_EVT, 2), 0x0100);
	ck_assert_int_eq(f.rec.level[LAYOUT_SCI_IRQ], 0); /* not enabled yet */
	out(&f, LAYOUT_PM_EVT + 2, 0xffff, 2);
	ck_assert_uint_eq(in(&f, LAYOUT_PM_EVT + 2, 2), 0x0721);
	ck_assert_int_eq(f.rec.level[LAYOUT_SCI_IRQ], 1);
	out(&f, LAYOUT_PM_EVT, 0x0001, 2); /* clearing another bit changes nothing */
	ck_assert_int_eq(f.rec.level[LAYOUT_SCI_IRQ], 1);
	out(&f, LAYOUT_PM_EVT, 0x0100, 2); /* write 1 to clear */
	ck_assert_uint_eq(in(&f, LAYOUT_PM_EVT, 2), 0);
	ck_assert_int_eq(f.rec.level[LAYOUT_SCI_IRQ], 0);
	/* a 4-byte access over status + enable */
	acpi_pm_power_button(f.pm);
	ck_assert_uint_eq(in(&f, LAYOUT_PM_EVT, 4), 0x07210100);
	out(&f, LAYOUT_PM_EVT, 0x00000100, 4);
	ck_assert_uint_eq(in(&f, LAYOUT_PM_EVT, 4), 0x00000000);
	ck_assert_int_eq(f.rec.level[LAYOUT_SCI_IRQ], 0);
	teardown(&f);
}
END_TEST

START_TEST(hostile)
{
	struct fix f;
	setup_with(&f, 1);
	uint64_t v;
	for (unsigned off = 0; off < LAYOUT_PM_LEN + 2; off++)
		for (unsigned size = 1; size <= 8; size *= 2) {
			v = 0;
			bus_access(&f.pio, LAYOUT_PM_BASE + off, &v, size, 0);
			v = 0;
			bus_access(&f.pio, LAYOUT_PM_BASE + off, &v, size, 1);
		}
	v = 0;
	ck_assert_int_lt(bus_access(&f.pio, LAYOUT_RESET_PORT, &v, 2, 1), 0);
	ck_assert_int_eq(f.rec.nstop, 0);
	teardown(&f);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("acpi_pm");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, poweroff);
	tcase_add_test(tc, reset_register);
	tcase_add_test(tc, timer_runs);
	tcase_add_test(tc, events_and_sci);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
