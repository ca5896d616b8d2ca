// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio on top of the device-agnostic I/O thread: queue kicks, the control bell, device fds. */
#include "iothread.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "virtio/queue.h"

struct virtio_io {
	struct virtio_dev *vd;
	struct iothread *t;
	int ctlfd;
	int kickfd[VIRTIO_MAX_QUEUES];
};

/* Both run on the thread with vd->lock held. */
static void on_kick(void *opaque, void *arg, int fd, uint32_t events)
{
	struct virtio_dev *vd = opaque;
	unsigned q = (unsigned)(uintptr_t)arg;
	iothread_bell_drain(fd);
	virtio_dev_sync(vd);
	if (vd->activated && virtq_ready(&vd->vq[q]))
		vd->ops->handle_queue(vd, q);
}

static void on_ctl(void *opaque, void *arg, int fd, uint32_t events)
{
	iothread_bell_drain(fd);
	virtio_dev_sync(opaque);
}

int virtio_io_create(struct virtio_dev *vd)
{
	struct virtio_io *io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->vd = vd;
	io->ctlfd = -1;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		io->kickfd[q] = -1;
	int r = iothread_create(&io->t, vd->name, &vd->lock);
	if (r < 0)
		goto fail;
	if ((r = io->ctlfd = iothread_bell_open()) < 0 ||
	    (r = iothread_watch(io->t, io->ctlfd, EPOLLIN, on_ctl, vd, NULL)) < 0)
		goto fail;
	for (unsigned q = 0; q < vd->num_queues; q++)
		if ((r = io->kickfd[q] = iothread_bell_open()) < 0 ||
		    (r = iothread_watch(io->t, io->kickfd[q], EPOLLIN, on_kick, vd, (void *)(uintptr_t)q)) < 0)
			goto fail;
	if ((r = iothread_start(io->t)) < 0)
		goto fail;
	vd->io = io;
	return 0;
fail:
	virtio_io_free(io);
	return r;
}

void virtio_io_stop(struct virtio_io *io)
{
	if (io)
		iothread_stop(io->t);
}

int virtio_io_start(struct virtio_io *io) { return io ? iothread_start(io->t) : 0; }

void virtio_io_free(struct virtio_io *io)
{
	if (!io)
		return;
	iothread_destroy(io->t);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (io->kickfd[q] >= 0)
			close(io->kickfd[q]);
	if (io->ctlfd >= 0)
		close(io->ctlfd);
	free(io);
}

void virtio_io_kick(struct virtio_io *io, unsigned qidx)
{
	if (qidx < VIRTIO_MAX_QUEUES)
		iothread_bell_ring(io->kickfd[qidx]);
}

void virtio_io_poke(struct virtio_io *io) { iothread_bell_ring(io->ctlfd); }

int virtio_io_kickfd(const struct virtio_io *io, unsigned qidx)
{
	return io && qidx < VIRTIO_MAX_QUEUES ? io->kickfd[qidx] : -1;
}

int virtio_io_add_fd(struct virtio_dev *vd, int fd, uint32_t events, virtio_fd_cb cb, void *arg)
{
	return vd->io ? iothread_watch(vd->io->t, fd, events, cb, vd, arg) : -ENOTSUP;
}

int virtio_io_mod_fd(struct virtio_dev *vd, int fd, uint32_t events)
{
	return vd->io ? iothread_rewatch(vd->io->t, fd, events) : -ENOTSUP;
}

int virtio_io_del_fd(struct virtio_dev *vd, int fd)
{
	return vd->io ? iothread_unwatch(vd->io->t, fd) : -ENOTSUP;
}
