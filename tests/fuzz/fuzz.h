/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared scaffolding for the libFuzzer targets (tests/fuzz/fuzz_*.c): a cursor over the input,
 * fake guest RAM, and a virtio-mmio driver that brings a device up from an input-described layout.
 *
 * The virtio targets read a features mask (4 bytes), one ring header per queue (struct fz_ring,
 * 14 bytes: QueueNum, desc/avail/used guest addresses) and then an image of guest RAM copied to
 * guest address 0: descriptors, rings and buffers are all the fuzzer's. tests/fuzz/mkseeds.py
 * writes the seeds in the same format. Nothing here asserts: a target must only ever crash on a
 * real bug (ASan, UBSan, or abort() on a broken invariant). */
#ifndef KVMINI_FUZZ_H
#define KVMINI_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/uio.h>
#include <unistd.h>

#include "devices/disk/disk.h"
#include "virtio/virtio.h"
#include "vmm/bus.h"
#include "vmm/gmem.h"
#include "vmm/le.h"
#include "vmm/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	const uint8_t *p;
	size_t n;
};

/* The next `bytes` (<= 8) bytes as a little-endian number; zeros once the input runs out. */
static inline uint64_t fz_take(struct fz *f, unsigned bytes)
{
	uint8_t b[8] = { 0 };
	size_t k = bytes < f->n ? bytes : f->n;
	memcpy(b, f->p, k);
	f->p += k;
	f->n -= k;
	return le_get64(b, 0) & (bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1);
}

/* Up to len bytes of the input (fewer at its end); *got says how many. */
static inline const uint8_t *fz_bytes(struct fz *f, size_t len, size_t *got)
{
	const uint8_t *p = f->p;
	*got = len < f->n ? len : f->n;
	f->p += *got;
	f->n -= *got;
	return p;
}

static inline void fz_die(const char *what)
{
	fprintf(stderr, "fuzz harness: %s\n", what);
	abort();
}

/* A scratch image of `size` bytes in /tmp (unlinked at once: gone with the process), opened in
 * format f without fsyncs; tag names the target in the file name. */
static inline struct disk *fz_disk(const char *tag, enum disk_format f, uint64_t size, bool ro)
{
	static unsigned n;
	char path[96];
	struct disk *d = NULL;
	snprintf(path, sizeof(path), "/tmp/kvmini-fuzz-%s-%d-%u.img", tag, getpid(), n++);
	struct disk_create_opts co = { .format = f, .size = size };
	struct disk_opts o = { .format = f, .read_only = ro, .cache = DISK_CACHE_UNSAFE };
	if (disk_create(path, &co, NULL) || disk_open(&d, path, &o, NULL))
		fz_die("cannot make a disk image");
	unlink(path);
	return d;
}

/* Three iovecs over buf covering len bytes, split where the input says (a scattered buffer). */
static inline int fz_split(struct fz *f, uint8_t *buf, size_t len, struct iovec *iov)
{
	size_t a = (size_t)fz_take(f, 2) % (len + 1), b = (size_t)fz_take(f, 2) % (len - a + 1);
	iov[0] = (struct iovec){ buf, a };
	iov[1] = (struct iovec){ buf + a, b };
	iov[2] = (struct iovec){ buf + a + b, len - a - b };
	return 3;
}

/* save -> load -> save of obj through ops: the load must take the device's own payload and the
 * second save give the same bytes (else abort). Returns the first save's error (a busy device may
 * refuse: the caller decides whether that is a finding). */
static inline int fz_state_round_trip(const struct state_ops *ops, void *obj)
{
	struct state_writer w, w2;
	state_writer_init(&w);
	state_begin(&w, ops->id, 0, ops->version);
	int e = ops->save(obj, &w);
	state_end(&w);
	if (!e)
		e = state_writer_finish(&w);
	if (!e) {
		size_t n, n2;
		const uint8_t *b = state_writer_data(&w, &n);
		struct state_stream s;
		struct state_section sec;
		if (state_open(&s, b, n, NULL, 0) || state_next(&s, &sec) != 1)
			fz_die("state: own stream refused");
		if (ops->load(obj, &sec.r, ops->version))
			fz_die("state: own payload refused");
		state_writer_init(&w2);
		state_begin(&w2, ops->id, 0, ops->version);
		if (ops->save(obj, &w2))
			fz_die("state: save after load failed");
		state_end(&w2);
		state_writer_finish(&w2);
		const uint8_t *b2 = state_writer_data(&w2, &n2);
		if (n2 != n || memcmp(b, b2, n))
			fz_die("state: save/load/save changed the payload");
		state_writer_free(&w2);
	}
	state_writer_free(&w);
	return e;
}

/* Guest RAM at gpa 0, allocated once per process (size <= 64 KiB keeps random addresses in range
 * often enough); fz_ram_load zeroes it and copies the rest of the input in. */
struct fz_ram {
	struct gmem mem;
	uint8_t *buf;
	uint64_t size;
};

static inline struct fz_ram *fz_ram_get(uint64_t size)
{
	static struct fz_ram r;
	if (!r.buf) {
		r.buf = calloc(1, size);
		r.size = size;
		if (!r.buf || gmem_add(&r.mem, 0, size, r.buf))
			fz_die("cannot set up fake RAM");
	}
	return &r;
}

static inline void fz_ram_load(struct fz_ram *r, struct fz *f)
{
	size_t got;
	const uint8_t *p = fz_bytes(f, r->size, &got);
	memcpy(r->buf, p, got);
	memset(r->buf + got, 0, r->size - got);
}

/* One queue as the (hostile) driver programs it. */
struct fz_ring {
	uint16_t size;
	uint32_t desc, avail, used;
};

static inline void fz_ring_read(struct fz *f, struct fz_ring *r)
{
	r->size = (uint16_t)fz_take(f, 2);
	r->desc = (uint32_t)fz_take(f, 4);
	r->avail = (uint32_t)fz_take(f, 4);
	r->used = (uint32_t)fz_take(f, 4);
}

/* ---- a virtio-mmio driver (register offsets: virtio 1.2 §4.2.2) ---- */
#define FZ_MMIO_BASE 0xd0000000ULL
#define FZ_MMIO_GSI 5

static inline void fz_mw32(struct bus *b, uint64_t off, uint32_t v) { bus_access(b, FZ_MMIO_BASE + off, &v, 4, 1); }
static inline uint32_t fz_mr32(struct bus *b, uint64_t off)
{
	uint32_t v = 0;
	bus_access(b, FZ_MMIO_BASE + off, &v, 4, 0);
	return v;
}

/* Reset, ACK, DRIVER, the offered features masked by want_lo (plus VERSION_1), FEATURES_OK.
 * Returns the status read back. */
static inline uint32_t fz_mmio_negotiate(struct bus *b, uint32_t want_lo)
{
	fz_mw32(b, 0x70, 0);
	fz_mw32(b, 0x70, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	fz_mw32(b, 0x14, 0);
	uint32_t lo = fz_mr32(b, 0x10) & want_lo;
	fz_mw32(b, 0x14, 1);
	uint32_t hi = fz_mr32(b, 0x10) & 1; /* VERSION_1 (bit 32) only */
	fz_mw32(b, 0x24, 0);
	fz_mw32(b, 0x20, lo);
	fz_mw32(b, 0x24, 1);
	fz_mw32(b, 0x20, hi);
	fz_mw32(b, 0x70, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return fz_mr32(b, 0x70);
}

/* Plugs vd into virtio-mmio at FZ_MMIO_BASE over ram, without an I/O thread, and negotiates what
 * want_lo allows. 1 if the device took the features (FEATURES_OK), else 0. */
static inline int fz_mmio_plug(struct bus *b, struct virtio_dev *vd, struct fz_ram *ram, uint32_t want_lo)
{
	struct virtio_env env = { .mem = &ram->mem, .no_iothread = 1 };
	if (virtio_mmio_create(vd, b, FZ_MMIO_BASE, FZ_MMIO_GSI, &env))
		fz_die("virtio_mmio_create");
	return !!(fz_mmio_negotiate(b, want_lo) & VIRTIO_STATUS_FEATURES_OK);
}

static inline void fz_mmio_queue(struct bus *b, unsigned q, const struct fz_ring *r)
{
	fz_mw32(b, 0x30, q);
	fz_mw32(b, 0x38, r->size);
	fz_mw32(b, 0x80, r->desc);
	fz_mw32(b, 0x84, 0);
	fz_mw32(b, 0x90, r->avail);
	fz_mw32(b, 0x94, 0);
	fz_mw32(b, 0xa0, r->used);
	fz_mw32(b, 0xa4, 0);
	fz_mw32(b, 0x44, 1);
}

static inline void fz_mmio_driver_ok(struct bus *b)
{
	fz_mw32(b, 0x70, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
				 VIRTIO_STATUS_DRIVER_OK);
}

static inline void fz_mmio_kick(struct bus *b, unsigned q) { fz_mw32(b, 0x50, q); }

#endif
