// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 through disk_aio: the image mutex is held only to map guest offsets to host clusters;
 * reads of allocated clusters and overwrites of clusters this image owns alone (COPIED) then go
 * to io_uring at their host offsets without it. Everything that touches metadata stays serialised
 * and synchronous inside submit, with today's crash ordering: allocating and copy-on-write writes,
 * zero/discard, compressed clusters and backing-file reads. The host clusters of data I/O in
 * flight are pinned: a pending free waits for them (qc_apply_pending) and snapshots wait until
 * none is left (qc_wait_unpinned), so no cluster is reused or shared under an I/O. */
#include "aio_int.h"
#include "qcow2_int.h"

#include <errno.h>
#include <stdlib.h>

static struct qc_pin *find_pin(const struct qcow2 *q, uint64_t cl)
{
	for (uint32_t i = 0; i < q->npins; i++)
		if (q->pins[i].cl == cl)
			return &q->pins[i];
	return NULL;
}

bool qc_pinned(const struct qcow2 *q, uint64_t host_off)
{
	return find_pin(q, host_off / q->cs) != NULL;
}

static int pin(struct qcow2 *q, uint64_t host_off)
{
	struct qc_pin *p = find_pin(q, host_off / q->cs);
	if (p) {
		p->n++;
		return 0;
	}
	if (q->npins == q->cap_pins) {
		uint32_t nc = q->cap_pins ? q->cap_pins * 2 : 64;
		struct qc_pin *np = realloc(q->pins, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		q->pins = np;
		q->cap_pins = nc;
	}
	q->pins[q->npins++] = (struct qc_pin){ host_off / q->cs, 1 };
	return 0;
}

static void unpin(struct qcow2 *q, uint64_t host_off)
{
	struct qc_pin *p = find_pin(q, host_off / q->cs);
	if (!p || --p->n)
		return;
	*p = q->pins[--q->npins];
	if (!q->npins)
		pthread_cond_broadcast(&q->unpinned);
}

void qc_wait_unpinned(struct qcow2 *q)
{
	while (q->npins)
		pthread_cond_wait(&q->unpinned, &q->lock);
}

/* fini of a data I/O: each piece of a run pinned one cluster (pieces lie in distinct clusters) */
static int unpin_run(struct aio_io *io, int ret)
{
	struct qcow2 *q = io->fini_arg;
	pthread_mutex_lock(&q->lock);
	uint64_t first = io->tag & ~(q->cs - 1);
	for (uint64_t c = first; c < io->tag + io->len0; c += q->cs)
		unpin(q, c);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

/* Host-contiguous pieces of one request, to issue once the mutex is released. */
struct run {
	uint64_t host;
	size_t skip, len;
};
struct runs {
	struct run *v, inl[8];
	size_t n, cap;
};

static int add_run(struct qcow2 *q, struct runs *rs, uint64_t host, size_t skip, size_t len)
{
	int r = pin(q, host);
	if (r < 0)
		return r;
	struct run *last = rs->n ? &rs->v[rs->n - 1] : NULL;
	if (last && last->host + last->len == host && last->skip + last->len == skip) {
		last->len += len;
		return 0;
	}
	if (rs->n == rs->cap) {
		size_t nc = rs->cap * 2;
		struct run *nv = rs->v == rs->inl ? malloc(nc * sizeof(*nv))
		                                  : realloc(rs->v, nc * sizeof(*nv));
		if (!nv) {
			unpin(q, host);
			return -ENOMEM;
		}
		if (rs->v == rs->inl)
			for (size_t i = 0; i < rs->n; i++)
				nv[i] = rs->inl[i];
		rs->v = nv;
		rs->cap = nc;
	}
	rs->v[rs->n++] = (struct run){ host, skip, len };
	return 0;
}

/* May [g, g+len) go straight to its host cluster? *host is where. */
static bool direct_ok(struct qcow2 *q, uint64_t g, bool wr, uint64_t *host, int *err)
{
	uint64_t l1i = g / q->cs / q->l2_entries, l2e = 0;
	struct qc_cent *e;
	*err = qc_l2_get(q, l1i, false, &e);
	if (*err < 0 || !e)
		return false;
	l2e = qc_be64(e->buf, g / q->cs % q->l2_entries);
	uint64_t off = l2e & QC_OFFSET_MASK;
	if (!off || (l2e & (QC_OFLAG_COMPRESSED | QC_L2_RESERVED | QC_OFLAG_ZERO)) ||
	    qc_bad_host(q, off))
		return false; /* the synchronous path handles (or refuses) it */
	/* an overwrite in place needs a cluster and a table nobody else shares */
	if (wr && (!(l2e & QC_OFLAG_COPIED) || !(q->l1[l1i] & QC_OFLAG_COPIED)))
		return false;
	*host = off + (g & (q->cs - 1));
	return true;
}

static void rw(struct qcow2 *q, struct disk_aio *aq, struct disk_req *r, bool wr)
{
	size_t len = iov_size(r->iov, r->niov);
	struct runs rs = { .v = rs.inl, .cap = 8 };
	int err = 0;
	pthread_mutex_lock(&q->lock);
	for (size_t done = 0; done < len && !err;) {
		uint64_t g = r->off + done, host;
		size_t l = (size_t)(q->cs - (g & (q->cs - 1)));
		if (l > len - done)
			l = len - done;
		if (direct_ok(q, g, wr, &host, &err))
			err = add_run(q, &rs, host, done, l);
		else if (!err && wr)
			err = qc_write_piece(q, g, r->iov, r->niov, done, l);
		else if (!err) {
			uint64_t l2e = 0;
			struct qc_cent *e;
			err = qc_l2_get(q, g / q->cs / q->l2_entries, false, &e);
			if (!err && e)
				l2e = qc_be64(e->buf, g / q->cs % q->l2_entries);
			if (!err)
				err = qc_read_entry(q, l2e, g, r->iov, r->niov, done, l);
		}
		done += l;
	}
	if (!err && wr && q->npending > 1024) /* as qc_writev: deferred frees don't pile up */
		err = qc_meta_flush(q);
	pthread_mutex_unlock(&q->lock);
	aio_req_err(r, err);
	/* what was mapped goes out even after an error: its clusters are pinned */
	for (size_t i = 0; i < rs.n; i++)
		aio_file_rw(aq, r, &q->f, r->op, rs.v[i].host, r->iov, r->niov, rs.v[i].skip,
		            rs.v[i].len, unpin_run, q, rs.v[i].host);
	if (rs.v != rs.inl)
		free(rs.v);
}

void qc_aio_submit(struct disk *d, struct disk_aio *aq, struct disk_req *r)
{
	struct qcow2 *q = (struct qcow2 *)d;
	int err;
	switch (r->op) {
	case DISK_OP_READ:
	case DISK_OP_WRITE:
		rw(q, aq, r, r->op == DISK_OP_WRITE);
		break;
	case DISK_OP_FLUSH:
		/* every write before it has completed (aio.c): metadata out, then one fdatasync */
		pthread_mutex_lock(&q->lock);
		err = qc_meta_flush(q);
		pthread_mutex_unlock(&q->lock);
		if (err)
			aio_req_err(r, err);
		else
			aio_file_op(aq, r, &q->f, DISK_OP_FLUSH, 0, 0, 0, NULL);
		break;
	case DISK_OP_DISCARD:
		aio_req_err(r, d->ops->discard(d, r->off, r->len));
		break;
	case DISK_OP_WRITE_ZEROES:
		aio_req_err(r, d->ops->write_zeroes(d, r->off, r->len, r->may_unmap));
		break;
	}
}
