// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 refcounts and cluster allocation. Refcount blocks live in a write-back cache; the table
 * itself is kept in memory and grows by being copied to the end of the file. */
#include "qcow2_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rc_max(const struct qcow2 *q)
{
	return q->refcount_order == 6 ? UINT64_MAX : (1ull << (1u << q->refcount_order)) - 1;
}

static uint64_t rc_read(const struct qcow2 *q, const uint8_t *b, uint64_t i)
{
	switch (q->refcount_order) {
	case 3: return b[i];
	case 4: return (uint64_t)b[i * 2] << 8 | b[i * 2 + 1];
	case 5: return be32toh(*(const uint32_t *)(const void *)(b + i * 4));
	case 6: return qc_be64(b, i);
	default: { /* 1, 2, 4 bits: bit 0 is the least significant */
		unsigned bits = 1u << q->refcount_order;
		uint64_t bit = i * bits;
		return (b[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
	}
	}
}

static void rc_write(const struct qcow2 *q, uint8_t *b, uint64_t i, uint64_t v)
{
	switch (q->refcount_order) {
	case 3: b[i] = (uint8_t)v; break;
	case 4: b[i * 2] = (uint8_t)(v >> 8); b[i * 2 + 1] = (uint8_t)v; break;
	case 5: { uint32_t x = htobe32((uint32_t)v); memcpy(b + i * 4, &x, 4); break; }
	case 6: qc_set_be64(b, i, v); break;
	default: {
		unsigned bits = 1u << q->refcount_order;
		uint64_t bit = i * bits;
		uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));
		b[bit / 8] = (uint8_t)((b[bit / 8] & ~mask) | ((v << (bit % 8)) & mask));
	}
	}
}

int qc_get_refcount(struct qcow2 *q, uint64_t idx, uint64_t *rc)
{
	uint64_t bi = idx / q->rb_entries;
	*rc = 0;
	if (bi >= q->rt_entries || !q->rt[bi])
		return 0;
	struct qc_cent *e;
	int r = qc_cache_get(q, &q->rbc, q->rt[bi], true, &e);
	if (r < 0)
		return r;
	*rc = rc_read(q, e->buf, idx % q->rb_entries);
	return 0;
}

static bool reserved(const struct qcow2 *q, uint64_t idx)
{
	for (int i = 0; i < q->nres; i++)
		if (idx >= q->res[i].s && idx - q->res[i].s < q->res[i].n)
			return true;
	return q->used && idx < q->used_n && q->used[idx];
}

/* First run of n free clusters at or after free_hint. */
static int find_free(struct qcow2 *q, uint64_t n, uint64_t *start)
{
	uint64_t run = 0, s = 0;
	bool seen_free = false;
	for (uint64_t i = q->free_hint;; i++) {
		uint64_t rc;
		int r = qc_get_refcount(q, i, &rc);
		if (r < 0)
			return r;
		if (rc || reserved(q, i) || i == 0) {
			run = 0;
			if (!seen_free)
				q->free_hint = i + 1;
			continue;
		}
		seen_free = true;
		if (run++ == 0)
			s = i;
		if (run == n) {
			*start = s;
			return 0;
		}
	}
}

static int write_rt_entry(struct qcow2 *q, uint64_t bi)
{
	uint64_t first = bi & ~63ull;
	uint8_t b[512];
	for (unsigned i = 0; i < 64; i++)
		qc_set_be64(b, i, first + i < q->rt_entries ? q->rt[first + i] : 0);
	return dfile_pwrite(&q->f, b, sizeof(b), q->rt_off + first * 8);
}

/* The refcount table grows by a copy at the end of the file; the refcount blocks that copy needs
 * for itself go right after it, so the new table and blocks describe themselves. */
static int grow_rt(struct qcow2 *q, uint64_t min_bi)
{
	uint64_t per = q->cs / 8;
	uint64_t ne = q->rt_entries * 2 > min_bi + 1 ? q->rt_entries * 2 : min_bi + 1;
	ne = (ne + per - 1) / per * per;
	if (ne * 8 > QC_MAX_RT_BYTES)
		return -EFBIG;
	uint64_t nclus = ne / per;
	uint64_t start = (q->file_end + q->cs - 1) / q->cs;
	for (int i = 0; i < q->nres; i++)
		if (q->res[i].s + q->res[i].n > start)
			start = q->res[i].s + q->res[i].n;
	uint64_t *nrt = calloc(ne, 8);
	uint64_t nb_cl[8], nb_bi[8];
	int nnew = 0, r = 0;
	if (!nrt)
		return -ENOMEM;
	memcpy(nrt, q->rt, q->rt_entries * 8);
	uint64_t next = start + nclus;
	for (uint64_t c = start; c < next; c++) {
		uint64_t b = c / q->rb_entries;
		if (b >= ne || (!nrt[b] && nnew == 8)) {
			free(nrt);
			return -EFBIG;
		}
		if (!nrt[b]) {
			nrt[b] = next * q->cs;
			nb_cl[nnew] = next;
			nb_bi[nnew++] = b;
			next++;
		}
	}
	uint8_t *nb = dfile_alloc(q->cs * (size_t)(nnew ? nnew : 1));
	if (!nb) {
		free(nrt);
		return -ENOMEM;
	}
	for (uint64_t c = start; c < next && !r; c++) {
		uint64_t b = c / q->rb_entries;
		int k = 0;
		while (k < nnew && nb_bi[k] != b)
			k++;
		if (k < nnew) {
			rc_write(q, nb + (size_t)k * q->cs, c % q->rb_entries, 1);
		} else {
			struct qc_cent *e;
			r = qc_cache_get(q, &q->rbc, nrt[b], true, &e);
			if (!r) {
				rc_write(q, e->buf, c % q->rb_entries, 1);
				e->dirty = true;
			}
		}
	}
	for (int k = 0; k < nnew && !r; k++)
		r = dfile_pwrite(&q->f, nb + (size_t)k * q->cs, q->cs, nb_cl[k] * q->cs);
	free(nb);
	if (!r)
		r = qc_cache_writeback(q, &q->rbc, NULL);
	if (!r)
		r = qc_write_table(q, start * q->cs, nrt, ne);
	if (!r)
		r = qc_switch_table(q, 48, 1, (uint32_t)nclus, start * q->cs);
	if (r) {
		free(nrt);
		return r;
	}
	uint64_t old_off = q->rt_off, old_n = q->rt_clusters;
	free(q->rt);
	q->rt = nrt;
	q->rt_entries = ne;
	q->rt_off = start * q->cs;
	q->rt_clusters = (uint32_t)nclus;
	if (next * q->cs > q->file_end)
		q->file_end = next * q->cs;
	for (uint64_t i = 0; i < old_n && !r; i++) /* the header no longer points at the old table */
		r = qc_update_refcount(q, old_off / q->cs + i, -1);
	return r;
}

/* A new refcount block for table slot bi, placed in a free cluster (possibly one it describes). */
static int alloc_refblock(struct qcow2 *q, uint64_t bi)
{
	uint64_t c;
	int r = find_free(q, 1, &c);
	if (r < 0)
		return r;
	if (q->nres == 4)
		return -EFBIG;
	q->res[q->nres].s = c;
	q->res[q->nres++].n = 1;
	if (c / q->rb_entries != bi)
		r = qc_update_refcount(q, c, 1);
	q->nres--;
	if (r < 0)
		return r;
	struct qc_cent *e;
	r = qc_cache_get(q, &q->rbc, c * q->cs, false, &e);
	if (r < 0)
		return r;
	if (c / q->rb_entries == bi)
		rc_write(q, e->buf, c % q->rb_entries, 1);
	e->dirty = true;
	/* the block (and the refcount of its own cluster) is durable before the table points at it */
	r = qc_cache_writeback(q, &q->rbc, NULL);
	if (!r)
		r = dfile_sync(&q->f);
	if (r < 0)
		return r;
	if ((c + 1) * q->cs > q->file_end)
		q->file_end = (c + 1) * q->cs;
	q->rt[bi] = c * q->cs;
	r = write_rt_entry(q, bi);
	if (r < 0)
		q->rt[bi] = 0;
	return r;
}

int qc_set_refcount(struct qcow2 *q, uint64_t idx, uint64_t v)
{
	uint64_t bi = idx / q->rb_entries;
	int r = 0;
	if (bi >= q->rt_entries)
		r = grow_rt(q, bi);
	if (!r && !q->rt[bi])
		r = alloc_refblock(q, bi);
	struct qc_cent *e;
	if (!r)
		r = qc_cache_get(q, &q->rbc, q->rt[bi], true, &e);
	if (r < 0)
		return r;
	rc_write(q, e->buf, idx % q->rb_entries, v);
	e->dirty = true;
	if (v == 0) {
		if (idx < q->free_hint)
			q->free_hint = idx;
		/* a freed L2 table must never be written back over whatever reuses its cluster */
		qc_cache_drop(&q->l2c, idx * q->cs);
		q->cbuf_key = 0;
	}
	return 0;
}

int qc_update_refcount(struct qcow2 *q, uint64_t idx, int64_t addend)
{
	uint64_t rc;
	int r = qc_get_refcount(q, idx, &rc);
	if (r < 0)
		return r;
	if (addend < 0 && rc < (uint64_t)-addend)
		return -EIO; /* would go below zero: the metadata is inconsistent */
	if (addend > 0 && rc_max(q) - rc < (uint64_t)addend)
		return -EMLINK;
	return qc_set_refcount(q, idx, rc + (uint64_t)addend);
}

int qc_alloc_clusters(struct qcow2 *q, uint64_t n, uint64_t *off)
{
	uint64_t s;
	int r = find_free(q, n, &s);
	if (r < 0)
		return r;
	if (q->nres == 4)
		return -EFBIG;
	q->res[q->nres].s = s;
	q->res[q->nres++].n = n;
	for (uint64_t i = 0; i < n && !r; i++) {
		r = qc_set_refcount(q, s + i, 1);
		q->res[q->nres - 1].s++; /* set now: no longer needs the reservation */
		q->res[q->nres - 1].n--;
	}
	q->nres--;
	if (r < 0)
		return r;
	if ((s + n) * q->cs > q->file_end)
		q->file_end = (s + n) * q->cs;
	*off = s * q->cs;
	return 0;
}

int qc_free_later(struct qcow2 *q, uint64_t host_off)
{
	if (q->npending == q->cap_pending) {
		size_t nc = q->cap_pending ? q->cap_pending * 2 : 64;
		uint64_t *p = realloc(q->pending, nc * 8);
		if (!p)
			return -ENOMEM;
		q->pending = p;
		q->cap_pending = nc;
	}
	q->pending[q->npending++] = host_off;
	return 0;
}

void qc_compressed_range(const struct qcow2 *q, uint64_t l2e, uint64_t *off, uint64_t *len)
{
	unsigned x = 62 - (q->cluster_bits - 8);
	uint64_t nsect = ((l2e >> x) & ((1ull << (q->cluster_bits - 8)) - 1)) + 1;
	*off = l2e & ((1ull << x) - 1);
	*len = nsect * 512 - (*off & 511);
}

int qc_unref_entry_later(struct qcow2 *q, uint64_t l2e)
{
	if (l2e & QC_OFLAG_COMPRESSED) {
		uint64_t off, len;
		qc_compressed_range(q, l2e, &off, &len);
		for (uint64_t c = off & ~(q->cs - 1); c < off + len; c += q->cs) {
			int r = qc_free_later(q, c);
			if (r < 0)
				return r;
		}
		return 0;
	}
	uint64_t off = l2e & QC_OFFSET_MASK;
	return off ? qc_free_later(q, off) : 0;
}

/* A cluster with data I/O still in flight stays pending: freed now, it could be reused (even as
 * metadata) while that I/O lands in it. */
int qc_apply_pending(struct qcow2 *q)
{
	int r = 0;
	size_t i, keep = 0;
	for (i = 0; i < q->npending && !r; i++) {
		if (qc_pinned(q, q->pending[i]))
			q->pending[keep++] = q->pending[i];
		else
			r = qc_update_refcount(q, q->pending[i] / q->cs, -1);
	}
	if (r < 0)
		i--; /* a failed decrement only leaks; keep it and the rest for the next try */
	memmove(q->pending + keep, q->pending + i, (q->npending - i) * 8);
	q->npending = keep + (q->npending - i);
	return r;
}
