/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The request-queue machinery virtio's disk devices (virtio-blk, virtio-scsi) share: per kick, the
 * chains of a queue become requests in the device's own contexts (up to the queue size in flight,
 * at most `budget` chains per turn before the queue requeues itself), their disk requests go to one
 * disk_aio per device as one batch, and completions are answered with one interrupt per batch.
 * A queue that runs out of contexts stops popping ("starved") until a completion frees one.
 * Everything runs on the device's I/O thread under vd->lock. */
#ifndef KVMINI_VIRTIO_DISK_QUEUE_H
#define KVMINI_VIRTIO_DISK_QUEUE_H
#include <stdbool.h>

#include "devices/disk/aio.h"
#include "virtio/queue.h"

struct vdq;
struct vdq_dev;

/* One request queue, embedded in the device's queue state. */
struct vdq {
	unsigned idx;      /* virtqueue index */
	unsigned inflight; /* contexts in use: the device counts them */
	int starved;       /* stopped popping for want of a context */
	int pushed;        /* used entries pushed since the last notify (the device sets it) */
};

struct vdq_ops {
	bool (*room)(struct vdq *q); /* a request context is free */
	/* starts the request in c (answered at once, or submitted to d->aio) */
	void (*start)(struct vdq_dev *d, struct vdq *q, struct virtq *vq, const struct virtq_chain *c);
	struct vdq *(*queue)(struct vdq_dev *d, unsigned i); /* request queue i of nq */
};

/* Embedded in the device. */
struct vdq_dev {
	struct virtio_dev *vd;
	const struct vdq_ops *ops;
	unsigned nq;
	unsigned budget;
	struct disk_aio *aio; /* made on the I/O thread at the first activation */
	int aio_watched;
	struct virtq_chain chain; /* pop scratch: requests keep only what they need */
};

/* handle_queue for request queue q. */
void vdq_run(struct vdq_dev *d, struct vdq *q);
/* The interrupt for what q pushed since the last one (if the driver wants it). */
void vdq_notify(struct vdq_dev *d, struct vdq *q);
/* activate: the disk_aio (depth requests) and its completion watch. */
int vdq_activate(struct vdq_dev *d, unsigned depth);
/* reset / queue_stop: waits for every request in flight (their answers go nowhere). */
void vdq_reset(struct vdq_dev *d);
/* Lets every request in flight finish and notifies; quiesce returns -EBUSY if any is left. */
void vdq_drain(struct vdq_dev *d);
int vdq_quiesce(struct vdq_dev *d);

#endif
