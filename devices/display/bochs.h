/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bochs-display: QEMU's PCI display without VGA (1234:1111, class 03.00). BAR0 is a 16 MiB linear
 * framebuffer, BAR2 4 KiB of MMIO: the EDID block at 0, the DISPI registers at 0x500 (index * 2)
 * and QEMU's extended registers at 0x600 (size, endianness) that Linux's bochs DRM driver reads.
 * The framebuffer is host memory the VM maps as a memory slot with a dirty log when the guest
 * enables the BAR (vm_hooks.map_ram); without the hook (unit tests) BAR0 accesses go through the
 * bus handlers, which keep a dirty log of their own. */
#ifndef KVMINI_BOCHS_H
#define KVMINI_BOCHS_H
#include <stdint.h>

#include "devices/display/dispi.h"
#include "vmm/irq.h"

#define BOCHS_FB_SIZE (16u << 20)
#define BOCHS_FB_PAGES (BOCHS_FB_SIZE / VM_PAGE_SIZE)
#define BOCHS_DIRTY_WORDS (BOCHS_FB_PAGES / 64)
#define BOCHS_MMIO_SIZE 4096u
#define BOCHS_EDID_OFF 0x000
#define BOCHS_DISPI_OFF 0x500
#define BOCHS_QEXT_OFF 0x600
#define BOCHS_QEXT_SIZE 8u

struct pci_dev;
struct bochs_display;

/* hooks may be NULL (unit tests). The preferred mode of the EDID is pref_w x pref_h (0: 1024x768). */
int bochs_display_create(struct bochs_display **out, const struct vm_hooks *hooks, void *hooks_opaque,
			 unsigned pref_w, unsigned pref_h);
/* Unplug from the PCI host first (pci_host_destroy unmaps the BARs). */
void bochs_display_destroy(struct bochs_display *b);
struct pci_dev *bochs_display_pci(struct bochs_display *b);

/* The scanout as the registers describe it now (any thread). */
void bochs_display_scanout(struct bochs_display *b, struct dispi_scanout *s);
/* The framebuffer (BOCHS_FB_SIZE bytes, written by the guest at any time). */
const uint8_t *bochs_display_fb(const struct bochs_display *b);
/* ORs the framebuffer pages written since the last call into bitmap (BOCHS_DIRTY_WORDS words).
 * Returns 0, or 1 when the pages cannot be known (no dirty log: the caller compares itself). */
int bochs_display_dirty(struct bochs_display *b, uint64_t *bitmap);

/* Saved state: PCI config, DISPI registers, the framebuffer up to its last non-zero page. */
struct state_writer;
struct state_reader;
int bochs_display_state_save(const struct bochs_display *b, struct state_writer *w);
int bochs_display_state_load(struct bochs_display *b, struct state_reader *r, uint32_t version);
extern const struct state_ops bochs_display_state_ops; /* id "bochs-display" */

#endif
