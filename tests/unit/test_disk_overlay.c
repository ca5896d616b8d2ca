// SPDX-License-Identifier: GPL-2.0-or-later
/* Throw-away disks (disk_opts.snapshot, devices/disk/disk.c): the guest's writes read back, the
 * image is byte-for-byte as it was, the overlay is gone from the directory while the disk is still
 * open, and the image is only read-locked meanwhile. */
#include "unit.h"
#include "disk_test.h"

#include <dirent.h>
#include <sys/stat.h>

#include "devices/disk/qcow2.h"

static char ovdir[96];

/* entries in ovdir besides . and .. */
static int entries(void)
{
	DIR *d = opendir(ovdir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void setup(void)
{
	dt_setup();
	snprintf(ovdir, sizeof(ovdir), "%s/tmp", dt_dir);
	ck_assert_int_eq(mkdir(ovdir, 0700), 0);
	setenv("TMPDIR", ovdir, 1);
}

static void teardown(void)
{
	unsetenv("TMPDIR");
	dt_teardown();
}

static void file_bytes(const char *path, uint8_t *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, 0), (ssize_t)len);
	close(fd);
}

static void throwaway(enum disk_format f)
{
	char img[128];
	dt_path(img, f == DISK_FMT_RAW ? "base.raw" : "base.qcow2");
	const size_t size = 1 << 20;
	ck_assert_int_eq(dt_create(img, f, size, 0, NULL, DISK_FMT_AUTO), 0);
	uint8_t *a = malloc(size), *b = malloc(size), *before = malloc(size), *after = malloc(size);
	dt_pattern(a, 65536, 7);
	struct disk *d = dt_open(img, f, false);
	ck_assert_int_eq(disk_write(d, 0, a, 65536), 0);
	disk_close(d);
	struct stat st0;
	ck_assert_int_eq(stat(img, &st0), 0);
	size_t flen = (size_t)st0.st_size;
	uint8_t *file0 = malloc(flen), *file1 = malloc(flen);
	file_bytes(img, file0, flen);

	struct disk_opts o = { .format = f, .snapshot = true, .cache = DISK_CACHE_UNSAFE };
	const char *why = NULL;
	ck_assert_int_eq(disk_open(&d, img, &o, &why), 0);
	ck_assert_str_eq(d->format, "qcow2"); /* the overlay */
	ck_assert_str_eq(d->path, img);       /* messages name the image */
	ck_assert_uint_eq(d->size, size);
	ck_assert(!d->read_only);
	ck_assert_int_eq(entries(), 0); /* unlinked while open: SIGKILL leaves nothing */
	/* the image is only read-locked: another reader may open it, a writer may not */
	struct disk *r2 = dt_open(img, f, true);
	disk_close(r2);
	struct disk_opts w = { .format = f };
	ck_assert_int_ne(disk_open(&r2, img, &w, &why), 0);
	/* the image's data shows through, writes read back */
	ck_assert_int_eq(disk_read(d, 0, before, size), 0);
	ck_assert_mem_eq(before, a, 65536);
	dt_pattern(b, size, 99);
	ck_assert_int_eq(disk_write(d, 4096, b, size - 4096), 0);
	ck_assert_int_eq(disk_write_zeroes(d, 0, 512, true), 0);
	ck_assert_int_eq(disk_flush(d), 0);
	ck_assert_int_eq(disk_read(d, 0, after, size), 0);
	ck_assert_mem_eq(after + 4096, b, size - 4096);
	ck_assert_mem_eq(after + 512, a + 512, 4096 - 512);
	disk_close(d);
	/* the image file is exactly as it was, and nothing is left in the temp dir */
	struct stat st1;
	ck_assert_int_eq(stat(img, &st1), 0);
	ck_assert_int_eq(st1.st_size, st0.st_size);
	file_bytes(img, file1, flen);
	ck_assert_mem_eq(file0, file1, flen);
	ck_assert_int_eq(entries(), 0);
	/* read-only disks need no overlay: opened as they are */
	o.read_only = true;
	ck_assert_int_eq(disk_open(&d, img, &o, &why), 0);
	ck_assert_str_eq(d->format, f == DISK_FMT_RAW ? "raw" : "qcow2");
	disk_close(d);
	free(a), free(b), free(before), free(after), free(file0), free(file1);
}

START_TEST(raw_image_untouched) { throwaway(DISK_FMT_RAW); }
END_TEST

START_TEST(qcow2_image_untouched) { throwaway(DISK_FMT_QCOW2); }
END_TEST

START_TEST(failures_leave_nothing)
{
	char img[128];
	struct disk *d;
	const char *why = NULL;
	struct disk_opts o = { .snapshot = true };
	ck_assert_int_eq(disk_open(&d, dt_path(img, "missing.raw"), &o, &why), -ENOENT);
	ck_assert_int_eq(entries(), 0);
	ck_assert_int_eq(disk_open(&d, "nbd://127.0.0.1:1/x", &o, &why), -ENOTSUP);
	ck_assert_ptr_nonnull(why);
	setenv("TMPDIR", "/nonexistent-kvmini-dir", 1);
	ck_assert_int_eq(dt_create(dt_path(img, "b.raw"), DISK_FMT_RAW, 65536, 0, NULL, DISK_FMT_AUTO), 0);
	ck_assert_int_eq(disk_open(&d, img, &o, &why), -ENOENT);
	ck_assert_ptr_nonnull(why);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("disk_overlay");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, raw_image_untouched);
	tcase_add_test(tc, qcow2_image_untouched);
	tcase_add_test(tc, failures_leave_nothing);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
