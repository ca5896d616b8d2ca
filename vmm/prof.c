// SPDX-License-Identifier: GPL-2.0-or-later
/* The exit profiler's state: creation, the TSC frequency, a vCPU's reset, live reads, the ring's
 * consumer side. The per-exit part is inline in prof.h. */
#include "prof.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

int prof_create(struct prof *p, unsigned nvcpus, uint64_t tsc_khz, unsigned ring_records)
{
	memset(p, 0, sizeof(*p));
	if (ring_records & (ring_records - 1))
		return -EINVAL;
	p->v = calloc(nvcpus, sizeof(*p->v));
	p->ks = calloc(nvcpus, sizeof(*p->ks));
	p->kbase = calloc(nvcpus, sizeof(*p->kbase));
	p->n = nvcpus;
	if (!p->v || !p->ks || !p->kbase) {
		prof_destroy(p);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nvcpus; i++)
		p->ks[i].fd = -1;
	pthread_mutex_init(&p->kbase_lock, NULL);
	p->tsc_khz = tsc_khz ? tsc_khz : 1000000;
	p->start_tsc = prof_now();
	for (unsigned i = 0; i < nvcpus && ring_records; i++) {
		struct prof_ring *r = &p->v[i].ring;
		/* preallocated and touched now, so no page fault lands on the vCPU's exit path */
		r->r = calloc(ring_records, sizeof(*r->r));
		if (!r->r) {
			prof_destroy(p);
			return -ENOMEM;
		}
		memset(r->r, 0, (size_t)ring_records * sizeof(*r->r));
		r->mask = ring_records - 1;
	}
	for (unsigned i = 0; i < nvcpus; i++)
		p->v[i].reset_tsc = p->start_tsc;
	return 0;
}

void prof_destroy(struct prof *p)
{
	for (unsigned i = 0; p->v && i < p->n; i++)
		free(p->v[i].ring.r);
	for (unsigned i = 0; p->ks && i < p->n; i++)
		kvmstats_close(&p->ks[i]);
	if (p->kbase)
		pthread_mutex_destroy(&p->kbase_lock);
	free(p->v);
	free(p->ks);
	free(p->kbase);
	p->v = NULL;
	p->ks = NULL;
	p->kbase = NULL;
	p->n = 0;
}

int prof_attach_kvm(struct prof *p, unsigned i, int vcpu_fd)
{
	char why[128];
	if (i >= p->n)
		return -EINVAL;
	return kvmstats_open_ioctl(&p->ks[i], vcpu_fd, why, sizeof(why));
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t prof_tsc_khz(int vcpu_fd)
{
	int khz = vcpu_fd >= 0 ? ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0) : -1;
	if (khz > 0)
		return (uint64_t)khz;
	/* 5 ms against CLOCK_MONOTONIC: well within 0.1 % */
	uint64_t n0 = mono_ns(), t0 = prof_now(), n1;
	do
		n1 = mono_ns();
	while (n1 - n0 < 5000000);
	return (prof_now() - t0) * 1000000 / (n1 - n0);
}

void prof_vcpu_clear(struct prof *p, struct prof_vcpu *pv)
{
	uint64_t gen = __atomic_load_n(&p->reset_gen, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < STATS_REASONS; i++)
		hist_clear(&pv->reason[i]);
	for (unsigned i = 0; i <= BUS_MAX_RANGES; i++) {
		hist_clear(&pv->pio[i]);
		hist_clear(&pv->mmio[i]);
	}
	__atomic_store_n(&pv->guest_cycles, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pv->handle_cycles, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&pv->reset_tsc, prof_now(), __ATOMIC_RELAXED);
	__atomic_store_n(&pv->reset_seen, gen, __ATOMIC_RELEASE);
}

void prof_reset(struct prof *p)
{
	pthread_mutex_lock(&p->kbase_lock);
	for (unsigned i = 0; i < p->n; i++)
		if (p->ks[i].fd < 0 || kvmstats_exit_counts(&p->ks[i], &p->kbase[i]))
			memset(&p->kbase[i], 0, sizeof(p->kbase[i]));
	pthread_mutex_unlock(&p->kbase_lock);
	__atomic_add_fetch(&p->reset_gen, 1, __ATOMIC_RELEASE);
}

static void read_hists(struct hist *out, const struct hist *in, unsigned n, int empty)
{
	for (unsigned i = 0; i < n; i++) {
		if (empty || !__atomic_load_n(&in[i].count, __ATOMIC_RELAXED)) {
			memset(&out[i], 0, sizeof(out[i]));
			continue;
		}
		hist_read(&out[i], &in[i]);
	}
}

void prof_vcpu_read(const struct prof *p, const struct prof_vcpu *pv, struct prof_vcpu *out)
{
	int empty = __atomic_load_n(&pv->reset_seen, __ATOMIC_ACQUIRE) !=
		    __atomic_load_n(&p->reset_gen, __ATOMIC_RELAXED);
	read_hists(out->reason, pv->reason, STATS_REASONS, empty);
	read_hists(out->pio, pv->pio, BUS_MAX_RANGES + 1, empty);
	read_hists(out->mmio, pv->mmio, BUS_MAX_RANGES + 1, empty);
	out->guest_cycles = empty ? 0 : __atomic_load_n(&pv->guest_cycles, __ATOMIC_RELAXED);
	out->handle_cycles = empty ? 0 : __atomic_load_n(&pv->handle_cycles, __ATOMIC_RELAXED);
	out->first_tsc = __atomic_load_n(&pv->first_tsc, __ATOMIC_RELAXED);
	out->reset_tsc = empty ? prof_now() : __atomic_load_n(&pv->reset_tsc, __ATOMIC_RELAXED);
	out->reset_seen = 0;
	out->ring = (struct prof_ring){ .dropped = __atomic_load_n(&pv->ring.dropped, __ATOMIC_RELAXED) };
}

unsigned prof_drain(struct prof_vcpu *pv, struct exit_rec *out, unsigned max)
{
	struct prof_ring *r = &pv->ring;
	if (!r->mask)
		return 0;
	uint64_t t = r->tail, h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	unsigned n = 0;
	for (; t != h && n < max; t++, n++)
		out[n] = r->r[t & r->mask];
	__atomic_store_n(&r->tail, t, __ATOMIC_RELEASE);
	return n;
}
