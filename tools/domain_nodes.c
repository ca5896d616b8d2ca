// SPDX-License-Identifier: GPL-2.0-or-later
/* Small readers of libxml2 nodes for the domain XML parser (tools/domain_xml.h): attributes, text,
 * the one error line, warnings given once each, and libvirt's memory units. */
#include "tools/domain_xml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DX_WARN_MAX 256 /* distinct warnings remembered; past that they repeat rather than vanish */

/* a message is one line: control characters (a newline in a value) become spaces */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static long line_of(const struct dx *x, const xmlNode *n)
{
	long l = n ? xmlGetLineNo(n) : -1;
	return (l > 0 ? l : 1) + x->line0;
}

int dx_err(struct dx *x, const xmlNode *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	one_line(msg);
	snprintf(x->err, x->errlen, "line %ld: %s", line_of(x, n), msg);
	return -EINVAL;
}

void dx_warn(struct dx *x, const xmlNode *n, const char *fmt, ...)
{
	if (!x->warn)
		return;
	char msg[256], line[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	one_line(msg);
	struct dx_warned *w = x->warned;
	for (unsigned i = 0; i < w->n; i++)
		if (!strcmp(w->msg[i], msg))
			return;
	if (w->n < DX_WARN_MAX) {
		if (w->n == w->cap) {
			unsigned cap = w->cap ? 2 * w->cap : 16;
			char **m = realloc(w->msg, cap * sizeof(*m));
			if (m) {
				w->msg = m;
				w->cap = cap;
			}
		}
		char *copy = w->n < w->cap ? strdup(msg) : NULL;
		if (copy)
			w->msg[w->n++] = copy;
	}
	snprintf(line, sizeof(line), "line %ld: %s", line_of(x, n), msg);
	x->warn(x->opaque, line);
}

/* "name" or "prefix:name" */
static void qname(const xmlNode *n, char *buf, size_t len)
{
	if (n->ns && n->ns->prefix)
		snprintf(buf, len, "%s:%s", n->ns->prefix, n->name);
	else
		snprintf(buf, len, "%s", n->name);
}

void dx_unknown(struct dx *x, const xmlNode *n)
{
	char me[80], up[80];
	qname(n, me, sizeof(me));
	const xmlNode *p = n->parent;
	/* top-level and device elements are known by their own name; others by their parent too */
	if (!p || p->type != XML_ELEMENT_NODE || !p->parent || p->parent->type != XML_ELEMENT_NODE ||
	    dx_is(p, "devices"))
		dx_warn(x, n, "<%s>: not supported by kvmini, ignored", me);
	else {
		qname(p, up, sizeof(up));
		dx_warn(x, n, "<%s><%s>: not supported by kvmini, ignored", up, me);
	}
}

void dx_warn_attr(struct dx *x, const xmlNode *n, const char *attr, const char *why)
{
	char me[80];
	qname(n, me, sizeof(me));
	char *v = dx_attr(n, attr);
	dx_warn(x, n, "<%s %s='%.40s'>: %s", me, attr, v ? v : "", why ? why : "not supported by kvmini, ignored");
	free(v);
}

void dx_attrs(struct dx *x, const xmlNode *n, const char *const *known)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (!a->ns && known && dx_lookup((const char *)a->name, known) >= 0)
			continue;
		char me[80], an[80];
		qname(n, me, sizeof(me));
		if (a->ns && a->ns->prefix)
			snprintf(an, sizeof(an), "%s:%s", a->ns->prefix, a->name);
		else
			snprintf(an, sizeof(an), "%s", a->name);
		xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
		dx_warn(x, n, "<%s %s='%.40s'>: not supported by kvmini, ignored", me, an, v ? (const char *)v : "");
		xmlFree(v);
	}
}

int dx_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !n->ns && !strcmp((const char *)n->name, name);
}

xmlNode *dx_first(const xmlNode *n) { return xmlFirstElementChild((xmlNode *)n); }
xmlNode *dx_next(const xmlNode *n) { return xmlNextElementSibling((xmlNode *)n); }

char *dx_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!v)
		return NULL;
	char *s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

int dx_attr_is(const xmlNode *n, const char *name, const char *s)
{
	char *v = dx_attr(n, name);
	int eq = v && !strcmp(v, s);
	free(v);
	return eq;
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int dx_text(struct dx *x, const xmlNode *n, int trim, char **out)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *s = v ? (const char *)v : "";
	size_t len = strlen(s);
	if (trim) {
		while (len && blank(s[len - 1]))
			len--;
		while (len && blank(*s))
			s++, len--;
	}
	*out = strndup(s, len);
	xmlFree(v);
	if (!*out)
		return snprintf(x->err, x->errlen, "out of memory"), -ENOMEM;
	return 0;
}

void dx_set(char **slot, char *v)
{
	free(*slot);
	*slot = v;
}

int dx_charset(const char *s, const char *extra, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || n > max)
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr(extra, c))))
			return 0;
	}
	return 1;
}

int dx_ifname_ok(const char *s) { return dx_charset(s, "_.:-", 15); }

int dx_abspath_ok(const char *s) { return s && s[0] == '/' && s[1] && !strpbrk(s, "\n\r"); }

int dx_lookup(const char *s, const char *const *names)
{
	for (int i = 0; s && names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int dom_parse_u64(const char *s, uint64_t *v)
{
	while (blank(*s))
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	uint64_t n = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (n > (UINT64_MAX - d) / 10)
			return -ERANGE;
		n = n * 10 + d;
	}
	while (blank(*s))
		s++;
	if (*s)
		return -EINVAL;
	*v = n;
	return 0;
}

/* libvirt's unit names (formatdomain, "memory"): b/byte/bytes; k, K, KiB, KB (1000) ... e, EiB, EB;
 * the letter's case does not matter */
static int unit_scale(const char *u, uint64_t *scale)
{
	if (!u || !*u) {
		*scale = 1024;
		return 0;
	}
	if (!strcasecmp(u, "b") || !strcasecmp(u, "byte") || !strcasecmp(u, "bytes")) {
		*scale = 1;
		return 0;
	}
	static const char letters[] = "kmgtpe";
	const char *p = strchr(letters, u[0] | 0x20);
	uint64_t base;
	if (!p || !u[0])
		return -EDOM;
	if (!u[1] || !strcasecmp(u + 1, "iB"))
		base = 1024;
	else if ((u[1] | 0x20) == 'b' && !u[2])
		base = 1000;
	else
		return -EDOM;
	*scale = 1;
	for (const char *q = letters; q <= p; q++)
		*scale *= base;
	return 0;
}

int dom_scale_memory(const char *text, const char *unit, uint64_t *bytes)
{
	uint64_t v, scale;
	int r = dom_parse_u64(text, &v);
	if (r == -EINVAL)
		return r;
	if (unit_scale(unit, &scale))
		return -EDOM;
	const uint64_t limit = 1ULL << 60; /* 1 EiB: past any machine, and far from overflow */
	if (r || v > limit / scale)
		return -ERANGE;
	v *= scale;
	*bytes = (v + 1023) & ~1023ULL;
	return 0;
}
