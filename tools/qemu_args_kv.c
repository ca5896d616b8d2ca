// SPDX-License-Identifier: GPL-2.0-or-later
/* The QEMU front end's reading of option values as QEMU writes them (see qemu_args.h, struct
 * qkv): "key=value" pairs split at commas, ",," a literal comma, an implied first key, bare flags
 * (x = on, nox = off), and QEMU's boolean words. */
#include "tools/qemu_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int qkv_parse(struct qemu_xlate *x, struct qkv *o, const char *opt, const char *s, const char *implied)
{
	memset(o, 0, sizeof(*o));
	size_t len = strlen(s);
	if (!(o->buf = malloc(len + 1)))
		return qx_fail(x, "out of memory"), -ENOMEM;
	char *w = o->buf, *start = w;
	for (const char *p = s;; p++) {
		if (*p == ',' && p[1] == ',') {
			*w++ = *p++; /* ",," is a comma */
			continue;
		}
		if (*p && *p != ',') {
			*w++ = *p;
			continue;
		}
		*w++ = 0;
		if (o->n == QKV_MAX) {
			qkv_free(o);
			return qx_fail(x, "%s %s: too many parameters", opt, s);
		}
		char *eq = strchr(start, '=');
		if (eq) {
			*eq = 0;
			o->key[o->n] = start;
			o->val[o->n] = eq + 1;
		} else if (!o->n && implied) {
			o->key[o->n] = (char *)implied;
			o->val[o->n] = start;
		} else if (!strncmp(start, "no", 2) && start[2]) {
			o->key[o->n] = start + 2;
			o->val[o->n] = "off";
		} else {
			o->key[o->n] = start;
			o->val[o->n] = "on";
		}
		if (!*o->key[o->n]) {
			qkv_free(o);
			return qx_fail(x, "%s %s: a parameter without a name", opt, s);
		}
		o->n++;
		if (!*p)
			break;
		start = w;
	}
	return 0;
}

void qkv_free(struct qkv *o)
{
	free(o->buf);
	o->buf = NULL;
}

const char *qkv_get(const struct qkv *o, const char *key)
{
	const char *v = NULL;
	for (unsigned i = 0; i < o->n; i++)
		if (!strcmp(o->key[i], key))
			v = o->val[i]; /* the last one counts, as in QEMU */
	return v;
}

int qkv_only(struct qemu_xlate *x, const struct qkv *o, const char *opt, const char *const *allowed)
{
	for (unsigned i = 0; i < o->n; i++) {
		const char *const *a = allowed;
		while (*a && strcmp(*a, o->key[i]))
			a++;
		if (!*a)
			return qx_fail(x, "%s: parameter '%s' is not supported", opt, o->key[i]);
	}
	return 0;
}

int qkv_bool(const char *v)
{
	if (!v)
		return -1;
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
		return 1;
	if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
		return 0;
	return -1;
}
