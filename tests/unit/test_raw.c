// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "disk_test.h"

#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define MiB (1024 * 1024ull)

START_TEST(create_sparse_and_full)
{
	char p[128], f[128];
	struct stat st;
	ck_assert_int_eq(dt_create(dt_path(p, "s.raw"), DISK_FMT_RAW, 64 * MiB, 0, NULL, 0), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_size, 64 * MiB);
	ck_assert_int_lt(st.st_blocks * 512, MiB);
	struct disk_create_opts o = { .format = DISK_FMT_RAW, .size = 8 * MiB, .prealloc_full = true };
	ck_assert_int_eq(disk_create(dt_path(f, "f.raw"), &o, NULL), 0);
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_int_ge(st.st_blocks * 512, 8 * MiB);
	/* raw has no backing file or clusters */
	o = (struct disk_create_opts){ .format = DISK_FMT_RAW, .size = 1, .backing = "x" };
	ck_assert_int_eq(disk_create(f, &o, NULL), -EINVAL);
	struct disk *d = dt_open(p, DISK_FMT_RAW, true);
	ck_assert_str_eq(d->format, "raw");
	ck_assert_uint_eq(d->size, 64 * MiB);
	disk_close(d);
}
END_TEST

START_TEST(rw_iov_zero_discard)
{
	char p[128];
	ck_assert_int_eq(dt_create(dt_path(p, "r.raw"), DISK_FMT_RAW, 4 * MiB, 0, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_RAW, false);
	uint8_t a[1000], b[3333], out[8192], z[8192] = { 0 };
	dt_pattern(a, sizeof(a), 1);
	dt_pattern(b, sizeof(b), 2);
	struct iovec v[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	ck_assert_int_eq(disk_writev(d, 12345, v, 2), 0);
	ck_assert_int_eq(disk_read(d, 12345, out, 4333), 0);
	ck_assert_int_eq(memcmp(out, a, 1000), 0);
	ck_assert_int_eq(memcmp(out + 1000, b, 3333), 0);
	ck_assert_int_eq(disk_read(d, 4 * MiB - 1, out, 2), -EINVAL);
	/* zeroes, with and without unmapping */
	ck_assert_int_eq(disk_write_zeroes(d, 12345, 500, false), 0);
	ck_assert_int_eq(disk_write_zeroes(d, 12345 + 500, 500, true), 0);
	ck_assert_int_eq(disk_read(d, 12345, out, 1000), 0);
	ck_assert_int_eq(memcmp(out, z, 1000), 0);
	ck_assert_int_eq(disk_read(d, 13345, out, 3333), 0);
	ck_assert_int_eq(memcmp(out, b, 3333), 0);
	/* discard of whole blocks punches a hole, which reads zeros and shows as ZERO */
	uint8_t *big = malloc(MiB);
	dt_pattern(big, MiB, 3);
	ck_assert_int_eq(disk_write(d, MiB, big, MiB), 0);
	ck_assert_int_eq(disk_discard(d, MiB, MiB), 0);
	ck_assert_int_eq(disk_read(d, MiB, out, 8192), 0);
	ck_assert_int_eq(memcmp(out, z, 8192), 0);
	uint64_t pnum;
	ck_assert_int_eq(disk_block_status(d, 2 * MiB, MiB, &pnum), DISK_BS_ZERO | DISK_BS_ALLOCATED);
	ck_assert_int_eq(disk_flush(d), 0);
	free(big);
	disk_close(d);
	d = dt_open(p, DISK_FMT_RAW, true);
	ck_assert_int_eq(disk_write(d, 0, a, 10), -EROFS);
	ck_assert_int_eq(disk_discard(d, 0, 512), -EROFS);
	disk_close(d);
}
END_TEST

START_TEST(resize_and_lock)
{
	char p[128];
	ck_assert_int_eq(dt_create(dt_path(p, "r.raw"), DISK_FMT_RAW, MiB, 0, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_RAW, false), *e = NULL;
	ck_assert_int_eq(disk_resize(d, 3 * MiB), 0);
	ck_assert_uint_eq(d->size, 3 * MiB);
	struct disk_opts o = { .format = DISK_FMT_RAW };
	const char *why = NULL;
	ck_assert_int_eq(disk_open(&e, p, &o, &why), -EBUSY);
	ck_assert_str_eq(why, "image is locked by another process");
	disk_close(d);
	/* two readers share */
	o.read_only = true;
	ck_assert_int_eq(disk_open(&d, p, &o, NULL), 0);
	ck_assert_int_eq(disk_open(&e, p, &o, NULL), 0);
	ck_assert_uint_eq(e->size, 3 * MiB);
	/* a reader does not share writing (QEMU's lock bytes): no writer while it is open */
	struct disk *w = NULL;
	o.read_only = false;
	ck_assert_int_eq(disk_open(&w, p, &o, &why), -EBUSY);
	disk_close(d);
	disk_close(e);
	ck_assert_int_eq(disk_open(&w, p, &o, &why), 0);
	disk_close(w);
}
END_TEST

/* cache=none: unaligned buffers and offsets go through the bounce path. */
START_TEST(direct_io_unaligned)
{
	char p[128];
	ck_assert_int_eq(dt_create(dt_path(p, "d.raw"), DISK_FMT_RAW, MiB, 0, NULL, 0), 0);
	struct disk_opts o = { .format = DISK_FMT_RAW, .cache = DISK_CACHE_NONE };
	struct disk *d = NULL;
	const char *why = NULL;
	if (dt_no_direct())
		UNIT_SKIP("raw/direct_io_unaligned", "%s has no O_DIRECT (tmpfs?)", dt_dir);
	int r = disk_open(&d, p, &o, &why);
	ck_assert_int_eq(r, 0);
	uint8_t *buf = malloc(10000), *out = malloc(10001);
	dt_pattern(buf, 10000, 4);
	ck_assert_int_eq(disk_write(d, 777, buf + 1, 9000), 0);
	ck_assert_int_eq(disk_read(d, 777, out + 1, 9000), 0);
	ck_assert_int_eq(memcmp(out + 1, buf + 1, 9000), 0);
	ck_assert_int_eq(disk_read(d, 0, out, 777), 0);
	for (int i = 0; i < 777; i++)
		ck_assert_int_eq(out[i], 0);
	ck_assert_int_eq(disk_flush(d), 0);
	disk_close(d);
	free(buf);
	free(out);
}
END_TEST

/* A loop device over file, detached by the kernel when its last descriptor closes (LO_FLAGS_AUTOCLEAR),
 * so a failing check cannot leave it attached. Returns the device's fd (name in dev) or -errno. */
static int loop_attach(const char *file, char *dev, size_t len)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC), ffd = open(file, O_RDWR | O_CLOEXEC), r = -EBUSY;
	if (ctl < 0 || ffd < 0) {
		r = -errno;
		goto out;
	}
	for (int tries = 0; tries < 8 && r == -EBUSY; tries++) { /* others may take the free one first */
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			r = -errno;
			break;
		}
		snprintf(dev, len, "/dev/loop%d", n);
		int fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			r = -errno;
			break;
		}
		if (ioctl(fd, LOOP_SET_FD, ffd) < 0) {
			r = -errno;
			close(fd);
			continue;
		}
		struct loop_info64 li = { .lo_flags = LO_FLAGS_AUTOCLEAR };
		if (ioctl(fd, LOOP_SET_STATUS64, &li) < 0) {
			r = -errno;
			ioctl(fd, LOOP_CLR_FD, 0);
			close(fd);
			break;
		}
		r = fd;
	}
out:
	if (ctl >= 0)
		close(ctl);
	if (ffd >= 0)
		close(ffd);
	return r;
}

/* A host block device as a raw disk: its size from BLKGETSIZE64, I/O with and without O_DIRECT
 * (unaligned requests through the bounce path), zeroing and discard by ioctl, no resize. */
START_TEST(block_device)
{
	char p[128], dev[32];
	ck_assert_int_eq(dt_create(dt_path(p, "loop.img"), DISK_FMT_RAW, 8 * MiB, 0, NULL, 0), 0);
	int lfd = loop_attach(p, dev, sizeof(dev));
	if (lfd < 0)
		UNIT_SKIP("raw/block_device", "no loop device (%s; needs root and the loop module)", strerror(-lfd));
	uint8_t *buf = malloc(MiB), *out = malloc(MiB + 1), z[4096] = { 0 };
	dt_pattern(buf, MiB, 9);
	for (int direct = 0; direct < 2; direct++) {
		struct disk_opts o = { .format = DISK_FMT_AUTO, .cache = direct ? DISK_CACHE_NONE : DISK_CACHE_WRITEBACK };
		struct disk *d = NULL;
		const char *why = NULL;
		ck_assert_int_eq(disk_open(&d, dev, &o, &why), 0);
		ck_assert_str_eq(d->format, "raw");
		ck_assert_uint_eq(d->size, 8 * MiB);
		uint64_t off = direct ? 3 * MiB + 1001 : 512;
		ck_assert_int_eq(disk_write(d, off, buf + direct, 70000), 0);
		ck_assert_int_eq(disk_read(d, off, out + 1, 70000), 0);
		ck_assert_int_eq(memcmp(out + 1, buf + direct, 70000), 0);
		ck_assert_int_eq(disk_write_zeroes(d, off, 4096, false), 0);
		ck_assert_int_eq(disk_read(d, off, out, 4096), 0);
		ck_assert_int_eq(memcmp(out, z, 4096), 0);
		ck_assert_int_eq(disk_discard(d, 6 * MiB, MiB), 0);
		ck_assert_int_eq(disk_read(d, 8 * MiB - 1, out, 2), -EINVAL);
		ck_assert_int_eq(disk_resize(d, 16 * MiB), -ENOTSUP);
		ck_assert_int_eq(disk_flush(d), 0);
		disk_close(d);
	}
	close(lfd);
	/* what went through the device is in the file */
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, out, 70000, 3 * MiB + 1001), 70000);
	ck_assert_int_eq(memcmp(out + 4096, buf + 1 + 4096, 70000 - 4096), 0);
	ck_assert_int_eq(memcmp(out, z, 4096), 0);
	close(fd);
	free(buf);
	free(out);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("raw");
	TCase *t = tcase_create("raw");
	tcase_add_checked_fixture(t, dt_setup, dt_teardown);
	tcase_add_test(t, create_sparse_and_full);
	tcase_add_test(t, rw_iov_zero_discard);
	tcase_add_test(t, resize_and_lock);
	tcase_add_test(t, direct_io_unaligned);
	tcase_add_test(t, block_device);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
