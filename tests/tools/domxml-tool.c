// SPDX-License-Identifier: GPL-2.0-or-later
/* Test driver for the domain XML code (tests/integration/domxml.sh): parses FILE with
 * domain_parse_file and prints, by MODE,
 *   warnings   each warning on its own line
 *   format     domain_format's XML
 *   argv       domain_argv's `kvmini run` arguments, one per line
 *   roundtrip  nothing; exits 1 unless format -> parse -> format gives the same text
 * for the last document of FILE (the final pass of virt-install --print-xml), or the first with
 * "first" after FILE. A parse error is "domxml-tool: FILE: <err>" and exit 1. Volumes resolve to
 * /pools/<pool>/<vol>. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/domain.h"

static void print_warning(void *opaque, const char *msg) { fprintf(opaque, "warning: %s\n", msg); }

static int resolve(void *opaque, const char *pool, const char *vol, char *path, size_t len, char *err, size_t errlen)
{
	snprintf(path, len, "/pools/%s/%s", pool, vol);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: domxml-tool warnings|format|argv|roundtrip FILE [first]\n");
		return 2;
	}
	const char *mode = argv[1], *file = argv[2];
	int warn_mode = !strcmp(mode, "warnings");
	struct domain *d[2];
	char err[512];
	if (domain_parse_file(file, d, err, sizeof(err), warn_mode ? print_warning : NULL, stdout)) {
		fprintf(stderr, "domxml-tool: %s: %s\n", file, err);
		return 1;
	}
	struct domain *one = argc == 4 && !strcmp(argv[3], "first") ? d[0] : d[1] ? d[1] : d[0];
	int rc = 0;
	if (!strcmp(mode, "format")) {
		char *x = domain_format(one);
		rc = x ? fputs(x, stdout) < 0 : 1;
		free(x);
	} else if (!strcmp(mode, "argv")) {
		char **av;
		int n = domain_argv(one, &av, resolve, NULL, err, sizeof(err));
		if (n < 0) {
			fprintf(stderr, "domxml-tool: %s\n", err);
			rc = 1;
		}
		for (int i = 0; i < n; i++)
			printf("%s\n", av[i]);
		if (n >= 0)
			domain_argv_free(av);
	} else if (!strcmp(mode, "roundtrip")) {
		char *x1 = domain_format(one), *x2 = NULL;
		struct domain *e[2] = { NULL, NULL };
		if (!x1 || domain_parse(x1, strlen(x1), e, err, sizeof(err), NULL, NULL)) {
			fprintf(stderr, "domxml-tool: formatted XML does not parse: %s\n", x1 ? err : "no memory");
			rc = 1;
		} else if (!(x2 = domain_format(e[0])) || strcmp(x1, x2)) {
			fprintf(stderr, "domxml-tool: round trip changed the XML\n--- first\n%s--- second\n%s", x1, x2 ? x2 : "");
			rc = 1;
		}
		domain_free(e[0]);
		domain_free(e[1]);
		free(x1);
		free(x2);
	} else if (!warn_mode) {
		fprintf(stderr, "domxml-tool: %s: unknown mode\n", mode);
		rc = 2;
	}
	domain_free(d[0]);
	domain_free(d[1]);
	return rc;
}
