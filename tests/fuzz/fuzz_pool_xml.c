// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target for the storage pool XML parser (tools/pool_xml.c, libxml2 underneath): the
 * input is a document as `pool-define FILE` reads it. The error must be one line; a document that
 * parses must format to XML that parses back to the same pool (else abort). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/pool_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool_def p, q;
	char err[256];
	memset(err, 'x', sizeof(err));
	if (pool_xml_parse((const char *)data, size, &p, err, sizeof(err)) < 0) {
		if (!memchr(err, 0, sizeof(err)) || !err[0])
			abort();
		for (const char *c = err; *c; c++) /* one line: the user sees it after "kvmini: " */
			if ((unsigned char)*c < 0x20)
				abort();
		return 0;
	}
	if (p.target[0] != '/' || strstr(p.target, "//"))
		abort();
	char *x = pool_xml_format(&p);
	if (!x)
		abort();
	if (pool_xml_parse(x, strlen(x), &q, err, sizeof(err)) < 0 || strcmp(p.name, q.name) ||
	    strcmp(p.target, q.target) || memcmp(p.uuid, q.uuid, 16))
		abort();
	free(x);
	pool_def_free(&q);
	pool_def_free(&p);
	return 0;
}
