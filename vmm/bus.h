/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Address-range registry for one bus (port I/O or MMIO): devices register {base, len, ops, opaque};
 * an exit is one binary search away from its handler. */
#ifndef KVMINI_BUS_H
#define KVMINI_BUS_H
#include <pthread.h>
#include <stdint.h>

#define BUS_MAX_RANGES 128

/* offset is relative to the range base; size is 1, 2, 4 or 8 bytes; data is little-endian */
struct bus_ops {
	void (*read)(void *opaque, uint64_t offset, void *data, unsigned size);
	void (*write)(void *opaque, uint64_t offset, const void *data, unsigned size);
};

/* Optional, per range (bus_set_rep): count elements of size bytes at one offset (rep ins/outs,
 * one KVM exit); returns how many it moved, the rest go one by one through read/write. */
typedef unsigned (*bus_rep_fn)(void *opaque, uint64_t offset, void *data, unsigned size, unsigned count,
			       int is_write);

struct bus_range {
	uint64_t base, len;
	const struct bus_ops *ops;
	void *opaque;
	int id; /* stable slot in bus->names, for per-vCPU statistics */
	bus_rep_fn rep;
};

struct bus {
	const char *name; /* "pio" or "mmio" */
	pthread_rwlock_t lock; /* writers: (un)registration, e.g. a guest moving a PCI BAR */
	struct bus_range r[BUS_MAX_RANGES]; /* sorted by base, non-overlapping */
	int nr;
	const char *names[BUS_MAX_RANGES]; /* by id; NULL when free */
	uint64_t bases[BUS_MAX_RANGES]; /* by id, for reports */
};

void bus_init(struct bus *b, const char *name);
void bus_destroy(struct bus *b);
/* -EINVAL for empty or wrapping ranges, -EEXIST on overlap, -ENOSPC when full. Returns the id (>= 0). */
int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_ops *ops, void *opaque,
		 const char *name);
/* Removes the range that starts at base and belongs to opaque; -ENOENT if none. */
int bus_unregister(struct bus *b, uint64_t base, void *opaque);
/* Dispatches one access. Returns the range id, or -ENOENT when unclaimed (reads then fill all-ones).
 * An access straddling a range's end is treated as unclaimed. */
int bus_access(struct bus *b, uint64_t addr, void *data, unsigned size, int is_write);
/* Gives the range at base owned by opaque a string I/O handler; -ENOENT if no such range. */
int bus_set_rep(struct bus *b, uint64_t base, void *opaque, bus_rep_fn rep);
/* count accesses of size bytes at addr, data holding them one after another (a string I/O exit):
 * one call to the range's rep handler when it has one. Returns as bus_access. */
int bus_access_rep(struct bus *b, uint64_t addr, void *data, unsigned size, unsigned count, int is_write);

#endif
