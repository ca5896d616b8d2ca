// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "disk_test.h"

#define MiB (1024 * 1024ull)

START_TEST(probe_formats)
{
	char r[128], q[128], e[128];
	ck_assert_int_eq(dt_create(dt_path(r, "r.img"), DISK_FMT_RAW, MiB, 0, NULL, 0), 0);
	ck_assert_int_eq(dt_create(dt_path(q, "q.img"), DISK_FMT_QCOW2, MiB, 0, NULL, 0), 0);
	ck_assert_int_eq(dt_create(dt_path(e, "e.img"), DISK_FMT_RAW, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(disk_probe(r), DISK_FMT_RAW);
	ck_assert_int_eq(disk_probe(q), DISK_FMT_QCOW2);
	ck_assert_int_eq(disk_probe(e), DISK_FMT_RAW);
	ck_assert_int_eq(disk_probe(dt_path(e, "none")), -ENOENT);
	struct disk *d = dt_open(q, DISK_FMT_AUTO, true);
	ck_assert_str_eq(d->format, "qcow2");
	ck_assert(d->probed);
	disk_close(d);
	/* told raw: a qcow2 file is just bytes */
	d = dt_open(q, DISK_FMT_RAW, true);
	ck_assert_str_eq(d->format, "raw");
	ck_assert(!d->probed);
	disk_close(d);
	enum disk_format f;
	ck_assert_int_eq(disk_format_parse("qcow2", &f), 0);
	ck_assert_int_eq(f, DISK_FMT_QCOW2);
	ck_assert_int_eq(disk_format_parse("vmdk", &f), -EINVAL);
	ck_assert_str_eq(disk_format_name(DISK_FMT_RAW), "raw");
}
END_TEST

/* The attack: a guest writes a qcow2 header naming a host file into its raw disk. */
START_TEST(guest_written_header_not_followed)
{
	char g[128], h[128];
	ck_assert_int_eq(dt_create(dt_path(h, "hdr.qcow2"), DISK_FMT_QCOW2, MiB, 0, "/etc/passwd",
	                           DISK_FMT_RAW), 0);
	ck_assert_int_eq(dt_create(dt_path(g, "guest.raw"), DISK_FMT_RAW, 4 * MiB, 0, NULL, 0), 0);
	/* the "guest" copies the header cluster and tables into sector 0 onwards of its disk */
	struct disk *src = dt_open(h, DISK_FMT_RAW, true), *dst = dt_open(g, DISK_FMT_RAW, false);
	uint8_t *buf = malloc(src->size);
	ck_assert_int_eq(disk_read(src, 0, buf, src->size), 0);
	ck_assert_int_eq(disk_write(dst, 0, buf, src->size), 0);
	free(buf);
	disk_close(src);
	disk_close(dst);
	struct disk *d = NULL;
	struct disk_opts o = { .format = DISK_FMT_AUTO };
	const char *why = NULL;
	ck_assert_int_eq(disk_open(&d, g, &o, &why), -EPERM);
	ck_assert_ptr_nonnull(strstr(why, "backing"));
	/* the host said raw: the guest sees its own bytes, nothing else is opened */
	o.format = DISK_FMT_RAW;
	ck_assert_int_eq(disk_open(&d, g, &o, &why), 0);
	ck_assert_uint_eq(d->size, 4 * MiB);
	disk_close(d);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *t = tcase_create("probe");
	tcase_add_checked_fixture(t, dt_setup, dt_teardown);
	tcase_add_test(t, probe_formats);
	tcase_add_test(t, guest_written_header_not_followed);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
