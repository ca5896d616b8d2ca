// SPDX-License-Identifier: GPL-2.0-or-later
/* Where storage pools live. A defined pool is its libvirt pool XML in <config dir>/storage/NAME.xml,
 * written to a temporary file, synced, and linked into place (link() refuses an existing name, so
 * two definitions of one name cannot both win and nothing is ever half-defined). An active pool
 * (libvirt keeps that in its daemon) has the empty file <runtime dir>/pool-NAME.active: the runtime
 * dir is a tmpfs for root (/run/kvmini), so like libvirt's pools without autostart, every pool is
 * inactive again after a host reboot. Volumes are the regular files in the pool's target. Also
 * pool_vol_resolve (tools/pool.h), how a domain disk of type 'volume' finds its file. */
#include "tools/pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/pool_int.h"
#include "tools/textfile.h"
#include "vmm/paths.h"

static int dir_err(int r, const char *dir, const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s: %s", dir, why ? why : "unusable", strerror(-r));
	return r;
}

static int storage_file(const char *name, char *path, size_t len, char *err, size_t errlen)
{
	char dir[4096];
	const char *why = NULL;
	int r = kv_config_subdir(dir, sizeof(dir), "storage", &why);
	if (r < 0)
		return dir_err(r, dir, why, err, errlen);
	if (kv_path_join(path, len, dir, name, ".xml") < 0)
		return dir_err(-ENAMETOOLONG, dir, "path too long", err, errlen);
	return 0;
}

static int active_file(const char *name, char *path, size_t len, char *err, size_t errlen)
{
	char dir[4096], base[KV_NAME_MAX + 8];
	const char *why = NULL;
	int r = kv_runtime_dir(dir, sizeof(dir), &why);
	if (r < 0)
		return dir_err(r, dir, why, err, errlen);
	snprintf(base, sizeof(base), "pool-%s", name);
	if (kv_path_join(path, len, dir, base, ".active") < 0)
		return dir_err(-ENAMETOOLONG, dir, "path too long", err, errlen);
	return 0;
}


int pool_find(const char *name, struct pool_def *out, bool *active, char *err, size_t errlen)
{
	char path[4096], xerr[256];
	int r = storage_file(name, path, sizeof(path), err, errlen);
	if (r < 0)
		return r;
	char *buf = NULL;
	size_t len = 0;
	if ((r = text_read_file(path, 1u << 20, &buf, &len)) < 0) {
		if (r == -ENOENT)
			snprintf(err, errlen, "%s: no such storage pool", name);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	r = pool_xml_parse(buf, len, out, xerr, sizeof(xerr));
	free(buf);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, xerr);
		return r;
	}
	if (strcmp(out->name, name)) { /* a file renamed by hand: the name inside is the pool's */
		snprintf(err, errlen, "%s: holds the pool named '%s'", path, out->name);
		pool_def_free(out);
		return -EINVAL;
	}
	if (active) {
		if ((r = active_file(name, path, sizeof(path), err, errlen)) < 0) {
			pool_def_free(out);
			return r;
		}
		*active = access(path, F_OK) == 0;
	}
	return 0;
}

int pool_find_active(const char *name, struct pool_def *out, char *err, size_t errlen)
{
	bool active;
	int r = pool_find(name, out, &active, err, errlen);
	if (r == 0 && !active) {
		snprintf(err, errlen, "%s: storage pool is not active", name);
		pool_def_free(out);
		r = -ENODEV;
	}
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void pool_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int pool_names(char ***names, int *n, char *err, size_t errlen)
{
	char dir[4096];
	const char *why = NULL;
	int r = kv_config_subdir(dir, sizeof(dir), "storage", &why);
	if (r < 0)
		return dir_err(r, dir, why, err, errlen);
	DIR *d = opendir(dir);
	if (!d)
		return dir_err(-errno, dir, "cannot open directory", err, errlen);
	char **v = NULL;
	int k = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".xml"))
			continue;
		char *s = strndup(e->d_name, l - 4);
		if (!s || kv_name_check(s, NULL) < 0) { /* temporary files start with '.' */
			free(s);
			if (!s) {
				r = -ENOMEM;
				break;
			}
			continue;
		}
		if (k == cap) {
			char **nv = realloc(v, sizeof(*v) * (size_t)(cap = cap * 2 + 8));
			if (!nv) {
				free(s);
				r = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[k++] = s;
	}
	closedir(d);
	if (r < 0) {
		pool_names_free(v, k);
		snprintf(err, errlen, "%s: out of memory", dir);
		return r;
	}
	if (k)
		qsort(v, (size_t)k, sizeof(*v), cmp_names);
	*names = v;
	*n = k;
	return 0;
}

/* Another pool with p's uuid or target: libvirt refuses both ("already exists with uuid",
 * "Storage source conflict"), since two pools over one directory would disagree on its files. */
static int pool_conflict(const struct pool_def *p, char *err, size_t errlen)
{
	char **names;
	int n, r = pool_names(&names, &n, err, errlen);
	if (r < 0)
		return r;
	for (int i = 0; i < n && !r; i++) {
		struct pool_def o;
		char e2[POOL_ERR];
		if (!strcmp(names[i], p->name)) {
			snprintf(err, errlen, "%s: storage pool already exists", p->name);
			r = -EEXIST;
		} else if (pool_find(names[i], &o, NULL, e2, sizeof(e2)) == 0) {
			if (!memcmp(o.uuid, p->uuid, 16)) {
				snprintf(err, errlen, "%s: storage pool '%s' has the same uuid", p->name, o.name);
				r = -EEXIST;
			} else if (!strcmp(o.target, p->target)) {
				snprintf(err, errlen, "%s: storage pool '%s' has the same target %s", p->name, o.name,
					 o.target);
				r = -EEXIST;
			}
			pool_def_free(&o);
		}
	}
	pool_names_free(names, n);
	return r;
}

int pool_store_new(const struct pool_def *p, char *err, size_t errlen)
{
	char path[4096], tmp[4200], act[4096];
	int r = storage_file(p->name, path, sizeof(path), err, errlen);
	if (r < 0 || (r = pool_conflict(p, err, errlen)) < 0 || (r = active_file(p->name, act, sizeof(act), err, errlen)) < 0)
		return r;
	char *xml = pool_xml_format(p);
	if (!xml) {
		snprintf(err, errlen, "%s: out of memory", p->name);
		return -ENOMEM;
	}
	char *slash = strrchr(path, '/');
	snprintf(tmp, sizeof(tmp), "%.*s/.%s.xml.XXXXXX", (int)(slash - path), path, p->name);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(xml);
		snprintf(err, errlen, "%s: %s", tmp, strerror(-r));
		return r;
	}
	size_t len = strlen(xml);
	errno = 0; /* a short write sets none */
	if (fchmod(fd, 0600) < 0 || write(fd, xml, len) != (ssize_t)len || fsync(fd) < 0)
		r = errno ? -errno : -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	free(xml);
	unlink(act); /* left by a pool of this name removed by hand: a new pool starts inactive */
	if (!r && link(tmp, path) < 0)
		r = -errno;
	unlink(tmp);
	if (r == -EEXIST)
		snprintf(err, errlen, "%s: storage pool already exists", p->name);
	else if (r < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	*slash = 0; /* the new name must survive a crash: sync the directory */
	if (!r && (fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	return r;
}

int pool_store_remove(const char *name, char *err, size_t errlen)
{
	char path[4096];
	int r = storage_file(name, path, sizeof(path), err, errlen);
	if (r < 0)
		return r;
	if (unlink(path) < 0) {
		r = -errno;
		snprintf(err, errlen, r == -ENOENT ? "%s: no such storage pool" : "%s: %s", r == -ENOENT ? name : path,
			 strerror(-r));
		return r;
	}
	if (active_file(name, path, sizeof(path), err, errlen) == 0)
		unlink(path);
	return 0;
}

int pool_set_active(const char *name, bool on, char *err, size_t errlen)
{
	char path[4096];
	int r = active_file(name, path, sizeof(path), err, errlen);
	if (r < 0)
		return r;
	int fd = on ? open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (on && fd >= 0)
		close(fd);
	if ((on && fd < 0) || (!on && unlink(path) < 0 && errno != ENOENT)) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	return 0;
}

int pool_vol_path(const struct pool_def *p, const char *vol, char *path, size_t len, bool must_exist, char *err,
		  size_t errlen)
{
	const char *why;
	if (kv_name_check(vol, &why) < 0) { /* no '/', no leading '.': the name stays inside the pool */
		snprintf(err, errlen, "%s: %s", vol, why);
		return -EINVAL;
	}
	if (kv_path_join(path, len, p->target, vol, NULL) < 0) {
		snprintf(err, errlen, "%s: path too long", vol);
		return -ENAMETOOLONG;
	}
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		int r = -errno;
		if (r == -ENOENT)
			snprintf(err, errlen, "%s: no storage volume of that name in pool '%s'", vol, p->name);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	if (!must_exist) {
		snprintf(err, errlen, "%s: storage volume already exists in pool '%s'", vol, p->name);
		return -EEXIST;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file, so not a volume", path);
		return -EINVAL;
	}
	return 0;
}

int pool_vol_resolve(void *opaque, const char *pool, const char *vol, char *path, size_t len, char *err,
		     size_t errlen)
{
	struct pool_def p;
	const char *why;
	if (kv_name_check(pool, &why) < 0) {
		snprintf(err, errlen, "pool '%s': %s", pool, why);
		return -EINVAL;
	}
	int r = pool_find_active(pool, &p, err, errlen);
	if (r < 0)
		return r;
	r = pool_vol_path(&p, vol, path, len, true, err, errlen);
	pool_def_free(&p);
	return r;
}
