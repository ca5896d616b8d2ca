// SPDX-License-Identifier: GPL-2.0-or-later
/* The 9p server's file requests: attributes (Tgetattr, Tsetattr, Tstatfs), opening (Tlopen), data
 * (Tread, Twrite, Treaddir, Tfsync) and the advisory locks (Tlock, Tgetlock: granted at once, as
 * QEMU's local backend does; the guest's kernel keeps its own lock table). */
#include "p9_priv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RREAD_HDR (P9_HDR + 4) /* count[4] before the data */

int p9_getattr(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	p9_u64(m); /* request_mask: the basic set is always there */
	struct p9_fid *f;
	struct stat st;
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, &f);
	if (r || (r = p9_fstat(f->fd, &st)))
		return r;
	p9_put64(o, P9_GETATTR_BASIC);
	p9_put_qid(o, &st);
	p9_put32(o, st.st_mode);
	p9_put32(o, st.st_uid);
	p9_put32(o, st.st_gid);
	p9_put64(o, st.st_nlink);
	p9_put64(o, st.st_rdev);
	p9_put64(o, (uint64_t)st.st_size);
	p9_put64(o, (uint64_t)st.st_blksize);
	p9_put64(o, (uint64_t)st.st_blocks);
	p9_put64(o, (uint64_t)st.st_atim.tv_sec);
	p9_put64(o, (uint64_t)st.st_atim.tv_nsec);
	p9_put64(o, (uint64_t)st.st_mtim.tv_sec);
	p9_put64(o, (uint64_t)st.st_mtim.tv_nsec);
	p9_put64(o, (uint64_t)st.st_ctim.tv_sec);
	p9_put64(o, (uint64_t)st.st_ctim.tv_nsec);
	for (int i = 0; i < 4; i++) /* btime, gen, data_version: not in the basic set */
		p9_put64(o, 0);
	return 0;
}

/* The exact inode an O_PATH fd holds, as a path the kernel resolves to it (chmod, truncate and
 * utimensat do not take O_PATH descriptors). Only for non-symlinks: the guest never names it. */
static void proc_path(int fd, char *p, size_t n) { snprintf(p, n, "/proc/self/fd/%d", fd); }

static struct timespec setattr_time(uint32_t valid, uint32_t now_bit, uint32_t set_bit, uint64_t sec, uint64_t nsec)
{
	if (valid & set_bit)
		return (struct timespec){ .tv_sec = (time_t)sec, .tv_nsec = (long)(nsec % 1000000000u) };
	return (struct timespec){ .tv_nsec = valid & now_bit ? UTIME_NOW : UTIME_OMIT };
}

int p9_setattr(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m), valid = p9_u32(m), mode = p9_u32(m), uid = p9_u32(m), gid = p9_u32(m);
	uint64_t size = p9_u64(m), as = p9_u64(m), an = p9_u64(m), ms = p9_u64(m), mn = p9_u64(m);
	struct p9_fid *f;
	struct stat st;
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, &f);
	if (r || (r = p9_fstat(f->fd, &st)))
		return r;
	if (s->ro)
		return -EROFS;
	char p[40];
	proc_path(f->fd, p, sizeof(p));
	int link = S_ISLNK(st.st_mode);
	if ((valid & P9_ATTR_MODE) && !link && chmod(p, mode & 07777))
		return -errno;
	if ((valid & (P9_ATTR_UID | P9_ATTR_GID)) &&
	    fchownat(f->fd, "", valid & P9_ATTR_UID ? uid : (uid_t)-1, valid & P9_ATTR_GID ? gid : (gid_t)-1,
		     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (valid & P9_ATTR_SIZE) {
		if (size > INT64_MAX)
			return -EFBIG;
		if (!S_ISREG(st.st_mode))
			return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		if (f->ofd >= 0 && (f->oflags & O_ACCMODE) != O_RDONLY ? ftruncate(f->ofd, (off_t)size)
									: truncate(p, (off_t)size))
			return -errno;
	}
	if (valid & (P9_ATTR_ATIME | P9_ATTR_MTIME) && !link) {
		struct timespec t[2] = { setattr_time(valid, P9_ATTR_ATIME, P9_ATTR_ATIME_SET, as, an),
					 setattr_time(valid, P9_ATTR_MTIME, P9_ATTR_MTIME_SET, ms, mn) };
		if (utimensat(AT_FDCWD, p, t, 0))
			return -errno;
	}
	return 0;
}

int p9_lopen(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m), flags = p9_u32(m);
	struct p9_fid *f;
	struct stat st;
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, &f);
	if (r || (r = p9_fstat(f->fd, &st)))
		return r;
	int of = p9_host_oflags(flags) & ~O_EXCL;
	if (s->ro && p9_writes(of))
		return -EROFS;
	if (S_ISLNK(st.st_mode))
		return -ELOOP; /* the guest follows links itself */
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return -EOPNOTSUPP; /* a device node or FIFO of the host is not the guest's to open */
	int fd = p9_reopen(f->fd, of);
	if (fd < 0)
		return fd;
	if (f->ofd >= 0)
		close(f->ofd);
	f->ofd = fd;
	f->oflags = of;
	p9_put_qid(o, &st);
	p9_put32(o, 0); /* iounit: up to msize */
	return 0;
}

/* Tread, Twrite and Treaddir start with fid[4] offset[8] count[4]; Twrite's data follows */
static int fid_off_count(struct p9_server *s, struct p9_in *m, struct p9_fid **f, uint64_t *off, uint32_t *count)
{
	uint32_t fid = p9_u32(m);
	*off = p9_u64(m);
	*count = p9_u32(m);
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, f);
	return r ? r : *off > INT64_MAX ? -EINVAL : 0;
}

int p9_read(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint64_t off;
	uint32_t count;
	struct p9_fid *f;
	int r = fid_off_count(s, m, &f, &off, &count);
	if (r)
		return r;
	if (f->ofd < 0 || (f->oflags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (count > o->cap - RREAD_HDR)
		count = (uint32_t)(o->cap - RREAD_HDR);
	ssize_t n = pread(f->ofd, o->p + RREAD_HDR, count, (off_t)off);
	if (n < 0)
		return -errno;
	p9_put32(o, (uint32_t)n);
	p9_room(o, (size_t)n);
	return 0;
}

int p9_write(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint64_t off;
	uint32_t count;
	struct p9_fid *f;
	int r = fid_off_count(s, m, &f, &off, &count);
	const uint8_t *data = p9_take(m, count);
	if (r || (r = m->err ? -EINVAL : 0))
		return r;
	if (s->ro)
		return -EROFS;
	if (f->ofd < 0 || (f->oflags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	ssize_t n = f->oflags & O_APPEND ? write(f->ofd, data, count) : pwrite(f->ofd, data, count, (off_t)off);
	if (n < 0)
		return -errno;
	p9_put32(o, (uint32_t)n);
	return 0;
}

struct dirent64_hdr {
	uint64_t ino;
	int64_t off;
	uint16_t reclen;
	uint8_t type;
	char name[];
};

/* Entries from the directory position offset (the host's d_off cookies) while they fit count. */
int p9_readdir(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint64_t off;
	uint32_t count;
	struct p9_fid *f;
	int r = fid_off_count(s, m, &f, &off, &count);
	if (r)
		return r;
	if (f->ofd < 0 || !(f->oflags & O_DIRECTORY))
		return -EBADF;
	if (count > o->cap - RREAD_HDR)
		count = (uint32_t)(o->cap - RREAD_HDR);
	if (lseek(f->ofd, (off_t)off, SEEK_SET) < 0)
		return -errno;
	size_t cnt_at = o->off;
	p9_put32(o, 0);
	char *buf = malloc(count + 512); /* at least one host entry must fit getdents64's buffer */
	if (!buf)
		return -ENOMEM;
	long n = syscall(SYS_getdents64, f->ofd, buf, count + 512);
	if (n < 0) {
		free(buf);
		return -errno;
	}
	uint32_t used = 0;
	for (long pos = 0; pos < n;) {
		const struct dirent64_hdr *d = (const void *)(buf + pos);
		size_t nl = strlen(d->name), need = P9_QID_SIZE + 8 + 1 + 2 + nl;
		if (used + need > count)
			break;
		struct stat st = { .st_ino = d->ino };
		st.st_mode = d->type == DT_DIR ? S_IFDIR : d->type == DT_LNK ? S_IFLNK : S_IFREG;
		p9_put_qid(o, &st);
		p9_put64(o, (uint64_t)d->off);
		p9_put8(o, d->type);
		p9_putstr(o, d->name);
		used += (uint32_t)need;
		pos += d->reclen;
	}
	free(buf);
	le_put32(o->p, cnt_at, used);
	return 0;
}

int p9_fsync(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m), datasync = p9_u32(m);
	struct p9_fid *f;
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, &f);
	if (r)
		return r;
	if (f->ofd < 0)
		return -EBADF;
	return (datasync ? fdatasync(f->ofd) : fsync(f->ofd)) ? -errno : 0;
}

int p9_statfs(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	struct p9_fid *f;
	struct statfs sf;
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, &f);
	if (r)
		return r;
	if (fstatfs(f->fd, &sf))
		return -errno;
	p9_put32(o, 0x01021997); /* V9FS_MAGIC */
	p9_put32(o, (uint32_t)sf.f_bsize);
	p9_put64(o, sf.f_blocks);
	p9_put64(o, sf.f_bfree);
	p9_put64(o, sf.f_bavail);
	p9_put64(o, sf.f_files);
	p9_put64(o, sf.f_ffree);
	uint64_t fsid;
	memcpy(&fsid, &sf.f_fsid, sizeof(fsid));
	p9_put64(o, fsid);
	p9_put32(o, (uint32_t)sf.f_namelen);
	return 0;
}

/* Tlock: type[1] flags[4] start[8] length[8] proc_id[4] client_id[s] */
int p9_lock(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	char client[256];
	p9_take(m, 1 + 4 + 8 + 8 + 4);
	p9_str(m, client, sizeof(client));
	struct p9_fid *f;
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, &f);
	if (r)
		return r;
	p9_put8(o, P9_LOCK_SUCCESS);
	return 0;
}

/* Tgetlock: type[1] start[8] length[8] proc_id[4] client_id[s]; nothing holds a lock here */
int p9_getlock(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	p9_u8(m);
	uint64_t start = p9_u64(m), len = p9_u64(m);
	uint32_t pid = p9_u32(m);
	char client[256];
	p9_str(m, client, sizeof(client));
	struct p9_fid *f;
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, &f);
	if (r)
		return r;
	p9_put8(o, P9_LOCK_TYPE_UNLCK);
	p9_put64(o, start);
	p9_put64(o, len);
	p9_put32(o, pid);
	p9_putstr(o, client);
	return 0;
}
