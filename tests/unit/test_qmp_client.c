// SPDX-License-Identifier: GPL-2.0-or-later
/* The blocking QMP client against the real server (vmm/control.c + vmm/qmp.c) run by a thread of the
 * test with its own poll loop and test commands: greeting and negotiation, a return, an error's class
 * and description, a command that answers late (timeout, then the next answer is matched by id), an
 * event that arrives while an answer is awaited and is found later, waiting for a named event, the
 * server closing (quit), and connecting to nothing or to a server that never greets. */
#include "unit.h"
#include "tools/qmp_client.h"
#include "vmm/control.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct server {
	char dir[64], path[128];
	struct qmp_commands cmds;
	struct control ctl;
	int stop[2]; /* a byte on stop[1] ends the loop */
	pthread_t thr;
	atomic_int emit_bang; /* set by test-arm: the loop sends BANG after this round */
	atomic_int banged; /* BANGs sent */
	atomic_int quit; /* set by test-quit: the loop closes the server */
};

static struct server srv;

static void h_echo(void *o, json_object *args, struct qmp_result *r)
{
	qmp_return(r, json_object_get(args));
}

static void h_fail(void *o, json_object *args, struct qmp_result *r)
{
	qmp_error(r, QMP_ERR_DEVICE_NOT_FOUND, "no such thing");
}

static void h_slow(void *o, json_object *args, struct qmp_result *r)
{
	usleep(300 * 1000);
	qmp_return(r, json_object_new_string("late"));
}

static void h_arm(void *o, json_object *args, struct qmp_result *r)
{
	srv.emit_bang = 1;
}

static void h_quit(void *o, json_object *args, struct qmp_result *r)
{
	srv.quit = 1;
}

static void *serve(void *arg)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = control_fd(&srv.ctl), .events = POLLIN }, { .fd = srv.stop[0], .events = POLLIN } };
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			break;
		control_handle(&srv.ctl);
		if (srv.emit_bang) {
			srv.emit_bang = 0;
			json_object *d = json_object_new_object();
			json_object_object_add(d, "n", json_object_new_int(7));
			control_event(&srv.ctl, "BANG", d);
			srv.banged++;
		}
		if (srv.quit)
			break;
	}
	control_close(&srv.ctl);
	return NULL;
}

static const struct qmp_arg echo_args[] = { { "v", json_type_null, 1 }, { NULL, 0, 0 } };

static void setup(void)
{
	memset(&srv, 0, sizeof(srv));
	strcpy(srv.dir, "/tmp/kvmini-qmpc-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(srv.dir));
	snprintf(srv.path, sizeof(srv.path), "%s/vm1.qmp", srv.dir);
	struct qmp_version v = { 7, 2, 0, "kvmini-test" };
	ck_assert_int_eq(qmp_commands_init(&srv.cmds, &v), 0);
	ck_assert_int_eq(qmp_register(&srv.cmds, "test-echo", echo_args, h_echo, NULL), 0);
	ck_assert_int_eq(qmp_register(&srv.cmds, "test-fail", NULL, h_fail, NULL), 0);
	ck_assert_int_eq(qmp_register(&srv.cmds, "test-slow", NULL, h_slow, NULL), 0);
	ck_assert_int_eq(qmp_register(&srv.cmds, "test-arm", NULL, h_arm, NULL), 0);
	ck_assert_int_eq(qmp_register(&srv.cmds, "test-quit", NULL, h_quit, NULL), 0);
	ck_assert_int_eq(control_open(&srv.ctl, srv.path, &srv.cmds), 0);
	ck_assert_int_eq(pipe(srv.stop), 0);
	ck_assert_int_eq(pthread_create(&srv.thr, NULL, serve, NULL), 0);
}

static void teardown(void)
{
	ck_assert_int_eq(write(srv.stop[1], "x", 1), 1);
	pthread_join(srv.thr, NULL);
	close(srv.stop[0]);
	close(srv.stop[1]);
	qmp_commands_free(&srv.cmds);
	rmdir(srv.dir);
}

START_TEST(greeting_return_error)
{
	struct qmp_client c;
	ck_assert_int_eq(qmpc_connect(&c, srv.path, 2000), 0);
	json_object *ver = NULL, *maj = NULL;
	ck_assert(json_object_object_get_ex(c.greeting, "version", &ver));
	ck_assert(json_object_object_get_ex(json_object_object_get(ver, "qemu"), "major", &maj));
	ck_assert_int_eq(json_object_get_int(maj), 7);
	/* a return, with the arguments as sent */
	json_object *args = json_object_new_object(), *ret = NULL;
	json_object_object_add(args, "v", json_object_new_string("hello"));
	ck_assert_int_eq(qmpc_execute(&c, "test-echo", args, 2000, &ret, NULL), 0);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(ret, "v")), "hello");
	json_object_put(ret);
	/* error answers: class and description */
	struct qmpc_error e;
	ck_assert_int_eq(qmpc_execute(&c, "test-fail", NULL, 2000, &ret, &e), -EREMOTEIO);
	ck_assert_ptr_null(ret);
	ck_assert_str_eq(e.cls, "DeviceNotFound");
	ck_assert_str_eq(e.desc, "no such thing");
	ck_assert_int_eq(qmpc_execute(&c, "no-such-command", NULL, 2000, NULL, &e), -EREMOTEIO);
	ck_assert_str_eq(e.cls, "CommandNotFound");
	/* a wrong argument is the server's GenericError, and the connection stays usable */
	args = json_object_new_object();
	json_object_object_add(args, "bogus", json_object_new_int(1));
	ck_assert_int_eq(qmpc_execute(&c, "test-echo", args, 2000, NULL, &e), -EREMOTEIO);
	ck_assert_str_eq(e.cls, "GenericError");
	ck_assert_int_eq(qmpc_execute(&c, "query-version", NULL, 2000, &ret, NULL), 0);
	ck_assert(json_object_object_get_ex(ret, "qemu", NULL));
	json_object_put(ret);
	qmpc_close(&c);
}
END_TEST

START_TEST(timeout_then_next_answer)
{
	struct qmp_client c;
	ck_assert_int_eq(qmpc_connect(&c, srv.path, 2000), 0);
	long long t0 = qmpc_now_ms();
	ck_assert_int_eq(qmpc_execute(&c, "test-slow", NULL, 100, NULL, NULL), -ETIMEDOUT);
	long long took = qmpc_now_ms() - t0;
	ck_assert_msg(took >= 90 && took < 290, "timeout took %lld ms", took);
	/* the late "late" answer comes first and is skipped: this one gets its own */
	json_object *args = json_object_new_object(), *ret = NULL;
	json_object_object_add(args, "v", json_object_new_int(42));
	ck_assert_int_eq(qmpc_execute(&c, "test-echo", args, 2000, &ret, NULL), 0);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(ret, "v")), 42);
	json_object_put(ret);
	qmpc_close(&c);
}
END_TEST

START_TEST(events_kept_and_awaited)
{
	struct qmp_client c;
	ck_assert_int_eq(qmpc_connect(&c, srv.path, 2000), 0);
	/* BANG is sent after test-arm's answer and before query-version is asked, so it arrives while
	 * query-version's answer is awaited (the wait: the server may read both commands in one round) */
	ck_assert_int_eq(qmpc_execute(&c, "test-arm", NULL, 2000, NULL, NULL), 0);
	for (int i = 0; i < 2000 && !srv.banged; i++)
		usleep(1000);
	ck_assert_int_eq(srv.banged, 1);
	json_object *ret = NULL;
	ck_assert_int_eq(qmpc_execute(&c, "query-version", NULL, 2000, &ret, NULL), 0);
	ck_assert(json_object_object_get_ex(ret, "qemu", NULL));
	json_object_put(ret);
	ck_assert_uint_eq(c.nev, 1);
	json_object *data = NULL;
	ck_assert_int_eq(qmpc_wait_event(&c, "BANG", 0, &data), 0);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(data, "n")), 7);
	json_object_put(data);
	ck_assert_uint_eq(c.nev, 0);
	/* nothing else comes: a wait for it times out */
	ck_assert_int_eq(qmpc_wait_event(&c, "BANG", 100, NULL), -ETIMEDOUT);
	/* an event sent later is waited for */
	ck_assert_int_eq(qmpc_execute(&c, "test-arm", NULL, 2000, NULL, NULL), 0);
	ck_assert_int_eq(qmpc_wait_event(&c, "BANG", 2000, NULL), 0);
	qmpc_close(&c);
}
END_TEST

START_TEST(server_closes)
{
	struct qmp_client c;
	ck_assert_int_eq(qmpc_connect(&c, srv.path, 2000), 0);
	ck_assert_int_eq(qmpc_execute(&c, "test-quit", NULL, 2000, NULL, NULL), 0);
	ck_assert_int_eq(qmpc_wait_close(&c, 2000), 0);
	ck_assert_int_eq(qmpc_execute(&c, "query-version", NULL, 2000, NULL, NULL), -ECONNRESET);
	ck_assert_int_eq(qmpc_wait_event(&c, "SHUTDOWN", 2000, NULL), -ECONNRESET);
	qmpc_close(&c);
	/* the socket file goes with the server: then there is nobody to connect to */
	int r = 0;
	for (int i = 0; i < 100 && (r = qmpc_connect(&c, srv.path, 200)) != -ENOENT; i++) {
		qmpc_close(&c);
		usleep(10000);
	}
	ck_assert_int_eq(r, -ENOENT);
	qmpc_close(&c);
}
END_TEST

START_TEST(connect_vm_by_name)
{
	setenv("KVMINI_RUNTIME_DIR", srv.dir, 1);
	struct qmp_client c;
	ck_assert_int_eq(qmpc_connect_vm(&c, "vm1", 2000), 0);
	ck_assert_int_eq(qmpc_execute(&c, "query-commands", NULL, 2000, NULL, NULL), 0);
	qmpc_close(&c);
	ck_assert_int_eq(qmpc_connect_vm(&c, "vm2", 2000), -ENOENT);
	qmpc_close(&c);
}
END_TEST

/* a listener nobody accepts on, and one that greets with something that is not QMP */
START_TEST(no_greeting)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/mute.qmp", srv.dir);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, p);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	struct qmp_client c;
	long long t0 = qmpc_now_ms();
	ck_assert_int_eq(qmpc_connect(&c, p, 150), -ETIMEDOUT);
	ck_assert(qmpc_now_ms() - t0 < 1000);
	qmpc_close(&c);
	/* a peer that says hello in plain text is not QMP */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the first connection waiting is the one that timed out above */
		for (int i = 0; i < 2; i++) {
			int a = accept(l, NULL, NULL);
			if (a < 0)
				_exit(1);
			send(a, "hello\r\n", 7, MSG_NOSIGNAL); /* the closed one may refuse it */
		}
		sleep(1);
		_exit(0);
	}
	ck_assert_int_eq(qmpc_connect(&c, p, 2000), -EPROTO);
	qmpc_close(&c);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(qmpc_connect(&c, "/nonexistent/x.qmp", 150), -ENOENT);
	qmpc_close(&c);
	close(l);
	unlink(p);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("qmp_client");
	TCase *t = tcase_create("client");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, greeting_return_error);
	tcase_add_test(t, timeout_then_next_answer);
	tcase_add_test(t, events_kept_and_awaited);
	tcase_add_test(t, server_closes);
	tcase_add_test(t, connect_vm_by_name);
	tcase_add_test(t, no_greeting);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
