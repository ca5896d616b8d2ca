// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 metadata caches (L2 tables, refcount blocks), write-back ordering, and L2 table lookup
 * with allocation / copy-on-write of shared tables. */
#include "qcow2_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void qc_cache_free(struct qc_cache *c)
{
	for (int i = 0; i < c->n; i++)
		free(c->e[i].buf);
	memset(c, 0, sizeof(*c));
}

int qc_cache_write(struct qcow2 *q, struct qc_cent *e)
{
	int r = dfile_pwrite(&q->f, e->buf, q->cs, e->off);
	if (r == 0)
		e->dirty = false;
	return r;
}

int qc_cache_writeback(struct qcow2 *q, struct qc_cache *c, bool *wrote)
{
	for (int i = 0; i < c->n; i++) {
		if (!c->e[i].dirty)
			continue;
		int r = qc_cache_write(q, &c->e[i]);
		if (r < 0)
			return r;
		if (wrote)
			*wrote = true;
	}
	return 0;
}

void qc_cache_drop(struct qc_cache *c, uint64_t off)
{
	for (int i = 0; i < c->n; i++)
		if (c->e[i].off == off) {
			c->e[i].off = 0;
			c->e[i].dirty = false;
		}
}

/* Writes every dirty table in dependency order: refcount blocks, sync, L2 tables; then the frees
 * that waited for those L2 tables, which need one more sync first. */
int qc_meta_flush(struct qcow2 *q)
{
	bool w = false;
	int r = qc_cache_writeback(q, &q->rbc, &w);
	if (!r && w)
		r = dfile_sync(&q->f);
	if (!r)
		r = qc_cache_writeback(q, &q->l2c, NULL);
	if (!r && q->npending) {
		r = dfile_sync(&q->f);
		if (!r)
			r = qc_apply_pending(q);
		if (!r)
			r = qc_cache_writeback(q, &q->rbc, NULL);
	}
	return r;
}

int qc_cache_get(struct qcow2 *q, struct qc_cache *c, uint64_t off, bool fill, struct qc_cent **out)
{
	int cap = c == &q->rbc ? QC_CACHE_RB : QC_CACHE_L2;
	struct qc_cent *e = NULL;
	for (int i = 0; i < c->n; i++)
		if (c->e[i].off == off) {
			c->e[i].lru = ++c->tick;
			*out = &c->e[i];
			return 0;
		}
	if (c->n < cap) {
		e = &c->e[c->n];
		e->buf = dfile_alloc(q->cs);
		if (!e->buf)
			return -ENOMEM;
		c->n++;
	} else {
		e = &c->e[0];
		for (int i = 1; i < c->n; i++)
			if (c->e[i].off == 0 || (e->off && c->e[i].lru < e->lru))
				e = &c->e[i];
		if (e->dirty) {
			/* an L2 table may point at clusters whose refcounts are still only cached */
			int r = c == &q->l2c ? qc_meta_flush(q) : qc_cache_write(q, e);
			if (r < 0)
				return r;
		}
	}
	e->off = 0;
	e->dirty = false;
	if (fill) {
		int r = dfile_pread(&q->f, e->buf, q->cs, off);
		if (r < 0)
			return r;
	} else {
		memset(e->buf, 0, q->cs);
	}
	e->off = off;
	e->lru = ++c->tick;
	*out = e;
	return 0;
}

/* A metadata pointer that can't be right: unaligned, into the header cluster, or past 2^56. */
bool qc_bad_host(const struct qcow2 *q, uint64_t off)
{
	return off < q->cs || (off & (q->cs - 1)) || off >= (1ull << 56);
}

int qc_write_table(struct qcow2 *q, uint64_t off, const uint64_t *t, uint64_t n)
{
	size_t len = (size_t)((n * 8 + q->cs - 1) & ~(q->cs - 1));
	uint8_t *b = dfile_alloc(len ? len : q->cs);
	if (!b)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		qc_set_be64(b, i, t[i]);
	int r = dfile_pwrite(&q->f, b, len, off);
	free(b);
	return r;
}

int qc_read_table(struct qcow2 *q, uint64_t off, uint64_t *t, uint64_t n)
{
	size_t len = (size_t)n * 8;
	uint8_t *b = dfile_alloc(len);
	if (!b)
		return -ENOMEM;
	int r = dfile_pread(&q->f, b, len, off);
	for (uint64_t i = 0; !r && i < n; i++)
		t[i] = qc_be64(b, i);
	free(b);
	return r;
}

/* The 512-byte piece of the on-disk L1 table holding entry l1i, from the in-memory copy (which
 * is sized to whole clusters, so the piece never runs past it). */
int qc_write_l1_entry(struct qcow2 *q, uint64_t l1i)
{
	uint64_t first = l1i & ~63ull;
	uint8_t b[512];
	for (unsigned i = 0; i < 64; i++)
		qc_set_be64(b, i, q->l1[first + i]);
	return dfile_pwrite(&q->f, b, sizeof(b), q->l1_off + first * 8);
}

/* The L2 table for L1 slot l1i. With alloc, a missing table is created and a shared one (after a
 * snapshot) copied, so the result may be written; otherwise *out is NULL when there is none. */
int qc_l2_get(struct qcow2 *q, uint64_t l1i, bool alloc, struct qc_cent **out)
{
	uint64_t l1e = q->l1[l1i];
	uint64_t old = l1e & QC_OFFSET_MASK;
	int r;
	*out = NULL;
	if (old && qc_bad_host(q, old))
		return -EIO;
	if (old && (!alloc || (l1e & QC_OFLAG_COPIED)))
		return qc_cache_get(q, &q->l2c, old, true, out);
	if (!old && !alloc)
		return 0;
	if (old) {
		uint64_t rc;
		r = qc_get_refcount(q, old / q->cs, &rc);
		if (r < 0)
			return r;
		if (rc == 1) { /* not shared after all: just mark it writable */
			q->l1[l1i] = old | QC_OFLAG_COPIED;
			r = qc_write_l1_entry(q, l1i);
			return r < 0 ? r : qc_cache_get(q, &q->l2c, old, true, out);
		}
	}
	uint64_t noff;
	r = qc_alloc_clusters(q, 1, &noff);
	if (r < 0)
		return r;
	uint8_t *copy = NULL;
	if (old) {
		struct qc_cent *oe;
		copy = malloc(q->cs);
		r = copy ? qc_cache_get(q, &q->l2c, old, true, &oe) : -ENOMEM;
		if (r < 0) {
			free(copy);
			return r;
		}
		memcpy(copy, oe->buf, q->cs);
	}
	struct qc_cent *ne;
	r = qc_cache_get(q, &q->l2c, noff, false, &ne);
	if (r < 0) {
		free(copy);
		return r;
	}
	if (copy) {
		for (uint64_t i = 0; i < q->l2_entries; i++) /* data stays shared: no COPIED */
			qc_set_be64(ne->buf, i, qc_be64(copy, i) & ~QC_OFLAG_COPIED);
		free(copy);
	}
	ne->dirty = true;
	/* refcount, then table contents, durable before the L1 entry points at them */
	r = qc_meta_flush(q);
	if (!r)
		r = dfile_sync(&q->f);
	if (r < 0)
		return r;
	q->l1[l1i] = noff | QC_OFLAG_COPIED;
	r = qc_write_l1_entry(q, l1i);
	if (r < 0) {
		q->l1[l1i] = l1e;
		return r;
	}
	if (old)
		r = qc_free_later(q, old);
	*out = ne;
	return r;
}
