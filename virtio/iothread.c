// SPDX-License-Identifier: GPL-2.0-or-later
#include "iothread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/queue.h"
#include "vmm/log.h"

enum io_kind { IO_STOP, IO_KICK, IO_FD };

/* What an epoll event points at. Device fd watches are never freed while the thread runs (only
 * marked dead), so an event already fetched in a batch can never point at freed memory. */
struct io_tag {
	enum io_kind kind;
	unsigned qidx;
	int fd;
	virtio_fd_cb cb; /* NULL once removed */
	void *arg;
	struct io_tag *next;
};

struct virtio_io {
	struct virtio_dev *vd;
	int epfd, stopfd;
	int kickfd[VIRTIO_MAX_QUEUES];
	struct io_tag stop_tag;
	struct io_tag kick_tag[VIRTIO_MAX_QUEUES];
	pthread_mutex_t watch_lock; /* guards the watches list (add/del from any thread) */
	struct io_tag *watches;
	pthread_t thread;
	int running;
};

static void drain(int fd)
{
	uint64_t v;
	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static void *io_main(void *arg)
{
	struct virtio_io *io = arg;
	struct virtio_dev *vd = io->vd;
	struct epoll_event ev[16];

	for (;;) {
		int n = epoll_wait(io->epfd, ev, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kv_err(-errno, "%s: epoll_wait", vd->name);
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			struct io_tag *t = ev[i].data.ptr;
			if (t->kind == IO_STOP)
				return NULL;
			if (t->kind == IO_KICK) {
				drain(t->fd);
				pthread_mutex_lock(&vd->lock);
				struct virtq *vq = &vd->vq[t->qidx];
				if ((__atomic_load_n(&vd->status, __ATOMIC_RELAXED) & VIRTIO_STATUS_DRIVER_OK) &&
				    virtq_ready(vq))
					vd->ops->handle_queue(vd, t->qidx);
				pthread_mutex_unlock(&vd->lock);
			} else {
				pthread_mutex_lock(&vd->lock);
				virtio_fd_cb cb = __atomic_load_n(&t->cb, __ATOMIC_ACQUIRE);
				if (cb)
					cb(vd, t->fd, ev[i].events, t->arg);
				pthread_mutex_unlock(&vd->lock);
			}
		}
	}
}

static int ep_add(int epfd, int fd, uint32_t events, void *ptr)
{
	struct epoll_event e = { .events = events, .data.ptr = ptr };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

int virtio_io_create(struct virtio_dev *vd)
{
	struct virtio_io *io = calloc(1, sizeof(*io));
	int r = -ENOMEM;
	if (!io)
		return r;
	io->vd = vd;
	io->stopfd = -1;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		io->kickfd[q] = -1;
	pthread_mutex_init(&io->watch_lock, NULL);
	io->epfd = epoll_create1(EPOLL_CLOEXEC);
	io->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->epfd < 0 || io->stopfd < 0) {
		r = -errno;
		goto fail;
	}
	io->stop_tag = (struct io_tag){ .kind = IO_STOP, .fd = io->stopfd };
	if ((r = ep_add(io->epfd, io->stopfd, EPOLLIN, &io->stop_tag)) < 0)
		goto fail;
	for (unsigned q = 0; q < vd->num_queues; q++) {
		io->kickfd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (io->kickfd[q] < 0) {
			r = -errno;
			goto fail;
		}
		io->kick_tag[q] = (struct io_tag){ .kind = IO_KICK, .qidx = q, .fd = io->kickfd[q] };
		if ((r = ep_add(io->epfd, io->kickfd[q], EPOLLIN, &io->kick_tag[q])) < 0)
			goto fail;
	}
	if ((r = -pthread_create(&io->thread, NULL, io_main, io)) < 0)
		goto fail;
	io->running = 1;
	vd->io = io;
	return 0;
fail:
	virtio_io_free(io);
	return r;
}

void virtio_io_stop(struct virtio_io *io)
{
	if (!io || !io->running)
		return;
	uint64_t one = 1;
	if (write(io->stopfd, &one, sizeof(one)) < 0)
		kv_err(-errno, "%s: stopping I/O thread", io->vd->name);
	pthread_join(io->thread, NULL);
	io->running = 0;
}

void virtio_io_free(struct virtio_io *io)
{
	if (!io)
		return;
	virtio_io_stop(io);
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		if (io->kickfd[q] >= 0)
			close(io->kickfd[q]);
	if (io->stopfd >= 0)
		close(io->stopfd);
	if (io->epfd >= 0)
		close(io->epfd);
	while (io->watches) {
		struct io_tag *t = io->watches;
		io->watches = t->next;
		free(t);
	}
	pthread_mutex_destroy(&io->watch_lock);
	free(io);
}

void virtio_io_kick(struct virtio_io *io, unsigned qidx)
{
	uint64_t one = 1;
	if (qidx < VIRTIO_MAX_QUEUES && io->kickfd[qidx] >= 0 && write(io->kickfd[qidx], &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		kv_err(-errno, "%s: kick", io->vd->name);
}

int virtio_io_kickfd(const struct virtio_io *io, unsigned qidx)
{
	return io && qidx < VIRTIO_MAX_QUEUES ? io->kickfd[qidx] : -1;
}

static struct io_tag *watch_find(struct virtio_io *io, int fd)
{
	for (struct io_tag *t = io->watches; t; t = t->next)
		if (t->fd == fd && t->cb)
			return t;
	return NULL;
}

int virtio_io_add_fd(struct virtio_dev *vd, int fd, uint32_t events, virtio_fd_cb cb, void *arg)
{
	struct virtio_io *io = vd->io;
	if (!io)
		return -ENOTSUP;
	if (!cb || fd < 0)
		return -EINVAL;
	struct io_tag *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = (struct io_tag){ .kind = IO_FD, .fd = fd, .cb = cb, .arg = arg };
	pthread_mutex_lock(&io->watch_lock);
	int r = watch_find(io, fd) ? -EEXIST : ep_add(io->epfd, fd, events, t);
	if (r == 0) {
		t->next = io->watches;
		io->watches = t;
	}
	pthread_mutex_unlock(&io->watch_lock);
	if (r < 0)
		free(t);
	return r;
}

int virtio_io_mod_fd(struct virtio_dev *vd, int fd, uint32_t events)
{
	struct virtio_io *io = vd->io;
	if (!io)
		return -ENOTSUP;
	pthread_mutex_lock(&io->watch_lock);
	struct io_tag *t = watch_find(io, fd);
	int r = -ENOENT;
	if (t) {
		struct epoll_event e = { .events = events, .data.ptr = t };
		r = epoll_ctl(io->epfd, EPOLL_CTL_MOD, fd, &e) < 0 ? -errno : 0;
	}
	pthread_mutex_unlock(&io->watch_lock);
	return r;
}

int virtio_io_del_fd(struct virtio_dev *vd, int fd)
{
	struct virtio_io *io = vd->io;
	if (!io)
		return -ENOTSUP;
	pthread_mutex_lock(&io->watch_lock);
	struct io_tag *t = watch_find(io, fd);
	int r = -ENOENT;
	if (t) {
		r = epoll_ctl(io->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
		__atomic_store_n(&t->cb, NULL, __ATOMIC_RELEASE); /* freed with the thread; see struct io_tag */
	}
	pthread_mutex_unlock(&io->watch_lock);
	return r;
}
