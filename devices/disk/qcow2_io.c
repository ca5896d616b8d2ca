// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 guest I/O: reads through L1/L2 (standard, zero, compressed, backing), writes with cluster
 * allocation and copy-on-write, discard / write-zeroes via L2 entries, resize, block status. */
#include "qcow2_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint64_t l1_index(const struct qcow2 *q, uint64_t goff)
{
	return goff / q->cs / q->l2_entries;
}

static uint64_t l2_index(const struct qcow2 *q, uint64_t goff)
{
	return goff / q->cs % q->l2_entries;
}

static int lookup(struct qcow2 *q, uint64_t goff, uint64_t *l2e)
{
	struct qc_cent *e;
	int r = qc_l2_get(q, l1_index(q, goff), false, &e);
	*l2e = r == 0 && e ? qc_be64(e->buf, l2_index(q, goff)) : 0;
	return r;
}

/* Raw deflate, 4 KiB window, as qcow2 writes it; must yield exactly one cluster. */
static int read_compressed(struct qcow2 *q, uint64_t l2e)
{
	if (q->cbuf_key == l2e)
		return 0;
	uint64_t off, len;
	qc_compressed_range(q, l2e, &off, &len);
	if (off < q->cs || off >= (1ull << 56))
		return -EIO;
	int r = dfile_pread(&q->f, q->zbuf, (size_t)len, off);
	if (r < 0)
		return r;
	z_stream s = { 0 };
	if (inflateInit2(&s, -12) != Z_OK)
		return -ENOMEM;
	s.next_in = q->zbuf;
	s.avail_in = (uInt)len;
	s.next_out = q->cbuf;
	s.avail_out = (uInt)q->cs;
	int zr = inflate(&s, Z_FINISH);
	inflateEnd(&s);
	if ((zr != Z_STREAM_END && zr != Z_BUF_ERROR) || s.avail_out != 0) {
		q->cbuf_key = 0;
		return -EIO;
	}
	q->cbuf_key = l2e;
	return 0;
}

/* Reads [goff, goff+len) (inside one cluster, described by l2e) into iov at skip. */
int qc_read_entry(struct qcow2 *q, uint64_t l2e, uint64_t goff, const struct iovec *iov, int n,
                  size_t skip, size_t len)
{
	uint64_t in = goff & (q->cs - 1);
	if (l2e & QC_OFLAG_COMPRESSED) {
		int r = read_compressed(q, l2e);
		if (r == 0)
			iov_from_buf(iov, n, skip, q->cbuf + in, len);
		return r;
	}
	if (l2e & QC_L2_RESERVED || (q->version == 2 && (l2e & QC_OFLAG_ZERO)))
		return -EIO;
	if (l2e & QC_OFLAG_ZERO) {
		iov_zero(iov, n, skip, len);
		return 0;
	}
	uint64_t off = l2e & QC_OFFSET_MASK;
	struct iovec small[8];
	struct iovec *v = n <= 8 ? small : malloc(sizeof(*v) * (size_t)n);
	if (!v)
		return -ENOMEM;
	int r = 0;
	if (off) {
		if (qc_bad_host(q, off))
			r = -EIO;
		else
			r = dfile_preadv(&q->f, v, iov_slice(iov, n, skip, len, v), off + in);
	} else if (q->backing && goff < q->backing->size) {
		uint64_t avail = q->backing->size - goff;
		size_t l = avail < len ? (size_t)avail : len;
		r = disk_readv(q->backing, goff, v, iov_slice(iov, n, skip, l, v));
		if (!r && l < len)
			iov_zero(iov, n, skip + l, len - l);
	} else {
		iov_zero(iov, n, skip, len);
	}
	if (v != small)
		free(v);
	return r;
}

static int qc_readv(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len)
{
	struct qcow2 *q = (struct qcow2 *)d;
	int r = 0;
	pthread_mutex_lock(&q->lock);
	for (size_t done = 0; done < len && !r;) {
		uint64_t g = off + done, l2e;
		size_t l = (size_t)(q->cs - (g & (q->cs - 1)));
		if (l > len - done)
			l = len - done;
		r = lookup(q, g, &l2e);
		if (!r)
			r = qc_read_entry(q, l2e, g, iov, n, done, l);
		done += l;
	}
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* One cluster's worth of a write. Data goes to the file before the L2 entry that points at it;
 * a cluster that is shared (snapshot), compressed, zero or unallocated is copied to a new one. */
int qc_write_piece(struct qcow2 *q, uint64_t g, const struct iovec *iov, int n, size_t skip,
                   size_t len)
{
	struct qc_cent *e;
	int r = qc_l2_get(q, l1_index(q, g), true, &e);
	if (r < 0)
		return r;
	uint64_t i2 = l2_index(q, g), in = g & (q->cs - 1), base = g - in;
	uint64_t l2e = qc_be64(e->buf, i2), off = l2e & QC_OFFSET_MASK;
	bool compressed = l2e & QC_OFLAG_COMPRESSED;
	if (!compressed && (l2e & QC_L2_RESERVED))
		return -EIO;
	if (!compressed && off && (l2e & QC_OFLAG_COPIED)) {
		if (qc_bad_host(q, off))
			return -EIO;
		if (!(l2e & QC_OFLAG_ZERO)) {
			struct iovec small[8];
			struct iovec *v = n <= 8 ? small : malloc(sizeof(*v) * (size_t)n);
			if (!v)
				return -ENOMEM;
			r = dfile_pwritev(&q->f, v, iov_slice(iov, n, skip, len, v), off + in);
			if (v != small)
				free(v);
			return r;
		}
	}
	/* build the whole new cluster: old contents (or zeros) with the new bytes over them */
	uint8_t *buf = dfile_alloc(q->cs);
	if (!buf)
		return -ENOMEM;
	struct iovec bv = { buf, q->cs };
	bool reuse = !compressed && off && (l2e & QC_OFLAG_COPIED); /* preallocated zero cluster */
	if (len < q->cs && !reuse)
		r = qc_read_entry(q, l2e, base, &bv, 1, 0, q->cs);
	uint64_t noff = off;
	if (!r && !reuse)
		r = qc_alloc_clusters(q, 1, &noff);
	if (!r) {
		iov_to_buf(iov, n, skip, buf + in, len);
		r = dfile_pwrite(&q->f, buf, q->cs, noff);
	}
	free(buf);
	if (r < 0)
		return r; /* an allocated but unused cluster is only a leak */
	qc_set_be64(e->buf, i2, noff | QC_OFLAG_COPIED);
	e->dirty = true;
	if (!reuse && (compressed || off))
		r = qc_unref_entry_later(q, l2e);
	return r;
}

static int qc_writev(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len)
{
	struct qcow2 *q = (struct qcow2 *)d;
	int r = 0;
	pthread_mutex_lock(&q->lock);
	for (size_t done = 0; done < len && !r;) {
		uint64_t g = off + done;
		size_t l = (size_t)(q->cs - (g & (q->cs - 1)));
		if (l > len - done)
			l = len - done;
		r = qc_write_piece(q, g, iov, n, done, l);
		done += l;
	}
	if (!r && q->npending > 1024) /* don't let deferred frees pile up between guest flushes */
		r = qc_meta_flush(q);
	pthread_mutex_unlock(&q->lock);
	return r;
}

static int qc_flush(struct disk *d)
{
	struct qcow2 *q = (struct qcow2 *)d;
	pthread_mutex_lock(&q->lock);
	int r = qc_meta_flush(q);
	if (!r)
		r = dfile_sync(&q->f);
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* Does this unallocated guest offset read zeros (no backing data under it)? */
static bool reads_zero(struct qcow2 *q, uint64_t l2e, uint64_t g)
{
	if (l2e & QC_OFLAG_COMPRESSED)
		return false;
	if (q->version == 3 && (l2e & QC_OFLAG_ZERO))
		return true;
	return !(l2e & QC_OFFSET_MASK) && (!q->backing || g >= q->backing->size);
}

/* Sets the L2 entry of the whole cluster at g to target, dropping the old allocation. */
static int set_entry(struct qcow2 *q, uint64_t g, uint64_t target, bool keep_alloc)
{
	uint64_t l2e;
	int r = lookup(q, g, &l2e);
	if (r < 0 || l2e == target)
		return r;
	if (target == QC_OFLAG_ZERO && !(l2e & QC_OFFSET_MASK) && reads_zero(q, l2e, g))
		return 0; /* nothing to free and it already reads zeros */
	struct qc_cent *e;
	if ((r = qc_l2_get(q, l1_index(q, g), true, &e)) < 0)
		return r;
	l2e = qc_be64(e->buf, l2_index(q, g));
	if (keep_alloc && !(l2e & QC_OFLAG_COMPRESSED) && (l2e & QC_OFFSET_MASK) &&
	    (l2e & QC_OFLAG_COPIED)) {
		qc_set_be64(e->buf, l2_index(q, g), l2e | QC_OFLAG_ZERO);
		e->dirty = true;
		return 0;
	}
	qc_set_be64(e->buf, l2_index(q, g), target);
	e->dirty = true;
	q->cbuf_key = 0;
	return qc_unref_entry_later(q, l2e);
}

static int zero_or_discard(struct disk *d, uint64_t off, uint64_t len, bool zero, bool unmap)
{
	struct qcow2 *q = (struct qcow2 *)d;
	int r = 0;
	uint8_t *zbuf = NULL;
	pthread_mutex_lock(&q->lock);
	for (uint64_t done = 0; done < len && !r;) {
		uint64_t g = off + done, in = g & (q->cs - 1);
		uint64_t l = q->cs - in < len - done ? q->cs - in : len - done;
		done += l;
		bool whole = in == 0 && (l == q->cs || g + l == d->size); /* incl. a short tail cluster */
		if (whole && !zero) {
			/* discard: unallocated shows the backing file, so with one use the zero flag */
			if (!q->backing)
				r = set_entry(q, g, 0, false);
			else if (q->version == 3)
				r = set_entry(q, g, QC_OFLAG_ZERO, false);
			continue; /* v2 with a backing file: discard is only advisory */
		}
		if (whole && q->version == 3) {
			r = set_entry(q, g, QC_OFLAG_ZERO, !unmap);
			continue;
		}
		if (whole && !q->backing) {
			r = set_entry(q, g, 0, false);
			continue;
		}
		if (!zero)
			continue; /* partial clusters are not discarded */
		uint64_t l2e;
		if ((r = lookup(q, g, &l2e)) < 0 || reads_zero(q, l2e, g))
			continue;
		if (!zbuf && !(zbuf = calloc(1, q->cs))) {
			r = -ENOMEM;
			break;
		}
		struct iovec v = { zbuf, (size_t)l };
		r = qc_write_piece(q, g, &v, 1, 0, (size_t)l);
	}
	if (!r && q->npending > 1024)
		r = qc_meta_flush(q);
	pthread_mutex_unlock(&q->lock);
	free(zbuf);
	return r;
}

static int qc_discard(struct disk *d, uint64_t off, uint64_t len)
{
	return zero_or_discard(d, off, len, false, true);
}

static int qc_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool may_unmap)
{
	return zero_or_discard(d, off, len, true, may_unmap);
}

static int qc_block_status(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum)
{
	struct qcow2 *q = (struct qcow2 *)d;
	int st = -1;
	uint64_t done = 0;
	pthread_mutex_lock(&q->lock);
	while (done < len) {
		uint64_t g = off + done, l2e, in = g & (q->cs - 1);
		uint64_t l = q->cs - in < len - done ? q->cs - in : len - done;
		int r = lookup(q, g, &l2e), s;
		if (r < 0) {
			st = r;
			break;
		}
		if (l2e & QC_OFLAG_COMPRESSED)
			s = DISK_BS_DATA | DISK_BS_ALLOCATED;
		else if (q->version == 3 && (l2e & QC_OFLAG_ZERO))
			s = DISK_BS_ZERO | DISK_BS_ALLOCATED;
		else if (l2e & QC_OFFSET_MASK)
			s = DISK_BS_DATA | DISK_BS_ALLOCATED;
		else if (q->backing && g < q->backing->size)
			s = DISK_BS_DATA; /* whatever the backing file holds: let the caller read it */
		else
			s = DISK_BS_ZERO;
		if (st >= 0 && s != st)
			break;
		st = s;
		done += l;
	}
	pthread_mutex_unlock(&q->lock);
	*pnum = done;
	return st;
}

int qc_l1_grow(struct qcow2 *q, uint32_t new_size)
{
	uint64_t cap = ((uint64_t)q->l1_size * 8 + q->cs - 1) / q->cs * q->cs / 8;
	int r;
	if ((uint64_t)new_size * 8 > QC_MAX_L1_BYTES)
		return -EFBIG;
	if (new_size <= cap) { /* the table's clusters already have room */
		uint32_t be = htobe32(new_size);
		r = qc_write_header_field(q, 36, &be, 4);
		if (!r)
			r = dfile_sync(&q->f);
		if (!r)
			q->l1_size = new_size;
		return r;
	}
	uint64_t nclus = ((uint64_t)new_size * 8 + q->cs - 1) / q->cs, noff;
	uint64_t *nl1 = calloc(nclus * q->cs / 8, 8);
	if (!nl1)
		return -ENOMEM;
	memcpy(nl1, q->l1, (size_t)q->l1_size * 8);
	r = qc_alloc_clusters(q, nclus, &noff);
	if (!r)
		r = qc_write_table(q, noff, nl1, nclus * q->cs / 8);
	if (!r)
		r = qc_meta_flush(q);
	if (!r)
		r = qc_switch_table(q, 36, 0, (uint32_t)new_size, noff);
	if (r) {
		free(nl1);
		return r;
	}
	uint64_t old = q->l1_off, oldc = cap * 8 / q->cs;
	free(q->l1);
	q->l1 = nl1;
	q->l1_off = noff;
	q->l1_size = new_size;
	for (uint64_t i = 0; i < oldc && old && !r; i++)
		r = qc_update_refcount(q, old / q->cs + i, -1);
	return r;
}

static int qc_resize(struct disk *d, uint64_t size)
{
	struct qcow2 *q = (struct qcow2 *)d;
	if (size < d->size)
		return -ENOTSUP; /* shrinking would silently drop guest data */
	uint64_t span = q->cs * q->l2_entries;
	uint64_t need = (size + span - 1) / span;
	if (size > (1ull << 62) || need * 8 > QC_MAX_L1_BYTES)
		return -EFBIG;
	pthread_mutex_lock(&q->lock);
	int r = need > q->l1_size ? qc_l1_grow(q, (uint32_t)need) : 0;
	if (!r) {
		uint64_t be = htobe64(size);
		r = qc_write_header_field(q, 24, &be, 8);
	}
	if (!r)
		r = dfile_sync(&q->f);
	if (!r)
		d->size = size;
	pthread_mutex_unlock(&q->lock);
	return r;
}

const struct disk_ops qcow2_ops = {
	.readv = qc_readv,
	.writev = qc_writev,
	.flush = qc_flush,
	.discard = qc_discard,
	.write_zeroes = qc_write_zeroes,
	.resize = qc_resize,
	.block_status = qc_block_status,
	.close = qcow2_close_disk,
	.aio_submit = qc_aio_submit,
};
