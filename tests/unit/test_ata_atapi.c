// SPDX-License-Identifier: GPL-2.0-or-later
/* ATAPI on the ATA core: PACKET commands handed to the SCSI target, through ata_submit (AHCI,
 * DMA) and through the register path (IDE PIO with byte-count-limited DRQ chunks and the
 * interrupt reason in the count register, and IDE DMA). Errors set ERR with the sense key in the
 * error register and leave the sense for the guest's REQUEST SENSE. The medium is an ISO-like
 * image of 2048-byte blocks, each with its own pattern. */
#include "tests/unit/ata_test.h"

static void setup(void) { at_setup(); }
static void teardown(void) { at_teardown(); }

static const uint8_t tur[12] = { 0x00 };
static const uint8_t sense18[12] = { 0x03, 0, 0, 0, 18 };

static void read10(uint8_t *cdb, uint32_t lba, uint16_t n)
{
	memset(cdb, 0, 12);
	cdb[0] = 0x28;
	cdb[2] = (uint8_t)(lba >> 24);
	cdb[3] = (uint8_t)(lba >> 16);
	cdb[4] = (uint8_t)(lba >> 8);
	cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)(n >> 8);
	cdb[8] = (uint8_t)n;
}

static void ck_image(const uint8_t *got, uint32_t lba, uint32_t n)
{
	static uint8_t img[AT_CD_BLOCKS * 2048];
	dt_pattern(img, sizeof(img), 77);
	ck_assert_int_eq(memcmp(got, img + lba * 2048, n * 2048), 0);
}

/* the sense REQUEST SENSE returns now: key, ASC, ASCQ */
static void ck_request_sense(uint8_t key, uint8_t asc, uint8_t ascq)
{
	memset(at_ram(0x8000), 0, 18);
	ck_good(at_packet(sense18, 12, 0x8000, 18));
	ck_assert_uint_eq(at.c.xfer, 18);
	const uint8_t *s = at_ram(0x8000);
	ck_assert_int_eq(s[0] & 0x7f, 0x70);
	ck_assert_int_eq(s[2] & 0xf, key);
	ck_assert_int_eq(s[12], asc);
	ck_assert_int_eq(s[13], ascq);
}

START_TEST(dma_packets_and_request_sense)
{
	/* the power-on unit attention first, kept for REQUEST SENSE (no autosense) */
	ck_aborted(at_packet(tur, 12, 0, 0), SCSI_SK_UNIT_ATTENTION << 4 | ATA_ER_ABRT);
	ck_assert_int_eq(at.c.tf.nsect[0], 0x03);
	ck_assert_int_ne(at.c.tf.lbah[0], 0xeb); /* a PACKET error shows no signature */
	ck_request_sense(SCSI_SK_UNIT_ATTENTION, 0x29, 0x00);
	ck_good(at_packet(tur, 12, 0, 0));
	uint8_t cdb[12];
	read10(cdb, 3, 5);
	ck_good(at_packet(cdb, 12, 0x10000, 5 * 2048));
	ck_assert_uint_eq(at.c.xfer, 5 * 2048);
	ck_assert_int_eq(at.c.proto, ATA_PROTO_PACKET_DMA);
	ck_image(at_ram(0x10000), 3, 5);
	read10(cdb, AT_CD_BLOCKS - 1, 2); /* past the end */
	ck_aborted(at_packet(cdb, 12, 0x10000, 2 * 2048), SCSI_SK_ILLEGAL_REQUEST << 4 | ATA_ER_ABRT);
	ck_request_sense(SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	ck_request_sense(SCSI_SK_NO_SENSE, 0x00, 0x00); /* read once */
	read10(cdb, 0, 4); /* the PRDT holds 3 blocks: overrun, nothing moved */
	ck_aborted(at_packet(cdb, 12, 0x10000, 3 * 2048), SCSI_SK_ILLEGAL_REQUEST << 4 | ATA_ER_ABRT);
	static const uint8_t cap[12] = { 0x25 };
	ck_good(at_packet(cap, 12, 0x9000, 8));
	const uint8_t *c = at_ram(0x9000);
	ck_assert_uint_eq((uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3], AT_CD_BLOCKS - 1);
	ck_assert_uint_eq((uint32_t)c[4] << 24 | (uint32_t)c[5] << 16 | (uint32_t)c[6] << 8 | c[7], 2048);
	static const uint8_t inq[12] = { 0x12, 0, 0, 0, 36 };
	ck_good(at_packet(inq, 12, 0x9000, 36));
	ck_assert_int_eq(at_ram(0x9000)[0] & 0x1f, 5);
}
END_TEST

START_TEST(empty_drive_not_ready)
{
	struct ata_dev_opts o = { .kind = ATA_CDROM };
	struct ata_dev *d;
	ck_assert_int_eq(ata_dev_create(&d, NULL, &o), 0);
	struct ata_dev *cd = at.cd;
	at.cd = d;
	at_packet(tur, 12, 0, 0); /* the unit attention */
	ck_aborted(at_packet(tur, 12, 0, 0), SCSI_SK_NOT_READY << 4 | ATA_ER_ABRT);
	ck_request_sense(SCSI_SK_NOT_READY, 0x3a, 0x01); /* tray closed */
	at.cd = cd;
	ata_dev_destroy(d);
}
END_TEST

/* the image behind a device (what a snapshot flushes): the disk's, the CD-ROM's medium, none after
 * an eject and the new one after an insert */
START_TEST(device_image)
{
	struct disk *d = ata_dev_disk(at.disk);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->path, at.disk_path);
	struct disk *m = ata_dev_disk(at.cd);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->path, at.cd_path);
	struct disk *old = NULL;
	ck_assert_int_eq(scsi_lun_eject(ata_dev_target(at.cd), 0, true, &old), 0);
	ck_assert_ptr_eq(old, m);
	ck_assert_ptr_null(ata_dev_disk(at.cd));
	ck_assert_int_eq(scsi_lun_insert(ata_dev_target(at.cd), 0, old), 0);
	ck_assert_ptr_eq(ata_dev_disk(at.cd), m);
}
END_TEST

/* the register path: PACKET, the 12 bytes through the data port, then the I/O thread */
static void reg_packet(const uint8_t *cdb, uint16_t bcl, bool dma)
{
	struct ata_dev *d = at.cd;
	ata_reg_write(d, ATA_R_FEAT, dma);
	ata_reg_write(d, ATA_R_LBAM, (uint8_t)bcl);
	ata_reg_write(d, ATA_R_LBAH, (uint8_t)(bcl >> 8));
	ata_reg_write(d, ATA_R_CMD, 0xa0);
	ck_assert_int_eq(ata_altstatus(d) & (ATA_ST_DRQ | ATA_ST_BSY), ATA_ST_DRQ);
	ck_assert_int_eq(ata_reg_read(d, ATA_R_NSECT) & 3, 0x01); /* C/D: the packet */
	at.irqs = 0;
	at.kicks = 0;
	ck_assert_uint_eq(ata_pio_out(d, cdb, 5), 5);
	ck_assert_uint_eq(ata_pio_out(d, cdb + 5, 100), 7);
	if (dma)
		return;
	ck_assert(ata_altstatus(d) & ATA_ST_BSY);
	ck_assert_int_eq(at.kicks, 1);
	at_settle(d);
}

/* one DRQ chunk: interrupt, I/O reason, the byte count in LBA mid/high */
static void take_chunk(uint8_t *out, unsigned want, int irq)
{
	struct ata_dev *d = at.cd;
	ck_assert_int_eq(at.irqs, irq);
	ck_assert_int_eq(ata_reg_read(d, ATA_R_CMD) & (ATA_ST_DRQ | ATA_ST_ERR | ATA_ST_BSY), ATA_ST_DRQ);
	ck_assert_int_eq(ata_reg_read(d, ATA_R_NSECT) & 3, 0x02);
	ck_assert_uint_eq(ata_reg_read(d, ATA_R_LBAM) | ata_reg_read(d, ATA_R_LBAH) << 8, want);
	ck_assert_uint_eq(ata_pio_in(d, out, 1u << 20), want);
}

START_TEST(pio_packet_byte_count_limit)
{
	uint8_t cdb[12], buf[3 * 2048];
	reg_packet(tur, 0, false); /* the unit attention */
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_CMD) & ATA_ST_ERR, ATA_ST_ERR);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_FEAT), SCSI_SK_UNIT_ATTENTION << 4 | ATA_ER_ABRT);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_NSECT) & 3, 0x03);
	read10(cdb, 10, 3);
	reg_packet(cdb, 4096, false);
	take_chunk(buf, 4096, 1);
	take_chunk(buf + 4096, 2048, 2);
	ck_assert_int_eq(at.irqs, 3); /* the status phase */
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_CMD) & (ATA_ST_DRQ | ATA_ST_ERR | ATA_ST_BSY), 0);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_NSECT) & 3, 0x03);
	ck_image(buf, 10, 3);
	/* an odd limit: chunks are even but the last */
	read10(cdb, 0, 1);
	reg_packet(cdb, 999, false);
	take_chunk(buf, 998, 1);
	take_chunk(buf + 998, 998, 2);
	take_chunk(buf + 1996, 52, 3);
	ck_image(buf, 0, 1);
	/* an error: key in the error register, the sense for REQUEST SENSE over PIO */
	read10(cdb, AT_CD_BLOCKS, 1);
	reg_packet(cdb, 0xfffe, false);
	ck_assert_int_eq(at.irqs, 1);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_CMD) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_ERR);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_FEAT), SCSI_SK_ILLEGAL_REQUEST << 4 | ATA_ER_ABRT);
	reg_packet(sense18, 0xfffe, false);
	take_chunk(buf, 18, 1);
	ck_assert_int_eq(buf[2] & 0xf, SCSI_SK_ILLEGAL_REQUEST);
	ck_assert_int_eq(buf[12], 0x21);
}
END_TEST

START_TEST(register_path_dma_packet)
{
	uint8_t cdb[12];
	at_packet(tur, 12, 0, 0); /* clears the unit attention */
	read10(cdb, 20, 2);
	reg_packet(cdb, 0, true);
	bool write = true;
	ck_assert(ata_dma_pending(at.cd, &write));
	ck_assert(!write);
	at_dma(at.cd, 0x20000, 2 * 2048);
	ck_assert_int_eq(at.dma_err, 0);
	ck_assert_uint_eq(at.dma_bytes, 2 * 2048);
	ck_assert_int_eq(at.irqs, 1);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_NSECT) & 3, 0x03);
	ck_image(at_ram(0x20000), 20, 2);
}
END_TEST

/* DEVICE RESET while a PIO packet is queued (BSY): taken at once, the packet's result dropped */
START_TEST(device_reset_while_busy)
{
	uint8_t cdb[12];
	read10(cdb, 1, 1);
	struct ata_dev *d = at.cd;
	ata_reg_write(d, ATA_R_CMD, 0xa0);
	ck_assert_uint_eq(ata_pio_out(d, cdb, 12), 12);
	ck_assert(ata_altstatus(d) & ATA_ST_BSY);
	ata_poll(d, at.q); /* in flight now (or done, with a synchronous disk) */
	ata_reg_write(d, ATA_R_CMD, 0x08);
	ck_assert_int_eq(ata_altstatus(d) & (ATA_ST_BSY | ATA_ST_DRQ), 0);
	ck_assert_int_eq(ata_reg_read(d, ATA_R_LBAH), 0xeb);
	ck_assert_int_eq(ata_reg_read(d, ATA_R_FEAT), 0x01);
	disk_aio_kick(at.q);
	disk_aio_drain(at.q);
	ck_assert_int_eq(ata_altstatus(d) & (ATA_ST_BSY | ATA_ST_DRQ), 0); /* the stale result is dropped */
	ck_assert_uint_eq(ata_pio_in(d, cdb, 12), 0);
	/* and the device works on: the reset's unit attention, then the read */
	reg_packet(tur, 0, false);
	ck_assert_int_eq(ata_reg_read(d, ATA_R_FEAT), SCSI_SK_UNIT_ATTENTION << 4 | ATA_ER_ABRT);
	uint8_t buf[2048];
	reg_packet(cdb, 2048, false);
	take_chunk(buf, 2048, 1);
	ck_image(buf, 1, 1);
}
END_TEST

/* a PIO READ(10) larger than the core's bounce runs in pieces, seamless to the guest */
START_TEST(pio_read_larger_than_the_bounce)
{
	enum { BLOCKS = 300 };
	char path[96];
	static uint8_t img[BLOCKS * 2048], got[BLOCKS * 2048];
	dt_pattern(img, sizeof(img), 5);
	ck_assert_int_eq(dt_create(dt_path(path, "big.iso"), DISK_FMT_RAW, sizeof(img), 0, NULL, DISK_FMT_AUTO), 0);
	dt_poke(path, 0, img, sizeof(img));
	struct ata_dev_opts o = { .kind = ATA_CDROM, .hooks = &at_hooks };
	struct ata_dev *cd = at.cd;
	ck_assert_int_eq(ata_dev_create(&at.cd, dt_open(path, DISK_FMT_RAW, true), &o), 0);
	reg_packet(tur, 0, false); /* the unit attention */
	uint8_t cdb[12];
	read10(cdb, 0, BLOCKS);
	reg_packet(cdb, 0xfffe, false);
	size_t off = 0;
	int chunks = 0;
	while (off < sizeof(got)) {
		at_settle(at.cd);
		uint8_t st = ata_reg_read(at.cd, ATA_R_CMD);
		ck_assert_int_eq(st & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
		unsigned n = ata_reg_read(at.cd, ATA_R_LBAM) | ata_reg_read(at.cd, ATA_R_LBAH) << 8;
		ck_assert_uint_le(n, 0xfffe);
		ck_assert_uint_eq(ata_pio_in(at.cd, got + off, sizeof(got)), n);
		off += n;
		chunks++;
	}
	at_settle(at.cd);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_CMD) & (ATA_ST_DRQ | ATA_ST_ERR | ATA_ST_BSY), 0);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_NSECT) & 3, 3);
	ck_assert_int_eq(memcmp(got, img, sizeof(img)), 0);
	ck_assert_int_ge(chunks, (int)(sizeof(img) / 0xfffe));
	/* one crossing the end fails on its piece */
	read10(cdb, 100, BLOCKS);
	reg_packet(cdb, 0xfffe, false);
	for (int i = 0; i < 100 && !(ata_altstatus(at.cd) & ATA_ST_ERR); i++) {
		at_settle(at.cd);
		ata_pio_in(at.cd, got, sizeof(got));
		at_settle(at.cd);
	}
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_FEAT), SCSI_SK_ILLEGAL_REQUEST << 4 | ATA_ER_ABRT);
	ata_dev_destroy(at.cd);
	at.cd = cd;
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ata_atapi");
	TCase *t = tcase_create("atapi");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, dma_packets_and_request_sense);
	tcase_add_test(t, empty_drive_not_ready);
	tcase_add_test(t, device_image);
	tcase_add_test(t, pio_packet_byte_count_limit);
	tcase_add_test(t, register_path_dma_packet);
	tcase_add_test(t, device_reset_while_busy);
	tcase_add_test(t, pio_read_larger_than_the_bounce);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
