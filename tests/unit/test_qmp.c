// SPDX-License-Identifier: GPL-2.0-or-later
/* The QMP engine driven with strings: greeting, negotiation order, id echo, each error class,
 * malformed JSON and a good command after it on the same session, messages split byte by byte and
 * packed together, an oversized message then resync, argument type checks, events' shape. */
#include "unit.h"
#include "vmm/qmp.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

struct sink {
	char buf[1 << 16];
	size_t len, rd;
	int fail; /* -errno to return from the write */
};

static int sink_write(void *o, const char *b, size_t n)
{
	struct sink *k = o;
	if (k->fail)
		return k->fail;
	ck_assert_uint_lt(k->len + n, sizeof(k->buf));
	memcpy(k->buf + k->len, b, n);
	k->len += n;
	k->buf[k->len] = 0;
	return 0;
}

/* The next message written, parsed; NULL when none is left. Each must end in CRLF and be ASCII. */
static json_object *next_msg(struct sink *k)
{
	if (k->rd == k->len)
		return NULL;
	char *end = strstr(k->buf + k->rd, "\r\n");
	ck_assert_ptr_nonnull(end);
	for (char *p = k->buf + k->rd; p < end; p++)
		ck_assert_int_lt((unsigned char)*p, 0x80);
	json_object *o = json_tokener_parse(k->buf + k->rd);
	ck_assert_msg(o != NULL, "not JSON: %.*s", (int)(end - k->buf - k->rd), k->buf + k->rd);
	k->rd = (size_t)(end - k->buf) + 2;
	return o;
}

static const char *get_str(json_object *o, const char *path1, const char *path2)
{
	json_object *v;
	if (!json_object_object_get_ex(o, path1, &v))
		return NULL;
	if (path2 && !json_object_object_get_ex(v, path2, &v))
		return NULL;
	return json_object_get_string(v);
}

static struct qmp_commands cmds;
static struct sink out;
static struct qmp_session ses;
static int echo_calls;

/* a machine-like command with typed arguments: echoes them back */
static void cmd_echo(void *opaque, json_object *args, struct qmp_result *r)
{
	echo_calls++;
	ck_assert_ptr_eq(opaque, &echo_calls);
	json_object *v;
	if (json_object_object_get_ex(args, "fail", &v) && json_object_get_boolean(v)) {
		qmp_error(r, QMP_ERR_DEVICE_NOT_FOUND, "Device '%s' not found", "nope");
		return;
	}
	qmp_return(r, json_object_get(args));
}

static const struct qmp_arg echo_args[] = {
	{ "text", json_type_string, 0 }, { "count", json_type_int, 1 }, { "fail", json_type_boolean, 1 }, { NULL, 0, 0 }
};

static void setup_max(size_t max)
{
	struct qmp_version v = { 1, 2, 3, "kvmini test" };
	ck_assert_int_eq(qmp_commands_init(&cmds, &v), 0);
	ck_assert_int_eq(qmp_register(&cmds, "__org.kvmini_echo", echo_args, cmd_echo, &echo_calls), 0);
	memset(&out, 0, sizeof(out));
	echo_calls = 0;
	ck_assert_int_eq(qmp_session_init(&ses, &cmds, max, sink_write, &out), 0);
}

static void setup(void) { setup_max(0); }

static void teardown(void)
{
	qmp_session_free(&ses);
	qmp_commands_free(&cmds);
}

static void feed(const char *s) { ck_assert_int_eq(qmp_input(&ses, s, strlen(s)), 0); }

/* Feeds s and expects exactly one answer; returns it (caller puts it). */
static json_object *ask(const char *s)
{
	feed(s);
	json_object *m = next_msg(&out);
	ck_assert_msg(m != NULL, "no answer to %s", s);
	json_object *extra = next_msg(&out);
	ck_assert_msg(extra == NULL, "second answer to %s: %s", s, json_object_to_json_string(extra));
	return m;
}

static void expect_error(const char *req, const char *cls, const char *desc_part)
{
	json_object *m = ask(req);
	ck_assert_msg(get_str(m, "error", "class") && !strcmp(get_str(m, "error", "class"), cls), "%s -> %s", req,
		      json_object_to_json_string(m));
	if (desc_part)
		ck_assert_msg(strstr(get_str(m, "error", "desc"), desc_part), "%s -> %s", req, get_str(m, "error", "desc"));
	json_object_put(m);
}

static void expect_return(const char *req, const char *want_json)
{
	json_object *m = ask(req), *ret;
	ck_assert_msg(json_object_object_get_ex(m, "return", &ret), "%s -> %s", req, json_object_to_json_string(m));
	json_object *want = json_tokener_parse(want_json);
	ck_assert_msg(json_object_equal(ret, want), "%s -> %s", req, json_object_to_json_string(ret));
	json_object_put(want);
	json_object_put(m);
}

static void negotiate(void)
{
	json_object_put(next_msg(&out)); /* greeting */
	expect_return("{\"execute\": \"qmp_capabilities\"}", "{}");
}

START_TEST(greeting)
{
	json_object *g = next_msg(&out), *caps, *ver;
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(json_object_object_length(g), 1);
	ck_assert(json_object_object_get_ex(json_object_object_get(g, "QMP"), "capabilities", &caps));
	ck_assert(json_object_is_type(caps, json_type_array));
	ck_assert_int_eq(json_object_array_length(caps), 0);
	ck_assert(json_object_object_get_ex(json_object_object_get(g, "QMP"), "version", &ver));
	json_object *want = json_tokener_parse("{\"qemu\": {\"major\": 1, \"minor\": 2, \"micro\": 3}, \"package\": \"kvmini test\"}");
	ck_assert(json_object_equal(ver, want));
	json_object_put(want);
	json_object_put(g);
	ck_assert_ptr_null(next_msg(&out));
	/* the greeting's version is query-version's */
	expect_return("{\"execute\": \"qmp_capabilities\"}", "{}");
	expect_return("{\"execute\": \"query-version\"}",
		      "{\"qemu\": {\"major\": 1, \"minor\": 2, \"micro\": 3}, \"package\": \"kvmini test\"}");
}
END_TEST

START_TEST(negotiation_order)
{
	json_object_put(next_msg(&out));
	/* before negotiation nothing else is found, known or not (as QEMU answers) */
	expect_error("{\"execute\": \"huh\"}", "CommandNotFound", "qmp_capabilities");
	expect_error("{\"execute\": \"query-version\"}", "CommandNotFound", "qmp_capabilities");
	ck_assert_int_eq(ses.negotiated, 0);
	/* a capability not offered is refused and negotiation stays open */
	expect_error("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\"]}}", "GenericError", "oob");
	expect_error("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": \"oob\"}}", "GenericError",
		     "enable");
	expect_return("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": []}}", "{}");
	expect_error("{\"execute\": \"qmp_capabilities\"}", "CommandNotFound", "already complete");
	expect_error("{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": 1}}", "GenericError", "'enable'");
	expect_return("{\"execute\": \"query-commands\"}",
		      "[{\"name\": \"qmp_capabilities\"}, {\"name\": \"query-commands\"}, {\"name\": \"query-version\"},"
		      " {\"name\": \"__org.kvmini_echo\"}]");
}
END_TEST

START_TEST(id_echo)
{
	negotiate();
	const char *ids[] = { "1", "\"abc\"", "{\"a\": [1, 2]}", "null", "-7.5" };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char req[160];
		/* on success, on a command error, on a protocol error after the id was read */
		const char *forms[] = { "{\"execute\": \"query-version\", \"id\": %s}", "{\"id\": %s, \"execute\": \"nope\"}",
					"{\"id\": %s, \"execute\": \"query-version\", \"bogus\": 1}" };
		for (int f = 0; f < 3; f++) {
			snprintf(req, sizeof(req), forms[f], ids[i]);
			json_object *m = ask(req), *id;
			ck_assert_msg(json_object_object_get_ex(m, "id", &id), "%s -> %s", req, json_object_to_json_string(m));
			json_object *want = json_tokener_parse(ids[i]);
			ck_assert(json_object_equal(id, want));
			json_object_put(want);
			json_object_put(m);
		}
	}
	/* no id given, none echoed */
	json_object *m = ask("{\"execute\": \"query-version\"}");
	ck_assert(!json_object_object_get_ex(m, "id", NULL));
	json_object_put(m);
}
END_TEST

START_TEST(error_classes)
{
	negotiate();
	expect_error("[1, 2]", "GenericError", "JSON object");
	expect_error("42 ", "GenericError", "JSON object");
	expect_error("{\"arguments\": {}}", "GenericError", "lacks member 'execute'");
	expect_error("{\"execute\": 5}", "GenericError", "'execute' must be a string");
	expect_error("{\"execute\": \"query-version\", \"arguments\": [1]}", "GenericError", "'arguments' must be an object");
	expect_error("{\"execute\": \"query-version\", \"extra\": 1}", "GenericError", "'extra' is unexpected");
	expect_error("{\"execute\": \"no-such-command\"}", "CommandNotFound", "no-such-command");
	expect_error("{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": \"x\", \"fail\": true}}",
		     "DeviceNotFound", "nope");
	ck_assert_int_eq(echo_calls, 1);
	ck_assert_str_eq(qmp_err_class_name(QMP_ERR_DEVICE_NOT_ACTIVE), "DeviceNotActive");
	ck_assert_str_eq(qmp_err_class_name(QMP_ERR_KVM_MISSING_CAP), "KVMMissingCap");
}
END_TEST

START_TEST(argument_types)
{
	negotiate();
	/* wrong type, unknown argument, missing argument: refused before the handler runs */
	expect_error("{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": 1}}", "GenericError",
		     "Invalid parameter type for 'text', expected: string");
	expect_error("{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": \"a\", \"count\": \"2\"}}",
		     "GenericError", "'count', expected: integer");
	expect_error("{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": \"a\", \"colour\": 1}}",
		     "GenericError", "'colour' is unexpected");
	expect_error("{\"execute\": \"__org.kvmini_echo\"}", "GenericError", "'text' is missing");
	expect_error("{\"execute\": \"query-version\", \"arguments\": {\"x\": 1}}", "GenericError", "'x' is unexpected");
	ck_assert_int_eq(echo_calls, 0);
	expect_return("{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": \"a\", \"count\": 2}}",
		      "{\"text\": \"a\", \"count\": 2}");
	/* QMP's single-quoted strings; non-ASCII comes back escaped (the output is ASCII) */
	expect_return("{'execute': '__org.kvmini_echo', 'arguments': {'text': 'it\"s'}}", "{\"text\": \"it\\\"s\"}");
	expect_return("{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": \"h\xc3\xa9 \xf0\x9f\x98\x80\"}}",
		      "{\"text\": \"h\\u00e9 \\ud83d\\ude00\"}");
	ck_assert(strstr(out.buf, "h\\u00e9 \\ud83d\\ude00"));
	ck_assert_int_eq(echo_calls, 3);
}
END_TEST

START_TEST(malformed_then_good)
{
	negotiate();
	/* the spec's example: one error, no id (it was never read), and the session goes on */
	json_object *m = ask("{ \"execute\": }");
	ck_assert_str_eq(get_str(m, "error", "class"), "GenericError");
	ck_assert(strstr(get_str(m, "error", "desc"), "JSON parse error"));
	ck_assert(!json_object_object_get_ex(m, "id", NULL));
	json_object_put(m);
	expect_return("{\"execute\": \"query-version\", \"id\": 1}",
		      "{\"qemu\": {\"major\": 1, \"minor\": 2, \"micro\": 3}, \"package\": \"kvmini test\"}");
	/* garbage, an invalid string escape, invalid UTF-8, nesting beyond the limit: one error each */
	expect_error("nonsense ", "GenericError", "JSON parse error");
	expect_error("{\"execute\": \"a\\qb\"}", "GenericError", "JSON parse error");
	expect_error("{\"execute\": \"\xc3\x28\"}", "GenericError", "JSON parse error");
	char deep[4 * QMP_MAX_DEPTH + 8], *p = deep;
	for (int i = 0; i < 2 * QMP_MAX_DEPTH; i++)
		*p++ = '[';
	for (int i = 0; i < 2 * QMP_MAX_DEPTH; i++)
		*p++ = ']';
	*p = 0;
	expect_error(deep, "GenericError", "JSON parse error");
	/* json-c reads NaN and Infinity; they are not JSON and must not come back in an id */
	m = ask("{\"execute\": \"query-version\", \"id\": [NaN]}");
	ck_assert_str_eq(get_str(m, "error", "class"), "GenericError");
	ck_assert(!json_object_object_get_ex(m, "id", NULL));
	json_object_put(m);
	expect_error("{\"execute\": \"query-version\", \"arguments\": {\"a\": -Infinity}}", "GenericError", "number");
	/* a half message, then the spec's resync (a control character), then a good one */
	feed("{\"execute\": \"query-ver");
	ck_assert_ptr_null(next_msg(&out));
	feed("\x01");
	json_object_put(next_msg(&out)); /* the control character is itself a lexical error */
	expect_return("{\"execute\": \"query-commands\", \"arguments\": {}}",
		      "[{\"name\": \"qmp_capabilities\"}, {\"name\": \"query-commands\"}, {\"name\": \"query-version\"},"
		      " {\"name\": \"__org.kvmini_echo\"}]");
}
END_TEST

START_TEST(split_and_packed)
{
	json_object_put(next_msg(&out));
	/* byte by byte: nothing until the last byte, then one answer */
	const char *req = "{\"execute\":\r\n \"qmp_capabilities\", \"id\": \"s\"}";
	for (size_t i = 0; req[i]; i++) {
		ck_assert_ptr_null(next_msg(&out));
		ck_assert_int_eq(qmp_input(&ses, req + i, 1), 0);
	}
	json_object *m = next_msg(&out);
	ck_assert_str_eq(get_str(m, "id", NULL), "s");
	json_object_put(m);
	/* three in one read, a bad one in the middle: three answers in order */
	feed("{\"execute\": \"query-version\", \"id\": 1}{\"execute\": }{\"execute\": \"query-commands\", \"id\": 3}");
	m = next_msg(&out);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(m, "id")), 1);
	json_object_put(m);
	m = next_msg(&out);
	ck_assert_str_eq(get_str(m, "error", "class"), "GenericError");
	json_object_put(m);
	m = next_msg(&out);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(m, "id")), 3);
	ck_assert(json_object_is_type(json_object_object_get(m, "return"), json_type_array));
	json_object_put(m);
	ck_assert_ptr_null(next_msg(&out));
}
END_TEST

START_TEST(oversized)
{
	teardown();
	setup_max(256);
	negotiate();
	/* 300 bytes of argument string in two reads: refused once, the rest skipped to the message's end */
	char big[600];
	int n = snprintf(big, sizeof(big), "{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": \"%0300d\"}}", 0);
	ck_assert_int_lt(n, (int)sizeof(big));
	ck_assert_int_eq(qmp_input(&ses, big, 100), 0);
	ck_assert_ptr_null(next_msg(&out));
	feed(big + 100);
	json_object *m = next_msg(&out);
	ck_assert_str_eq(get_str(m, "error", "class"), "GenericError");
	ck_assert(strstr(get_str(m, "error", "desc"), "too large"));
	json_object_put(m);
	ck_assert_ptr_null(next_msg(&out));
	ck_assert_int_eq(echo_calls, 0);
	/* in sync again: brackets inside the skipped string did not confuse the skip */
	feed("{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": \"}}}}]]\"}, \"id\": 9}"
	     "{\"execute\": \"query-version\", \"id\": 10}");
	json_object *a = next_msg(&out), *b = next_msg(&out);
	ck_assert_str_eq(get_str(a, "return", "text"), "}}}}]]");
	ck_assert_int_eq(json_object_get_int(json_object_object_get(a, "id")), 9);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(b, "id")), 10);
	json_object_put(a);
	json_object_put(b);
	expect_return("{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": \"ok\"}}", "{\"text\": \"ok\"}");
	ck_assert_int_eq(echo_calls, 2);
	/* whitespace between messages does not count against the limit */
	char ws[1024];
	memset(ws, '\n', sizeof(ws) - 1);
	ws[sizeof(ws) - 1] = 0;
	feed(ws);
	ck_assert_ptr_null(next_msg(&out));
	expect_return("{\"execute\": \"__org.kvmini_echo\", \"arguments\": {\"text\": \"ok\"}}", "{\"text\": \"ok\"}");
}
END_TEST

START_TEST(events)
{
	json_object_put(next_msg(&out));
	struct timespec t0;
	clock_gettime(CLOCK_REALTIME, &t0);
	json_object *data = json_tokener_parse("{\"guest\": true, \"reason\": \"guest-shutdown\"}");
	json_object *ev = qmp_event_new("SHUTDOWN", data);
	/* not delivered before negotiation */
	ck_assert_int_eq(qmp_emit(&ses, ev), 0);
	ck_assert_ptr_null(next_msg(&out));
	expect_return("{\"execute\": \"qmp_capabilities\"}", "{}");
	ck_assert_int_eq(qmp_emit(&ses, ev), 0);
	json_object_put(ev);
	json_object *m = next_msg(&out), *ts, *v;
	ck_assert_int_eq(json_object_object_length(m), 3);
	ck_assert_str_eq(get_str(m, "event", NULL), "SHUTDOWN");
	ck_assert_str_eq(get_str(m, "data", "reason"), "guest-shutdown");
	ck_assert(json_object_object_get_ex(m, "timestamp", &ts));
	ck_assert_int_eq(json_object_object_length(ts), 2);
	ck_assert(json_object_object_get_ex(ts, "seconds", &v) && json_object_is_type(v, json_type_int));
	int64_t sec = json_object_get_int64(v);
	ck_assert(sec >= t0.tv_sec && sec <= t0.tv_sec + 5);
	ck_assert(json_object_object_get_ex(ts, "microseconds", &v) && json_object_is_type(v, json_type_int));
	ck_assert(json_object_get_int64(v) >= 0 && json_object_get_int64(v) < 1000000);
	json_object_put(m);
	/* data is optional */
	ev = qmp_event_new("STOP", NULL);
	ck_assert_int_eq(qmp_emit(&ses, ev), 0);
	json_object_put(ev);
	m = next_msg(&out);
	ck_assert(!json_object_object_get_ex(m, "data", NULL));
	ck_assert_str_eq(get_str(m, "event", NULL), "STOP");
	json_object_put(m);
}
END_TEST

START_TEST(write_failure)
{
	negotiate();
	out.fail = -EPIPE;
	const char *req = "{\"execute\": \"query-version\"}";
	ck_assert_int_eq(qmp_input(&ses, req, strlen(req)), -EPIPE);
	ck_assert_int_eq(qmp_input(&ses, req, strlen(req)), -EPIPE); /* sticky: the transport is gone */
	ck_assert_int_eq(qmp_register(&cmds, "query-version", NULL, cmd_echo, NULL), -EEXIST);
	ck_assert_int_eq(qmp_register(&cmds, "", NULL, cmd_echo, NULL), -EINVAL);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("qmp");
	TCase *tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, greeting);
	tcase_add_test(tc, negotiation_order);
	tcase_add_test(tc, id_echo);
	tcase_add_test(tc, error_classes);
	tcase_add_test(tc, argument_types);
	tcase_add_test(tc, malformed_then_good);
	tcase_add_test(tc, split_and_packed);
	tcase_add_test(tc, oversized);
	tcase_add_test(tc, events);
	tcase_add_test(tc, write_failure);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
