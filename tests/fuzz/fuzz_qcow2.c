// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: opening a mutated image and doing I/O on it (devices/disk: probe, qcow2 header,
 * extensions, L1/L2 and refcount tables, snapshots). The input is a flags byte, a script of eight
 * 4-byte disk operations, then the image file, which goes to a memfd that disk_open opens by its
 * /proc/self/fd path with format auto (the `--disk PATH` default) or qcow2. */
#include "fuzz.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/disk/disk.h"
#include "devices/disk/qcow2.h"

#define OPS 8
#define SPAN (32u << 20) /* operations stay in the first 32 MiB of the virtual disk */

static void run_op(struct disk *d, int fd, uint8_t op, uint64_t off, uint64_t len, uint8_t *buf)
{
	if (len > d->size || off > d->size - len)
		off = len <= d->size ? d->size - len : 0, len = len <= d->size ? len : d->size;
	uint64_t pnum;
	switch (op & 7) {
	case 0:
		disk_read(d, off, buf, len);
		break;
	case 1:
		memset(buf, op, len);
		disk_write(d, off, buf, len);
		break;
	case 2:
		disk_write_zeroes(d, off, len, op & 8);
		break;
	case 3:
		disk_discard(d, off, len);
		break;
	case 4:
		disk_flush(d);
		break;
	case 5:
		if (len)
			disk_block_status(d, off, len, &pnum);
		break;
	case 6: {
		struct iovec iov[2] = { { buf, len / 3 }, { buf + len / 3, len - len / 3 } };
		disk_readv(d, off, iov, 2);
		break;
	}
	default: {
		/* check keeps a refcount per cluster of the file: a hostile L2 entry may point a write
		 * up to 2^56 (allowed by the format), leaving a sparse file whose check would need
		 * gigabytes. It then fails with -ENOMEM, which is right but not worth fuzzing. */
		struct stat st;
		struct qcow2_check_result res;
		if (fstat(fd, &st) == 0 && st.st_size <= (256 << 20))
			qcow2_check(d, 0, &res);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[255 * 512];
	struct fz f = { data, size };
	uint8_t flags = (uint8_t)fz_take(&f, 1);
	uint8_t ops[OPS][4];
	for (unsigned i = 0; i < OPS; i++)
		for (unsigned j = 0; j < 4; j++)
			ops[i][j] = (uint8_t)fz_take(&f, 1);
	int fd = memfd_create("fuzz-img", 0);
	if (fd < 0)
		fz_die("memfd_create");
	if (f.n && write(fd, f.p, f.n) != (ssize_t)f.n)
		fz_die("writing the image");
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct disk_opts o = { .format = (flags & 1) ? DISK_FMT_QCOW2 : DISK_FMT_AUTO, .read_only = flags & 2 };
	struct disk *d;
	if (disk_open(&d, path, &o, NULL) == 0) {
		for (unsigned i = 0; i < OPS; i++) {
			uint64_t off = (uint64_t)(ops[i][1] | ops[i][2] << 8) * 512 % SPAN;
			run_op(d, fd, ops[i][0], off, (uint64_t)ops[i][3] * 512, buf);
		}
		disk_close(d);
	}
	close(fd);
	return 0;
}
