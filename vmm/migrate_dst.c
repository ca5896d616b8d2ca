// SPDX-License-Identifier: GPL-2.0-or-later
/* The target side of a migration: the listening socket and the receiving thread (migrate.h). */
#include "migrate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "migrate_stream.h"

#define DST_IDLE_MS 30000 /* a source that sends nothing for this long is gone */

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int mig_listen(const char *uri, int *fd, char *why, size_t whylen)
{
	char host[256], port[32];
	const char *w = NULL;
	if (mig_parse_uri(uri, host, sizeof(host), port, sizeof(port), &w)) {
		snprintf(why, whylen, "%s", w);
		return -EINVAL;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai = NULL;
	int r = getaddrinfo(host, port, &hints, &ai);
	if (r) {
		snprintf(why, whylen, "%s: %s", host, gai_strerror(r));
		return -EINVAL;
	}
	int s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1, ret = 0;
	if (s < 0)
		ret = -errno;
	else if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
		 bind(s, ai->ai_addr, ai->ai_addrlen) < 0 || listen(s, 1) < 0)
		ret = -errno;
	freeaddrinfo(ai);
	if (ret) {
		snprintf(why, whylen, "cannot listen: %s", strerror(-ret));
		if (s >= 0)
			close(s);
		return ret;
	}
	*fd = s;
	return 0;
}

static ssize_t sock_read(void *opaque, void *buf, size_t len)
{
	struct mig_dst *d = opaque;
	long long deadline = now_ms() + DST_IDLE_MS;
	for (;;) {
		if (atomic_load(&d->cancel))
			return -ECANCELED;
		struct pollfd p = { .fd = d->sock, .events = POLLIN };
		int n = poll(&p, 1, 100);
		if (n > 0) {
			ssize_t k = recv(d->sock, buf, len, 0);
			if (k >= 0)
				return k;
			if (errno != EINTR && errno != EAGAIN)
				return -errno;
		} else if (now_ms() > deadline) {
			return -ETIMEDOUT;
		}
	}
}

static int accept_one(struct mig_dst *d)
{
	while (!atomic_load(&d->cancel)) {
		struct pollfd p = { .fd = d->lfd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		int s = accept4(d->lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
		if (s < 0)
			continue;
		char host[64] = "?", port[16] = "?";
		getnameinfo((struct sockaddr *)&sa, sl, host, sizeof(host), port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
		snprintf(d->peer, sizeof(d->peer), "%s:%s", host, port);
		d->sock = s;
		close(d->lfd); /* one migration: nobody else gets in */
		d->lfd = -1;
		return 0;
	}
	return -ECANCELED;
}

static void *dst_main(void *arg)
{
	struct mig_dst *d = arg;
	d->ret = accept_one(d);
	if (!d->ret) {
		d->t0 = now_ms();
		d->ret = mig_receive(&d->in, d->why, sizeof(d->why));
		d->t1 = now_ms();
		if (d->ret && d->sock >= 0) /* the source hears why before the connection goes */
			mig_dst_answer(d, d->why);
	} else {
		snprintf(d->why, sizeof(d->why), "stopped before a migration came");
	}
	atomic_store(&d->done, 1);
	d->wake(d->wake_opaque);
	return NULL;
}

int mig_dst_start(struct mig_dst *d, int lfd, const struct mig_in *in, void (*wake)(void *), void *opaque)
{
	memset(d, 0, sizeof(*d));
	d->lfd = lfd;
	d->sock = -1;
	d->in = *in;
	d->in.read = sock_read;
	d->in.opaque = d;
	d->wake = wake;
	d->wake_opaque = opaque;
	int r = pthread_create(&d->thread, NULL, dst_main, d);
	if (r)
		return -r;
	d->started = 1;
	return 0;
}

void mig_dst_answer(struct mig_dst *d, const char *why)
{
	if (d->sock < 0)
		return;
	char line[300];
	int n = why ? snprintf(line, sizeof(line), "error: %.280s\n", why) : snprintf(line, sizeof(line), "ok\n");
	if (send(d->sock, line, (size_t)n, MSG_NOSIGNAL) < 0) {
		/* the source is gone: it decides by itself (no answer is a failure there) */
	}
	close(d->sock);
	d->sock = -1;
}

void mig_dst_stop(struct mig_dst *d)
{
	if (d->started) {
		atomic_store(&d->cancel, 1);
		pthread_join(d->thread, NULL);
		d->started = 0;
	}
	if (d->sock >= 0)
		close(d->sock);
	if (d->lfd >= 0)
		close(d->lfd);
	d->sock = d->lfd = -1;
	free(d->in.state);
	d->in.state = NULL;
}
