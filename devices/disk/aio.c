// SPDX-License-Identifier: GPL-2.0-or-later
/* The synchronous backend of disk_aio: each request runs to completion inside disk_aio_submit
 * through the blocking calls of disk.h. It is the fallback where io_uring is missing and the
 * reference the asynchronous backend is tested against. */
#include "aio.h"

#include <errno.h>
#include <stdlib.h>

struct disk_aio {
	unsigned depth;
	unsigned inflight;
};

int disk_aio_create(struct disk_aio **out, unsigned depth)
{
	struct disk_aio *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->depth = depth ? depth : 1;
	*out = q;
	return 0;
}

void disk_aio_destroy(struct disk_aio *q)
{
	if (q)
		disk_aio_drain(q);
	free(q);
}

int disk_aio_fd(const struct disk_aio *q) { return -1; }

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

void disk_aio_submit(struct disk_aio *q, struct disk *d, struct disk_req *r)
{
	r->disk = d;
	q->inflight++;
	int ret = run_sync(d, r);
	q->inflight--;
	r->done(r, ret);
}

void disk_aio_kick(struct disk_aio *q) {}
unsigned disk_aio_complete(struct disk_aio *q) { return 0; }
unsigned disk_aio_drain(struct disk_aio *q) { return 0; }
unsigned disk_aio_inflight(const struct disk_aio *q) { return q->inflight; }
const char *disk_aio_backend(const struct disk_aio *q) { return "sync"; }
