/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The domain XML parser's internals, shared by tools/domain_xml.c (libxml2, the documents,
 * files), tools/domain_elements.c (the elements outside <devices>), tools/domain_devices.c and
 * tools/domain_nodes.c: the parse state, its one error and the warnings (each distinct message
 * once per domain_parse call), and small readers of libxml2 nodes. Not an interface for other modules: they use tools/domain.h. */
#ifndef KVMINI_DOMAIN_XML_H
#define KVMINI_DOMAIN_XML_H
#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/domain.h"

/* warnings already given in this domain_parse call (both documents share them) */
struct dx_warned {
	char **msg;
	unsigned n, cap;
};

struct dx {
	struct domain *d;
	dom_warn_fn warn;
	void *opaque;
	char *err;
	size_t errlen;
	long line0; /* lines before this document (the second of two) */
	struct dx_warned *warned;
};

/* "line N: <fmt>" into x->err; returns -EINVAL. */
int dx_err(struct dx *x, const xmlNode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* One warning "line N: <fmt>", unless this message (without its line) was already given. */
void dx_warn(struct dx *x, const xmlNode *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The usual warning for an element kvmini does not implement: "<parent><name>: not supported...". */
void dx_unknown(struct dx *x, const xmlNode *n);
/* A warning naming one attribute's value: "<elem attr='value'>: <why>" (why NULL: not supported). */
void dx_warn_attr(struct dx *x, const xmlNode *n, const char *attr, const char *why);
/* Warns about every attribute of n not in known (NULL-terminated; may be NULL: none known). */
void dx_attrs(struct dx *x, const xmlNode *n, const char *const *known);

/* n is an element without namespace called name */
int dx_is(const xmlNode *n, const char *name);
/* The first element child, the next element sibling (libxml2's, typed for const use). */
xmlNode *dx_first(const xmlNode *n);
xmlNode *dx_next(const xmlNode *n);
/* An attribute's value, malloc'd (NULL: absent or out of memory). */
char *dx_attr(const xmlNode *n, const char *name);
/* An attribute compared with s: 1 equal, 0 different or absent. */
int dx_attr_is(const xmlNode *n, const char *name, const char *s);
/* The element's text content into *out (malloc'd), trimmed of surrounding blanks if trim. */
int dx_text(struct dx *x, const xmlNode *n, int trim, char **out);
/* Replaces *slot by v (freeing the old one). */
void dx_set(char **slot, char *v);

/* s holds only characters of set (ASCII letters, digits, and the punctuation in extra), 1..max long */
int dx_charset(const char *s, const char *extra, size_t max);
/* a network device name as Linux and libvirt's schema take it: 1..15 of [A-Za-z0-9_.:-] */
int dx_ifname_ok(const char *s);
/* an absolute path as libvirt's schema takes it: '/' and at least one more character, no newline */
int dx_abspath_ok(const char *s);
/* the index of s in names (NULL-terminated), or -1 */
int dx_lookup(const char *s, const char *const *names);

/* A decimal number, blanks around it allowed: 0, -EINVAL, -ERANGE. */
int dom_parse_u64(const char *s, uint64_t *v);
/* text in unit (libvirt's names, any case; NULL: KiB) as bytes rounded up to KiB: 0, -EINVAL (not a
 * number), -EDOM (unknown unit), -ERANGE (too large). */
int dom_scale_memory(const char *text, const char *unit, uint64_t *bytes);

/* The <domain> root into x->d (tools/domain_elements.c), <devices> (tools/domain_devices.c) */
int dx_domain(struct dx *x, const xmlNode *root);
int dx_devices(struct dx *x, const xmlNode *n);

void dom_disk_clear(struct dom_disk *k);
void dom_net_clear(struct dom_net *t);

#endif
