// SPDX-License-Identifier: GPL-2.0-or-later
/* One image file: open + OFD lock, full-length positional I/O, and O_DIRECT bouncing. */
#include "disk_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIRECT_MEM_ALIGN 4096u

void *dfile_alloc(size_t len)
{
	void *p = NULL;
	if (posix_memalign(&p, DIRECT_MEM_ALIGN, len ? len : 1))
		return NULL;
	memset(p, 0, len);
	return p;
}

/* QEMU's image locking, so kvmini and qemu guard one image against each other as two qemus do:
 * OFD read locks on single bytes, 100 + bit for each permission held, 200 + bit for each one not
 * shared with others (bit 0 consistent read, bit 1 write, bit 3 resize: a writer may grow a qcow2
 * or take block_resize), then a test that nobody else holds what would clash. OFD locks belong to
 * the open file description, so two opens in one process see each other too. */
enum { LOCK_PERM_BASE = 100, LOCK_SHARED_BASE = 200, PERM_READ = 0, PERM_WRITE = 1, PERM_RESIZE = 3 };

static int lock_byte(int fd, short type, off_t byte, int cmd)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };
	if (fcntl(fd, cmd, &fl) < 0)
		return -errno;
	return cmd == F_OFD_GETLK && fl.l_type != F_UNLCK ? -EBUSY : 0;
}

static int dfile_lock(int fd, bool ro)
{
	/* held: read (a writer: write, resize); not shared: write (a writer: resize). Clashes:
	 * someone who does not share what is held, someone who holds what is not shared. */
	const off_t hold[] = { LOCK_PERM_BASE + PERM_READ, LOCK_SHARED_BASE + PERM_WRITE,
			       LOCK_PERM_BASE + PERM_WRITE, LOCK_PERM_BASE + PERM_RESIZE, LOCK_SHARED_BASE + PERM_RESIZE };
	const off_t test[] = { LOCK_SHARED_BASE + PERM_READ, LOCK_PERM_BASE + PERM_WRITE,
			       LOCK_SHARED_BASE + PERM_WRITE, LOCK_SHARED_BASE + PERM_RESIZE, LOCK_PERM_BASE + PERM_RESIZE };
	size_t n = ro ? 2 : 5;
	int r = 0;
	for (size_t i = 0; i < n && !r; i++)
		r = lock_byte(fd, F_RDLCK, hold[i], F_OFD_SETLK);
	for (size_t i = 0; i < n && !r; i++)
		r = lock_byte(fd, F_WRLCK, test[i], F_OFD_GETLK);
	if (r == -EAGAIN || r == -EACCES)
		r = -EBUSY;
	if (r == -EINVAL || r == -ENOLCK || r == -EOPNOTSUPP)
		return 0; /* filesystem without locks: nothing to enforce with */
	return r;
}

/* The smallest O_DIRECT offset/length granularity: 512 if a 512-byte read works, else 4096. */
static unsigned dfile_probe_align(int fd)
{
	void *buf = dfile_alloc(DIRECT_MEM_ALIGN);
	unsigned a = DIRECT_MEM_ALIGN;
	if (buf && pread(fd, buf, 512, 0) == 512)
		a = 512;
	free(buf);
	return a;
}

int dfile_open(struct dfile *f, const char *path, const struct disk_opts *o, bool create,
               const char **why)
{
	int flags = (o->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	if (create)
		flags |= O_CREAT;
	if (o->cache == DISK_CACHE_NONE)
		flags |= O_DIRECT;
	memset(f, 0, sizeof(*f));
	f->fd = open(path, flags, 0644);
	if (f->fd < 0) {
		int err = -errno;
		if (err == -EINVAL && (flags & O_DIRECT) && why)
			*why = "cache=none (O_DIRECT) is not supported by this filesystem";
		return err;
	}
	struct stat st;
	if (fstat(f->fd, &st) < 0) {
		int err = -errno;
		close(f->fd);
		return err;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		close(f->fd);
		if (why)
			*why = "not a regular file or block device";
		return -EINVAL;
	}
	f->blkdev = S_ISBLK(st.st_mode);
	f->cache = o->cache;
	f->direct = (flags & O_DIRECT) != 0;
	f->align = f->direct ? dfile_probe_align(f->fd) : 1;
	if (!o->no_lock) {
		int r = dfile_lock(f->fd, o->read_only);
		if (r < 0) {
			close(f->fd);
			if (why && r == -EBUSY)
				*why = "image is locked by another process";
			return r;
		}
	}
	return 0;
}

void dfile_close(struct dfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static int rw_full(struct dfile *f, bool wr, struct iovec *iov, int n, uint64_t off)
{
	while (n > 0) {
		ssize_t r = wr ? pwritev(f->fd, iov, n > IOV_MAX ? IOV_MAX : n, (off_t)off)
		               : preadv(f->fd, iov, n > IOV_MAX ? IOV_MAX : n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0) {
			if (wr)
				return -EIO;
			for (int i = 0; i < n; i++) /* past EOF: a sparse tail reads as zeros */
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += (uint64_t)r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

bool dfile_iov_aligned(const struct dfile *f, const struct iovec *iov, int n, uint64_t off)
{
	if (!f->direct)
		return true;
	if (off % f->align)
		return false;
	for (int i = 0; i < n; i++)
		if ((uintptr_t)iov[i].iov_base % DIRECT_MEM_ALIGN || iov[i].iov_len % f->align)
			return false;
	return true;
}

/* O_DIRECT with a caller buffer or range that isn't aligned: go through an aligned bounce buffer
 * covering the aligned range; writes read the partial edge blocks first. */
static int dfile_bounce(struct dfile *f, bool wr, const struct iovec *iov, int n, uint64_t off,
                        size_t len)
{
	uint64_t start = off - off % f->align;
	uint64_t end = (off + len + f->align - 1) / f->align * f->align;
	size_t blen = (size_t)(end - start);
	void *b = dfile_alloc(blen);
	if (!b)
		return -ENOMEM;
	int r = 0;
	struct iovec bi = { b, blen };
	if (!wr || start != off || end != off + len) {
		/* read-modify-write only where the edges are partial */
		if (wr && blen > 2 * f->align) {
			struct iovec e1 = { b, f->align };
			struct iovec e2 = { (char *)b + blen - f->align, f->align };
			r = rw_full(f, false, &e1, 1, start);
			if (!r)
				r = rw_full(f, false, &e2, 1, end - f->align);
		} else {
			r = rw_full(f, false, &bi, 1, start);
		}
	}
	if (!r && wr) {
		iov_to_buf(iov, n, 0, (char *)b + (off - start), len);
		bi = (struct iovec){ b, blen };
		r = rw_full(f, true, &bi, 1, start);
	} else if (!r) {
		iov_from_buf(iov, n, 0, (char *)b + (off - start), len);
	}
	free(b);
	return r;
}

static int dfile_rw(struct dfile *f, bool wr, const struct iovec *iov, int n, uint64_t off)
{
	if (!dfile_iov_aligned(f, iov, n, off))
		return dfile_bounce(f, wr, iov, n, off, iov_size(iov, n));
	struct iovec small[16];
	struct iovec *v = n <= 16 ? small : malloc(sizeof(*v) * (size_t)n);
	if (!v)
		return -ENOMEM;
	memcpy(v, iov, sizeof(*v) * (size_t)n); /* rw_full advances its copy */
	int r = rw_full(f, wr, v, n, off);
	if (v != small)
		free(v);
	return r;
}

int dfile_preadv(struct dfile *f, const struct iovec *iov, int n, uint64_t off)
{
	return dfile_rw(f, false, iov, n, off);
}

int dfile_pwritev(struct dfile *f, const struct iovec *iov, int n, uint64_t off)
{
	return dfile_rw(f, true, iov, n, off);
}

int dfile_pread(struct dfile *f, void *buf, size_t len, uint64_t off)
{
	struct iovec v = { buf, len };
	return len ? dfile_rw(f, false, &v, 1, off) : 0;
}

int dfile_pwrite(struct dfile *f, const void *buf, size_t len, uint64_t off)
{
	struct iovec v = { (void *)buf, len };
	return len ? dfile_rw(f, true, &v, 1, off) : 0;
}

int dfile_sync(struct dfile *f)
{
	if (f->cache == DISK_CACHE_UNSAFE)
		return 0;
	return fdatasync(f->fd) < 0 ? -errno : 0;
}

int dfile_size(struct dfile *f, uint64_t *out)
{
	if (f->blkdev) {
		uint64_t s;
		if (ioctl(f->fd, BLKGETSIZE64, &s) < 0)
			return -errno;
		*out = s;
		return 0;
	}
	struct stat st;
	if (fstat(f->fd, &st) < 0)
		return -errno;
	*out = (uint64_t)st.st_size;
	return 0;
}

int dfile_truncate(struct dfile *f, uint64_t size)
{
	if (f->blkdev)
		return -ENOTSUP;
	return ftruncate(f->fd, (off_t)size) < 0 ? -errno : 0;
}
