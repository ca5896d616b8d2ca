// SPDX-License-Identifier: GPL-2.0-or-later
/* kvm-unit-tests' test device (devices/testdev.h). */
#include "testdev.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct testdev {
	struct bus *pio, *mmio;
	struct irq_line line;
	pthread_mutex_t lock; /* vCPU threads write both ranges; saves read them */
	uint8_t scratch[4];
	uint8_t level[TESTDEV_IRQS];
	uint8_t ioram[TESTDEV_IORAM_LEN];
};

static void scratch_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct testdev *t = opaque;
	uint8_t *d = data;
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < size; i++)
		d[i] = off + i < sizeof(t->scratch) ? t->scratch[off + i] : 0xff;
	pthread_mutex_unlock(&t->lock);
}

static void scratch_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct testdev *t = opaque;
	const uint8_t *d = data;
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < size && off + i < sizeof(t->scratch); i++)
		t->scratch[off + i] = d[i];
	pthread_mutex_unlock(&t->lock);
}

static void irq_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct testdev *t = opaque;
	memset(data, 0, size);
	if (off < TESTDEV_IRQS)
		*(uint8_t *)data = __atomic_load_n(&t->level[off], __ATOMIC_RELAXED);
}

/* each port is one line; a wider access sets the line of its first port (as a byte write would) */
static void irq_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct testdev *t = opaque;
	if (off >= TESTDEV_IRQS)
		return;
	uint8_t v = *(const uint8_t *)data != 0;
	struct irq_line l = t->line;
	l.gsi = (unsigned)off;
	pthread_mutex_lock(&t->lock); /* the level and the line change together */
	t->level[off] = v;
	irq_set(&l, v);
	pthread_mutex_unlock(&t->lock);
}

/* the bus hands out only accesses inside the range, at most 8 bytes */
static void ioram_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct testdev *t = opaque;
	pthread_mutex_lock(&t->lock);
	memcpy(data, t->ioram + off, size);
	pthread_mutex_unlock(&t->lock);
}

static void ioram_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct testdev *t = opaque;
	pthread_mutex_lock(&t->lock);
	memcpy(t->ioram + off, data, size);
	pthread_mutex_unlock(&t->lock);
}

static const struct bus_ops scratch_ops = { scratch_read, scratch_write };
static const struct bus_ops irq_ops = { irq_read, irq_write };
static const struct bus_ops ioram_ops = { ioram_read, ioram_write };

int testdev_create(struct testdev **out, struct bus *pio, struct bus *mmio, const struct vm_hooks *hooks,
		   void *hooks_opaque)
{
	struct testdev *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pio = pio;
	t->mmio = mmio;
	t->line = (struct irq_line){ hooks, hooks_opaque, 0 };
	pthread_mutex_init(&t->lock, NULL);
	int r = bus_register(pio, TESTDEV_SCRATCH_PORT, sizeof(t->scratch), &scratch_ops, t, "pc-testdev");
	if (r >= 0 && (r = bus_register(pio, TESTDEV_IRQ_PORT, TESTDEV_IRQS, &irq_ops, t, "pc-testdev irq")) < 0)
		bus_unregister(pio, TESTDEV_SCRATCH_PORT, t);
	if (r >= 0 && (r = bus_register(mmio, TESTDEV_IORAM, TESTDEV_IORAM_LEN, &ioram_ops, t, "pc-testdev ioram")) < 0) {
		bus_unregister(pio, TESTDEV_IRQ_PORT, t);
		bus_unregister(pio, TESTDEV_SCRATCH_PORT, t);
	}
	if (r < 0) {
		pthread_mutex_destroy(&t->lock);
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

void testdev_destroy(struct testdev *t)
{
	if (!t)
		return;
	bus_unregister(t->mmio, TESTDEV_IORAM, t);
	bus_unregister(t->pio, TESTDEV_IRQ_PORT, t);
	bus_unregister(t->pio, TESTDEV_SCRATCH_PORT, t);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* payload v1: scratch (4 bytes), the 24 line levels (one byte each, 0 or 1), the 64 KiB ioram */
static int save_op(const void *o, struct state_writer *w)
{
	struct testdev *t = (struct testdev *)o;
	pthread_mutex_lock(&t->lock);
	state_put_bytes(w, t->scratch, sizeof(t->scratch));
	state_put_bytes(w, t->level, sizeof(t->level));
	state_put_bytes(w, t->ioram, sizeof(t->ioram));
	pthread_mutex_unlock(&t->lock);
	return state_writer_err(w);
}

static int load_op(void *o, struct state_reader *r, uint32_t version)
{
	struct testdev *t = o;
	uint8_t scratch[4], level[TESTDEV_IRQS];
	state_get_bytes(r, scratch, sizeof(scratch));
	state_get_bytes(r, level, sizeof(level));
	const uint8_t *ioram = state_get_ptr(r, TESTDEV_IORAM_LEN); /* copied once all is checked */
	int e = state_reader_done(r);
	if (e)
		return e;
	for (unsigned i = 0; i < TESTDEV_IRQS; i++)
		if (level[i] > 1)
			return -EINVAL;
	pthread_mutex_lock(&t->lock);
	memcpy(t->scratch, scratch, sizeof(scratch));
	memcpy(t->level, level, sizeof(level));
	memcpy(t->ioram, ioram, sizeof(t->ioram));
	for (unsigned i = 0; i < TESTDEV_IRQS; i++) {
		struct irq_line l = t->line;
		l.gsi = i;
		irq_set(&l, level[i]); /* the restored irqchip sees the device's lines again */
	}
	pthread_mutex_unlock(&t->lock);
	return 0;
}

const struct state_ops testdev_state_ops = { "pc-testdev", 1, 1, save_op, load_op };
