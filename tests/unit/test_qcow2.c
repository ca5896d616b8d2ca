// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "disk_test.h"
#include "devices/disk/qcow2.h"

#include <zlib.h>

#define MiB (1024 * 1024ull)

static void assert_clean(struct disk *d)
{
	struct qcow2_check_result res;
	ck_assert_int_eq(qcow2_check(d, 0, &res), 0);
	ck_assert_uint_eq(res.corruptions, 0);
	ck_assert_uint_eq(res.leaks, 0);
}

/* qemu-img must agree that an image kvmini wrote is clean (qemu-utils is a test dependency). */
static void qemu_check(const char *path)
{
	ck_assert_msg(!access("/usr/bin/qemu-img", X_OK),
		      "qemu-img is missing: a test dependency (tools/install-deps: qemu-utils)");
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "qemu-img check -q '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

/* Random-ish writes at odd offsets across cluster boundaries against a shadow copy. */
static void pattern_run(uint32_t cs, uint64_t size, int rounds)
{
	char p[128];
	dt_path(p, "a.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, size, cs, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false);
	ck_assert_uint_eq(d->size, size);
	uint8_t *shadow = calloc(1, size), *buf = malloc(256 * 1024);
	uint64_t seed = 7;
	for (int i = 0; i < rounds; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		uint64_t len = 1 + (seed >> 33) % (3 * cs + 1000);
		uint64_t off = (seed >> 7) % (size - len);
		dt_pattern(buf, len, seed);
		ck_assert_int_eq(disk_write(d, off, buf, len), 0);
		memcpy(shadow + off, buf, len);
	}
	for (uint64_t off = 0; off < size; off += 256 * 1024) {
		uint64_t l = size - off < 256 * 1024 ? size - off : 256 * 1024;
		ck_assert_int_eq(disk_read(d, off, buf, l), 0);
		ck_assert_int_eq(memcmp(buf, shadow + off, l), 0);
	}
	ck_assert_int_eq(disk_flush(d), 0);
	assert_clean(d);
	disk_close(d);
	d = dt_open(p, DISK_FMT_AUTO, true); /* fresh caches: everything came from the file */
	for (uint64_t off = 0; off < size; off += 256 * 1024) {
		uint64_t l = size - off < 256 * 1024 ? size - off : 256 * 1024;
		ck_assert_int_eq(disk_read(d, off, buf, l), 0);
		ck_assert_int_eq(memcmp(buf, shadow + off, l), 0);
	}
	assert_clean(d);
	disk_close(d);
	qemu_check(p);
	free(shadow);
	free(buf);
}

START_TEST(rw_patterns_64k)
{
	pattern_run(65536, 64 * MiB, 300);
}
END_TEST

START_TEST(rw_patterns_512_grows_refcount_table)
{
	pattern_run(512, 24 * MiB, 1500);
	/* 512-byte clusters: one refcount table cluster covers 8 MiB of file; fill past it */
	char p[128];
	dt_path(p, "a.qcow2");
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false);
	uint8_t *buf = malloc(MiB), *out = malloc(MiB);
	for (int i = 0; i < 10; i++) {
		dt_pattern(buf, MiB, (uint64_t)i);
		ck_assert_int_eq(disk_write(d, (uint64_t)(i + 12) * MiB + 100, buf, MiB), 0);
	}
	ck_assert_int_eq(disk_flush(d), 0);
	assert_clean(d);
	disk_close(d);
	uint8_t h[4];
	int fd = open(p, O_RDONLY);
	ck_assert_int_eq(pread(fd, h, 4, 56), 4);
	close(fd);
	ck_assert_int_gt(h[3] | h[2] << 8, 1); /* refcount_table_clusters grew */
	qemu_check(p);
	d = dt_open(p, DISK_FMT_QCOW2, true);
	for (int i = 0; i < 10; i++) {
		dt_pattern(buf, MiB, (uint64_t)i);
		ck_assert_int_eq(disk_read(d, (uint64_t)(i + 12) * MiB + 100, out, MiB), 0);
		ck_assert_int_eq(memcmp(out, buf, MiB), 0);
	}
	disk_close(d);
	free(buf);
	free(out);
}
END_TEST

START_TEST(rw_iovec_and_bounds)
{
	char p[128];
	dt_path(p, "a.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 4 * MiB, 4096, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false);
	uint8_t a[700], b[5000], c[300], out[6000];
	dt_pattern(a, sizeof(a), 1);
	dt_pattern(b, sizeof(b), 2);
	dt_pattern(c, sizeof(c), 3);
	struct iovec v[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	ck_assert_int_eq(disk_writev(d, 4096 - 333, v, 3), 0);
	ck_assert_int_eq(disk_read(d, 4096 - 333, out, 6000), 0);
	ck_assert_int_eq(memcmp(out, a, 700), 0);
	ck_assert_int_eq(memcmp(out + 700, b, 5000), 0);
	ck_assert_int_eq(memcmp(out + 5700, c, 300), 0);
	ck_assert_int_eq(disk_read(d, 4 * MiB - 512, out, 1024), -EINVAL);
	ck_assert_int_eq(disk_write(d, UINT64_MAX - 10, out, 100), -EINVAL);
	disk_close(d);
	d = dt_open(p, DISK_FMT_QCOW2, true);
	ck_assert_int_eq(disk_write(d, 0, out, 512), -EROFS);
	disk_close(d);
}
END_TEST

START_TEST(zero_and_discard)
{
	char p[128];
	dt_path(p, "a.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 8 * MiB, 65536, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false);
	uint8_t *buf = malloc(4 * 65536), *z = calloc(1, 4 * 65536);
	dt_pattern(buf, 4 * 65536, 9);
	ck_assert_int_eq(disk_write(d, 0, buf, 4 * 65536), 0);
	/* whole cluster 1 + half of cluster 2 zeroed */
	ck_assert_int_eq(disk_write_zeroes(d, 65536, 65536 + 32768, true), 0);
	uint8_t *out = malloc(4 * 65536);
	ck_assert_int_eq(disk_read(d, 0, out, 4 * 65536), 0);
	ck_assert_int_eq(memcmp(out, buf, 65536), 0);
	ck_assert_int_eq(memcmp(out + 65536, z, 65536 + 32768), 0);
	ck_assert_int_eq(memcmp(out + 2 * 65536 + 32768, buf + 2 * 65536 + 32768, 65536 + 32768), 0);
	uint64_t pnum;
	int st = disk_block_status(d, 65536, 65536, &pnum);
	ck_assert_int_eq(st & DISK_BS_ZERO, DISK_BS_ZERO);
	/* discard cluster 3 (and a partial piece of 0, which stays) */
	ck_assert_int_eq(disk_discard(d, 100, 1000), 0);
	ck_assert_int_eq(disk_discard(d, 3 * 65536, 65536), 0);
	ck_assert_int_eq(disk_read(d, 0, out, 4 * 65536), 0);
	ck_assert_int_eq(memcmp(out, buf, 65536), 0);
	ck_assert_int_eq(memcmp(out + 3 * 65536, z, 65536), 0);
	ck_assert_int_eq(disk_flush(d), 0);
	assert_clean(d);
	struct qcow2_check_result res;
	ck_assert_int_eq(qcow2_check(d, 0, &res), 0);
	ck_assert_uint_eq(res.allocated_clusters, 2); /* clusters 0 and 2 */
	disk_close(d);
	qemu_check(p);
	free(buf);
	free(z);
	free(out);
}
END_TEST

START_TEST(backing_cow)
{
	char base[128], top[128];
	dt_path(base, "base.raw");
	dt_path(top, "top.qcow2");
	ck_assert_int_eq(dt_create(base, DISK_FMT_RAW, 1 * MiB, 0, NULL, 0), 0);
	uint8_t *bb = malloc(MiB), *t = malloc(MiB), *out = malloc(2 * MiB);
	dt_pattern(bb, MiB, 5);
	struct disk *d = dt_open(base, DISK_FMT_RAW, false);
	ck_assert_int_eq(disk_write(d, 0, bb, MiB), 0);
	disk_close(d);
	ck_assert_int_eq(dt_create(top, DISK_FMT_QCOW2, 2 * MiB, 65536, "base.raw", DISK_FMT_RAW), 0);
	d = dt_open(top, DISK_FMT_QCOW2, false);
	dt_pattern(t, 1000, 77);
	ck_assert_int_eq(disk_write(d, 65536 + 5000, t, 1000), 0); /* partial: COW from base */
	ck_assert_int_eq(disk_read(d, 0, out, 2 * MiB), 0);
	memcpy(bb + 65536 + 5000, t, 1000);
	ck_assert_int_eq(memcmp(out, bb, MiB), 0);
	for (uint64_t i = MiB; i < 2 * MiB; i++) /* past the backing file: zeros */
		ck_assert_int_eq(out[i], 0);
	/* zeroing over backing data must hide it */
	ck_assert_int_eq(disk_write_zeroes(d, 0, 65536, true), 0);
	ck_assert_int_eq(disk_read(d, 0, out, 65536), 0);
	for (uint64_t i = 0; i < 65536; i++)
		ck_assert_int_eq(out[i], 0);
	ck_assert_int_eq(disk_flush(d), 0);
	assert_clean(d);
	disk_close(d);
	d = dt_open(base, DISK_FMT_RAW, true); /* base untouched */
	ck_assert_int_eq(disk_read(d, 65536 + 5000, out, 1000), 0);
	dt_pattern(t, 1000, 5 + 65536 + 5000);
	ck_assert_int_eq(memcmp(out, t, 1000), 0);
	disk_close(d);
	free(bb);
	free(t);
	free(out);
}
END_TEST

START_TEST(backing_refusals)
{
	char a[128], b[128], m[128];
	dt_path(a, "a.qcow2");
	dt_path(b, "b.qcow2");
	dt_path(m, "m.qcow2");
	ck_assert_int_eq(dt_create(a, DISK_FMT_QCOW2, MiB, 0, "b.qcow2", DISK_FMT_QCOW2), 0);
	ck_assert_int_eq(dt_create(b, DISK_FMT_QCOW2, MiB, 0, "a.qcow2", DISK_FMT_QCOW2), 0);
	struct disk *d = NULL;
	struct disk_opts o = { .format = DISK_FMT_QCOW2 };
	const char *why = NULL;
	ck_assert_int_eq(disk_open(&d, a, &o, &why), -ELOOP);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(dt_create(m, DISK_FMT_QCOW2, MiB, 0, "missing.qcow2", DISK_FMT_QCOW2), 0);
	ck_assert_int_eq(disk_open(&d, m, &o, &why), -ENOENT);
	ck_assert_str_eq(why, "backing file not found");
	/* a probed qcow2 follows its backing file (probed raw images can't grow a header: test_probe) */
	ck_assert_int_eq(dt_create(b, DISK_FMT_QCOW2, MiB, 0, NULL, 0), 0);
	o.format = DISK_FMT_AUTO;
	ck_assert_int_eq(disk_open(&d, a, &o, &why), 0);
	ck_assert_str_eq(d->format, "qcow2");
	ck_assert(d->probed);
	disk_close(d);
	o = (struct disk_opts){ .format = DISK_FMT_AUTO, .no_backing = true, .read_only = true };
	ck_assert_int_eq(disk_open(&d, a, &o, &why), 0);
	disk_close(d);
}
END_TEST

static int open_why(const char *p, bool ro, const char **why)
{
	struct disk *d = NULL;
	struct disk_opts o = { .format = DISK_FMT_QCOW2, .read_only = ro };
	int r = disk_open(&d, p, &o, why);
	if (r == 0)
		disk_close(d);
	return r;
}

/* Each corruption on a fresh image: layout 64K clusters, rt at 64K, refblock 128K, L1 192K. */
START_TEST(bad_headers_refused)
{
	static const struct { off_t off; int width; uint64_t val; } bad[] = {
		{ 0, 32, 0x514649fc },      /* magic */
		{ 4, 32, 4 },               /* version */
		{ 20, 32, 8 },              /* cluster_bits too small */
		{ 20, 32, 22 },             /* too large */
		{ 32, 32, 1 },              /* encrypted */
		{ 36, 32, 0 },              /* l1_size too small for the size */
		{ 40, 64, 3 * 65536 + 8 },  /* L1 unaligned */
		{ 40, 64, 1ull << 40 },     /* L1 outside the file */
		{ 48, 64, 1ull << 40 },     /* refcount table outside the file */
		{ 48, 64, 65536 + 512 },    /* refcount table unaligned */
		{ 56, 32, 0 },              /* no refcount table */
		{ 72, 64, 1ull << 20 },     /* unknown incompatible feature */
		{ 72, 64, 1ull << 4 },      /* extended L2: known, unsupported */
		{ 96, 32, 7 },              /* refcount order */
		{ 100, 32, 100 },           /* header length */
		{ 65536, 64, 1ull << 40 },  /* refcount table entry outside the file */
		{ 3 * 65536, 64, 12345 },   /* L1 entry unaligned */
		{ 60, 32, 100000 },         /* too many snapshots */
		{ 8, 64, 65530 },           /* backing name past the cluster */
	};
	char p[128];
	dt_path(p, "h.qcow2");
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 64 * MiB, 65536, NULL, 0), 0);
		if (bad[i].off == 8)
			dt_poke_be32(p, 16, 100);
		if (bad[i].width == 32)
			dt_poke_be32(p, bad[i].off, (uint32_t)bad[i].val);
		else
			dt_poke_be64(p, bad[i].off, bad[i].val);
		const char *why = NULL;
		int r = open_why(p, true, &why);
		if (r != -EINVAL)
			fprintf(stderr, "case %u: %d\n", i, r);
		ck_assert_int_eq(r, -EINVAL);
		ck_assert_ptr_nonnull(why);
	}
	/* truncated */
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 64 * MiB, 65536, NULL, 0), 0);
	ck_assert_int_eq(truncate(p, 50), 0);
	const char *why = NULL;
	ck_assert_int_eq(open_why(p, true, &why), -EINVAL);
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 64 * MiB, 65536, NULL, 0), 0);
	ck_assert_int_eq(truncate(p, 3 * 65536), 0); /* L1 table cut off */
	ck_assert_int_eq(open_why(p, true, &why), -EINVAL);
}
END_TEST

START_TEST(dirty_bit_honoured)
{
	char p[128];
	dt_path(p, "d.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 8 * MiB, 65536, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false);
	uint8_t buf[4096];
	dt_pattern(buf, sizeof(buf), 1);
	ck_assert_int_eq(disk_write(d, 0, buf, sizeof(buf)), 0);
	disk_close(d);
	dt_poke_be64(p, 72, 1); /* dirty */
	const char *why = NULL;
	ck_assert_int_eq(open_why(p, false, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "img check -r all"));
	ck_assert_int_eq(open_why(p, true, &why), 0);
	struct disk_opts o = { .format = DISK_FMT_QCOW2, .repair = true };
	ck_assert_int_eq(disk_open(&d, p, &o, &why), 0);
	struct qcow2_check_result res;
	ck_assert_int_eq(qcow2_check(d, QCOW2_FIX_LEAKS | QCOW2_FIX_ERRORS, &res), 0);
	disk_close(d);
	ck_assert_int_eq(open_why(p, false, &why), 0);
}
END_TEST

START_TEST(leak_found_and_repaired)
{
	char p[128];
	dt_path(p, "l.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 8 * MiB, 65536, NULL, 0), 0);
	/* refcount 1 for cluster 10, which nothing uses; refblock at 128K, 16-bit entries */
	dt_poke_be32(p, 2 * 65536 + 20 - 2, 1);
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false);
	struct qcow2_check_result res;
	ck_assert_int_eq(qcow2_check(d, 0, &res), 0);
	ck_assert_uint_eq(res.leaks, 1);
	ck_assert_uint_eq(res.corruptions, 0);
	ck_assert_int_eq(qcow2_check(d, QCOW2_FIX_LEAKS, &res), 0);
	ck_assert_uint_eq(res.leaks_fixed, 1);
	ck_assert_uint_eq(res.leaks, 0);
	assert_clean(d);
	/* now a refcount that is too low: L1 table cluster (3) set to 0 */
	dt_poke_be32(p, 2 * 65536 + 6, 0); /* entries 3 (L1) and 4 (unused) */
	disk_close(d);
	d = dt_open(p, DISK_FMT_QCOW2, false);
	ck_assert_int_eq(qcow2_check(d, 0, &res), 0);
	ck_assert_uint_eq(res.corruptions, 1);
	ck_assert_int_eq(qcow2_check(d, QCOW2_FIX_ERRORS, &res), 0);
	ck_assert_uint_eq(res.corruptions, 0);
	assert_clean(d);
	disk_close(d);
}
END_TEST

START_TEST(snapshots)
{
	char p[128];
	dt_path(p, "s.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 16 * MiB, 65536, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false);
	uint8_t *a = malloc(300000), *b = malloc(300000), *out = malloc(300000);
	dt_pattern(a, 300000, 1);
	dt_pattern(b, 300000, 2);
	ck_assert_int_eq(disk_write(d, 1000, a, 300000), 0);
	ck_assert_int_eq(qcow2_snapshot_create(d, "one"), 0);
	ck_assert_int_eq(qcow2_snapshot_create(d, "one"), -EEXIST);
	assert_clean(d);
	ck_assert_int_eq(disk_write(d, 70000, b, 1000), 0); /* partial write into a shared cluster */
	ck_assert_int_eq(disk_write(d, 5 * MiB, b, 300000), 0);
	ck_assert_int_eq(qcow2_snapshot_create(d, "two"), 0);
	ck_assert_int_eq(disk_flush(d), 0);
	assert_clean(d);
	disk_close(d);
	qemu_check(p);
	d = dt_open(p, DISK_FMT_QCOW2, false);
	ck_assert_int_eq(qcow2_snapshot_apply(d, "one"), 0);
	assert_clean(d);
	ck_assert_int_eq(disk_read(d, 1000, out, 300000), 0);
	ck_assert_int_eq(memcmp(out, a, 300000), 0);
	ck_assert_int_eq(disk_read(d, 5 * MiB, out, 300000), 0);
	for (int i = 0; i < 300000; i++)
		ck_assert_int_eq(out[i], 0);
	ck_assert_int_eq(qcow2_snapshot_apply(d, "2"), 0); /* by id */
	ck_assert_int_eq(disk_read(d, 70000, out, 1000), 0);
	ck_assert_int_eq(memcmp(out, b, 1000), 0);
	ck_assert_int_eq(qcow2_snapshot_apply(d, "nope"), -ENOENT);
	struct qcow2_snapshot_info *l;
	int n;
	ck_assert_int_eq(qcow2_snapshot_list(d, &l, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(l[0].name, "one");
	ck_assert_str_eq(l[1].id, "2");
	free(l);
	ck_assert_int_eq(qcow2_snapshot_delete(d, "one"), 0);
	assert_clean(d);
	ck_assert_int_eq(qcow2_snapshot_delete(d, "two"), 0);
	assert_clean(d);
	disk_close(d);
	d = dt_open(p, DISK_FMT_QCOW2, false);
	ck_assert_int_eq(qcow2_snapshot_list(d, &l, &n), 0);
	ck_assert_int_eq(n, 0);
	free(l);
	ck_assert_int_eq(disk_read(d, 70000, out, 1000), 0);
	ck_assert_int_eq(memcmp(out, b, 1000), 0);
	assert_clean(d);
	disk_close(d);
	qemu_check(p);
	free(a);
	free(b);
	free(out);
}
END_TEST

/* A compressed cluster written by hand (raw deflate, 4K window) reads back; writing over it
 * moves it to a normal cluster. */
START_TEST(compressed_read)
{
	char p[128];
	dt_path(p, "c.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 8 * MiB, 65536, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false);
	uint8_t one = 1;
	ck_assert_int_eq(disk_write(d, 65536, &one, 1), 0); /* creates the L2 table (cluster 4) */
	disk_close(d);
	uint8_t *data = malloc(65536), *z = malloc(70000);
	for (int i = 0; i < 65536; i++)
		data[i] = (uint8_t)(i / 300);
	z_stream s = { 0 };
	ck_assert_int_eq(deflateInit2(&s, 6, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY), Z_OK);
	s.next_in = data;
	s.avail_in = 65536;
	s.next_out = z;
	s.avail_out = 70000;
	ck_assert_int_eq(deflate(&s, Z_FINISH), Z_STREAM_END);
	uint64_t clen = s.total_out;
	deflateEnd(&s);
	/* place it in cluster 6 at byte 100, refcount it, point guest cluster 0 at it */
	uint64_t coff = 6 * 65536 + 100, nsect = (100 + clen + 511) / 512 - 1;
	int fd = open(p, O_RDWR);
	ck_assert_int_eq(pwrite(fd, z, clen, (off_t)coff), (ssize_t)clen);
	ck_assert_int_eq(ftruncate(fd, 7 * 65536), 0);
	close(fd);
	dt_poke_be32(p, 2 * 65536 + 10, 0x00010001); /* refcounts of clusters 5 (data) and 6 */
	unsigned x = 62 - (16 - 8);
	dt_poke_be64(p, 4 * 65536, (1ull << 62) | (nsect << x) | coff);
	d = dt_open(p, DISK_FMT_QCOW2, false);
	assert_clean(d);
	uint8_t *out = malloc(65536);
	ck_assert_int_eq(disk_read(d, 0, out, 65536), 0);
	ck_assert_int_eq(memcmp(out, data, 65536), 0);
	ck_assert_int_eq(disk_write(d, 10, &one, 1), 0);
	ck_assert_int_eq(disk_read(d, 0, out, 65536), 0);
	data[10] = 1;
	ck_assert_int_eq(memcmp(out, data, 65536), 0);
	ck_assert_int_eq(disk_flush(d), 0);
	assert_clean(d);
	disk_close(d);
	free(data);
	free(z);
	free(out);
}
END_TEST

START_TEST(resize_grow)
{
	char p[128];
	dt_path(p, "r.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, MiB, 512, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false);
	uint8_t b[1000];
	dt_pattern(b, sizeof(b), 4);
	ck_assert_int_eq(disk_write(d, MiB - 1000, b, 1000), 0);
	ck_assert_int_eq(disk_resize(d, 64 * MiB), 0); /* L1 must move */
	ck_assert_int_eq(disk_resize(d, MiB), -ENOTSUP);
	ck_assert_int_eq(disk_write(d, 64 * MiB - 1000, b, 1000), 0);
	ck_assert_int_eq(disk_flush(d), 0);
	assert_clean(d);
	disk_close(d);
	qemu_check(p);
	d = dt_open(p, DISK_FMT_QCOW2, true);
	ck_assert_uint_eq(d->size, 64 * MiB);
	uint8_t out[1000];
	ck_assert_int_eq(disk_read(d, MiB - 1000, out, 1000), 0);
	ck_assert_int_eq(memcmp(out, b, 1000), 0);
	ck_assert_int_eq(disk_read(d, 64 * MiB - 1000, out, 1000), 0);
	ck_assert_int_eq(memcmp(out, b, 1000), 0);
	disk_close(d);
}
END_TEST

/* cache=none: metadata and data I/O through O_DIRECT with unaligned guest requests. */
START_TEST(direct_io)
{
	char p[128];
	dt_path(p, "o.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, 8 * MiB, 4096, NULL, 0), 0);
	struct disk_opts o = { .format = DISK_FMT_QCOW2, .cache = DISK_CACHE_NONE };
	struct disk *d = NULL;
	const char *why;
	if (dt_no_direct())
		UNIT_SKIP("qcow2/direct_io", "%s has no O_DIRECT (tmpfs?)", dt_dir);
	int r = disk_open(&d, p, &o, &why);
	ck_assert_int_eq(r, 0);
	uint8_t *buf = malloc(20000), *out = malloc(20000);
	dt_pattern(buf, 20000, 8);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(disk_write(d, (uint64_t)i * 150001 % (8 * MiB - 20000), buf + i, 12345), 0);
	ck_assert_int_eq(disk_flush(d), 0);
	ck_assert_int_eq(disk_read(d, 49ull * 150001 % (8 * MiB - 20000), out + 3, 12345), 0);
	ck_assert_int_eq(memcmp(out + 3, buf + 49, 12345), 0);
	assert_clean(d);
	disk_close(d);
	qemu_check(p);
	free(buf);
	free(out);
}
END_TEST

START_TEST(locked_twice)
{
	char p[128];
	dt_path(p, "k.qcow2");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, MiB, 0, NULL, 0), 0);
	struct disk *d = dt_open(p, DISK_FMT_QCOW2, false), *e = NULL;
	struct disk_opts o = { .format = DISK_FMT_QCOW2, .read_only = true };
	const char *why = NULL;
	ck_assert_int_eq(disk_open(&e, p, &o, &why), -EBUSY);
	ck_assert_str_eq(why, "image is locked by another process");
	ck_assert_int_eq(dt_create(p, DISK_FMT_QCOW2, MiB, 0, NULL, 0), -EBUSY);
	disk_close(d);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("qcow2");
	TCase *t = tcase_create("qcow2");
	tcase_add_checked_fixture(t, dt_setup, dt_teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, rw_patterns_64k);
	tcase_add_test(t, rw_patterns_512_grows_refcount_table);
	tcase_add_test(t, rw_iovec_and_bounds);
	tcase_add_test(t, zero_and_discard);
	tcase_add_test(t, backing_cow);
	tcase_add_test(t, backing_refusals);
	tcase_add_test(t, bad_headers_refused);
	tcase_add_test(t, dirty_bit_honoured);
	tcase_add_test(t, leak_found_and_repaired);
	tcase_add_test(t, snapshots);
	tcase_add_test(t, compressed_read);
	tcase_add_test(t, resize_grow);
	tcase_add_test(t, direct_io);
	tcase_add_test(t, locked_twice);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
