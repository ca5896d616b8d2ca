// SPDX-License-Identifier: GPL-2.0-or-later
/* The device-agnostic I/O thread: an epoll loop, fd watches with callbacks, a stop eventfd. */
#include "iothread.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/log.h"

/* What an epoll event points at. Watches are never freed while the thread runs (only marked dead),
 * so an event already fetched in a batch can never point at freed memory. */
struct watch {
	int fd;
	iothread_fn fn; /* NULL once removed (and for the stop watch) */
	void *opaque, *arg;
	struct watch *next;
};

struct iothread {
	const char *name;
	pthread_mutex_t *lock;
	int epfd, stopfd;
	struct watch stop;
	pthread_mutex_t watch_lock; /* guards the list (add/del from any thread) */
	struct watch *watches;
	pthread_t thread;
	int running;
};

int iothread_bell_open(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

void iothread_bell_ring(int fd)
{
	uint64_t one = 1;
	/* EAGAIN: the counter is saturated, the bell is ringing anyway */
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		kv_err(-errno, "ringing an I/O thread");
}

void iothread_bell_drain(int fd)
{
	uint64_t v;
	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static void *io_main(void *arg)
{
	struct iothread *t = arg;
	struct epoll_event ev[16];
	for (;;) {
		int n = epoll_wait(t->epfd, ev, 16, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kv_err(-errno, "%s: epoll_wait", t->name);
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = ev[i].data.ptr;
			if (w == &t->stop)
				return NULL;
			if (t->lock)
				pthread_mutex_lock(t->lock);
			iothread_fn fn = __atomic_load_n(&w->fn, __ATOMIC_ACQUIRE);
			if (fn)
				fn(w->opaque, w->arg, w->fd, ev[i].events);
			if (t->lock)
				pthread_mutex_unlock(t->lock);
		}
	}
}

static int ep_ctl(int epfd, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event e = { .events = events, .data.ptr = ptr };
	return epoll_ctl(epfd, op, fd, &e) < 0 ? -errno : 0;
}

int iothread_create(struct iothread **out, const char *name, pthread_mutex_t *lock)
{
	struct iothread *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->name = name ? name : "iothread";
	t->lock = lock;
	pthread_mutex_init(&t->watch_lock, NULL);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->stopfd = iothread_bell_open();
	int r = t->epfd < 0 ? -errno : t->stopfd < 0 ? t->stopfd : 0;
	if (!r) {
		t->stop.fd = t->stopfd;
		r = ep_ctl(t->epfd, EPOLL_CTL_ADD, t->stopfd, EPOLLIN, &t->stop);
	}
	if (r < 0) {
		iothread_destroy(t);
		return r;
	}
	*out = t;
	return 0;
}

int iothread_start(struct iothread *t)
{
	if (t->running)
		return -EBUSY;
	int r = -pthread_create(&t->thread, NULL, io_main, t);
	if (r == 0)
		t->running = 1;
	return r;
}

void iothread_stop(struct iothread *t)
{
	if (!t || !t->running)
		return;
	iothread_bell_ring(t->stopfd);
	pthread_join(t->thread, NULL);
	iothread_bell_drain(t->stopfd); /* so that iothread_start can run it again */
	t->running = 0;
}

void iothread_destroy(struct iothread *t)
{
	if (!t)
		return;
	iothread_stop(t);
	if (t->stopfd >= 0)
		close(t->stopfd);
	if (t->epfd >= 0)
		close(t->epfd);
	while (t->watches) {
		struct watch *w = t->watches;
		t->watches = w->next;
		free(w);
	}
	pthread_mutex_destroy(&t->watch_lock);
	free(t);
}

static struct watch *watch_find(struct iothread *t, int fd)
{
	for (struct watch *w = t->watches; w; w = w->next)
		if (w->fd == fd && w->fn)
			return w;
	return NULL;
}

int iothread_watch(struct iothread *t, int fd, uint32_t events, iothread_fn fn, void *opaque, void *arg)
{
	if (!t || !fn || fd < 0)
		return -EINVAL;
	struct watch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .fd = fd, .fn = fn, .opaque = opaque, .arg = arg };
	pthread_mutex_lock(&t->watch_lock);
	int r = watch_find(t, fd) ? -EEXIST : ep_ctl(t->epfd, EPOLL_CTL_ADD, fd, events, w);
	if (r == 0) {
		w->next = t->watches;
		t->watches = w;
	}
	pthread_mutex_unlock(&t->watch_lock);
	if (r < 0)
		free(w);
	return r;
}

int iothread_rewatch(struct iothread *t, int fd, uint32_t events)
{
	pthread_mutex_lock(&t->watch_lock);
	struct watch *w = watch_find(t, fd);
	int r = w ? ep_ctl(t->epfd, EPOLL_CTL_MOD, fd, events, w) : -ENOENT;
	pthread_mutex_unlock(&t->watch_lock);
	return r;
}

int iothread_unwatch(struct iothread *t, int fd)
{
	pthread_mutex_lock(&t->watch_lock);
	struct watch *w = watch_find(t, fd);
	int r = -ENOENT;
	if (w) {
		r = epoll_ctl(t->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
		__atomic_store_n(&w->fn, NULL, __ATOMIC_RELEASE); /* freed with the thread; see struct watch */
	}
	pthread_mutex_unlock(&t->watch_lock);
	return r;
}
