// SPDX-License-Identifier: GPL-2.0-or-later
/* The io_uring backend of disk_aio: one ring per context, completions signalled on a registered
 * eventfd, operations prepared as they come and sent to the kernel in one submission per batch.
 * Operations beyond the ring's size wait in a list and go out as slots free; short transfers are
 * resubmitted for the rest, and a read that meets the end of the file reads zeros there. */
#include "aio_int.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct aio_ring {
	struct io_uring ring;
	int efd;
	unsigned entries; /* operations the kernel may hold at once (never more than the SQ) */
	unsigned busy;    /* prepared or in the kernel */
	unsigned peak;
	unsigned waiting;
	struct aio_io *wait, *wait_tail;
};

int aio_ring_create(struct aio_ring **out, unsigned depth)
{
	struct aio_ring *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	if (depth > 4096)
		depth = 4096;
	int r = io_uring_queue_init(depth, &g->ring, 0);
	if (r < 0) {
		free(g);
		return r;
	}
	g->entries = g->ring.sq.ring_entries;
	g->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (g->efd < 0)
		r = -errno;
	else
		r = io_uring_register_eventfd(&g->ring, g->efd);
	if (r < 0) {
		if (g->efd >= 0)
			close(g->efd);
		io_uring_queue_exit(&g->ring);
		free(g);
		return r;
	}
	*out = g;
	return 0;
}

void aio_ring_destroy(struct aio_ring *g)
{
	if (!g)
		return;
	io_uring_queue_exit(&g->ring);
	close(g->efd);
	free(g);
}

int aio_ring_fd(const struct aio_ring *g) { return g->efd; }
unsigned aio_ring_busy(const struct aio_ring *g) { return g->busy + g->waiting; }
unsigned aio_ring_peak(const struct aio_ring *g) { return g->peak; }

static void prep(struct io_uring_sqe *sqe, struct aio_io *io)
{
	switch (io->op) {
	case DISK_OP_READ:
		io_uring_prep_readv(sqe, io->f->fd, io->iov, (unsigned)io->niov, io->off);
		break;
	case DISK_OP_WRITE:
		io_uring_prep_writev(sqe, io->f->fd, io->iov, (unsigned)io->niov, io->off);
		break;
	case DISK_OP_FLUSH:
		io_uring_prep_fsync(sqe, io->f->fd, IORING_FSYNC_DATASYNC);
		break;
	case DISK_OP_DISCARD:
	case DISK_OP_WRITE_ZEROES:
		io_uring_prep_fallocate(sqe, io->f->fd, io->mode, io->off, io->len);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
}

/* Moves waiting operations into free slots. */
static void fill(struct aio_ring *g)
{
	while (g->wait && g->busy < g->entries) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&g->ring);
		if (!sqe)
			break;
		struct aio_io *io = g->wait;
		g->wait = io->next;
		if (!g->wait)
			g->wait_tail = NULL;
		g->waiting--;
		io->next = NULL;
		prep(sqe, io);
		g->busy++;
	}
}

void aio_ring_add(struct aio_ring *g, struct aio_io *io)
{
	io->next = NULL;
	if (g->wait_tail)
		g->wait_tail->next = io;
	else
		g->wait = io;
	g->wait_tail = io;
	g->waiting++;
	fill(g);
}

void aio_ring_submit(struct aio_ring *g)
{
	fill(g);
	if (!io_uring_sq_ready(&g->ring))
		return;
	int r;
	do
		r = io_uring_submit(&g->ring);
	while (r == -EINTR || r == -EAGAIN);
	/* on other errors the entries stay queued and go out with the next submission */
	unsigned in_kernel = g->busy - io_uring_sq_ready(&g->ring);
	if (in_kernel > g->peak)
		g->peak = in_kernel;
}

/* Drops the first n bytes of what is still to do. */
static void advance(struct aio_io *io, size_t n)
{
	io->off += n;
	io->len -= n;
	while (io->niov && n >= io->iov->iov_len) {
		n -= io->iov->iov_len;
		io->iov++;
		io->niov--;
	}
	if (io->niov) {
		io->iov->iov_base = (char *)io->iov->iov_base + n;
		io->iov->iov_len -= n;
	}
}

/* Returns 1 when io must go around again, else its result. */
static int result(struct aio_io *io, int res)
{
	if ((res == -EINTR || res == -EAGAIN) && io->retries++ < 16)
		return 1;
	if (res < 0 || (io->op != DISK_OP_READ && io->op != DISK_OP_WRITE))
		return res;
	if (res == 0 && io->len) {
		if (io->op == DISK_OP_WRITE)
			return -EIO;
		for (int i = 0; i < io->niov; i++) /* past the end of the file: a sparse tail */
			memset(io->iov[i].iov_base, 0, io->iov[i].iov_len);
		io->len = 0;
	} else if ((uint64_t)res < io->len) {
		advance(io, (size_t)res);
		if (!io->f->direct || io->off % io->f->align == 0) {
			io->retries = 0;
			return 1;
		}
		if (io->op == DISK_OP_WRITE) /* O_DIRECT stopped mid-block: can't go on from there */
			return -EIO;
		for (int i = 0; i < io->niov; i++) /* an O_DIRECT read stops early only at the end */
			memset(io->iov[i].iov_base, 0, io->iov[i].iov_len);
		io->len = 0;
	} else {
		io->len = 0;
	}
	if (io->bounce && io->op == DISK_OP_READ)
		iov_from_buf(io->uiov, io->nuiov, io->uskip, io->bounce, io->blen);
	return 0;
}

unsigned aio_ring_reap(struct aio_ring *g, struct disk_aio *q, bool wait)
{
	uint64_t v;
	unsigned n = 0;
	ssize_t rd = read(g->efd, &v, sizeof(v)); /* reset it; EAGAIN is fine, the CQ decides */
	(void)rd;
	for (;;) {
		struct io_uring_cqe *cqe;
		int r = io_uring_peek_cqe(&g->ring, &cqe);
		if (r == -EAGAIN && wait && !n && g->busy) {
			aio_ring_submit(g);
			r = io_uring_wait_cqe(&g->ring, &cqe);
			if (r == -EINTR)
				continue;
		}
		if (r < 0)
			break;
		struct aio_io *io = io_uring_cqe_get_data(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&g->ring, cqe);
		g->busy--;
		n++;
		int ret = result(io, res);
		if (ret == 1)
			aio_ring_add(g, io);
		else
			aio_io_end(q, io, ret);
	}
	return n;
}
