// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "disk_test.h"
#include "devices/disk/aio.h"

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

/* The attack: a guest writes a qcow2 header naming a host file into its raw disk, hoping that a
 * later format=auto open follows it. A probed raw disk refuses every write that would do it. */
START_TEST(guest_cannot_plant_header)
{
	char g[128], h[128];
	ck_assert_int_eq(dt_create(dt_path(h, "hdr.qcow2"), DISK_FMT_QCOW2, MiB, 0, "/etc/passwd",
	                           DISK_FMT_RAW), 0);
	ck_assert_int_eq(dt_create(dt_path(g, "guest.raw"), DISK_FMT_RAW, 4 * MiB, 0, NULL, 0), 0);
	struct disk *src = dt_open(h, DISK_FMT_RAW, true), *dst = dt_open(g, DISK_FMT_AUTO, false);
	ck_assert(dst->probed);
	uint8_t *buf = malloc(src->size), sec[512], back[512];
	ck_assert_int_eq(disk_read(src, 0, buf, src->size), 0);
	/* the whole header, the first sector, or the magic completed byte by byte: all refused */
	ck_assert_int_eq(disk_write(dst, 0, buf, src->size), -EPERM);
	ck_assert_int_eq(disk_write(dst, 0, buf, 512), -EPERM);
	ck_assert_int_eq(disk_write(dst, 0, buf, 3), 0); /* "QFI" alone probes raw */
	ck_assert_int_eq(disk_write(dst, 3, buf + 3, 1), -EPERM);
	struct iovec v[2] = { { buf, 2 }, { buf + 2, 510 } };
	ck_assert_int_eq(disk_writev(dst, 0, v, 2), -EPERM);
	/* the rest of the disk, and sector 0 with anything else, are the guest's */
	ck_assert_int_eq(disk_write(dst, 512, buf, src->size), 0);
	dt_pattern(sec, sizeof(sec), 3);
	ck_assert_int_eq(disk_write(dst, 0, sec, sizeof(sec)), 0);
	ck_assert_int_eq(disk_read(dst, 0, back, sizeof(back)), 0);
	ck_assert_int_eq(memcmp(back, sec, sizeof(sec)), 0);
	disk_close(dst);
	ck_assert_int_eq(disk_probe(g), DISK_FMT_RAW);
	/* the host said raw: its bytes are the guest's, the header goes in, and format=raw keeps
	 * reading them as bytes */
	dst = dt_open(g, DISK_FMT_RAW, false);
	ck_assert_int_eq(disk_write(dst, 0, buf, src->size), 0);
	disk_close(dst);
	disk_close(src);
	free(buf);
	struct disk *d = dt_open(g, DISK_FMT_RAW, true);
	ck_assert_uint_eq(d->size, 4 * MiB);
	disk_close(d);
}
END_TEST

/* The same refusal through disk_aio, on the io_uring backend and the synchronous one. */
static void aio_done(struct disk_req *r, int ret)
{
	*(int *)r->opaque = ret;
}

START_TEST(guest_cannot_plant_header_async)
{
	char g[128];
	ck_assert_int_eq(dt_create(dt_path(g, "guest.raw"), DISK_FMT_RAW, MiB, 0, NULL, 0), 0);
	struct disk *d = dt_open(g, DISK_FMT_AUTO, false);
	uint8_t sec[512] = { 'Q', 'F', 'I', 0xfb };
	for (int sync = 0; sync < 2; sync++) {
		if (sync)
			setenv("KVMINI_AIO", "sync", 1);
		struct disk_aio *q;
		ck_assert_int_eq(disk_aio_create(&q, 4), 0);
		unsetenv("KVMINI_AIO");
		int ret[2] = { 1, 1 };
		struct iovec v = { sec, sizeof(sec) };
		struct disk_req r[2] = {
			{ .op = DISK_OP_WRITE, .off = 0, .iov = &v, .niov = 1, .len = 512, .done = aio_done,
			  .opaque = &ret[0] },
			{ .op = DISK_OP_WRITE, .off = 512, .iov = &v, .niov = 1, .len = 512, .done = aio_done,
			  .opaque = &ret[1] },
		};
		disk_aio_submit(q, d, &r[0]);
		disk_aio_submit(q, d, &r[1]);
		ck_assert_int_eq(ret[0], -EPERM); /* refused up front */
		disk_aio_kick(q);
		disk_aio_drain(q);
		ck_assert_int_eq(ret[1], 0);
		disk_aio_destroy(q);
	}
	disk_close(d);
	ck_assert_int_eq(disk_probe(g), DISK_FMT_RAW);
}
END_TEST

/* VMs made from a template: an overlay probed as qcow2 opens with its backing chain. */
START_TEST(template_overlay_opens)
{
	char b[128], o1[128];
	ck_assert_int_eq(dt_create(dt_path(b, "base.qcow2"), DISK_FMT_QCOW2, MiB, 0, NULL, 0), 0);
	uint8_t pat[4096], back[4096];
	dt_pattern(pat, sizeof(pat), 11);
	struct disk *d = dt_open(b, DISK_FMT_QCOW2, false);
	ck_assert_int_eq(disk_write(d, 8192, pat, sizeof(pat)), 0);
	disk_close(d);
	ck_assert_int_eq(dt_create(dt_path(o1, "vm1.qcow2"), DISK_FMT_QCOW2, MiB, 0, "base.qcow2",
	                           DISK_FMT_QCOW2), 0);
	struct disk_opts o = { .format = DISK_FMT_AUTO };
	const char *why = NULL;
	ck_assert_int_eq(disk_open(&d, o1, &o, &why), 0);
	ck_assert(d->probed);
	ck_assert_str_eq(d->format, "qcow2");
	ck_assert_int_eq(disk_read(d, 8192, back, sizeof(back)), 0);
	ck_assert_int_eq(memcmp(back, pat, sizeof(pat)), 0);
	disk_close(d);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *t = tcase_create("probe");
	tcase_add_checked_fixture(t, dt_setup, dt_teardown);
	tcase_add_test(t, probe_formats);
	tcase_add_test(t, guest_cannot_plant_header);
	tcase_add_test(t, guest_cannot_plant_header_async);
	tcase_add_test(t, template_overlay_opens);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
