// SPDX-License-Identifier: GPL-2.0-or-later
/* The QMP command table: registration and lookup, the argument type check every command gets before
 * its handler runs (QEMU's messages), and the built-in commands of the protocol itself:
 * qmp_capabilities, query-commands and query-version. */
#include "qmp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *qmp_err_class_name(enum qmp_err_class c)
{
	switch (c) {
	case QMP_ERR_COMMAND_NOT_FOUND:
		return "CommandNotFound";
	case QMP_ERR_DEVICE_NOT_ACTIVE:
		return "DeviceNotActive";
	case QMP_ERR_DEVICE_NOT_FOUND:
		return "DeviceNotFound";
	case QMP_ERR_KVM_MISSING_CAP:
		return "KVMMissingCap";
	case QMP_ERR_GENERIC:
		break;
	}
	return "GenericError";
}

const struct qmp_command *qmp_lookup(const struct qmp_commands *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return &t->v[i];
	return NULL;
}

int qmp_register(struct qmp_commands *t, const char *name, const struct qmp_arg *args, qmp_handler fn,
		 void *opaque)
{
	if (!name || !*name || !fn)
		return -EINVAL;
	if (qmp_lookup(t, name))
		return -EEXIST;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct qmp_command *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	t->v[t->n++] = (struct qmp_command){ .name = copy, .args = args, .fn = fn, .opaque = opaque };
	return 0;
}

static const char *type_name(enum json_type t)
{
	switch (t) {
	case json_type_boolean:
		return "boolean";
	case json_type_double:
		return "number";
	case json_type_int:
		return "integer";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	case json_type_null:
		break;
	}
	return "any";
}

static int type_ok(enum json_type want, json_object *v)
{
	enum json_type t = json_object_get_type(v);
	return want == json_type_null || t == want || (want == json_type_double && t == json_type_int);
}

int qmp_check_args(const struct qmp_command *c, json_object *args, struct qmp_result *r)
{
	const struct qmp_arg *spec = c->args;
	if (args) {
		json_object_object_foreach(args, key, val) {
			const struct qmp_arg *a = spec;
			while (a && a->name && strcmp(a->name, key))
				a++;
			if (!a || !a->name) {
				qmp_error(r, QMP_ERR_GENERIC, "Parameter '%.64s' is unexpected", key);
				return -EINVAL;
			}
			if (!type_ok(a->type, val)) {
				qmp_error(r, QMP_ERR_GENERIC, "Invalid parameter type for '%s', expected: %s", a->name,
					  type_name(a->type));
				return -EINVAL;
			}
		}
	}
	for (const struct qmp_arg *a = spec; a && a->name; a++) {
		if (!a->optional && !(args && json_object_object_get_ex(args, a->name, NULL))) {
			qmp_error(r, QMP_ERR_GENERIC, "Parameter '%s' is missing", a->name);
			return -EINVAL;
		}
	}
	return 0;
}

json_object *qmp_version_json(const struct qmp_version *v)
{
	json_object *o = json_object_new_object(), *t = json_object_new_object();
	json_object_object_add(t, "major", json_object_new_int(v->major));
	json_object_object_add(t, "minor", json_object_new_int(v->minor));
	json_object_object_add(t, "micro", json_object_new_int(v->micro));
	json_object_object_add(o, "qemu", t);
	json_object_object_add(o, "package", json_object_new_string(v->package ? v->package : ""));
	return o;
}

/* kvmini offers no capabilities (the greeting's list is empty), so any one asked for is refused. */
static void cmd_capabilities(void *opaque, json_object *args, struct qmp_result *r)
{
	json_object *en;
	if (json_object_object_get_ex(args, "enable", &en)) {
		size_t n = json_object_array_length(en);
		for (size_t i = 0; i < n; i++) {
			json_object *c = json_object_array_get_idx(en, i);
			if (!json_object_is_type(c, json_type_string)) {
				qmp_error(r, QMP_ERR_GENERIC, "Invalid parameter type for 'enable', expected: array of string");
				return;
			}
			qmp_error(r, QMP_ERR_GENERIC, "Capability '%.64s' not available", json_object_get_string(c));
			return;
		}
	}
	r->session->negotiated = 1;
}

static void cmd_query_commands(void *opaque, json_object *args, struct qmp_result *r)
{
	const struct qmp_commands *t = r->session->cmds;
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < t->n; i++) {
		json_object *c = json_object_new_object();
		json_object_object_add(c, "name", json_object_new_string(t->v[i].name));
		json_object_array_add(list, c);
	}
	qmp_return(r, list);
}

static void cmd_query_version(void *opaque, json_object *args, struct qmp_result *r)
{
	qmp_return(r, qmp_version_json(&r->session->cmds->version));
}

static const struct qmp_arg caps_args[] = { { "enable", json_type_array, 1 }, { NULL, 0, 0 } };

int qmp_commands_init(struct qmp_commands *t, const struct qmp_version *ver)
{
	memset(t, 0, sizeof(*t));
	t->version = *ver;
	int ret = qmp_register(t, "qmp_capabilities", caps_args, cmd_capabilities, NULL);
	if (!ret)
		ret = qmp_register(t, "query-commands", NULL, cmd_query_commands, NULL);
	if (!ret)
		ret = qmp_register(t, "query-version", NULL, cmd_query_version, NULL);
	if (ret)
		qmp_commands_free(t);
	return ret;
}

void qmp_commands_free(struct qmp_commands *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
