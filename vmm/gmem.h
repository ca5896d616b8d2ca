/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest physical memory: the one bounds-checked way any device reaches guest RAM.
 * Pure bookkeeping over host mappings, so unit tests can build one over malloc'd buffers.
 *
 * Dirty tracking for live migration: while a bitmap is set (gmem_log_start), every page that a
 * device may write through the VMM is marked in it: gmem_ptr marks what it hands out (the caller
 * may write there, now or after I/O completes), gmem_write marks after copying, gmem_mark marks
 * what a device wrote through a pointer it took earlier. Bit i is page i in the order of the
 * regions as added (low RAM, then RAM above 4 GiB: the host mapping's order). Marks only ever
 * accumulate; the migration sends the marked pages once the devices are drained. gmem_ptr_ro is
 * for what a device only reads (descriptor tables, driver-to-device buffers). */
#ifndef KVMINI_GMEM_H
#define KVMINI_GMEM_H
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	uint64_t page0; /* index of its first page in the dirty bitmap */
};

struct gmem {
	struct gmem_region r[GMEM_MAX_REGIONS];
	int nr;
	uint64_t ram_size; /* total bytes of RAM (sum of regions) */
	uint64_t *dirty; /* ram_size / GMEM_PAGE bits, or NULL: not logging (__atomic) */
};

#define GMEM_PAGE 4096u

/* Adds a region; refuses overlap, wrap-around and more than GMEM_MAX_REGIONS (-EINVAL/-ENOSPC). */
int gmem_add(struct gmem *m, uint64_t gpa, uint64_t size, void *hva);
/* Host pointer for [gpa, gpa+len) only if it lies wholly in one region, else NULL. len 0 is NULL. */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);
/* Copies with the same check; -EFAULT if any byte is outside RAM. */
/* The same without marking the range dirty: for memory the caller only reads. */
const void *gmem_ptr_ro(const struct gmem *m, uint64_t gpa, uint64_t len);
/* Marks [gpa, gpa+len) dirty if a bitmap is set; ranges outside RAM are ignored. */
void gmem_mark(const struct gmem *m, uint64_t gpa, uint64_t len);
/* Sets (bitmap zeroed by the caller, ram_size / GMEM_PAGE bits) or clears (NULL) the bitmap. */
void gmem_log_set(struct gmem *m, uint64_t *bitmap);
int gmem_read(const struct gmem *m, uint64_t gpa, void *buf, uint64_t len);
int gmem_write(const struct gmem *m, uint64_t gpa, const void *buf, uint64_t len);
/* Little-endian scalar helpers built on gmem_ptr; return -EFAULT when out of range. */
int gmem_read16(const struct gmem *m, uint64_t gpa, uint16_t *v);
int gmem_read32(const struct gmem *m, uint64_t gpa, uint32_t *v);
int gmem_read64(const struct gmem *m, uint64_t gpa, uint64_t *v);
int gmem_write16(const struct gmem *m, uint64_t gpa, uint16_t v);
int gmem_write32(const struct gmem *m, uint64_t gpa, uint32_t v);
int gmem_write64(const struct gmem *m, uint64_t gpa, uint64_t v);

#endif
