/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Between disk_aio and the image formats: a format turns a disk_req into operations on its image
 * file (struct aio_io), which the io_uring backend runs, and does the rest of the request (metadata,
 * zeros, compressed clusters) itself inside submit. The request completes when its last part does. */
#ifndef KVMINI_AIO_INT_H
#define KVMINI_AIO_INT_H
#include "aio.h"
#include "disk_int.h"

struct aio_io;
/* Runs when the file operation ends (before the request is accounted); may replace ret. */
typedef int (*aio_fini_fn)(struct aio_io *io, int ret);

/* One operation on one image file. */
struct aio_io {
	struct disk_req *req;
	struct dfile *f;
	enum disk_op op; /* READ, WRITE, FLUSH = fdatasync, DISCARD/WRITE_ZEROES = fallocate(mode) */
	int mode;        /* fallocate mode */
	uint64_t off;    /* file offset of what is still to do */
	uint64_t len;    /* bytes still to do */
	struct iovec *iov; /* what is still to do: a private copy, advanced on short transfers */
	int niov;
	struct iovec *iov_mem; /* iov's allocation when it isn't inl */
	uint8_t *bounce;   /* O_DIRECT with unaligned buffers: the aligned copy */
	size_t blen;
	const struct iovec *uiov; /* where a bounced read goes back to */
	int nuiov;
	size_t uskip;
	aio_fini_fn fini;
	void *fini_arg;
	uint64_t tag;  /* the format's (qcow2: file offset where its pinned clusters start) */
	uint64_t len0; /* the length asked for */
	int retries;
	struct aio_io *next;
	struct iovec inl[4];
};

/* Formats: a part of r that failed (0 is ignored); the request reports the first. */
static inline void aio_req_err(struct disk_req *r, int err)
{
	if (err && !r->err)
		r->err = err;
}
/* Queues a read or write of [skip, skip+len) of iov at file offset off as part of r; fini (may be
 * NULL) runs when it ends. An O_DIRECT range that isn't block aligned is done synchronously here
 * (dfile's read-modify-write), fini included. Failures go to r. */
void aio_file_rw(struct disk_aio *q, struct disk_req *r, struct dfile *f, enum disk_op op,
                 uint64_t off, const struct iovec *iov, int n, size_t skip, size_t len,
                 aio_fini_fn fini, void *fini_arg, uint64_t tag);
/* fdatasync (nothing with cache=unsafe) or fallocate(mode, off, len), as part of r. */
void aio_file_op(struct disk_aio *q, struct disk_req *r, struct dfile *f, enum disk_op op, int mode,
                 uint64_t off, uint64_t len, aio_fini_fn fini);

/* aio.c, for the ring: an operation ended with ret (0 or -errno); frees io. */
void aio_io_end(struct disk_aio *q, struct aio_io *io, int ret);

/* Parts of a request that a format runs itself, outside the ring (a network disk's commands):
 * begin before issuing one, end (on q's thread) when it is over. */
static inline void aio_part_begin(struct disk_req *r)
{
	r->pending++;
}
void aio_part_end(struct disk_aio *q, struct disk_req *r, int ret);

/* A source of completions other than the ring: a socket a format drives itself. It is watched on
 * the context's epoll (the fd disk_aio_fd returns), so the thread that owns the context runs it
 * when its fd is ready; a source is on at most one context at a time. */
struct aio_src {
	int fd;
	uint32_t events; /* EPOLLIN | EPOLLOUT as the source wants them now; 0 = none */
	/* fd is ready with revents; revents 0: a drain saw nothing for the stall time (give up) */
	void (*ready)(struct aio_src *s, uint32_t revents);
	unsigned (*busy)(const struct aio_src *s); /* parts outstanding */
	struct disk_aio *q; /* the context it is on, NULL when on none */
	struct aio_src *next;
};
#define AIO_STALL_MS 30000 /* the default of disk_aio_set_stall */
int aio_src_attach(struct disk_aio *q, struct aio_src *s); /* -EBUSY if on another context */
void aio_src_watch(struct aio_src *s, uint32_t events);     /* what to wait for now */
void aio_src_detach(struct aio_src *s);                      /* NULL q is fine */

/* aio_uring.c: the ring of one context. */
struct aio_ring;
int aio_ring_create(struct aio_ring **out, unsigned depth);
void aio_ring_destroy(struct aio_ring *g);
int aio_ring_fd(const struct aio_ring *g);
void aio_ring_add(struct aio_ring *g, struct aio_io *io); /* sent at the next aio_ring_submit */
void aio_ring_submit(struct aio_ring *g);
/* Ends finished operations through aio_io_end; with wait, blocks for at least one if any is
 * outstanding. Returns how many ended. */
unsigned aio_ring_reap(struct aio_ring *g, struct disk_aio *q, bool wait);
unsigned aio_ring_busy(const struct aio_ring *g); /* operations in the kernel or waiting for it */
unsigned aio_ring_peak(const struct aio_ring *g);  /* the most that were in the kernel at once */

#endif
