/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the 9p server (devices/9p/ only): the fid table, the beneath-the-root helpers and the
 * request handlers of p9_file.c (open files: I/O, attributes) and p9_dir.c (names: create, link,
 * rename, unlink). A handler reads its arguments from m, writes its reply body into o and returns
 * 0, or -errno for an Rlerror. */
#ifndef KVMINI_DEVICES_P9_PRIV_H
#define KVMINI_DEVICES_P9_PRIV_H
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>

#include "p9.h"
#include "p9_wire.h"

#define P9_BUCKETS 256
#define P9_NAME_MAX 255

struct p9_fid {
	uint32_t num;
	int fd; /* O_PATH on the object; -1: stale (a restore could not find it again) */
	int ofd; /* after Tlopen/Tlcreate, else -1 */
	int oflags; /* host open flags of ofd, -1 when not open */
	uint32_t uid; /* the attach's n_uname: owner of what this fid creates */
	char *path; /* beneath the root, "" for the root itself; kept across renames */
	struct p9_fid *next;
};

struct p9_server {
	int rootfd; /* O_PATH | O_DIRECTORY */
	int ro;
	uint32_t msize;
	unsigned nfids, max_fids;
	struct p9_fid *bucket[P9_BUCKETS];
};

/* fid table */
struct p9_fid *p9_fid_get(struct p9_server *s, uint32_t num);
/* A usable fid (-EBADF unknown, -EIO stale). */
int p9_fid_use(struct p9_server *s, uint32_t num, struct p9_fid **f);
/* A new fid (-EEXIST taken, -ENFILE too many); fd and path are handed over (freed on failure). */
int p9_fid_add(struct p9_server *s, uint32_t num, int fd, char *path, uint32_t uid, struct p9_fid **out);
void p9_fid_del(struct p9_server *s, uint32_t num);
/* Every fid at or under path from now on lives under to (after a rename). */
void p9_fids_renamed(struct p9_server *s, const char *from, const char *to);

/* helpers */
/* openat2 of path beneath dirfd, never following a symlink (flags get O_NOFOLLOW | O_CLOEXEC) */
int p9_open_beneath(int dirfd, const char *path, int flags, mode_t mode);
/* The object an fd holds, opened again with flags (through /proc/self/fd: the same inode). */
int p9_reopen(int fd, int flags);
int p9_fstat(int fd, struct stat *st);
/* a single name the guest may create or look up: no '/', not "." or "..", 1..255 bytes */
int p9_name_ok(const char *name);
/* path + "/" + name (malloc'd), NULL when too long (ENAMETOOLONG) or out of memory */
char *p9_join(const char *path, const char *name);
void p9_put_qid(struct p9_out *o, const struct stat *st);
/* Guest open flags (9P2000.L's, Linux x86 values) to host flags: access mode and what is safe. */
int p9_host_oflags(uint32_t flags);
static inline int p9_writes(int oflags) { return (oflags & O_ACCMODE) != O_RDONLY || (oflags & O_TRUNC); }

/* handlers (p9_file.c) */
int p9_getattr(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_setattr(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_lopen(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_read(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_write(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_readdir(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_fsync(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_statfs(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_lock(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_getlock(struct p9_server *s, struct p9_in *m, struct p9_out *o);
/* handlers (p9_dir.c) */
int p9_lcreate(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_mkdir(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_symlink(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_mknod(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_readlink(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_link(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_unlinkat(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_renameat(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_rename(struct p9_server *s, struct p9_in *m, struct p9_out *o);
int p9_remove(struct p9_server *s, struct p9_in *m, struct p9_out *o);

#endif
