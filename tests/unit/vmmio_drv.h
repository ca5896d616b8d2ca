/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny virtio-mmio driver for unit tests: register accesses through a struct bus, the same
 * bring-up sequence Linux uses (reset, ACK, DRIVER, features, FEATURES_OK, queues, DRIVER_OK). */
#ifndef KVMINI_TEST_VMMIO_DRV_H
#define KVMINI_TEST_VMMIO_DRV_H
#include "unit.h"
#include "vring.h"
#include "virtio/virtio.h"
#include "vmm/bus.h"

static inline void mw32(struct bus *b, uint64_t addr, uint32_t v) { ck_assert_int_ge(bus_access(b, addr, &v, 4, 1), 0); }
static inline uint32_t mr32(struct bus *b, uint64_t addr)
{
	uint32_t v = 0;
	ck_assert_int_ge(bus_access(b, addr, &v, 4, 0), 0);
	return v;
}

/* Negotiates want (must include VERSION_1 to succeed); returns the status read back. */
static inline uint32_t mdrv_negotiate(struct bus *b, uint64_t base, uint64_t want)
{
	mw32(b, base + 0x70, 0);
	mw32(b, base + 0x70, VIRTIO_STATUS_ACKNOWLEDGE);
	mw32(b, base + 0x70, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mw32(b, base + 0x24, 0);
	mw32(b, base + 0x20, (uint32_t)want);
	mw32(b, base + 0x24, 1);
	mw32(b, base + 0x20, (uint32_t)(want >> 32));
	mw32(b, base + 0x70, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return mr32(b, base + 0x70);
}

static inline uint64_t mdrv_device_features(struct bus *b, uint64_t base)
{
	mw32(b, base + 0x14, 1);
	uint64_t hi = mr32(b, base + 0x10);
	mw32(b, base + 0x14, 0);
	return hi << 32 | mr32(b, base + 0x10);
}

static inline void mdrv_queue(struct bus *b, uint64_t base, unsigned q, const struct tring *r)
{
	mw32(b, base + 0x30, q);
	mw32(b, base + 0x38, r->size);
	mw32(b, base + 0x80, (uint32_t)r->desc);
	mw32(b, base + 0x84, (uint32_t)(r->desc >> 32));
	mw32(b, base + 0x90, (uint32_t)r->avail);
	mw32(b, base + 0x94, (uint32_t)(r->avail >> 32));
	mw32(b, base + 0xa0, (uint32_t)r->used);
	mw32(b, base + 0xa4, (uint32_t)(r->used >> 32));
	mw32(b, base + 0x44, 1);
}

static inline void mdrv_driver_ok(struct bus *b, uint64_t base)
{
	mw32(b, base + 0x70, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
				     VIRTIO_STATUS_DRIVER_OK);
}

static inline void mdrv_kick(struct bus *b, uint64_t base, unsigned q) { mw32(b, base + 0x50, q); }

#endif
