// SPDX-License-Identifier: GPL-2.0-or-later
/* Storage pool XML (libvirt's format, dir pools only): parse with libxml2, write in libvirt's
 * layout. The parser is the part a user's file reaches (`pool-define FILE`), so it is fuzzed
 * (tests/fuzz/fuzz_pool_xml.c). */
#include "tools/pool_xml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "tools/xmldoc.h"

void pool_uuid_format(const uint8_t u[16], char *buf)
{
	char *p = buf;
	for (int i = 0; i < 16; i++) {
		p += sprintf(p, "%02x", u[i]);
		if (i == 3 || i == 5 || i == 7 || i == 9)
			*p++ = '-';
	}
	*p = 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int pool_uuid_parse(const char *s, uint8_t u[16])
{
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	for (int i = 0; i < 16; i++) {
		if (*s == '-' && i)
			s++;
		int hi = hexval(s[0]), lo = hi < 0 ? -1 : hexval(s[1]);
		if (lo < 0)
			return -EINVAL;
		u[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return *s ? -EINVAL : 0;
}

int pool_uuid_random(uint8_t u[16])
{
	for (size_t got = 0; got < 16;) {
		ssize_t n = getrandom(u + got, 16 - got, 0);
		if (n < 0 && errno != EINTR)
			return -errno;
		got += n > 0 ? (size_t)n : 0;
	}
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
	return 0;
}

void pool_def_free(struct pool_def *p)
{
	free(p->target);
	p->target = NULL;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -EINVAL;
}

/* "/a//b/" -> "/a/b"; a relative path is refused. */
static char *clean_path(const char *in)
{
	if (in[0] != '/')
		return NULL;
	char *out = malloc(strlen(in) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = in; *p; p++)
		if (*p != '/' || o == out || o[-1] != '/')
			*o++ = *p;
	if (o - out > 1 && o[-1] == '/')
		o--;
	*o = 0;
	return out;
}

static int parse_target(xmlNodePtr t, struct pool_def *out, char *err, size_t errlen)
{
	for (xmlNodePtr c = t->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "path"))
			continue; /* permissions, timestamps: a dir pool keeps the directory's own */
		if (out->target) {
			snprintf(err, errlen, "line %ld: more than one <path> in <target>", xmlGetLineNo(c));
			return -EINVAL;
		}
		char *s = xmldoc_text(c);
		if (!s)
			return -ENOMEM;
		out->target = clean_path(s);
		if (!out->target) {
			int r = s[0] == '/' ? -ENOMEM : fail(err, errlen, "target path '%.200s' is not absolute", s);
			free(s);
			return r;
		}
		free(s);
	}
	return 0;
}

static int parse_root(xmlNodePtr root, struct pool_def *out, char *err, size_t errlen)
{
	if (!root || strcmp((const char *)root->name, "pool"))
		return fail(err, errlen, "the root element must be <pool>%s", "");
	xmlChar *type = xmlGetProp(root, (const xmlChar *)"type");
	if (!type)
		return fail(err, errlen, "missing storage pool type%s", "");
	int bad = strcmp((const char *)type, "dir");
	if (bad)
		fail(err, errlen, "storage pool type '%.40s' is not supported (only dir)", (const char *)type);
	xmlFree(type);
	if (bad)
		return -EINVAL;
	int have_name = 0, have_uuid = 0, r = 0;
	for (xmlNodePtr c = root->children; c && !r; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		const char *n = (const char *)c->name;
		int dup = (!strcmp(n, "name") && have_name) || (!strcmp(n, "uuid") && have_uuid) ||
			  (!strcmp(n, "target") && out->target);
		if (dup) {
			snprintf(err, errlen, "line %ld: more than one <%s>", xmlGetLineNo(c), n);
			return -EINVAL;
		}
		if (!strcmp(n, "name") || !strcmp(n, "uuid")) {
			char *s = xmldoc_text(c);
			const char *why;
			if (!s)
				return -ENOMEM;
			if (n[0] == 'n' && kv_name_check(s, &why) < 0) {
				snprintf(err, errlen, "pool name '%.80s': %s", s, why);
				r = -EINVAL;
			} else if (n[0] == 'n') {
				strcpy(out->name, s);
				have_name = 1;
			} else if (pool_uuid_parse(s, out->uuid) < 0) {
				r = fail(err, errlen, "malformed uuid '%.80s'", s);
			} else {
				have_uuid = 1;
			}
			free(s);
		} else if (!strcmp(n, "target")) {
			r = parse_target(c, out, err, errlen);
			if (!r && !out->target)
				r = fail(err, errlen, "missing storage pool target path%s", "");
		}
	}
	if (r)
		return r;
	if (!have_name)
		return fail(err, errlen, "missing storage pool name%s", "");
	if (!out->target)
		return fail(err, errlen, "missing storage pool target path%s", "");
	if (!have_uuid && (r = pool_uuid_random(out->uuid)) < 0)
		return fail(err, errlen, "cannot generate a uuid%s", "");
	return 0;
}

int pool_xml_parse(const char *buf, size_t len, struct pool_def *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	xmlDocPtr doc = xmldoc_read(buf, len, "a storage pool", err, errlen);
	if (!doc)
		return -EINVAL;
	int r = parse_root(xmlDocGetRootElement(doc), out, err, errlen);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	xmlFreeDoc(doc);
	if (r) {
		pool_def_free(out);
		xmldoc_one_line(err, errlen);
	}
	return r;
}

char *pool_xml_format(const struct pool_def *p)
{
	char *buf = NULL, uuid[37];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	pool_uuid_format(p->uuid, uuid);
	/* capacity/allocation/available: libvirt writes them and recomputes them when the pool starts */
	fprintf(f, "<pool type='dir'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n"
		   "  <capacity unit='bytes'>0</capacity>\n  <allocation unit='bytes'>0</allocation>\n"
		   "  <available unit='bytes'>0</available>\n  <source>\n  </source>\n  <target>\n    <path>",
		p->name, uuid);
	xmldoc_put_escaped(f, p->target);
	fputs("</path>\n  </target>\n</pool>\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
