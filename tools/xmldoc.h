/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading small XML documents the user hands kvmini (pool and snapshot definitions) with libxml2
 * the same safe way: no network, no DTD (a DOCTYPE is refused, so no entity is ever expanded),
 * nothing printed, the first error as one line "line N: message". */
#ifndef KVMINI_XMLDOC_H
#define KVMINI_XMLDOC_H
#include <stddef.h>
#include <stdio.h>

#include <libxml/tree.h>

/* Parses buf (at most 1 MiB). The document, or NULL with one line in err (what: "a storage pool",
 * for "a DOCTYPE is not allowed in <what>"). Free it with xmlFreeDoc. */
xmlDocPtr xmldoc_read(const char *buf, size_t len, const char *what, char *err, size_t errlen);
/* An element's text, malloc'd ("" when empty); NULL without memory. */
char *xmldoc_text(xmlNodePtr n);
/* Control characters in err made spaces: an error that quotes the input stays one line. */
void xmldoc_one_line(char *err, size_t errlen);
/* s with &, <, >, ', " escaped. */
void xmldoc_put_escaped(FILE *f, const char *s);

#endif
