// SPDX-License-Identifier: GPL-2.0-or-later
/* Domain snapshot XML (tools/snapshot_xml.h): parse with libxml2 (tools/xmldoc.h), write in
 * libvirt's layout. */
#include "tools/snapshot_xml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/xmldoc.h"

void snapdef_free(struct snap_def *s)
{
	free(s->description);
	for (unsigned i = 0; i < s->ndisks; i++)
		free(s->disks[i]);
	memset(s, 0, sizeof(*s));
}

static int bad(char *err, size_t errlen, xmlNodePtr n, const char *what, const char *arg)
{
	snprintf(err, errlen, "line %ld: %s%.80s%s", n ? xmlGetLineNo(n) : 0L, what, arg ? arg : "",
		 arg ? "'" : "");
	return -EINVAL;
}

/* snapshot='internal' or none; anything else is a kind kvmini does not make */
static int internal_only(xmlNodePtr n, char *err, size_t errlen)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)"snapshot");
	int r = v && strcmp((const char *)v, "internal")
			? bad(err, errlen, n, "only internal snapshots are supported, not snapshot='", (const char *)v)
			: 0;
	xmlFree(v);
	return r;
}

/* a name into buf (KV_NAME_MAX + 1): it becomes a directory name */
static int name_into(xmlNodePtr n, char *buf, char *err, size_t errlen)
{
	char *s = xmldoc_text(n);
	const char *why;
	if (!s)
		return -ENOMEM;
	int r = 0;
	if (kv_name_check(s, &why) < 0) {
		snprintf(err, errlen, "line %ld: snapshot name '%.80s': %s", xmlGetLineNo(n), s, why);
		r = -EINVAL;
	} else {
		strcpy(buf, s);
	}
	free(s);
	return r;
}

static int parse_disks(xmlNodePtr d, struct snap_def *out, char *err, size_t errlen)
{
	for (xmlNodePtr c = d->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)c->name, "disk"))
			return bad(err, errlen, c, "<disks> holds <disk> elements only", NULL);
		int r = internal_only(c, err, errlen);
		if (r)
			return r;
		xmlChar *name = xmlGetProp(c, (const xmlChar *)"name");
		if (!name || !name[0]) {
			xmlFree(name);
			return bad(err, errlen, c, "a <disk> needs a name", NULL);
		}
		if (out->ndisks >= SNAPDEF_MAX_DISKS) {
			xmlFree(name);
			return bad(err, errlen, c, "too many disks", NULL);
		}
		out->disks[out->ndisks] = strdup((const char *)name);
		xmlFree(name);
		if (!out->disks[out->ndisks])
			return -ENOMEM;
		out->ndisks++;
	}
	return 0;
}

/* decimal seconds, nothing else */
static int parse_time(xmlNodePtr n, int64_t *out, char *err, size_t errlen)
{
	char *s = xmldoc_text(n), *end;
	if (!s)
		return -ENOMEM;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	int r = 0;
	if (errno || end == s || *end || v <= 0)
		r = bad(err, errlen, n, "<creationTime> is not a number of seconds: '", s);
	else
		*out = v;
	free(s);
	return r;
}

static int parse_child(xmlNodePtr c, struct snap_def *out, char *err, size_t errlen)
{
	const char *n = (const char *)c->name;
	if (!strcmp(n, "name"))
		return name_into(c, out->name, err, errlen);
	if (!strcmp(n, "description")) {
		free(out->description);
		return (out->description = xmldoc_text(c)) ? 0 : -ENOMEM;
	}
	if (!strcmp(n, "state")) {
		char *s = xmldoc_text(c);
		if (!s)
			return -ENOMEM;
		int r = 0;
		if (strcmp(s, "running") && strcmp(s, "paused") && strcmp(s, "shutoff"))
			r = bad(err, errlen, c, "unknown snapshot state '", s);
		else
			strcpy(out->state, s);
		free(s);
		return r;
	}
	if (!strcmp(n, "parent")) {
		for (xmlNodePtr p = c->children; p; p = p->next)
			if (p->type == XML_ELEMENT_NODE && !strcmp((const char *)p->name, "name"))
				return name_into(p, out->parent, err, errlen);
		return 0;
	}
	if (!strcmp(n, "creationTime"))
		return parse_time(c, &out->creation, err, errlen);
	if (!strcmp(n, "memory"))
		return internal_only(c, err, errlen);
	if (!strcmp(n, "disks"))
		return parse_disks(c, out, err, errlen);
	return 0; /* <domain>, <cookie>, <active>...: libvirt's own bookkeeping */
}

int snapdef_parse(const char *buf, size_t len, struct snap_def *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	xmlDocPtr doc = xmldoc_read(buf, len, "a domain snapshot", err, errlen);
	if (!doc)
		return -EINVAL;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int r = 0;
	if (!root || strcmp((const char *)root->name, "domainsnapshot"))
		r = bad(err, errlen, root, "the root element must be <domainsnapshot>", NULL);
	for (xmlNodePtr c = root ? root->children : NULL; c && !r; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			r = parse_child(c, out, err, errlen);
	xmlFreeDoc(doc);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r) {
		snapdef_free(out);
		xmldoc_one_line(err, errlen);
	}
	return r;
}

char *snapdef_format(const struct snap_def *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "<domainsnapshot>\n  <name>%s</name>\n", s->name);
	if (s->description) {
		fputs("  <description>", f);
		xmldoc_put_escaped(f, s->description);
		fputs("</description>\n", f);
	}
	if (s->state[0])
		fprintf(f, "  <state>%s</state>\n", s->state);
	if (s->parent[0])
		fprintf(f, "  <parent>\n    <name>%s</name>\n  </parent>\n", s->parent);
	if (s->creation)
		fprintf(f, "  <creationTime>%lld</creationTime>\n", (long long)s->creation);
	fputs("  <memory snapshot='internal'/>\n", f);
	if (s->ndisks) {
		fputs("  <disks>\n", f);
		for (unsigned i = 0; i < s->ndisks; i++) {
			fputs("    <disk name='", f);
			xmldoc_put_escaped(f, s->disks[i]);
			fputs("' snapshot='internal'/>\n", f);
		}
		fputs("  </disks>\n", f);
	}
	fputs("</domainsnapshot>\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
