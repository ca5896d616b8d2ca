/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internals shared by the image formats: one image file (fd, O_DIRECT alignment, OFD lock),
 * the scatter-gather helpers (devices/iov.h), and the per-format open functions disk_open dispatches to. */
#ifndef KVMINI_DISK_INT_H
#define KVMINI_DISK_INT_H
#include "disk.h"
#include "devices/iov.h"

#include <sys/types.h>

struct dfile {
	int fd;
	bool direct;    /* opened O_DIRECT: offsets, lengths and buffers must be aligned */
	unsigned align; /* for O_DIRECT; 1 otherwise */
	enum disk_cache cache;
	bool blkdev;
};

/* Opens (O_CREAT when create) and locks path. */
int dfile_open(struct dfile *f, const char *path, const struct disk_opts *o, bool create,
               const char **why);
void dfile_close(struct dfile *f);
/* Full transfers; reads past the end of the file return zeros, like a sparse tail. */
int dfile_preadv(struct dfile *f, const struct iovec *iov, int n, uint64_t off);
int dfile_pwritev(struct dfile *f, const struct iovec *iov, int n, uint64_t off);
int dfile_pread(struct dfile *f, void *buf, size_t len, uint64_t off);
int dfile_pwrite(struct dfile *f, const void *buf, size_t len, uint64_t off);
int dfile_sync(struct dfile *f); /* fdatasync, a no-op with cache=unsafe */
int dfile_size(struct dfile *f, uint64_t *out);
int dfile_truncate(struct dfile *f, uint64_t size);
void *dfile_alloc(size_t len); /* zeroed, page-aligned (usable with O_DIRECT); free() it */
/* Can this transfer go to the file as is (always, unless O_DIRECT wants it aligned)? */
bool dfile_iov_aligned(const struct dfile *f, const struct iovec *iov, int n, uint64_t off);

/* -EPERM (logged once per disk) if a write to a probed raw image would make it probe as another
 * format: what a guest would plant to have a later format=auto open follow a backing file. */
int disk_write_guard(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len);

/* The files already open in one backing chain, newest first: loops are found by inode. */
struct disk_chain {
	const struct disk_chain *next;
	dev_t dev;
	ino_t ino;
	int depth;
};
#define DISK_CHAIN_MAX 16

int disk_open_chain(struct disk **out, const char *path, const struct disk_opts *o,
                    const struct disk_chain *chain, const char **why);
/* disk_open with o->snapshot (disk.c) */
int disk_open_overlay(struct disk **out, const char *path, const struct disk_opts *o, const char **why);
/* -EBUSY (and *why) if path exists and another process holds its lock */
int disk_in_use(const char *path, const char **why);
/* uri passed disk_nbd_uri */
int nbd_disk_open(struct disk **out, const char *uri, const struct disk_opts *o, const char **why);
int raw_open(struct disk **out, const char *path, const struct disk_opts *o, const char **why);
int qcow2_open(struct disk **out, const char *path, const struct disk_opts *o,
               const struct disk_chain *chain, const char **why);

#endif
