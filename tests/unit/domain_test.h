/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the domain XML unit tests (test_domain_xml.c, test_domain_argv.c): a warning
 * recorder and parse helpers that assert acceptance or a refusal with a given reason. */
#ifndef KVMINI_DOMAIN_TEST_H
#define KVMINI_DOMAIN_TEST_H
#include <errno.h>

#include "tools/domain.h"
#include "unit.h"

struct warns {
	int n;
	char msg[32][300];
};

static inline void record(void *opaque, const char *msg)
{
	struct warns *w = opaque;
	if (w->n < 32)
		snprintf(w->msg[w->n], sizeof(w->msg[0]), "%s", msg);
	w->n++;
}

static inline int has_warning(const struct warns *w, const char *s)
{
	int k = 0;
	for (int i = 0; i < w->n && i < 32; i++)
		k += strstr(w->msg[i], s) != NULL;
	return k;
}

static char err[512];

/* parses one document that must be accepted */
static inline struct domain *parse_ok(const char *xml, struct warns *w)
{
	struct domain *d[2];
	int r = domain_parse(xml, strlen(xml), d, err, sizeof(err), w ? record : NULL, w);
	ck_assert_msg(r == 0, "parse failed: %s", err);
	ck_assert_ptr_null(d[1]);
	return d[0];
}

/* a document that must be refused: the error must contain want */
static inline void parse_bad(const char *xml, const char *want)
{
	struct domain *d[2] = { (void *)1, (void *)1 };
	err[0] = 0;
	ck_assert_int_eq(domain_parse(xml, strlen(xml), d, err, sizeof(err), NULL, NULL), -EINVAL);
	ck_assert_ptr_null(d[0]);
	ck_assert_ptr_null(d[1]);
	ck_assert_msg(strstr(err, want), "error '%s' lacks '%s'", err, want);
	ck_assert_ptr_null(strchr(err, '\n'));
}

#endif
