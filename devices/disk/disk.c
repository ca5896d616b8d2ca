// SPDX-License-Identifier: GPL-2.0-or-later
/* disk_open: probe, dispatch to a format (or to a throw-away overlay), and the checked entry
 * points every controller calls, including the guard that keeps a probed raw image raw. */
#include "disk_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/log.h"

static const uint8_t qcow2_magic[4] = { 'Q', 'F', 'I', 0xfb };

int disk_probe(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	uint8_t m[4] = { 0 };
	ssize_t r = pread(fd, m, sizeof(m), 0);
	int err = r < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	return r == 4 && !memcmp(m, qcow2_magic, 4) ? DISK_FMT_QCOW2 : DISK_FMT_RAW;
}

const char *disk_format_name(enum disk_format f)
{
	return f == DISK_FMT_RAW ? "raw" : f == DISK_FMT_QCOW2 ? "qcow2" : "auto";
}

int disk_format_parse(const char *s, enum disk_format *out)
{
	if (!strcmp(s, "raw"))
		*out = DISK_FMT_RAW;
	else if (!strcmp(s, "qcow2"))
		*out = DISK_FMT_QCOW2;
	else if (!strcmp(s, "auto"))
		*out = DISK_FMT_AUTO;
	else
		return -EINVAL;
	return 0;
}

int disk_open_chain(struct disk **out, const char *path, const struct disk_opts *o,
                    const struct disk_chain *chain, const char **why)
{
	enum disk_format fmt = o->format;
	bool probed = false;
	int uri = disk_nbd_uri(path, why);
	if (uri < 0)
		return uri;
	if (uri) {
		int r = nbd_disk_open(out, path, o, why);
		if (r == 0 && !((*out)->path = strdup(path))) {
			disk_close(*out);
			r = -ENOMEM;
		}
		return r;
	}
	if (fmt == DISK_FMT_AUTO) {
		int p = disk_probe(path);
		if (p < 0)
			return p;
		fmt = (enum disk_format)p;
		probed = true;
	}
	int r = fmt == DISK_FMT_QCOW2 ? qcow2_open(out, path, o, chain, why)
	                              : raw_open(out, path, o, why);
	if (r < 0)
		return r;
	(*out)->probed = probed;
	(*out)->path = strdup(path);
	if (!(*out)->path) {
		disk_close(*out);
		return -ENOMEM;
	}
	return 0;
}

int disk_open(struct disk **out, const char *path, const struct disk_opts *o, const char **why)
{
	static const struct disk_opts defaults;
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (o && o->snapshot && !o->read_only)
		return disk_open_overlay(out, path, o, why);
	return disk_open_chain(out, path, o ? o : &defaults, NULL, why);
}

/* Throw-away disks (`kvmini run --snapshot`, QEMU's -snapshot): the image is opened read-only as
 * the backing file of a new qcow2 overlay in a temporary directory, and the overlay is unlinked as
 * soon as it is open. Guest writes go to the overlay's blocks, which vanish with the last file
 * descriptor: at exit, on an error exit, on SIGTERM and on SIGKILL alike. */
int qcow2_create_fd(int fd, const struct disk_create_opts *o, const char **why);

/* $TMPDIR, else /var/tmp (QEMU's choice: large images do not belong in a RAM-backed /tmp) */
static const char *tmp_dir(void)
{
	const char *t = getenv("TMPDIR");
	return t && t[0] == '/' ? t : "/var/tmp";
}

int disk_open_overlay(struct disk **out, const char *path, const struct disk_opts *o, const char **why)
{
	if (disk_nbd_uri(path, NULL) != 0) {
		*why = "--snapshot: an NBD export cannot be the backing file of an overlay";
		return -ENOTSUP;
	}
	/* the image as it is: its format and size, and whether it opens at all */
	struct disk_opts ro = *o;
	ro.read_only = true;
	ro.snapshot = false;
	struct disk *base;
	int r = disk_open_chain(&base, path, &ro, NULL, why);
	if (r < 0)
		return r;
	char full[PATH_MAX];
	struct disk_create_opts co = {
		.format = DISK_FMT_QCOW2,
		.size = base->size,
		.backing = full,
		.backing_fmt = strcmp(base->format, "qcow2") ? DISK_FMT_RAW : DISK_FMT_QCOW2,
	};
	disk_close(base);
	if (!realpath(path, full))
		return -errno;
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s/kvmini-snapshot-XXXXXX", tmp_dir()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		*why = "--snapshot: cannot create the temporary overlay (TMPDIR, else /var/tmp)";
		return -errno;
	}
	r = qcow2_create_fd(fd, &co, why);
	close(fd);
	struct disk_opts ov = *o;
	ov.format = DISK_FMT_QCOW2;
	ov.snapshot = false;
	if (!r)
		r = disk_open_chain(out, tmp, &ov, NULL, why);
	unlink(tmp); /* open (or failed): nothing of it stays in the directory */
	if (r < 0)
		return r;
	free((*out)->path);
	if (!((*out)->path = strdup(path))) { /* messages name the image, not the overlay */
		disk_close(*out);
		return -ENOMEM;
	}
	return 0;
}

void disk_close(struct disk *d)
{
	if (!d)
		return;
	char *path = d->path;
	d->ops->close(d);
	free(path);
}

static int disk_range_ok(const struct disk *d, uint64_t off, uint64_t len)
{
	return off <= d->size && len <= d->size - off ? 0 : -EINVAL;
}

int disk_readv(struct disk *d, uint64_t off, const struct iovec *iov, int n)
{
	size_t len = iov_size(iov, n);
	int r = disk_range_ok(d, off, len);
	if (r < 0 || len == 0)
		return r;
	return d->ops->readv(d, off, iov, n, len);
}

int disk_write_guard(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len)
{
	if (!d->probed || strcmp(d->format, "raw") || off >= sizeof(qcow2_magic) || len == 0 ||
	    d->size < sizeof(qcow2_magic))
		return 0;
	uint8_t m[sizeof(qcow2_magic)];
	size_t l = sizeof(m) - off < len ? sizeof(m) - (size_t)off : len;
	if (off || l < sizeof(m)) { /* the bytes this write leaves as they are */
		struct iovec v = { m, sizeof(m) };
		int r = d->ops->readv(d, 0, &v, 1, sizeof(m));
		if (r < 0)
			return r;
	}
	iov_to_buf(iov, n, 0, m + off, l);
	if (memcmp(m, qcow2_magic, sizeof(m)))
		return 0;
	if (!atomic_exchange(&d->guard_logged, true))
		kv_log("%s: refusing a guest write that would make this raw image probe as qcow2 "
		       "(give format=raw to allow it)", d->path ? d->path : "disk");
	return -EPERM;
}

int disk_writev(struct disk *d, uint64_t off, const struct iovec *iov, int n)
{
	size_t len = iov_size(iov, n);
	if (d->read_only)
		return -EROFS;
	int r = disk_range_ok(d, off, len);
	if (r == 0)
		r = disk_write_guard(d, off, iov, n, len);
	if (r < 0 || len == 0)
		return r;
	return d->ops->writev(d, off, iov, n, len);
}

int disk_read(struct disk *d, uint64_t off, void *buf, size_t len)
{
	struct iovec v = { buf, len };
	return disk_readv(d, off, &v, 1);
}

int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len)
{
	struct iovec v = { (void *)buf, len };
	return disk_writev(d, off, &v, 1);
}

int disk_flush(struct disk *d)
{
	return d->read_only ? 0 : d->ops->flush(d);
}

int disk_discard(struct disk *d, uint64_t off, uint64_t len)
{
	if (d->read_only)
		return -EROFS;
	int r = disk_range_ok(d, off, len);
	if (r < 0 || len == 0)
		return r;
	return d->ops->discard(d, off, len);
}

int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool may_unmap)
{
	if (d->read_only)
		return -EROFS;
	int r = disk_range_ok(d, off, len);
	if (r < 0 || len == 0)
		return r;
	return d->ops->write_zeroes(d, off, len, may_unmap);
}

int disk_resize(struct disk *d, uint64_t size)
{
	if (d->read_only)
		return -EROFS;
	if (!d->ops->resize)
		return -ENOTSUP;
	return d->ops->resize(d, size);
}

int disk_block_status(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum)
{
	int r = disk_range_ok(d, off, len);
	if (r < 0)
		return r;
	if (len == 0 || !d->ops->block_status) {
		*pnum = len;
		return DISK_BS_DATA | DISK_BS_ALLOCATED;
	}
	return d->ops->block_status(d, off, len, pnum);
}

/* Walks iov from byte skip, calling fn on each piece of up to len bytes. */
