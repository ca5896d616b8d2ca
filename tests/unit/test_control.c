// SPDX-License-Identifier: GPL-2.0-or-later
/* The control socket over a real unix socket in a temporary directory: mode 0600, two clients at
 * once with their own sessions, events only to negotiated clients, a client that stops reading is
 * dropped while the other goes on, a half-closed client still answered, the client limit, a stale
 * socket file replaced, a live one and a non-socket left alone, the file removed at close, a second
 * listening socket whose clients share the commands and events. The test
 * is both the main loop and the clients (non-blocking sockets), so nothing can wait on anything. */
#include "unit.h"
#include "vmm/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct tclient {
	int fd;
	char buf[1 << 16];
	size_t len;
	int eof;
};

static char dir[64], path[128];
static struct qmp_commands cmds;
static struct control ctl;
static int ep;

static void pump(int ms)
{
	struct epoll_event ev;
	if (epoll_wait(ep, &ev, 1, ms) == 1) {
		ck_assert_int_eq(ev.data.fd, control_fd(&ctl));
		control_handle(&ctl);
	}
}

static void tc_connect(struct tclient *t)
{
	memset(t, 0, sizeof(*t));
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	ck_assert_int_eq(connect(t->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(fcntl(t->fd, F_SETFL, O_NONBLOCK), 0);
}

/* A connected client (heap: its buffer is large); tc_free closes it. */
static struct tclient *tc_new(void)
{
	struct tclient *t = malloc(sizeof(*t));
	ck_assert_ptr_nonnull(t);
	tc_connect(t);
	return t;
}

static void tc_free(struct tclient *t)
{
	close(t->fd);
	free(t);
}

static void tc_send(struct tclient *t, const char *s)
{
	ck_assert_int_eq(send(t->fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

static void tc_recv(struct tclient *t)
{
	ssize_t n = recv(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len, 0);
	if (n == 0)
		t->eof = 1;
	if (n > 0)
		t->len += (size_t)n;
	t->buf[t->len] = 0;
}

/* The next line from the server, serving the server meanwhile; NULL after ms without one. */
static json_object *tc_line(struct tclient *t, int ms)
{
	for (int waited = 0;; waited++) {
		char *end = strstr(t->buf, "\r\n");
		if (end) {
			json_object *o = json_tokener_parse(t->buf);
			ck_assert_ptr_nonnull(o);
			size_t used = (size_t)(end - t->buf) + 2;
			memmove(t->buf, t->buf + used, t->len - used + 1);
			t->len -= used;
			return o;
		}
		if (waited >= ms || t->eof)
			return NULL;
		pump(1);
		tc_recv(t);
	}
}

static const char *str_at(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;
	json_object_object_get_ex(o, a, &v);
	if (b)
		json_object_object_get_ex(v, b, &v);
	return v ? json_object_get_string(v) : "";
}

/* Sends req and checks the answer's error class ("" for a return) and id. */
static void tc_expect(struct tclient *t, const char *req, const char *cls, int id)
{
	tc_send(t, req);
	json_object *m = tc_line(t, 2000);
	ck_assert_msg(m != NULL, "no answer to %s", req);
	ck_assert_str_eq(str_at(m, "error", "class"), cls);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(m, "id")), id);
	json_object_put(m);
}

static void tc_greeted(struct tclient *t)
{
	json_object *g = tc_line(t, 2000);
	ck_assert_msg(g && json_object_object_get_ex(g, "QMP", NULL), "no greeting");
	json_object_put(g);
}

static void setup(void)
{
	strcpy(dir, "/tmp/kvmini-control-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.sock", dir);
	struct qmp_version v = { 0, 1, 0, "kvmini" };
	ck_assert_int_eq(qmp_commands_init(&cmds, &v), 0);
	ck_assert_int_eq(control_open(&ctl, path, &cmds), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_eq(control_watch(&ctl, ep), 0);
}

static void teardown(void)
{
	control_close(&ctl);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), -1); /* the socket file is gone */
	close(ep);
	qmp_commands_free(&cmds);
	rmdir(dir);
}

START_TEST(mode_and_two_clients)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	struct tclient *a = tc_new(), *b = tc_new();
	tc_greeted(a);
	tc_greeted(b);
	/* each has its own session: A negotiated, B not */
	tc_expect(a, "{\"execute\": \"qmp_capabilities\", \"id\": 1}", "", 1);
	tc_expect(b, "{\"execute\": \"query-version\", \"id\": 2}", "CommandNotFound", 2);
	/* A's half message does not disturb B's */
	tc_send(a, "{\"execute\": \"query-ver");
	tc_expect(b, "{\"execute\": \"qmp_capabilities\", \"id\": 3}", "", 3);
	tc_expect(a, "sion\", \"id\": 4}", "", 4);
	/* B's malformed input leaves B usable and A untouched */
	tc_expect(b, "{\"execute\": }", "GenericError", 0);
	tc_expect(b, "{\"execute\": \"query-commands\", \"id\": 5}", "", 5);
	/* an event reaches the negotiated clients only */
	struct tclient *c = tc_new();
	tc_greeted(c);
	control_event(&ctl, "STOP", NULL);
	json_object *ea = tc_line(a, 2000), *eb = tc_line(b, 2000);
	ck_assert_str_eq(str_at(ea, "event", NULL), "STOP");
	ck_assert_str_eq(str_at(eb, "event", NULL), "STOP");
	ck_assert(json_object_object_get_ex(ea, "timestamp", NULL));
	json_object_put(ea);
	json_object_put(eb);
	ck_assert_ptr_null(tc_line(c, 50));
	ck_assert_int_eq(ctl.nclients, 3);
	/* a client that goes away is dropped */
	tc_free(c);
	for (int i = 0; i < 100 && ctl.nclients != 2; i++)
		pump(10);
	ck_assert_int_eq(ctl.nclients, 2);
	tc_expect(a, "{\"execute\": \"query-version\", \"id\": 6}", "", 6);
	tc_free(a);
	tc_free(b);
}
END_TEST

START_TEST(non_reader_dropped)
{
	ctl.out_cap = 4096;
	struct tclient *r = tc_new(), *g = tc_new();
	tc_greeted(r);
	tc_greeted(g);
	tc_expect(r, "{\"execute\": \"qmp_capabilities\", \"id\": 1}", "", 1);
	tc_expect(g, "{\"execute\": \"qmp_capabilities\", \"id\": 1}", "", 1);
	/* R stops reading; G keeps reading; events pile up for R until it is dropped */
	int i;
	for (i = 0; i < 100000 && ctl.nclients == 2; i++) {
		control_event(&ctl, "RESUME", NULL);
		g->len = 0;
		tc_recv(g);
	}
	ck_assert_int_eq(ctl.nclients, 1);
	ck_assert_uint_eq(ctl.dropped, 1);
	ck_assert_int_gt(i, 10); /* the socket buffer and the bounded queue took some first */
	/* G still served; R reads what was sent, then the end */
	for (int quiet = 0; quiet < 10;) { /* drain G: its queue empties at a message boundary */
		g->len = 0;
		pump(2);
		tc_recv(g);
		quiet = g->len ? 0 : quiet + 1;
	}
	g->len = 0;
	g->buf[0] = 0;
	tc_expect(g, "{\"execute\": \"query-version\", \"id\": 7}", "", 7);
	for (int n = 0; n < 100000 && !r->eof; n++) {
		r->len = 0;
		tc_recv(r);
	}
	ck_assert(r->eof);
	tc_free(r);
	tc_free(g);
}
END_TEST

START_TEST(half_close)
{
	/* what `socat - UNIX-CONNECT:` does with a script on stdin: send everything, shut down writing */
	struct tclient *t = tc_new();
	tc_send(t, "{\"execute\": \"qmp_capabilities\", \"id\": 1}\n{\"execute\": \"query-version\", \"id\": 2}\n");
	ck_assert_int_eq(shutdown(t->fd, SHUT_WR), 0);
	tc_greeted(t);
	for (int id = 1; id <= 2; id++) {
		json_object *m = tc_line(t, 2000);
		ck_assert_ptr_nonnull(m);
		ck_assert_int_eq(json_object_get_int(json_object_object_get(m, "id")), id);
		json_object_put(m);
	}
	ck_assert_ptr_null(tc_line(t, 2000));
	ck_assert(t->eof);
	ck_assert_int_eq(ctl.nclients, 0);
	tc_free(t);
}
END_TEST

START_TEST(client_limit)
{
	ctl.max_clients = 1;
	struct tclient *a = tc_new();
	tc_greeted(a);
	struct tclient *b = tc_new();
	ck_assert_ptr_null(tc_line(b, 500));
	ck_assert(b->eof);
	ck_assert_int_eq(ctl.nclients, 1);
	tc_free(a);
	tc_free(b);
}
END_TEST

START_TEST(path_rules)
{
	struct control other;
	/* a live socket is not taken over */
	ck_assert_int_eq(control_open(&other, path, &cmds), -EADDRINUSE);
	control_close(&other);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	/* a stale one (bound, then its process gone) is replaced */
	char stale[160];
	snprintf(stale, sizeof(stale), "%s/stale.sock", dir);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, stale);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_int_eq(control_open(&other, stale, &cmds), 0);
	ck_assert_int_eq(stat(stale, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	control_close(&other);
	ck_assert_int_eq(stat(stale, &st), -1);
	/* a file that is not a socket stays */
	char file[160];
	snprintf(file, sizeof(file), "%s/file", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(control_open(&other, file, &cmds), -EEXIST);
	control_close(&other);
	ck_assert_int_eq(stat(file, &st), 0);
	unlink(file);
	char lng[200];
	memset(lng, 'x', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = 0;
	ck_assert_int_eq(control_open(&other, lng, &cmds), -ENAMETOOLONG);
	control_close(&other);
}
END_TEST

/* --qmp PATH beside a named VM's socket: a second listener on the same control */
START_TEST(second_listener)
{
	char second[160], first[128];
	snprintf(second, sizeof(second), "%s/qmp2.sock", dir);
	ck_assert_int_eq(control_listen(&ctl, path), -EADDRINUSE); /* its own live socket */
	ck_assert_int_eq(ctl.nlisten, 1);
	ck_assert_int_eq(control_listen(&ctl, second), 0);
	ck_assert_int_eq(control_listen(&ctl, second), -ENOSPC);
	struct stat st;
	ck_assert_int_eq(stat(second, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	struct tclient *a = tc_new();
	strcpy(first, path);
	strcpy(path, second); /* tc_new connects to path */
	struct tclient *b = tc_new();
	strcpy(path, first);
	tc_greeted(a);
	tc_greeted(b);
	tc_expect(a, "{\"execute\": \"qmp_capabilities\", \"id\": 1}", "", 1);
	tc_expect(b, "{\"execute\": \"qmp_capabilities\", \"id\": 2}", "", 2);
	control_event(&ctl, "RESUME", NULL); /* to the clients of both sockets */
	json_object *ea = tc_line(a, 2000), *eb = tc_line(b, 2000);
	ck_assert_str_eq(str_at(ea, "event", NULL), "RESUME");
	ck_assert_str_eq(str_at(eb, "event", NULL), "RESUME");
	json_object_put(ea);
	json_object_put(eb);
	tc_free(a);
	tc_free(b);
	control_close(&ctl);
	ck_assert_int_eq(stat(second, &st), -1);
	ck_assert_int_eq(control_open(&ctl, path, &cmds), 0); /* for the teardown */
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, mode_and_two_clients);
	tcase_add_test(tc, non_reader_dropped);
	tcase_add_test(tc, half_close);
	tcase_add_test(tc, client_limit);
	tcase_add_test(tc, path_rules);
	tcase_add_test(tc, second_listener);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
