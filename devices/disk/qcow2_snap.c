// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 internal snapshots: the snapshot table, and create / apply / delete, which move whole L1
 * tables and adjust the refcount of everything they reach. */
#include "qcow2_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SNAP_MAX_EXTRA 1024

void qc_snap_free(struct qcow2 *q)
{
	for (uint32_t i = 0; i < q->nsnaps && q->snaps; i++) {
		free(q->snaps[i].id);
		free(q->snaps[i].name);
		free(q->snaps[i].extra);
	}
	free(q->snaps);
	q->snaps = NULL;
}

int qc_snap_load(struct qcow2 *q)
{
	if (!q->nsnaps)
		return 0;
	q->snaps = calloc(q->nsnaps, sizeof(*q->snaps));
	if (!q->snaps)
		return -ENOMEM;
	uint64_t p = q->snap_off;
	for (uint32_t i = 0; i < q->nsnaps; i++) {
		struct qc_snap *s = &q->snaps[i];
		uint8_t h[40];
		int r = dfile_pread(&q->f, h, sizeof(h), p);
		if (r < 0)
			return r;
		s->l1_off = qc_be64(h, 0);
		uint32_t v;
		memcpy(&v, h + 8, 4);
		s->l1_size = be32toh(v);
		uint16_t idl = (uint16_t)(h[12] << 8 | h[13]), nl = (uint16_t)(h[14] << 8 | h[15]);
		memcpy(&v, h + 16, 4);
		s->date_sec = be32toh(v);
		memcpy(&v, h + 20, 4);
		s->date_nsec = be32toh(v);
		s->vm_clock_ns = qc_be64(h, 3);
		memcpy(&v, h + 32, 4);
		s->vm_state_size32 = s->vm_state_size = be32toh(v);
		memcpy(&v, h + 36, 4);
		s->extra_size = be32toh(v);
		if (s->extra_size > SNAP_MAX_EXTRA || (s->l1_off % q->cs) ||
		    (uint64_t)s->l1_size * 8 > QC_MAX_L1_BYTES || (s->l1_size && !s->l1_off))
			return -EINVAL;
		s->extra = malloc(s->extra_size + 1);
		s->id = calloc(1, idl + 1u);
		s->name = calloc(1, nl + 1u);
		if (!s->extra || !s->id || !s->name)
			return -ENOMEM;
		p += 40;
		if ((r = dfile_pread(&q->f, s->extra, s->extra_size, p)) < 0 ||
		    (r = dfile_pread(&q->f, s->id, idl, p + s->extra_size)) < 0 ||
		    (r = dfile_pread(&q->f, s->name, nl, p + s->extra_size + idl)) < 0)
			return r;
		if (s->extra_size >= 8)
			s->vm_state_size = qc_be64(s->extra, 0);
		s->disk_size = s->extra_size >= 16 ? qc_be64(s->extra, 1) : q->d.size;
		p += s->extra_size + idl + nl;
		p = (p + 7) & ~7ull;
		if (p - q->snap_off > (64u << 20))
			return -EINVAL;
	}
	q->snap_bytes = p - q->snap_off;
	return 0;
}

/* Writes the table for snaps[0..n) to new clusters: *off, *bytes. */
static int write_table(struct qcow2 *q, const struct qc_snap *snaps, uint32_t n, uint64_t *off,
                       uint64_t *bytes)
{
	uint64_t len = 0;
	for (uint32_t i = 0; i < n; i++)
		len += (40 + snaps[i].extra_size + strlen(snaps[i].id) + strlen(snaps[i].name) + 7) & ~7ull;
	*bytes = len;
	*off = 0;
	if (!n)
		return 0;
	uint64_t nclus = (len + q->cs - 1) / q->cs;
	uint8_t *b = dfile_alloc(nclus * q->cs);
	if (!b)
		return -ENOMEM;
	uint64_t p = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct qc_snap *s = &snaps[i];
		uint8_t *e = b + p;
		size_t idl = strlen(s->id), nl = strlen(s->name);
		uint32_t v;
		qc_set_be64(e, 0, s->l1_off);
		v = htobe32(s->l1_size), memcpy(e + 8, &v, 4);
		e[12] = (uint8_t)(idl >> 8), e[13] = (uint8_t)idl;
		e[14] = (uint8_t)(nl >> 8), e[15] = (uint8_t)nl;
		v = htobe32(s->date_sec), memcpy(e + 16, &v, 4);
		v = htobe32(s->date_nsec), memcpy(e + 20, &v, 4);
		qc_set_be64(e, 3, s->vm_clock_ns);
		v = htobe32(s->vm_state_size32), memcpy(e + 32, &v, 4);
		v = htobe32(s->extra_size), memcpy(e + 36, &v, 4);
		memcpy(e + 40, s->extra, s->extra_size);
		memcpy(e + 40 + s->extra_size, s->id, idl);
		memcpy(e + 40 + s->extra_size + idl, s->name, nl);
		p += (40 + s->extra_size + idl + nl + 7) & ~7ull;
	}
	int r = qc_alloc_clusters(q, nclus, off);
	if (!r)
		r = dfile_pwrite(&q->f, b, nclus * q->cs, *off);
	free(b);
	return r;
}

/* Makes snaps[0..n) the image's table: new table durable, header switched, old table freed. */
static int commit_table(struct qcow2 *q, struct qc_snap *snaps, uint32_t n)
{
	uint64_t off, bytes;
	int r = write_table(q, snaps, n, &off, &bytes);
	if (!r)
		r = qc_meta_flush(q);
	if (!r)
		r = qc_switch_table(q, 60, 0, n, off);
	if (r)
		return r;
	uint64_t old = q->snap_off, oldc = (q->snap_bytes + q->cs - 1) / q->cs;
	for (uint64_t i = 0; i < oldc && old && q->nsnaps && !r; i++)
		r = qc_update_refcount(q, old / q->cs + i, -1);
	q->snaps = snaps;
	q->nsnaps = n;
	q->snap_off = off;
	q->snap_bytes = bytes;
	return r;
}

/* Adds addend to the refcount of every L2 table and data cluster reachable from l1. */
int qc_update_refs_from_l1(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size, int64_t addend)
{
	uint64_t *t = malloc(q->cs);
	int r = t ? 0 : -ENOMEM;
	for (uint32_t i = 0; i < l1_size && !r; i++) {
		uint64_t l2off = l1[i] & QC_OFFSET_MASK;
		if (!l2off)
			continue;
		if (qc_bad_host(q, l2off)) {
			r = -EIO;
			break;
		}
		struct qc_cent *e;
		if ((r = qc_cache_get(q, &q->l2c, l2off, true, &e)) < 0)
			break;
		for (uint64_t j = 0; j < q->l2_entries; j++)
			t[j] = qc_be64(e->buf, j);
		for (uint64_t j = 0; j < q->l2_entries && !r; j++) {
			if (t[j] & QC_OFLAG_COMPRESSED) {
				uint64_t off, len;
				qc_compressed_range(q, t[j], &off, &len);
				for (uint64_t c = off & ~(q->cs - 1); c < off + len && !r; c += q->cs)
					r = qc_update_refcount(q, c / q->cs, addend);
			} else if (t[j] & QC_OFFSET_MASK) {
				r = qc_update_refcount(q, (t[j] & QC_OFFSET_MASK) / q->cs, addend);
			}
		}
		if (!r)
			r = qc_update_refcount(q, l2off / q->cs, addend);
	}
	free(t);
	return r;
}

/* COPIED (bit 63) must say "refcount is exactly one" in the active L1 and its L2 tables. */
int qc_fix_copied(struct qcow2 *q, uint64_t *fixed)
{
	int r = 0;
	for (uint32_t i = 0; i < q->l1_size && !r; i++) {
		uint64_t l2off = q->l1[i] & QC_OFFSET_MASK, rc;
		if (!l2off)
			continue;
		if ((r = qc_get_refcount(q, l2off / q->cs, &rc)) < 0)
			break;
		uint64_t want = l2off | (rc == 1 ? QC_OFLAG_COPIED : 0);
		if (q->l1[i] != want) {
			q->l1[i] = want;
			r = qc_write_l1_entry(q, i);
			if (fixed)
				(*fixed)++;
		}
		struct qc_cent *e;
		if (r || (r = qc_cache_get(q, &q->l2c, l2off, true, &e)) < 0)
			break;
		for (uint64_t j = 0; j < q->l2_entries && !r; j++) {
			uint64_t l2e = qc_be64(e->buf, j), w = l2e & ~QC_OFLAG_COPIED;
			if (!(l2e & QC_OFLAG_COMPRESSED) && (l2e & QC_OFFSET_MASK)) {
				if ((r = qc_get_refcount(q, (l2e & QC_OFFSET_MASK) / q->cs, &rc)) < 0)
					break;
				if (rc == 1)
					w |= QC_OFLAG_COPIED;
			}
			if (w != l2e) {
				qc_set_be64(e->buf, j, w);
				e->dirty = true;
				if (fixed)
					(*fixed)++;
			}
		}
	}
	return r;
}

static struct qcow2 *as_qcow2(struct disk *d)
{
	return strcmp(d->format, "qcow2") ? NULL : (struct qcow2 *)d;
}

static int find_snap(struct qcow2 *q, const char *name)
{
	for (uint32_t i = 0; i < q->nsnaps; i++)
		if (!strcmp(q->snaps[i].name, name))
			return (int)i;
	for (uint32_t i = 0; i < q->nsnaps; i++)
		if (!strcmp(q->snaps[i].id, name))
			return (int)i;
	return -ENOENT;
}

int qcow2_snapshot_list(struct disk *d, struct qcow2_snapshot_info **out, int *n)
{
	struct qcow2 *q = as_qcow2(d);
	if (!q)
		return -EINVAL;
	*out = calloc(q->nsnaps ? q->nsnaps : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (uint32_t i = 0; i < q->nsnaps; i++) {
		struct qcow2_snapshot_info *s = &(*out)[i];
		snprintf(s->id, sizeof(s->id), "%s", q->snaps[i].id);
		snprintf(s->name, sizeof(s->name), "%s", q->snaps[i].name);
		s->vm_state_size = q->snaps[i].vm_state_size;
		s->date_sec = q->snaps[i].date_sec;
		s->date_nsec = q->snaps[i].date_nsec;
		s->vm_clock_ns = q->snaps[i].vm_clock_ns;
		s->disk_size = q->snaps[i].disk_size;
	}
	*n = (int)q->nsnaps;
	return 0;
}

static int read_snap_l1(struct qcow2 *q, const struct qc_snap *s, uint64_t **out)
{
	*out = calloc(s->l1_size ? s->l1_size : 1, 8);
	if (!*out)
		return -ENOMEM;
	int r = s->l1_size ? qc_read_table(q, s->l1_off, *out, s->l1_size) : 0;
	for (uint32_t i = 0; !r && i < s->l1_size; i++) {
		uint64_t o = (*out)[i] & QC_OFFSET_MASK;
		if (((*out)[i] & QC_L1_RESERVED) || (o && qc_bad_host(q, o)))
			r = -EIO;
	}
	if (r) {
		free(*out);
		*out = NULL;
	}
	return r;
}

static uint64_t l1_clusters(const struct qcow2 *q, uint32_t l1_size)
{
	uint64_t n = ((uint64_t)l1_size * 8 + q->cs - 1) / q->cs;
	return n ? n : 1;
}

static int snap_create(struct qcow2 *q, const char *name)
{
	if (find_snap(q, name) >= 0 && !strcmp(q->snaps[find_snap(q, name)].name, name))
		return -EEXIST;
	if (q->nsnaps >= QC_MAX_SNAPSHOTS)
		return -EFBIG;
	uint64_t l1c = l1_clusters(q, q->l1_size), l1copy;
	uint64_t *tmp = calloc(l1c * q->cs / 8, 8);
	int r = tmp ? qc_meta_flush(q) : -ENOMEM;
	if (!r)
		r = qc_alloc_clusters(q, l1c, &l1copy);
	for (uint32_t i = 0; !r && i < q->l1_size; i++)
		tmp[i] = q->l1[i] & ~QC_OFLAG_COPIED;
	if (!r)
		r = qc_write_table(q, l1copy, tmp, l1c * q->cs / 8);
	free(tmp);
	if (!r)
		r = qc_update_refs_from_l1(q, q->l1, q->l1_size, 1);
	/* everything is shared now: writes must copy */
	for (uint32_t i = 0; !r && i < q->l1_size; i++) {
		uint64_t l2off = q->l1[i] & QC_OFFSET_MASK;
		q->l1[i] &= ~QC_OFLAG_COPIED;
		struct qc_cent *e;
		if (!l2off || (r = qc_cache_get(q, &q->l2c, l2off, true, &e)) < 0)
			continue;
		for (uint64_t j = 0; j < q->l2_entries; j++)
			qc_set_be64(e->buf, j, qc_be64(e->buf, j) & ~QC_OFLAG_COPIED);
		e->dirty = true;
	}
	if (!r)
		r = qc_write_table(q, q->l1_off, q->l1, q->l1_size);
	if (!r)
		r = qc_meta_flush(q);
	if (r)
		return r; /* nothing points at the copy yet: at worst leaked clusters */
	struct qc_snap *ns = calloc(q->nsnaps + 1, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	if (q->nsnaps)
		memcpy(ns, q->snaps, q->nsnaps * sizeof(*ns));
	struct qc_snap *s = &ns[q->nsnaps];
	unsigned long maxid = 0;
	for (uint32_t i = 0; i < q->nsnaps; i++) {
		unsigned long v = strtoul(q->snaps[i].id, NULL, 10);
		maxid = v > maxid ? v : maxid;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->l1_off = l1copy;
	s->l1_size = q->l1_size;
	s->date_sec = (uint32_t)ts.tv_sec;
	s->date_nsec = (uint32_t)ts.tv_nsec;
	s->disk_size = q->d.size;
	s->extra_size = 16; /* vm_state_size (64-bit) and disk size, required by version 3 */
	s->extra = calloc(1, 16);
	s->name = strdup(name);
	if (s->extra)
		qc_set_be64(s->extra, 1, q->d.size);
	if (asprintf(&s->id, "%lu", maxid + 1) < 0)
		s->id = NULL;
	struct qc_snap *old = q->snaps;
	if (s->extra && s->name && s->id)
		r = commit_table(q, ns, q->nsnaps + 1);
	else
		r = -ENOMEM;
	if (q->snaps == ns) {
		free(old);
	} else {
		free(s->extra);
		free(s->name);
		free(s->id);
		free(ns);
	}
	return r;
}

static int snap_delete(struct qcow2 *q, int idx)
{
	struct qc_snap s = q->snaps[idx];
	struct qc_snap *ns = calloc(q->nsnaps, sizeof(*ns)), *old = q->snaps;
	if (!ns)
		return -ENOMEM;
	uint32_t n = 0;
	for (uint32_t i = 0; i < q->nsnaps; i++)
		if ((int)i != idx)
			ns[n++] = q->snaps[i];
	int r = qc_meta_flush(q);
	if (!r)
		r = commit_table(q, ns, n);
	if (q->snaps != ns) {
		free(ns);
		return r;
	}
	free(old);
	/* the table no longer names it: now its clusters may go */
	uint64_t *l1 = NULL;
	if (!r)
		r = read_snap_l1(q, &s, &l1);
	if (!r)
		r = qc_update_refs_from_l1(q, l1, s.l1_size, -1);
	free(l1);
	for (uint64_t i = 0; !r && s.l1_off && i < l1_clusters(q, s.l1_size); i++)
		r = qc_update_refcount(q, s.l1_off / q->cs + i, -1);
	if (!r)
		r = qc_fix_copied(q, NULL);
	if (!r)
		r = qc_meta_flush(q);
	free(s.id);
	free(s.name);
	free(s.extra);
	return r;
}

static int snap_apply(struct qcow2 *q, int idx)
{
	const struct qc_snap *s = &q->snaps[idx];
	uint64_t *sl1 = NULL, *old = NULL;
	uint32_t old_size = q->l1_size;
	int r = qc_meta_flush(q);
	if (!r)
		r = read_snap_l1(q, s, &sl1);
	if (!r && s->l1_size > q->l1_size)
		r = qc_l1_grow(q, s->l1_size);
	/* new references first, durable before the active table points at them */
	if (!r)
		r = qc_update_refs_from_l1(q, sl1, s->l1_size, 1);
	if (!r)
		r = qc_meta_flush(q);
	if (!r)
		r = dfile_sync(&q->f);
	if (!r && !(old = malloc((size_t)old_size * 8 + 8)))
		r = -ENOMEM;
	if (r) {
		free(sl1);
		return r;
	}
	memcpy(old, q->l1, (size_t)old_size * 8);
	for (uint32_t i = 0; i < q->l1_size; i++)
		q->l1[i] = i < s->l1_size ? sl1[i] & ~QC_OFLAG_COPIED : 0;
	free(sl1);
	r = qc_write_table(q, q->l1_off, q->l1, q->l1_size);
	if (!r) {
		uint64_t be = htobe64(s->disk_size);
		r = qc_write_header_field(q, 24, &be, 8);
	}
	if (!r)
		r = dfile_sync(&q->f);
	if (r) { /* the on-disk table may be either one; keep memory on the old, which we hold refs for */
		memcpy(q->l1, old, (size_t)old_size * 8);
		free(old);
		return r;
	}
	q->d.size = s->disk_size;
	r = qc_update_refs_from_l1(q, old, old_size, -1);
	free(old);
	if (!r)
		r = qc_fix_copied(q, NULL);
	if (!r)
		r = qc_meta_flush(q);
	if (!r)
		r = dfile_sync(&q->f);
	return r;
}

enum snap_op { SNAP_CREATE, SNAP_APPLY, SNAP_DELETE };

static int snap_op(struct disk *d, const char *name, enum snap_op op)
{
	struct qcow2 *q = as_qcow2(d);
	if (!q || !name || !*name || strlen(name) > 255)
		return -EINVAL;
	if (d->read_only)
		return -EROFS;
	pthread_mutex_lock(&q->lock);
	/* a snapshot shares or frees clusters: no data I/O may be in flight to them */
	qc_wait_unpinned(q);
	int r, idx = find_snap(q, name);
	if (op == SNAP_CREATE)
		r = snap_create(q, name);
	else if (idx < 0)
		r = idx;
	else
		r = op == SNAP_APPLY ? snap_apply(q, idx) : snap_delete(q, idx);
	if (!r)
		r = dfile_sync(&q->f);
	pthread_mutex_unlock(&q->lock);
	return r;
}

int qcow2_snapshot_create(struct disk *d, const char *name)
{
	return snap_op(d, name, SNAP_CREATE);
}

int qcow2_snapshot_apply(struct disk *d, const char *name_or_id)
{
	return snap_op(d, name_or_id, SNAP_APPLY);
}

int qcow2_snapshot_delete(struct disk *d, const char *name_or_id)
{
	return snap_op(d, name_or_id, SNAP_DELETE);
}
