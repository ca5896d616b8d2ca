// SPDX-License-Identifier: GPL-2.0-or-later
/* Log-linear histograms: the maths that reads them (percentiles, moments, .hgrm text). */
#include "hist.h"

#include <errno.h>
#include <math.h>

void hist_bucket_range(unsigned i, uint64_t *lo, uint64_t *hi)
{
	const unsigned half = 1u << (HIST_SUB_BITS - 1);
	if (i < 2 * half) {
		*lo = *hi = i;
		return;
	}
	unsigned sh = i / half - 1;
	uint64_t t = i - (uint64_t)sh * half;
	*lo = t << sh;
	*hi = *lo + (1ull << sh) - 1;
	if (i == HIST_BUCKETS - 1)
		*hi = UINT64_MAX; /* the overflow bucket */
}

void hist_clear(struct hist *h)
{
	double zero = 0;
	HIST_SET(h->count, 0);
	HIST_SET(h->sum, 0);
	HIST_SET(h->min, 0);
	HIST_SET(h->max, 0);
	__atomic_store(&h->sumsq, &zero, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (__atomic_load_n(&h->b[i], __ATOMIC_RELAXED))
			HIST_SET(h->b[i], 0);
}

void hist_read(struct hist *out, const struct hist *h)
{
	out->count = __atomic_load_n(&h->count, __ATOMIC_RELAXED);
	out->sum = __atomic_load_n(&h->sum, __ATOMIC_RELAXED);
	out->min = __atomic_load_n(&h->min, __ATOMIC_RELAXED);
	out->max = __atomic_load_n(&h->max, __ATOMIC_RELAXED);
	__atomic_load(&h->sumsq, &out->sumsq, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		out->b[i] = __atomic_load_n(&h->b[i], __ATOMIC_RELAXED);
}

void hist_merge(struct hist *into, const struct hist *from)
{
	if (!from->count)
		return;
	if (!into->count || from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	into->count += from->count;
	into->sum += from->sum;
	into->sumsq += from->sumsq;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->b[i] += from->b[i];
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0;
}

double hist_stddev(const struct hist *h)
{
	if (h->count < 2)
		return 0;
	double m = hist_mean(h);
	double var = h->sumsq / (double)h->count - m * m;
	return var > 0 ? sqrt(var) : 0;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	if (!h->count)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t lo, hi;
			hist_bucket_range(i, &lo, &hi);
			if (hi > h->max)
				hi = h->max;
			return hi < h->min ? h->min : hi;
		}
	}
	return h->max;
}

/* The count of values at or below v's bucket. */
static uint64_t count_upto(const struct hist *h, uint64_t v)
{
	unsigned last = hist_index(v);
	uint64_t n = 0;
	for (unsigned i = 0; i <= last; i++)
		n += h->b[i];
	return n;
}

int hist_write_hgrm(FILE *f, const struct hist *h, double scale)
{
	fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
	if (h->count) {
		/* 5 ticks per half distance: 0, 10, ..., 40, 50, 55, ..., 70, 75, 77.5, ... up to the max */
		for (unsigned half = 0; half < 30; half++) {
			double base = 1.0 - ldexp(1.0, -(int)half), step = ldexp(1.0, -(int)half - 1) / 5;
			int done = 0;
			for (unsigned t = 0; t < 5 && !done; t++) {
				double q = base + t * step;
				uint64_t v = hist_percentile(h, q * 100);
				fprintf(f, "%12.3f %2.12f %10llu %14.2f\n", (double)v * scale, q,
					(unsigned long long)count_upto(h, v), 1.0 / (1.0 - q));
				done = v >= h->max;
			}
			if (done)
				break;
		}
		fprintf(f, "%12.3f %2.12f %10llu\n", (double)h->max * scale, 1.0, (unsigned long long)h->count);
	}
	fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", hist_mean(h) * scale, hist_stddev(h) * scale);
	fprintf(f, "#[Max     = %12.3f, Total count    = %12llu]\n", (double)h->max * scale,
		(unsigned long long)h->count);
	fprintf(f, "#[Buckets = %12u, SubBuckets     = %12u]\n", HIST_MAX_BITS - HIST_SUB_BITS + 1,
		1u << HIST_SUB_BITS);
	return ferror(f) ? -EIO : 0;
}
