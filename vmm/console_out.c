// SPDX-License-Identifier: GPL-2.0-or-later
#include "console_out.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

int console_out_init(struct console_out *co, int fd, size_t cap)
{
	memset(co, 0, sizeof(*co));
	co->fd = fd;
	co->wake_efd = -1;
	if (!cap)
		return -EINVAL;
	co->buf = malloc(cap);
	if (!co->buf)
		return -ENOMEM;
	co->cap = cap;
	co->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (co->wake_efd < 0) {
		int r = -errno;
		free(co->buf);
		co->buf = NULL;
		return r;
	}
	pthread_mutex_init(&co->lock, NULL);
	return 0;
}

void console_out_destroy(struct console_out *co)
{
	if (!co->buf)
		return;
	close(co->wake_efd);
	pthread_mutex_destroy(&co->lock);
	free(co->buf);
	co->buf = NULL;
	co->wake_efd = -1;
}

void console_out_put(void *opaque, const uint8_t *buf, size_t n)
{
	struct console_out *co = opaque;
	pthread_mutex_lock(&co->lock);
	int was_empty = co->len == 0;
	int fits = n <= co->cap - co->len; /* a put is kept or dropped whole: a wide OUT never splits */
	if (fits) {
		size_t tail = (co->head + co->len) % co->cap;
		size_t first = co->cap - tail < n ? co->cap - tail : n;
		memcpy(co->buf + tail, buf, first);
		memcpy(co->buf, buf + first, n - first);
		co->len += n;
	} else {
		co->dropped += n;
	}
	pthread_mutex_unlock(&co->lock);
	if (was_empty && fits && n) {
		/* an eventfd write never blocks: at worst the counter is saturated, i.e. already woken */
		uint64_t one = 1;
		if (write(co->wake_efd, &one, sizeof(one)) < 0) {
		}
	}
}

int console_out_drain(struct console_out *co)
{
	uint64_t v;
	if (read(co->wake_efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: no new wake-up, the buffer may still hold bytes from before */
	}
	for (size_t budget = co->cap;;) {
		pthread_mutex_lock(&co->lock);
		size_t n = co->cap - co->head < co->len ? co->cap - co->head : co->len;
		const uint8_t *p = co->buf + co->head;
		pthread_mutex_unlock(&co->lock);
		if (!n)
			return 0;
		if (!budget)
			return 1; /* a buffer's worth went out and the producer keeps up: other work first */
		if (n > budget)
			n = budget;
		ssize_t w = write(co->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (w <= 0) {
			int err = w < 0 ? -errno : -EIO;
			pthread_mutex_lock(&co->lock);
			co->dropped += co->len;
			co->head = co->len = 0;
			pthread_mutex_unlock(&co->lock);
			if (!co->err_logged)
				kv_err(err, "serial output (dropped until it can be written again)");
			co->err_logged = 1;
			return err;
		}
		pthread_mutex_lock(&co->lock);
		co->head = (co->head + (size_t)w) % co->cap;
		co->len -= (size_t)w;
		co->written += (uint64_t)w;
		pthread_mutex_unlock(&co->lock);
		budget -= (size_t)w;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t written_now(struct console_out *co)
{
	pthread_mutex_lock(&co->lock);
	uint64_t w = co->written;
	pthread_mutex_unlock(&co->lock);
	return w;
}

int console_out_flush(struct console_out *co, int budget_ms, int idle_ms)
{
	int64_t t = now_ms(), end = t + budget_ms, progress_at = t;
	uint64_t seen = written_now(co);
	int r;
	while ((r = console_out_drain(co)) == 1) {
		t = now_ms();
		uint64_t w = written_now(co);
		if (w != seen) {
			seen = w;
			progress_at = t;
		}
		int64_t left = end - t, idle_left = progress_at + idle_ms - t;
		if (left <= 0 || idle_left <= 0)
			break; /* nobody reads: what is left is lost */
		int wait = (int)(left < idle_left ? left : idle_left);
		struct pollfd p = { .fd = co->fd, .events = POLLOUT };
		int n = poll(&p, 1, wait);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (p.revents & (POLLERR | POLLNVAL)))
			break;
		if (n > 0 && !(p.revents & POLLOUT)) {
			/* POLLHUP alone (a pty whose reader closed) says nothing about room: retry shortly */
			struct timespec ts = { 0, (wait < 10 ? wait : 10) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	if (r == 0)
		return 0;
	pthread_mutex_lock(&co->lock);
	co->dropped += co->len;
	co->head = co->len = 0;
	pthread_mutex_unlock(&co->lock);
	return 1;
}

void console_out_counts(struct console_out *co, uint64_t *written, uint64_t *dropped)
{
	pthread_mutex_lock(&co->lock);
	*written = co->written;
	*dropped = co->dropped;
	pthread_mutex_unlock(&co->lock);
}
