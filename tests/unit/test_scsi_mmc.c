// SPDX-License-Identifier: GPL-2.0-or-later
/* SCSI target, MMC side: a CD-ROM LUN with 2048-byte blocks — READ(10/12) of the image's bytes,
 * READ CAPACITY, READ TOC formats 0 and 1 (LBA and MSF), READ DISC INFORMATION, GET CONFIGURATION
 * profiles, GET EVENT STATUS NOTIFICATION media events, mode page 0x2A, eject/load and the lock,
 * an empty drive (NOT READY / MEDIUM NOT PRESENT), host-side medium change with its unit attention. */
#include "tests/unit/scsi_test.h"
#include "tests/unit/unit.h"

#define CD 1u
#define CD_NBLK (ST_CD_SIZE / 2048u)

static int cd(const uint8_t *c, unsigned len, void *din, size_t dlen)
{
	return st_cmd_lun(CD, c, len, din, dlen, NULL, 0);
}

static void tur_is(uint8_t key, uint8_t asc, uint8_t ascq)
{
	uint8_t tur[6] = { 0 };
	int s = cd(tur, 6, NULL, 0);
	if (!key) {
		ck_assert_int_eq(s, 0);
		return;
	}
	ck_fails(s, key, asc, ascq);
}

START_TEST(read_blocks)
{
	uint8_t pat[3 * 2048];
	dt_pattern(pat, sizeof(pat), 77);
	dt_poke(st.cd_path, 5 * 2048, pat, sizeof(pat));
	uint8_t c10[10] = { 0x28, 0, 0, 0, 0, 5, 0, 0, 3, 0 }, b[3 * 2048];
	ck_assert_int_eq(cd(c10, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, sizeof(b));
	ck_assert(!memcmp(b, pat, sizeof(b)));
	uint8_t c12[12] = { 0xa8, 0, 0, 0, 0, 6, 0, 0, 0, 1 };
	memset(b, 0, sizeof(b));
	ck_assert_int_eq(cd(c12, 12, b, 2048), 0);
	ck_assert(!memcmp(b, pat + 2048, 2048));
	ck_assert_int_eq(cd(c12, 12, b, 2047), -1); /* a 512-byte block's buffer is not enough */
	/* past the end, a write */
	c10[4] = (uint8_t)(CD_NBLK >> 8);
	c10[5] = (uint8_t)CD_NBLK;
	c10[8] = 1;
	ck_fails(cd(c10, 10, b, 2048), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	uint8_t w[10] = { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	ck_fails(st_cmd_lun(CD, w, 10, NULL, 0, b, 2048), SCSI_SK_DATA_PROTECT, 0x27, 0x00);
	/* disk-only commands are not CD-ROM commands */
	uint8_t ws[10] = { 0x41, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, um[10] = { 0x42 };
	ck_fails(st_cmd_lun(CD, ws, 10, NULL, 0, b, 2048), SCSI_SK_ILLEGAL_REQUEST, 0x20, 0x00);
	ck_fails(st_cmd_lun(CD, um, 10, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x20, 0x00);
	/* READ CAPACITY */
	uint8_t rc[10] = { 0x25 };
	ck_assert_int_eq(cd(rc, 10, b, 8), 0);
	ck_assert_uint_eq(st_be32(b), CD_NBLK - 1);
	ck_assert_uint_eq(st_be32(b + 4), 2048);
}
END_TEST

START_TEST(read_toc)
{
	uint8_t c[10] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0 }, b[100];
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 20);
	ck_assert_uint_eq(st_be16(b), 18);
	ck_assert_int_eq(b[2], 1);
	ck_assert_int_eq(b[3], 1);
	ck_assert_int_eq(b[5], 0x14); /* ADR 1, data track */
	ck_assert_int_eq(b[6], 1);
	ck_assert_uint_eq(st_be32(b + 8), 0);
	ck_assert_int_eq(b[14], 0xaa); /* lead-out at the capacity */
	ck_assert_uint_eq(st_be32(b + 16), CD_NBLK);
	/* MSF: track 1 at 00:02:00, lead-out at LBA 2048 + 150 = 00:29:23 */
	c[1] = 0x02;
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert(b[8] == 0 && b[9] == 0 && b[10] == 2 && b[11] == 0);
	ck_assert(b[17] == 0 && b[18] == 29 && b[19] == 23);
	/* starting at the lead-out: only it */
	c[1] = 0;
	c[6] = 0xaa;
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(st_be16(b), 10);
	ck_assert_int_eq(b[6], 0xaa);
	c[6] = 2; /* no track 2 */
	ck_fails(cd(c, 10, b, sizeof(b)), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	/* format 1: session information */
	c[6] = 0;
	c[2] = 1;
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(st_be16(b), 10);
	ck_assert_int_eq(b[2], 1);
	ck_assert_int_eq(b[3], 1);
	ck_assert_int_eq(b[6], 1);
	ck_assert_uint_eq(st_be32(b + 8), 0);
	/* format 1 the old way (control byte), format 2 (full TOC) unsupported, a short allocation */
	c[2] = 0;
	c[9] = 0x40;
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(st_be16(b), 10);
	c[9] = 0;
	c[2] = 2;
	ck_fails(cd(c, 10, b, sizeof(b)), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	c[2] = 0;
	c[8] = 4;
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 4);
}
END_TEST

START_TEST(disc_information)
{
	uint8_t c[10] = { 0x51, 0, 0, 0, 0, 0, 0, 0, 64, 0 }, b[64];
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 34);
	ck_assert_uint_eq(st_be16(b), 32);
	ck_assert_int_eq(b[2] & 0x03, 2);        /* finalized */
	ck_assert_int_eq((b[2] >> 2) & 0x03, 3); /* last session complete */
	ck_assert_int_eq(b[3], 1);
	ck_assert_int_eq(b[4], 1);
	c[1] = 1; /* track resources: not offered */
	ck_fails(cd(c, 10, b, sizeof(b)), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
}
END_TEST

/* the feature codes in a GET CONFIGURATION answer of n bytes */
static unsigned features(const uint8_t *b, unsigned n, uint16_t *codes)
{
	unsigned k = 0;
	for (unsigned p = 8; p + 4 <= n; p += 4u + b[p + 3])
		codes[k++] = st_be16(b + p);
	return k;
}

START_TEST(get_configuration)
{
	uint8_t c[10] = { 0x46, 0, 0, 0, 0, 0, 0, 1, 0, 0 }, b[256];
	uint16_t codes[16];
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	unsigned n = (unsigned)st.r.data_in_xfer;
	ck_assert_uint_eq(st_be32(b), n - 4);
	ck_assert_uint_eq(st_be16(b + 6), 0x0008); /* a 4 MiB image is a CD-ROM */
	ck_assert_uint_eq(features(b, n, codes), 5);
	ck_assert(codes[0] == 0 && codes[1] == 1 && codes[2] == 3 && codes[3] == 0x1e && codes[4] == 0x1f);
	/* profile list: DVD-ROM then CD-ROM, CD current */
	ck_assert_int_eq(b[11], 8);
	ck_assert_uint_eq(st_be16(b + 12), 0x0010);
	ck_assert_int_eq(b[14] & 1, 0);
	ck_assert_uint_eq(st_be16(b + 16), 0x0008);
	ck_assert_int_eq(b[18] & 1, 1);
	/* RT 1: current features only (no DVD read); RT 2: exactly one */
	c[1] = 1;
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(features(b, (unsigned)st.r.data_in_xfer, codes), 4);
	c[1] = 2;
	c[3] = 0x1f;
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(features(b, (unsigned)st.r.data_in_xfer, codes), 1);
	ck_assert_uint_eq(codes[0], 0x1f);
	c[1] = 3;
	ck_fails(cd(c, 10, b, sizeof(b)), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	/* a DVD-sized image becomes a DVD-ROM */
	struct disk *old;
	ck_assert_int_eq(scsi_lun_eject(st.t, CD, false, &old), 0);
	disk_close(old);
	char p[96];
	ck_assert_int_eq(dt_create(dt_path(p, "dvd.iso"), DISK_FMT_RAW, 1ull << 30, 0, NULL, DISK_FMT_AUTO), 0);
	ck_assert_int_eq(scsi_lun_insert(st.t, CD, dt_open(p, DISK_FMT_RAW, true)), 0);
	c[1] = 0;
	c[3] = 0;
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0); /* no unit attention for GET CONFIGURATION */
	ck_assert_uint_eq(st_be16(b + 6), 0x0010);
}
END_TEST

static void gesn(uint8_t *b, uint8_t want_event, uint8_t want_status)
{
	uint8_t c[10] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0 };
	memset(b, 0, 8);
	ck_assert_int_eq(cd(c, 10, b, 8), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 8);
	ck_assert_uint_eq(st_be16(b), 6);
	ck_assert_int_eq(b[2], 0x04); /* media class, event available */
	ck_assert_int_eq(b[3], 0x10);
	ck_assert_int_eq(b[4] & 0x0f, want_event);
	ck_assert_int_eq(b[5], want_status);
}

START_TEST(eject_load_lock)
{
	uint8_t b[64];
	gesn(b, 0, 0x02); /* medium present, no event */
	uint8_t eject[6] = { 0x1b, 0, 0, 0, 0x02, 0 }, load[6] = { 0x1b, 0, 0, 0, 0x03, 0 };
	uint8_t prevent[6] = { 0x1e, 0, 0, 0, 1, 0 }, allow[6] = { 0x1e };
	/* locked: neither the guest nor the host (without force) may take the medium */
	ck_assert_int_eq(cd(prevent, 6, NULL, 0), 0);
	ck_fails(cd(eject, 6, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x53, 0x02);
	struct disk *old = (struct disk *)1;
	ck_assert_int_eq(scsi_lun_eject(st.t, CD, false, &old), -EPERM);
	ck_assert_ptr_null(old);
	bool present, open, locked;
	ck_assert_int_eq(scsi_lun_medium(st.t, CD, &present, &open, &locked), 0);
	ck_assert(present && !open && locked);
	/* mode page 0x2A shows the lock state */
	uint8_t ms[10] = { 0x5a, 0x08, 0x2a, 0, 0, 0, 0, 0, 64, 0 };
	ck_assert_int_eq(cd(ms, 10, b, sizeof(b)), 0);
	ck_assert_int_eq(b[8 + 6] & 0x02, 0x02);
	ck_assert_int_eq(cd(allow, 6, NULL, 0), 0);
	/* guest eject: tray open, removal event, NOT READY with tray open */
	ck_assert_int_eq(cd(eject, 6, NULL, 0), 0);
	gesn(b, 3, 0x01);
	gesn(b, 0, 0x01); /* reported once */
	tur_is(SCSI_SK_NOT_READY, 0x3a, 0x02);
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, d[2048];
	ck_fails(cd(rd, 10, d, sizeof(d)), SCSI_SK_NOT_READY, 0x3a, 0x02);
	/* load: new-media event, a unit attention, then ready */
	ck_assert_int_eq(cd(load, 6, NULL, 0), 0);
	gesn(b, 2, 0x02);
	tur_is(SCSI_SK_UNIT_ATTENTION, 0x28, 0x00);
	tur_is(0, 0, 0);
	/* a class request without media: no event available */
	uint8_t c[10] = { 0x4a, 1, 0, 0, 0x02, 0, 0, 0, 8, 0 };
	ck_assert_int_eq(cd(c, 10, b, 8), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 4);
	ck_assert_int_eq(b[2] & 0x80, 0x80);
	c[1] = 0; /* asynchronous: refused */
	ck_fails(cd(c, 10, b, 8), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
}
END_TEST

START_TEST(host_medium_change)
{
	struct disk *old;
	ck_assert_int_eq(scsi_lun_eject(st.t, CD, false, &old), 0);
	ck_assert_ptr_nonnull(old);
	disk_close(old);
	tur_is(SCSI_SK_NOT_READY, 0x3a, 0x02);
	uint8_t rc[10] = { 0x25 }, b[2048];
	ck_fails(cd(rc, 10, b, 8), SCSI_SK_NOT_READY, 0x3a, 0x02);
	uint8_t toc[10] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0 };
	ck_fails(cd(toc, 10, b, 100), SCSI_SK_NOT_READY, 0x3a, 0x02);
	/* a new image with known bytes */
	char p[96];
	ck_assert_int_eq(dt_create(dt_path(p, "new.iso"), DISK_FMT_RAW, 1 << 20, 0, NULL, DISK_FMT_AUTO), 0);
	uint8_t pat[2048];
	dt_pattern(pat, sizeof(pat), 5);
	dt_poke(p, 2048, pat, sizeof(pat));
	struct disk *d = dt_open(p, DISK_FMT_RAW, true);
	ck_assert_int_eq(scsi_lun_insert(st.t, CD, d), 0);
	ck_assert_int_eq(scsi_lun_insert(st.t, CD, d), -EEXIST);
	ck_assert_int_eq(scsi_lun_insert(st.t, 0, d), -ENOTTY);
	tur_is(SCSI_SK_UNIT_ATTENTION, 0x28, 0x00);
	ck_assert_int_eq(cd(rc, 10, b, 8), 0);
	ck_assert_uint_eq(st_be32(b), 511);
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 1, 0, 0, 1, 0 };
	ck_assert_int_eq(cd(rd, 10, b, sizeof(b)), 0);
	ck_assert(!memcmp(b, pat, sizeof(pat)));
}
END_TEST

/* QMP's tray commands: a tray the guest locked asks the guest (EJECT REQUEST) unless forced;
 * the medium stays in an open tray, and closing the tray over it is a medium change */
START_TEST(host_tray)
{
	uint8_t b[64], prevent[6] = { 0x1e, 0, 0, 0, 1, 0 };
	ck_assert_int_eq(cd(prevent, 6, NULL, 0), 0);
	ck_assert_int_eq(scsi_lun_tray(st.t, CD, true, false), -EPERM);
	gesn(b, 1, 0x02); /* eject request, medium present */
	struct disk *old = (struct disk *)1;
	ck_assert_int_eq(scsi_lun_eject(st.t, CD, false, &old), -EPERM);
	gesn(b, 1, 0x02); /* asked again by a refused eject */
	ck_assert_int_eq(scsi_lun_tray(st.t, CD, true, true), 0);
	gesn(b, 3, 0x01);
	bool present, open, locked;
	ck_assert_int_eq(scsi_lun_medium(st.t, CD, &present, &open, &locked), 0);
	ck_assert(!present && open && !locked);
	tur_is(SCSI_SK_NOT_READY, 0x3a, 0x02);
	ck_assert_int_eq(scsi_lun_tray(st.t, CD, true, false), 0); /* already open */
	ck_assert_int_eq(scsi_lun_tray(st.t, CD, false, false), 0);
	gesn(b, 2, 0x02);
	tur_is(SCSI_SK_UNIT_ATTENTION, 0x28, 0x00);
	tur_is(0, 0, 0);
	ck_assert_int_eq(scsi_lun_tray(st.t, 0, true, true), -ENOTTY);
	ck_assert_int_eq(scsi_lun_tray(st.t, 9, true, true), -ENODEV);
	ck_assert_int_eq(scsi_lun_type_of(st.t, CD), SCSI_LUN_CDROM);
	ck_assert_int_eq(scsi_lun_type_of(st.t, 0), SCSI_LUN_DISK);
	ck_assert_int_eq(scsi_lun_type_of(st.t, 9), -ENODEV);
}
END_TEST

/* a request in flight holds the medium: the host cannot eject under it */
START_TEST(eject_busy_while_in_flight)
{
	if (!strcmp(disk_aio_backend(st.q), "sync"))
		UNIT_SKIP("eject_busy_while_in_flight", "no io_uring: requests complete inside submit");
	uint8_t b[4 * 2048];
	struct iovec iov = { b, sizeof(b) };
	struct scsi_req *r = &st.r;
	memset(r, 0, sizeof(*r));
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 4, 0 };
	memcpy(r->cdb, rd, 10);
	r->cdb_len = 10;
	r->lun = CD;
	r->din = &iov;
	r->ndin = 1;
	st_start(r);
	ck_assert_int_eq(st.done, 0); /* nothing waited for the disk */
	struct disk *old;
	ck_assert_int_eq(scsi_lun_eject(st.t, CD, true, &old), -EBUSY);
	st_wait();
	ck_assert_int_eq(r->status, 0);
	ck_assert_int_eq(scsi_lun_eject(st.t, CD, false, &old), 0);
	disk_close(old);
}
END_TEST

START_TEST(empty_drive)
{
	struct scsi_lun_opts o = { .type = SCSI_LUN_CDROM };
	ck_assert_int_eq(scsi_target_add_lun(st.t, 2, NULL, &o), 0);
	uint8_t tur[6] = { 0 }, b[256];
	ck_fails(st_cmd_lun(2, tur, 6, NULL, 0, NULL, 0), SCSI_SK_UNIT_ATTENTION, 0x29, 0x00);
	ck_fails(st_cmd_lun(2, tur, 6, NULL, 0, NULL, 0), SCSI_SK_NOT_READY, 0x3a, 0x01);
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	ck_assert_int_eq(st_cmd_lun(2, rs, 6, b, sizeof(b), NULL, 0), 0);
	ck_assert_int_eq(b[2], SCSI_SK_NOT_READY);
	ck_assert_int_eq(b[12], 0x3a);
	uint8_t rd[12] = { 0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	ck_fails(st_cmd_lun(2, rd, 12, b, 2048, NULL, 0), SCSI_SK_NOT_READY, 0x3a, 0x01);
	uint8_t di[10] = { 0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0 };
	ck_fails(st_cmd_lun(2, di, 10, b, sizeof(b), NULL, 0), SCSI_SK_NOT_READY, 0x3a, 0x01);
	/* what works without a medium: GET CONFIGURATION (no current profile), GESN, INQUIRY */
	uint8_t gc[10] = { 0x46, 0, 0, 0, 0, 0, 0, 0, 255, 0 };
	ck_assert_int_eq(st_cmd_lun(2, gc, 10, b, sizeof(b), NULL, 0), 0);
	ck_assert_uint_eq(st_be16(b + 6), 0);
	uint8_t ge[10] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0 };
	ck_assert_int_eq(st_cmd_lun(2, ge, 10, b, sizeof(b), NULL, 0), 0);
	ck_assert_int_eq(b[5], 0);
	/* a disk needs its image */
	struct scsi_lun_opts dk = { .type = SCSI_LUN_DISK };
	ck_assert_int_eq(scsi_target_add_lun(st.t, 3, NULL, &dk), -EINVAL);
}
END_TEST

START_TEST(mode_page_2a)
{
	uint8_t c[10] = { 0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 255, 0 }, b[255];
	ck_assert_int_eq(cd(c, 10, b, sizeof(b)), 0);
	ck_assert_uint_eq(st_be16(b + 6), 0); /* no block descriptor on MMC */
	ck_assert_int_eq(b[8], 0x2a);
	ck_assert_int_ge(b[9], 0x14);
	ck_assert_int_eq(b[10] & 0x08, 0x08); /* reads DVD-ROM */
	ck_assert_int_eq(b[11], 0);           /* writes nothing */
	ck_assert_int_eq(b[14] & 0x08, 0x08); /* can eject */
	ck_assert_int_eq(b[14] >> 5, 1);      /* tray */
	ck_assert_uint_eq(st_be16(b), 8 + 2 + b[9] - 2);
	c[2] = 0x08;
	ck_fails(cd(c, 10, b, sizeof(b)), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	/* the disk has no page 0x2A */
	c[2] = 0x2a;
	ck_fails(st_cmd(c, 10, b, sizeof(b), NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("scsi_mmc");
	TCase *t = tcase_create("mmc");
	tcase_add_checked_fixture(t, st_setup, st_teardown);
	tcase_add_test(t, read_blocks);
	tcase_add_test(t, read_toc);
	tcase_add_test(t, disc_information);
	tcase_add_test(t, get_configuration);
	tcase_add_test(t, eject_load_lock);
	tcase_add_test(t, host_medium_change);
	tcase_add_test(t, host_tray);
	tcase_add_test(t, eject_busy_while_in_flight);
	tcase_add_test(t, empty_drive);
	tcase_add_test(t, mode_page_2a);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
