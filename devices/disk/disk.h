/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Disk images behind one interface: every storage controller (virtio-blk, virtio-scsi, IDE, AHCI)
 * reads and writes a `struct disk` at byte offsets and never knows whether raw or qcow2 is below.
 *
 * Calls return 0 when the whole request was done, else -errno; nothing is ever partial. Requests
 * past the end of the disk get -EINVAL, writes to a read-only disk -EROFS. Controllers send
 * 512-byte aligned requests, but any byte range works. A disk may be used from several threads:
 * raw is lock-free (pread/pwrite), qcow2 serialises these calls on one mutex (through disk_aio,
 * aio.h, qcow2 data I/O runs outside it).
 *
 * Format probing, and why a probed raw image keeps sector 0: a guest owns every byte of a raw
 * image, so it could write a qcow2 header into it whose backing file names a host file
 * (/etc/shadow, another VM's disk); a later format=auto open would then probe qcow2 and show the
 * guest that file. The danger is closed where it starts (QEMU's policy): a raw image whose format
 * was probed refuses guest writes that would make its first bytes probe as another format (the
 * qcow2 magic), with -EPERM and one log line per disk (disk_write_guard; both the synchronous and
 * the disk_aio write paths). So a probed qcow2 opens with its backing chain, which is what images
 * made from a template need (`img create -b base.qcow2 -F qcow2 vm1.qcow2`, then `--disk vm1.qcow2`).
 * A raw image the caller named format=raw takes any write: keep naming it raw. Backing files named
 * by an image with a backing format extension are opened with that format; without one they are
 * probed (read-only, so the guard has nothing to refuse there).
 *
 * Locking: each image file gets an open-file-description lock over the whole file (write lock
 * read-write, read lock read-only), so a second kvmini or a qemu on the same image is refused with
 * "image is locked by another process" instead of two writers corrupting it.
 *
 * qcow2 dirty bit (set by lazy-refcount writers that crashed): read-only opens are allowed (the
 * L1/L2 mapping is still right; only refcounts may be stale); read-write opens are refused with a
 * hint to run `kvmini img check -r all`, which rebuilds refcounts and clears the bit. The corrupt
 * bit is treated the same way. */
#ifndef KVMINI_DISK_H
#define KVMINI_DISK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define DISK_SECTOR 512u

enum disk_format { DISK_FMT_AUTO, DISK_FMT_RAW, DISK_FMT_QCOW2 };

enum disk_cache {
	DISK_CACHE_WRITEBACK, /* page cache; flush = fdatasync */
	DISK_CACHE_NONE,      /* O_DIRECT; flush = fdatasync */
	DISK_CACHE_UNSAFE,    /* page cache; flush writes metadata back but never syncs */
};

struct disk_opts {
	enum disk_format format;
	enum disk_cache cache;
	bool read_only;
	bool no_lock;       /* don't take the OFD lock (img info -U: reading a busy image) */
	bool no_backing;    /* don't open the backing chain (metadata-only users: img info) */
	bool repair;        /* allow a read-write open of a dirty/corrupt qcow2 (img check -r only) */
	bool snapshot;      /* writable: writes go to a temporary qcow2 overlay, the image stays as it is */
};

/* block_status flags */
#define DISK_BS_DATA 1u      /* may hold non-zero data */
#define DISK_BS_ZERO 2u      /* reads as zeros */
#define DISK_BS_ALLOCATED 4u /* described by this layer, not its backing file */

struct disk;
struct disk_aio;
struct disk_req;
struct disk_ops {
	int (*readv)(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len);
	int (*writev)(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len);
	int (*flush)(struct disk *d);
	int (*discard)(struct disk *d, uint64_t off, uint64_t len);
	int (*write_zeroes)(struct disk *d, uint64_t off, uint64_t len, bool may_unmap);
	int (*resize)(struct disk *d, uint64_t size);
	/* status of [off, off+len): returns DISK_BS_* flags, *pnum = bytes (>0) sharing them */
	int (*block_status)(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum);
	void (*close)(struct disk *d);
	/* optional: queue r's file I/O on q's io_uring (aio_int.h); NULL = synchronous ops above */
	void (*aio_submit)(struct disk *d, struct disk_aio *q, struct disk_req *r);
	bool aio_no_ring; /* aio_submit needs no io_uring: it drives its own socket (nbd) */
};

/* Formats embed this as their first member. */
struct disk {
	const struct disk_ops *ops;
	const char *format; /* "raw" or "qcow2" */
	uint64_t size;      /* virtual size in bytes */
	bool read_only;
	bool probed; /* format came from probing, not from the caller */
	_Atomic bool guard_logged; /* disk_write_guard said why once */
	char *path;
};

/* Opens path; on failure *why (if given) points to a static one-line reason, e.g. "image is
 * locked by another process", to print after the path. With o->snapshot (and not read_only) the
 * image is opened read-only (a read lock) as the backing file of a new qcow2 overlay in $TMPDIR
 * (default /var/tmp), which is unlinked right after its open: writes vanish with the disk. */
int disk_open(struct disk **out, const char *path, const struct disk_opts *o, const char **why);
void disk_close(struct disk *d);

int disk_read(struct disk *d, uint64_t off, void *buf, size_t len);
int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len);
int disk_readv(struct disk *d, uint64_t off, const struct iovec *iov, int n);
int disk_writev(struct disk *d, uint64_t off, const struct iovec *iov, int n);
int disk_flush(struct disk *d);
int disk_discard(struct disk *d, uint64_t off, uint64_t len);
/* may_unmap: the range may be deallocated (qcow2 zero flag, punched hole) instead of written */
int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool may_unmap);
int disk_resize(struct disk *d, uint64_t size);
int disk_block_status(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum);

/* New image at path, written to a temporary file and renamed into place, so a failure never
 * leaves a half-written image (and an image in use, i.e. locked, is never replaced). */
struct disk_create_opts {
	enum disk_format format; /* raw or qcow2 */
	uint64_t size;
	bool prealloc_full;    /* raw only: allocate every block now */
	uint32_t cluster_size; /* qcow2; 0 = 64 KiB */
	const char *backing;   /* qcow2; stored as given (relative to the image's directory) */
	enum disk_format backing_fmt; /* recorded in the image when not AUTO */
};
int disk_create(const char *path, const struct disk_create_opts *o, const char **why);

/* Is path an NBD URI (a disk served by an NBD server, used raw)? 1: nbd://HOST[:PORT]/EXPORT or
 * nbd+unix:///EXPORT?socket=PATH; 0: not a URI (a file); -EINVAL and *why (if given): a URI of
 * another scheme (nbds://, nbd+vsock://, http://...) or a malformed one. No I/O. */
int disk_nbd_uri(const char *path, const char **why);

/* Which format the file looks like: DISK_FMT_QCOW2 or DISK_FMT_RAW; -errno if unreadable. */
int disk_probe(const char *path);
const char *disk_format_name(enum disk_format f);
int disk_format_parse(const char *s, enum disk_format *out); /* "raw" "qcow2" "auto" */

#endif
