/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Little-endian field access in byte buffers (firmware tables, PCI config space, CMOS, virtio
 * headers and config): offsets from the specs are spelled out instead of packed structs, so nothing
 * depends on struct layout or alignment. The one set of such helpers in the tree (big-endian too). */
#ifndef KVMINI_LE_H
#define KVMINI_LE_H
#include <stddef.h>
#include <stdint.h>

static inline void le_put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static inline void le_put32(uint8_t *p, size_t off, uint32_t v)
{
	le_put16(p, off, (uint16_t)v);
	le_put16(p, off + 2, (uint16_t)(v >> 16));
}

static inline void le_put64(uint8_t *p, size_t off, uint64_t v)
{
	le_put32(p, off, (uint32_t)v);
	le_put32(p, off + 4, (uint32_t)(v >> 32));
}

static inline uint16_t le_get16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | (p[off + 1] << 8));
}

static inline uint32_t le_get32(const uint8_t *p, size_t off)
{
	return le_get16(p, off) | ((uint32_t)le_get16(p, off + 2) << 16);
}

static inline uint64_t le_get64(const uint8_t *p, size_t off)
{
	return le_get32(p, off) | ((uint64_t)le_get32(p, off + 4) << 32);
}

/* big-endian, for the few interfaces that use it (fw_cfg's directory and DMA block) */
static inline void be_put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
}

static inline void be_put32(uint8_t *p, size_t off, uint32_t v)
{
	be_put16(p, off, (uint16_t)(v >> 16));
	be_put16(p, off + 2, (uint16_t)v);
}

static inline void be_put64(uint8_t *p, size_t off, uint64_t v)
{
	be_put32(p, off, (uint32_t)(v >> 32));
	be_put32(p, off + 4, (uint32_t)v);
}

static inline uint32_t be_get32(const uint8_t *p, size_t off)
{
	return (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 | (uint32_t)p[off + 2] << 8 | p[off + 3];
}

static inline uint64_t be_get64(const uint8_t *p, size_t off)
{
	return (uint64_t)be_get32(p, off) << 32 | be_get32(p, off + 4);
}

#endif
