// SPDX-License-Identifier: GPL-2.0-or-later
/* PCI on bus 0: the device side (type-0 config header, BARs, capability chain) and the host bridge
 * (configuration mechanism #1, BAR placement, BAR (re)mapping when the guest rewrites a BAR or the
 * command register's decode bits). */
#include "pci.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/layout.h"
#include "vmm/le.h"
#include "vmm/state.h"

#define PCI_CAP_START 0x40 /* first byte after the standard header */
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_PTR 0x34

void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device, uint32_t class_code,
		  uint16_t subsys_vendor, uint16_t subsys_id)
{
	memset(d->cfg, 0, sizeof(d->cfg));
	memset(d->wmask, 0, sizeof(d->wmask));
	memset(d->bar, 0, sizeof(d->bar));
	d->name = name;
	d->cap_last = 0;
	d->cap_next = PCI_CAP_START;
	le_put16(d->cfg, 0x00, vendor);
	le_put16(d->cfg, 0x02, device);
	d->cfg[0x09] = (uint8_t)class_code; /* programming interface */
	d->cfg[0x0a] = (uint8_t)(class_code >> 8); /* subclass */
	d->cfg[0x0b] = (uint8_t)(class_code >> 16); /* base class */
	le_put16(d->cfg, 0x2c, subsys_vendor);
	le_put16(d->cfg, 0x2e, subsys_id);
	/* command: I/O, memory, bus master, parity response; SERR, INTx disable */
	d->wmask[0x04] = 0x47;
	d->wmask[0x05] = 0x05;
	d->wmask[0x0c] = 0xff; /* cache line size */
	d->wmask[0x0d] = 0xff; /* latency timer */
	d->wmask[0x3c] = 0xff; /* interrupt line: scratch for the OS */
}

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pci_dev_set_bar(struct pci_dev *d, int idx, uint64_t size, int is_io, int is64, const struct bus_ops *ops,
		    void *opaque)
{
	if (idx < 0 || idx >= PCI_NUM_BARS || !is_pow2(size) || !ops || d->host)
		return -EINVAL;
	if (is_io && (is64 || size < 4 || size > 256))
		return -EINVAL;
	if (!is_io && (size < 16 || (!is64 && size > (1ULL << 31)) || (is64 && size > (1ULL << 62))))
		return -EINVAL;
	if (is64 && (idx == PCI_NUM_BARS - 1 || d->bar[idx + 1].size))
		return -EINVAL;
	if (idx > 0 && d->bar[idx - 1].is64) /* upper half of a 64-bit BAR */
		return -EINVAL;
	struct pci_bar *b = &d->bar[idx];
	*b = (struct pci_bar){ .size = size, .is_io = !!is_io, .is64 = !!is64, .ops = ops, .opaque = opaque };
	/* type bits: bit 0 I/O space; bits 2:1 = 10b for a 64-bit memory BAR */
	uint8_t *reg = d->cfg + 0x10 + 4 * idx;
	memset(reg, 0, is64 ? 8 : 4);
	reg[0] = is_io ? 0x01 : is64 ? 0x04 : 0x00;
	return 0;
}

int pci_dev_add_cap(struct pci_dev *d, const void *cap, unsigned len)
{
	if (!cap || len < 2)
		return -EINVAL;
	unsigned off = d->cap_next < PCI_CAP_START ? PCI_CAP_START : d->cap_next;
	if (off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(d->cfg + off, cap, len);
	memset(d->wmask + off, 0, len);
	d->cfg[off + 1] = 0; /* end of the chain */
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAP_PTR] = (uint8_t)off;
	d->cfg[0x06] |= PCI_STATUS_CAP_LIST;
	d->cap_last = (uint8_t)off;
	d->cap_next = (uint16_t)((off + len + 3) & ~3u); /* capabilities are dword aligned */
	return (int)off;
}

/* ---- the host bridge ---- */

#define CONF_ADDR LAYOUT_PCI_CONF
#define CONF_DATA (LAYOUT_PCI_CONF + 4)
#define ADDR_ENABLE 0x80000000u
#define ADDR_MASK 0x80fffffcu /* enable, bus, device, function, dword register */
#define RCR_RESET 0x04 /* reset control register (0xCF9): "do it" */

#define IO_WIN_BASE 0xc000ULL
#define IO_WIN_END 0x10000ULL

#define CMD_IO 0x0001
#define CMD_MEM 0x0002

struct io_map {
	uint64_t base, size;
	const struct bus_ops *ops;
	void *opaque;
};

struct pci_host {
	pthread_mutex_t lock; /* config space of every function, CONFIG_ADDRESS, slots, placement */
	pthread_rwlock_t io_lock; /* the I/O BAR table against dispatch through the I/O window */
	struct bus *pio, *mmio;
	const struct vm_hooks *hooks;
	void *hooks_opaque;
	uint32_t addr;
	uint8_t rcr;
	struct pci_dev *slot[PCI_MAX_SLOTS]; /* function 0 */
	struct pci_dev *fn[PCI_MAX_SLOTS][PCI_MAX_FNS - 1]; /* functions 1-7 of a multi-function slot */
	uint64_t mmio_next, io_next;
	struct io_map io[PCI_MAX_SLOTS * PCI_NUM_BARS];
	int nio;
	int registered; /* bit 0 CONF_ADDR, 1 CONF_DATA, 2 I/O window */
	struct pci_dev bridge;
	pci_pam_fn pam_fn;
	void *pam_opaque;
};

static uint32_t cfg32(const struct pci_dev *d, unsigned off)
{
	return le_get32(d->cfg, off);
}

static void set_cfg32(struct pci_dev *d, unsigned off, uint32_t v)
{
	le_put32(d->cfg, off, v);
}

/* ---- the I/O window: I/O BARs are dispatched here, never (un)registered on pio at run time ---- */

/* the I/O BAR holding [port, port + size), or NULL; called with io_lock held */
static const struct io_map *io_find(const struct pci_host *h, uint64_t port, unsigned size)
{
	for (int i = 0; i < h->nio; i++)
		if (port >= h->io[i].base && port - h->io[i].base + size <= h->io[i].size)
			return &h->io[i];
	return NULL;
}

static void iowin_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct pci_host *h = o;
	pthread_rwlock_rdlock(&h->io_lock);
	const struct io_map *m = io_find(h, IO_WIN_BASE + off, size);
	if (m && m->ops->read)
		m->ops->read(m->opaque, IO_WIN_BASE + off - m->base, data, size);
	else
		memset(data, 0xff, size);
	pthread_rwlock_unlock(&h->io_lock);
}

static void iowin_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct pci_host *h = o;
	pthread_rwlock_rdlock(&h->io_lock);
	const struct io_map *m = io_find(h, IO_WIN_BASE + off, size);
	if (m && m->ops->write)
		m->ops->write(m->opaque, IO_WIN_BASE + off - m->base, data, size);
	pthread_rwlock_unlock(&h->io_lock);
}

static const struct bus_ops iowin_ops = { iowin_read, iowin_write };

static int io_map(struct pci_host *h, const struct pci_bar *b)
{
	if (b->addr < IO_WIN_BASE || b->addr + b->size > IO_WIN_END)
		return -ERANGE; /* outside the window the host decodes */
	int ret = 0;
	pthread_rwlock_wrlock(&h->io_lock);
	if (h->nio == (int)(sizeof(h->io) / sizeof(h->io[0])))
		ret = -ENOSPC;
	for (int i = 0; i < h->nio; i++)
		if (b->addr < h->io[i].base + h->io[i].size && h->io[i].base < b->addr + b->size)
			ret = -EEXIST;
	if (!ret)
		h->io[h->nio++] = (struct io_map){ b->addr, b->size, b->ops, b->opaque };
	pthread_rwlock_unlock(&h->io_lock);
	return ret;
}

static void io_unmap(struct pci_host *h, const struct pci_bar *b)
{
	pthread_rwlock_wrlock(&h->io_lock);
	for (int i = 0; i < h->nio; i++)
		if (h->io[i].base == b->addr && h->io[i].opaque == b->opaque) {
			h->io[i] = h->io[--h->nio];
			break;
		}
	pthread_rwlock_unlock(&h->io_lock);
}

/* ---- BARs ---- */

void pci_dev_set_bar_on_map(struct pci_dev *d, int idx, void (*on_map)(void *opaque, uint64_t addr, int mapped))
{
	if (idx >= 0 && idx < PCI_NUM_BARS && !d->bar[idx].is_io)
		d->bar[idx].on_map = on_map;
}

static uint64_t bar_addr(const struct pci_dev *d, int i)
{
	const struct pci_bar *b = &d->bar[i];
	uint32_t lo = cfg32(d, 0x10 + 4 * (unsigned)i);
	if (b->is_io)
		return lo & 0xfffcu;
	if (b->is64)
		return (uint64_t)cfg32(d, 0x14 + 4 * (unsigned)i) << 32 | (lo & ~0xfu);
	return lo & ~0xfu;
}

/* the value a BAR dword takes when the guest writes v: size bits read as zero, type bits fixed */
static uint32_t bar_filter(const struct pci_dev *d, int i, uint32_t v)
{
	const struct pci_bar *b = &d->bar[i];
	if (b->size) {
		if (b->is_io) /* all 32 bits sized, as QEMU's: SeaBIOS reads 0xFFFF.... as a 64 KiB+ BAR */
			return (v & (uint32_t)~(b->size - 1) & ~0x3u) | 0x1;
		return (v & (uint32_t)~(b->size - 1) & ~0xfu) | (b->is64 ? 0x4 : 0x0);
	}
	if (i > 0 && d->bar[i - 1].is64) /* upper half of a 64-bit BAR */
		return v & (uint32_t)(~(d->bar[i - 1].size - 1) >> 32);
	return 0; /* unimplemented BAR: reads as zero, sizing finds nothing */
}

static void bar_unmap(struct pci_host *h, struct pci_bar *b)
{
	if (!b->mapped)
		return;
	if (b->is_io)
		io_unmap(h, b);
	else
		bus_unregister(h->mmio, b->addr, b->opaque);
	b->mapped = 0;
	if (b->on_map)
		b->on_map(b->opaque, b->addr, 0);
}

/* Brings BAR i's mapping in line with its register and the command register; with unmap_only, only
 * takes away mappings that are stale. A BAR the guest put at 0, across the end of the address space
 * or over another range simply stays unmapped: a conflicting BAR decodes nothing useful on real
 * hardware either. */
static int bar_sync(struct pci_host *h, struct pci_dev *d, int i, int unmap_only)
{
	struct pci_bar *b = &d->bar[i];
	if (!b->size)
		return 0;
	uint16_t cmd = le_get16(d->cfg, 4);
	uint64_t addr = bar_addr(d, i);
	int want = (cmd & (b->is_io ? CMD_IO : CMD_MEM)) && addr && addr + b->size > addr;
	if (b->mapped && (!want || addr != b->addr))
		bar_unmap(h, b);
	b->addr = addr;
	if (unmap_only || !want || b->mapped)
		return 0;
	int ret = b->is_io ? io_map(h, b) : bus_register(h->mmio, addr, b->size, b->ops, b->opaque, d->name);
	b->mapped = ret >= 0;
	if (b->mapped && b->on_map)
		b->on_map(b->opaque, addr, 1);
	return ret < 0 ? ret : 0;
}

/* all of d's BARs: stale mappings go first, so BARs of one function can trade places */
static int bars_sync(struct pci_host *h, struct pci_dev *d)
{
	int ret = 0;
	for (int i = 0; i < PCI_NUM_BARS; i++)
		bar_sync(h, d, i, 1);
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		int r = bar_sync(h, d, i, 0);
		if (r < 0 && !ret)
			ret = r;
	}
	return ret;
}

/* ---- config space ---- */

static void cfg_write(struct pci_host *h, struct pci_dev *d, unsigned reg, const uint8_t *v, unsigned size)
{
	int bars = 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = reg + i;
		if (o >= 0x10 && o < 0x28) {
			int bi = (int)(o - 0x10) / 4;
			uint32_t cur = cfg32(d, 0x10 + 4 * (unsigned)bi);
			unsigned sh = (o & 3) * 8;
			cur = (cur & ~(0xffu << sh)) | (uint32_t)v[i] << sh;
			set_cfg32(d, 0x10 + 4 * (unsigned)bi, bar_filter(d, bi, cur));
			bars = 1;
		} else {
			d->cfg[o] = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (v[i] & d->wmask[o]));
		}
	}
	if (bars || (reg < 0x06 && reg + size > 0x04))
		bars_sync(h, d);
	if (d->cfg_written)
		d->cfg_written(d, reg, size);
}

/* the function CONFIG_ADDRESS selects, or NULL (bus != 0, empty slot or function, disabled) */
static struct pci_dev *selected(struct pci_host *h, unsigned *reg)
{
	uint32_t a = h->addr;
	unsigned s = (a >> 11) & 0x1f, f = (a >> 8) & 7;
	if (!(a & ADDR_ENABLE) || ((a >> 16) & 0xff) || !h->slot[s])
		return NULL;
	*reg = a & 0xfc;
	return f ? h->fn[s][f - 1] : h->slot[s];
}

static void data_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct pci_host *h = o;
	unsigned reg;
	pthread_mutex_lock(&h->lock);
	struct pci_dev *d = selected(h, &reg);
	if (d) /* the bus keeps off + size within the 4 data ports, so reg + size <= 256 */
		memcpy(data, d->cfg + reg + off, size);
	else
		memset(data, 0xff, size);
	pthread_mutex_unlock(&h->lock);
}

static void data_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct pci_host *h = o;
	unsigned reg;
	pthread_mutex_lock(&h->lock);
	struct pci_dev *d = selected(h, &reg);
	if (d)
		cfg_write(h, d, reg + (unsigned)off, data, size);
	pthread_mutex_unlock(&h->lock);
}

/* 0xCF8..0xCFB: only dword accesses reach CONFIG_ADDRESS (Linux's probe pokes bytes at 0xCFB and
 * must not disturb it); a byte at 0xCF9 is the chipset's reset control register */
static void addr_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct pci_host *h = o;
	memset(data, 0xff, size);
	pthread_mutex_lock(&h->lock);
	if (off == 0 && size == 4)
		memcpy(data, &h->addr, 4);
	else if (off == 1 && size == 1)
		*(uint8_t *)data = h->rcr;
	pthread_mutex_unlock(&h->lock);
}

static void addr_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct pci_host *h = o;
	int reset = 0;
	pthread_mutex_lock(&h->lock);
	if (off == 0 && size == 4) {
		uint32_t v;
		memcpy(&v, data, 4);
		h->addr = v & ADDR_MASK;
	} else if (off == 1 && size == 1) {
		uint8_t v = *(const uint8_t *)data;
		h->rcr = v & (uint8_t)~RCR_RESET;
		reset = v & RCR_RESET;
	}
	pthread_mutex_unlock(&h->lock);
	if (reset && h->hooks && h->hooks->request_stop)
		h->hooks->request_stop(h->hooks_opaque, VM_STOP_RESET);
}

static const struct bus_ops addr_ops = { addr_read, addr_write };
static const struct bus_ops data_ops = { data_read, data_write };

/* ---- the i440FX's PAM registers ---- */

/* called under h->lock after a guest write to the bridge's config space */
static void bridge_written(struct pci_dev *d, unsigned off, unsigned size)
{
	struct pci_host *h = d->opaque;
	if (h->pam_fn && off < PCI_PAM_REG + PCI_PAM_COUNT && off + size > PCI_PAM_REG)
		h->pam_fn(h->pam_opaque, d->cfg + PCI_PAM_REG);
}

void pci_host_set_pam_hook(struct pci_host *h, pci_pam_fn fn, void *opaque)
{
	pthread_mutex_lock(&h->lock);
	h->pam_fn = fn;
	h->pam_opaque = opaque;
	if (fn)
		fn(opaque, h->bridge.cfg + PCI_PAM_REG);
	pthread_mutex_unlock(&h->lock);
}

/* ---- plugging devices ---- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int host_add_locked(struct pci_host *h, struct pci_dev *d, int slot)
{
	uint64_t place[PCI_NUM_BARS] = { 0 };
	uint64_t mnext = h->mmio_next, inext = h->io_next;
	uint16_t cmd = 0;
	for (int i = 0; i < PCI_NUM_BARS; i++) { /* place everything first: failure changes nothing */
		const struct pci_bar *b = &d->bar[i];
		if (!b->size)
			continue;
		uint64_t *next = b->is_io ? &inext : &mnext;
		uint64_t end = b->is_io ? IO_WIN_END : LAYOUT_PCI_MMIO + LAYOUT_PCI_MMIO_SIZE;
		place[i] = align_up(*next, b->size);
		if (place[i] < *next || place[i] > end || b->size > end - place[i])
			return -ENOSPC;
		*next = place[i] + b->size;
		cmd |= b->is_io ? CMD_IO : CMD_MEM;
	}
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		if (!d->bar[i].size)
			continue;
		set_cfg32(d, 0x10 + 4 * (unsigned)i, bar_filter(d, i, (uint32_t)place[i]));
		if (d->bar[i].is64)
			set_cfg32(d, 0x14 + 4 * (unsigned)i, (uint32_t)(place[i] >> 32));
	}
	d->cfg[4] |= (uint8_t)cmd;
	int ret = bars_sync(h, d);
	if (ret < 0) {
		for (int j = 0; j < PCI_NUM_BARS; j++)
			bar_unmap(h, &d->bar[j]);
		d->cfg[4] &= (uint8_t)~cmd;
		return ret;
	}
	h->mmio_next = mnext;
	h->io_next = inext;
	d->slot = (unsigned)slot;
	d->host = h;
	if (d->fn)
		h->fn[slot][d->fn - 1] = d;
	else
		h->slot[slot] = d;
	return 0;
}

/* INTA# of slot's functions: the GSI the static _PRT / MP table give the slot */
static void wire_intx(struct pci_host *h, struct pci_dev *d, int slot)
{
	unsigned gsi = LAYOUT_PCI_IRQ_BASE + (unsigned)slot % 8;
	d->cfg[0x3c] = (uint8_t)gsi;
	d->cfg[0x3d] = 1; /* INTA# */
	d->intx = (struct irq_line){ .hooks = h->hooks, .opaque = h->hooks_opaque, .gsi = gsi };
}

int pci_host_add_fn(struct pci_host *h, struct pci_dev *d, unsigned slot, unsigned fn)
{
	if (!h || !d || d->host || slot == 0 || slot >= PCI_MAX_SLOTS || fn >= PCI_MAX_FNS)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	int ret = -EEXIST;
	if (fn ? h->slot[slot] && !h->fn[slot][fn - 1] : !h->slot[slot]) {
		d->fn = fn;
		wire_intx(h, d, (int)slot);
		ret = host_add_locked(h, d, (int)slot);
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

int pci_host_add(struct pci_host *h, struct pci_dev *d)
{
	if (!h || !d || d->host)
		return -EINVAL;
	pthread_mutex_lock(&h->lock);
	int slot = 1, ret;
	while (slot < PCI_MAX_SLOTS && h->slot[slot])
		slot++;
	if (slot == PCI_MAX_SLOTS) {
		ret = -ENOSPC;
	} else {
		d->fn = 0;
		wire_intx(h, d, slot);
		ret = host_add_locked(h, d, slot);
	}
	pthread_mutex_unlock(&h->lock);
	return ret;
}

int pci_host_create(struct pci_host **out, struct bus *pio, struct bus *mmio, const struct vm_hooks *hooks,
		    void *hooks_opaque)
{
	struct pci_host *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->pio = pio;
	h->mmio = mmio;
	h->hooks = hooks;
	h->hooks_opaque = hooks_opaque;
	h->mmio_next = LAYOUT_PCI_MMIO;
	h->io_next = IO_WIN_BASE;
	pthread_mutex_init(&h->lock, NULL);
	pthread_rwlock_init(&h->io_lock, NULL);
	/* i440FX host bridge: what Linux's type-1 sanity check expects to find at 00:00.0 */
	pci_dev_init(&h->bridge, "host bridge", 0x8086, 0x1237, 0x060000, 0x1af4, 0x1100);
	/* PAM0 holds only the 0xF0000 segment (bits 5:4); PAM1-6 two 16 KiB segments each */
	h->bridge.wmask[PCI_PAM_REG] = 0x30;
	memset(h->bridge.wmask + PCI_PAM_REG + 1, 0x33, PCI_PAM_COUNT - 1);
	h->bridge.cfg_written = bridge_written;
	h->bridge.opaque = h;
	pthread_mutex_lock(&h->lock);
	host_add_locked(h, &h->bridge, 0);
	pthread_mutex_unlock(&h->lock);
	int ret = bus_register(pio, CONF_ADDR, 4, &addr_ops, h, "pci addr");
	if (ret >= 0) {
		h->registered |= 1;
		ret = bus_register(pio, CONF_DATA, 4, &data_ops, h, "pci data");
	}
	if (ret >= 0) {
		h->registered |= 2;
		ret = bus_register(pio, IO_WIN_BASE, IO_WIN_END - IO_WIN_BASE, &iowin_ops, h, "pci io");
	}
	if (ret >= 0)
		h->registered |= 4;
	if (ret < 0) {
		pci_host_destroy(h);
		return ret;
	}
	*out = h;
	return 0;
}

void pci_host_destroy(struct pci_host *h)
{
	if (!h)
		return;
	if (h->registered & 1)
		bus_unregister(h->pio, CONF_ADDR, h);
	if (h->registered & 2)
		bus_unregister(h->pio, CONF_DATA, h);
	if (h->registered & 4)
		bus_unregister(h->pio, IO_WIN_BASE, h);
	for (int s = 0; s < PCI_MAX_SLOTS * PCI_MAX_FNS; s++) {
		struct pci_dev *d = s % PCI_MAX_FNS ? h->fn[s / PCI_MAX_FNS][s % PCI_MAX_FNS - 1] : h->slot[s / PCI_MAX_FNS];
		if (!d)
			continue;
		for (int i = 0; i < PCI_NUM_BARS; i++)
			bar_unmap(h, &d->bar[i]);
		d->host = NULL;
	}
	pthread_rwlock_destroy(&h->io_lock);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* ---- saved state ---- */

void pci_dev_state_save(const struct pci_dev *d, struct state_writer *w)
{
	state_put_bytes(w, d->cfg, PCI_CFG_SIZE);
}

int pci_dev_state_load(struct pci_dev *d, struct state_reader *r, int apply)
{
	const uint8_t *c = state_get_ptr(r, PCI_CFG_SIZE);
	if (!c)
		return -EBADMSG;
	for (unsigned o = 0; o < PCI_CFG_SIZE; o++)
		if ((o < 0x10 || o >= 0x28) && ((c[o] ^ d->cfg[o]) & ~d->wmask[o]))
			return -EINVAL;
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint32_t v = le_get32(c, 0x10 + 4 * (unsigned)i);
		if (bar_filter(d, i, v) != v)
			return -EINVAL;
	}
	if (!apply)
		return 0;
	struct pci_host *h = d->host;
	if (h)
		pthread_mutex_lock(&h->lock);
	memcpy(d->cfg, c, PCI_CFG_SIZE);
	if (h) {
		bars_sync(h, d); /* a BAR over another range stays unmapped, as after a guest write */
		pthread_mutex_unlock(&h->lock);
	}
	return 0;
}

/* payload: CONFIG_ADDRESS (u32), reset control (u8), the host bridge's config space */
int pci_host_state_save(const struct pci_host *ch, struct state_writer *w)
{
	struct pci_host *h = (struct pci_host *)ch; /* the lock is not part of the state */
	pthread_mutex_lock(&h->lock);
	state_put_u32(w, h->addr);
	state_put_u8(w, h->rcr);
	pci_dev_state_save(&h->bridge, w);
	pthread_mutex_unlock(&h->lock);
	return state_writer_err(w);
}

int pci_host_state_load(struct pci_host *h, struct state_reader *r, uint32_t version)
{
	uint32_t addr = state_get_u32(r);
	uint8_t rcr = state_get_u8(r);
	struct state_reader bridge = *r;
	pthread_mutex_lock(&h->lock); /* the bridge's config space is read under it */
	int e = pci_dev_state_load(&h->bridge, r, 0);
	pthread_mutex_unlock(&h->lock);
	if (!e)
		e = state_reader_done(r);
	if (e)
		return e;
	if ((addr & ~ADDR_MASK) || (rcr & RCR_RESET))
		return -EINVAL;
	pci_dev_state_load(&h->bridge, &bridge, 1);
	pthread_mutex_lock(&h->lock);
	h->addr = addr;
	h->rcr = rcr;
	if (h->pam_fn) /* the shadow RAM as the saved PAM registers had it */
		h->pam_fn(h->pam_opaque, h->bridge.cfg + PCI_PAM_REG);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static int save_op(const void *o, struct state_writer *w) { return pci_host_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return pci_host_state_load(o, r, v); }
const struct state_ops pci_host_state_ops = { "pci-host", 1, 1, save_op, load_op };
