// SPDX-License-Identifier: GPL-2.0-or-later
/* SCSI target, SPC side: INQUIRY (standard data, VPD 0x00/0x80/0x83/0xB0/0xB1/0xB2), REPORT LUNS,
 * TEST UNIT READY, REQUEST SENSE (autosense and kept sense), unit attention after a reset, absent
 * LUNs, MODE SENSE/SELECT, allocation lengths, CDB length and opcode errors. */
#include "tests/unit/scsi_test.h"
#include "tests/unit/unit.h"

START_TEST(inquiry_standard)
{
	uint8_t c[6] = { 0x12, 0, 0, 0, 96, 0 }, b[96];
	memset(b, 0xee, sizeof(b));
	ck_assert_int_eq(st_cmd(c, 6, b, sizeof(b), NULL, 0), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 36);
	ck_assert_uint_eq(st.r.residual, 96 - 36);
	ck_assert_int_eq(b[0], 0x00);          /* direct access, connected */
	ck_assert_int_eq(b[1], 0x00);          /* not removable */
	ck_assert_int_ge(b[2], 0x05);          /* SPC-3 or later */
	ck_assert_int_eq(b[3] & 0x0f, 2);      /* response data format */
	ck_assert_int_eq(b[4], 31);            /* additional length */
	ck_assert_int_eq(b[7] & 0x02, 0x02);   /* CmdQue */
	ck_assert(!memcmp(b + 8, "KVMINI  ", 8));
	ck_assert_int_eq(b[36], 0xee);         /* nothing past the data */
	/* CD-ROM: peripheral type 5, removable */
	ck_assert_int_eq(st_cmd_lun(1, c, 6, b, sizeof(b), NULL, 0), 0);
	ck_assert_int_eq(b[0], 0x05);
	ck_assert_int_eq(b[1], 0x80);
	/* short allocation length: that many bytes; 0: none */
	c[4] = 5;
	memset(b, 0xee, sizeof(b));
	ck_assert_int_eq(st_cmd(c, 6, b, sizeof(b), NULL, 0), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 5);
	ck_assert_int_eq(b[4], 31);
	ck_assert_int_eq(b[5], 0xee);
	c[4] = 0;
	ck_assert_int_eq(st_cmd(c, 6, b, sizeof(b), NULL, 0), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 0);
	/* allocation length beyond the buffer: the buffer's size */
	c[3] = 1;
	ck_assert_int_eq(st_cmd(c, 6, b, 10, NULL, 0), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 10);
	/* a page code without EVPD, CMDDT */
	uint8_t bad[6] = { 0x12, 0, 0x80, 0, 96, 0 };
	ck_fails(st_cmd(bad, 6, b, sizeof(b), NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	bad[1] = 0x02;
	bad[2] = 0;
	ck_fails(st_cmd(bad, 6, b, sizeof(b), NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
}
END_TEST

static unsigned vpd(unsigned lun, uint8_t page, uint8_t *b)
{
	uint8_t c[6] = { 0x12, 1, page, 1, 0, 0 }; /* allocation length 256 */
	memset(b, 0, 256);
	ck_assert_int_eq(st_cmd_lun(lun, c, 6, b, 256, NULL, 0), 0);
	ck_assert_int_eq(b[1], page);
	ck_assert_uint_eq(st.r.data_in_xfer, 4u + st_be16(b + 2));
	return 4u + st_be16(b + 2);
}

START_TEST(inquiry_vpd)
{
	uint8_t b[256];
	ck_assert_uint_eq(vpd(0, 0x00, b), 10);
	static const uint8_t pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };
	ck_assert(!memcmp(b + 4, pages, 6));
	ck_assert_uint_eq(vpd(0, 0x80, b), 8);
	ck_assert(!memcmp(b + 4, "SER0", 4));
	/* 0x83: an NAA designator (binary, LU, type 3) then T10 vendor id (ASCII, type 1) */
	unsigned n = vpd(0, 0x83, b);
	ck_assert_int_eq(b[4], 0x01);
	ck_assert_int_eq(b[5], 0x03);
	ck_assert_int_eq(b[7], 8);
	ck_assert_int_ne(b[8] >> 4, 0); /* an NAA type */
	ck_assert_int_eq(b[16], 0x02);
	ck_assert_int_eq(b[17], 0x01);
	ck_assert_int_eq(b[19], 12);
	ck_assert(!memcmp(b + 20, "KVMINI  SER0", 12));
	ck_assert_uint_eq(n, 32);
	/* 0xB0 block limits: WSNZ, transfer, unmap and write-same limits */
	ck_assert_uint_eq(vpd(0, 0xb0, b), 64);
	ck_assert_int_eq(b[4] & 1, 1);
	ck_assert_uint_gt(st_be32(b + 8), 0);
	ck_assert_uint_gt(st_be32(b + 20), 0); /* max unmap LBA count */
	ck_assert_uint_gt(st_be32(b + 24), 0); /* max unmap descriptors */
	ck_assert_uint_gt(st_be64(b + 36), 0); /* max write same */
	ck_assert_uint_eq(vpd(0, 0xb1, b), 64);
	ck_assert_uint_eq(st_be16(b + 4), 1); /* non-rotating */
	ck_assert_uint_eq(vpd(0, 0xb2, b), 8);
	ck_assert_int_eq(b[5] & 0xe0, 0xe0); /* LBPU LBPWS LBPWS10 */
	ck_assert_int_eq(b[6] & 7, 2);
	/* CD-ROM: no block pages */
	ck_assert_uint_eq(vpd(1, 0x00, b), 7);
	uint8_t c[6] = { 0x12, 1, 0xb0, 1, 0, 0 };
	ck_fails(st_cmd_lun(1, c, 6, b, 256, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	c[2] = 0x42;
	ck_fails(st_cmd(c, 6, b, 256, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
}
END_TEST

START_TEST(vpd_without_discard)
{
	st_teardown();
	st_setup_with(DISK_FMT_RAW, false, false, true);
	uint8_t b[256];
	vpd(0, 0xb0, b);
	ck_assert_uint_eq(st_be32(b + 20), 0);
	ck_assert_uint_eq(st_be32(b + 24), 0);
	vpd(0, 0xb2, b);
	ck_assert_int_eq(b[5], 0);
	/* and UNMAP is not a command here */
	uint8_t u[10] = { 0x42 };
	ck_fails(st_cmd(u, 10, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x20, 0x00);
}
END_TEST

START_TEST(report_luns)
{
	uint8_t c[12] = { 0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 64 }, b[64];
	memset(b, 0xee, sizeof(b));
	ck_assert_int_eq(st_cmd_lun(5, c, 12, b, sizeof(b), NULL, 0), 0); /* any LUN number */
	ck_assert_uint_eq(st_be32(b), 16);
	ck_assert_uint_eq(st.r.data_in_xfer, 24);
	static const uint8_t l0[8] = { 0 }, l1[8] = { 0, 1 };
	ck_assert(!memcmp(b + 8, l0, 8));
	ck_assert(!memcmp(b + 16, l1, 8));
	/* select report 1: well-known LUNs only (none) */
	c[2] = 1;
	ck_assert_int_eq(st_cmd(c, 12, b, sizeof(b), NULL, 0), 0);
	ck_assert_uint_eq(st_be32(b), 0);
	c[2] = 3;
	ck_fails(st_cmd(c, 12, b, sizeof(b), NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	/* allocation length below 16 */
	c[2] = 0;
	c[9] = 15;
	ck_fails(st_cmd(c, 12, b, sizeof(b), NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	/* a LUN past 255 is reported with flat space addressing */
	struct scsi_lun_opts o = { .type = SCSI_LUN_CDROM };
	ck_assert_int_eq(scsi_target_add_lun(st.t, 300, NULL, &o), 0);
	ck_assert_int_eq(scsi_target_add_lun(st.t, 300, NULL, &o), -EEXIST);
	ck_assert_int_eq(scsi_target_add_lun(st.t, SCSI_LUN_MAX, NULL, &o), -EINVAL);
	c[9] = 64;
	ck_assert_int_eq(st_cmd(c, 12, b, sizeof(b), NULL, 0), 0);
	ck_assert_uint_eq(st_be32(b), 24);
	ck_assert_int_eq(b[24], 0x41);
	ck_assert_int_eq(b[25], 300 & 0xff);
}
END_TEST

START_TEST(absent_lun)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 }, b[36];
	ck_assert_int_eq(st_cmd_lun(7, inq, 6, b, sizeof(b), NULL, 0), 0);
	ck_assert_int_eq(b[0], 0x7f);
	uint8_t vpd0[6] = { 0x12, 1, 0, 0, 36, 0 };
	ck_assert_int_eq(st_cmd_lun(7, vpd0, 6, b, sizeof(b), NULL, 0), 0);
	ck_assert_int_eq(b[0], 0x7f);
	ck_assert_uint_eq(st.r.data_in_xfer, 4);
	vpd0[2] = 0x80;
	ck_fails(st_cmd_lun(7, vpd0, 6, b, sizeof(b), NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	uint8_t tur[6] = { 0 };
	ck_fails(st_cmd_lun(7, tur, 6, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x25, 0x00);
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	ck_assert_int_eq(st_cmd_lun(7, rs, 6, b, sizeof(b), NULL, 0), 0);
	ck_assert_int_eq(b[2], SCSI_SK_ILLEGAL_REQUEST);
	ck_assert_int_eq(b[12], 0x25);
}
END_TEST

START_TEST(unit_attention_after_reset)
{
	uint8_t tur[6] = { 0 }, inq[6] = { 0x12, 0, 0, 0, 36, 0 }, b[36];
	ck_assert_int_eq(st_cmd(tur, 6, NULL, 0, NULL, 0), 0);
	scsi_target_reset(st.t);
	/* INQUIRY does not consume the unit attention */
	ck_assert_int_eq(st_cmd(inq, 6, b, sizeof(b), NULL, 0), 0);
	ck_fails(st_cmd(tur, 6, NULL, 0, NULL, 0), SCSI_SK_UNIT_ATTENTION, 0x29, 0x00);
	ck_assert_int_eq(st_cmd(tur, 6, NULL, 0, NULL, 0), 0); /* once */
	/* REQUEST SENSE reports (and clears) a pending unit attention as data */
	scsi_lun_reset(st.t, 0);
	uint8_t rs[6] = { 0x03, 0, 0, 0, 252, 0 }, s[252];
	ck_assert_int_eq(st_cmd(rs, 6, s, sizeof(s), NULL, 0), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 18);
	ck_assert_int_eq(s[0], 0x70);
	ck_assert_int_eq(s[2], SCSI_SK_UNIT_ATTENTION);
	ck_assert_int_eq(s[12], 0x29);
	ck_assert_int_eq(st_cmd(tur, 6, NULL, 0, NULL, 0), 0);
	/* the CD-ROM got the target reset too */
	ck_fails(st_cmd_lun(1, tur, 6, NULL, 0, NULL, 0), SCSI_SK_UNIT_ATTENTION, 0x29, 0x00);
}
END_TEST

START_TEST(request_sense_kept_without_autosense)
{
	st_teardown();
	st_setup_with(DISK_FMT_RAW, false, true, false);
	uint8_t bad[6] = { 0xff }, rs[6] = { 0x03, 0, 0, 0, 18, 0 }, s[18];
	bad[0] = 0xc0; /* vendor-specific group: not a command here */
	ck_fails(st_cmd(bad, 6, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x20, 0x00);
	ck_assert_int_eq(st_cmd(rs, 6, s, sizeof(s), NULL, 0), 0);
	ck_assert_int_eq(s[2], SCSI_SK_ILLEGAL_REQUEST);
	ck_assert_int_eq(s[12], 0x20);
	/* read once: the next REQUEST SENSE says NO SENSE */
	ck_assert_int_eq(st_cmd(rs, 6, s, sizeof(s), NULL, 0), 0);
	ck_assert_int_eq(s[2], 0);
	ck_assert_int_eq(s[12], 0);
	/* any other command drops kept sense */
	ck_assert_int_eq(st_cmd(bad, 6, NULL, 0, NULL, 0), SCSI_STATUS_CHECK_CONDITION);
	uint8_t tur[6] = { 0 };
	ck_assert_int_eq(st_cmd(tur, 6, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(st_cmd(rs, 6, s, sizeof(s), NULL, 0), 0);
	ck_assert_int_eq(s[2], 0);
	/* descriptor format is refused; allocation length 0 moves nothing */
	rs[1] = 1;
	ck_fails(st_cmd(rs, 6, s, sizeof(s), NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	rs[1] = 0;
	rs[4] = 0;
	ck_assert_int_eq(st_cmd(rs, 6, s, sizeof(s), NULL, 0), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 0);
}
END_TEST

START_TEST(cdb_errors)
{
	uint8_t c[16] = { 0x28 }; /* READ(10) */
	/* a 10-byte opcode in a 6-byte CDB, an empty CDB */
	ck_fails(st_cmd(c, 6, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	ck_fails(st_cmd(c, 0, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	c[0] = 0x88; /* READ(16) in 12 bytes */
	ck_fails(st_cmd(c, 12, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	/* a longer CDB than needed is fine */
	uint8_t tur[16] = { 0 };
	ck_assert_int_eq(st_cmd(tur, 16, NULL, 0, NULL, 0), 0);
	/* unknown opcodes in every group */
	static const uint8_t ops[] = { 0x02, 0x3e, 0x60, 0x7f, 0x80, 0xb5, 0xe0, 0xff, 0x43, 0x46, 0x51 };
	for (unsigned i = 0; i < sizeof(ops); i++) {
		uint8_t x[16] = { ops[i] };
		ck_fails(st_cmd(x, 16, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x20, 0x00);
	}
	/* SERVICE ACTION IN with a service action other than READ CAPACITY(16) */
	uint8_t sai[16] = { 0x9e, 0x11 };
	ck_fails(st_cmd(sai, 16, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x20, 0x00);
	/* NACA in the control byte */
	tur[5] = 0x04;
	ck_fails(st_cmd(tur, 6, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
}
END_TEST

static unsigned mode_sense(bool ten, uint8_t pc_page, bool dbd, uint8_t *b, unsigned alloc)
{
	uint8_t c6[6] = { 0x1a, dbd ? 0x08 : 0, pc_page, 0, (uint8_t)alloc, 0 };
	uint8_t c10[10] = { 0x5a, dbd ? 0x08 : 0, pc_page, 0, 0, 0, 0, (uint8_t)(alloc >> 8), (uint8_t)alloc, 0 };
	memset(b, 0, 256);
	return (unsigned)st_cmd(ten ? c10 : c6, ten ? 10 : 6, b, 256, NULL, 0);
}

START_TEST(mode_sense_disk)
{
	uint8_t b[256];
	ck_assert_uint_eq(mode_sense(false, 0x08, false, b, 255), 0);
	/* header 4 + block descriptor 8 + caching page 20 */
	ck_assert_uint_eq(st.r.data_in_xfer, 32);
	ck_assert_int_eq(b[0], 31);
	ck_assert_int_eq(b[2] & 0x80, 0); /* not write protected */
	ck_assert_int_eq(b[3], 8);
	ck_assert_uint_eq((uint32_t)b[5] << 16 | b[6] << 8 | b[7], ST_DISK_SIZE / 512);
	ck_assert_uint_eq((uint32_t)b[9] << 16 | b[10] << 8 | b[11], 512);
	ck_assert_int_eq(b[12], 0x08);
	ck_assert_int_eq(b[13], 0x12);
	ck_assert_int_eq(b[14] & 0x04, 0x04); /* WCE */
	/* MODE SENSE(10), DBD, all pages */
	ck_assert_uint_eq(mode_sense(true, 0x3f, true, b, 255), 0);
	ck_assert_uint_eq(st_be16(b), 8 + 20 - 2);
	ck_assert_uint_eq(st_be16(b + 6), 0);
	ck_assert_int_eq(b[8], 0x08);
	/* changeable values: only WCE */
	ck_assert_uint_eq(mode_sense(false, 0x40 | 0x08, true, b, 255), 0);
	ck_assert_int_eq(b[6], 0x04);
	ck_assert_int_eq(b[7], 0);
	/* saved values are not supported; an unknown page is an invalid field */
	ck_assert_uint_eq(mode_sense(false, 0xc0 | 0x08, true, b, 255), SCSI_STATUS_CHECK_CONDITION);
	ck_sense(SCSI_SK_ILLEGAL_REQUEST, 0x39, 0x00);
	ck_assert_uint_eq(mode_sense(false, 0x19, true, b, 255), SCSI_STATUS_CHECK_CONDITION);
	ck_sense(SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	/* short allocation length */
	ck_assert_uint_eq(mode_sense(false, 0x3f, false, b, 4), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 4);
	ck_assert_int_eq(b[0], 31);
}
END_TEST

START_TEST(mode_sense_write_protect)
{
	st_teardown();
	st_setup_with(DISK_FMT_RAW, true, false, true);
	uint8_t b[256];
	ck_assert_uint_eq(mode_sense(false, 0x3f, true, b, 255), 0);
	ck_assert_int_eq(b[2] & 0x80, 0x80);
	ck_assert_uint_eq(mode_sense(true, 0x3f, true, b, 255), 0);
	ck_assert_int_eq(b[3] & 0x80, 0x80);
}
END_TEST

START_TEST(mode_select_write_cache)
{
	uint8_t b[256];
	ck_assert_uint_eq(mode_sense(false, 0x08, true, b, 255), 0);
	/* send the page back with WCE off, as Linux's cache_type store does */
	uint8_t p[4 + 20];
	memcpy(p, b, sizeof(p));
	p[0] = 0;
	p[6] &= ~0x04;
	uint8_t c[6] = { 0x15, 0x10, 0, 0, sizeof(p), 0 };
	ck_assert_int_eq(st_cmd(c, 6, NULL, 0, p, sizeof(p)), 0);
	ck_assert_uint_eq(st.r.data_out_xfer, sizeof(p));
	ck_assert_uint_eq(mode_sense(false, 0x08, true, b, 255), 0);
	ck_assert_int_eq(b[6] & 0x04, 0);
	/* a non-changeable bit, an unknown page, a truncated page */
	p[6] |= 0x01; /* RCD */
	ck_fails(st_cmd(c, 6, NULL, 0, p, sizeof(p)), SCSI_SK_ILLEGAL_REQUEST, 0x26, 0x00);
	p[6] = 0x04;
	p[4] = 0x19;
	ck_fails(st_cmd(c, 6, NULL, 0, p, sizeof(p)), SCSI_SK_ILLEGAL_REQUEST, 0x26, 0x00);
	p[4] = 0x08;
	c[4] = 10;
	ck_fails(st_cmd(c, 6, NULL, 0, p, sizeof(p)), SCSI_SK_ILLEGAL_REQUEST, 0x1a, 0x00);
	/* SP, a list shorter than the header, a data-out buffer shorter than the list */
	c[1] = 0x11;
	ck_fails(st_cmd(c, 6, NULL, 0, p, sizeof(p)), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	c[1] = 0x10;
	c[4] = 3;
	ck_fails(st_cmd(c, 6, NULL, 0, p, sizeof(p)), SCSI_SK_ILLEGAL_REQUEST, 0x1a, 0x00);
	c[4] = sizeof(p);
	ck_assert_int_eq(st_cmd(c, 6, NULL, 0, p, 10), -1);
	ck_assert_int_eq(st_cmd(c, 6, p, sizeof(p), NULL, 0), -1); /* data in the wrong direction */
	/* MODE SELECT(10) with a block descriptor that keeps our block size, WCE back on */
	uint8_t q[8 + 8 + 20] = { 0 };
	q[7] = 8;
	q[8 + 6] = 0x02; /* block length 512 */
	memcpy(q + 16, b + 4, 20);
	q[16 + 2] = 0x04;
	uint8_t c10[10] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, sizeof(q), 0 };
	ck_assert_int_eq(st_cmd(c10, 10, NULL, 0, q, sizeof(q)), 0);
	ck_assert_uint_eq(mode_sense(false, 0x08, true, b, 255), 0);
	ck_assert_int_eq(b[6] & 0x04, 0x04);
	q[8 + 6] = 0x08; /* 2048: refused */
	ck_fails(st_cmd(c10, 10, NULL, 0, q, sizeof(q)), SCSI_SK_ILLEGAL_REQUEST, 0x26, 0x00);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("scsi_spc");
	TCase *t = tcase_create("spc");
	tcase_add_checked_fixture(t, st_setup, st_teardown);
	tcase_add_test(t, inquiry_standard);
	tcase_add_test(t, inquiry_vpd);
	tcase_add_test(t, vpd_without_discard);
	tcase_add_test(t, report_luns);
	tcase_add_test(t, absent_lun);
	tcase_add_test(t, unit_attention_after_reset);
	tcase_add_test(t, request_sense_kept_without_autosense);
	tcase_add_test(t, cdb_errors);
	tcase_add_test(t, mode_sense_disk);
	tcase_add_test(t, mode_sense_write_protect);
	tcase_add_test(t, mode_select_write_cache);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
