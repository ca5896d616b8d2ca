// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini list` and `kvmini domstate`: the domains found in the config directory (defined) and the
 * runtime directory (live: their lock is held), in virsh's table and state names. */
#include "tools/virsh.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

void virsh_print_table(FILE *f, const char *const *cells, size_t nrows, size_t ncols)
{
	size_t w[8] = { 0 };
	if (ncols > 8)
		ncols = 8;
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < ncols; c++)
			if (strlen(cells[r * ncols + c]) > w[c])
				w[c] = strlen(cells[r * ncols + c]);
	/* virsh's layout: a space before each cell, columns 3 apart, a dashed line under the header */
	for (size_t r = 0; r < nrows; r++) {
		for (size_t c = 0; c < ncols; c++) {
			const char *s = cells[r * ncols + c];
			if (c + 1 < ncols)
				fprintf(f, " %-*s  ", (int)w[c], s);
			else
				fprintf(f, " %s\n", s);
		}
		if (r == 0) {
			for (size_t c = 0; c < ncols; c++)
				for (size_t i = 0; i < w[c] + 3; i++)
					fputc('-', f);
			fputc('\n', f);
		}
	}
}

struct entry {
	struct vdom d;
	const char *state;
};

static int has_name(char (*names)[KV_NAME_MAX + 1], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* Adds the names of dir's files ending in suffix (valid names only) to names. */
static size_t scan(const char *dir, const char *suffix, char (**names)[KV_NAME_MAX + 1], size_t n, size_t *cap)
{
	DIR *d = opendir(dir);
	if (!d)
		return n;
	size_t sl = strlen(suffix);
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l <= sl || l - sl > KV_NAME_MAX || strcmp(e->d_name + l - sl, suffix))
			continue;
		char name[KV_NAME_MAX + 1];
		memcpy(name, e->d_name, l - sl);
		name[l - sl] = 0;
		if (kv_name_check(name, NULL) || has_name(*names, n, name))
			continue;
		if (n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			void *p = realloc(*names, nc * sizeof(**names));
			if (!p)
				break;
			*names = p;
			*cap = nc;
		}
		strcpy((*names)[n++], name);
	}
	closedir(d);
	return n;
}

/* virsh's order: live domains by Id, then the others by name */
static int by_id_then_name(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->d.live != y->d.live)
		return x->d.live ? -1 : 1;
	if (x->d.live && x->d.pid != y->d.pid)
		return x->d.pid < y->d.pid ? -1 : 1;
	return strcmp(x->d.name, y->d.name);
}

/* The domains to show (live ones, and with all the defined ones too), sorted. */
static int collect(int all, struct entry **out, size_t *nout)
{
	char rundir[4096], domdir[4096];
	const char *why = NULL;
	int ret = kv_runtime_dir(rundir, sizeof(rundir), &why);
	if (ret) {
		kv_err(ret, "runtime directory: %s", why ? why : "unusable");
		return ret;
	}
	if ((ret = kv_config_subdir(domdir, sizeof(domdir), "domains", &why))) {
		kv_err(ret, "config directory: %s", why ? why : "unusable");
		return ret;
	}
	char (*names)[KV_NAME_MAX + 1] = NULL;
	size_t n = 0, cap = 0;
	n = scan(rundir, ".lock", &names, n, &cap);
	n = scan(domdir, ".xml", &names, n, &cap);
	struct entry *v = calloc(n ? n : 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; v && i < n; i++) {
		if (vdom_init(&v[k].d, names[i]))
			continue;
		/* a transient domain exists only while it is live */
		if (!v[k].d.live && (!all || !v[k].d.defined))
			continue;
		v[k].state = vdom_state(&v[k].d);
		k++;
	}
	free(names);
	if (!v)
		return -ENOMEM;
	qsort(v, k, sizeof(*v), by_id_then_name);
	*out = v;
	*nout = k;
	return 0;
}

int virsh_list(int argc, char **argv)
{
	static const struct option lo[] = { { "all", no_argument, NULL, 'a' },
					    { "name", no_argument, NULL, 'n' },
					    { "help", no_argument, NULL, 'h' },
					    { NULL, 0, NULL, 0 } };
	int all = 0, names_only = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == 'a')
			all = 1;
		else if (c == 'n')
			names_only = 1;
		else if (c == 'h') {
			virsh_help(argv[0], stdout);
			return 0;
		} else
			return virsh_usage_error(argv[0], "unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return virsh_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	struct entry *v = NULL;
	size_t n = 0;
	if (collect(all, &v, &n))
		return 1;
	if (names_only) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", v[i].d.name);
		printf("\n");
		free(v);
		return 0;
	}
	const char **cells = calloc((n + 1) * 3, sizeof(*cells));
	char (*ids)[16] = calloc(n ? n : 1, sizeof(*ids));
	if (!cells || !ids) {
		free(cells);
		free(ids);
		free(v);
		kv_err(-ENOMEM, "list");
		return 1;
	}
	cells[0] = "Id";
	cells[1] = "Name";
	cells[2] = "State";
	for (size_t i = 0; i < n; i++) {
		if (v[i].d.live && v[i].d.pid)
			snprintf(ids[i], sizeof(ids[i]), "%d", (int)v[i].d.pid);
		else
			strcpy(ids[i], "-");
		cells[(i + 1) * 3] = ids[i];
		cells[(i + 1) * 3 + 1] = v[i].d.name;
		cells[(i + 1) * 3 + 2] = v[i].state;
	}
	virsh_print_table(stdout, cells, n + 1, 3);
	printf("\n");
	free(cells);
	free(ids);
	free(v);
	return 0;
}

int virsh_domstate(int argc, char **argv)
{
	struct vdom d;
	int r = virsh_domain_arg(argc, argv, &d, 0);
	if (r >= 0)
		return r;
	printf("%s\n\n", vdom_state(&d));
	return 0;
}
