// SPDX-License-Identifier: GPL-2.0-or-later
/* The blocking QMP client (qmp_client.h): a non-blocking socket driven by poll() against a deadline,
 * the server's messages split at line ends (QMP sends one JSON object per line) and parsed with
 * json-c. Answers are matched by "id", so the late answer of a command that timed out is skipped. */
#include "qmp_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/paths.h"

long long qmpc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int qmpc_left_ms(long long deadline)
{
	if (deadline < 0)
		return -1;
	long long left = deadline - qmpc_now_ms();
	return left < 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

static long long deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : qmpc_now_ms() + timeout_ms;
}

/* poll for ev until the deadline: 0 when ready, -ETIMEDOUT, or -errno */
static int wait_fd(int fd, short ev, long long deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev };
		int n = poll(&p, 1, qmpc_left_ms(deadline));
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

static int send_all(struct qmp_client *c, const char *s, size_t n, long long deadline)
{
	while (n) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return errno == EPIPE ? -ECONNRESET : -errno;
		int ret = wait_fd(c->fd, POLLOUT, deadline);
		if (ret)
			return ret;
	}
	return 0;
}

/* The next complete message, reading as needed until the deadline: 0 with *msg (an object), or
 * -ECONNRESET at the end of the stream, -ETIMEDOUT, -EPROTO, -EMSGSIZE. */
static int next_msg(struct qmp_client *c, json_object **msg, long long deadline)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl) {
			size_t used = (size_t)(nl - c->buf) + 1;
			*nl = 0;
			json_object *o = json_tokener_parse(c->buf);
			int blank = strspn(c->buf, " \t\r") == used - 1;
			memmove(c->buf, c->buf + used, c->len - used);
			c->len -= used;
			if (!o && blank)
				continue; /* a blank line between messages */
			if (!o)
				return -EPROTO;
			if (!json_object_is_type(o, json_type_object)) {
				json_object_put(o);
				return -EPROTO;
			}
			*msg = o;
			return 0;
		}
		if (c->eof)
			return -ECONNRESET;
		if (c->len >= QMPC_MAX_LINE)
			return -EMSGSIZE;
		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap * 2 : 8192;
			char *b = realloc(c->buf, cap);
			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
		if (n > 0) {
			c->len += (size_t)n;
		} else if (n == 0 || (errno == ECONNRESET || errno == EPIPE)) {
			c->eof = 1;
		} else if (errno == EAGAIN || errno == EINTR) {
			int ret = wait_fd(c->fd, POLLIN, deadline);
			if (ret)
				return ret;
		} else {
			return -errno;
		}
	}
}

static void queue_event(struct qmp_client *c, json_object *ev)
{
	if (c->nev == QMPC_MAX_EVENTS) {
		json_object_put(c->events[0]);
		memmove(c->events, c->events + 1, sizeof(c->events[0]) * (QMPC_MAX_EVENTS - 1));
		c->nev--;
	}
	c->events[c->nev++] = ev;
}

/* Sends {"execute": cmd, "arguments": args, "id": N} and waits for the answer with that id. */
static int execute(struct qmp_client *c, const char *cmd, json_object *args, long long deadline, json_object **ret,
		   struct qmpc_error *err)
{
	long id = ++c->next_id;
	json_object *req = json_object_new_object();
	if (!req) {
		json_object_put(args);
		return -ENOMEM;
	}
	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", args);
	json_object_object_add(req, "id", json_object_new_int64(id));
	const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	char *line = s ? malloc(strlen(s) + 3) : NULL;
	int r = line ? 0 : -ENOMEM;
	if (line) {
		sprintf(line, "%s\r\n", s);
		r = send_all(c, line, strlen(line), deadline);
		free(line);
	}
	json_object_put(req);
	while (!r) {
		json_object *m = NULL, *v = NULL;
		if ((r = next_msg(c, &m, deadline)))
			break;
		if (json_object_object_get_ex(m, "event", NULL)) {
			queue_event(c, m);
			continue;
		}
		json_object *mid = NULL;
		if (!json_object_object_get_ex(m, "id", &mid) || !json_object_is_type(mid, json_type_int) ||
		    json_object_get_int64(mid) != id) {
			json_object_put(m); /* an answer to an earlier command that timed out */
			continue;
		}
		if (json_object_object_get_ex(m, "return", &v)) {
			if (ret)
				*ret = json_object_get(v);
		} else if (json_object_object_get_ex(m, "error", &v)) {
			json_object *cls = NULL, *desc = NULL;
			json_object_object_get_ex(v, "class", &cls);
			json_object_object_get_ex(v, "desc", &desc);
			if (err) {
				snprintf(err->cls, sizeof(err->cls), "%s", cls ? json_object_get_string(cls) : "");
				snprintf(err->desc, sizeof(err->desc), "%s", desc ? json_object_get_string(desc) : "");
			}
			r = -EREMOTEIO;
		} else {
			r = -EPROTO;
		}
		json_object_put(m);
		return r;
	}
	return r;
}

int qmpc_execute(struct qmp_client *c, const char *cmd, json_object *args, int timeout_ms, json_object **ret,
		 struct qmpc_error *err)
{
	if (ret)
		*ret = NULL;
	return execute(c, cmd, args, deadline_of(timeout_ms), ret, err);
}

static int connect_path(struct qmp_client *c, const char *path, long long deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -errno;
	/* a unix socket connects at once or says EAGAIN when the listener's backlog is full */
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (qmpc_left_ms(deadline) == 0)
			return -ETIMEDOUT;
		usleep(10000);
	}
	return 0;
}

int qmpc_connect(struct qmp_client *c, const char *path, int timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	long long deadline = deadline_of(timeout_ms);
	int ret = connect_path(c, path, deadline);
	json_object *g = NULL;
	if (!ret)
		ret = next_msg(c, &g, deadline);
	if (!ret) {
		json_object *q = NULL;
		if (json_object_object_get_ex(g, "QMP", &q))
			c->greeting = json_object_get(q);
		else
			ret = -EPROTO;
		json_object_put(g);
	}
	if (!ret) {
		struct qmpc_error e;
		ret = execute(c, "qmp_capabilities", NULL, deadline, NULL, &e);
		if (ret == -EREMOTEIO)
			ret = -EPROTO;
	}
	return ret;
}

int qmpc_connect_vm(struct qmp_client *c, const char *name, int timeout_ms)
{
	char dir[4096], path[4200];
	int ret;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if ((ret = kv_runtime_dir(dir, sizeof(dir), NULL)) || (ret = kv_path_join(path, sizeof(path), dir, name, ".qmp")))
		return ret;
	return qmpc_connect(c, path, timeout_ms);
}

void qmpc_close(struct qmp_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
	for (unsigned i = 0; i < c->nev; i++)
		json_object_put(c->events[i]);
	c->nev = 0;
	json_object_put(c->greeting);
	c->greeting = NULL;
}

static int event_is(json_object *m, const char *name, json_object **data)
{
	json_object *e = NULL;
	if (!json_object_object_get_ex(m, "event", &e) || strcmp(json_object_get_string(e), name))
		return 0;
	if (data) {
		json_object *d = NULL;
		json_object_object_get_ex(m, "data", &d);
		*data = json_object_get(d);
	}
	return 1;
}

int qmpc_wait_event(struct qmp_client *c, const char *name, int timeout_ms, json_object **data)
{
	if (data)
		*data = NULL;
	for (unsigned i = 0; i < c->nev; i++) {
		if (event_is(c->events[i], name, data)) {
			json_object_put(c->events[i]);
			memmove(c->events + i, c->events + i + 1, sizeof(c->events[0]) * (c->nev - i - 1));
			c->nev--;
			return 0;
		}
	}
	long long deadline = deadline_of(timeout_ms);
	for (;;) {
		json_object *m = NULL;
		int ret = next_msg(c, &m, deadline);
		if (ret)
			return ret;
		int hit = event_is(m, name, data);
		json_object_put(m);
		if (hit)
			return 0;
	}
}

int qmpc_wait_close(struct qmp_client *c, int timeout_ms)
{
	long long deadline = deadline_of(timeout_ms);
	for (;;) {
		json_object *m = NULL;
		int ret = next_msg(c, &m, deadline);
		if (ret == -ECONNRESET)
			return 0;
		if (ret == -ETIMEDOUT)
			return ret;
		if (ret == -EPROTO || ret == -EMSGSIZE) {
			c->len = 0; /* not waiting for messages: drop what we cannot read */
			continue;
		}
		if (ret)
			return ret;
		json_object_put(m);
	}
}
