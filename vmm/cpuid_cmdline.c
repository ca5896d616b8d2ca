// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest kernel parameters for a PVM host: see cpuid.h and /work/shared/PVM-NOTES.md. The parsing
 * mirrors Linux 6.1's early x86 parser (arch/x86/lib/cmdline.c): words split at any byte <= ' ',
 * no quoting, whole-word matches over the whole line, and of several clearcpuid= the last wins. */
#include "cpuid.h"

#include <errno.h>
#include <string.h>

/* Names checked against Linux 6.1: cpu_parse_early_param() accepts the lower-cased
 * X86_FEATURE_* names of cpufeatures.h (CONFIG_X86_FEATURE_NAMES, default y) or bit numbers. */
static const char pvm_cmdline[] =
	"noxsave noinvpcid clearcpuid=smap,popcnt,rdtscp,rdpid,erms,fsrm,clwb";

/* noxsave is read by the x86 early parser, which scans the whole line; noinvpcid is an
 * early_param, and parse_args() stops at "--" */
static const struct {
	const char *word;
	int whole_line;
} pvm_bools[] = { { "noxsave", 1 }, { "noinvpcid", 0 } };

static const struct {
	const char *name;
	unsigned bit; /* word * 32 + bit in Linux 6.1, so a user's "308" counts as "smap" */
} pvm_clear[] = {
	{ "smap", 9 * 32 + 20 },  { "popcnt", 4 * 32 + 23 }, { "rdtscp", 1 * 32 + 27 },
	{ "rdpid", 16 * 32 + 22 }, { "erms", 9 * 32 + 9 },    { "fsrm", 18 * 32 + 4 },
	{ "clwb", 9 * 32 + 24 },
};
#define NCLEAR (sizeof(pvm_clear) / sizeof(pvm_clear[0]))

#define CLEARCPUID "clearcpuid="
#define CLEARCPUID_LEN (sizeof(CLEARCPUID) - 1)
/* cpu_parse_early_param() copies the value into char arg[128]: the rest is silently dropped */
#define CLEARCPUID_MAX 127

const char *cpuid_pvm_cmdline(void)
{
	return pvm_cmdline;
}

static int is_space(char c)
{
	return c && (unsigned char)c <= ' ';
}

struct word {
	const char *p;
	size_t len;
};

/* Finds the next word at or after s; returns where scanning continues, NULL at the end. */
static const char *next_word(const char *s, struct word *w)
{
	while (is_space(*s))
		s++;
	if (!*s)
		return NULL;
	w->p = s;
	while (*s && !is_space(*s))
		s++;
	w->len = (size_t)(s - w->p);
	return s;
}

static int word_is(struct word w, const char *lit)
{
	return w.len == strlen(lit) && !memcmp(w.p, lit, w.len);
}

/* Is item [p, p+len) the name, or the decimal bit number? */
static int item_matches(const char *p, size_t len, const char *name, unsigned bit)
{
	if (len == strlen(name) && !memcmp(p, name, len))
		return 1;
	if (!len || len > 5)
		return 0;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	return v == bit;
}

static int list_has(const char *list, size_t len, const char *name, unsigned bit)
{
	size_t i = 0;
	while (i <= len) {
		size_t j = i;
		while (j < len && list[j] != ',')
			j++;
		if (item_matches(list + i, j - i, name, bit))
			return 1;
		i = j + 1;
	}
	return 0;
}

/* bounded string builder: records overflow instead of truncating silently */
struct sb {
	char *buf;
	size_t len, cap;
	int over;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->over || b->len + n + 1 > b->cap) {
		b->over = 1;
		return;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_space(struct sb *b)
{
	if (b->len && !b->over && !is_space(b->buf[b->len - 1]))
		sb_add(b, " ", 1);
}

/* The clearcpuid names missing from list (NULL: all), comma-joined, each preceded by a comma if
 * lead_comma. Returns the length it adds. */
static size_t add_names(struct sb *b, const char *list, size_t len, int lead_comma)
{
	size_t added = 0;
	for (size_t i = 0; i < NCLEAR; i++) {
		if (list && list_has(list, len, pvm_clear[i].name, pvm_clear[i].bit))
			continue;
		if (lead_comma || added) {
			if (b)
				sb_add(b, ",", 1);
			added++;
		}
		if (b)
			sb_str(b, pvm_clear[i].name);
		added += strlen(pvm_clear[i].name);
	}
	return added;
}

int cmdline_add_host_params(char *out, size_t outlen, const char *user_cmdline, int host_is_pvm,
			    int disabled)
{
	if (!out)
		return -EINVAL;
	const char *u = user_cmdline ? user_cmdline : "";
	size_t ulen = strlen(u);
	struct sb b = { out, 0, outlen, 0 };
	if (outlen)
		out[0] = '\0';
	if (!host_is_pvm || disabled) {
		sb_add(&b, u, ulen);
		return b.over ? -ENAMETOOLONG : 0;
	}

	size_t split = ulen; /* where a " -- " begins: new words go before it */
	struct word cc = { NULL, 0 }, w;
	int have[2] = { 0, 0 };
	for (const char *s = u; (s = next_word(s, &w));) {
		if (split == ulen && word_is(w, "--"))
			split = (size_t)(w.p - u);
		for (int i = 0; i < 2; i++)
			if (pvm_bools[i].whole_line || split == ulen)
				have[i] |= word_is(w, pvm_bools[i].word);
		if (w.len >= CLEARCPUID_LEN && !memcmp(w.p, CLEARCPUID, CLEARCPUID_LEN))
			cc = w;
	}

	/* merge into the user's (last) clearcpuid=: a second one would override theirs or ours */
	size_t at_list = cc.p ? (size_t)(cc.p - u) + cc.len : (size_t)-1;
	const char *list = cc.p ? cc.p + CLEARCPUID_LEN : NULL;
	size_t list_len = cc.p ? cc.len - CLEARCPUID_LEN : 0;
	size_t grow = cc.p ? add_names(NULL, list, list_len, list_len > 0) : 0;
	if (cc.p && list_len + grow > CLEARCPUID_MAX)
		return -E2BIG;
	int new_words = !have[0] || !have[1] || !cc.p;

	/* user text before the "--", with the list grown if it lies there */
	if (at_list <= split) {
		sb_add(&b, u, at_list);
		add_names(&b, list, list_len, list_len > 0);
		sb_add(&b, u + at_list, split - at_list);
	} else {
		sb_add(&b, u, split);
	}
	if (new_words) {
		while (b.len && is_space(b.buf[b.len - 1]))
			b.buf[--b.len] = '\0';
		for (int i = 0; i < 2; i++) {
			if (!have[i]) {
				sb_space(&b);
				sb_str(&b, pvm_bools[i].word);
			}
		}
		if (!cc.p) {
			sb_space(&b);
			sb_str(&b, CLEARCPUID);
			add_names(&b, NULL, 0, 0);
		}
		if (split < ulen)
			sb_space(&b);
	}
	/* the "--" and init's arguments, where the last clearcpuid= may also live */
	if (at_list != (size_t)-1 && at_list > split) {
		sb_add(&b, u + split, at_list - split);
		add_names(&b, list, list_len, list_len > 0);
		sb_add(&b, u + at_list, ulen - at_list);
	} else {
		sb_add(&b, u + split, ulen - split);
	}
	if (b.over) {
		if (outlen)
			out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}
