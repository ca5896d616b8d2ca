// SPDX-License-Identifier: GPL-2.0-or-later
/* bochs-display model: the PCI function, its two BARs and saved state. Register accesses come from
 * vCPU threads, scanout and dirty queries from the display's consumer (the VNC thread); one mutex
 * covers both, never held across anything slow. */
#include "bochs.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "devices/display/edid.h"
#include "devices/pci.h"
#include "vmm/le.h"
#include "vmm/log.h"
#include "vmm/state.h"

#define QEXT_LITTLE 0x1e1e1e1eu
#define QEXT_BIG 0xbebebebeu

struct bochs_display {
	struct pci_dev pci;
	const struct vm_hooks *hooks;
	void *hooks_opaque;
	pthread_mutex_t lock;
	struct dispi dispi;
	uint32_t endian; /* QEXT endianness register: only little-endian is honoured */
	uint8_t edid[EDID_BLOCK];
	uint8_t *fb;
	int slot; /* map_ram handle, -1 while BAR0 is not a memory slot */
	int slot_logged; /* the slot has a dirty log */
	int all_dirty; /* everything changed (mode set clears, slot moved, state loaded) */
	uint64_t soft_dirty[BOCHS_DIRTY_WORDS]; /* pages written through the bus handlers */
	int logged_fail; /* "no dirty log" said once */
};

static void mark_pages(struct bochs_display *b, uint64_t off, uint64_t len)
{
	for (uint64_t p = off / VM_PAGE_SIZE; p <= (off + len - 1) / VM_PAGE_SIZE && p < BOCHS_FB_PAGES; p++)
		b->soft_dirty[p / 64] |= 1ULL << (p % 64);
}

/* ---- BAR0: the framebuffer, when it is not a memory slot ---- */

static void fb_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct bochs_display *b = o;
	if (off + size <= BOCHS_FB_SIZE)
		memcpy(data, b->fb + off, size);
	else
		memset(data, 0xff, size);
}

static void fb_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct bochs_display *b = o;
	if (off + size > BOCHS_FB_SIZE)
		return;
	memcpy(b->fb + off, data, size);
	pthread_mutex_lock(&b->lock);
	mark_pages(b, off, size);
	pthread_mutex_unlock(&b->lock);
}

static const struct bus_ops fb_ops = { fb_read, fb_write };

/* BAR0 mapped or unmapped by the guest (PCI host lock held): the framebuffer becomes guest memory */
static void fb_on_map(void *o, uint64_t addr, int mapped)
{
	struct bochs_display *b = o;
	if (!b->hooks || !b->hooks->map_ram)
		return;
	pthread_mutex_lock(&b->lock);
	if (!mapped) {
		if (b->slot >= 0)
			b->hooks->map_ram(b->hooks_opaque, b->slot, 0, 0, NULL, 0);
		b->slot = -1;
	} else {
		int h = b->hooks->map_ram(b->hooks_opaque, b->slot, addr, BOCHS_FB_SIZE, b->fb, VM_RAM_LOG_DIRTY);
		b->slot_logged = h >= 0;
		if (h < 0) /* the bus handlers still serve BAR0, one exit per access */
			h = b->hooks->map_ram(b->hooks_opaque, -1, addr, BOCHS_FB_SIZE, b->fb, 0);
		b->slot = h >= 0 ? h : -1;
		/* -EEXIST: over another slot, e.g. while SeaBIOS sizes BAR0 with decoding on (all ones:
		 * 0xff000000, over the BIOS image) for a moment; the bus handlers serve it meanwhile */
		if (h < 0 && h != -EEXIST)
			kv_log("bochs-display: cannot map the framebuffer as guest memory at %#llx: %s",
			       (unsigned long long)addr, strerror(-h));
	}
	b->all_dirty = 1;
	pthread_mutex_unlock(&b->lock);
}

/* ---- BAR2: EDID, DISPI, QEMU extended registers ---- */

static void mmio_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct bochs_display *b = o;
	uint8_t v[8] = { 0 };
	pthread_mutex_lock(&b->lock);
	if (off < EDID_BLOCK && off + size <= EDID_BLOCK) {
		memcpy(v, b->edid + off, size);
	} else if (off >= BOCHS_DISPI_OFF && off < BOCHS_DISPI_OFF + 2 * DISPI_NUM_REGS) {
		/* 16-bit registers; a byte access reads half of one */
		unsigned idx = (unsigned)(off - BOCHS_DISPI_OFF) / 2;
		uint16_t r = dispi_read(&b->dispi, idx);
		uint32_t two = (uint32_t)r | (idx + 1 < DISPI_NUM_REGS ? (uint32_t)dispi_read(&b->dispi, idx + 1) << 16 : 0);
		le_put32(v, 0, (off & 1) ? two >> 8 : two);
	} else if (off == BOCHS_QEXT_OFF) {
		le_put32(v, 0, BOCHS_QEXT_SIZE);
	} else if (off == BOCHS_QEXT_OFF + 4) {
		le_put32(v, 0, b->endian);
	} else if (off >= EDID_BLOCK && off < BOCHS_DISPI_OFF) {
		/* rest of the EDID area (no extension blocks) and the VGA ports window: zeros */
	} else {
		memset(v, 0xff, sizeof(v));
	}
	pthread_mutex_unlock(&b->lock);
	memcpy(data, v, size);
}

static void mmio_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct bochs_display *b = o;
	uint8_t v[8] = { 0 };
	memcpy(v, data, size);
	pthread_mutex_lock(&b->lock);
	if (off >= BOCHS_DISPI_OFF && off < BOCHS_DISPI_OFF + 2 * DISPI_NUM_REGS && !(off & 1) && size >= 2) {
		unsigned idx = (unsigned)(off - BOCHS_DISPI_OFF) / 2;
		/* A mode set keeps the framebuffer, as QEMU's bochs-display does (it has no VGA memory to
		 * clear): Linux's bochs driver enables without NOCLEARMEM after the buffer it scans out
		 * was filled, and a clear would wipe it. */
		dispi_write(&b->dispi, idx, le_get16(v, 0));
		b->all_dirty = 1;
	} else if (off == BOCHS_QEXT_OFF + 4 && size == 4) {
		uint32_t e = le_get32(v, 0);
		if (e == QEXT_LITTLE || e == QEXT_BIG)
			b->endian = e;
	}
	pthread_mutex_unlock(&b->lock);
}

static const struct bus_ops mmio_ops = { mmio_read, mmio_write };

int bochs_display_create(struct bochs_display **out, const struct vm_hooks *hooks, void *hooks_opaque,
			 unsigned pref_w, unsigned pref_h)
{
	struct bochs_display *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fb = mmap(NULL, BOCHS_FB_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->fb == MAP_FAILED) {
		free(b);
		return -ENOMEM;
	}
	b->hooks = hooks;
	b->hooks_opaque = hooks_opaque;
	b->slot = -1;
	b->endian = QEXT_LITTLE;
	b->all_dirty = 1;
	pthread_mutex_init(&b->lock, NULL);
	dispi_init(&b->dispi, BOCHS_FB_SIZE);
	edid_build(b->edid, pref_w, pref_h, "kvmini");
	/* QEMU's ids, so drivers and firmware that know bochs-display bind to it */
	pci_dev_init(&b->pci, "bochs-display", 0x1234, 0x1111, 0x030000, 0x1af4, 0x1100);
	b->pci.cfg[0x08] = 2; /* revision */
	b->pci.opaque = b;
	int ret = pci_dev_set_bar(&b->pci, 0, BOCHS_FB_SIZE, 0, 0, &fb_ops, b);
	if (!ret)
		ret = pci_dev_set_bar(&b->pci, 2, BOCHS_MMIO_SIZE, 0, 0, &mmio_ops, b);
	if (ret) {
		bochs_display_destroy(b);
		return ret;
	}
	pci_dev_set_bar_on_map(&b->pci, 0, fb_on_map);
	*out = b;
	return 0;
}

void bochs_display_destroy(struct bochs_display *b)
{
	if (!b)
		return;
	if (b->slot >= 0 && b->hooks && b->hooks->map_ram)
		b->hooks->map_ram(b->hooks_opaque, b->slot, 0, 0, NULL, 0);
	munmap(b->fb, BOCHS_FB_SIZE);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

struct pci_dev *bochs_display_pci(struct bochs_display *b)
{
	return &b->pci;
}

void bochs_display_scanout(struct bochs_display *b, struct dispi_scanout *s)
{
	pthread_mutex_lock(&b->lock);
	dispi_scanout(&b->dispi, s);
	pthread_mutex_unlock(&b->lock);
}

const uint8_t *bochs_display_fb(const struct bochs_display *b)
{
	return b->fb;
}

int bochs_display_dirty(struct bochs_display *b, uint64_t *bitmap)
{
	pthread_mutex_lock(&b->lock);
	int unknown = 0;
	if (b->slot >= 0) {
		int e = b->slot_logged ? b->hooks->get_dirty(b->hooks_opaque, b->slot, bitmap) : -ENOENT;
		if (e < 0) {
			unknown = 1;
			if (!b->logged_fail++)
				kv_log("bochs-display: no dirty log for the framebuffer (%s): the display compares instead",
				       strerror(-e));
		}
	}
	for (unsigned i = 0; i < BOCHS_DIRTY_WORDS; i++) {
		bitmap[i] |= b->all_dirty ? ~0ULL : b->soft_dirty[i];
		b->soft_dirty[i] = 0;
	}
	b->all_dirty = 0;
	pthread_mutex_unlock(&b->lock);
	return unknown;
}

/* ---- saved state: PCI config, 11 DISPI registers (u16), endianness (u32), framebuffer length
 * (u32, whole pages) and its bytes ---- */

int bochs_display_state_save(const struct bochs_display *cb, struct state_writer *w)
{
	struct bochs_display *b = (struct bochs_display *)cb;
	pci_dev_state_save(&b->pci, w);
	pthread_mutex_lock(&b->lock);
	for (unsigned i = 0; i < DISPI_NUM_REGS; i++)
		state_put_u16(w, b->dispi.reg[i]);
	state_put_u32(w, b->endian);
	pthread_mutex_unlock(&b->lock);
	/* the vCPUs are stopped: the framebuffer holds still */
	uint32_t len = BOCHS_FB_SIZE;
	static const uint8_t zero[VM_PAGE_SIZE];
	while (len && !memcmp(b->fb + len - VM_PAGE_SIZE, zero, VM_PAGE_SIZE))
		len -= VM_PAGE_SIZE;
	state_put_u32(w, len);
	state_put_bytes(w, b->fb, len);
	return state_writer_err(w);
}

int bochs_display_state_load(struct bochs_display *b, struct state_reader *r, uint32_t version)
{
	struct state_reader check = *r;
	int e = pci_dev_state_load(&b->pci, &check, 0);
	if (e)
		return e;
	struct dispi d;
	dispi_init(&d, BOCHS_FB_SIZE);
	for (unsigned i = 0; i < DISPI_NUM_REGS; i++)
		d.reg[i] = state_get_u16(&check);
	uint32_t endian = state_get_u32(&check);
	uint32_t len = state_get_u32(&check);
	const void *fb = len <= BOCHS_FB_SIZE ? state_get_ptr(&check, len) : NULL;
	if ((e = state_reader_done(&check)))
		return e;
	if (!fb && len)
		return -EBADMSG;
	if (dispi_check(&d) || (endian != QEXT_LITTLE && endian != QEXT_BIG) || len % VM_PAGE_SIZE)
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	b->dispi = d;
	b->endian = endian;
	memcpy(b->fb, fb, len);
	if (len < BOCHS_FB_SIZE && madvise(b->fb + len, BOCHS_FB_SIZE - len, MADV_DONTNEED) < 0)
		memset(b->fb + len, 0, BOCHS_FB_SIZE - len);
	b->all_dirty = 1;
	pthread_mutex_unlock(&b->lock);
	/* config space last: mapping BAR0 takes the lock */
	size_t end = check.pos;
	e = pci_dev_state_load(&b->pci, r, 1);
	r->pos = end;
	return e;
}

static int save_op(const void *o, struct state_writer *w) { return bochs_display_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return bochs_display_state_load(o, r, v); }
const struct state_ops bochs_display_state_ops = { "bochs-display", 1, 1, save_op, load_op };
