// SPDX-License-Identifier: GPL-2.0-or-later
/* i8042 model. Like the real part it has a one-byte output buffer: a new response replaces an unread
 * one, so a driver that gave up on a reply never finds it stale in front of the next one. */
#include "i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "devices/ps2.h"
#include "firmware/layout.h"
#include "vmm/state.h"

#define PORT_DATA LAYOUT_I8042
#define PORT_CMD (LAYOUT_I8042 + 4)

/* status register */
#define STR_OBF 0x01
#define STR_SYS 0x04
#define STR_CMD 0x08 /* last write went to 0x64 */
#define STR_KEYLOCK 0x10 /* 1: keyboard not inhibited */
#define STR_AUXDATA 0x20

/* command byte (CTR) */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40

#define OUTPORT_RESET 0x01 /* 0 asserts the CPU reset line */

struct i8042;
static void put(struct i8042 *k, uint8_t v, int aux);

struct i8042 {
	pthread_mutex_t lock;
	struct bus *pio;
	struct irq_line irq, aux_irq;
	const struct vm_hooks *hooks;
	void *hooks_opaque;
	uint8_t status_cmd; /* STR_CMD as last set */
	uint8_t ctr, outport;
	uint8_t pending; /* controller command waiting for its data byte, 0 if none */
	uint8_t obyte;
	int obf, oaux;
	int irq_level, aux_level;
	int xlate_break; /* translation saw F0: the next byte is a break code */
	int has_input;
	struct ps2_kbd kbd;
	struct ps2_mouse mouse;
};

static void update_irq(struct i8042 *k)
{
	int level = k->obf && !k->oaux && (k->ctr & CTR_KBDINT);
	if (level != k->irq_level) {
		k->irq_level = level;
		irq_set(&k->irq, level);
	}
	int aux = k->obf && k->oaux && (k->ctr & CTR_AUXINT);
	if (aux != k->aux_level) {
		k->aux_level = aux;
		irq_set(&k->aux_irq, aux);
	}
}

/* Moves the devices' next byte into an empty output buffer: the keyboard's (translated to set 1
 * while XLATE is set; an F0 prefix only marks the next byte as a break code), else the mouse's. */
static void refill(struct i8042 *k)
{
	if (!k->has_input)
		return;
	uint8_t v;
	while (!k->obf && !(k->ctr & CTR_KBDDIS) && ps2_queue_get(&k->kbd.q, &v)) {
		if (!(k->ctr & CTR_XLATE)) {
			put(k, v, 0);
		} else if (v == 0xf0) {
			k->xlate_break = 1;
		} else {
			put(k, (uint8_t)(ps2_set2_to_set1(v) | (k->xlate_break ? 0x80 : 0)), 0);
			k->xlate_break = 0;
		}
	}
	if (!k->obf && !(k->ctr & CTR_AUXDIS) && ps2_queue_get(&k->mouse.q, &v))
		put(k, v, 1);
}


static void put(struct i8042 *k, uint8_t v, int aux)
{
	k->obyte = v;
	k->obf = 1;
	k->oaux = aux;
}

/* returns 1 when the guest asked for a CPU reset */
static int command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	if (cmd >= 0xf0) /* pulse output lines: bit 0 clear pulses the reset line */
		return !(cmd & 0x01);
	switch (cmd) {
	case 0x20:
		put(k, k->ctr, 0);
		break;
	case 0xa7:
		k->ctr |= CTR_AUXDIS;
		break;
	case 0xa8:
		k->ctr &= (uint8_t)~CTR_AUXDIS;
		break;
	case 0xa9: /* AUX interface test: fine with a mouse, else "clock line stuck low" */
		put(k, k->has_input ? 0x00 : 0x01, 0);
		break;
	case 0xaa: /* controller self-test */
		k->ctr |= CTR_SYS;
		put(k, 0x55, 0);
		break;
	case 0xab: /* keyboard interface test: fine */
		put(k, 0x00, 0);
		break;
	case 0xad:
		k->ctr |= CTR_KBDDIS;
		break;
	case 0xae:
		k->ctr &= (uint8_t)~CTR_KBDDIS;
		break;
	case 0xc0: /* input port */
		put(k, 0x00, 0);
		break;
	case 0xd0:
		put(k, k->outport, 0);
		break;
	case 0xe0: /* test inputs */
		put(k, 0x00, 0);
		break;
	case 0x60:
	case 0xd1:
	case 0xd2:
	case 0xd3:
	case 0xd4:
		k->pending = cmd;
		break;
	default:
		if (cmd > 0x60 && cmd < 0x80) /* write to internal RAM: swallow the data byte */
			k->pending = cmd;
		else if (cmd > 0x20 && cmd < 0x40) /* read internal RAM */
			put(k, 0x00, 0);
		break;
	}
	return 0;
}

static int data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;
	k->pending = 0;
	switch (cmd) {
	case 0x60:
		k->ctr = v;
		return 0;
	case 0xd1:
		k->outport = v;
		return !(v & OUTPORT_RESET);
	case 0xd2: /* echo as if from the keyboard */
		put(k, v, 0);
		return 0;
	case 0xd3:
		/* AUX loopback: without a mouse echoed without the AUX flag, which Linux takes as "no AUX
		 * port" at once instead of waiting for a mouse interrupt that never comes */
		put(k, v, k->has_input);
		return 0;
	case 0xd4: /* to the mouse */
		if (k->has_input) {
			k->ctr &= (uint8_t)~CTR_AUXDIS;
			ps2_mouse_write(&k->mouse, v);
		}
		return 0;
	case 0:
		/* a byte for the keyboard; without one, NAK so the PS/2 layer gives up quickly */
		k->ctr &= (uint8_t)~CTR_KBDDIS;
		if (k->has_input) {
			ps2_kbd_write(&k->kbd, v);
		} else {
			put(k, 0xfe, 0);
		}
		return 0;
	default: /* RAM writes */
		return 0;
	}
}

/* both ranges are one byte long, so the bus hands out offset 0 and a size of 1; which port it was
 * comes from the ops table */
static void i8042_access(struct i8042 *k, int is_cmd, uint8_t *p, uint8_t v)
{
	int reset = 0;
	pthread_mutex_lock(&k->lock);
	if (!p) {
		k->status_cmd = is_cmd ? STR_CMD : 0;
		reset = is_cmd ? command(k, v) : data(k, v);
	} else if (!is_cmd) {
		p[0] = k->obyte;
		k->obf = 0;
		k->oaux = 0;
		update_irq(k); /* the line drops before the next byte raises it: an edge per byte */
	} else {
		p[0] = (uint8_t)(STR_KEYLOCK | k->status_cmd | ((k->ctr & CTR_SYS) ? STR_SYS : 0) |
				 (k->obf ? STR_OBF : 0) | (k->obf && k->oaux ? STR_AUXDATA : 0));
	}
	refill(k);
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
	if (reset && k->hooks && k->hooks->request_stop)
		k->hooks->request_stop(k->hooks_opaque, VM_STOP_RESET);
}

static void data_read(void *o, uint64_t off, void *d, unsigned size)
{
	i8042_access(o, 0, d, 0);
}
static void data_write(void *o, uint64_t off, const void *d, unsigned size)
{
	i8042_access(o, 0, NULL, *(const uint8_t *)d);
}
static void cmd_read(void *o, uint64_t off, void *d, unsigned size)
{
	i8042_access(o, 1, d, 0);
}
static void cmd_write(void *o, uint64_t off, const void *d, unsigned size)
{
	i8042_access(o, 1, NULL, *(const uint8_t *)d);
}

static const struct bus_ops data_ops = { data_read, data_write };
static const struct bus_ops cmd_ops = { cmd_read, cmd_write };

int i8042_create(struct i8042 **out, struct bus *pio, const struct irq_line *kbd_irq,
		 const struct vm_hooks *hooks, void *hooks_opaque)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->pio = pio;
	if (kbd_irq)
		k->irq = *kbd_irq;
	k->hooks = hooks;
	k->hooks_opaque = hooks_opaque;
	k->ctr = CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE; /* as a BIOS leaves it */
	k->outport = OUTPORT_RESET | 0x02; /* A20 on */
	pthread_mutex_init(&k->lock, NULL);
	/* two 1-byte ranges: 0x61 (speaker, NMI status) belongs to the in-kernel PIT */
	int ret = bus_register(pio, PORT_DATA, 1, &data_ops, k, "i8042 data");
	if (ret >= 0) {
		ret = bus_register(pio, PORT_CMD, 1, &cmd_ops, k, "i8042 cmd");
		if (ret < 0)
			bus_unregister(pio, PORT_DATA, k);
	}
	if (ret < 0) {
		pthread_mutex_destroy(&k->lock);
		free(k);
		return ret;
	}
	*out = k;
	return 0;
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	bus_unregister(k->pio, PORT_DATA, k);
	bus_unregister(k->pio, PORT_CMD, k);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

int i8042_attach_input(struct i8042 *k, const struct irq_line *aux_irq)
{
	pthread_mutex_lock(&k->lock);
	k->has_input = 1;
	if (aux_irq)
		k->aux_irq = *aux_irq;
	ps2_kbd_init(&k->kbd, 0);
	ps2_mouse_init(&k->mouse, 0);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

void i8042_key(struct i8042 *k, unsigned xt, int down)
{
	pthread_mutex_lock(&k->lock);
	if (k->has_input) {
		ps2_kbd_key(&k->kbd, xt, down);
		refill(k);
		update_irq(k);
	}
	pthread_mutex_unlock(&k->lock);
}

void i8042_mouse(struct i8042 *k, int dx, int dy, int dz, unsigned buttons)
{
	pthread_mutex_lock(&k->lock);
	if (k->has_input) {
		ps2_mouse_event(&k->mouse, dx, dy, dz, buttons);
		refill(k);
		update_irq(k);
	}
	pthread_mutex_unlock(&k->lock);
}

/* ---- saved state: status_cmd ctr outport pending obyte obf oaux (u8 each); version 2 adds
 * xlate_break, has_input (u8 each) and with input the keyboard's and the mouse's state ---- */

int i8042_state_save(const struct i8042 *ck, struct state_writer *w)
{
	struct i8042 *k = (struct i8042 *)ck; /* the lock is not part of the state */
	pthread_mutex_lock(&k->lock);
	const uint8_t b[7] = { k->status_cmd, k->ctr, k->outport, k->pending, k->obyte, (uint8_t)k->obf,
			       (uint8_t)k->oaux };
	state_put_bytes(w, b, sizeof(b));
	state_put_u8(w, (uint8_t)k->xlate_break);
	state_put_u8(w, (uint8_t)k->has_input);
	if (k->has_input) {
		ps2_kbd_state_save(&k->kbd, w);
		ps2_mouse_state_save(&k->mouse, w);
	}
	pthread_mutex_unlock(&k->lock);
	return state_writer_err(w);
}

/* a command that waits for a data byte (see command()) */
static int pending_ok(uint8_t c)
{
	return c == 0 || c == 0x60 || (c >= 0xd1 && c <= 0xd4) || (c > 0x60 && c < 0x80);
}

int i8042_state_load(struct i8042 *k, struct state_reader *r, uint32_t version)
{
	uint8_t b[7];
	state_get_bytes(r, b, sizeof(b));
	uint8_t xbreak = 0, input = 0;
	struct ps2_kbd kbd;
	struct ps2_mouse mouse;
	if (version >= 2) {
		xbreak = state_get_u8(r);
		input = state_get_u8(r);
		if (input == 1 && !r->err) {
			ps2_kbd_state_load(&kbd, r);
			ps2_mouse_state_load(&mouse, r);
		}
	}
	int e = state_reader_done(r);
	if (e)
		return e;
	if ((b[0] != 0 && b[0] != STR_CMD) || !pending_ok(b[3]) || b[5] > 1 || b[6] > 1 || (b[6] && !b[5]) ||
	    xbreak > 1 || input != k->has_input)
		return -EINVAL;
	pthread_mutex_lock(&k->lock);
	k->xlate_break = xbreak;
	if (input) {
		k->kbd = kbd;
		k->mouse = mouse;
	}
	k->status_cmd = b[0];
	k->ctr = b[1];
	k->outport = b[2];
	k->pending = b[3];
	k->obyte = b[4];
	k->obf = b[5];
	k->oaux = b[6];
	k->irq_level = -1; /* drive the lines whatever they were */
	k->aux_level = -1;
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static int save_op(const void *o, struct state_writer *w) { return i8042_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return i8042_state_load(o, r, v); }
const struct state_ops i8042_state_ops = { "i8042", 2, 1, save_op, load_op };
