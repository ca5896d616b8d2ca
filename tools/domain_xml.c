// SPDX-License-Identifier: GPL-2.0-or-later
/* libvirt domain XML into struct domain (tools/domain.h): the libxml2 side (an untrusted input:
 * no network, no DTD, no entities, errors through a structured handler, never to stderr), the
 * split of virt-install's two concatenated documents, reading a file, freeing the result. The
 * elements are read by tools/domain_elements.c and tools/domain_devices.c. */
#include "tools/domain_xml.h"

#include <errno.h>
#include <fcntl.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DOM_XML_MAX (1 << 20) /* a definition is a few KiB; more is not a definition */

/* ---- libxml2: one document from a buffer ---- */

struct xml_state {
	int depth;
	long root_end; /* offset just past the root element's end tag, -1 before */
	int doctype; /* line of a DOCTYPE (refused), 0 none */
	int err_line, err_after_root;
	char err_msg[200];
};

static void on_error(void *opaque, xmlErrorPtr e)
{
	struct xml_state *s = opaque;
	if (e->level < XML_ERR_ERROR || s->err_msg[0])
		return;
	s->err_line = e->line > 0 ? e->line : 1;
	s->err_after_root = s->root_end >= 0;
	snprintf(s->err_msg, sizeof(s->err_msg), "%s", e->message ? e->message : "not well-formed XML");
	for (char *p = s->err_msg; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	size_t n = strlen(s->err_msg);
	while (n && s->err_msg[n - 1] == ' ')
		s->err_msg[--n] = 0;
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri, int nns,
		     const xmlChar **ns, int nattr, int ndef, const xmlChar **attrs)
{
	struct xml_state *s = ((xmlParserCtxtPtr)ctx)->_private;
	s->depth++;
	xmlSAX2StartElementNs(ctx, name, prefix, uri, nns, ns, nattr, ndef, attrs);
}

static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr c = ctx;
	struct xml_state *s = c->_private;
	xmlSAX2EndElementNs(ctx, name, prefix, uri);
	if (--s->depth == 0 && s->root_end < 0)
		s->root_end = xmlByteConsumed(c);
}

/* a DOCTYPE brings entities and external subsets: a domain definition has none */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr c = ctx;
	struct xml_state *s = c->_private;
	s->doctype = c->input ? c->input->line : 1;
	xmlStopParser(c);
}

/* Parses buf[0..len) as one document into *doc. When another document follows the first one's
 * root element, *next is where that root ended (else len). */
static int read_doc(const char *buf, size_t len, long line0, xmlDocPtr *doc, size_t *next, char *err, size_t errlen)
{
	struct xml_state s = { .root_end = -1 };
	*doc = NULL;
	*next = len;
	if (!len) /* libxml2 makes no context for an empty buffer */
		return snprintf(err, errlen, "line %ld: Document is empty", line0 + 1), -EINVAL;
	xmlParserCtxtPtr c = xmlCreateMemoryParserCtxt(buf, (int)len);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	xmlCtxtUseOptions(c, XML_PARSE_NONET);
	c->_private = &s;
	c->sax->startElementNs = on_start;
	c->sax->endElementNs = on_end;
	c->sax->internalSubset = on_doctype;
	c->sax->externalSubset = NULL;
	xmlStructuredErrorFunc old = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&s, on_error);
	xmlParseDocument(c);
	xmlSetStructuredErrorFunc(old_ctx, old);
	xmlDocPtr d = c->myDoc;
	int wf = c->wellFormed;
	c->myDoc = NULL;
	xmlFreeParserCtxt(c);
	int r = 0;
	if (s.doctype) {
		snprintf(err, errlen, "line %ld: a DOCTYPE is not allowed in a domain definition", s.doctype + line0);
		r = -EINVAL;
	} else if (s.err_msg[0] && s.err_after_root && s.root_end > 0 && (size_t)s.root_end < len &&
		   buf[s.root_end - 1] == '>') {
		*next = (size_t)s.root_end; /* a second document: the caller reads both halves */
	} else if (s.err_msg[0] || !wf || !d) {
		snprintf(err, errlen, "line %ld: %s", (s.err_line ? s.err_line : 1) + line0,
			 s.err_msg[0] ? s.err_msg : "not well-formed XML");
		r = -EINVAL;
	}
	if (r || *next != len) {
		xmlFreeDoc(d);
		d = NULL;
	}
	*doc = d;
	return r;
}

static long count_lines(const char *p, size_t n)
{
	long l = 0;
	for (size_t i = 0; i < n; i++)
		l += p[i] == '\n';
	return l;
}

/* Past blanks and comments between two documents: the second one's XML declaration must be its
 * first bytes. A comment ends at the first "-->" (XML forbids "--" inside one). */
static size_t skip_misc(const char *buf, size_t at, size_t len)
{
	for (;;) {
		while (at < len && (buf[at] == ' ' || buf[at] == '\t' || buf[at] == '\r' || buf[at] == '\n'))
			at++;
		if (len - at < 4 || memcmp(buf + at, "<!--", 4))
			return at;
		const char *end = memmem(buf + at + 4, len - at - 4, "-->", 3);
		if (!end)
			return at; /* the parser reports the unfinished comment */
		at = (size_t)(end - buf) + 3;
	}
}

/* One domain from buf[0..len) (a single document: the caller split them). */
static int parse_one(const char *buf, size_t len, long line0, struct dx *x, struct domain **out)
{
	xmlDocPtr doc;
	size_t next;
	int r = read_doc(buf, len, line0, &doc, &next, x->err, x->errlen);
	if (r)
		return r;
	if (!doc) /* a third document */
		return snprintf(x->err, x->errlen, "line %ld: more than two documents", line0 + count_lines(buf, skip_misc(buf, next, len)) + 1),
		       -EINVAL;
	struct domain *d = calloc(1, sizeof(*d));
	if (!d) {
		xmlFreeDoc(doc);
		return snprintf(x->err, x->errlen, "out of memory"), -ENOMEM;
	}
	x->d = d;
	x->line0 = line0;
	xmlNode *root = xmlDocGetRootElement(doc);
	if (!root || !dx_is(root, "domain"))
		r = dx_err(x, root, "the root element is <%s>, expected <domain>", root ? (const char *)root->name : "");
	else
		r = dx_domain(x, root);
	xmlFreeDoc(doc);
	if (r) {
		domain_free(d);
		return r;
	}
	*out = d;
	return 0;
}

int domain_parse(const char *buf, size_t len, struct domain *out[2], char *err, size_t errlen, dom_warn_fn warn,
		 void *opaque)
{
	out[0] = out[1] = NULL;
	if (len > DOM_XML_MAX) {
		snprintf(err, errlen, "larger than %d KiB: not a domain definition", DOM_XML_MAX >> 10);
		return -EINVAL;
	}
	xmlInitParser();
	struct dx_warned warned = { 0 };
	struct dx x = { .warn = warn, .opaque = opaque, .err = err, .errlen = errlen, .warned = &warned };
	xmlDocPtr doc;
	size_t next;
	/* find where the first document ends, then parse each half as a document of its own */
	int r = read_doc(buf, len, 0, &doc, &next, err, errlen);
	xmlFreeDoc(doc);
	if (!r)
		r = parse_one(buf, next, 0, &x, &out[0]);
	if (!r && next < len) {
		size_t start = skip_misc(buf, next, len);
		r = parse_one(buf + start, len - start, count_lines(buf, start), &x, &out[1]);
	}
	if (r) {
		domain_free(out[0]);
		out[0] = NULL;
	}
	for (unsigned i = 0; i < warned.n; i++)
		free(warned.msg[i]);
	free(warned.msg);
	return r;
}

int domain_parse_file(const char *path, struct domain *out[2], char *err, size_t errlen, dom_warn_fn warn,
		      void *opaque)
{
	out[0] = out[1] = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > DOM_XML_MAX) {
		close(fd);
		snprintf(err, errlen, S_ISREG(st.st_mode) ? "larger than %d KiB: not a domain definition" : "not a regular file",
			 DOM_XML_MAX >> 10);
		return -EINVAL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	errno = 0; /* a file that shrank reads short without an error: EIO then */
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	int e = !buf ? ENOMEM : got < (size_t)st.st_size ? (errno ? errno : EIO) : 0;
	close(fd);
	if (e) {
		free(buf);
		snprintf(err, errlen, "%s", strerror(e));
		return -e;
	}
	int r = domain_parse(buf, got, out, err, errlen, warn, opaque);
	free(buf);
	return r;
}

void domain_free(struct domain *d)
{
	if (!d)
		return;
	char **s[] = { &d->name, &d->title, &d->description, &d->os_arch, &d->os_machine, &d->kernel,
		       &d->initrd, &d->cmdline, &d->clock_offset, &d->vnc_listen, &d->video_model };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free(*s[i]);
	for (unsigned i = 0; i < d->ndisks && i < DOM_MAX_DISKS; i++)
		dom_disk_clear(&d->disks[i]);
	for (unsigned i = 0; i < d->nnets && i < DOM_MAX_NETS; i++)
		dom_net_clear(&d->nets[i]);
	free(d);
}
