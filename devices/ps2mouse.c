// SPDX-License-Identifier: GPL-2.0-or-later
/* PS/2 mouse: stream and remote mode, 3-byte packets (4 with the IntelliMouse wheel), the status
 * and ID answers, and wrap mode. Commands it does not know get a NAK, which is how the protocol
 * probes of Linux's psmouse (Synaptics, ALPS, ...) find quickly that this is a plain mouse. */
#include "ps2.h"

#include <errno.h>
#include <string.h>

#define ACK 0xfa
#define NAK 0xfe
#define MOTION_MAX 255
#define MOTION_LIMIT (1 << 20) /* motion kept back beyond this is dropped */

void ps2_mouse_init(struct ps2_mouse *m, int bat)
{
	memset(m, 0, sizeof(*m));
	m->rate = 100;
	m->resolution = 2; /* 4 counts/mm */
	if (bat) {
		ps2_queue_put(&m->q, 0xaa);
		ps2_queue_put(&m->q, 0x00);
	}
}

static int clamp(int v, int lim)
{
	return v > lim ? lim : v < -lim - 1 ? -lim - 1 : v;
}

/* one packet of what is pending, if the queue has room */
static int send_packet(struct ps2_mouse *m)
{
	unsigned len = m->id == 3 ? 4 : 3;
	if (ps2_queue_free(&m->q) < len)
		return 0;
	int dx = clamp(m->dx, MOTION_MAX), dy = clamp(m->dy, MOTION_MAX), dz = clamp(m->dz, 7);
	m->dx -= dx;
	m->dy -= dy;
	m->dz -= dz;
	uint8_t b0 = (uint8_t)(0x08 | (m->buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0));
	ps2_queue_put(&m->q, b0);
	ps2_queue_put(&m->q, (uint8_t)dx);
	ps2_queue_put(&m->q, (uint8_t)dy);
	if (len == 4)
		ps2_queue_put(&m->q, (uint8_t)(-dz & 0x0f)); /* wheel: positive is towards the user */
	return 1;
}

static void reply(struct ps2_mouse *m, uint8_t v)
{
	ps2_queue_put(&m->q, v);
}

static void set_rate(struct ps2_mouse *m, uint8_t v)
{
	m->rate = v;
	if (m->knock[0] == 200 && m->knock[1] == 100 && v == 80)
		m->id = 3;
	m->knock[0] = m->knock[1];
	m->knock[1] = v;
}

void ps2_mouse_write(struct ps2_mouse *m, uint8_t v)
{
	if (m->wrap && v != 0xec && v != 0xff) {
		reply(m, v);
		return;
	}
	uint8_t cmd = m->pending;
	m->pending = 0;
	if (cmd == 0xf3) {
		set_rate(m, v);
		reply(m, ACK);
		return;
	}
	if (cmd == 0xe8) {
		m->resolution = v & 3;
		reply(m, ACK);
		return;
	}
	switch (v) {
	case 0xe6:
	case 0xe7:
		m->scale21 = v == 0xe7;
		reply(m, ACK);
		break;
	case 0xe8:
	case 0xf3:
		m->pending = v;
		reply(m, ACK);
		break;
	case 0xe9: /* status: mode and buttons, resolution, rate */
		reply(m, ACK);
		reply(m, (uint8_t)(m->remote << 6 | m->enabled << 5 | m->scale21 << 4 | (m->buttons & 1) << 2 |
				   (m->buttons & 4) >> 1 | (m->buttons & 2) >> 1));
		reply(m, m->resolution);
		reply(m, m->rate);
		break;
	case 0xea:
	case 0xf0:
		m->remote = v == 0xf0;
		reply(m, ACK);
		break;
	case 0xeb: /* read data */
		reply(m, ACK);
		send_packet(m);
		break;
	case 0xec:
		m->wrap = 0;
		reply(m, ACK);
		break;
	case 0xee:
		m->wrap = 1;
		reply(m, ACK);
		break;
	case 0xf2:
		reply(m, ACK);
		reply(m, m->id);
		break;
	case 0xf4:
		m->enabled = 1;
		reply(m, ACK);
		break;
	case 0xf5:
		m->enabled = 0;
		reply(m, ACK);
		break;
	case 0xf6: /* defaults, disabled */
		m->rate = 100;
		m->resolution = 2;
		m->scale21 = 0;
		m->enabled = 0;
		m->remote = 0;
		reply(m, ACK);
		break;
	case 0xfe:
		reply(m, ACK);
		break;
	case 0xff:
		ps2_mouse_init(m, 0);
		reply(m, ACK);
		reply(m, 0xaa);
		reply(m, 0x00);
		break;
	default:
		reply(m, NAK);
		break;
	}
}

void ps2_mouse_event(struct ps2_mouse *m, int dx, int dy, int dz, unsigned buttons)
{
	m->buttons = (uint8_t)(buttons & 7);
	if (!m->remote && (!m->enabled || m->wrap))
		return; /* a disabled mouse in stream mode reports nothing later either */
	m->dx = clamp(m->dx + clamp(dx, MOTION_LIMIT), MOTION_LIMIT);
	m->dy = clamp(m->dy + clamp(dy, MOTION_LIMIT), MOTION_LIMIT);
	m->dz = clamp(m->dz + clamp(dz, MOTION_LIMIT), MOTION_LIMIT);
	if (m->remote)
		return;
	/* a packet even without motion carries a button change; then as many as the motion needs */
	if (send_packet(m))
		while ((m->dx || m->dy || m->dz) && send_packet(m))
			;
}

int ps2_mouse_check(const struct ps2_mouse *m)
{
	int ok = m->q.n <= PS2_QUEUE_SIZE && (!m->pending || m->pending == 0xf3 || m->pending == 0xe8) &&
		 m->resolution < 4 && m->scale21 <= 1 && m->remote <= 1 && m->enabled <= 1 && m->wrap <= 1 &&
		 (m->id == 0 || m->id == 3) && m->buttons < 8 && m->dx >= -MOTION_LIMIT - 1 &&
		 m->dx <= MOTION_LIMIT && m->dy >= -MOTION_LIMIT - 1 && m->dy <= MOTION_LIMIT &&
		 m->dz >= -MOTION_LIMIT - 1 && m->dz <= MOTION_LIMIT;
	return ok ? 0 : -EINVAL;
}
