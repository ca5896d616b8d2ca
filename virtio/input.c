// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-input tablet. The config selector lives under its own lock (vCPU threads); the pending
 * events under another, taken by the user interface's thread and by the I/O thread that fills the
 * event queue. */
#include "input.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/queue.h"
#include "vmm/le.h"
#include "vmm/state.h"

#define Q_EVENT 0
#define Q_STATUS 1
#define EVENT_SIZE 8 /* le16 type, le16 code, le32 value */
#define CFG_U_OFF 8

struct input_event {
	uint16_t type, code;
	uint32_t value;
};

struct virtio_input {
	struct virtio_dev vdev; /* first: container of vd */
	char name[64];
	pthread_mutex_t cfg_lock;
	uint8_t select, subsel;
	pthread_mutex_t ev_lock;
	struct input_event ev[VIRTIO_INPUT_PENDING];
	unsigned ev_head, ev_n;
	unsigned last_x, last_y, last_buttons; /* what the driver was told (UI side, ev_lock) */
	int told; /* last_* valid */
	struct virtq_chain chain; /* pop scratch, I/O thread */
};

static struct virtio_input *in_of(struct virtio_dev *vd) { return (struct virtio_input *)vd; }

static void set_bit(uint8_t *u, unsigned bit) { u[bit / 8] |= (uint8_t)(1u << (bit % 8)); }

/* The union for a select/subsel pair: its size, bytes in u (128). */
static unsigned cfg_answer(const struct virtio_input *in, uint8_t sel, uint8_t sub, uint8_t *u)
{
	memset(u, 0, 128);
	switch (sel) {
	case VIRTIO_INPUT_CFG_ID_NAME:
		if (sub)
			return 0;
		memcpy(u, in->name, strlen(in->name));
		return (unsigned)strlen(in->name);
	case VIRTIO_INPUT_CFG_ID_DEVIDS: /* BUS_VIRTUAL, vendor, product, version */
		if (sub)
			return 0;
		le_put16(u, 0, 0x06);
		le_put16(u, 2, 0x0627);
		le_put16(u, 4, 0x0003);
		le_put16(u, 6, 0x0001);
		return 8;
	case VIRTIO_INPUT_CFG_EV_BITS:
		if (sub == EV_KEY) {
			set_bit(u, BTN_LEFT);
			set_bit(u, BTN_RIGHT);
			set_bit(u, BTN_MIDDLE);
			return BTN_MIDDLE / 8 + 1;
		}
		if (sub == EV_REL) {
			set_bit(u, REL_WHEEL);
			return 2;
		}
		if (sub == EV_ABS) {
			set_bit(u, ABS_X);
			set_bit(u, ABS_Y);
			return 1;
		}
		return 0;
	case VIRTIO_INPUT_CFG_ABS_INFO: /* min, max, fuzz, flat, res */
		if (sub != ABS_X && sub != ABS_Y)
			return 0;
		le_put32(u, 4, VIRTIO_INPUT_ABS_MAX);
		return 20;
	default: /* ID_SERIAL, PROP_BITS (a tablet has none), unknown selects */
		return 0;
	}
}

static void input_config_read(struct virtio_dev *vd, unsigned off, void *data, unsigned size)
{
	struct virtio_input *in = in_of(vd);
	uint8_t cfg[VIRTIO_INPUT_CONFIG_LEN] = { 0 };
	pthread_mutex_lock(&in->cfg_lock);
	cfg[0] = in->select;
	cfg[1] = in->subsel;
	cfg[2] = (uint8_t)cfg_answer(in, in->select, in->subsel, cfg + CFG_U_OFF);
	pthread_mutex_unlock(&in->cfg_lock);
	memcpy(data, cfg + off, size);
}

static void input_config_write(struct virtio_dev *vd, unsigned off, const void *data, unsigned size)
{
	struct virtio_input *in = in_of(vd);
	const uint8_t *p = data;
	pthread_mutex_lock(&in->cfg_lock);
	for (unsigned i = 0; i < size; i++) { /* only select and subsel are the driver's */
		if (off + i == 0)
			in->select = p[i];
		else if (off + i == 1)
			in->subsel = p[i];
	}
	pthread_mutex_unlock(&in->cfg_lock);
}

/* the pending events into the driver's buffers, one event per buffer as Linux gives them */
static void fill_events(struct virtio_input *in, struct virtq *vq)
{
	int pushed = 0;
	pthread_mutex_lock(&in->ev_lock);
	while (in->ev_n) {
		int r = virtq_pop(vq, &in->chain);
		if (r <= 0)
			break;
		if (in->chain.write_len < EVENT_SIZE) {
			virtq_push(vq, in->chain.head, 0); /* a buffer that holds nothing: handed back empty */
			pushed = 1;
			continue;
		}
		const struct input_event *e = &in->ev[in->ev_head];
		uint8_t b[EVENT_SIZE];
		le_put16(b, 0, e->type);
		le_put16(b, 2, e->code);
		le_put32(b, 4, e->value);
		virtq_chain_write(&in->chain, 0, b, sizeof(b));
		virtq_push(vq, in->chain.head, EVENT_SIZE);
		pushed = 1;
		in->ev_head = (in->ev_head + 1) % VIRTIO_INPUT_PENDING;
		in->ev_n--;
	}
	pthread_mutex_unlock(&in->ev_lock);
	if (pushed)
		virtq_notify(vq);
}

static void input_handle_queue(struct virtio_dev *vd, unsigned qidx)
{
	struct virtio_input *in = in_of(vd);
	struct virtq *vq = virtio_dev_queue(vd, qidx);
	if (qidx == Q_EVENT) {
		fill_events(in, vq);
		return;
	}
	int pushed = 0; /* status queue: LED changes, nothing to light */
	while (virtq_pop(vq, &in->chain) > 0) {
		virtq_push(vq, in->chain.head, 0);
		pushed = 1;
	}
	if (pushed)
		virtq_notify(vq);
}

static void input_reset(struct virtio_dev *vd)
{
	struct virtio_input *in = in_of(vd);
	pthread_mutex_lock(&in->ev_lock);
	in->ev_n = 0;
	in->told = 0;
	pthread_mutex_unlock(&in->ev_lock);
}

static int input_quiesce(struct virtio_dev *vd) { return 0; }

/* payload: select, subsel (u8); pending events: count (u16), then type, code (u16), value (u32) */
static void input_state_save(struct virtio_dev *vd, struct state_writer *w)
{
	struct virtio_input *in = in_of(vd);
	pthread_mutex_lock(&in->cfg_lock);
	state_put_u8(w, in->select);
	state_put_u8(w, in->subsel);
	pthread_mutex_unlock(&in->cfg_lock);
	pthread_mutex_lock(&in->ev_lock);
	state_put_u16(w, (uint16_t)in->ev_n);
	for (unsigned i = 0; i < in->ev_n; i++) {
		const struct input_event *e = &in->ev[(in->ev_head + i) % VIRTIO_INPUT_PENDING];
		state_put_u16(w, e->type);
		state_put_u16(w, e->code);
		state_put_u32(w, e->value);
	}
	pthread_mutex_unlock(&in->ev_lock);
}

static int input_state_load(struct virtio_dev *vd, struct state_reader *r, int apply)
{
	struct virtio_input *in = in_of(vd);
	uint8_t sel = state_get_u8(r), sub = state_get_u8(r);
	unsigned n = state_get_u16(r);
	if (r->err)
		return r->err;
	if (n > VIRTIO_INPUT_PENDING)
		return -EINVAL;
	struct input_event ev[VIRTIO_INPUT_PENDING];
	for (unsigned i = 0; i < n; i++) {
		ev[i].type = state_get_u16(r);
		ev[i].code = state_get_u16(r);
		ev[i].value = state_get_u32(r);
	}
	if (r->err)
		return r->err;
	if (!apply)
		return 0;
	pthread_mutex_lock(&in->cfg_lock);
	in->select = sel;
	in->subsel = sub;
	pthread_mutex_unlock(&in->cfg_lock);
	pthread_mutex_lock(&in->ev_lock);
	memcpy(in->ev, ev, n * sizeof(ev[0]));
	in->ev_head = 0;
	in->ev_n = n;
	in->told = 0;
	pthread_mutex_unlock(&in->ev_lock);
	return 0;
}

static const struct virtio_dev_ops input_ops = {
	.config_read = input_config_read,
	.config_write = input_config_write,
	.handle_queue = input_handle_queue,
	.reset = input_reset,
	.quiesce = input_quiesce,
	.state_save = input_state_save,
	.state_load = input_state_load,
};

int virtio_input_create(struct virtio_input **out, const char *name)
{
	struct virtio_input *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	snprintf(in->name, sizeof(in->name), "%s", name ? name : "kvmini tablet");
	pthread_mutex_init(&in->cfg_lock, NULL);
	pthread_mutex_init(&in->ev_lock, NULL);
	struct virtio_dev *vd = &in->vdev;
	vd->ops = &input_ops;
	vd->name = "virtio-input";
	vd->device_id = VIRTIO_ID_INPUT;
	vd->pci_class = 0x098000; /* input device, other */
	vd->num_queues = 2;
	vd->queue_max = 64;
	vd->config_len = VIRTIO_INPUT_CONFIG_LEN;
	vd->priv = in;
	*out = in;
	return 0;
}

struct virtio_dev *virtio_input_dev(struct virtio_input *in) { return &in->vdev; }

void virtio_input_destroy(struct virtio_input *in)
{
	if (!in)
		return;
	virtio_dev_destroy(&in->vdev);
	pthread_mutex_destroy(&in->cfg_lock);
	pthread_mutex_destroy(&in->ev_lock);
	free(in);
}

static void queue_event(struct virtio_input *in, uint16_t type, uint16_t code, uint32_t value)
{
	if (in->ev_n >= VIRTIO_INPUT_PENDING)
		return;
	in->ev[(in->ev_head + in->ev_n++) % VIRTIO_INPUT_PENDING] = (struct input_event){ type, code, value };
}

void virtio_input_pointer(struct virtio_input *in, unsigned x, unsigned y, unsigned buttons, int wheel)
{
	static const uint16_t btn[3] = { BTN_LEFT, BTN_MIDDLE, BTN_RIGHT };
	x = x > VIRTIO_INPUT_ABS_MAX ? VIRTIO_INPUT_ABS_MAX : x;
	y = y > VIRTIO_INPUT_ABS_MAX ? VIRTIO_INPUT_ABS_MAX : y;
	pthread_mutex_lock(&in->ev_lock);
	/* a whole report fits, or none of it goes (the driver never sees half a report) */
	if (in->ev_n + 7 <= VIRTIO_INPUT_PENDING) {
		if (!in->told || x != in->last_x)
			queue_event(in, EV_ABS, ABS_X, x);
		if (!in->told || y != in->last_y)
			queue_event(in, EV_ABS, ABS_Y, y);
		for (int i = 0; i < 3; i++)
			if (((buttons ^ in->last_buttons) >> i) & 1)
				queue_event(in, EV_KEY, btn[i], (buttons >> i) & 1);
		if (wheel)
			queue_event(in, EV_REL, REL_WHEEL, (uint32_t)wheel);
		queue_event(in, EV_SYN, SYN_REPORT, 0);
		in->last_x = x;
		in->last_y = y;
		in->last_buttons = buttons & 7;
		in->told = 1;
	}
	pthread_mutex_unlock(&in->ev_lock);
	virtio_dev_kick(&in->vdev, Q_EVENT);
}
