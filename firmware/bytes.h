/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Little-endian field access and checksums for the firmware tables we build in byte buffers:
 * offsets from the specs are spelled out instead of packed structs, so nothing depends on layout. */
#ifndef KVMINI_FW_BYTES_H
#define KVMINI_FW_BYTES_H
#include <stddef.h>
#include <stdint.h>

static inline void fw_put8(uint8_t *p, size_t off, uint8_t v)
{
	p[off] = v;
}

static inline void fw_put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static inline void fw_put32(uint8_t *p, size_t off, uint32_t v)
{
	fw_put16(p, off, (uint16_t)v);
	fw_put16(p, off + 2, (uint16_t)(v >> 16));
}

static inline void fw_put64(uint8_t *p, size_t off, uint64_t v)
{
	fw_put32(p, off, (uint32_t)v);
	fw_put32(p, off + 4, (uint32_t)(v >> 32));
}

static inline uint16_t fw_get16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | (p[off + 1] << 8));
}

static inline uint32_t fw_get32(const uint8_t *p, size_t off)
{
	return fw_get16(p, off) | ((uint32_t)fw_get16(p, off + 2) << 16);
}

static inline uint64_t fw_get64(const uint8_t *p, size_t off)
{
	return fw_get32(p, off) | ((uint64_t)fw_get32(p, off + 4) << 32);
}

/* The byte that makes the sum of p[0..n) zero when stored in a field that currently holds 0. */
static inline uint8_t fw_csum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return (uint8_t)(0x100 - s);
}

#endif
