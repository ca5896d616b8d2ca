/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest-virtual addresses: walks the guest's page tables (no paging, 32-bit, PAE, 4- and 5-level
 * long mode) through the checked guest-memory accessor, for the debugger's memory reads and
 * writes. Tables or pages outside RAM fail with -EFAULT, never a host access. */
#ifndef KVMINI_GUEST_VADDR_H
#define KVMINI_GUEST_VADDR_H
#include <stddef.h>
#include <stdint.h>

#include "gmem.h"

/* the paging controls of one vCPU */
struct gva_mode {
	uint64_t cr0, cr3, cr4, efer;
};

/* va -> guest-physical; *span gets the bytes from va to the end of its page. -EFAULT when not
 * mapped (not present, non-canonical) or a table lies outside RAM. */
int gva_translate(const struct gmem *m, const struct gva_mode *md, uint64_t va, uint64_t *pa, uint64_t *span);
/* Reads len bytes at va, page by page; returns the bytes read (< len when a later page is not
 * mapped) or -EFAULT when the first is not. */
long gva_read(const struct gmem *m, const struct gva_mode *md, uint64_t va, void *buf, size_t len);
/* Writes all len bytes or none (every page is translated first); 0 or -EFAULT. */
int gva_write(const struct gmem *m, const struct gva_mode *md, uint64_t va, const void *buf, size_t len);

#endif
