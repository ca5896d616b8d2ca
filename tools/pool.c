// SPDX-License-Identifier: GPL-2.0-or-later
/* virsh's storage pool verbs (pool-define-as, pool-define, pool-build, pool-start, pool-destroy,
 * pool-undefine, pool-info, pool-list, pool-dumpxml) with virsh's words, tables and exit codes, the
 * virsh-style argument parser all pool and vol verbs share, and their dispatch. */
#include "tools/pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "tools/pool_int.h"
#include "tools/textfile.h"
#include "vmm/log.h"
#include "vmm/size.h"

int pool_name_ok(const char *name, const char *what)
{
	const char *why;
	if (kv_name_check(name, &why) == 0)
		return 0;
	kv_log("%s '%s': %s", what, name, why);
	return 2;
}

int pool_size_parse(const char *s, unsigned long long *out)
{
	size_t n = strlen(s);
	char buf[64];
	if (n == 0 || n >= sizeof(buf) || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	memcpy(buf, s, n + 1);
	/* "10GiB" is "10G" to parse_size; "10GB" is decimal to virsh, binary to parse_size */
	if (n > 3 && !strcmp(buf + n - 2, "iB") && buf[n - 3] > '9') {
		buf[n - 2] = 0;
	} else if (n > 2 && (buf[n - 1] == 'B' || buf[n - 1] == 'b') && strchr("KkMmGgTt", buf[n - 2])) {
		static const char units[] = "kmgt";
		long e = strchr(units, buf[n - 2] | 0x20) - units + 1;
		buf[n - 2] = 0;
		uint64_t v;
		unsigned long long m = 1;
		if (strpbrk(buf, "KkMmGgTtBb") || parse_size(buf, &v) < 0)
			return -EINVAL;
		while (e--)
			m *= 1000;
		if (m > 1 && v > ~0ULL / m)
			return -ERANGE;
		*out = v * m;
		return 0;
	}
	uint64_t v;
	int r = parse_size(buf, &v);
	*out = v;
	return r;
}

const char *pool_capacity(unsigned long long v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = (double)v;
	unsigned u = 0;
	while (d >= 1024 && u < 6) {
		d /= 1024;
		u++;
	}
	snprintf(buf, len, "%.2f %s", d, units[u]);
	return buf;
}

void pool_table(const char *const *cells, int ncols, int nrows)
{
	size_t w[VOPT_MAX] = { 0 }, dashes = 0;
	for (int i = 0; i < nrows * ncols; i++)
		if (strlen(cells[i]) > w[i % ncols])
			w[i % ncols] = strlen(cells[i]);
	for (int r = 0; r < nrows; r++) {
		for (int c = 0; c < ncols; c++) {
			const char *s = cells[r * ncols + c];
			if (c < ncols - 1)
				printf(" %s%*s", s, (int)(w[c] - strlen(s) + 2), "");
			else
				printf(" %s\n", s);
		}
		if (r == 0) { /* under the header */
			for (int c = 0; c < ncols; c++)
				dashes += w[c] + 3;
			for (size_t i = 0; i < dashes; i++)
				putchar('-');
			putchar('\n');
		}
	}
}

/* -- the pool verbs -- */

enum { A_NAME, A_TYPE, A_TARGET, A_PRINT };

static int say_err(const char *err)
{
	kv_log("%s", err);
	return 1;
}

/* A pool the user named: 0 with *p filled, else the exit status after the message. */
static int get_pool(const char *name, struct pool_def *p, bool *active)
{
	char err[POOL_ERR];
	int r = pool_name_ok(name, "pool");
	if (r)
		return r;
	return pool_find(name, p, active, err, sizeof(err)) < 0 ? say_err(err) : 0;
}

static int define_and_say(struct pool_def *p, const char *from)
{
	char err[POOL_ERR];
	int r = pool_store_new(p, err, sizeof(err));
	if (r < 0)
		kv_log("%s", err);
	else if (from)
		printf("Pool %s defined from %s\n", p->name, from);
	else
		printf("Pool %s defined\n", p->name);
	pool_def_free(p);
	return r < 0 ? 1 : 0;
}

static int verb_define_as(const struct verb *v, const struct vopt *o)
{
	struct pool_def p = { 0 };
	int r = pool_name_ok(o[A_NAME].val, "pool");
	if (r)
		return r;
	if (strcmp(o[A_TYPE].val, "dir")) {
		kv_log("%s: storage pool type not supported (only dir)", o[A_TYPE].val);
		return 2;
	}
	if (!o[A_TARGET].val || !o[A_TARGET].val[0]) {
		kv_log("%s: missing storage pool target path (--target DIR)", v->name);
		return 2;
	}
	/* through the XML parser: a relative target becomes absolute, and the rules are one set */
	char cwd[4096], *xml = NULL;
	const char *t = o[A_TARGET].val;
	if (t[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
		kv_err(-errno, "%s: current directory", t);
		return 1;
	}
	strcpy(p.name, o[A_NAME].val);
	if (pool_uuid_random(p.uuid) < 0 || asprintf(&p.target, "%s%s%s", t[0] == '/' ? "" : cwd, t[0] == '/' ? "" : "/", t) < 0) {
		kv_log("%s: cannot make a uuid", p.name);
		return 1;
	}
	xml = pool_xml_format(&p);
	pool_def_free(&p);
	char err[256];
	if (!xml || pool_xml_parse(xml, strlen(xml), &p, err, sizeof(err)) < 0) {
		kv_log("%s: %s", o[A_TARGET].val, xml ? err : "out of memory");
		free(xml);
		return xml ? 2 : 1;
	}
	if (o[A_PRINT].val) {
		fputs(xml, stdout);
		free(xml);
		pool_def_free(&p);
		return 0;
	}
	free(xml);
	return define_and_say(&p, NULL);
}

static int verb_define(const struct verb *v, const struct vopt *o)
{
	const char *file = o[0].val;
	char *buf = NULL;
	size_t n = 0;
	int r = text_read_file(file, 1u << 20, &buf, &n);
	if (r < 0) {
		kv_err(r, "%s", file);
		return 1;
	}
	struct pool_def p;
	char err[256];
	r = pool_xml_parse(buf, n, &p, err, sizeof(err));
	free(buf);
	if (r < 0) {
		kv_log("%s: %s", file, err);
		return 1;
	}
	return define_and_say(&p, file);
}

/* The pool verbs that take only a pool name: the pool, whether active, and then the verb's body. */
static int verb_state(const struct verb *v, const struct vopt *o)
{
	struct pool_def p;
	bool active;
	char err[POOL_ERR];
	int r = get_pool(o[0].val, &p, &active);
	if (r)
		return r;
	const char *name = p.name, *w = v->name + 5;
	if (!strcmp(w, "start") || !strcmp(w, "destroy")) {
		bool start = w[0] == 's';
		struct stat st;
		if (active == start) {
			kv_log("%s: storage pool is %s", name, start ? "already active" : "not active");
			r = 1;
		} else if (start && stat(p.target, &st) < 0) {
			kv_err(-errno, "%s: cannot open directory %s", name, p.target);
			r = 1;
		} else if (start && !S_ISDIR(st.st_mode)) {
			kv_log("%s: %s is not a directory", name, p.target);
			r = 1;
		} else if (pool_set_active(name, start, err, sizeof(err)) < 0) {
			r = say_err(err);
		} else {
			printf("Pool %s %s\n", name, start ? "started" : "destroyed");
		}
	} else if (!strcmp(w, "undefine")) {
		if (active) {
			kv_log("%s: storage pool is active (pool-destroy it first)", name);
			r = 1;
		} else if (pool_store_remove(name, err, sizeof(err)) < 0) {
			r = say_err(err);
		} else {
			printf("Pool %s has been undefined\n", name);
		}
	} else if (!strcmp(w, "build")) {
		if (mkdir(p.target, 0755) < 0 && errno != EEXIST) {
			kv_err(-errno, "%s: cannot create directory %s", name, p.target);
			r = 1;
		} else {
			printf("Pool %s built\n", name);
		}
	} else { /* dumpxml */
		char *xml = pool_xml_format(&p);
		if (xml)
			fputs(xml, stdout);
		else
			r = say_err("out of memory");
		free(xml);
	}
	pool_def_free(&p);
	return r;
}

/* capacity, allocation, available of an active pool's filesystem, as libvirt's dir pools count */
static int pool_space(const struct pool_def *p, unsigned long long s[3])
{
	struct statvfs sv;
	if (statvfs(p->target, &sv) < 0)
		return -errno;
	s[0] = (unsigned long long)sv.f_frsize * sv.f_blocks;
	s[2] = (unsigned long long)sv.f_frsize * sv.f_bfree;
	s[1] = s[0] - s[2];
	return 0;
}

static int verb_info(const struct verb *v, const struct vopt *o)
{
	struct pool_def p;
	bool active;
	int r = get_pool(o[0].val, &p, &active);
	if (r)
		return r;
	char uuid[37], b[3][32];
	unsigned long long s[3];
	pool_uuid_format(p.uuid, uuid);
	printf("%-15s %s\n%-15s %s\n", "Name:", p.name, "UUID:", uuid);
	printf("%-15s %s\n%-15s %s\n%-15s %s\n", "State:", active ? "running" : "inactive", "Persistent:", "yes",
	       "Autostart:", "no");
	if (active && pool_space(&p, s) == 0) {
		static const char *const lbl[] = { "Capacity:", "Allocation:", "Available:" };
		for (int i = 0; i < 3; i++) {
			if (o[1].val)
				printf("%-15s %llu\n", lbl[i], s[i]);
			else
				printf("%-15s %s\n", lbl[i], pool_capacity(s[i], b[i], sizeof(b[i])));
		}
	}
	pool_def_free(&p);
	return 0;
}

static int verb_list(const struct verb *v, const struct vopt *o)
{
	char err[POOL_ERR], **names;
	int n;
	if (pool_names(&names, &n, err, sizeof(err)) < 0)
		return say_err(err);
	bool all = o[0].val, inactive = o[1].val, details = o[2].val;
	int ncols = details ? 7 : 3, rows = 1;
	const char **cells = calloc((size_t)(n + 1) * (size_t)ncols, sizeof(*cells));
	char (*buf)[3][32] = calloc((size_t)n + 1, sizeof(*buf));
	if (!cells || !buf) {
		free(cells);
		free(buf);
		pool_names_free(names, n);
		return say_err("out of memory");
	}
	static const char *const head[] = { "Name", "State", "Autostart", "Persistent", "Capacity", "Allocation",
					    "Available" };
	memcpy(cells, head, sizeof(*cells) * (size_t)ncols);
	for (int i = 0; i < n; i++) {
		struct pool_def p;
		bool active;
		unsigned long long s[3];
		if (pool_find(names[i], &p, &active, err, sizeof(err)) < 0) {
			kv_log("%s", err); /* one broken file does not hide the other pools */
			continue;
		}
		if ((active && inactive && !all) || (!active && !inactive && !all)) {
			pool_def_free(&p);
			continue;
		}
		const char **row = cells + rows * ncols;
		row[0] = names[i];
		row[1] = active ? (details ? "running" : "active") : "inactive";
		row[2] = "no";
		if (details) {
			row[3] = "yes";
			bool sp = active && pool_space(&p, s) == 0;
			for (int k = 0; k < 3; k++)
				row[4 + k] = sp ? pool_capacity(s[k], buf[rows][k], sizeof(buf[rows][k])) : "-";
		}
		rows++;
		pool_def_free(&p);
	}
	pool_table(cells, ncols, rows);
	free(cells);
	free(buf);
	pool_names_free(names, n);
	return 0;
}

#define POOL_ARG { "pool", true, true, true, NULL }
static const struct verb pool_verbs[] = {
	{ "pool-define-as", verb_define_as,
	  { { "name", true, true, true, NULL }, { "type", true, true, true, NULL }, { "target", true, false, false, NULL },
	    { "print-xml", false, false, false, NULL } },
	  "pool-define-as NAME dir --target DIR [--print-xml]\n"
	  "Defines a pool (inactive) over directory DIR; --print-xml only prints its XML.\n" },
	{ "pool-define", verb_define, { { "file", true, true, true, NULL } },
	  "pool-define FILE\nDefines a pool from libvirt storage pool XML (type 'dir').\n" },
	{ "pool-build", verb_state, { POOL_ARG }, "pool-build POOL\nCreates the pool's directory.\n" },
	{ "pool-start", verb_state, { POOL_ARG }, "pool-start POOL\nStarts (activates) a defined pool.\n" },
	{ "pool-destroy", verb_state, { POOL_ARG },
	  "pool-destroy POOL\nStops a pool; its directory and volumes stay as they are.\n" },
	{ "pool-undefine", verb_state, { POOL_ARG },
	  "pool-undefine POOL\nRemoves an inactive pool's definition (not its directory or volumes).\n" },
	{ "pool-info", verb_info, { POOL_ARG, { "bytes", false, false, false, NULL } },
	  "pool-info POOL [--bytes]\nName, UUID, state and, when active, the space of its filesystem.\n" },
	{ "pool-list", verb_list,
	  { { "all", false, false, false, NULL }, { "inactive", false, false, false, NULL },
	    { "details", false, false, false, NULL } },
	  "pool-list [--all|--inactive] [--details]\nThe active pools; --all adds the inactive ones.\n" },
	{ "pool-dumpxml", verb_state, { POOL_ARG }, "pool-dumpxml POOL\nThe pool's XML.\n" },
};
#define NPOOL (sizeof(pool_verbs) / sizeof(pool_verbs[0]))

static const struct verb *find_verb(const char *name)
{
	for (unsigned i = 0; i < NPOOL; i++)
		if (!strcmp(pool_verbs[i].name, name))
			return &pool_verbs[i];
	for (unsigned i = 0; i < vol_nverbs; i++)
		if (!strcmp(vol_verbs[i].name, name))
			return &vol_verbs[i];
	return NULL;
}

int pool_is_verb(const char *verb)
{
	return find_verb(verb) != NULL;
}

void pool_usage(FILE *f)
{
	for (unsigned i = 0; i < NPOOL + vol_nverbs; i++) {
		const struct verb *v = i < NPOOL ? &pool_verbs[i] : &vol_verbs[i - NPOOL];
		fprintf(f, "  %.*s\n", (int)strcspn(v->usage, "\n"), v->usage);
	}
}

/* 0, -1 after --help (printed), or 2 after a usage message */
static int parse_args(const struct verb *v, int argc, char **argv, struct vopt *o)
{
	int n = 0;
	while (v->opts[n].name)
		n++;
	memcpy(o, v->opts, sizeof(*o) * (size_t)n);
	o[n].name = NULL;
	bool opts_end = false; /* after "--" everything is positional */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!opts_end && !strcmp(a, "--")) {
			opts_end = true;
			continue;
		}
		if (!opts_end && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			printf("Usage: kvmini %s", v->usage);
			return -1;
		}
		int k = -1;
		if (!opts_end && a[0] == '-' && a[1] == '-' && a[2]) {
			size_t l = strcspn(a + 2, "=");
			for (int j = 0; j < n && k < 0; j++)
				if (strlen(o[j].name) == l && !strncmp(o[j].name, a + 2, l))
					k = j;
			if (k < 0) {
				kv_log("%s: unknown option '%.*s' (see kvmini %s --help)", v->name, (int)l + 2, a, v->name);
				return 2;
			}
			if (o[k].val) {
				kv_log("%s: option --%s given twice", v->name, o[k].name);
				return 2;
			}
			if (!o[k].has_arg && a[2 + l] == '=') {
				kv_log("%s: option --%s takes no value", v->name, o[k].name);
				return 2;
			}
			if (o[k].has_arg && !a[2 + l] && i + 1 >= argc) {
				kv_log("%s: option --%s needs a value", v->name, o[k].name);
				return 2;
			}
			o[k].val = !o[k].has_arg ? "" : a[2 + l] ? a + 3 + l : argv[++i];
			continue;
		}
		for (int j = 0; j < n && k < 0; j++)
			if (o[j].positional && !o[j].val)
				k = j;
		if (k < 0) {
			kv_log("%s: unexpected argument '%s' (see kvmini %s --help)", v->name, a, v->name);
			return 2;
		}
		o[k].val = a;
	}
	for (int j = 0; j < n; j++)
		if (o[j].required && !o[j].val) {
			kv_log("%s: <%s> is required (see kvmini %s --help)", v->name, o[j].name, v->name);
			return 2;
		}
	return 0;
}

int pool_main(int argc, char **argv)
{
	const struct verb *v = find_verb(argv[0]);
	if (!v) {
		kv_log("%s: unknown command (try 'kvmini --help')", argv[0]);
		return 2;
	}
	struct vopt o[VOPT_MAX + 1];
	int r = parse_args(v, argc, argv, o);
	if (r)
		return r < 0 ? 0 : r;
	r = v->fn(v, o);
	if (r == 0)
		putchar('\n'); /* virsh ends each command's output with an empty line */
	return r;
}
