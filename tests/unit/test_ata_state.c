// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved state of the ATA core: a disk caught in the middle of a READ MULTIPLE data phase and a
 * CD-ROM with sense kept for REQUEST SENSE and a PIO packet chunk half read are saved, the
 * devices are destroyed, new ones on the same images load the payloads and go on exactly where
 * the old ones were (data, status, settings in IDENTIFY). Loads refuse truncated, oversized and
 * out-of-range payloads leaving the device as it was; a busy device refuses to save. */
#include "tests/unit/ata_test.h"
#include "tests/unit/state_test.h"

static void setup(void) { at_setup(); }
static void teardown(void) { at_teardown(); }

static void reg_cmd(struct ata_dev *d, uint8_t feat, uint8_t nsect, uint8_t op)
{
	ata_reg_write(d, ATA_R_FEAT, feat);
	ata_reg_write(d, ATA_R_NSECT, nsect);
	ata_reg_write(d, ATA_R_CMD, op);
	at_settle(d);
	ck_assert_int_eq(ata_reg_read(d, ATA_R_CMD) & ATA_ST_ERR, 0);
}

static struct ata_dev *reopen_disk(void)
{
	struct ata_dev_opts o = { .kind = ATA_DISK, .discard = true, .serial = "SER-0001", .model = "TEST DISK",
				  .hooks = &at_hooks };
	struct ata_dev *d;
	ck_assert_int_eq(ata_dev_create(&d, dt_open(at.disk_path, DISK_FMT_RAW, false), &o), 0);
	return d;
}

START_TEST(disk_mid_read_multiple)
{
	uint8_t data[5 * 512], got[5 * 512], id_before[512], id_after[512];
	dt_pattern(at_ram(0x1000), sizeof(data), 5);
	memcpy(data, at_ram(0x1000), sizeof(data));
	struct ata_tf w = at_tf(0x35, 300, 5);
	ck_good(at_cmd(&w, 0x1000, sizeof(data), true));
	struct ata_dev *d = at.disk;
	reg_cmd(d, 0, 2, 0xc6);        /* SET MULTIPLE 2 */
	reg_cmd(d, 0x03, 0x42, 0xef);  /* UDMA 2 */
	reg_cmd(d, 0x82, 0, 0xef);     /* write cache off */
	ata_reg_write(d, ATA_R_NSECT, 0);
	ata_reg_write(d, ATA_R_NSECT, 5);
	ata_reg_write(d, ATA_R_LBAL, 0);
	ata_reg_write(d, ATA_R_LBAL, 300 & 0xff);
	ata_reg_write(d, ATA_R_LBAM, 0);
	ata_reg_write(d, ATA_R_LBAM, 300 >> 8);
	ata_reg_write(d, ATA_R_LBAH, 0);
	ata_reg_write(d, ATA_R_LBAH, 0);
	ata_reg_write(d, ATA_R_DEVICE, ATA_DEV_LBA);
	ata_reg_write(d, ATA_R_CMD, 0x29); /* READ MULTIPLE EXT */
	ck_assert_int_eq(ata_altstatus(d) & ATA_ST_BSY, ATA_ST_BSY);
	size_t n;
	ck_assert_int_eq(ata_dev_state_save(d, &(struct state_writer){ 0 }), -EBUSY); /* in flight */
	at_settle(d);
	ck_assert_uint_eq(ata_pio_in(d, got, 700), 700); /* block 1 is 2 sectors: 324 left */
	ata_identify(d, id_before);
	uint8_t *p = st_save(&ata_dev_state_ops, d, &n);
	at_close(); /* the image is free for a new device */
	ck_assert_int_eq(disk_aio_create(&at.q, 16), 0);
	at.disk = d = reopen_disk();
	at.irq = false;
	ck_assert_int_eq(st_load(&ata_dev_state_ops, d, p, n), 0);
	ck_assert(at.irq); /* the load drives INTRQ as it was */
	st_assert_same(&ata_dev_state_ops, d, p, n, 0, "a load", 0);
	ata_identify(d, id_after);
	ck_assert_int_eq(memcmp(id_before, id_after, 512), 0);
	ck_assert_int_eq(at_word(id_after, 59), 0x0102);
	ck_assert_int_eq(at_word(id_after, 85) & 0x20, 0);
	ck_assert_int_eq(ata_altstatus(d) & ATA_ST_DRQ, ATA_ST_DRQ);
	ck_assert_uint_eq(ata_pio_in(d, got + 700, 4096), 324);
	for (unsigned off = 1024; off < sizeof(got);) {
		at_settle(d);
		ck_assert_int_eq(ata_altstatus(d) & ATA_ST_DRQ, ATA_ST_DRQ);
		off += (unsigned)ata_pio_in(d, got + off, 4096);
	}
	ck_assert_int_eq(memcmp(data, got, sizeof(got)), 0);
	ck_assert_int_eq(ata_altstatus(d) & (ATA_ST_DRQ | ATA_ST_ERR | ATA_ST_BSY), 0);
	/* the payload's refusals: every truncation, and byte changes leave the device as it was */
	st_check_short(&ata_dev_state_ops, d, p, n, 0);
	ck_assert_uint_gt(st_check_mutations(&ata_dev_state_ops, d, p, n, 0), 20);
	free(p);
}
END_TEST

START_TEST(cdrom_sense_and_chunk)
{
	uint8_t cdb[12] = { 0x28, 0, 0, 0, 0, (uint8_t)AT_CD_BLOCKS, 0, 0, 1 };
	at_packet((uint8_t[12]){ 0 }, 12, 0, 0); /* the power-on unit attention */
	ck_aborted(at_packet(cdb, 12, 0x1000, 2048), SCSI_SK_ILLEGAL_REQUEST << 4 | ATA_ER_ABRT);
	size_t n;
	uint8_t *p = st_save(&ata_dev_state_ops, at.cd, &n);
	/* a disk's load refuses a CD-ROM's payload */
	ck_assert_int_eq(st_load(&ata_dev_state_ops, at.disk, p, n), -EINVAL);
	at_close();
	ck_assert_int_eq(disk_aio_create(&at.q, 16), 0);
	struct ata_dev_opts o = { .kind = ATA_CDROM, .hooks = &at_hooks };
	ck_assert_int_eq(ata_dev_create(&at.cd, dt_open(at.cd_path, DISK_FMT_RAW, true), &o), 0);
	ck_assert_int_eq(st_load(&ata_dev_state_ops, at.cd, p, n), 0);
	free(p);
	/* the kept sense survived (and no new power-on unit attention: the target's state came too) */
	static const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
	ck_good(at_packet(rs, 12, 0x2000, 18));
	ck_assert_int_eq(at_ram(0x2000)[2] & 0xf, SCSI_SK_ILLEGAL_REQUEST);
	ck_assert_int_eq(at_ram(0x2000)[12], 0x21);
	/* now a PIO packet half read: READ(10) of one block in 1024-byte chunks */
	cdb[5] = 7;
	struct ata_dev *d = at.cd;
	ata_reg_write(d, ATA_R_FEAT, 0);
	ata_reg_write(d, ATA_R_LBAM, 0x00);
	ata_reg_write(d, ATA_R_LBAH, 0x04);
	ata_reg_write(d, ATA_R_CMD, 0xa0);
	ck_assert_uint_eq(ata_pio_out(d, cdb, 12), 12);
	at_settle(d);
	uint8_t got[2048];
	ck_assert_uint_eq(ata_pio_in(d, got, 100), 100);
	p = st_save(&ata_dev_state_ops, d, &n);
	at_close();
	ck_assert_int_eq(disk_aio_create(&at.q, 16), 0);
	ck_assert_int_eq(ata_dev_create(&at.cd, dt_open(at.cd_path, DISK_FMT_RAW, true), &o), 0);
	d = at.cd;
	ck_assert_int_eq(st_load(&ata_dev_state_ops, d, p, n), 0);
	st_check_short(&ata_dev_state_ops, d, p, n, 0);
	ck_assert_uint_gt(st_check_mutations(&ata_dev_state_ops, d, p, n, 0), 20);
	free(p);
	ck_assert_uint_eq(ata_pio_in(d, got + 100, 4096), 924);
	ck_assert_int_eq(ata_reg_read(d, ATA_R_LBAM) | ata_reg_read(d, ATA_R_LBAH) << 8, 1024);
	ck_assert_uint_eq(ata_pio_in(d, got + 1024, 4096), 1024);
	ck_assert_int_eq(ata_reg_read(d, ATA_R_NSECT) & 3, 3);
	uint8_t img[AT_CD_BLOCKS * 2048];
	dt_pattern(img, sizeof(img), 77);
	ck_assert_int_eq(memcmp(got, img + 7 * 2048, 2048), 0);
}
END_TEST

/* a PIO READ in pieces cut short by a command the CD-ROM aborts: the device saves and loads
 * (found by fuzz_ata: the piece position outlived its command) */
START_TEST(split_read_cut_short)
{
	char path[96];
	ck_assert_int_eq(dt_create(dt_path(path, "big.iso"), DISK_FMT_RAW, 300 * 2048, 0, NULL, DISK_FMT_AUTO), 0);
	struct ata_dev_opts o = { .kind = ATA_CDROM, .hooks = &at_hooks };
	ata_dev_destroy(at.cd);
	ck_assert_int_eq(ata_dev_create(&at.cd, dt_open(path, DISK_FMT_RAW, true), &o), 0);
	struct ata_dev *d = at.cd;
	uint8_t cdb[12] = { 0xa8, 0, 0, 0, 0, 0, 0, 0, 1, 0x2c }; /* READ(12) of 300 blocks: 3 pieces */
	at_packet((uint8_t[12]){ 0 }, 12, 0, 0); /* the power-on unit attention */
	ata_reg_write(d, ATA_R_FEAT, 0);
	ata_reg_write(d, ATA_R_CMD, 0xa0);
	ck_assert_uint_eq(ata_pio_out(d, cdb, 12), 12);
	at_settle(d);
	ck_assert_int_eq(ata_altstatus(d) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
	ata_reg_write(d, ATA_R_CMD, 0xec); /* aborted on a CD-ROM */
	ck_assert_int_eq(ata_altstatus(d) & ATA_ST_ERR, ATA_ST_ERR);
	size_t n;
	uint8_t *p = st_save(&ata_dev_state_ops, d, &n);
	ck_assert_int_eq(st_load(&ata_dev_state_ops, d, p, n), 0);
	free(p);
}
END_TEST

START_TEST(registry_round_trip)
{
	struct state_registry g;
	state_registry_init(&g);
	ck_assert_int_eq(state_registry_add(&g, &ata_dev_state_ops, 0, at.disk), 0);
	ck_assert_int_eq(state_registry_add(&g, &ata_dev_state_ops, 1, at.cd), 0);
	struct state_writer w;
	state_writer_init(&w);
	ck_assert_int_eq(state_registry_save(&g, &w), 0);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	size_t len;
	const uint8_t *b = state_writer_data(&w, &len);
	struct state_stream s;
	ck_assert_int_eq(state_open(&s, b, len, NULL, 0), 0);
	char why[128];
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), 0);
	state_writer_free(&w);
	state_registry_free(&g);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ata_state");
	TCase *t = tcase_create("state");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, disk_mid_read_multiple);
	tcase_add_test(t, cdrom_sense_and_chunk);
	tcase_add_test(t, split_read_cut_short);
	tcase_add_test(t, registry_round_trip);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
