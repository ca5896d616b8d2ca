/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asynchronous disk requests: how a controller (virtio-blk, virtio-scsi, IDE, AHCI) keeps many
 * requests in flight on one I/O thread without ever waiting for the disk.
 *
 * One `struct disk_aio` belongs to one thread (a controller's I/O thread): it is never shared, so it
 * needs no lock. The thread submits requests, calls disk_aio_kick() once per batch (one io_uring
 * submission for the whole batch), and when disk_aio_fd() becomes readable calls
 * disk_aio_complete(), which runs each finished request's `done` callback on that thread.
 *
 * Contract:
 *  - every disk_aio_submit() ends in exactly one `done` call, possibly before submit returns (a
 *    request refused up front, a format or a host without io_uring that completes synchronously);
 *  - completions come in any order, as virtio and AHCI allow;
 *  - a FLUSH completes only after every WRITE/DISCARD/WRITE_ZEROES submitted before it on the same
 *    disk_aio has completed, and then covers them (the disk layer holds it back until they are done);
 *  - iov buffers must stay valid until `done` runs; the request struct too;
 *  - requests past the end of the disk fail with -EINVAL, writes to a read-only disk with -EROFS,
 *    exactly as the synchronous calls in disk.h do; a write that disk_write_guard refuses (a probed
 *    raw image getting a format header) gets -EPERM;
 *  - destroy (or drain) every disk_aio that used a disk before disk_close; qcow2 snapshot calls
 *    wait until no data I/O is in flight, so make them from a thread whose disk_aio is drained or
 *    that keeps completing.
 *
 * Backends: io_uring (aio_uring.c) where the kernel allows it, one ring of `depth` entries per
 * context with its completions signalled on an eventfd; else, or when the environment has
 * KVMINI_AIO=sync, the synchronous one (every request completes inside submit, one log line says
 * so). Formats without an asynchronous path (and the parts of qcow2 that touch metadata) complete
 * inside submit on either. A network disk (nbd) is asynchronous on both: its socket joins the
 * context's epoll, which is what disk_aio_fd returns (the ring's eventfd is on it too), and its
 * replies are read on the owning thread when that fd is readable. A drain waits for them at most
 * 30 s (disk_aio_set_stall) between replies; then the connection is given up and its requests fail. */
#ifndef KVMINI_DISK_AIO_H
#define KVMINI_DISK_AIO_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/disk/disk.h"

enum disk_op { DISK_OP_READ, DISK_OP_WRITE, DISK_OP_FLUSH, DISK_OP_DISCARD, DISK_OP_WRITE_ZEROES };

struct disk_aio;
struct disk_req;
typedef void (*disk_done_fn)(struct disk_req *r, int ret); /* ret: 0 or -errno */

struct disk_req {
	/* --- filled by the caller --- */
	enum disk_op op;
	uint64_t off;            /* bytes */
	const struct iovec *iov; /* READ/WRITE */
	int niov;
	uint64_t len;   /* bytes: READ/WRITE the iov total, DISCARD/WRITE_ZEROES the range */
	bool may_unmap; /* WRITE_ZEROES */
	disk_done_fn done;
	void *opaque; /* the caller's */
	/* --- private to the disk layer --- */
	struct disk *disk;
	struct disk_req *next; /* held flushes, format-internal lists */
	int pending;           /* sub-operations still outstanding */
	int err;               /* first error among them */
	void *priv;            /* format / backend state */
	uint64_t seq;          /* flush ordering: flushes submitted before this request */
};

/* depth: how many requests may be in flight (a queue's size); more are queued inside. */
int disk_aio_create(struct disk_aio **out, unsigned depth);
/* Waits for every request in flight (their done callbacks run), then frees. NULL is fine. */
void disk_aio_destroy(struct disk_aio *q);
/* Readable (EPOLLIN) when completions are waiting (an epoll fd: watch it, don't read it). */
int disk_aio_fd(const struct disk_aio *q);
void disk_aio_submit(struct disk_aio *q, struct disk *d, struct disk_req *r);
/* Hands everything submitted since the last kick to the kernel: one syscall per batch. */
void disk_aio_kick(struct disk_aio *q);
/* Runs the done callbacks of finished requests; returns how many. Never blocks. */
unsigned disk_aio_complete(struct disk_aio *q);
/* Blocks until nothing is in flight (device reset, snapshot, teardown); returns how many completed. */
unsigned disk_aio_drain(struct disk_aio *q);
unsigned disk_aio_inflight(const struct disk_aio *q);
/* How long a drain waits for a network disk that answers nothing before it gives the connection
 * up (its requests then fail); <= 0 restores the default, 30 s. */
void disk_aio_set_stall(struct disk_aio *q, int ms);
/* The most file operations this context had in the kernel at once (0 on sync; tests, --stats). */
unsigned disk_aio_peak(const struct disk_aio *q);
/* "io_uring" or "sync": what this context uses (for logs and --stats). */
const char *disk_aio_backend(const struct disk_aio *q);

#endif
