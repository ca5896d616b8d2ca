// SPDX-License-Identifier: GPL-2.0-or-later
/* The 0x402 debug port: bytes to a sink, lines watched for the firmware's boot failure. */
#include "debugcon.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/state.h"

#define FAIL_TEXT "No bootable device"

struct debugcon {
	pthread_mutex_t lock;
	struct bus *pio;
	struct debugcon_cfg cfg;
	char line[DEBUGCON_LINE_MAX];
	unsigned len;
	int failed; /* on_fail ran */
	int registered;
};

void debugcon_put(struct debugcon *d, uint8_t c)
{
	pthread_mutex_lock(&d->lock);
	if (d->cfg.sink)
		d->cfg.sink(d->cfg.sink_opaque, &c, 1);
	int fail = 0;
	if (c == '\n' || c == '\r') {
		d->line[d->len] = 0;
		fail = !d->failed && strstr(d->line, FAIL_TEXT) != NULL;
		d->failed |= fail;
		d->len = 0;
	} else if (d->len < DEBUGCON_LINE_MAX - 1) {
		d->line[d->len++] = (char)c; /* the rest of a longer line is not looked at */
	}
	char copy[DEBUGCON_LINE_MAX];
	if (fail)
		memcpy(copy, d->line, sizeof(copy));
	pthread_mutex_unlock(&d->lock);
	if (fail && d->cfg.on_fail)
		d->cfg.on_fail(d->cfg.fail_opaque, copy);
}

static void port_read(void *o, uint64_t off, void *data, unsigned size)
{
	memset(data, 0, size);
	*(uint8_t *)data = 0xe9;
}

static void port_write(void *o, uint64_t off, const void *data, unsigned size)
{
	debugcon_put(o, *(const uint8_t *)data); /* a wider write carries one character */
}

static const struct bus_ops debugcon_ops = { port_read, port_write };

int debugcon_create(struct debugcon **out, struct bus *pio, const struct debugcon_cfg *cfg)
{
	struct debugcon *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->cfg = *cfg;
	if (pio) {
		int ret = bus_register(pio, DEBUGCON_PORT, 1, &debugcon_ops, d, "debugcon");
		if (ret < 0) {
			debugcon_destroy(d);
			return ret;
		}
		d->pio = pio;
		d->registered = 1;
	}
	*out = d;
	return 0;
}

void debugcon_destroy(struct debugcon *d)
{
	if (!d)
		return;
	if (d->registered)
		bus_unregister(d->pio, DEBUGCON_PORT, d);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* payload: failed (u8), line length (u16), the line's bytes */
int debugcon_state_save(const struct debugcon *cd, struct state_writer *w)
{
	struct debugcon *d = (struct debugcon *)cd;
	pthread_mutex_lock(&d->lock);
	state_put_u8(w, (uint8_t)d->failed);
	state_put_u16(w, (uint16_t)d->len);
	state_put_bytes(w, d->line, d->len);
	pthread_mutex_unlock(&d->lock);
	return state_writer_err(w);
}

int debugcon_state_load(struct debugcon *d, struct state_reader *r, uint32_t version)
{
	(void)version;
	uint8_t failed = state_get_u8(r);
	uint16_t len = state_get_u16(r);
	if (len >= DEBUGCON_LINE_MAX || failed > 1)
		return -EINVAL;
	const void *p = state_get_ptr(r, len);
	int e = state_reader_done(r);
	if (e)
		return e;
	pthread_mutex_lock(&d->lock);
	d->failed = failed;
	d->len = len;
	memcpy(d->line, p, len);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int save_op(const void *o, struct state_writer *w) { return debugcon_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return debugcon_state_load(o, r, v); }
const struct state_ops debugcon_state_ops = { "debugcon", 1, 1, save_op, load_op };
