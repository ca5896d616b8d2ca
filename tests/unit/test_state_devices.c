// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved state of the port-I/O devices (8250, RTC, i8042, ACPI PM): each is driven into a state a
 * guest could leave it in, saved, loaded into a fresh instance on a bus of its own, and then both
 * are read the way a guest would: the answers and the interrupt lines must be the same. Bad
 * payloads must be refused without touching the device. */
#include "state_test.h"
#include "devices/acpi_pm.h"
#include "devices/i8042.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "firmware/layout.h"
#include "vmm/bus.h"
#include "vmm/le.h"

#include <time.h>

/* two machines' worth of port buses and interrupt recorders: [0] the source, [1] the target */
struct two {
	struct bus pio[2];
	struct irq_recorder rec[2];
};

static void two_init(struct two *t)
{
	memset(t, 0, sizeof(*t));
	bus_init(&t->pio[0], "pio");
	bus_init(&t->pio[1], "pio");
}

static void two_fini(struct two *t)
{
	bus_destroy(&t->pio[0]);
	bus_destroy(&t->pio[1]);
}

static uint8_t in8(struct two *t, int i, unsigned port)
{
	uint8_t v = 0;
	ck_assert_int_ge(bus_access(&t->pio[i], port, &v, 1, 0), 0);
	return v;
}

static void out8(struct two *t, int i, unsigned port, uint8_t v)
{
	ck_assert_int_ge(bus_access(&t->pio[i], port, &v, 1, 1), 0);
}

static uint32_t in32(struct two *t, int i, unsigned port)
{
	uint32_t v = 0;
	ck_assert_int_ge(bus_access(&t->pio[i], port, &v, 4, 0), 0);
	return v;
}

static void out16(struct two *t, int i, unsigned port, uint16_t v)
{
	ck_assert_int_ge(bus_access(&t->pio[i], port, &v, 2, 1), 0);
}

/* ---- 8250 ---- */

static struct serial *uart(struct two *t, int i)
{
	struct serial_config c = { .base = LAYOUT_COM1, .irq = irqrec_line(&t->rec[i], LAYOUT_COM1_IRQ) };
	struct serial *s;
	ck_assert_int_eq(serial_create(&s, &t->pio[i], &c), 0);
	return s;
}

#define COM(r) (LAYOUT_COM1 + (r))

/* What a guest reads, in an order that consumes the FIFO and the read-to-clear bits. */
static size_t uart_observe(struct two *t, int i, uint8_t *o)
{
	size_t n = 0;
	o[n++] = (uint8_t)t->rec[i].level[LAYOUT_COM1_IRQ];
	const unsigned regs[] = { 1, 3, 4, 7, 2, 5, 6, 2 };
	for (unsigned k = 0; k < sizeof(regs) / sizeof(regs[0]); k++)
		o[n++] = in8(t, i, COM(regs[k]));
	uint8_t lcr = in8(t, i, COM(3));
	out8(t, i, COM(3), lcr | 0x80);
	o[n++] = in8(t, i, COM(0));
	o[n++] = in8(t, i, COM(1));
	out8(t, i, COM(3), lcr);
	while (n < 200 && (in8(t, i, COM(5)) & 1))
		o[n++] = in8(t, i, COM(0));
	o[n++] = (uint8_t)t->rec[i].level[LAYOUT_COM1_IRQ];
	o[n++] = in8(t, i, COM(2));
	return n;
}

START_TEST(serial_round_trip)
{
	struct two t;
	two_init(&t);
	struct serial *a = uart(&t, 0), *b = uart(&t, 1);
	out8(&t, 0, COM(3), 0x80); /* divisor 0x0102 */
	out8(&t, 0, COM(0), 0x02);
	out8(&t, 0, COM(1), 0x01);
	out8(&t, 0, COM(3), 0x1b); /* 8E1 */
	out8(&t, 0, COM(2), 0x01); /* FIFO on */
	out8(&t, 0, COM(7), 0x5a);
	out8(&t, 0, COM(4), 0x1b); /* loopback, OUT2, RTS, DTR: MSR deltas */
	out8(&t, 0, COM(0), 'L'); /* loops into the RX FIFO */
	out8(&t, 0, COM(4), 0x0b);
	ck_assert_uint_eq(serial_rx(a, (const uint8_t *)"hello", 5), 5);
	out8(&t, 0, COM(1), 0x0d); /* RDI, RLSI, MSI */
	ck_assert_int_eq(t.rec[0].level[LAYOUT_COM1_IRQ], 1);

	size_t n;
	uint8_t *p = st_save(&serial_state_ops, a, &n);
	ck_assert_uint_eq(n, 12 + 6);
	ck_assert_int_eq(st_load(&serial_state_ops, b, p, n), 0);
	ck_assert_int_eq(t.rec[1].level[LAYOUT_COM1_IRQ], 1); /* driven at load */
	uint8_t oa[256], ob[256];
	size_t na = uart_observe(&t, 0, oa), nb = uart_observe(&t, 1, ob);
	ck_assert_uint_eq(na, nb);
	ck_assert_mem_eq(oa, ob, na);
	ck_assert_uint_eq(oa[na - 2], 0); /* and the FIFO drained to an idle line on both */
	ck_assert_mem_eq(oa + 11, "Lhello", 6);
	serial_destroy(a);
	serial_destroy(b);
	two_fini(&t);
	free(p);
}
END_TEST

START_TEST(serial_refusals)
{
	struct two t;
	two_init(&t);
	struct serial *a = uart(&t, 0), *b = uart(&t, 1);
	serial_rx(a, (const uint8_t *)"xy", 2);
	out8(&t, 0, COM(1), 0x01);
	size_t n;
	uint8_t *p = st_save(&serial_state_ops, a, &n);
	st_check_short(&serial_state_ops, b, p, n, 0);
	ck_assert_uint_gt(st_check_mutations(&serial_state_ops, b, p, n, 0), 0);
	uint8_t bad[sizeof(uint8_t) * 18];
	memcpy(bad, p, n);
	bad[0] = 0x10; /* IER bit the UART does not have */
	ck_assert_int_eq(st_load(&serial_state_ops, b, bad, n), -EINVAL);
	memcpy(bad, p, n);
	le_put16(bad, 10, SERIAL_RX_FIFO + 1); /* more than the FIFO holds */
	ck_assert_int_eq(st_load(&serial_state_ops, b, bad, n), -EINVAL);
	serial_destroy(a);
	serial_destroy(b);
	two_fini(&t);
	free(p);
}
END_TEST

/* ---- RTC ---- */

static uint8_t cmos(struct two *t, int i, uint8_t idx)
{
	out8(t, i, LAYOUT_RTC, idx);
	return in8(t, i, LAYOUT_RTC + 1);
}

static void cmos_set(struct two *t, int i, uint8_t idx, uint8_t v)
{
	out8(t, i, LAYOUT_RTC, idx);
	out8(t, i, LAYOUT_RTC + 1, v);
}

static int clock_read(struct two *t, int i, uint8_t *o)
{
	const uint8_t regs[] = { 0x09, 0x08, 0x07, 0x04, 0x02 }; /* year .. minute */
	for (int k = 0; k < 5; k++)
		o[k] = cmos(t, i, regs[k]);
	return cmos(t, i, 0);
}

START_TEST(rtc_round_trip)
{
	struct two t;
	two_init(&t);
	struct rtc *a, *b;
	ck_assert_int_eq(rtc_create(&a, &t.pio[0]), 0);
	ck_assert_int_eq(rtc_create(&b, &t.pio[1]), 0);
	rtc_set_memory(a, 256 << 20, 0);
	cmos_set(&t, 0, 0x0b, 0x82); /* SET: freeze, write 1999-12-31 23:59 */
	cmos_set(&t, 0, 0x09, 0x99);
	cmos_set(&t, 0, 0x32, 0x19);
	cmos_set(&t, 0, 0x08, 0x12);
	cmos_set(&t, 0, 0x07, 0x31);
	cmos_set(&t, 0, 0x04, 0x23);
	cmos_set(&t, 0, 0x02, 0x59);
	cmos_set(&t, 0, 0x0b, 0x02); /* running again from there */
	cmos_set(&t, 0, 0x50, 0xa5); /* CMOS RAM */
	out8(&t, 0, LAYOUT_RTC, 0x50); /* index left pointing at it */

	size_t n;
	uint8_t *p = st_save(&rtc_state_ops, a, &n);
	ck_assert_int_eq(st_load(&rtc_state_ops, b, p, n), 0);
	ck_assert_uint_eq(in8(&t, 1, LAYOUT_RTC + 1), 0xa5); /* the index came along */
	for (int tries = 0;; tries++) { /* the same clock (unless a second ticked in between) */
		uint8_t ca[5], cb[5];
		int sa = clock_read(&t, 0, ca), sb = clock_read(&t, 1, cb);
		if (sa == sb) {
			ck_assert_mem_eq(ca, cb, 5);
			ck_assert_uint_eq(ca[0], 0x99);
			break;
		}
		ck_assert_int_lt(tries, 3);
	}
	ck_assert_uint_eq(cmos(&t, 1, 0x17), cmos(&t, 0, 0x17)); /* memory size bytes */
	ck_assert_uint_eq(cmos(&t, 1, 0x0b), 0x02);

	/* frozen while the guest sets it: the half-written time travels too */
	cmos_set(&t, 0, 0x0b, 0x82);
	cmos_set(&t, 0, 0x04, 0x05);
	free(p);
	p = st_save(&rtc_state_ops, a, &n);
	ck_assert_int_eq(st_load(&rtc_state_ops, b, p, n), 0);
	ck_assert_uint_eq(cmos(&t, 1, 0x04), 0x05);
	ck_assert_uint_eq(cmos(&t, 1, 0x02), cmos(&t, 0, 0x02));
	rtc_destroy(a);
	rtc_destroy(b);
	two_fini(&t);
	free(p);
}
END_TEST

START_TEST(rtc_refusals)
{
	struct two t;
	two_init(&t);
	struct rtc *a, *b;
	ck_assert_int_eq(rtc_create(&a, &t.pio[0]), 0);
	ck_assert_int_eq(rtc_create(&b, &t.pio[1]), 0);
	cmos_set(&t, 0, 0x40, 1);
	size_t n;
	uint8_t *p = st_save(&rtc_state_ops, a, &n);
	ck_assert_uint_eq(n, 1 + 128 + 8 + 24);
	st_check_short(&rtc_state_ops, b, p, n, 0);
	ck_assert_uint_gt(st_check_mutations(&rtc_state_ops, b, p, n, 0), 0);
	uint8_t *bad = malloc(n);
	memcpy(bad, p, n);
	bad[0] = 0x80; /* index beyond CMOS */
	ck_assert_int_eq(st_load(&rtc_state_ops, b, bad, n), -EINVAL);
	memcpy(bad, p, n);
	le_put64(bad, 129, 1ULL << 62); /* an offset no date register can show */
	ck_assert_int_eq(st_load(&rtc_state_ops, b, bad, n), -EINVAL);
	memcpy(bad, p, n);
	bad[1 + 0x0a] |= 0x80; /* UIP is never stored */
	ck_assert_int_eq(st_load(&rtc_state_ops, b, bad, n), -EINVAL);
	free(bad);
	rtc_destroy(a);
	rtc_destroy(b);
	two_fini(&t);
	free(p);
}
END_TEST

/* ---- i8042 ---- */

static struct i8042 *kbc(struct two *t, int i)
{
	struct i8042 *k;
	struct irq_line l = irqrec_line(&t->rec[i], 1);
	ck_assert_int_eq(i8042_create(&k, &t->pio[i], &l, &irqrec_hooks, &t->rec[i]), 0);
	return k;
}

START_TEST(i8042_round_trip)
{
	struct two t;
	two_init(&t);
	struct i8042 *a = kbc(&t, 0), *b = kbc(&t, 1);
	out8(&t, 0, 0x64, 0x60); /* write the command byte: KBDINT, SYS, XLATE */
	out8(&t, 0, 0x60, 0x45);
	out8(&t, 0, 0x64, 0x20); /* read it back: OBF, IRQ 1 */
	out8(&t, 0, 0x64, 0xd2); /* and a command waiting for its data byte */
	ck_assert_int_eq(t.rec[0].level[1], 1);
	size_t n;
	uint8_t *p = st_save(&i8042_state_ops, a, &n);
	ck_assert_int_eq(st_load(&i8042_state_ops, b, p, n), 0);
	ck_assert_int_eq(t.rec[1].level[1], 1);
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(in8(&t, i, 0x64), 0x1d); /* KEYLOCK, CMD, SYS, OBF */
		ck_assert_uint_eq(in8(&t, i, 0x60), 0x45);
		ck_assert_int_eq(t.rec[i].level[1], 0);
		out8(&t, i, 0x60, 0x77); /* the data byte 0xd2 waited for: echoed */
		ck_assert_uint_eq(in8(&t, i, 0x60), 0x77);
	}
	st_check_short(&i8042_state_ops, b, p, n, 0);
	ck_assert_uint_gt(st_check_mutations(&i8042_state_ops, b, p, n, 0), 0);
	uint8_t bad[16];
	ck_assert_uint_le(n, sizeof(bad));
	memcpy(bad, p, n);
	bad[3] = 0xaa; /* not a command that takes a data byte */
	ck_assert_int_eq(st_load(&i8042_state_ops, b, bad, n), -EINVAL);
	/* a version 1 payload (the first 7 bytes: no translation state, no input) still loads */
	struct state_reader r1;
	state_reader_init(&r1, p, 7);
	ck_assert_int_eq(i8042_state_ops.load(b, &r1, 1), 0);
	i8042_destroy(a);
	i8042_destroy(b);
	two_fini(&t);
	free(p);
}
END_TEST

/* ---- ACPI PM ---- */

static struct acpi_pm *pm(struct two *t, int i)
{
	struct acpi_pm *p;
	struct irq_line sci = irqrec_line(&t->rec[i], LAYOUT_SCI_IRQ);
	ck_assert_int_eq(acpi_pm_create(&p, &t->pio[i], &sci, &irqrec_hooks, &t->rec[i], 1), 0);
	return p;
}

static uint32_t ticks_between(uint32_t from, uint32_t to) { return (to - from) & 0xffffff; }

START_TEST(acpi_pm_round_trip)
{
	struct two t;
	two_init(&t);
	struct acpi_pm *a = pm(&t, 0), *b = pm(&t, 1);
	out16(&t, 0, LAYOUT_PM_EVT + 2, 0x0100); /* PWRBTN_EN */
	acpi_pm_power_button(a);
	out16(&t, 0, LAYOUT_PM_CNT, 3 << 10); /* SLP_TYP 3, no SLP_EN */
	out8(&t, 0, LAYOUT_RESET_PORT, 0x02);
	ck_assert_int_eq(t.rec[0].level[LAYOUT_SCI_IRQ], 1);
	/* the target's host clock is elsewhere: move B's timer away first */
	size_t n;
	uint8_t *p = st_save(&acpi_pm_state_ops, a, &n);
	le_put32(p, 7, 0x123456);
	ck_assert_int_eq(st_load(&acpi_pm_state_ops, b, p, n), 0);
	uint32_t tb = in32(&t, 1, LAYOUT_PM_TMR);
	ck_assert_uint_lt(ticks_between(0x123456, tb), 3579545 / 10); /* goes on from the saved count */
	free(p);

	p = st_save(&acpi_pm_state_ops, a, &n);
	uint32_t saved = le_get32(p, 7);
	ck_assert_int_eq(st_load(&acpi_pm_state_ops, b, p, n), 0);
	ck_assert_int_eq(t.rec[1].level[LAYOUT_SCI_IRQ], 1);
	ck_assert_uint_eq(in32(&t, 1, LAYOUT_PM_EVT), in32(&t, 0, LAYOUT_PM_EVT));
	ck_assert_uint_eq(in32(&t, 1, LAYOUT_PM_CNT) & 0xffff, (3 << 10) | 1);
	ck_assert_uint_eq(in8(&t, 1, LAYOUT_RESET_PORT), 0x02);
	uint32_t t1 = in32(&t, 1, LAYOUT_PM_TMR);
	ck_assert_uint_lt(ticks_between(saved, t1), 3579545 / 10);
	struct timespec ms = { 0, 5000000 };
	nanosleep(&ms, NULL);
	uint32_t t2 = in32(&t, 1, LAYOUT_PM_TMR);
	ck_assert_uint_ge(ticks_between(t1, t2), 3579545 / 200); /* it runs: >= 5 ms worth */
	ck_assert_uint_lt(ticks_between(t1, t2), 3579545);
	out16(&t, 1, LAYOUT_PM_EVT, 0x0100); /* the guest acknowledges: SCI drops */
	ck_assert_int_eq(t.rec[1].level[LAYOUT_SCI_IRQ], 0);

	st_check_short(&acpi_pm_state_ops, b, p, n, 4);
	ck_assert_uint_gt(st_check_mutations(&acpi_pm_state_ops, b, p, n, 4), 0);
	uint8_t bad[11];
	memcpy(bad, p, 11);
	bad[10] = 1; /* timer beyond 24 bits */
	ck_assert_int_eq(st_load(&acpi_pm_state_ops, b, bad, 11), -EINVAL);
	memcpy(bad, p, 11);
	bad[6] = 0x04; /* the self-clearing reset bit */
	ck_assert_int_eq(st_load(&acpi_pm_state_ops, b, bad, 11), -EINVAL);
	acpi_pm_destroy(a);
	acpi_pm_destroy(b);
	two_fini(&t);
	free(p);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("state_devices");
	TCase *t = tcase_create("core");
	tcase_add_test(t, serial_round_trip);
	tcase_add_test(t, serial_refusals);
	tcase_add_test(t, rtc_round_trip);
	tcase_add_test(t, rtc_refusals);
	tcase_add_test(t, i8042_round_trip);
	tcase_add_test(t, acpi_pm_round_trip);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
