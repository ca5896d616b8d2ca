// SPDX-License-Identifier: GPL-2.0-or-later
/* The i8042 with a PS/2 keyboard and mouse attached: the command sequences Linux's atkbd and
 * psmouse send (answers as they expect them, translated or not), scan codes of keys in set 1 and
 * set 2, the set 2 -> set 1 translation table, mouse packets, IRQ 1 / IRQ 12 edges per byte, and
 * the state round trip (version 2; a version 1 payload still loads into a controller without
 * input). */
#include "unit.h"
#include "devices/i8042.h"
#include "devices/ps2.h"
#include "state_test.h"
#include "vmm/bus.h"
#include "vmm/state.h"

struct fix {
	struct bus pio;
	struct irq_recorder rec;
	struct i8042 *k;
};

static void setup(struct fix *f, int input)
{
	memset(f, 0, sizeof(*f));
	bus_init(&f->pio, "pio");
	struct irq_line l = irqrec_line(&f->rec, 1), aux = irqrec_line(&f->rec, 12);
	ck_assert_int_eq(i8042_create(&f->k, &f->pio, &l, &irqrec_hooks, &f->rec), 0);
	if (input)
		ck_assert_int_eq(i8042_attach_input(f->k, &aux), 0);
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

static void out8(struct fix *f, unsigned port, uint8_t v) { ck_assert_int_ge(bus_access(&f->pio, port, &v, 1, 1), 0); }

/* every byte waiting, with its AUX flag in bit 8; -1 terminated */
static int drain(struct fix *f, int *out, int max)
{
	int n = 0;
	while (n < max && (in8(f, 0x64) & 0x01)) {
		int aux = in8(f, 0x64) & 0x20;
		out[n++] = in8(f, 0x60) | (aux ? 0x100 : 0);
	}
	return n;
}

static void expect(struct fix *f, const int *want, int nwant)
{
	int got[64];
	int n = drain(f, got, 64);
	ck_assert_int_eq(n, nwant);
	for (int i = 0; i < n; i++)
		ck_assert_msg(got[i] == want[i], "byte %d: got %#x, want %#x", i, got[i], want[i]);
}

static void kbd(struct fix *f, uint8_t v) { out8(f, 0x60, v); }
static void aux(struct fix *f, uint8_t v)
{
	out8(f, 0x64, 0xd4);
	out8(f, 0x60, v);
}

START_TEST(atkbd_probe_translated)
{
	struct fix f;
	setup(&f, 1);
	/* the controller defaults to translation (as a BIOS leaves it): ID AB 83 reads AB 41 */
	kbd(&f, 0xf2);
	expect(&f, (int[]){ 0xfa, 0xab, 0x41 }, 3);
	kbd(&f, 0xff); /* reset: ACK, self-test passed */
	expect(&f, (int[]){ 0xfa, 0xaa }, 2);
	kbd(&f, 0xed); /* LEDs: ACK the command and its byte */
	expect(&f, (int[]){ 0xfa }, 1);
	kbd(&f, 0x07);
	expect(&f, (int[]){ 0xfa }, 1);
	kbd(&f, 0xf3);
	kbd(&f, 0x20);
	expect(&f, (int[]){ 0xfa, 0xfa }, 2);
	kbd(&f, 0xf0);
	kbd(&f, 0x02);
	expect(&f, (int[]){ 0xfa, 0xfa }, 2);
	kbd(&f, 0xf4);
	expect(&f, (int[]){ 0xfa }, 1);
	kbd(&f, 0xee);
	expect(&f, (int[]){ 0xee }, 1);
	kbd(&f, 0x01); /* not a command */
	expect(&f, (int[]){ 0xfe }, 1);
	/* keys: 'a' (set 2 1C) and right Ctrl (E0 14) come out as set 1 make and break codes */
	int raises = f.rec.raises[1];
	i8042_key(f.k, 0x1e, 1);
	i8042_key(f.k, 0x1e, 0);
	i8042_key(f.k, 0x9d, 1);
	i8042_key(f.k, 0x9d, 0);
	expect(&f, (int[]){ 0x1e, 0x9e, 0xe0, 0x1d, 0xe0, 0x9d }, 6);
	ck_assert_int_eq(f.rec.raises[1] - raises, 6); /* an edge per byte */
	ck_assert_int_eq(f.rec.level[1], 0);
	/* disabled scanning: no codes */
	kbd(&f, 0xf5);
	expect(&f, (int[]){ 0xfa }, 1);
	i8042_key(f.k, 0x1e, 1);
	expect(&f, NULL, 0);
	teardown(&f);
}
END_TEST

START_TEST(untranslated_sets)
{
	struct fix f;
	setup(&f, 1);
	out8(&f, 0x64, 0x60);
	out8(&f, 0x60, 0x07); /* XLATE off, interrupts on */
	kbd(&f, 0xf2);
	expect(&f, (int[]){ 0xfa, 0xab, 0x83 }, 3);
	kbd(&f, 0xf0);
	kbd(&f, 0x00); /* which set? */
	expect(&f, (int[]){ 0xfa, 0xfa, 0x02 }, 3);
	i8042_key(f.k, 0x1e, 1);
	i8042_key(f.k, 0x1e, 0);
	i8042_key(f.k, 0xc8, 0); /* Up released: E0 F0 75 */
	expect(&f, (int[]){ 0x1c, 0xf0, 0x1c, 0xe0, 0xf0, 0x75 }, 6);
	kbd(&f, 0xf0);
	kbd(&f, 0x01); /* set 1 */
	expect(&f, (int[]){ 0xfa, 0xfa }, 2);
	i8042_key(f.k, 0x1e, 0);
	expect(&f, (int[]){ 0x9e }, 1);
	teardown(&f);
}
END_TEST

START_TEST(translation_table)
{
	/* every key with a set 2 code translates back to its own set 1 code */
	int keys = 0;
	for (unsigned xt = 1; xt < 0x80; xt++) {
		uint8_t s2 = ps2_xt_to_set2(xt);
		if (!s2)
			continue;
		keys++;
		ck_assert_msg(ps2_set2_to_set1(s2) == xt, "set 1 %#x -> set 2 %#x -> %#x", xt, s2, ps2_set2_to_set1(s2));
	}
	ck_assert_int_ge(keys, 100);
	ck_assert_uint_eq(ps2_set2_to_set1(0xfa), 0xfa); /* ACK and BAT pass */
	ck_assert_uint_eq(ps2_set2_to_set1(0xaa), 0xaa);
	ck_assert_uint_eq(ps2_xt_to_set2(0x1c), 0x5a); /* Enter */
	ck_assert_uint_eq(ps2_xt_to_set2(0x41), 0x83); /* F7 */
}
END_TEST

START_TEST(no_input_answers_quickly)
{
	struct fix f;
	setup(&f, 0);
	kbd(&f, 0xf2);
	expect(&f, (int[]){ 0xfe }, 1); /* NAK at once: no keyboard */
	out8(&f, 0x64, 0xa9);
	expect(&f, (int[]){ 0x01 }, 1);
	i8042_key(f.k, 0x1e, 1); /* nothing attached: ignored */
	expect(&f, NULL, 0);
	teardown(&f);
}
END_TEST

START_TEST(psmouse_probe_and_packets)
{
	struct fix f;
	setup(&f, 1);
	out8(&f, 0x64, 0x60);
	out8(&f, 0x60, 0x47); /* both interrupts, XLATE */
	out8(&f, 0x64, 0xa9);
	expect(&f, (int[]){ 0x00 }, 1);
	out8(&f, 0x64, 0xd3); /* AUX loopback comes back as AUX data on IRQ 12 */
	out8(&f, 0x60, 0x5a);
	ck_assert_int_eq(f.rec.level[12], 1);
	expect(&f, (int[]){ 0x15a }, 1);
	aux(&f, 0xff);
	expect(&f, (int[]){ 0x1fa, 0x1aa, 0x100 }, 3);
	aux(&f, 0xf2);
	expect(&f, (int[]){ 0x1fa, 0x100 }, 2);
	/* IntelliMouse knock: rates 200, 100, 80 make the id 3 */
	static const uint8_t knock[3] = { 200, 100, 80 };
	for (int i = 0; i < 3; i++) {
		aux(&f, 0xf3);
		aux(&f, knock[i]);
		expect(&f, (int[]){ 0x1fa, 0x1fa }, 2);
	}
	aux(&f, 0xf2);
	expect(&f, (int[]){ 0x1fa, 0x103 }, 2);
	aux(&f, 0xe9); /* status: stream, disabled, rate 80 */
	expect(&f, (int[]){ 0x1fa, 0x100, 0x102, 0x150 }, 4);
	aux(&f, 0xe1); /* a Trackpoint query: not this mouse */
	expect(&f, (int[]){ 0x1fe }, 1);
	i8042_mouse(f.k, 5, 5, 0, 1); /* disabled: nothing */
	expect(&f, NULL, 0);
	aux(&f, 0xf4);
	expect(&f, (int[]){ 0x1fa }, 1);
	int raises = f.rec.raises[12];
	i8042_mouse(f.k, 10, -3, 1, 1); /* left held, right 10, down 3, wheel up */
	expect(&f, (int[]){ 0x100 | 0x29, 0x10a, 0x1fd, 0x10f }, 4);
	ck_assert_int_eq(f.rec.raises[12] - raises, 4);
	i8042_mouse(f.k, 300, 0, 0, 0); /* more than a packet holds: two packets */
	expect(&f, (int[]){ 0x108, 0x1ff, 0x100, 0x100, 0x108, 0x12d, 0x100, 0x100 }, 8);
	teardown(&f);
}
END_TEST

START_TEST(state_round_trip)
{
	struct fix a, b;
	setup(&a, 1);
	setup(&b, 1);
	kbd(&a, 0xed); /* a command waiting for its byte */
	expect(&a, (int[]){ 0xfa }, 1);
	aux(&a, 0xf4);
	expect(&a, (int[]){ 0x1fa }, 1);
	i8042_key(a.k, 0x1e, 0); /* F0 seen by the translation, 1C still queued behind a read */
	i8042_key(a.k, 0x30, 1);
	size_t n;
	uint8_t *p = st_save(&i8042_state_ops, a.k, &n);
	ck_assert_int_eq(st_load(&i8042_state_ops, b.k, p, n), 0);
	expect(&b, (int[]){ 0x9e, 0x30 }, 2);
	kbd(&b, 0x02); /* the LED byte of the saved ED */
	expect(&b, (int[]){ 0xfa }, 1);
	i8042_mouse(b.k, 1, 1, 0, 0); /* the mouse was enabled */
	expect(&b, (int[]){ 0x108, 0x101, 0x101 }, 3);
	/* a controller without input refuses a stream with it */
	struct fix c;
	setup(&c, 0);
	ck_assert_int_eq(st_load(&i8042_state_ops, c.k, p, n), -EINVAL);
	free(p);
	teardown(&a);
	teardown(&b);
	teardown(&c);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("ps2");
	TCase *t = tcase_create("ps2");
	tcase_add_test(t, atkbd_probe_translated);
	tcase_add_test(t, untranslated_sets);
	tcase_add_test(t, translation_table);
	tcase_add_test(t, no_input_answers_quickly);
	tcase_add_test(t, psmouse_probe_and_packets);
	tcase_add_test(t, state_round_trip);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
