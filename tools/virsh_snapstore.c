// SPDX-License-Identifier: GPL-2.0-or-later
/* Where the snapshot verbs keep their metadata (tools/virsh_snap.h). */
#include "tools/virsh_snap.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/log.h"
#include "vmm/snapshot.h"

#define SNAPDEF_FILE "snapshot.xml"
#define CURRENT_FILE "current"

int snapstore_open(struct snapstore *s, const char *dom)
{
	char top[VIRSH_PATH];
	const char *why = NULL;
	int r = kv_config_subdir(top, sizeof(top), "snapshots", &why);
	if (r) {
		kv_err(r, "%s: %s", top, why ? why : "snapshot directory");
		return r;
	}
	snprintf(s->dom, sizeof(s->dom), "%s", dom);
	if (kv_path_join(s->base, sizeof(s->base), top, dom, "")) {
		kv_log("%s: name too long", top);
		return -ENAMETOOLONG;
	}
	if (mkdir(s->base, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		kv_err(r, "%s", s->base);
		return r;
	}
	return 0;
}

void snapstore_path(const struct snapstore *s, const char *snap, const char *file, char *buf)
{
	if (snprintf(buf, VIRSH_PATH, "%s/%s%s%s", s->base, snap, file ? "/" : "", file ? file : "") >= VIRSH_PATH)
		buf[0] = 0; /* names are short (kv_name_check): no file is called "" */
}

int snapstore_read(const struct snapstore *s, const char *snap, struct snap_def *d)
{
	char path[VIRSH_PATH], err[300];
	const char *why;
	if (kv_name_check(snap, &why) < 0) {
		kv_log("%s: snapshot name '%s': %s", s->dom, snap, why);
		return -EINVAL;
	}
	snapstore_path(s, snap, SNAPDEF_FILE, path);
	char *buf;
	size_t len;
	int r = text_read_file(path, 1 << 20, &buf, &len);
	if (r == -ENOENT) {
		kv_log("%s: Domain snapshot not found: no domain snapshot with matching name '%s'", s->dom, snap);
		return r;
	}
	if (r) {
		kv_err(r, "%s", path);
		return r;
	}
	r = snapdef_parse(buf, len, d, err, sizeof(err));
	free(buf);
	if (r)
		kv_log("%s: %s", path, err);
	else if (strcmp(d->name, snap)) {
		kv_log("%s: holds snapshot '%s', not '%s'", path, d->name, snap);
		snapdef_free(d);
		r = -EINVAL;
	}
	return r;
}

int snapstore_write(const struct snapstore *s, const struct snap_def *d)
{
	char path[VIRSH_PATH];
	char *x = snapdef_format(d);
	if (!x)
		return -ENOMEM;
	snapstore_path(s, d->name, SNAPDEF_FILE, path);
	int r = text_write_atomic(path, x, strlen(x));
	free(x);
	if (r)
		kv_err(r, "%s", path);
	return r;
}

static int by_time(const void *a, const void *b)
{
	const struct snap_def *x = a, *y = b;
	if (x->creation != y->creation)
		return x->creation < y->creation ? -1 : 1;
	return strcmp(x->name, y->name);
}

int snapstore_list(const struct snapstore *s, struct snap_def **out, unsigned *n)
{
	*out = NULL;
	*n = 0;
	DIR *dir = opendir(s->base);
	if (!dir) {
		int r = -errno;
		kv_err(r, "%s", s->base);
		return r;
	}
	struct dirent *e;
	unsigned cap = 0;
	int r = 0;
	while (!r && (e = readdir(dir))) {
		char path[VIRSH_PATH];
		const char *why;
		struct stat st;
		snapstore_path(s, e->d_name, SNAPDEF_FILE, path);
		if (kv_name_check(e->d_name, &why) < 0 || stat(path, &st) < 0)
			continue; /* ".", "..", "current", a snapshot being made */
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			struct snap_def *m = realloc(*out, cap * sizeof(**out));
			if (!m) {
				r = -ENOMEM;
				break;
			}
			*out = m;
		}
		if (!(r = snapstore_read(s, e->d_name, &(*out)[*n])))
			(*n)++;
	}
	closedir(dir);
	if (r) {
		snapstore_free_all(*out, *n);
		*out = NULL;
		*n = 0;
		return r;
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), by_time);
	return 0;
}

void snapstore_free_all(struct snap_def *all, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		snapdef_free(&all[i]);
	free(all);
}

void snapstore_current(const struct snapstore *s, char *buf)
{
	char path[VIRSH_PATH], *txt;
	const char *why;
	buf[0] = 0;
	snapstore_path(s, CURRENT_FILE, NULL, path);
	if (text_read_file(path, 256, &txt, NULL))
		return;
	txt[strcspn(txt, "\n")] = 0;
	if (!kv_name_check(txt, &why))
		snprintf(buf, KV_NAME_MAX + 1, "%s", txt);
	free(txt);
}

int snapstore_set_current(const struct snapstore *s, const char *snap)
{
	char path[VIRSH_PATH];
	snapstore_path(s, CURRENT_FILE, NULL, path);
	if (!snap[0])
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	char line[KV_NAME_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", snap);
	int r = text_write_atomic(path, line, (size_t)n);
	if (r)
		kv_err(r, "%s", path);
	return r;
}

int snapstore_remove(const struct snapstore *s, const char *snap)
{
	static const char *const files[] = { SNAPDEF_FILE, SNAP_STATE_FILE, SNAP_MEMORY_FILE,
					     SNAP_STATE_FILE ".tmp", SNAP_MEMORY_FILE ".tmp" };
	char path[VIRSH_PATH];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snapstore_path(s, snap, files[i], path);
		if (unlink(path) < 0 && errno != ENOENT) {
			int r = -errno;
			kv_err(r, "%s", path);
			return r;
		}
	}
	snapstore_path(s, snap, NULL, path);
	if (rmdir(path) < 0 && errno != ENOENT) {
		int r = -errno;
		kv_err(r, "%s", path);
		return r;
	}
	return 0;
}
