// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target for the domain XML code (tools/domain_xml.c, domain_devices.c, domain_nodes.c,
 * domain_format.c, domain_argv.c): the input is a definition file. Whatever domain_parse accepts
 * must format to XML that parses back (one document) and formats to the same text again, and must
 * give run arguments or a reason; every warning and error is one line. Else it aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const char *s)
{
	if (strchr(s, '\n') || !s[0])
		abort();
}

static void on_warn(void *opaque, const char *msg)
{
	one_line(msg);
	(*(unsigned *)opaque)++;
}

static int resolve(void *opaque, const char *pool, const char *vol, char *path, size_t len, char *err, size_t errlen)
{
	if (vol[0] == 'x')
		return snprintf(err, errlen, "no volume %s", vol), -2;
	snprintf(path, len, "/pool/%s/%s", pool, vol);
	return 0;
}

static void check_one(struct domain *d)
{
	char err[512];
	char *x1 = domain_format(d);
	if (!x1)
		abort();
	struct domain *e[2];
	if (domain_parse(x1, strlen(x1), e, err, sizeof(err), NULL, NULL) || !e[0] || e[1]) {
		fprintf(stderr, "fuzz harness: formatted XML does not parse back: %s\n%s", err, x1);
		abort();
	}
	char *x2 = domain_format(e[0]);
	if (!x2 || strcmp(x1, x2)) {
		fprintf(stderr, "fuzz harness: round trip changed\n%s---\n%s", x1, x2 ? x2 : "");
		abort();
	}
	char **av;
	err[0] = 0;
	int n = domain_argv(d, &av, resolve, NULL, err, sizeof(err));
	if (n < 0)
		one_line(err);
	else {
		for (int i = 0; i < n; i++)
			if (!av[i])
				abort();
		if (av[n])
			abort();
		domain_argv_free(av);
	}
	domain_free(e[0]);
	free(x1);
	free(x2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domain *d[2];
	char err[512];
	unsigned warnings = 0;
	err[0] = 0;
	if (domain_parse((const char *)data, size, d, err, sizeof(err), on_warn, &warnings)) {
		one_line(err);
		if (d[0] || d[1])
			abort();
		return 0;
	}
	if (!d[0])
		abort();
	for (int i = 0; i < 2; i++)
		if (d[i])
			check_one(d[i]);
	domain_free(d[0]);
	domain_free(d[1]);
	return 0;
}
