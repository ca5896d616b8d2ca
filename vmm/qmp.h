/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QEMU Machine Protocol (QMP, QEMU's docs/interop/qmp-spec) over any byte stream: a session
 * takes input bytes as they arrive (messages may be split or packed across reads), answers through
 * a write callback, and knows nothing of sockets or of the machine. Commands live in a table that
 * the machine fills (name, argument types, handler); the engine checks the protocol, negotiation
 * and argument types before a handler runs, so handlers see well-typed arguments only.
 * Input is json-c's reading of JSON, which takes QMP's 'single-quoted' strings but not the \'
 * escape inside them; NaN and Infinity, which json-c also reads, are refused as QEMU does. */
#ifndef KVMINI_QMP_H
#define KVMINI_QMP_H
#include <json-c/json.h>
#include <stddef.h>

#define QMP_MAX_MSG_DEFAULT (64 * 1024) /* bytes of one incoming message; longer ones are refused */
#define QMP_MAX_MSG_LIMIT (64 * 1024 * 1024) /* the most a session accepts as its limit */
#define QMP_MAX_DEPTH 64 /* JSON nesting accepted in one message */

/* QMP's error classes (QEMU's ErrorClass); the names go on the wire. */
enum qmp_err_class {
	QMP_ERR_GENERIC,
	QMP_ERR_COMMAND_NOT_FOUND,
	QMP_ERR_DEVICE_NOT_ACTIVE,
	QMP_ERR_DEVICE_NOT_FOUND,
	QMP_ERR_KVM_MISSING_CAP,
};
const char *qmp_err_class_name(enum qmp_err_class c);

/* What a handler produces: a return value or an error (the engine sends "return": {} if neither). */
struct qmp_session;
struct qmp_result {
	struct qmp_session *session; /* the caller's session (for per-session commands) */
	json_object *ret; /* owned; set with qmp_return */
	int is_error;
	enum qmp_err_class cls;
	char desc[256];
};
/* Takes ownership of ret (any JSON value). */
void qmp_return(struct qmp_result *r, json_object *ret);
void qmp_error(struct qmp_result *r, enum qmp_err_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One argument a command accepts: its JSON type (json_type_null here means any type; json_type_double
 * also accepts integers, as JSON has one number type), and whether it may be left out. Arguments
 * not listed are refused, as QEMU does. */
struct qmp_arg {
	const char *name;
	enum json_type type;
	int optional;
};

/* args: the "arguments" object (never NULL: {} when the client gave none), borrowed. */
typedef void (*qmp_handler)(void *opaque, json_object *args, struct qmp_result *r);

struct qmp_command {
	char *name;
	const struct qmp_arg *args; /* terminated by a NULL name; NULL: no arguments */
	qmp_handler fn;
	void *opaque;
};

struct qmp_version {
	int major, minor, micro;
	const char *package; /* free text, e.g. "kvmini 0.1" */
};

/* The command table, shared by every session of a server; filled before the first session. */
struct qmp_commands {
	struct qmp_command *v;
	size_t n, cap;
	struct qmp_version version;
};

/* Registers the built-in qmp_capabilities, query-commands and query-version. */
int qmp_commands_init(struct qmp_commands *t, const struct qmp_version *ver);
void qmp_commands_free(struct qmp_commands *t);
/* Adds a command. -EEXIST when the name is taken, -EINVAL for an empty name. The machine's own
 * extensions use the spec's downstream prefix, e.g. "__org.kvmini_query-exits". */
int qmp_register(struct qmp_commands *t, const char *name, const struct qmp_arg *args, qmp_handler fn,
		 void *opaque);
const struct qmp_command *qmp_lookup(const struct qmp_commands *t, const char *name);

/* Receives each complete outgoing message (a JSON object ending in CRLF). 0, or -errno: the
 * transport failed; the session then stops producing output and qmp_input returns the error. */
typedef int (*qmp_write_fn)(void *opaque, const char *buf, size_t n);

struct qmp_session {
	const struct qmp_commands *cmds;
	qmp_write_fn write;
	void *wopaque;
	int negotiated; /* qmp_capabilities succeeded: other commands run, events are delivered */
	int failed; /* -errno from write, sticky */
	size_t max_msg;
	struct json_tokener *tok;
	size_t msg_len; /* bytes fed to tok for the message in progress */
	/* a light scan of the message in progress, so that an oversized one can be skipped to its end */
	int depth;
	char in_str; /* 0, '"' or '\'' (QMP accepts single-quoted strings) */
	int esc;
	int skipping; /* discarding the rest of an oversized message */
};

/* Sets up a session and sends the greeting. max_msg 0 means QMP_MAX_MSG_DEFAULT. Returns 0 or -errno
 * (the greeting could not be written, or no memory); qmp_session_free is needed either way. */
int qmp_session_init(struct qmp_session *s, const struct qmp_commands *cmds, size_t max_msg, qmp_write_fn write,
		     void *wopaque);
void qmp_session_free(struct qmp_session *s);
/* Feeds received bytes; runs every complete command and writes its answers. Malformed input is
 * answered with an error and parsing resumes after it. Returns 0 or the write error (-errno). */
int qmp_input(struct qmp_session *s, const char *buf, size_t n);

/* An event {"event", "data", "timestamp"} stamped now (CLOCK_REALTIME); takes ownership of data
 * (may be NULL: no "data" member). Build once, emit to every session, then json_object_put it. */
json_object *qmp_event_new(const char *name, json_object *data);
/* Writes ev (borrowed) if the session is negotiated (the spec: no events before); 0 or -errno. */
int qmp_emit(struct qmp_session *s, json_object *ev);

/* Serializes a message for the wire: plain JSON, non-ASCII escaped as \uXXXX (the spec's output is
 * ASCII), CRLF appended. Returns a malloc'd string (length in *len) or NULL without memory. */
char *qmp_format(json_object *msg, size_t *len);

/* Between the engine and its command table (qmp_commands.c): the version object of the greeting
 * and of query-version; the argument check (0, or -EINVAL with the error set in r). */
json_object *qmp_version_json(const struct qmp_version *v);
int qmp_check_args(const struct qmp_command *c, json_object *args, struct qmp_result *r);

#endif
