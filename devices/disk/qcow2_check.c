// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 consistency check: recompute every refcount from the tables that reference clusters,
 * compare with the stored ones, check COPIED flags; optionally repair. */
#include "qcow2_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct walk {
	struct qcow2 *q;
	uint32_t *ref; /* computed refcount per host cluster */
	uint64_t n;
	struct qcow2_check_result *res;
};

static void inc(struct walk *w, uint64_t off, uint64_t len)
{
	if (!len)
		return;
	for (uint64_t c = off / w->q->cs; c <= (off + len - 1) / w->q->cs; c++) {
		if (c >= w->n) {
			w->res->corruptions++; /* points past the end of the file */
			return;
		}
		if (w->ref[c] != UINT32_MAX)
			w->ref[c]++;
		if ((c + 1) * w->q->cs > w->res->image_end)
			w->res->image_end = (c + 1) * w->q->cs;
	}
}

static int walk_l1(struct walk *w, const uint64_t *l1, uint32_t l1_size, bool active)
{
	struct qcow2 *q = w->q;
	for (uint32_t i = 0; i < l1_size; i++) {
		uint64_t l2off = l1[i] & QC_OFFSET_MASK;
		if (l1[i] & QC_L1_RESERVED)
			w->res->corruptions++;
		if (!l2off)
			continue;
		if (qc_bad_host(q, l2off)) {
			w->res->corruptions++;
			continue;
		}
		inc(w, l2off, q->cs);
		struct qc_cent *e;
		int r = qc_cache_get(q, &q->l2c, l2off, true, &e);
		if (r < 0)
			return r;
		for (uint64_t j = 0; j < q->l2_entries; j++) {
			uint64_t l2e = qc_be64(e->buf, j), off = l2e & QC_OFFSET_MASK;
			if (l2e & QC_OFLAG_COMPRESSED) {
				uint64_t coff, clen;
				qc_compressed_range(q, l2e, &coff, &clen);
				inc(w, coff, clen);
				w->res->allocated_clusters += active;
				continue;
			}
			if (l2e & QC_L2_RESERVED || (q->version == 2 && (l2e & QC_OFLAG_ZERO)))
				w->res->corruptions++;
			if (!off)
				continue;
			if (qc_bad_host(q, off)) {
				w->res->corruptions++;
				continue;
			}
			inc(w, off, q->cs);
			w->res->allocated_clusters += active;
		}
	}
	return 0;
}

static int compute(struct walk *w)
{
	struct qcow2 *q = w->q;
	int r = 0;
	inc(w, 0, q->cs);
	inc(w, q->l1_off, (uint64_t)q->l1_size * 8);
	inc(w, q->rt_off, (uint64_t)q->rt_clusters * q->cs);
	for (uint64_t i = 0; i < q->rt_entries; i++)
		if (q->rt[i])
			inc(w, q->rt[i], q->cs);
	inc(w, q->snap_off, q->snap_bytes);
	for (uint32_t s = 0; s < q->nsnaps && !r; s++) {
		const struct qc_snap *sn = &q->snaps[s];
		uint64_t *l1 = calloc(sn->l1_size ? sn->l1_size : 1, 8);
		if (!l1)
			return -ENOMEM;
		inc(w, sn->l1_off, (uint64_t)sn->l1_size * 8);
		r = qc_read_table(q, sn->l1_off, l1, sn->l1_size);
		if (!r)
			r = walk_l1(w, l1, sn->l1_size, false);
		free(l1);
	}
	w->res->allocated_clusters = 0;
	return r ? r : walk_l1(w, q->l1, q->l1_size, true);
}

/* Stored vs computed refcounts for every cluster either side knows about. */
static int compare(struct walk *w, int fix)
{
	struct qcow2 *q = w->q;
	uint64_t last = w->n;
	for (uint64_t b = 0; b < q->rt_entries; b++)
		if (q->rt[b] && (b + 1) * q->rb_entries > last)
			last = (b + 1) * q->rb_entries;
	for (uint64_t i = 0; i < last; i++) {
		uint64_t bi = i / q->rb_entries, stored = 0, want = i < w->n ? w->ref[i] : 0;
		if (bi < q->rt_entries && !q->rt[bi] && want == 0) {
			i = (bi + 1) * q->rb_entries - 1; /* a missing block and nothing to count */
			continue;
		}
		int r = qc_get_refcount(q, i, &stored);
		if (r < 0)
			return r;
		if (stored == want)
			continue;
		bool leak = stored > want;
		if (leak)
			w->res->leaks++;
		else
			w->res->corruptions++;
		if ((leak && (fix & QCOW2_FIX_LEAKS)) || (!leak && (fix & QCOW2_FIX_ERRORS))) {
			r = qc_set_refcount(q, i, want);
			if (r < 0)
				return r;
			if (leak)
				w->res->leaks_fixed++;
			else
				w->res->corruptions_fixed++;
		}
	}
	return 0;
}

/* COPIED flags of the active tables against the stored refcounts. */
static int count_copied(struct walk *w)
{
	struct qcow2 *q = w->q;
	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t l2off = q->l1[i] & QC_OFFSET_MASK, rc;
		if (!l2off || qc_bad_host(q, l2off))
			continue;
		int r = qc_get_refcount(q, l2off / q->cs, &rc);
		if (r < 0)
			return r;
		if ((rc == 1) != !!(q->l1[i] & QC_OFLAG_COPIED))
			w->res->corruptions++;
		struct qc_cent *e;
		if ((r = qc_cache_get(q, &q->l2c, l2off, true, &e)) < 0)
			return r;
		for (uint64_t j = 0; j < q->l2_entries; j++) {
			uint64_t l2e = qc_be64(e->buf, j), off = l2e & QC_OFFSET_MASK;
			if (l2e & QC_OFLAG_COMPRESSED) {
				w->res->corruptions += !!(l2e & QC_OFLAG_COPIED);
				continue;
			}
			if (!off || qc_bad_host(q, off))
				continue;
			if ((r = qc_get_refcount(q, off / q->cs, &rc)) < 0)
				return r;
			if ((rc == 1) != !!(l2e & QC_OFLAG_COPIED))
				w->res->corruptions++;
		}
	}
	return 0;
}

static int check_once(struct qcow2 *q, int fix, struct qcow2_check_result *res)
{
	uint64_t fsize;
	int r = dfile_size(&q->f, &fsize);
	if (r < 0)
		return r;
	struct walk w = { .q = q, .res = res };
	w.n = (fsize > q->file_end ? fsize : q->file_end) / q->cs + 1;
	w.ref = calloc(w.n, sizeof(*w.ref));
	if (!w.ref)
		return -ENOMEM;
	memset(res, 0, sizeof(*res));
	res->total_clusters = (q->d.size + q->cs - 1) / q->cs;
	r = compute(&w);
	if (!r) {
		/* while repairing, the allocator must not hand out referenced clusters whose stored
		 * refcount is (wrongly) zero */
		q->used = w.ref;
		q->used_n = w.n;
		r = compare(&w, fix);
		q->used = NULL;
	}
	if (!r && (fix & QCOW2_FIX_ERRORS)) {
		uint64_t fixed = 0;
		r = qc_fix_copied(q, &fixed);
		res->corruptions += fixed;
		res->corruptions_fixed += fixed;
	} else if (!r) {
		r = count_copied(&w);
	}
	free(w.ref);
	return r;
}

int qcow2_check(struct disk *d, int fix, struct qcow2_check_result *res)
{
	if (strcmp(d->format, "qcow2"))
		return -EINVAL;
	if (fix && d->read_only)
		return -EROFS;
	struct qcow2 *q = (struct qcow2 *)d;
	pthread_mutex_lock(&q->lock);
	int r = d->read_only ? 0 : qc_meta_flush(q);
	if (!r)
		r = check_once(q, fix, res);
	if (!r && fix && (res->leaks_fixed || res->corruptions_fixed)) {
		/* repairs may allocate refcount blocks: report what is left after them */
		struct qcow2_check_result again;
		r = qc_meta_flush(q);
		if (!r)
			r = dfile_sync(&q->f);
		if (!r)
			r = check_once(q, 0, &again);
		if (!r) {
			again.leaks_fixed = res->leaks_fixed;
			again.corruptions_fixed = res->corruptions_fixed;
			*res = again;
		}
	}
	if (!r && (fix & QCOW2_FIX_ERRORS) && !res->corruptions &&
	    (q->incompat & (QC_INCOMPAT_DIRTY | QC_INCOMPAT_CORRUPT))) {
		uint64_t be = htobe64(q->incompat & ~(QC_INCOMPAT_DIRTY | QC_INCOMPAT_CORRUPT));
		r = dfile_sync(&q->f);
		if (!r)
			r = qc_write_header_field(q, 72, &be, 8);
		if (!r) {
			q->incompat &= ~(QC_INCOMPAT_DIRTY | QC_INCOMPAT_CORRUPT);
			r = dfile_sync(&q->f);
		}
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}
