// SPDX-License-Identifier: GPL-2.0-or-later
/* SCSI target data checked by a peer: sg3_utils (sg_inq, sg_vpd, sg_decode_sense) decodes the
 * target's INQUIRY data, VPD pages and the sense of every error, so the field layouts are read by
 * someone else's understanding of SPC/SBC, not only by the tests that come with the code. */
#include "tests/unit/scsi_test.h"
#include "tests/unit/unit.h"

#define HAVE_SG (!access("/usr/bin/sg_vpd", X_OK) && !access("/usr/bin/sg_decode_sense", X_OK) && \
		 !access("/usr/bin/sg_inq", X_OK))

/* writes len bytes of b to a file, runs `tool --OPTS=file`-style cmd (%s = the file), returns
 * its output (static) */
static const char *peer(const char *fmt, const void *b, size_t len)
{
	static char out[8192];
	char p[96], cmd[256];
	dt_path(p, "peer.bin");
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(b, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), fmt, p);
	FILE *pp = popen(cmd, "r");
	ck_assert_ptr_nonnull(pp);
	size_t n = fread(out, 1, sizeof(out) - 1, pp);
	out[n] = 0;
	ck_assert_int_eq(pclose(pp), 0);
	return out;
}

#define ck_has(out, s) ck_assert_msg(strstr(out, s) != NULL, "no \"%s\" in:\n%s", s, out)

static const char *vpd_text(unsigned lun, uint8_t page)
{
	uint8_t c[6] = { 0x12, 1, page, 1, 0, 0 }, b[256];
	ck_assert_int_eq(st_cmd_lun(lun, c, 6, b, sizeof(b), NULL, 0), 0);
	char fmt[64];
	snprintf(fmt, sizeof(fmt), "sg_vpd --inhex=%%s --raw --page=0x%02x 2>&1", page);
	return peer(fmt, b, st.r.data_in_xfer);
}

START_TEST(inquiry_decoded)
{
	if (!HAVE_SG)
		UNIT_SKIP("inquiry_decoded", "sg3-utils not installed");
	uint8_t c[6] = { 0x12, 0, 0, 0, 96, 0 }, b[96];
	ck_assert_int_eq(st_cmd(c, 6, b, sizeof(b), NULL, 0), 0);
	const char *o = peer("sg_inq --inhex=%s --raw 2>&1", b, st.r.data_in_xfer);
	ck_has(o, "PDT=0");
	ck_has(o, "[SPC-3]");
	ck_has(o, "HiSUP=1");
	ck_has(o, "Resp_data_format=2");
	ck_has(o, "CmdQue=1");
	ck_has(o, "Peripheral device type: disk");
	ck_has(o, "Vendor identification: KVMINI");
	ck_assert_int_eq(st_cmd_lun(1, c, 6, b, sizeof(b), NULL, 0), 0);
	o = peer("sg_inq --inhex=%s --raw 2>&1", b, st.r.data_in_xfer);
	ck_has(o, "RMB=1");
	ck_has(o, "Peripheral device type: cd/dvd");
}
END_TEST

START_TEST(vpd_decoded)
{
	if (!HAVE_SG)
		UNIT_SKIP("vpd_decoded", "sg3-utils not installed");
	const char *o = vpd_text(0, 0x00);
	ck_has(o, "Supported VPD pages");
	ck_has(o, "Unit serial number");
	ck_has(o, "Device identification");
	ck_has(o, "Block limits");
	ck_has(o, "Block device characteristics");
	ck_has(o, "Logical block provisioning");
	o = vpd_text(0, 0x80);
	ck_has(o, "Unit serial number: SER0");
	o = vpd_text(0, 0x83);
	ck_has(o, "designator type: NAA");
	ck_has(o, "designator type: T10 vendor identification");
	ck_has(o, "vendor specific: SER0");
	o = vpd_text(0, 0xb0);
	ck_has(o, "Write same non-zero (WSNZ): 1");
	ck_has(o, "Maximum transfer length: 65536 blocks");
	ck_has(o, "Maximum unmap LBA count: 4194304");
	ck_has(o, "Maximum unmap block descriptor count: 256");
	ck_has(o, "Optimal unmap granularity: 8 blocks");
	ck_has(o, "Maximum write same length: 0x400000 blocks");
	o = vpd_text(0, 0xb1);
	ck_has(o, "Non-rotating medium");
	o = vpd_text(0, 0xb2);
	ck_has(o, "Unmap command supported (LBPU): 1");
	ck_has(o, "Write same (16) with unmap bit supported (LBPWS): 1");
	ck_has(o, "Write same (10) with unmap bit supported (LBPWS10): 1");
	ck_has(o, "Provisioning type: 2 (thin provisioned)");
}
END_TEST

/* the last command's sense, decoded */
static const char *sense_text(void)
{
	ck_assert_int_eq(st.r.status, SCSI_STATUS_CHECK_CONDITION);
	return peer("sg_decode_sense --binary=%s 2>&1", st.r.sense, st.r.sense_len);
}

START_TEST(sense_decoded)
{
	if (!HAVE_SG)
		UNIT_SKIP("sense_decoded", "sg3-utils not installed");
	uint8_t b[4096] = { 0 };
	struct {
		unsigned lun;
		uint8_t cdb[16];
		unsigned len;
		size_t dout;
		const char *key, *text;
	} cases[] = {
		{ 0, { 0xc0 }, 6, 0, "Illegal Request", "Invalid command operation code" },
		{ 0, { 0x28 }, 6, 0, "Illegal Request", "Invalid field in cdb" },
		{ 0, { 0x28, 0, 0xff }, 10, 0, "Illegal Request", "Logical block address out of range" },
		{ 7, { 0x00 }, 6, 0, "Illegal Request", "Logical unit not supported" },
		{ 0, { 0x1a, 0, 0xc8, 0, 255 }, 6, 0, "Illegal Request", "Saving parameters not supported" },
		{ 0, { 0x15, 0x10, 0, 0, 24 }, 6, 24, "Illegal Request", "Invalid field in parameter list" },
		{ 0, { 0x42, 0, 0, 0, 0, 0, 0, 0, 6 }, 10, 6, "Illegal Request", "Parameter list length error" },
		{ 0, { 0x2f, 0x02, 0, 0, 0, 0, 0, 0, 1 }, 10, 512, "Miscompare", "Miscompare during verify" },
		{ 1, { 0x2a, 0, 0, 0, 0, 0, 0, 0, 1 }, 10, 2048, "Data Protect", "Write protected" },
	};
	b[4] = 0x19; /* MODE SELECT with an unknown page */
	b[5] = 18;
	b[100] = 1; /* VERIFY compares against zeros: differs */
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st_cmd_lun(cases[i].lun, cases[i].cdb, cases[i].len, NULL, 0, cases[i].dout ? b : NULL, cases[i].dout);
		ck_assert_msg(st.r.status == SCSI_STATUS_CHECK_CONDITION, "case %u", i);
		const char *o = sense_text();
		ck_has(o, cases[i].key);
		ck_has(o, cases[i].text);
	}
	/* unit attentions, removal prevented, no medium */
	uint8_t tur[6] = { 0 }, prevent[6] = { 0x1e, 0, 0, 0, 1, 0 }, eject[6] = { 0x1b, 0, 0, 0, 2, 0 };
	scsi_target_reset(st.t);
	st_cmd(tur, 6, NULL, 0, NULL, 0);
	ck_has(sense_text(), "Power on, reset, or bus device reset occurred");
	st_cmd_lun(1, tur, 6, NULL, 0, NULL, 0);
	ck_assert_int_eq(st_cmd_lun(1, prevent, 6, NULL, 0, NULL, 0), 0);
	st_cmd_lun(1, eject, 6, NULL, 0, NULL, 0);
	ck_has(sense_text(), "Medium removal prevented");
	prevent[4] = 0;
	ck_assert_int_eq(st_cmd_lun(1, prevent, 6, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(st_cmd_lun(1, eject, 6, NULL, 0, NULL, 0), 0);
	st_cmd_lun(1, tur, 6, NULL, 0, NULL, 0);
	ck_has(sense_text(), "Not Ready");
	ck_has(sense_text(), "Medium not present - tray open");
	eject[4] = 3;
	ck_assert_int_eq(st_cmd_lun(1, eject, 6, NULL, 0, NULL, 0), 0);
	st_cmd_lun(1, tur, 6, NULL, 0, NULL, 0);
	ck_has(sense_text(), "Not ready to ready change, medium may have changed");
	struct disk *old;
	ck_assert_int_eq(scsi_lun_eject(st.t, 1, false, &old), 0);
	disk_close(old);
	ck_assert_int_eq(st_cmd_lun(1, eject, 6, NULL, 0, NULL, 0), 0); /* close the empty tray */
	st_cmd_lun(1, tur, 6, NULL, 0, NULL, 0);
	ck_has(sense_text(), "Medium not present - tray closed");
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("scsi_peer");
	TCase *t = tcase_create("sg3_utils");
	tcase_add_checked_fixture(t, st_setup, st_teardown);
	tcase_add_test(t, inquiry_decoded);
	tcase_add_test(t, vpd_decoded);
	tcase_add_test(t, sense_decoded);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
