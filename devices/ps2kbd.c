// SPDX-License-Identifier: GPL-2.0-or-later
/* PS/2 keyboard: command answers and scan codes (sets 1 and 2), and the i8042's set 2 -> set 1
 * translation table, derived from the one table of set 1 -> set 2 make codes below. */
#include "ps2.h"

#include <errno.h>
#include <string.h>

#include "vmm/state.h"

#define ACK 0xfa
#define NAK 0xfe
#define BAT_OK 0xaa

/* set 2 make code of each set 1 code 0x00..0x7f (0: no such key) */
static const uint8_t set1_to_set2[128] = {
	0x00, 0x76, 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45, 0x4e, 0x55, 0x66, 0x0d, /* 00 */
	0x15, 0x1d, 0x24, 0x2d, 0x2c, 0x35, 0x3c, 0x43, 0x44, 0x4d, 0x54, 0x5b, 0x5a, 0x14, 0x1c, 0x1b, /* 10 */
	0x23, 0x2b, 0x34, 0x33, 0x3b, 0x42, 0x4b, 0x4c, 0x52, 0x0e, 0x12, 0x5d, 0x1a, 0x22, 0x21, 0x2a, /* 20 */
	0x32, 0x31, 0x3a, 0x41, 0x49, 0x4a, 0x59, 0x7c, 0x11, 0x29, 0x58, 0x05, 0x06, 0x04, 0x0c, 0x03, /* 30 */
	0x0b, 0x83, 0x0a, 0x01, 0x09, 0x77, 0x7e, 0x6c, 0x75, 0x7d, 0x7b, 0x6b, 0x73, 0x74, 0x79, 0x69, /* 40 */
	0x72, 0x7a, 0x70, 0x71, 0x84, 0x00, 0x61, 0x78, 0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, /* 50 */
	0x47, 0x4f, 0x56, 0x5e, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x40, 0x48, 0x50, 0x57, 0x6f, /* 60 */
	0x13, 0x19, 0x39, 0x51, 0x53, 0x5c, 0x5f, 0x62, 0x63, 0x64, 0x65, 0x67, 0x68, 0x6a, 0x6d, 0x6e, /* 70 */
};

int ps2_queue_put(struct ps2_queue *q, uint8_t v)
{
	if (q->n >= PS2_QUEUE_SIZE)
		return -ENOSPC;
	q->b[(q->head + q->n++) % PS2_QUEUE_SIZE] = v;
	return 0;
}

int ps2_queue_get(struct ps2_queue *q, uint8_t *v)
{
	if (!q->n)
		return 0;
	*v = q->b[q->head];
	q->head = (q->head + 1) % PS2_QUEUE_SIZE;
	q->n--;
	return 1;
}

unsigned ps2_queue_free(const struct ps2_queue *q)
{
	return PS2_QUEUE_SIZE - q->n;
}

uint8_t ps2_xt_to_set2(unsigned xt)
{
	return xt < 0x100 ? set1_to_set2[xt & 0x7f] : 0;
}

uint8_t ps2_set2_to_set1(uint8_t b)
{
	/* codes past 0x7f pass unchanged (ACK, BAT, E0, the ID byte AB) except F7 and SysRq */
	if (b == 0x83)
		return 0x41;
	if (b == 0x84)
		return 0x54;
	if (b >= 0x80 || !b)
		return b;
	for (unsigned i = 1; i < 128; i++)
		if (set1_to_set2[i] == b)
			return (uint8_t)i;
	return b;
}

void ps2_kbd_init(struct ps2_kbd *k, int bat)
{
	memset(k, 0, sizeof(*k));
	k->scanset = 2;
	k->typematic = 0x2b; /* 10.9 characters/s after 500 ms */
	k->enabled = 1;
	if (bat)
		ps2_queue_put(&k->q, BAT_OK);
}

static void reply(struct ps2_kbd *k, uint8_t v)
{
	ps2_queue_put(&k->q, v);
}

void ps2_kbd_write(struct ps2_kbd *k, uint8_t v)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	switch (cmd) {
	case 0xed: /* LEDs */
		k->leds = v & 7;
		reply(k, ACK);
		return;
	case 0xf3: /* typematic rate and delay */
		k->typematic = v & 0x7f;
		reply(k, ACK);
		return;
	case 0xf0: /* scan code set: 0 asks */
		reply(k, ACK);
		if (v == 0)
			reply(k, k->scanset);
		else if (v <= 3)
			k->scanset = v;
		return;
	default:
		break;
	}
	switch (v) {
	case 0xed:
	case 0xf3:
	case 0xf0:
		k->pending = v;
		reply(k, ACK);
		break;
	case 0xee: /* echo */
		reply(k, 0xee);
		break;
	case 0xf2: /* identify: a multi-function (MF2) keyboard */
		reply(k, ACK);
		reply(k, 0xab);
		reply(k, 0x83);
		break;
	case 0xf4:
		k->enabled = 1;
		reply(k, ACK);
		break;
	case 0xf5: /* disable, back to defaults */
		k->enabled = 0;
		k->typematic = 0x2b;
		reply(k, ACK);
		break;
	case 0xf6:
		k->typematic = 0x2b;
		k->enabled = 1;
		reply(k, ACK);
		break;
	case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd: /* set 3 key types */
		reply(k, ACK);
		break;
	case 0xfe: /* resend: nothing was lost here */
		reply(k, ACK);
		break;
	case 0xff: /* reset: ACK, then the self-test passed */
		ps2_kbd_init(k, 0);
		k->q.n = 0;
		reply(k, ACK);
		reply(k, BAT_OK);
		break;
	default:
		reply(k, NAK);
		break;
	}
}

void ps2_kbd_key(struct ps2_kbd *k, unsigned xt, int down)
{
	uint8_t s2 = ps2_xt_to_set2(xt);
	if (!k->enabled || !s2 || ps2_queue_free(&k->q) < 3)
		return;
	if (xt & 0x80)
		reply(k, 0xe0);
	if (k->scanset == 1) {
		reply(k, (uint8_t)((xt & 0x7f) | (down ? 0 : 0x80)));
		return;
	}
	if (!down)
		reply(k, 0xf0);
	reply(k, s2);
}

int ps2_kbd_check(const struct ps2_kbd *k)
{
	int pending_ok = !k->pending || k->pending == 0xed || k->pending == 0xf3 || k->pending == 0xf0;
	return k->q.n <= PS2_QUEUE_SIZE && k->q.head < PS2_QUEUE_SIZE && pending_ok && k->scanset >= 1 &&
			       k->scanset <= 3 && k->leds < 8 && k->typematic < 0x80 && k->enabled <= 1
		       ? 0
		       : -EINVAL;
}

/* queue: head, n, the bytes in order (n of them) */
static void queue_save(const struct ps2_queue *q, struct state_writer *w)
{
	state_put_u8(w, (uint8_t)q->n);
	for (unsigned i = 0; i < q->n; i++)
		state_put_u8(w, q->b[(q->head + i) % PS2_QUEUE_SIZE]);
}

static void queue_load(struct ps2_queue *q, struct state_reader *r)
{
	memset(q, 0, sizeof(*q));
	unsigned n = state_get_u8(r);
	if (n > PS2_QUEUE_SIZE) {
		state_reader_invalid(r);
		return;
	}
	state_get_bytes(r, q->b, n);
	q->n = n;
}

void ps2_kbd_state_save(const struct ps2_kbd *k, struct state_writer *w)
{
	queue_save(&k->q, w);
	const uint8_t b[5] = { k->pending, k->scanset, k->leds, k->typematic, k->enabled };
	state_put_bytes(w, b, sizeof(b));
}

void ps2_kbd_state_load(struct ps2_kbd *k, struct state_reader *r)
{
	queue_load(&k->q, r);
	uint8_t b[5];
	state_get_bytes(r, b, sizeof(b));
	k->pending = b[0];
	k->scanset = b[1];
	k->leds = b[2];
	k->typematic = b[3];
	k->enabled = b[4];
	if (!r->err && ps2_kbd_check(k))
		state_reader_invalid(r);
}

/* the mouse's saved state shares the queue format */
void ps2_mouse_state_save(const struct ps2_mouse *m, struct state_writer *w)
{
	queue_save(&m->q, w);
	const uint8_t b[11] = { m->pending, m->rate, m->resolution, m->scale21, m->remote, m->enabled,
				m->wrap, m->id, m->knock[0], m->knock[1], m->buttons };
	state_put_bytes(w, b, sizeof(b));
	state_put_u32(w, (uint32_t)m->dx);
	state_put_u32(w, (uint32_t)m->dy);
	state_put_u32(w, (uint32_t)m->dz);
}

void ps2_mouse_state_load(struct ps2_mouse *m, struct state_reader *r)
{
	queue_load(&m->q, r);
	uint8_t b[11];
	state_get_bytes(r, b, sizeof(b));
	m->pending = b[0];
	m->rate = b[1];
	m->resolution = b[2];
	m->scale21 = b[3];
	m->remote = b[4];
	m->enabled = b[5];
	m->wrap = b[6];
	m->id = b[7];
	m->knock[0] = b[8];
	m->knock[1] = b[9];
	m->buttons = b[10];
	m->dx = (int32_t)state_get_u32(r);
	m->dy = (int32_t)state_get_u32(r);
	m->dz = (int32_t)state_get_u32(r);
	if (!r->err && ps2_mouse_check(m))
		state_reader_invalid(r);
}
