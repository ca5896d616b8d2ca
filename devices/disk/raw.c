// SPDX-License-Identifier: GPL-2.0-or-later
/* raw: the image file is the disk, byte for byte. Holes and fallocate give discard/zeroing; the
 * asynchronous path sends all of it to io_uring. */
#include "aio_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct raw {
	struct disk d;
	struct dfile f;
};

static int raw_readv(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len)
{
	return dfile_preadv(&((struct raw *)d)->f, iov, n, off);
}

static int raw_writev(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len)
{
	return dfile_pwritev(&((struct raw *)d)->f, iov, n, off);
}

static int raw_flush(struct disk *d)
{
	return dfile_sync(&((struct raw *)d)->f);
}

static bool unsupported(int err)
{
	return err == EOPNOTSUPP || err == ENOTTY || err == EINVAL || err == ENOSYS;
}

/* Discard is advisory: a filesystem or device that can't punch holes just keeps the data. */
static int raw_discard(struct disk *d, uint64_t off, uint64_t len)
{
	struct raw *r = (struct raw *)d;
	if (r->f.blkdev) {
		uint64_t range[2] = { off, len };
		if (ioctl(r->f.fd, BLKDISCARD, range) < 0 && !unsupported(errno))
			return -errno;
		return 0;
	}
	if (fallocate(r->f.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0 &&
	    !unsupported(errno))
		return -errno;
	return 0;
}

static int raw_write_zero_buf(struct raw *r, uint64_t off, uint64_t len)
{
	const size_t chunk = 1 << 20;
	void *z = dfile_alloc(chunk);
	if (!z)
		return -ENOMEM;
	int ret = 0;
	while (len && !ret) {
		size_t l = len < chunk ? (size_t)len : chunk;
		ret = dfile_pwrite(&r->f, z, l, off);
		off += l;
		len -= l;
	}
	free(z);
	return ret;
}

static int raw_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool may_unmap)
{
	struct raw *r = (struct raw *)d;
	if (r->f.blkdev) {
		uint64_t range[2] = { off, len };
		if (ioctl(r->f.fd, BLKZEROOUT, range) == 0)
			return 0;
		if (!unsupported(errno))
			return -errno;
		return raw_write_zero_buf(r, off, len);
	}
	/* a punched hole reads as zeros and frees space; ZERO_RANGE keeps the blocks allocated */
	int mode = may_unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : FALLOC_FL_ZERO_RANGE;
	if (fallocate(r->f.fd, mode, (off_t)off, (off_t)len) == 0)
		return 0;
	if (!unsupported(errno))
		return -errno;
	if (may_unmap && fallocate(r->f.fd, FALLOC_FL_ZERO_RANGE, (off_t)off, (off_t)len) == 0)
		return 0;
	return raw_write_zero_buf(r, off, len);
}

static int raw_resize(struct disk *d, uint64_t size)
{
	struct raw *r = (struct raw *)d;
	int ret = dfile_truncate(&r->f, size);
	if (ret == 0)
		d->size = size;
	return ret;
}

/* SEEK_DATA/SEEK_HOLE tell holes (zeros) from data, so convert can skip them. */
static int raw_block_status(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum)
{
	struct raw *r = (struct raw *)d;
	*pnum = len;
	if (r->f.blkdev)
		return DISK_BS_DATA | DISK_BS_ALLOCATED;
	off_t data = lseek(r->f.fd, (off_t)off, SEEK_DATA);
	if (data < 0) {
		if (errno == ENXIO) /* a hole up to the end of the file */
			return DISK_BS_ZERO | DISK_BS_ALLOCATED;
		return DISK_BS_DATA | DISK_BS_ALLOCATED;
	}
	if ((uint64_t)data > off) {
		if ((uint64_t)data - off < len)
			*pnum = (uint64_t)data - off;
		return DISK_BS_ZERO | DISK_BS_ALLOCATED;
	}
	off_t hole = lseek(r->f.fd, (off_t)off, SEEK_HOLE);
	if (hole > (off_t)off && (uint64_t)hole - off < len)
		*pnum = (uint64_t)hole - off;
	return DISK_BS_DATA | DISK_BS_ALLOCATED;
}

/* fallocate that the filesystem can't do: the synchronous path knows the fallbacks */
static int raw_fallocate_done(struct aio_io *io, int ret)
{
	struct disk_req *r = io->req;
	if (ret >= 0 || !unsupported(-ret))
		return ret;
	return r->op == DISK_OP_DISCARD ? raw_discard(r->disk, r->off, r->len)
	                                : raw_write_zeroes(r->disk, r->off, r->len, r->may_unmap);
}

static void raw_aio_submit(struct disk *d, struct disk_aio *q, struct disk_req *r)
{
	struct raw *w = (struct raw *)d;
	switch (r->op) {
	case DISK_OP_READ:
	case DISK_OP_WRITE:
		aio_file_rw(q, r, &w->f, r->op, r->off, r->iov, r->niov, 0, iov_size(r->iov, r->niov),
		            NULL, NULL, 0);
		break;
	case DISK_OP_FLUSH:
		aio_file_op(q, r, &w->f, DISK_OP_FLUSH, 0, 0, 0, NULL);
		break;
	case DISK_OP_DISCARD:
	case DISK_OP_WRITE_ZEROES:
		if (w->f.blkdev) { /* ioctls: no io_uring opcode for them */
			aio_req_err(r, r->op == DISK_OP_DISCARD
			                   ? raw_discard(d, r->off, r->len)
			                   : raw_write_zeroes(d, r->off, r->len, r->may_unmap));
			break;
		}
		/* a punched hole reads as zeros and frees space; ZERO_RANGE keeps the blocks */
		aio_file_op(q, r, &w->f, r->op,
		            r->op == DISK_OP_DISCARD || r->may_unmap
		                ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
		                : FALLOC_FL_ZERO_RANGE,
		            r->off, r->len, raw_fallocate_done);
		break;
	}
}

static void raw_close(struct disk *d)
{
	struct raw *r = (struct raw *)d;
	dfile_close(&r->f);
	free(r);
}

static const struct disk_ops raw_ops = {
	.readv = raw_readv,
	.writev = raw_writev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.resize = raw_resize,
	.block_status = raw_block_status,
	.close = raw_close,
	.aio_submit = raw_aio_submit,
};

int raw_open(struct disk **out, const char *path, const struct disk_opts *o, const char **why)
{
	struct raw *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	int ret = dfile_open(&r->f, path, o, false, why);
	if (ret < 0) {
		free(r);
		return ret;
	}
	ret = dfile_size(&r->f, &r->d.size);
	if (ret < 0) {
		raw_close(&r->d);
		return ret;
	}
	r->d.ops = &raw_ops;
	r->d.format = "raw";
	r->d.read_only = o->read_only;
	*out = &r->d;
	return 0;
}

int raw_create_fd(int fd, uint64_t size, bool prealloc_full)
{
	if (ftruncate(fd, (off_t)size) < 0)
		return -errno;
	if (!prealloc_full || size == 0)
		return 0;
	if (fallocate(fd, 0, 0, (off_t)size) == 0)
		return 0;
	if (!unsupported(errno))
		return -errno;
	struct raw r = { .f = { .fd = fd, .align = 1 } }; /* no fallocate: write the zeros */
	return raw_write_zero_buf(&r, 0, size);
}
