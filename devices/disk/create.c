// SPDX-License-Identifier: GPL-2.0-or-later
/* disk_create: new raw and qcow2 images, built in a temporary file and renamed into place. */
#include "qcow2_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int raw_create_fd(int fd, uint64_t size, bool prealloc_full);

static void put32(uint8_t *p, unsigned o, uint32_t v)
{
	v = htobe32(v);
	memcpy(p + o, &v, 4);
}

static void put64(uint8_t *p, unsigned o, uint64_t v)
{
	v = htobe64(v);
	memcpy(p + o, &v, 8);
}

/* Layout: header cluster, refcount table, refcount blocks, L1 table; all refcounted once. */
int qcow2_create_fd(int fd, const struct disk_create_opts *o, const char **why)
{
	uint64_t cs = o->cluster_size ? o->cluster_size : 65536;
	unsigned bits = 0;
	while ((1ull << bits) < cs)
		bits++;
	if ((1ull << bits) != cs || bits < 9 || bits > 21) {
		*why = "cluster size must be a power of two between 512 and 2M";
		return -EINVAL;
	}
	uint64_t span = cs * (cs / 8);
	uint64_t l1_size = (o->size + span - 1) / span;
	if (l1_size * 8 > QC_MAX_L1_BYTES) {
		*why = "image too large for this cluster size";
		return -EFBIG;
	}
	uint64_t l1c = (l1_size * 8 + cs - 1) / cs, rbe = cs * 8 / 16;
	uint64_t rtc = 1, rbc = 1, total;
	for (;;) { /* metadata must be covered by its own refcount blocks */
		total = 1 + rtc + rbc + l1c;
		uint64_t nrbc = (total + rbe - 1) / rbe, nrtc = (nrbc * 8 + cs - 1) / cs;
		if (nrbc == rbc && nrtc == rtc)
			break;
		rbc = nrbc;
		rtc = nrtc;
	}
	size_t blen = o->backing ? strlen(o->backing) : 0;
	if (blen > 1023) {
		*why = "backing file name too long";
		return -ENAMETOOLONG;
	}
	uint8_t *buf = calloc(total, cs);
	if (!buf)
		return -ENOMEM;
	uint8_t *h = buf;
	put32(h, 0, QC_MAGIC);
	put32(h, 4, 3);
	put32(h, 20, bits);
	put64(h, 24, o->size);
	put32(h, 36, (uint32_t)l1_size);
	put64(h, 40, (1 + rtc + rbc) * cs);
	put64(h, 48, cs);
	put32(h, 56, (uint32_t)rtc);
	put32(h, 96, 4);   /* 16-bit refcounts */
	put32(h, 100, 112); /* includes the compression type byte (0 = zlib) */
	unsigned p = 112;
	if (o->backing && o->backing_fmt != DISK_FMT_AUTO) {
		const char *f = disk_format_name(o->backing_fmt);
		put32(h, p, QC_EXT_BACKING_FMT);
		put32(h, p + 4, (uint32_t)strlen(f));
		memcpy(h + p + 8, f, strlen(f));
		p += 8 + (((unsigned)strlen(f) + 7) & ~7u);
	}
	/* feature name table, so tools that don't know a bit can still name it */
	static const struct { uint8_t type, bit; const char *name; } feats[] = {
		{ 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" }, { 0, 2, "external data file" },
		{ 0, 3, "compression type" }, { 0, 4, "extended L2 entries" },
		{ 1, 0, "lazy refcounts" }, { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
	};
	unsigned nf = sizeof(feats) / sizeof(feats[0]);
	if (p + 8 + nf * 48 + 8 + blen <= cs) {
		put32(h, p, QC_EXT_FEATURES);
		put32(h, p + 4, nf * 48);
		for (unsigned i = 0; i < nf; i++) {
			h[p + 8 + i * 48] = feats[i].type;
			h[p + 9 + i * 48] = feats[i].bit;
			memcpy(h + p + 10 + i * 48, feats[i].name, strlen(feats[i].name));
		}
		p += 8 + nf * 48;
	}
	p += 8; /* end-of-extensions marker: already zero */
	if (blen) {
		if (p + blen > cs) {
			free(buf);
			*why = "backing file name does not fit in the header cluster";
			return -ENAMETOOLONG;
		}
		memcpy(h + p, o->backing, blen);
		put64(h, 8, p);
		put32(h, 16, (uint32_t)blen);
	}
	for (uint64_t i = 0; i < rbc; i++) /* refcount table -> blocks */
		put64(buf + cs, (unsigned)(i * 8), (1 + rtc + i) * cs);
	for (uint64_t c = 0; c < total; c++) { /* every metadata cluster: refcount 1 */
		uint8_t *rb = buf + (1 + rtc + c / rbe) * cs;
		rb[(c % rbe) * 2 + 1] = 1;
	}
	int r = 0;
	size_t len = (size_t)(total * cs);
	for (size_t done = 0; done < len;) {
		ssize_t w = pwrite(fd, buf + done, len - done, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			break;
		}
		done += (size_t)w;
	}
	free(buf);
	return r;
}

/* An existing image that someone holds open (OFD-locked) must not be replaced under them. */
int disk_in_use(const char *path, const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int r = 0;
	if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
		*why = "image is locked by another process";
		r = -EBUSY;
	}
	close(fd);
	return r;
}

int disk_create(const char *path, const struct disk_create_opts *o, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = NULL;
	if (o->format != DISK_FMT_RAW && o->format != DISK_FMT_QCOW2) {
		*why = "format must be raw or qcow2";
		return -EINVAL;
	}
	if (o->format == DISK_FMT_RAW && (o->backing || o->cluster_size)) {
		*why = "raw images have no backing file or cluster size";
		return -EINVAL;
	}
	if (o->format == DISK_FMT_QCOW2 && o->prealloc_full) {
		*why = "preallocation=full is only supported for raw images";
		return -ENOTSUP;
	}
	int r = disk_in_use(path, why);
	if (r < 0)
		return r;
	char *tmp;
	if (asprintf(&tmp, "%s.kvmini-XXXXXX", path) < 0)
		return -ENOMEM;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	fchmod(fd, 0644);
	r = o->format == DISK_FMT_RAW ? raw_create_fd(fd, o->size, o->prealloc_full)
	                              : qcow2_create_fd(fd, o, why);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}
