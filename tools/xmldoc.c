// SPDX-License-Identifier: GPL-2.0-or-later
/* See tools/xmldoc.h. */
#include "tools/xmldoc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

/* The first error libxml2 reports, as "line N: message" (later ones follow from it). */
struct xml_err {
	char *buf;
	size_t len;
	int set;
};

static void on_xml_error(void *opaque, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = opaque;
	struct xml_err *x = ctxt->_private;
	if (x->set || e->level == XML_ERR_WARNING)
		return;
	x->set = 1;
	size_t n = e->message ? strlen(e->message) : 0;
	while (n && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
		n--;
	snprintf(x->buf, x->len, "line %d: %.*s", e->line, (int)n, e->message ? e->message : "invalid XML");
}

xmlDocPtr xmldoc_read(const char *buf, size_t len, const char *what, char *err, size_t errlen)
{
	if (len > (1u << 20) || len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "the document is larger than 1 MiB");
		return NULL;
	}
	struct xml_err x = { err, errlen, 0 };
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* our handler instead of libxml2's printing; NOERROR/NOWARNING leave nothing else to print */
	ctxt->_private = &x;
	ctxt->sax->serror = on_xml_error;
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf, (int)len, "input.xml", NULL,
					  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
						  XML_PARSE_NOCDATA);
	if (!doc || !ctxt->wellFormed) {
		if (!x.set)
			snprintf(err, errlen, "line %d: the document is not well-formed XML", ctxt->input ? ctxt->input->line : 0);
		xmlFreeDoc(doc);
		doc = NULL;
	} else if (doc->intSubset || doc->extSubset) {
		/* no DTD means no entities to expand: nothing kvmini reads needs one */
		snprintf(err, errlen, "a DOCTYPE is not allowed in %s", what);
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	if (!doc)
		xmldoc_one_line(err, errlen);
	return doc;
}

char *xmldoc_text(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	if (!c)
		return strdup("");
	char *s = strdup((const char *)c);
	xmlFree(c);
	return s;
}

void xmldoc_one_line(char *err, size_t errlen)
{
	/* libxml2's messages may go on ("Bytes: 0x.."), and they quote the input */
	for (char *p = err; errlen && *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

void xmldoc_put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}
