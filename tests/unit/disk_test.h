/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the disk-image tests: a scratch directory, image creation, patterned buffers. */
#ifndef KVMINI_DISK_TEST_H
#define KVMINI_DISK_TEST_H
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/disk/disk.h"

static char dt_dir[64];

static inline void dt_setup(void)
{
	snprintf(dt_dir, sizeof(dt_dir), "/tmp/kvmini-disk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dt_dir));
}

static inline void dt_teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dt_dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* 1 if the scratch directory's filesystem refuses O_DIRECT (tmpfs does): cache=none cannot run */
static inline int dt_no_direct(void)
{
	char p[96];
	snprintf(p, sizeof(p), "%s/.direct-probe", dt_dir);
	int fd = open(p, O_CREAT | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);
	int refused = fd < 0 && errno == EINVAL;
	if (fd >= 0)
		close(fd);
	unlink(p);
	return refused;
}

static inline const char *dt_path(char *buf, const char *name)
{
	sprintf(buf, "%s/%s", dt_dir, name);
	return buf;
}

static inline void dt_pattern(uint8_t *b, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)((seed + i) * 2654435761u >> 13);
}

static inline int dt_create(const char *path, enum disk_format f, uint64_t size, uint32_t cs,
                            const char *backing, enum disk_format bf)
{
	struct disk_create_opts o = { .format = f, .size = size, .cluster_size = cs,
		                          .backing = backing, .backing_fmt = bf };
	return disk_create(path, &o, NULL);
}

static inline struct disk *dt_open(const char *path, enum disk_format f, bool ro)
{
	struct disk_opts o = { .format = f, .read_only = ro, .cache = DISK_CACHE_UNSAFE }; /* no fsync: fast */
	struct disk *d = NULL;
	const char *why = NULL;
	int r = disk_open(&d, path, &o, &why);
	if (r)
		fprintf(stderr, "open %s: %s (%s)\n", path, strerror(-r), why ? why : "");
	ck_assert_int_eq(r, 0);
	return d;
}

/* Patch bytes of a file in place (corrupting headers on purpose). */
static inline void dt_poke(const char *path, off_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static inline void dt_poke_be32(const char *path, off_t off, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	dt_poke(path, off, b, 4);
}

static inline void dt_poke_be64(const char *path, off_t off, uint64_t v)
{
	dt_poke_be32(path, off, (uint32_t)(v >> 32));
	dt_poke_be32(path, off + 4, (uint32_t)v);
}

#endif
