/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Log-linear latency histograms (HdrHistogram's bucket scheme): values below 2^HIST_SUB_BITS are
 * exact, above it every power of two is split into 2^(HIST_SUB_BITS-1) equal buckets, so a bucket
 * is at most 1/32 of its value wide (~3 %). Plus count, sum, sum of squares, min and max, so mean
 * and stddev are exact and percentiles within a bucket. Values are unit-less (TSC cycles here);
 * adding one is a few instructions, no allocation. */
#ifndef KVMINI_HIST_H
#define KVMINI_HIST_H
#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS 6
#define HIST_MAX_BITS 40 /* values at or above 2^40 go to the last bucket (max stays exact) */
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 1) << (HIST_SUB_BITS - 1))

struct hist {
	uint64_t count;
	uint64_t sum;
	double sumsq;
	uint64_t min, max; /* min is meaningful only when count > 0 */
	uint64_t b[HIST_BUCKETS];
};

static inline unsigned hist_index(uint64_t v)
{
	const unsigned half = 1u << (HIST_SUB_BITS - 1);
	if (v < (1ull << HIST_SUB_BITS))
		return (unsigned)v;
	if (v >> HIST_MAX_BITS)
		return HIST_BUCKETS - 1;
	unsigned msb = 63u - (unsigned)__builtin_clzll(v);
	unsigned sh = msb - HIST_SUB_BITS + 1;
	return sh * half + (unsigned)(v >> sh);
}

/* One writer (the vCPU thread) adds; readers on other threads copy with hist_read. The stores are
 * relaxed atomics (plain moves on x86) so that a live read is a race only in value, not in C. */
#define HIST_SET(field, val) __atomic_store_n(&(field), (val), __ATOMIC_RELAXED)
static inline void hist_add(struct hist *h, uint64_t v)
{
	if (!h->count || v < h->min)
		HIST_SET(h->min, v);
	if (v > h->max)
		HIST_SET(h->max, v);
	HIST_SET(h->count, h->count + 1);
	HIST_SET(h->sum, h->sum + v);
	double sq = h->sumsq + (double)v * (double)v;
	__atomic_store(&h->sumsq, &sq, __ATOMIC_RELAXED);
	unsigned i = hist_index(v);
	HIST_SET(h->b[i], h->b[i] + 1);
}

/* The writer's clear, and a reader's copy, both field by field as relaxed atomics. */
void hist_clear(struct hist *h);
void hist_read(struct hist *out, const struct hist *h);

/* The lowest and highest value bucket i holds. */
void hist_bucket_range(unsigned i, uint64_t *lo, uint64_t *hi);
void hist_merge(struct hist *into, const struct hist *from);
double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);
/* The value at percentile p (0..100): the highest value of the bucket holding the ceil(p% * count)-th
 * smallest value, clamped to [min, max]; 0 for an empty histogram. */
uint64_t hist_percentile(const struct hist *h, double p);
/* HdrHistogram's percentile distribution text (.hgrm): Value, Percentile, TotalCount,
 * 1/(1-Percentile), 5 ticks per half distance, values multiplied by scale (e.g. cycles to us). */
int hist_write_hgrm(FILE *f, const struct hist *h, double scale);

#endif
