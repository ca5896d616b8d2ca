// SPDX-License-Identifier: GPL-2.0-or-later
/* The runtime and config directories of named VMs (layout in paths.h). */
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kv_name_check(const char *name, const char **why)
{
	const char *w = NULL;
	size_t n = name ? strlen(name) : 0;
	if (n == 0)
		w = "a name must not be empty";
	else if (n > KV_NAME_MAX)
		w = "a name is at most 64 characters";
	else if (name[0] == '.' || name[0] == '-')
		w = "a name must not start with '.' or '-'";
	for (size_t i = 0; !w && i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '+' || c == '-'))
			w = "a name may hold only letters, digits and _.+-";
	}
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

int kv_path_join(char *buf, size_t len, const char *dir, const char *name, const char *suffix)
{
	int n = snprintf(buf, len, "%s/%s%s", dir, name, suffix ? suffix : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p for the last two components at most (the parent of ours normally exists), then checks
 * that the directory is ours and closed to others: a socket there must not be reachable by them. */
static int make_private_dir(const char *dir, const char **why)
{
	char parent[4096];
	if (strlen(dir) >= sizeof(parent)) {
		*why = "path too long";
		return -ENAMETOOLONG;
	}
	strcpy(parent, dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		if (mkdir(parent, 0700) < 0 && errno != EEXIST) {
			*why = "cannot create its parent";
			return -errno;
		}
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*why = "cannot create it";
		return -errno;
	}
	struct stat st;
	if (stat(dir, &st) < 0) {
		*why = "cannot stat it";
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		*why = "not a directory";
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid()) {
		*why = "owned by another user";
		return -EPERM;
	}
	if (st.st_mode & 022) {
		*why = "writable by other users";
		return -EPERM;
	}
	return 0;
}

static int pick_dir(char *buf, size_t len, const char *override, const char *root_dir, const char *xdg,
		    const char *home_rel, const char **why)
{
	const char *w = NULL;
	const char *base = NULL;
	int n;
	if (override && *override)
		n = snprintf(buf, len, "%s", override);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "%s", root_dir);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/kvmini", xdg);
	else if (home_rel && (base = getenv("HOME")) && *base)
		n = snprintf(buf, len, "%s/%s/kvmini", base, home_rel);
	else {
		if (why)
			*why = home_rel ? "neither XDG_CONFIG_HOME nor HOME is set" : "XDG_RUNTIME_DIR is not set";
		return -ENOENT;
	}
	if (n < 0 || (size_t)n >= len) {
		if (why)
			*why = "path too long";
		return -ENAMETOOLONG;
	}
	int ret = make_private_dir(buf, &w);
	if (why)
		*why = w;
	return ret;
}

int kv_runtime_dir(char *buf, size_t len, const char **why)
{
	return pick_dir(buf, len, getenv("KVMINI_RUNTIME_DIR"), "/run/kvmini", getenv("XDG_RUNTIME_DIR"), NULL,
			why);
}

int kv_config_dir(char *buf, size_t len, const char **why)
{
	return pick_dir(buf, len, getenv("KVMINI_CONFIG_DIR"), "/etc/kvmini", getenv("XDG_CONFIG_HOME"), ".config",
			why);
}

int kv_config_subdir(char *buf, size_t len, const char *sub, const char **why)
{
	char base[4096];
	int ret = kv_config_dir(base, sizeof(base), why);
	if (ret)
		return ret;
	if ((ret = kv_path_join(buf, len, base, sub, NULL))) {
		if (why)
			*why = "path too long";
		return ret;
	}
	const char *w = NULL;
	ret = make_private_dir(buf, &w);
	if (why)
		*why = w;
	return ret;
}
