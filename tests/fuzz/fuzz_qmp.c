// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target for the QMP engine (vmm/qmp.c, vmm/qmp_commands.c): the input is a client's byte
 * stream, cut into reads whose sizes the first byte chooses, fed to a fresh session with a small
 * message limit (so the oversize path and its resync run too) and a typed extension command. Every
 * message the engine writes must be one strict JSON object, ASCII, ending in CRLF; else it aborts.
 * Build: clang -fsanitize=fuzzer,address,undefined -I. -D_GNU_SOURCE $(pkg-config --cflags json-c)
 *        tests/fuzz/fuzz_qmp.c vmm/qmp.c vmm/qmp_commands.c $(pkg-config --libs json-c) */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/qmp.h"

static int check_write(void *opaque, const char *buf, size_t n)
{
	if (n < 2 || buf[n - 2] != '\r' || buf[n - 1] != '\n' || memchr(buf, '\n', n - 1))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] >= 0x80)
			abort();
	/* strict: what QEMU's clients parse (no NaN, comments or single quotes in the output) */
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	json_object *o = json_tokener_parse_ex(tok, buf, (int)n - 2);
	if (!json_object_is_type(o, json_type_object) || json_tokener_get_parse_end(tok) != n - 2)
		abort();
	json_object_put(o);
	json_tokener_free(tok);
	(*(size_t *)opaque)++;
	return 0;
}

static void cmd_echo(void *opaque, json_object *args, struct qmp_result *r)
{
	json_object *v;
	if (json_object_object_get_ex(args, "fail", &v) && json_object_get_boolean(v))
		qmp_error(r, QMP_ERR_DEVICE_NOT_ACTIVE, "no");
	else
		qmp_return(r, json_object_get(args));
}

static const struct qmp_arg echo_args[] = {
	{ "text", json_type_string, 0 }, { "n", json_type_int, 1 }, { "x", json_type_double, 1 },
	{ "fail", json_type_boolean, 1 }, { "any", json_type_null, 1 }, { NULL, 0, 0 }
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qmp_commands cmds;
	static int ready;
	if (!ready) {
		struct qmp_version v = { 0, 1, 0, "kvmini fuzz" };
		if (qmp_commands_init(&cmds, &v) || qmp_register(&cmds, "__org.kvmini_echo", echo_args, cmd_echo, NULL))
			abort();
		ready = 1;
	}
	if (!size)
		return 0;
	size_t chunk = (size_t)data[0] % 64 + 1, msgs = 0;
	data++;
	size--;
	struct qmp_session s;
	if (qmp_session_init(&s, &cmds, 512, check_write, &msgs))
		abort();
	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (qmp_input(&s, (const char *)data + off, n))
			abort();
	}
	json_object *ev = qmp_event_new("STOP", json_object_new_object());
	qmp_emit(&s, ev);
	json_object_put(ev);
	qmp_session_free(&s);
	return 0;
}
