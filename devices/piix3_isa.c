// SPDX-License-Identifier: GPL-2.0-or-later
/* The PIIX3 ISA bridge (devices/piix3_isa.h): config space with the chipset registers at their
 * reset values, PIRQ route control, and the ELCR ports. */
#include "devices/piix3_isa.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/state.h"

#define PIRQ_BASE 0x60
#define PIRQ_IRQ_MASK 0x0f
/* ELCR bits the chipset has: IRQ 0, 1, 2, 8 and 13 are always edge */
#define ELCR_MASK 0xdef8u

struct piix3_isa {
	struct pci_dev pci;
	pthread_mutex_t lock; /* ELCR and the routes last reported (config space: the host's lock) */
	uint16_t elcr;
	struct bus *pio;
	struct piix3_isa_opts o;
	uint8_t pirq_seen[4]; /* what pirq_changed was last told, to call it on changes only */
};

/* register: reset value, writable bits (QEMU's `pc` values, which SeaBIOS and Linux expect) */
static const struct {
	uint8_t off, val, wmask;
} regs[] = {
	{ 0x4c, 0x4d, 0xff }, /* IORT: ISA I/O recovery timer */
	{ 0x4e, 0x03, 0xff }, /* XBCS: X-bus chip select (RTC, keyboard) */
	{ 0x4f, 0x00, 0xff },
	{ 0x60, PIIX3_PIRQ_DISABLED, 0x8f }, { 0x61, PIIX3_PIRQ_DISABLED, 0x8f },
	{ 0x62, PIIX3_PIRQ_DISABLED, 0x8f }, { 0x63, PIIX3_PIRQ_DISABLED, 0x8f },
	{ 0x69, 0x02, 0xfe }, /* TOM: top of memory */
	{ 0x6a, 0x00, 0xff }, { 0x6b, 0x00, 0xff },
	{ 0x70, 0x80, 0xcf }, /* MBIRQ0/1: motherboard IRQ route, disabled */
	{ 0x71, 0x80, 0xcf },
	{ 0x76, 0x0c, 0x8f }, /* MBDMA0/1: motherboard DMA, disabled */
	{ 0x77, 0x0c, 0x8f },
	{ 0x78, 0x02, 0xff }, /* PCSC: programmable chip select control */
	{ 0x79, 0x00, 0xff },
	{ 0x80, 0x00, 0x7f }, /* APICBASE */
	{ 0x82, 0x00, 0x0f }, /* DLC: deterministic latency control */
	{ 0xa0, 0x08, 0xff }, /* SMICNTL */
	{ 0xa2, 0x00, 0xff }, { 0xa3, 0x00, 0xff }, /* SMIEN */
	{ 0xa4, 0x00, 0xff }, { 0xa5, 0x00, 0xff }, { 0xa6, 0x00, 0xff }, { 0xa7, 0x00, 0xff }, /* SEE */
	{ 0xa8, 0x0f, 0xff }, /* FTMR: fast off timer */
	{ 0xaa, 0x00, 0xff }, { 0xab, 0x00, 0xff }, /* SMIREQ */
	{ 0xac, 0x00, 0xff }, /* CTLTMR */
	{ 0xae, 0x00, 0xff }, /* CTHTMR */
};

static int route_of(uint8_t v)
{
	unsigned irq = v & PIRQ_IRQ_MASK;
	/* IRQ 0-2, 8 and 13 are not routable (PIIX3 datasheet, PIRQ route control) */
	if ((v & PIIX3_PIRQ_DISABLED) || irq < 3 || irq == 8 || irq == 13)
		return -ENODEV;
	return (int)irq;
}

int piix3_isa_pirq(const struct piix3_isa *b, unsigned n)
{
	if (n > 3)
		return -EINVAL;
	return route_of(b->pci.cfg[PIRQ_BASE + n]);
}

uint16_t piix3_isa_elcr(const struct piix3_isa *cb)
{
	struct piix3_isa *b = (struct piix3_isa *)cb; /* the lock only */
	pthread_mutex_lock(&b->lock);
	uint16_t v = b->elcr;
	pthread_mutex_unlock(&b->lock);
	return v;
}

/* tells the board about routes that changed */
static void routes_changed(struct piix3_isa *b)
{
	for (unsigned n = 0; n < 4; n++) {
		uint8_t v = b->pci.cfg[PIRQ_BASE + n];
		pthread_mutex_lock(&b->lock);
		bool changed = v != b->pirq_seen[n];
		b->pirq_seen[n] = v;
		pthread_mutex_unlock(&b->lock);
		if (changed && b->o.pirq_changed)
			b->o.pirq_changed(b->o.opaque, n, route_of(v));
	}
}

static void cfg_written(struct pci_dev *d, unsigned off, unsigned size)
{
	if (off < PIRQ_BASE + 4 && off + size > PIRQ_BASE)
		routes_changed(d->opaque);
}

static void elcr_read(void *o, uint64_t off, void *data, unsigned size)
{
	uint16_t v = piix3_isa_elcr(o);
	for (unsigned i = 0; i < size; i++)
		((uint8_t *)data)[i] = off + i < 2 ? (uint8_t)(v >> (8 * (off + i))) : 0xff;
}

static void elcr_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct piix3_isa *b = o;
	pthread_mutex_lock(&b->lock);
	for (unsigned i = 0; i < size && off + i < 2; i++) {
		unsigned sh = 8 * (unsigned)(off + i);
		uint16_t v = (uint16_t)(((const uint8_t *)data)[i] << sh);
		b->elcr = (uint16_t)((b->elcr & ~(0xffu << sh)) | (v & ELCR_MASK));
	}
	pthread_mutex_unlock(&b->lock);
}

static const struct bus_ops elcr_ops = { elcr_read, elcr_write };

int piix3_isa_create(struct piix3_isa **out, struct bus *pio, const struct piix3_isa_opts *opts)
{
	struct piix3_isa *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	pthread_mutex_init(&b->lock, NULL);
	if (opts)
		b->o = *opts;
	/* subsystem ids as on every function of QEMU's pc */
	struct pci_dev *d = &b->pci;
	pci_dev_init(d, "piix3-isa", 0x8086, 0x7000, 0x060100, 0x1af4, 0x1100);
	d->cfg[0x0e] = 0x80; /* multi-function: the IDE function is 00:01.1 */
	d->cfg[0x04] = 0x07; /* I/O, memory, bus master: the bridge forwards ISA cycles */
	d->cfg[0x07] = 0x02; /* DEVSEL medium */
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		d->cfg[regs[i].off] = regs[i].val;
		d->wmask[regs[i].off] = regs[i].wmask;
	}
	d->cfg_written = cfg_written;
	d->opaque = b;
	memset(b->pirq_seen, PIIX3_PIRQ_DISABLED, sizeof(b->pirq_seen));
	if (pio) {
		int r = bus_register(pio, PIIX3_ELCR_PORT, 2, &elcr_ops, b, "elcr");
		if (r < 0) {
			pthread_mutex_destroy(&b->lock);
			free(b);
			return r;
		}
		b->pio = pio;
	}
	*out = b;
	return 0;
}

void piix3_isa_destroy(struct piix3_isa *b)
{
	if (!b)
		return;
	if (b->pio)
		bus_unregister(b->pio, PIIX3_ELCR_PORT, b);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

struct pci_dev *piix3_isa_pci(struct piix3_isa *b) { return &b->pci; }

int piix3_isa_state_save(const struct piix3_isa *b, struct state_writer *w)
{
	pci_dev_state_save(&b->pci, w);
	state_put_u16(w, piix3_isa_elcr(b));
	return state_writer_err(w);
}

int piix3_isa_state_load(struct piix3_isa *b, struct state_reader *r, uint32_t version)
{
	if (version != 1)
		return -EINVAL;
	struct state_reader cfg = *r;
	int e = pci_dev_state_load(&b->pci, r, 0);
	uint16_t elcr = state_get_u16(r);
	if (!e)
		e = state_reader_done(r);
	if (e)
		return e;
	if (elcr & ~ELCR_MASK)
		return -EINVAL;
	pci_dev_state_load(&b->pci, &cfg, 1);
	pthread_mutex_lock(&b->lock);
	b->elcr = elcr;
	pthread_mutex_unlock(&b->lock);
	routes_changed(b);
	return 0;
}

static int save_op(const void *o, struct state_writer *w) { return piix3_isa_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return piix3_isa_state_load(o, r, v); }
const struct state_ops piix3_isa_state_ops = { "piix3-isa", 1, 1, save_op, load_op };
