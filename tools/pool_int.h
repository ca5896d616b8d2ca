/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the storage pool verbs: the pool store (tools/pool_store.c), virsh-style argument parsing
 * and the verb tables of tools/pool.c (pool-*) and tools/vol.c (vol-*). Store functions return
 * 0 or -errno with "<what>: <why>" in err, which the verbs print after "kvmini: " and exit 1. */
#ifndef KVMINI_POOL_INT_H
#define KVMINI_POOL_INT_H
#include <stdbool.h>
#include <stddef.h>

#include "tools/pool_xml.h"

#define POOL_ERR 512

/* A whole file (up to about 1 MiB; -EFBIG beyond), NUL-terminated, into *buf (malloc'd). */
/* The definition of pool name (storage/NAME.xml) and whether it is active. -ENOENT: not defined. */
int pool_find(const char *name, struct pool_def *out, bool *active, char *err, size_t errlen);
/* As pool_find, but the pool must also be active (-ENODEV otherwise): what every vol-* needs. */
int pool_find_active(const char *name, struct pool_def *out, char *err, size_t errlen);
/* Names of the defined pools, sorted (*names malloc'd, each entry too; pool_names_free). */
int pool_names(char ***names, int *n, char *err, size_t errlen);
void pool_names_free(char **names, int n);
/* Stores a new definition atomically; -EEXIST when the name, the uuid or the target directory is
 * another pool's already. A new pool is inactive. */
int pool_store_new(const struct pool_def *p, char *err, size_t errlen);
/* Removes the definition (the caller checked it is inactive). */
int pool_store_remove(const char *name, char *err, size_t errlen);
int pool_set_active(const char *name, bool on, char *err, size_t errlen);

/* A volume: "<target>/<vol>" into path after checking vol's name. must_exist: it must be a
 * regular file there (-ENOENT; a symlink is not a volume: it could lead out of the pool); else
 * nothing may be there yet (-EEXIST). */
int pool_vol_path(const struct pool_def *p, const char *vol, char *path, size_t len, bool must_exist, char *err,
		  size_t errlen);

/* virsh-style options: "--name VALUE", "--name=VALUE", "--flag"; positional arguments fill the
 * options marked positional, in table order, that were not given by name. */
struct vopt {
	const char *name;
	bool has_arg, positional, required;
	const char *val; /* the value, or "" for a flag that was given; NULL: absent */
};
#define VOPT_MAX 10
struct verb {
	const char *name;
	int (*fn)(const struct verb *v, const struct vopt *o);
	struct vopt opts[VOPT_MAX]; /* ends at a NULL name */
	const char *usage; /* --help text after "Usage: kvmini " */
};
extern const struct verb vol_verbs[];
extern const unsigned vol_nverbs;

/* kv_name_check with the verb's message: 0, or 2 (a usage error) after printing it. */
int pool_name_ok(const char *name, const char *what);
/* virsh's scaled integers: bytes, K/KiB/M/MiB/G/GiB/T/TiB (binary, any case) or KB/MB/GB/TB
 * (decimal), through vmm/size.h for the binary ones. 0, -EINVAL, -ERANGE. */
int pool_size_parse(const char *s, unsigned long long *out);
/* virsh's "%.2lf %s" capacity: "10.00 MiB" */
const char *pool_capacity(unsigned long long v, char *buf, size_t len);
/* virsh's tables: " Name   Path\n-----...\n rows"; columns padded to their widest cell */
void pool_table(const char *const *cells, int ncols, int nrows);

#endif
