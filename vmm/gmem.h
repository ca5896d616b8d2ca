/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest physical memory: the one bounds-checked way any device reaches guest RAM.
 * Pure bookkeeping over host mappings, so unit tests can build one over malloc'd buffers. */
#ifndef KVMINI_GMEM_H
#define KVMINI_GMEM_H
#include <stddef.h>
#include <stdint.h>

#define GMEM_MAX_REGIONS 4

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct gmem {
	struct gmem_region r[GMEM_MAX_REGIONS];
	int nr;
	uint64_t ram_size; /* total bytes of RAM (sum of regions) */
};

/* Adds a region; refuses overlap, wrap-around and more than GMEM_MAX_REGIONS (-EINVAL/-ENOSPC). */
int gmem_add(struct gmem *m, uint64_t gpa, uint64_t size, void *hva);
/* Host pointer for [gpa, gpa+len) only if it lies wholly in one region, else NULL. len 0 is NULL. */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);
/* Copies with the same check; -EFAULT if any byte is outside RAM. */
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
