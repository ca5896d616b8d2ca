// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket's plumbing: the listener, one QMP session per client, a bounded output queue
 * per client, all driven from an inner epoll set that the main loop polls as one fd. */
#include "control.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define READ_BUDGET (64 * 1024) /* input taken from one client per control_handle call */

struct control_client {
	struct control_client *next;
	struct control *ctl;
	int fd;
	uint32_t ev; /* events registered in ctl->ep */
	int dead;
	int eof; /* the client sent its last byte: leave once what is queued for it is written */
	struct qmp_session qmp;
	char *out;
	size_t cap; /* of out: the limit when the client came */
	size_t out_off, out_len; /* queued bytes: out[out_off .. out_off + out_len) */
};

/* The listeners' tags in the inner epoll set (clients are tagged with their own pointer). */
static char listener_tag[CONTROL_MAX_LISTENERS];

/* Writes what the socket takes now. 0, or -errno when the peer is gone. */
static int flush(struct control_client *cl)
{
	while (cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		cl->out_off += (size_t)n;
		cl->out_len -= (size_t)n;
	}
	cl->out_off = 0;
	return 0;
}

/* The QMP session's transport: queue, then write what the socket takes. A client whose queue would
 * exceed the bound is not reading: -ENOBUFS drops it. */
static int client_write(void *opaque, const char *buf, size_t n)
{
	struct control_client *cl = opaque;
	size_t cap = cl->cap;
	if (n > cap - cl->out_len) {
		cl->ctl->dropped++;
		return -ENOBUFS;
	}
	if (cl->out_off + cl->out_len + n > cap) {
		memmove(cl->out, cl->out + cl->out_off, cl->out_len);
		cl->out_off = 0;
	}
	memcpy(cl->out + cl->out_off + cl->out_len, buf, n);
	cl->out_len += n;
	return flush(cl);
}

/* Reading pauses while much output waits (a client that sends faster than it reads is slowed, not
 * dropped); writing is watched only while output waits. */
static void update_events(struct control_client *cl)
{
	if (cl->eof && !cl->out_len)
		cl->dead = 1;
	uint32_t want = (cl->out_len ? EPOLLOUT : 0) | (cl->out_len < cl->cap / 2 && !cl->eof ? EPOLLIN : 0);
	if (cl->dead || want == cl->ev)
		return;
	struct epoll_event ev = { .events = want, .data.ptr = cl };
	if (epoll_ctl(cl->ctl->ep, EPOLL_CTL_MOD, cl->fd, &ev) == 0)
		cl->ev = want;
	else
		cl->dead = 1;
}

static void client_free(struct control_client *cl)
{
	epoll_ctl(cl->ctl->ep, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	qmp_session_free(&cl->qmp);
	free(cl->out);
	free(cl);
}

/* Frees the clients marked dead (never while an epoll batch may still name them). */
static void reap(struct control *c)
{
	for (struct control_client **p = &c->clients; *p;) {
		struct control_client *cl = *p;
		if (!cl->dead) {
			update_events(cl);
			if (!cl->dead) {
				p = &cl->next;
				continue;
			}
		}
		*p = cl->next;
		c->nclients--;
		client_free(cl);
	}
}

static void client_add(struct control *c, int fd)
{
	struct control_client *cl = c->nclients < c->max_clients ? calloc(1, sizeof(*cl)) : NULL;
	if (cl)
		cl->out = malloc(c->out_cap);
	if (!cl || !cl->out) {
		if (cl)
			free(cl->out);
		free(cl);
		close(fd);
		return;
	}
	cl->ctl = c;
	cl->fd = fd;
	cl->cap = c->out_cap;
	cl->ev = EPOLLIN;
	struct epoll_event ev = { .events = cl->ev, .data.ptr = cl };
	if (epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(cl->out);
		free(cl);
		close(fd);
		return;
	}
	cl->next = c->clients;
	c->clients = cl;
	c->nclients++;
	if (qmp_session_init(&cl->qmp, c->cmds, c->max_msg, client_write, cl) < 0)
		cl->dead = 1;
}

static void accept_all(struct control *c, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a transient error (EMFILE...): the listener stays */
		client_add(c, fd);
	}
}

static void client_ready(struct control_client *cl, uint32_t events)
{
	if (cl->dead)
		return;
	if ((events & EPOLLOUT) && flush(cl) < 0) {
		cl->dead = 1;
		return;
	}
	if ((events & EPOLLIN) && !cl->eof) {
		char buf[4096];
		for (size_t got = 0; got < READ_BUDGET && cl->out_len < cl->cap / 2;) {
			ssize_t n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (n == 0) { /* e.g. shutdown(SHUT_WR) after the last command: its answers still go out */
				cl->eof = 1;
				return;
			}
			if (n < 0 || qmp_input(&cl->qmp, buf, (size_t)n) < 0) {
				cl->dead = 1; /* a socket error or a client that does not read */
				return;
			}
			got += (size_t)n;
		}
	} else if (events & (EPOLLHUP | EPOLLERR)) {
		cl->dead = 1;
	}
}

void control_handle(struct control *c)
{
	struct epoll_event evs[16];
	int n = epoll_wait(c->ep, evs, 16, 0);
	for (int i = 0; i < n; i++) {
		char *tag = evs[i].data.ptr;
		if (tag >= listener_tag && tag < listener_tag + CONTROL_MAX_LISTENERS)
			accept_all(c, c->lfd[tag - listener_tag]);
		else
			client_ready(evs[i].data.ptr, evs[i].events);
	}
	reap(c);
}

void control_event(struct control *c, const char *name, json_object *data)
{
	json_object *ev = qmp_event_new(name, data);
	for (struct control_client *cl = c->clients; cl; cl = cl->next)
		if (!cl->dead && qmp_emit(&cl->qmp, ev) < 0)
			cl->dead = 1;
	json_object_put(ev);
	reap(c);
}

int control_watch(struct control *c, int ep)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = c->ep };
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->ep, &ev) < 0 ? -errno : 0;
}

/* Removes a socket file nobody listens on; leaves a live socket and anything that is not a socket. */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int err = errno;
	close(fd);
	if (r == 0)
		return -EADDRINUSE;
	if (err != ECONNREFUSED)
		return -err;
	return unlink(sa->sun_path) < 0 && errno != ENOENT ? -errno : 0;
}

int control_open(struct control *c, const char *path, const struct qmp_commands *cmds)
{
	memset(c, 0, sizeof(*c));
	c->cmds = cmds;
	c->max_clients = CONTROL_MAX_CLIENTS;
	c->out_cap = CONTROL_OUT_CAP;
	c->ep = epoll_create1(EPOLL_CLOEXEC);
	return c->ep < 0 ? -errno : control_listen(c, path);
}

int control_listen(struct control *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (c->nlisten == CONTROL_MAX_LISTENERS)
		return -ENOSPC;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	int ret = clear_stale(&sa);
	if (ret)
		return ret;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Linux gives the file the socket inode's mode (less the umask): set it before bind, so the
	 * socket never exists with wider permissions */
	if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	int k = c->nlisten++; /* from here control_close removes the file */
	c->lfd[k] = fd;
	strcpy(c->path[k], path);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener_tag[k] };
	if (chmod(path, 0600) < 0 || listen(fd, 8) < 0 || epoll_ctl(c->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

void control_close(struct control *c)
{
	for (struct control_client *cl = c->clients; cl; cl = cl->next)
		cl->dead = 1;
	if (c->ep >= 0)
		reap(c);
	for (int i = 0; i < c->nlisten; i++) {
		close(c->lfd[i]);
		unlink(c->path[i]);
	}
	if (c->ep >= 0)
		close(c->ep);
	c->nlisten = 0;
	c->ep = -1;
}
