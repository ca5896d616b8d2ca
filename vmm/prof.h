/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exit profiler (--stats, --trace): per vCPU, aggregates per exit reason and per port/MMIO range
 * (log-linear histograms of the VMM's handling time, time in the guest before each exit) and, for
 * --trace, a preallocated single-producer ring of exit records that a writer thread drains to the
 * trace file. Everything on the hot path is the vCPU thread's own memory: no lock, no allocation.
 * Time is the host TSC (constant and nonstop where KVM runs); tsc_khz converts it. */
#ifndef KVMINI_PROF_H
#define KVMINI_PROF_H
#include <pthread.h>
#include <stdint.h>
#include <x86intrin.h>

#include "bus.h"
#include "hist.h"
#include "kvmstats.h"
#include "stats.h"

/* A guest write to this port is a phase marker: its value appears in the trace (the access itself
 * stays unclaimed, so the guest sees the same machine with and without the profiler). */
#define PROF_MARK_PORT 0x5fe
#define PROF_DEV_NONE 0xff

enum { PROF_F_WRITE = 1, PROF_F_MARK = 2 };

/* One exit: 32 bytes, little-endian, also the trace file's record (docs in vmm/trace.h). */
struct exit_rec {
	uint64_t tsc; /* when KVM_RUN returned */
	uint64_t addr; /* port or guest-physical address; a marker's value */
	uint32_t guest; /* cycles in KVM_RUN before this exit, saturated at 2^32-1 */
	uint32_t handle; /* cycles the VMM took to handle it, saturated */
	uint8_t reason; /* KVM_EXIT_* */
	uint8_t size; /* access size in bytes (PIO, MMIO) */
	uint8_t flags; /* PROF_F_* */
	uint8_t dev; /* the bus range id, PROF_DEV_NONE */
	uint32_t count; /* string PIO: elements */
};
_Static_assert(sizeof(struct exit_rec) == 32, "trace record layout");

struct prof_ring {
	struct exit_rec *r;
	uint32_t mask; /* capacity - 1; 0: no ring */
	uint64_t head, tail; /* head: the vCPU's (release); tail: the writer's (release) */
	uint64_t dropped; /* records lost because the ring was full (vCPU writes, others read) */
};

struct prof_vcpu {
	struct hist reason[STATS_REASONS];
	struct hist pio[BUS_MAX_RANGES + 1]; /* by range id; STATS_UNCLAIMED last */
	struct hist mmio[BUS_MAX_RANGES + 1];
	uint64_t guest_cycles; /* inside KVM_RUN */
	uint64_t handle_cycles; /* in exit handlers */
	uint64_t first_tsc; /* the first KVM_RUN (0 before) */
	uint64_t reset_seen; /* the reset generation these counters start at */
	uint64_t reset_tsc; /* when they were last cleared */
	struct prof_ring ring;
};

struct prof {
	unsigned n;
	struct prof_vcpu *v;
	uint64_t tsc_khz;
	uint64_t start_tsc;
	uint64_t reset_gen; /* bumped by prof_reset; each vCPU clears its own counters at its next exit */
	struct kvmstats *ks; /* per vCPU: KVM's binary stats (fd -1: none) */
	struct kvm_exit_counts *kbase; /* per vCPU: KVM's counters at the last reset */
	pthread_mutex_t kbase_lock; /* a reset (QMP) against a report (the interval thread) */
};

/* ring_records: per-vCPU ring capacity (a power of two; 0 without --trace). */
int prof_create(struct prof *p, unsigned nvcpus, uint64_t tsc_khz, unsigned ring_records);
void prof_destroy(struct prof *p);
/* Opens vCPU i's KVM statistics (after KVM_CREATE_VCPU); without them the reports say so. */
int prof_attach_kvm(struct prof *p, unsigned i, int vcpu_fd);
/* The host TSC frequency: KVM's (KVM_GET_TSC_KHZ on a vCPU fd), else measured against the clock. */
uint64_t prof_tsc_khz(int vcpu_fd);

static inline uint64_t prof_now(void)
{
	return __rdtsc();
}

/* Everything one exit adds: the vCPU thread calls it after handling. */
struct prof_exit {
	uint64_t t_enter, t_exit, t_done;
	unsigned reason;
	int bus; /* 0 none, 1 pio, 2 mmio */
	int dev; /* range id or STATS_UNCLAIMED */
	uint64_t addr;
	unsigned size, count;
	int write;
	uint64_t mark; /* the value written to PROF_MARK_PORT */
};
void prof_vcpu_clear(struct prof *p, struct prof_vcpu *pv);

static inline uint32_t prof_sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static inline void prof_push(struct prof_ring *ring, const struct exit_rec *rec)
{
	uint64_t h = ring->head, t = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	if (h - t > ring->mask) {
		__atomic_store_n(&ring->dropped, ring->dropped + 1, __ATOMIC_RELAXED);
		return;
	}
	ring->r[h & ring->mask] = *rec;
	__atomic_store_n(&ring->head, h + 1, __ATOMIC_RELEASE);
}

static inline void prof_exit(struct prof *p, struct prof_vcpu *pv, const struct prof_exit *e)
{
	if (__builtin_expect(__atomic_load_n(&p->reset_gen, __ATOMIC_RELAXED) != pv->reset_seen, 0))
		prof_vcpu_clear(p, pv);
	uint64_t guest = e->t_exit - e->t_enter, handle = e->t_done - e->t_exit;
	HIST_SET(pv->guest_cycles, pv->guest_cycles + guest);
	HIST_SET(pv->handle_cycles, pv->handle_cycles + handle);
	if (e->reason < STATS_REASONS)
		hist_add(&pv->reason[e->reason], handle);
	if (e->bus)
		hist_add(e->bus == 1 ? &pv->pio[e->dev] : &pv->mmio[e->dev], handle);
	if (!pv->ring.mask)
		return;
	int mark = e->bus == 1 && e->write && e->addr == PROF_MARK_PORT;
	struct exit_rec rec = {
		.tsc = e->t_exit,
		.addr = mark ? e->mark : e->addr,
		.guest = prof_sat32(guest),
		.handle = prof_sat32(handle),
		.reason = (uint8_t)e->reason,
		.size = (uint8_t)e->size,
		.flags = (uint8_t)((e->write ? PROF_F_WRITE : 0) | (mark ? PROF_F_MARK : 0)),
		.dev = e->bus ? (uint8_t)(e->dev == STATS_UNCLAIMED ? PROF_DEV_NONE : e->dev) : PROF_DEV_NONE,
		.count = e->count,
	};
	prof_push(&pv->ring, &rec);
}

/* Copies what another thread may read while the vCPU runs: relaxed loads (values may be a few
 * exits apart from each other; each one is whole). A vCPU that has not seen the latest reset yet
 * reads as empty: it has had no exit since. */
void prof_vcpu_read(const struct prof *p, const struct prof_vcpu *pv, struct prof_vcpu *out);
/* Asks every vCPU to start its counters afresh (QMP, `kvmini stats --reset`); KVM's counters are
 * read now as the new base. One thread (the main loop) resets. */
void prof_reset(struct prof *p);
/* Takes up to max records from vCPU v's ring (the writer thread); returns how many. */
unsigned prof_drain(struct prof_vcpu *pv, struct exit_rec *out, unsigned max);

#endif
