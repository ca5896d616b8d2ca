// SPDX-License-Identifier: GPL-2.0-or-later
/* The request-queue loop, completion handling and drain shared by virtio-blk and virtio-scsi. */
#include "virtio/disk_queue.h"

#include <errno.h>
#include <sys/epoll.h>

#include "vmm/log.h"

void vdq_notify(struct vdq_dev *d, struct vdq *q)
{
	if (q->pushed) {
		q->pushed = 0;
		virtq_notify(virtio_dev_queue(d->vd, q->idx));
	}
}

void vdq_run(struct vdq_dev *d, struct vdq *q)
{
	struct virtio_dev *vd = d->vd;
	struct virtq *vq = virtio_dev_queue(vd, q->idx);
	unsigned done = 0;
	int r = 0;
	if (!d->aio)
		return; /* activation failed: the device NEEDS_RESET */
	q->starved = 0;
	for (;;) {
		/* no kicks while we drain: the guest keeps queueing without exits */
		virtq_disable_notify(vq);
		while (done < d->budget || !vd->io) {
			if (!d->ops->room(q)) {
				q->starved = 1;
				break;
			}
			if ((r = virtq_pop(vq, &d->chain)) <= 0)
				break;
			d->ops->start(d, q, vq, &d->chain);
			done++;
		}
		disk_aio_kick(d->aio); /* the whole batch in one submission */
		if (!vd->io) {
			disk_aio_drain(d->aio); /* nobody would reap completions later */
			if (q->starved) {
				q->starved = 0;
				continue;
			}
		}
		vdq_notify(d, q);
		if (q->starved)
			return; /* a completion frees a context and runs us again */
		if (done >= d->budget && vd->io) {
			virtio_dev_kick(vd, q->idx); /* other queues and devices first; kicks stay off */
			return;
		}
		if (r < 0 || !virtq_enable_notify(vq))
			return;
	}
}

/* Completions are waiting (I/O thread, vd->lock held). */
static void aio_ready(void *opaque, void *arg, int fd, uint32_t events)
{
	struct vdq_dev *d = arg;
	disk_aio_complete(d->aio);
	for (unsigned i = 0; i < d->nq; i++) {
		struct vdq *q = d->ops->queue(d, i);
		vdq_notify(d, q);
		if (q->starved && d->ops->room(q) && d->vd->activated && virtq_ready(virtio_dev_queue(d->vd, q->idx)))
			vdq_run(d, q);
	}
}

int vdq_activate(struct vdq_dev *d, unsigned depth)
{
	struct virtio_dev *vd = d->vd;
	int r;
	/* made here, on the thread that will submit to it (disk_aio belongs to one thread) */
	if (!d->aio && (r = disk_aio_create(&d->aio, depth)) < 0) {
		kv_err(r, "%s: disk request queue", vd->name);
		return r;
	}
	int fd = disk_aio_fd(d->aio);
	if (vd->io && fd >= 0 && !d->aio_watched) {
		if ((r = virtio_io_add_fd(vd, fd, EPOLLIN, aio_ready, d)) < 0) {
			kv_err(r, "%s: watching disk completions", vd->name);
			return r;
		}
		d->aio_watched = 1;
	}
	return 0;
}

void vdq_reset(struct vdq_dev *d)
{
	if (d->aio)
		disk_aio_drain(d->aio);
	for (unsigned i = 0; i < d->nq; i++) {
		struct vdq *q = d->ops->queue(d, i);
		q->starved = q->pushed = 0;
	}
}

void vdq_drain(struct vdq_dev *d)
{
	if (d->aio)
		disk_aio_drain(d->aio); /* completions push into the rings */
	for (unsigned i = 0; i < d->nq; i++)
		vdq_notify(d, d->ops->queue(d, i));
}

int vdq_quiesce(struct vdq_dev *d)
{
	vdq_drain(d);
	for (unsigned i = 0; i < d->nq; i++)
		if (d->ops->queue(d, i)->inflight)
			return -EBUSY;
	return 0;
}
