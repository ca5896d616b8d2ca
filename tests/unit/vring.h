/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The driver side of a split virtqueue for unit tests: lays rings out in fake guest RAM and
 * writes descriptors / avail entries the way a (possibly hostile) driver would. */
#ifndef KVMINI_TEST_VRING_H
#define KVMINI_TEST_VRING_H
#include "unit.h"

struct tring {
	struct fake_ram *ram;
	uint64_t desc, avail, used;
	uint16_t size;
	uint16_t avail_idx;
};

static inline void tw16(struct fake_ram *ram, uint64_t gpa, uint16_t v) { ck_assert_int_eq(gmem_write16(&ram->mem, gpa, v), 0); }
static inline void tw32(struct fake_ram *ram, uint64_t gpa, uint32_t v) { ck_assert_int_eq(gmem_write32(&ram->mem, gpa, v), 0); }
static inline void tw64(struct fake_ram *ram, uint64_t gpa, uint64_t v) { ck_assert_int_eq(gmem_write64(&ram->mem, gpa, v), 0); }
static inline uint16_t tr16(struct fake_ram *ram, uint64_t gpa)
{
	uint16_t v = 0;
	ck_assert_int_eq(gmem_read16(&ram->mem, gpa, &v), 0);
	return v;
}
static inline uint32_t tr32(struct fake_ram *ram, uint64_t gpa)
{
	uint32_t v = 0;
	ck_assert_int_eq(gmem_read32(&ram->mem, gpa, &v), 0);
	return v;
}

/* The ring indexes and flags the device reads or writes while it runs on its I/O thread are
 * accessed atomically, as a real driver does (release when publishing, acquire when reading), which
 * also orders the descriptors and buffers around them. */
static inline uint16_t *tptr16(struct fake_ram *ram, uint64_t gpa)
{
	void *p = gmem_ptr(&ram->mem, gpa, 2);
	ck_assert_ptr_nonnull(p);
	return p;
}
static inline void tpub16(struct fake_ram *ram, uint64_t gpa, uint16_t v) { __atomic_store_n(tptr16(ram, gpa), v, __ATOMIC_RELEASE); }
static inline uint16_t tacq16(struct fake_ram *ram, uint64_t gpa) { return __atomic_load_n(tptr16(ram, gpa), __ATOMIC_ACQUIRE); }

/* desc table at base, avail right after it, used at the next 4 KiB boundary */
static inline void tring_init(struct tring *r, struct fake_ram *ram, uint64_t base, uint16_t size)
{
	r->ram = ram;
	r->size = size;
	r->desc = base;
	r->avail = base + 16ULL * size;
	r->used = (r->avail + 6 + 2ULL * size + 4095) & ~4095ULL;
	r->avail_idx = 0;
}

/* a descriptor in any table (the ring's or an indirect one at table) */
static inline void tdesc_at(struct fake_ram *ram, uint64_t table, unsigned i, uint64_t addr, uint32_t len,
			    uint16_t flags, uint16_t next)
{
	uint64_t d = table + 16ULL * i;
	tw64(ram, d, addr);
	tw32(ram, d + 8, len);
	tw16(ram, d + 12, flags);
	tw16(ram, d + 14, next);
}

static inline void tdesc(struct tring *r, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	tdesc_at(r->ram, r->desc, i, addr, len, flags, next);
}

/* makes chain head available and publishes the new avail idx */
/* A ring entry the device cannot see yet: tavail_publish() shows all staged ones at once. */
static inline void tavail_stage(struct tring *r, uint16_t head)
{
	tw16(r->ram, r->avail + 4 + 2ULL * (r->avail_idx % r->size), head);
	r->avail_idx++;
}
static inline void tavail_publish(struct tring *r) { tpub16(r->ram, r->avail + 2, r->avail_idx); }
static inline void tavail(struct tring *r, uint16_t head)
{
	tavail_stage(r, head);
	tavail_publish(r);
}

static inline uint16_t tused_idx(struct tring *r) { return tacq16(r->ram, r->used + 2); }
static inline uint32_t tused_id(struct tring *r, uint16_t i) { return tr32(r->ram, r->used + 4 + 8ULL * (i % r->size)); }
static inline uint32_t tused_len(struct tring *r, uint16_t i) { return tr32(r->ram, r->used + 8 + 8ULL * (i % r->size)); }
static inline void tset_used_event(struct tring *r, uint16_t v) { tpub16(r->ram, r->avail + 4 + 2ULL * r->size, v); }
static inline uint16_t tavail_event(struct tring *r) { return tacq16(r->ram, r->used + 4 + 8ULL * r->size); }
static inline void tset_avail_flags(struct tring *r, uint16_t v) { tpub16(r->ram, r->avail, v); }
static inline uint16_t tused_flags(struct tring *r) { return tacq16(r->ram, r->used); }

#endif
