// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target for the domain snapshot XML parser (tools/snapshot_xml.c, libxml2 underneath):
 * the input is a document as `kvmini snapshot-create NAME FILE.xml` reads it. The error must be one
 * line; a document that parses must format to XML that parses back to the same definition. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/snapshot_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_def s, t;
	char err[256];
	memset(err, 'x', sizeof(err));
	if (snapdef_parse((const char *)data, size, &s, err, sizeof(err)) < 0) {
		if (!memchr(err, 0, sizeof(err)) || !err[0])
			abort();
		for (const char *c = err; *c; c++) /* one line: the user sees it after "kvmini: " */
			if ((unsigned char)*c < 0x20)
				abort();
		return 0;
	}
	if (!s.name[0]) /* the caller names it before it is written */
		strcpy(s.name, "x");
	char *x = snapdef_format(&s);
	if (!x)
		abort();
	if (snapdef_parse(x, strlen(x), &t, err, sizeof(err)) < 0)
		abort();
	int same = !strcmp(s.name, t.name) && !strcmp(s.parent, t.parent) && !strcmp(s.state, t.state) &&
		   s.creation == t.creation && s.ndisks == t.ndisks;
	/* XML normalises line ends in text: a description with \r may come back as \n */
	if (s.description && !strchr(s.description, '\r'))
		same = same && same_str(s.description, t.description);
	for (unsigned i = 0; same && i < s.ndisks; i++)
		same = !strchr(s.disks[i], '\r') ? !strcmp(s.disks[i], t.disks[i]) : 1;
	if (!same)
		abort();
	free(x);
	snapdef_free(&t);
	snapdef_free(&s);
	return 0;
}
