// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest's exit status device (devices/debug_exit.h). */
#include "debug_exit.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct debug_exit {
	struct bus *pio;
	uint16_t port;
	const struct vm_hooks *hooks;
	void *hooks_opaque;
	atomic_int status; /* -1 until the first write; the first one wins */
};

static void dx_read(void *opaque, uint64_t offset, void *data, unsigned size)
{
	memset(data, 0xff, size);
}

static void dx_write(void *opaque, uint64_t offset, const void *data, unsigned size)
{
	struct debug_exit *d = opaque;
	uint32_t v = 0;
	memcpy(&v, data, size < 4 ? size : 4); /* little-endian: the low bytes */
	int expect = -1;
	/* the process status is 8 bits: (V << 1) | 1 keeps what the shell will see */
	if (atomic_compare_exchange_strong(&d->status, &expect, (int)((((uint64_t)v << 1) | 1) & 0xff)) &&
	    d->hooks && d->hooks->request_stop)
		d->hooks->request_stop(d->hooks_opaque, VM_STOP_GUEST_EXIT);
}

static const struct bus_ops dx_ops = { dx_read, dx_write };

int debug_exit_create(struct debug_exit **out, struct bus *pio, uint16_t port, unsigned iosize,
		      const struct vm_hooks *hooks, void *hooks_opaque)
{
	if (iosize < 1 || iosize > 4 || (uint32_t)port + iosize > 0x10000)
		return -EINVAL;
	struct debug_exit *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->pio = pio;
	d->port = port;
	d->hooks = hooks;
	d->hooks_opaque = hooks_opaque;
	atomic_init(&d->status, -1);
	int r = bus_register(pio, port, iosize, &dx_ops, d, "debug-exit");
	if (r < 0) {
		free(d);
		return r;
	}
	*out = d;
	return 0;
}

void debug_exit_destroy(struct debug_exit *d)
{
	if (!d)
		return;
	bus_unregister(d->pio, d->port, d);
	free(d);
}

int debug_exit_status(const struct debug_exit *d)
{
	return d ? atomic_load(&d->status) : -1;
}

/* 0..max in C notation (decimal, 0x hex, 0 octal), nothing else */
static int number(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	char buf[16], *end;
	if (!n || n >= sizeof(buf) || s[0] == '-' || s[0] == '+')
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int debug_exit_parse(const char *s, uint16_t *port, unsigned *iosize)
{
	*port = DEBUG_EXIT_PORT;
	*iosize = DEBUG_EXIT_IOSIZE;
	unsigned long v;
	while (s && *s) {
		size_t n = strcspn(s, ",");
		if (!strncmp(s, "iosize=", 7)) {
			if (number(s + 7, n - 7, 4, &v) || !v)
				return -EINVAL;
			*iosize = (unsigned)v;
		} else if (number(s, n, 0xffff, &v)) {
			return -EINVAL;
		} else {
			*port = (uint16_t)v;
		}
		s += n;
		if (*s == ',' && !*++s)
			return -EINVAL; /* a trailing comma */
	}
	if ((uint32_t)*port + *iosize > 0x10000)
		return -EINVAL;
	return 0;
}
