// SPDX-License-Identifier: GPL-2.0-or-later
/* disk_aio: request accounting shared by both backends (checks, flush ordering, completion
 * delivery) and the synchronous backend, where each request runs to completion inside
 * disk_aio_submit through the blocking calls of disk.h. The synchronous backend is the fallback
 * where io_uring is missing and the reference the asynchronous one is tested against. */
#include "aio_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "vmm/log.h"

struct disk_aio {
	unsigned depth;
	unsigned inflight;     /* requests submitted whose done has not run */
	struct aio_ring *ring; /* NULL: synchronous */
	int ep;                /* epoll over the ring's eventfd and the sources: disk_aio_fd */
	struct aio_src *srcs;  /* network disks driving their own sockets */
	int stall_ms;          /* how long a drain waits for a silent source */
	uint64_t nflush;       /* flushes submitted so far */
	unsigned wout;         /* writes (and discards, zeroings) not yet complete */
	struct disk_req *held, *held_tail; /* flushes waiting for earlier writes, oldest first */
	struct disk_req *fin, *fin_tail;   /* complete, done not yet called */
	unsigned delivering;
};

int disk_aio_create(struct disk_aio **out, unsigned depth)
{
	struct disk_aio *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->depth = depth ? depth : 1;
	q->stall_ms = AIO_STALL_MS;
	q->ep = epoll_create1(EPOLL_CLOEXEC);
	if (q->ep < 0) {
		int e = -errno;
		free(q);
		return e;
	}
	const char *env = getenv("KVMINI_AIO");
	if (env && !strcmp(env, "sync")) {
		kv_log("disk: KVMINI_AIO=sync: disk requests complete synchronously");
	} else {
		int r = aio_ring_create(&q->ring, q->depth);
		if (r < 0) {
			q->ring = NULL;
			kv_err(r, "disk: io_uring unavailable, disk requests complete synchronously");
		}
	}
	/* data NULL: the ring, reaped by every completion run */
	struct epoll_event ev = { .events = EPOLLIN };
	if (q->ring && epoll_ctl(q->ep, EPOLL_CTL_ADD, aio_ring_fd(q->ring), &ev) < 0) {
		int e = -errno;
		aio_ring_destroy(q->ring);
		close(q->ep);
		free(q);
		return e;
	}
	*out = q;
	return 0;
}

void disk_aio_destroy(struct disk_aio *q)
{
	if (!q)
		return;
	disk_aio_drain(q);
	while (q->srcs)
		aio_src_detach(q->srcs);
	aio_ring_destroy(q->ring);
	close(q->ep);
	free(q);
}

int disk_aio_fd(const struct disk_aio *q)
{
	return q->ep;
}

static bool is_write(enum disk_op op)
{
	return op == DISK_OP_WRITE || op == DISK_OP_DISCARD || op == DISK_OP_WRITE_ZEROES;
}

static int run_sync(struct disk *d, struct disk_req *r)
{
	switch (r->op) {
	case DISK_OP_READ:
		return disk_readv(d, r->off, r->iov, r->niov);
	case DISK_OP_WRITE:
		return disk_writev(d, r->off, r->iov, r->niov);
	case DISK_OP_FLUSH:
		return disk_flush(d);
	case DISK_OP_DISCARD:
		return disk_discard(d, r->off, r->len);
	case DISK_OP_WRITE_ZEROES:
		return disk_write_zeroes(d, r->off, r->len, r->may_unmap);
	}
	return -EINVAL;
}

/* What disk.h's entry points refuse before any I/O, so both backends refuse the same. */
static int check(struct disk *d, struct disk_req *r)
{
	uint64_t len = r->op == DISK_OP_READ || r->op == DISK_OP_WRITE ? iov_size(r->iov, r->niov)
	                                                               : r->len;
	if (r->op > DISK_OP_WRITE_ZEROES)
		return -EINVAL;
	if (is_write(r->op) && d->read_only)
		return -EROFS;
	if (r->op != DISK_OP_FLUSH && (r->off > d->size || len > d->size - r->off))
		return -EINVAL;
	if (r->op == DISK_OP_WRITE)
		return disk_write_guard(d, r->off, r->iov, r->niov, len);
	return 0;
}

static void deliver(struct disk_aio *q, unsigned *count)
{
	while (q->fin) {
		struct disk_req *r = q->fin;
		q->fin = r->next;
		if (!q->fin)
			q->fin_tail = NULL;
		r->next = NULL;
		q->inflight--;
		(*count)++;
		r->done(r, r->err);
	}
}

static void dispatch(struct disk_aio *q, struct disk_req *r);

static void to_deliver(struct disk_aio *q, struct disk_req *r)
{
	r->next = NULL;
	if (q->fin_tail)
		q->fin_tail->next = r;
	else
		q->fin = r;
	q->fin_tail = r;
}

static void finish(struct disk_aio *q, struct disk_req *r)
{
	to_deliver(q, r);
	if (!is_write(r->op))
		return;
	q->wout--;
	/* every held flush submitted after this write counted it */
	for (struct disk_req *f = q->held; f; f = f->next)
		if (f->seq >= r->seq)
			f->pending--;
	/* a later flush waits for a superset of what an earlier one waits for: release in order */
	while (q->held && q->held->pending == 0) {
		struct disk_req *f = q->held;
		q->held = f->next;
		if (!q->held)
			q->held_tail = NULL;
		dispatch(q, f);
	}
}

/* Drops one reference to r's parts; the last one completes it. */
static void put(struct disk_aio *q, struct disk_req *r)
{
	if (--r->pending == 0)
		finish(q, r);
}

static void dispatch(struct disk_aio *q, struct disk_req *r)
{
	struct disk *d = r->disk;
	r->pending = 1; /* held by us until the format has queued all its parts */
	r->err = 0;
	if ((q->ring || d->ops->aio_no_ring) && d->ops->aio_submit)
		d->ops->aio_submit(d, q, r);
	else
		aio_req_err(r, run_sync(d, r));
	put(q, r);
}

void disk_aio_submit(struct disk_aio *q, struct disk *d, struct disk_req *r)
{
	unsigned n = 0;
	r->disk = d;
	r->next = NULL;
	r->priv = NULL;
	q->inflight++;
	int e = check(d, r);
	if (e || (r->op == DISK_OP_FLUSH && d->read_only)) {
		r->pending = 0;
		r->err = e;
		to_deliver(q, r); /* never counted as an outstanding write */
		goto out;
	}
	r->seq = q->nflush;
	if (is_write(r->op))
		q->wout++;
	if (r->op == DISK_OP_FLUSH) {
		q->nflush++;
		if (q->wout) {
			r->pending = (int)q->wout;
			if (q->held_tail)
				q->held_tail->next = r;
			else
				q->held = r;
			q->held_tail = r;
			goto out;
		}
	}
	dispatch(q, r);
out:
	if (!q->delivering) /* inside a done callback, the outer delivery loop runs it */
		deliver(q, &n);
}

void disk_aio_kick(struct disk_aio *q)
{
	if (q->ring)
		aio_ring_submit(q->ring);
}

static bool srcs_busy(const struct disk_aio *q)
{
	for (const struct aio_src *s = q->srcs; s; s = s->next)
		if (s->busy(s))
			return true;
	return false;
}

/* Runs the sources whose fds are ready; with wait, waits up to stall_ms for one (or the ring),
 * and tells the busy sources when that passed with nothing. */
static void poll_srcs(struct disk_aio *q, bool wait)
{
	struct epoll_event ev[16];
	int n = epoll_wait(q->ep, ev, 16, wait ? q->stall_ms : 0);
	for (int i = 0; i < n; i++)
		if (ev[i].data.ptr) {
			struct aio_src *s = ev[i].data.ptr;
			s->ready(s, ev[i].events);
		}
	if (n == 0 && wait)
		for (struct aio_src *s = q->srcs, *next; s; s = next) {
			next = s->next; /* ready may detach s */
			if (s->busy(s))
				s->ready(s, 0);
		}
}

static unsigned run_completions(struct disk_aio *q, bool wait)
{
	unsigned n = 0;
	q->delivering++;
	if (q->srcs) { /* the ring is one of the epoll's fds: wait for either, then reap both */
		if (wait && q->ring)
			aio_ring_submit(q->ring);
		poll_srcs(q, wait);
		wait = false;
	}
	if (q->ring) {
		aio_ring_reap(q->ring, q, wait);
		aio_ring_submit(q->ring); /* resubmissions, and what waited for a free slot */
	}
	deliver(q, &n);
	q->delivering--;
	return n;
}

unsigned disk_aio_complete(struct disk_aio *q)
{
	return run_completions(q, false);
}

unsigned disk_aio_drain(struct disk_aio *q)
{
	unsigned n = 0;
	while (q->inflight && ((q->ring && aio_ring_busy(q->ring)) || srcs_busy(q)))
		n += run_completions(q, true);
	return n;
}

unsigned disk_aio_inflight(const struct disk_aio *q) { return q->inflight; }
void disk_aio_set_stall(struct disk_aio *q, int ms) { q->stall_ms = ms > 0 ? ms : AIO_STALL_MS; }
const char *disk_aio_backend(const struct disk_aio *q) { return q->ring ? "io_uring" : "sync"; }
unsigned disk_aio_peak(const struct disk_aio *q) { return q->ring ? aio_ring_peak(q->ring) : 0; }

/* --- for the formats --- */

void aio_io_end(struct disk_aio *q, struct aio_io *io, int ret)
{
	struct disk_req *r = io->req;
	if (io->fini)
		ret = io->fini(io, ret);
	aio_req_err(r, ret);
	free(io->iov_mem);
	free(io->bounce);
	free(io);
	put(q, r);
}

void aio_part_end(struct disk_aio *q, struct disk_req *r, int ret)
{
	aio_req_err(r, ret);
	put(q, r);
}

int aio_src_attach(struct disk_aio *q, struct aio_src *s)
{
	if (s->q)
		return s->q == q ? 0 : -EBUSY;
	struct epoll_event ev = { .events = s->events, .data.ptr = s };
	if (epoll_ctl(q->ep, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		return -errno;
	s->q = q;
	s->next = q->srcs;
	q->srcs = s;
	return 0;
}

void aio_src_watch(struct aio_src *s, uint32_t events)
{
	if (events == s->events)
		return;
	s->events = events;
	struct epoll_event ev = { .events = events, .data.ptr = s };
	if (s->q)
		epoll_ctl(s->q->ep, EPOLL_CTL_MOD, s->fd, &ev); /* only fails for a bad fd: nothing to do */
}

void aio_src_detach(struct aio_src *s)
{
	struct disk_aio *q = s->q;
	if (!q)
		return;
	epoll_ctl(q->ep, EPOLL_CTL_DEL, s->fd, NULL);
	for (struct aio_src **p = &q->srcs; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	s->q = NULL;
	s->next = NULL;
}

static struct aio_io *io_new(struct disk_req *r, struct dfile *f, enum disk_op op, int n)
{
	struct aio_io *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	io->iov = io->inl;
	if (n > 4 && !(io->iov = io->iov_mem = calloc((size_t)n, sizeof(struct iovec)))) {
		free(io);
		return NULL;
	}
	io->req = r;
	io->f = f;
	io->op = op;
	return io;
}

void aio_file_rw(struct disk_aio *q, struct disk_req *r, struct dfile *f, enum disk_op op,
                 uint64_t off, const struct iovec *iov, int n, size_t skip, size_t len,
                 aio_fini_fn fini, void *fini_arg, uint64_t tag)
{
	bool wr = op == DISK_OP_WRITE;
	bool edge = f->direct && (off % f->align || len % f->align);
	struct aio_io *io = edge ? NULL : io_new(r, f, op, n);
	if (!io) { /* unaligned O_DIRECT range (or no memory): the synchronous path bounces it */
		struct aio_io tmp = { .req = r, .f = f, .op = op, .off = off, .len = len,
			                  .fini_arg = fini_arg, .tag = tag, .len0 = len };
		int ret = -ENOMEM;
		struct iovec *v = calloc((size_t)n, sizeof(*v));
		if (v)
			ret = wr ? dfile_pwritev(f, v, iov_slice(iov, n, skip, len, v), off)
			         : dfile_preadv(f, v, iov_slice(iov, n, skip, len, v), off);
		free(v);
		aio_req_err(r, fini ? fini(&tmp, ret) : ret);
		return;
	}
	io->off = off;
	io->len = io->len0 = len;
	io->fini = fini;
	io->fini_arg = fini_arg;
	io->tag = tag;
	io->niov = iov_slice(iov, n, skip, len, io->iov);
	if (f->direct && !dfile_iov_aligned(f, io->iov, io->niov, off)) {
		io->bounce = dfile_alloc(len);
		if (!io->bounce) {
			aio_req_err(r, fini ? fini(io, -ENOMEM) : -ENOMEM);
			free(io->iov_mem);
			free(io);
			return;
		}
		if (wr)
			iov_to_buf(iov, n, skip, io->bounce, len);
		io->uiov = iov;
		io->nuiov = n;
		io->uskip = skip;
		io->blen = len;
		io->iov[0] = (struct iovec){ io->bounce, len };
		io->niov = 1;
	}
	r->pending++;
	aio_ring_add(q->ring, io);
}

void aio_file_op(struct disk_aio *q, struct disk_req *r, struct dfile *f, enum disk_op op, int mode,
                 uint64_t off, uint64_t len, aio_fini_fn fini)
{
	if (op == DISK_OP_FLUSH && f->cache == DISK_CACHE_UNSAFE)
		return;
	struct aio_io *io = io_new(r, f, op, 0);
	if (!io) {
		aio_req_err(r, -ENOMEM);
		return;
	}
	io->mode = mode;
	io->off = off;
	io->len = len;
	io->fini = fini;
	r->pending++;
	aio_ring_add(q->ring, io);
}
