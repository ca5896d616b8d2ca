// SPDX-License-Identifier: GPL-2.0-or-later
/* virsh's volume verbs over dir pools (vol-create-as, vol-list, vol-info, vol-path, vol-clone,
 * vol-delete, vol-resize): a volume is a regular file in an active pool's directory, made and
 * copied with `kvmini img`'s own code (img_create, img_convert_file), so a failure leaves no file. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/disk/disk_int.h"
#include "tools/img.h"
#include "tools/pool_int.h"
#include "vmm/log.h"

/* An active pool the user named: 0, or the exit status after the message. */
static int get_active(const char *name, struct pool_def *p)
{
	char err[POOL_ERR];
	int r = pool_name_ok(name, "pool");
	if (!r && pool_find_active(name, p, err, sizeof(err)) < 0) {
		kv_log("%s", err);
		r = 1;
	}
	return r;
}

/* VOL [--pool POOL]: without a pool, VOL must be a volume's path (virsh's lookup by path). */
static int get_vol(const char *vol, const char *pool, struct pool_def *p, char *path, size_t len)
{
	char err[POOL_ERR], dir[4096];
	if (!pool) {
		const char *slash = strrchr(vol, '/');
		if (vol[0] != '/' || !slash[1]) {
			kv_log("%s: no storage volume with matching path (give --pool POOL)", vol);
			return 1;
		}
		snprintf(dir, sizeof(dir), "%.*s", slash == vol ? 1 : (int)(slash - vol), vol);
		char **names;
		int n, found = 0;
		if (pool_names(&names, &n, err, sizeof(err)) < 0) {
			kv_log("%s", err);
			return 1;
		}
		for (int i = 0; i < n && !found; i++) {
			if (pool_find_active(names[i], p, err, sizeof(err)) < 0)
				continue;
			if (!strcmp(p->target, dir))
				found = 1;
			else
				pool_def_free(p);
		}
		pool_names_free(names, n);
		if (!found) {
			kv_log("%s: no storage volume with matching path", vol);
			return 1;
		}
		vol = slash + 1;
	} else {
		int r = pool_name_ok(vol, "volume");
		if (r || (r = get_active(pool, p)))
			return r;
	}
	if (pool_vol_path(p, vol, path, len, true, err, sizeof(err)) < 0) {
		kv_log("%s", err);
		pool_def_free(p);
		return 1;
	}
	return 0;
}

struct vol_stat {
	unsigned long long capacity, allocation;
	const char *format; /* "raw", "qcow2" (static) */
};

/* What vol-info shows: the virtual size the format says, and the blocks the file holds. */
static int vol_stat(const char *path, struct vol_stat *s)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	s->allocation = (unsigned long long)st.st_blocks * 512;
	s->capacity = (unsigned long long)st.st_size;
	s->format = "raw";
	struct disk_opts o = { .read_only = true, .no_backing = true, .no_lock = true };
	struct disk *d;
	if (disk_open(&d, path, &o, NULL) == 0) { /* else: unreadable as an image, show the file */
		s->capacity = d->size;
		s->format = strcmp(d->format, "qcow2") ? "raw" : "qcow2";
		disk_close(d);
	}
	return 0;
}

static int bad_size(const char *s, int r)
{
	kv_log("%s: malformed size (%s)", s, r == -ERANGE ? "too large" : "bytes, or a unit like 512M, 10GiB, 1GB");
	return 2;
}

enum { C_POOL, C_NAME, C_CAP, C_FORMAT, C_BACKING, C_BFMT, C_ALLOC };

static int verb_create_as(const struct verb *v, const struct vopt *o)
{
	struct disk_create_opts co = { .format = DISK_FMT_RAW };
	unsigned long long cap, alloc = 0;
	int r;
	if ((r = pool_name_ok(o[C_POOL].val, "pool")) || (r = pool_name_ok(o[C_NAME].val, "volume")))
		return r;
	if ((r = pool_size_parse(o[C_CAP].val, &cap)) < 0)
		return bad_size(o[C_CAP].val, r);
	if (o[C_ALLOC].val && (r = pool_size_parse(o[C_ALLOC].val, &alloc)) < 0)
		return bad_size(o[C_ALLOC].val, r);
	const char *f[2] = { o[C_FORMAT].val, o[C_BFMT].val };
	enum disk_format *fp[2] = { &co.format, &co.backing_fmt };
	for (int i = 0; i < 2; i++)
		if (f[i] && (disk_format_parse(f[i], fp[i]) < 0 || *fp[i] == DISK_FMT_AUTO)) {
			kv_log("%s: unknown volume format (raw, qcow2)", f[i]);
			return 2;
		}
	if ((o[C_BACKING].val || o[C_BFMT].val) && co.format != DISK_FMT_QCOW2) {
		kv_log("%s: a backing volume needs --format qcow2", o[C_NAME].val);
		return 2;
	}
	if (cap > (1ull << 62)) /* what every format can count */
		return bad_size(o[C_CAP].val, -ERANGE);
	co.size = (cap + DISK_SECTOR - 1) & ~(uint64_t)(DISK_SECTOR - 1);
	/* libvirt allocates a raw volume fully unless --allocation says less */
	co.prealloc_full = co.format == DISK_FMT_RAW && (!o[C_ALLOC].val || alloc >= cap);
	struct pool_def p;
	if ((r = get_active(o[C_POOL].val, &p)))
		return r;
	char path[4096], bpath[4096], err[POOL_ERR];
	r = pool_vol_path(&p, o[C_NAME].val, path, sizeof(path), false, err, sizeof(err));
	if (!r && o[C_BACKING].val) {
		/* a volume of this pool by name, or a path; recorded absolute, as libvirt does */
		if (o[C_BACKING].val[0] == '/')
			snprintf(bpath, sizeof(bpath), "%s", o[C_BACKING].val);
		else
			r = pool_vol_path(&p, o[C_BACKING].val, bpath, sizeof(bpath), true, err, sizeof(err));
		co.backing = bpath;
	}
	pool_def_free(&p);
	if (r < 0) {
		kv_log("%s", err);
		return 1;
	}
	/* disk_create builds it in a temporary file and renames it into place: no partial volume */
	if ((r = img_create(path, &co, false)))
		return r;
	printf("Vol %s created\n", o[C_NAME].val);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int verb_list(const struct verb *v, const struct vopt *o)
{
	struct pool_def p;
	int r = get_active(o[0].val, &p);
	if (r)
		return r;
	DIR *d = opendir(p.target);
	if (!d) {
		kv_err(-errno, "%s: cannot open directory %s", p.name, p.target);
		pool_def_free(&p);
		return 1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) && r == 0) {
		struct stat st;
		/* not ours: hidden files, img's temporary files; not volumes: anything but a regular file */
		if (e->d_name[0] == '.' || strstr(e->d_name, ".kvmini-") ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		char **nn = n < cap ? names : realloc(names, sizeof(*names) * (cap = cap * 2 + 16));
		if (!nn || !(nn[n] = strdup(e->d_name)))
			r = 1;
		if (nn)
			names = nn;
		n += r == 0;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	bool details = o[1].val;
	int ncols = details ? 5 : 2;
	const char **cells = r ? NULL : calloc((n + 1) * (size_t)ncols, sizeof(*cells));
	char (*buf)[3][4096 + 64] = cells ? calloc(n + 1, sizeof(*buf)) : NULL;
	if (!buf) {
		kv_log("%s: out of memory", p.name);
		r = 1;
	} else {
		static const char *const head[] = { "Name", "Path", "Type", "Capacity", "Allocation" };
		memcpy(cells, head, sizeof(*cells) * (size_t)ncols);
		for (size_t i = 0; i < n; i++) {
			const char **row = cells + (i + 1) * (size_t)ncols;
			struct vol_stat s = { 0, 0, "raw" };
			snprintf(buf[i][0], sizeof(buf[i][0]), "%s/%s", p.target, names[i]);
			row[0] = names[i];
			row[1] = buf[i][0];
			if (details) {
				int ok = vol_stat(buf[i][0], &s) == 0;
				row[2] = "file";
				row[3] = ok ? pool_capacity(s.capacity, buf[i][1], 64) : "-";
				row[4] = ok ? pool_capacity(s.allocation, buf[i][2], 64) : "-";
			}
		}
		pool_table(cells, ncols, (int)n + 1);
	}
	free(cells);
	free(buf);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	pool_def_free(&p);
	return r;
}

/* vol-info, vol-path, vol-delete: VOL [--pool POOL] */
static int verb_vol(const struct verb *v, const struct vopt *o)
{
	struct pool_def p;
	char path[4096];
	int r = get_vol(o[0].val, o[1].val, &p, path, sizeof(path));
	if (r)
		return r;
	const char *w = v->name + 4, *name = strrchr(path, '/') + 1, *why = NULL;
	struct vol_stat s;
	char a[32], b[32];
	if (!strcmp(w, "path")) {
		printf("%s\n", path);
	} else if (!strcmp(w, "info")) {
		if ((r = vol_stat(path, &s)) < 0) {
			kv_err(r, "%s", path);
			r = 1;
		} else if (o[2].val) {
			printf("%-15s %s\n%-15s %s\n%-15s %llu\n%-15s %llu\n", "Name:", name, "Type:", "file",
			       "Capacity:", s.capacity, "Allocation:", s.allocation);
		} else {
			printf("%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n", "Name:", name, "Type:", "file", "Capacity:",
			       pool_capacity(s.capacity, a, sizeof(a)), "Allocation:",
			       pool_capacity(s.allocation, b, sizeof(b)));
		}
	} else if ((r = disk_in_use(path, &why)) < 0) { /* delete: not under a running VM */
		kv_log("%s: %s", name, why ? why : strerror(-r));
		r = 1;
	} else if (unlink(path) < 0) {
		kv_err(-errno, "%s", path);
		r = 1;
	} else {
		printf("Vol %s deleted\n", name);
	}
	pool_def_free(&p);
	return r;
}

static int verb_clone(const struct verb *v, const struct vopt *o)
{
	struct pool_def p;
	char src[4096], dst[4096], err[POOL_ERR];
	int r = pool_name_ok(o[1].val, "volume");
	if (r || (r = get_vol(o[0].val, o[2].val, &p, src, sizeof(src))))
		return r;
	r = pool_vol_path(&p, o[1].val, dst, sizeof(dst), false, err, sizeof(err));
	pool_def_free(&p);
	if (r < 0) {
		kv_log("%s", err);
		return 1;
	}
	/* same format; a qcow2's backing chain is copied into the clone, which then stands alone */
	int fmt = disk_probe(src);
	if (fmt < 0) {
		kv_err(fmt, "%s", src);
		return 1;
	}
	struct disk_opts so = { .format = (enum disk_format)fmt, .read_only = true };
	struct disk_create_opts co = { .format = (enum disk_format)fmt };
	if ((r = img_convert_file(src, &so, dst, &co, false)))
		return r;
	printf("Vol %s cloned from %s\n", o[1].val, strrchr(src, '/') + 1);
	return 0;
}

enum { R_VOL, R_CAP, R_POOL, R_DELTA, R_SHRINK };

static int verb_resize(const struct verb *v, const struct vopt *o)
{
	const char *cs = o[R_CAP].val;
	bool shrink = o[R_SHRINK].val, delta = o[R_DELTA].val;
	unsigned long long val;
	int r;
	if (cs[0] == '-' && !shrink) {
		kv_log("%s: negative size requires --shrink", cs);
		return 2;
	}
	if ((r = pool_size_parse(cs + (cs[0] == '-'), &val)) < 0)
		return bad_size(cs, r);
	struct pool_def p;
	char path[4096];
	if ((r = get_vol(o[R_VOL].val, o[R_POOL].val, &p, path, sizeof(path))))
		return r;
	pool_def_free(&p);
	const char *name = strrchr(path, '/') + 1;
	struct vol_stat s;
	if ((r = vol_stat(path, &s)) < 0) {
		kv_err(r, "%s", path);
		return 1;
	}
	/* libvirt's rules: a delta shrinks with --shrink, grows without; never below what is allocated */
	unsigned long long size = !delta ? val : shrink ? s.capacity - (val < s.capacity ? val : s.capacity)
						: s.capacity + val < s.capacity ? ~0ULL : s.capacity + val;
	size = (size + DISK_SECTOR - 1) & ~(unsigned long long)(DISK_SECTOR - 1);
	if (size < s.capacity && !shrink) {
		kv_log("%s: can't shrink capacity below current capacity unless --shrink is given", name);
		return 1;
	}
	if (size < s.capacity && strcmp(s.format, "raw")) {
		kv_log("%s: %s volumes can only grow", name, s.format);
		return 1;
	}
	if (size < s.allocation) {
		kv_log("%s: can't shrink capacity below existing allocation", name);
		return 1;
	}
	struct disk_opts d_o = { .no_backing = true };
	struct disk *d;
	const char *why = NULL;
	if ((r = disk_open(&d, path, &d_o, &why)) < 0) {
		why ? kv_log("%s: %s", name, why) : kv_err(r, "%s", path);
		return 1;
	}
	r = disk_resize(d, size);
	if (!r)
		r = disk_flush(d);
	disk_close(d);
	if (r < 0) {
		kv_err(r, "%s: resize failed", name);
		return 1;
	}
	printf("Size of volume '%s' successfully changed %s %s\n", name, delta ? "by" : "to", cs + (cs[0] == '-'));
	return 0;
}

#define VOL_ARGS { "vol", true, true, true, NULL }, { "pool", true, true, false, NULL }
const struct verb vol_verbs[] = {
	{ "vol-create-as", verb_create_as,
	  { { "pool", true, true, true, NULL }, { "name", true, true, true, NULL }, { "capacity", true, true, true, NULL },
	    { "format", true, false, false, NULL }, { "backing-vol", true, false, false, NULL },
	    { "backing-vol-format", true, false, false, NULL }, { "allocation", true, false, false, NULL } },
	  "vol-create-as POOL NAME CAPACITY [--format raw|qcow2] [--backing-vol VOL [--backing-vol-format FMT]]\n"
	  "                     [--allocation SIZE]\n"
	  "Creates a volume (default raw, fully allocated unless --allocation is smaller). Sizes are bytes\n"
	  "or take a unit: K, M, G, T or KiB..TiB (binary), KB..TB (decimal). A backing VOL is a volume\n"
	  "of POOL or a path; the new qcow2 records its absolute path.\n" },
	{ "vol-list", verb_list, { { "pool", true, true, true, NULL }, { "details", false, false, false, NULL } },
	  "vol-list POOL [--details]\nThe volumes (regular files) in the pool's directory.\n" },
	{ "vol-info", verb_vol, { VOL_ARGS, { "bytes", false, false, false, NULL } },
	  "vol-info VOL [--pool POOL] [--bytes]\nName, type, capacity (virtual size) and allocation. Without\n"
	  "--pool, VOL is a volume's path.\n" },
	{ "vol-path", verb_vol, { VOL_ARGS }, "vol-path VOL [--pool POOL]\nThe volume's file.\n" },
	{ "vol-delete", verb_vol, { VOL_ARGS },
	  "vol-delete VOL [--pool POOL]\nDeletes the volume's file (refused while a VM has it open).\n" },
	{ "vol-clone", verb_clone,
	  { { "vol", true, true, true, NULL }, { "newname", true, true, true, NULL }, { "pool", true, false, false, NULL } },
	  "vol-clone VOL NEWNAME [--pool POOL]\nCopies a volume in its pool, same format; a qcow2's backing\n"
	  "chain is copied into the clone.\n" },
	{ "vol-resize", verb_resize,
	  { { "vol", true, true, true, NULL }, { "capacity", true, true, true, NULL }, { "pool", true, true, false, NULL },
	    { "delta", false, false, false, NULL },
	    { "shrink", false, false, false, NULL } },
	  "vol-resize VOL CAPACITY [--pool POOL] [--delta] [--shrink]\n"
	  "Sets the capacity (--delta: adds it). Shrinking needs --shrink (a negative CAPACITY too),\n"
	  "works for raw only, and never below the allocation.\n" },
};
const unsigned vol_nverbs = sizeof(vol_verbs) / sizeof(vol_verbs[0]);
