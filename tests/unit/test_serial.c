// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "devices/serial.h"
#include "firmware/layout.h"
#include "vmm/bus.h"

#include <fcntl.h>
#include <unistd.h>

struct fix {
	struct bus pio;
	struct irq_recorder rec;
	struct serial *s;
	uint8_t out[64]; /* what the transmit hook got */
	size_t nout;
	int tx_calls;
	int ready_calls;
};

static void on_tx(void *o, const uint8_t *buf, size_t n)
{
	struct fix *f = o;
	for (size_t i = 0; i < n && f->nout < sizeof(f->out); i++)
		f->out[f->nout++] = buf[i];
	f->tx_calls++;
}

static void on_ready(void *o)
{
	((struct fix *)o)->ready_calls++;
}

static void setup(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	bus_init(&f->pio, "pio");
	struct serial_config c = {
		.base = LAYOUT_COM1,
		.irq = irqrec_line(&f->rec, LAYOUT_COM1_IRQ),
		.tx = on_tx,
		.tx_opaque = f,
		.rx_ready = on_ready,
		.rx_ready_opaque = f,
	};
	ck_assert_int_eq(serial_create(&f->s, &f->pio, &c), 0);
}

static void teardown(struct fix *f)
{
	serial_destroy(f->s);
	bus_destroy(&f->pio);
}

static uint8_t in8(struct fix *f, unsigned reg)
{
	uint8_t v = 0;
	ck_assert_int_ge(bus_access(&f->pio, LAYOUT_COM1 + reg, &v, 1, 0), 0);
	return v;
}

static void out8(struct fix *f, unsigned reg, uint8_t v)
{
	ck_assert_int_ge(bus_access(&f->pio, LAYOUT_COM1 + reg, &v, 1, 1), 0);
}

static int level(struct fix *f)
{
	return f->rec.level[LAYOUT_COM1_IRQ];
}

/* the sequence of Linux's 8250 autoconfig() and serial8250_do_startup() */
START_TEST(linux_probe)
{
	struct fix f;
	setup(&f);
	/* IER scratch test */
	uint8_t save = in8(&f, 1);
	out8(&f, 1, 0);
	ck_assert_uint_eq(in8(&f, 1) & 0x0f, 0);
	out8(&f, 1, 0x0f);
	ck_assert_uint_eq(in8(&f, 1) & 0x0f, 0x0f);
	out8(&f, 1, save);
	/* loopback: MCR = LOOP | OUT2 | RTS must read back DCD | CTS in MSR */
	uint8_t save_mcr = in8(&f, 4);
	out8(&f, 4, 0x10 | 0x0a);
	ck_assert_uint_eq(in8(&f, 6) & 0xf0, 0x90);
	out8(&f, 4, save_mcr);
	/* FIFO detection: 16550A reports both FIFO bits, no 64-byte bit */
	out8(&f, 3, 0xbf);
	out8(&f, 2, 0);
	out8(&f, 3, 0);
	out8(&f, 2, 0x01);
	ck_assert_uint_eq(in8(&f, 2) >> 6, 3);
	out8(&f, 2, 0x21);
	ck_assert_uint_eq(in8(&f, 2) & 0x20, 0);
	/* scratch register */
	out8(&f, 7, 0xa5);
	ck_assert_uint_eq(in8(&f, 7), 0xa5);
	out8(&f, 7, 0x5a);
	ck_assert_uint_eq(in8(&f, 7), 0x5a);
	/* LSR safety check, THR empty */
	uint8_t lsr = in8(&f, 5);
	ck_assert_uint_ne(lsr, 0xff);
	ck_assert_uint_eq(lsr & 0x60, 0x60);
	/* THRE re-assertion test: enabling THRI with THR empty interrupts, each time */
	out8(&f, 1, 0x02);
	ck_assert_int_eq(level(&f), 1);
	ck_assert_uint_eq(in8(&f, 2) & 0x0f, 0x02);
	ck_assert_int_eq(level(&f), 0); /* reading IIR acknowledged it */
	ck_assert_uint_eq(in8(&f, 2) & 0x0f, 0x01);
	out8(&f, 1, 0);
	out8(&f, 1, 0x02);
	ck_assert_uint_eq(in8(&f, 2) & 0x0f, 0x02);
	out8(&f, 1, 0);
	ck_assert_int_eq(level(&f), 0);
	teardown(&f);
}
END_TEST

START_TEST(loopback_data)
{
	struct fix f;
	setup(&f);
	out8(&f, 4, 0x10);
	out8(&f, 0, 0x42);
	ck_assert_uint_eq(in8(&f, 5) & 0x01, 0x01);
	ck_assert_uint_eq(in8(&f, 0), 0x42);
	ck_assert_uint_eq(in8(&f, 5) & 0x01, 0);
	/* nothing reached the output */
	ck_assert_uint_eq(f.nout, 0);
	/* MSR deltas: DCTS after RTS changes, cleared by reading */
	in8(&f, 6);
	out8(&f, 4, 0x12);
	ck_assert_uint_eq(in8(&f, 6), 0x11);
	ck_assert_uint_eq(in8(&f, 6), 0x10);
	teardown(&f);
}
END_TEST

START_TEST(tx_hook)
{
	struct fix f;
	setup(&f);
	const char *msg = "hello";
	for (const char *p = msg; *p; p++)
		out8(&f, 0, (uint8_t)*p);
	ck_assert_uint_eq(f.nout, 5);
	ck_assert(!memcmp(f.out, "hello", 5));
	ck_assert_int_eq(f.tx_calls, 5);
	/* a 2-byte access at THR is THR then IER: one byte transmitted */
	uint16_t w = 0x0021;
	ck_assert_int_ge(bus_access(&f.pio, LAYOUT_COM1, &w, 2, 1), 0);
	ck_assert_uint_eq(f.nout, 6);
	ck_assert_uint_eq(f.out[5], 0x21);
	ck_assert_uint_eq(in8(&f, 1), 0);
	/* THRE interrupt after each byte while enabled */
	out8(&f, 1, 0x02);
	ck_assert_uint_eq(in8(&f, 2) & 0x0f, 0x02);
	ck_assert_int_eq(level(&f), 0);
	out8(&f, 0, 'x');
	ck_assert_int_eq(level(&f), 1);
	ck_assert_uint_eq(in8(&f, 2), 0x02); /* FIFO off: no 0xc0 */
	teardown(&f);
}
END_TEST

START_TEST(rx_and_irq)
{
	struct fix f;
	setup(&f);
	out8(&f, 2, 0x07);
	ck_assert_uint_eq(serial_rx(f.s, (const uint8_t *)"ab", 2), 2);
	ck_assert_int_eq(level(&f), 0); /* RDI not enabled */
	out8(&f, 1, 0x01);
	ck_assert_int_eq(level(&f), 1);
	ck_assert_uint_eq(in8(&f, 2), 0xc4);
	ck_assert_uint_eq(in8(&f, 0), 'a');
	ck_assert_int_eq(level(&f), 1);
	ck_assert_uint_eq(in8(&f, 0), 'b');
	ck_assert_int_eq(level(&f), 0);
	ck_assert_uint_eq(in8(&f, 2), 0xc1);
	ck_assert_int_eq(f.rec.raises[LAYOUT_COM1_IRQ], 1);
	/* RX data outranks THRE */
	out8(&f, 1, 0x03);
	ck_assert_uint_eq(serial_rx(f.s, (const uint8_t *)"c", 1), 1);
	ck_assert_uint_eq(in8(&f, 2) & 0x0f, 0x04);
	ck_assert_uint_eq(in8(&f, 0), 'c');
	ck_assert_uint_eq(in8(&f, 2) & 0x0f, 0x02);
	teardown(&f);
}
END_TEST

START_TEST(rx_fifo_full)
{
	struct fix f;
	setup(&f);
	static uint8_t big[SERIAL_RX_FIFO + 100];
	memset(big, 'z', sizeof(big));
	ck_assert_uint_eq(serial_rx(f.s, big, sizeof(big)), SERIAL_RX_FIFO);
	ck_assert_uint_eq(serial_rx_room(f.s), 0);
	ck_assert_uint_eq(serial_rx(f.s, big, 1), 0);
	for (int i = 0; i < SERIAL_RX_FIFO - 1; i++)
		in8(&f, 0);
	ck_assert_int_eq(f.ready_calls, 0);
	ck_assert_uint_eq(serial_rx_room(f.s), SERIAL_RX_FIFO - 1);
	in8(&f, 0);
	ck_assert_int_eq(f.ready_calls, 1);
	ck_assert_uint_eq(in8(&f, 5) & 0x01, 0);
	ck_assert_uint_eq(in8(&f, 0), 0); /* empty RBR reads harmlessly */
	teardown(&f);
}
END_TEST

START_TEST(dlab)
{
	struct fix f;
	setup(&f);
	out8(&f, 3, 0x83);
	out8(&f, 0, 0x01);
	out8(&f, 1, 0x00);
	ck_assert_uint_eq(in8(&f, 0), 0x01);
	ck_assert_uint_eq(in8(&f, 1), 0x00);
	out8(&f, 3, 0x03);
	ck_assert_uint_eq(in8(&f, 1), 0); /* IER untouched by DLM writes */
	ck_assert_uint_eq(f.nout, 0); /* DLL write did not transmit */
	out8(&f, 3, 0x83);
	ck_assert_uint_eq(in8(&f, 0), 0x01);
	teardown(&f);
}
END_TEST

START_TEST(odd_accesses)
{
	struct fix f;
	setup(&f);
	uint64_t v = 0;
	/* every size at every offset: the bus rejects straddles, the device must take the rest */
	for (unsigned off = 0; off < 8; off++)
		for (unsigned size = 1; size <= 8; size *= 2) {
			bus_access(&f.pio, LAYOUT_COM1 + off, &v, size, 0);
			v = 0;
			bus_access(&f.pio, LAYOUT_COM1 + off, &v, size, 1);
		}
	uint16_t w = 0x0f00 | 'Q';
	ck_assert_int_ge(bus_access(&f.pio, LAYOUT_COM1, &w, 2, 1), 0);
	ck_assert_uint_eq(in8(&f, 1), 0x0f);
	teardown(&f);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("serial");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, linux_probe);
	tcase_add_test(tc, loopback_data);
	tcase_add_test(tc, tx_hook);
	tcase_add_test(tc, rx_and_irq);
	tcase_add_test(tc, rx_fifo_full);
	tcase_add_test(tc, dlab);
	tcase_add_test(tc, odd_accesses);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
