// SPDX-License-Identifier: GPL-2.0-or-later
/* The QMP session: the greeting, framing of the byte stream into JSON messages with json-c's
 * incremental tokener, the request checks QEMU makes (in its order, with its error classes), the
 * answers and the events. Resynchronisation after bad input follows QEMU's streamer: a message is
 * skipped to where its brackets balance, or to an ASCII control character (the spec's way for a
 * client to force the parser into a known-good state). */
#include "qmp.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void qmp_return(struct qmp_result *r, json_object *ret)
{
	json_object_put(r->ret);
	r->ret = ret;
}

void qmp_error(struct qmp_result *r, enum qmp_err_class cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->desc, sizeof(r->desc), fmt, ap);
	va_end(ap);
	r->is_error = 1;
	r->cls = cls;
}

/* Appends the UTF-8 sequence at p (at most n bytes) as \uXXXX escapes; returns the bytes it took. An
 * invalid sequence becomes U+FFFD, one byte at a time. */
static size_t escape_utf8(const unsigned char *p, size_t n, char *out, size_t *o)
{
	unsigned c = p[0];
	size_t len = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
	uint32_t cp = len == 4 ? c & 7 : len == 3 ? c & 15 : c & 31;
	int ok = len && len <= n;
	for (size_t i = 1; ok && i < len; i++) {
		ok = (p[i] & 0xc0) == 0x80;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (!ok || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) || cp < (len == 2 ? 0x80u : len == 3 ? 0x800u : 0x10000u)) {
		cp = 0xfffd;
		len = 1;
	}
	if (cp >= 0x10000) {
		cp -= 0x10000;
		*o += (size_t)sprintf(out + *o, "\\u%04x\\u%04x", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
	} else {
		*o += (size_t)sprintf(out + *o, "\\u%04x", cp);
	}
	return len;
}

char *qmp_format(json_object *msg, size_t *len)
{
	size_t n;
	const char *s = json_object_to_json_string_length(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
							  &n);
	if (!s)
		return NULL;
	/* json-c leaves non-ASCII bytes (only ever inside strings) as they are: escape them; each input
	 * byte becomes at most 6 output bytes (a lone invalid byte becomes one escape) */
	char *out = malloc(n * 6 + 3);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if ((unsigned char)s[i] < 0x80)
			out[o++] = s[i++];
		else
			i += escape_utf8((const unsigned char *)s + i, n - i, out, &o);
	}
	out[o++] = '\r';
	out[o++] = '\n';
	out[o] = 0;
	*len = o;
	return out;
}

/* Writes msg (borrowed) to the session's transport. */
static int send_msg(struct qmp_session *s, json_object *msg)
{
	if (s->failed)
		return s->failed;
	size_t n;
	char *str = qmp_format(msg, &n);
	int ret = str ? s->write(s->wopaque, str, n) : -ENOMEM;
	free(str);
	if (ret < 0)
		s->failed = ret;
	return ret;
}

/* The answer to one request: consumes r's return value; id (borrowed, may be JSON null) is echoed
 * when has_id. */
static int answer(struct qmp_session *s, struct qmp_result *r, int has_id, json_object *id)
{
	json_object *msg = json_object_new_object();
	if (r->is_error) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "class", json_object_new_string(qmp_err_class_name(r->cls)));
		json_object_object_add(e, "desc", json_object_new_string(r->desc));
		json_object_object_add(msg, "error", e);
		json_object_put(r->ret);
	} else {
		json_object_object_add(msg, "return", r->ret ? r->ret : json_object_new_object());
	}
	r->ret = NULL;
	if (has_id)
		json_object_object_add(msg, "id", json_object_get(id));
	int ret = send_msg(s, msg);
	json_object_put(msg);
	return ret;
}

/* An error that answers no request in particular (bad JSON, not an object): no id. */
static void error_only(struct qmp_session *s, const char *desc)
{
	struct qmp_result r = { .session = s };
	qmp_error(&r, QMP_ERR_GENERIC, "%s", desc);
	answer(s, &r, 0, NULL);
}

/* json-c takes NaN and Infinity, which are not JSON (QEMU refuses them): they could come back in an
 * echoed id and make the output invalid. */
static int has_nonfinite(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_double:
		return !isfinite(json_object_get_double(o));
	case json_type_array:
		for (size_t i = 0, n = json_object_array_length(o); i < n; i++)
			if (has_nonfinite(json_object_array_get_idx(o, i)))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (has_nonfinite(val))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

/* One parsed request, checked in QEMU's order: shape, members, negotiation state, command known,
 * arguments, qmp_capabilities twice; only then the handler runs. */
static void dispatch(struct qmp_session *s, json_object *req)
{
	struct qmp_result r = { .session = s };
	json_object *id = NULL, *args = NULL;
	const char *name = NULL;
	if (has_nonfinite(req)) {
		error_only(s, "JSON parse error, invalid number");
		return;
	}
	if (!json_object_is_type(req, json_type_object)) {
		error_only(s, "QMP input must be a JSON object");
		return;
	}
	int has_id = json_object_object_get_ex(req, "id", &id);
	json_object_object_foreach(req, key, val) {
		if (!strcmp(key, "execute")) {
			if (!json_object_is_type(val, json_type_string)) {
				qmp_error(&r, QMP_ERR_GENERIC, "QMP input member 'execute' must be a string");
				goto out;
			}
			name = json_object_get_string(val);
		} else if (!strcmp(key, "arguments")) {
			if (!json_object_is_type(val, json_type_object)) {
				qmp_error(&r, QMP_ERR_GENERIC, "QMP input member 'arguments' must be an object");
				goto out;
			}
			args = val;
		} else if (strcmp(key, "id")) {
			qmp_error(&r, QMP_ERR_GENERIC, "QMP input member '%.64s' is unexpected", key);
			goto out;
		}
	}
	if (!name) {
		qmp_error(&r, QMP_ERR_GENERIC, "QMP input lacks member 'execute'");
		goto out;
	}
	const struct qmp_command *c = qmp_lookup(s->cmds, name);
	int is_caps = !strcmp(name, "qmp_capabilities");
	/* QEMU's words: before negotiation every other command, known or not, is "not found" */
	if (!s->negotiated && !is_caps)
		qmp_error(&r, QMP_ERR_COMMAND_NOT_FOUND, "Expecting capabilities negotiation with 'qmp_capabilities'");
	else if (!c)
		qmp_error(&r, QMP_ERR_COMMAND_NOT_FOUND, "The command %.64s has not been found", name);
	else if (qmp_check_args(c, args, &r) == 0) {
		if (s->negotiated && is_caps) { /* after the argument check, as in QEMU */
			qmp_error(&r, QMP_ERR_COMMAND_NOT_FOUND,
				  "Capabilities negotiation is already complete, command ignored");
		} else {
			json_object *none = args ? NULL : json_object_new_object();
			c->fn(c->opaque, args ? args : none, &r);
			json_object_put(none);
		}
	}
out:
	answer(s, &r, has_id, id);
}

static void scan_reset(struct qmp_session *s)
{
	s->depth = 0;
	s->in_str = 0;
	s->esc = 0;
	s->msg_len = 0;
	json_tokener_reset(s->tok);
}

/* Tracks strings and bracket depth over one byte of the message in progress. */
static void scan_byte(struct qmp_session *s, unsigned char c)
{
	if (s->in_str) {
		if (s->esc)
			s->esc = 0;
		else if (c == '\\')
			s->esc = 1;
		else if (c == (unsigned char)s->in_str)
			s->in_str = 0;
	} else if (c == '"' || c == '\'') {
		s->in_str = (char)c;
	} else if (c == '{' || c == '[') {
		s->depth++;
	} else if (c == '}' || c == ']') {
		s->depth--;
	}
}

static int is_resync(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0xff; }
static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Discards the rest of a bad message; returns the bytes taken (skipping ends when it ends). */
static size_t skip(struct qmp_session *s, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (is_resync(c))
			return i; /* qmp_input handles it */
		int top = s->depth <= 0 && !s->in_str;
		if (top && c == '{' && s->skipping > 1) { /* a new message starts after top-level junk */
			scan_reset(s);
			s->skipping = 0;
			return i;
		}
		s->skipping = 2;
		int was_str = s->in_str;
		scan_byte(s, c);
		if (s->depth <= 0 && !s->in_str && (c == '}' || c == ']' || was_str || is_space(c))) {
			scan_reset(s);
			s->skipping = 0;
			return i + 1;
		}
	}
	return n;
}

int qmp_input(struct qmp_session *s, const char *buf, size_t n)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0;
	while (i < n && !s->failed) {
		if (is_resync(p[i])) { /* a lexical error by definition: whatever was in progress is dropped */
			error_only(s, "JSON parse error, invalid character");
			scan_reset(s);
			s->skipping = 0;
			i++;
			continue;
		}
		if (s->skipping) {
			i += skip(s, p + i, n - i);
			continue;
		}
		if (!s->msg_len) { /* whitespace between messages does not count against the limit */
			while (i < n && is_space(p[i]))
				i++;
			if (i == n)
				break;
		}
		size_t room = s->max_msg - s->msg_len, k = 0;
		while (k < room && i + k < n && !is_resync(p[i + k]))
			k++;
		if (!k)
			continue; /* a resync byte follows whitespace */
		json_object *obj = json_tokener_parse_ex(s->tok, buf + i, (int)k);
		enum json_tokener_error e = json_tokener_get_error(s->tok);
		size_t used = json_tokener_get_parse_end(s->tok);
		if (e == json_tokener_success) {
			i += used;
			scan_reset(s);
			dispatch(s, obj);
			json_object_put(obj);
		} else if (e == json_tokener_continue) {
			for (size_t j = 0; j < k; j++)
				scan_byte(s, p[i + j]);
			i += k;
			s->msg_len += k;
			if (s->msg_len >= s->max_msg) {
				char desc[64];
				snprintf(desc, sizeof(desc), "JSON message too large (the limit is %zu bytes)", s->max_msg);
				error_only(s, desc);
				json_tokener_reset(s->tok);
				s->msg_len = 0;
				s->skipping = 2;
			}
		} else {
			/* one answer per bad message: skip from the offending byte to the message's end */
			char desc[96];
			snprintf(desc, sizeof(desc), "JSON parse error, %s", json_tokener_error_desc(e));
			error_only(s, desc);
			if (used > k)
				used = k;
			for (size_t j = 0; j < used; j++)
				scan_byte(s, p[i + j]);
			i += used;
			json_tokener_reset(s->tok);
			s->msg_len = 0;
			s->skipping = 1;
		}
	}
	return s->failed;
}

int qmp_session_init(struct qmp_session *s, const struct qmp_commands *cmds, size_t max_msg, qmp_write_fn write,
		     void *wopaque)
{
	memset(s, 0, sizeof(*s));
	s->cmds = cmds;
	s->write = write;
	s->wopaque = wopaque;
	s->max_msg = max_msg ? max_msg : QMP_MAX_MSG_DEFAULT;
	if (s->max_msg > QMP_MAX_MSG_LIMIT)
		s->max_msg = QMP_MAX_MSG_LIMIT; /* json-c takes an int length */
	s->tok = json_tokener_new_ex(QMP_MAX_DEPTH);
	if (!s->tok)
		return -ENOMEM;
	json_tokener_set_flags(s->tok, JSON_TOKENER_VALIDATE_UTF8);
	json_object *g = json_object_new_object(), *q = json_object_new_object();
	json_object_object_add(q, "version", qmp_version_json(&cmds->version));
	json_object_object_add(q, "capabilities", json_object_new_array());
	json_object_object_add(g, "QMP", q);
	int ret = send_msg(s, g);
	json_object_put(g);
	return ret < 0 ? ret : 0;
}

void qmp_session_free(struct qmp_session *s)
{
	if (s->tok)
		json_tokener_free(s->tok);
	s->tok = NULL;
}

json_object *qmp_event_new(const char *name, json_object *data)
{
	struct timespec ts;
	int64_t sec = -1, usec = -1; /* the spec's value when host time is unavailable */
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
		sec = ts.tv_sec;
		usec = ts.tv_nsec / 1000;
	}
	json_object *ev = json_object_new_object(), *t = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string(name));
	if (data)
		json_object_object_add(ev, "data", data);
	json_object_object_add(t, "seconds", json_object_new_int64(sec));
	json_object_object_add(t, "microseconds", json_object_new_int64(usec));
	json_object_object_add(ev, "timestamp", t);
	return ev;
}

int qmp_emit(struct qmp_session *s, json_object *ev)
{
	if (!s->negotiated)
		return s->failed;
	return send_msg(s, ev);
}
