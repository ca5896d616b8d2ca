// SPDX-License-Identifier: GPL-2.0-or-later
/* The PIIX3 IDE function through the ports a guest uses: its PCI identity beside the ISA bridge,
 * channel decode, device selection (an absent slave, an empty channel), IDENTIFY over the data
 * port in whole rep insw batches and in the chunks KVM splits them into, PIO reads and writes
 * across DRQ blocks, LBA28/LBA48 boundaries and reads past the end, ISA IRQ 14/15 and nIEN, and
 * ATAPI PACKET commands over PIO with the byte count limit. */
#include "tests/unit/ide_test.h"

static void setup(void) { it_setup(); }
static void teardown(void) { it_teardown(); }

/* a PIO data-in command's data: every DRQ block of 512 bytes, as batches of `chunk` words */
static void pio_in(unsigned ch, uint8_t *buf, unsigned sectors, unsigned chunk)
{
	for (unsigned s = 0; s < sectors; s++) {
		uint8_t st = it_wait(ch);
		ck_assert_int_eq(st & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
		for (unsigned w = 0; w < 256; w += chunk) {
			unsigned n = 256 - w < chunk ? 256 - w : chunk;
			bus_access_rep(&it.pio, it_cmd(ch), buf + 512 * s + 2 * w, 2, n, 0);
		}
	}
}

START_TEST(pci_identity_beside_the_isa_bridge)
{
	ck_assert_uint_eq(it_cfg_read(0, 0, 4), 0x70008086);
	ck_assert_uint_eq(it_cfg_read(0, 0x08, 4) >> 8, 0x060100);
	ck_assert_uint_eq(it_cfg_read(0, 0x0e, 1), 0x80); /* multi-function */
	ck_assert_uint_eq(it_cfg_read(1, 0, 4), 0x70108086);
	ck_assert_uint_eq(it_cfg_read(1, 0x08, 4) >> 8, 0x010180); /* IDE, compatibility mode, bus master */
	ck_assert_uint_eq(it_cfg_read(2, 0, 4), 0xffffffff);      /* no function 2 */
	ck_assert_uint_eq(it_cfg_read(1, 0x10, 4), 0);            /* BAR0-3: legacy ports, not BARs */
	ck_assert_uint_eq(it_cfg_read(1, 0x20, 4) & 1, 1);        /* BAR4: I/O */
	ck_assert_uint_ge(it.bm, 0xc000);
	ck_assert_uint_eq(it_cfg_read(1, 0x41, 1) & 0x80, 0x80);  /* both channels decode */
	ck_assert_uint_eq(it_cfg_read(1, 0x43, 1) & 0x80, 0x80);
	/* the timing registers are the driver's; clearing the enable bit stops the channel */
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_CMD, 1) & ATA_ST_DRDY, ATA_ST_DRDY);
	it_cfg_write(1, 0x40, 0x0307, 2);
	ck_assert_uint_eq(it_cfg_read(1, 0x40, 2), 0x0307);
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_CMD, 1), 0xff);
	it_cfg_write(1, 0x40, 0x8307, 2);
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_CMD, 1) & ATA_ST_DRDY, ATA_ST_DRDY);
	/* so does the command register's I/O decode */
	it_cfg_write(1, 0x04, 0, 2);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_LBAM, 1), 0xff);
	it_cfg_write(1, 0x04, 1, 2);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_LBAM, 1), 0x14); /* the packet signature */
}
END_TEST

START_TEST(identify_in_one_batch_and_in_chunks)
{
	uint8_t want[512], got[512];
	ata_identify(at.disk, want);
	for (unsigned chunk = 256; chunk >= 1; chunk = chunk == 256 ? 100 : chunk == 100 ? 7 : 0) {
		int raises = it.rec.raises[14];
		it_out(it_cmd(0) + ATA_R_DEVICE, 0, 1);
		it_out(it_cmd(0) + ATA_R_CMD, 0xec, 1);
		ck_assert_int_eq(it.rec.raises[14], raises + 1); /* IDENTIFY needs no I/O: at once */
		ck_assert_int_eq(it.rec.level[14], 1);
		memset(got, 0, sizeof(got));
		pio_in(0, got, 1, chunk);
		ck_assert_int_eq(memcmp(want, got, sizeof(got)), 0);
		ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_CMD, 1) & (ATA_ST_DRQ | ATA_ST_BSY | ATA_ST_ERR), 0);
		ck_assert_int_eq(it.rec.level[14], 0); /* the status read took INTRQ down */
	}
	/* the BM interrupt bit followed the device's interrupt; write 1 clears it */
	ck_assert_uint_eq(it_in(it.bm + IDE_BM_STATUS, 1) & IDE_BM_ST_INT, IDE_BM_ST_INT);
	it_out(it.bm + IDE_BM_STATUS, IDE_BM_ST_INT, 1);
	ck_assert_uint_eq(it_in(it.bm + IDE_BM_STATUS, 1) & IDE_BM_ST_INT, 0);
	/* the CD-ROM aborts IDENTIFY DEVICE with the packet signature and answers IDENTIFY PACKET */
	it_out(it_cmd(1) + ATA_R_DEVICE, 0, 1);
	it_out(it_cmd(1) + ATA_R_CMD, 0xec, 1);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_CMD, 1) & ATA_ST_ERR, ATA_ST_ERR);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_LBAM, 1) | it_in(it_cmd(1) + ATA_R_LBAH, 1) << 8, 0xeb14);
	it_out(it_cmd(1) + ATA_R_CMD, 0xa1, 1);
	ck_assert_int_eq(it.rec.level[15], 1);
	pio_in(1, got, 1, 256);
	ata_identify(at.cd, want);
	ck_assert_int_eq(memcmp(want, got, sizeof(got)), 0);
}
END_TEST

START_TEST(absent_slave_and_empty_channel)
{
	/* the slave of channel 0 is not there: its registers read 0, a command does nothing */
	it_out(it_cmd(0) + ATA_R_DEVICE, ATA_DEV_DEV, 1);
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_CMD, 1), 0);
	ck_assert_uint_eq(it_in(it_ctl(0), 1), 0);
	it_out(it_cmd(0) + ATA_R_CMD, 0xec, 1);
	ck_assert_int_eq(it.rec.raises[14], 0);
	ck_assert_uint_eq(it_in(it_cmd(0), 2), 0xffff);
	/* back to the master, which still answers */
	it_out(it_cmd(0) + ATA_R_DEVICE, 0, 1);
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_CMD, 1) & ATA_ST_DRDY, ATA_ST_DRDY);
	it_teardown();
	/* a channel without devices is not enabled and floats high */
	it_setup_with(true);
	ck_assert_uint_eq(it_cfg_read(1, 0x43, 1) & 0x80, 0);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_CMD, 1), 0xff);
	it_cfg_write(1, 0x42, 0x8000, 2);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_CMD, 1), 0xff);
	ck_assert_uint_eq(it_in(it_ctl(1), 1), 0xff);
}
END_TEST

START_TEST(pio_write_then_read_lba28_and_boundaries)
{
	enum { N = 3 };
	uint8_t data[N * 512], back[N * 512];
	dt_pattern(data, sizeof(data), 11);
	it_tf28(0, 0, 1000, N);
	it_out(it_cmd(0) + ATA_R_CMD, 0x30, 1); /* WRITE SECTORS */
	for (unsigned s = 0; s < N; s++) {
		ck_assert_int_eq(it_wait(0) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
		bus_access_rep(&it.pio, it_cmd(0), data + 512 * s, 4, 128, 1); /* 32-bit rep outsd */
	}
	ck_assert_int_eq(it_wait(0) & (ATA_ST_DRQ | ATA_ST_ERR), 0);
	it_tf28(0, 0, 1000, N);
	it_out(it_cmd(0) + ATA_R_CMD, 0x20, 1); /* READ SECTORS */
	pio_in(0, back, N, 256);
	ck_assert_int_eq(memcmp(data, back, sizeof(back)), 0);
	/* the last sector reads; one past the end and a count across the end are IDNF */
	uint32_t last = AT_DISK_SIZE / 512 - 1;
	it_tf28(0, 0, last, 1);
	it_out(it_cmd(0) + ATA_R_CMD, 0x20, 1);
	pio_in(0, back, 1, 256);
	ck_assert_int_eq(it_wait(0) & ATA_ST_ERR, 0);
	const uint32_t bad[][2] = { { last + 1, 1 }, { last, 2 }, { 0x0fffffff, 1 } };
	for (unsigned i = 0; i < 3; i++) {
		it_tf28(0, 0, bad[i][0], (uint8_t)bad[i][1]);
		it_out(it_cmd(0) + ATA_R_CMD, 0x20, 1);
		ck_assert_int_eq(it_wait(0) & (ATA_ST_ERR | ATA_ST_DRQ), ATA_ST_ERR);
		ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_FEAT, 1), ATA_ER_IDNF);
	}
	/* LBA48: the last sector by READ SECTORS EXT, past it IDNF; the high bytes read back with HOB */
	it_tf48(last, 1);
	it_out(it_cmd(0) + ATA_R_CMD, 0x24, 1);
	pio_in(0, back, 1, 64);
	ck_assert_int_eq(it_wait(0) & ATA_ST_ERR, 0);
	it_tf48(0x100000000ULL + last, 1);
	it_out(it_cmd(0) + ATA_R_CMD, 0x24, 1);
	ck_assert_int_eq(it_wait(0) & ATA_ST_ERR, ATA_ST_ERR);
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_FEAT, 1), ATA_ER_IDNF);
	it_out(it_ctl(0), ATA_CTL_HOB, 1);
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_LBAM, 1), 0x01); /* LBA bits 39-32 */
	it_out(it_ctl(0), 0, 1);
}
END_TEST

START_TEST(nien_masks_the_line_and_srst_selects_the_master)
{
	it_out(it_ctl(0), ATA_CTL_NIEN, 1);
	it_out(it_cmd(0) + ATA_R_DEVICE, 0, 1);
	it_out(it_cmd(0) + ATA_R_CMD, 0xe5, 1); /* CHECK POWER MODE */
	ck_assert_uint_eq(it_wait(0) & ATA_ST_ERR, 0);
	ck_assert_int_eq(it.rec.raises[14], 0);
	it_out(it_ctl(0), 0, 1); /* the pending interrupt shows once nIEN is off */
	ck_assert_int_eq(it.rec.level[14], 1);
	it_in(it_cmd(0) + ATA_R_CMD, 1);
	ck_assert_int_eq(it.rec.level[14], 0);
	it_out(it_cmd(0) + ATA_R_DEVICE, ATA_DEV_DEV, 1);
	it_out(it_ctl(0), ATA_CTL_SRST, 1);
	it_out(it_ctl(0), 0, 1);
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_NSECT, 1), 1); /* the master's signature */
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_CMD, 1) & ATA_ST_DRDY, ATA_ST_DRDY);
}
END_TEST

/* a PACKET command on the CD-ROM with byte count limit bcl; returns the status after the CDB */
static void packet(const uint8_t *cdb, uint16_t bcl, bool dma)
{
	uint16_t p = it_cmd(1);
	it_out(p + ATA_R_DEVICE, 0, 1);
	it_out(p + ATA_R_FEAT, dma ? 1 : 0, 1);
	it_out(p + ATA_R_LBAM, bcl & 0xff, 1);
	it_out(p + ATA_R_LBAH, bcl >> 8, 1);
	it_out(p + ATA_R_CMD, 0xa0, 1);
	ck_assert_int_eq(it_wait(1) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
	ck_assert_uint_eq(it_in(p + ATA_R_NSECT, 1), 1); /* C/D: the packet */
	bus_access_rep(&it.pio, p, (void *)cdb, 2, 6, 1);
}

START_TEST(atapi_read_over_pio)
{
	static uint8_t cd[AT_CD_BLOCKS * 2048], got[3 * 2048];
	dt_pattern(cd, sizeof(cd), 77);
	const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 5, 0, 0, 3 }; /* READ(10) LBA 5, 3 blocks */
	/* the first command after power-on reports the unit attention: TEST UNIT READY clears it */
	const uint8_t tur[12] = { 0 };
	packet(tur, 0, false);
	it_wait(1);
	packet(tur, 0, false);
	ck_assert_int_eq(it_wait(1) & ATA_ST_ERR, 0);
	packet(rd, 2048, false);
	for (unsigned b = 0; b < 3; b++) { /* one DRQ chunk of the limit each */
		it_wait(1);
		/* the status read as an interrupt handler does it: INTRQ down for the next chunk's */
		ck_assert_int_eq(it_in(it_cmd(1) + ATA_R_CMD, 1) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
		ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_NSECT, 1), 2); /* I/O: to the host */
		ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_LBAM, 1) | it_in(it_cmd(1) + ATA_R_LBAH, 1) << 8, 2048);
		bus_access_rep(&it.pio, it_cmd(1), got + 2048 * b, 2, 1024, 0);
	}
	ck_assert_int_eq(it_wait(1) & (ATA_ST_DRQ | ATA_ST_ERR), 0);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_NSECT, 1), 3); /* I/O and C/D: done */
	ck_assert_int_eq(memcmp(got, cd + 5 * 2048, sizeof(got)), 0);
	ck_assert_int_ge(it.rec.raises[15], 4);
	/* past the medium's end: CHECK CONDITION, ILLEGAL REQUEST in the error register */
	const uint8_t past[12] = { 0x28, 0, 0, 0, 0, AT_CD_BLOCKS, 0, 0, 1 };
	packet(past, 2048, false);
	ck_assert_int_eq(it_wait(1) & ATA_ST_ERR, ATA_ST_ERR);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_FEAT, 1) >> 4, 5);
}
END_TEST

START_TEST(atapi_data_out_over_pio)
{
	const uint8_t tur[12] = { 0 };
	packet(tur, 0, false); /* the power-on unit attention */
	it_wait(1);
	/* MODE SELECT(10) with a 12-byte parameter list (8-byte header, 4 more: a short page list
	 * the target must see to refuse) in chunks of a 8-byte limit */
	const uint8_t ms[12] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, 8 }, hdr[8] = { 0 };
	packet(ms, 8, false);
	ck_assert_int_eq(it_wait(1) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_NSECT, 1), 0); /* data to the device */
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_LBAM, 1), 8);
	bus_access_rep(&it.pio, it_cmd(1), (void *)hdr, 2, 4, 1);
	ck_assert_int_eq(it_wait(1) & (ATA_ST_DRQ | ATA_ST_ERR), 0); /* the header alone is good */
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_NSECT, 1), 3);
	/* 12 bytes in two chunks (8, 4); the 4-byte "page" is malformed: the target read it */
	const uint8_t ms12[12] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, 12 }, data[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0x3e, 2 };
	packet(ms12, 8, false);
	ck_assert_int_eq(it_wait(1) & ATA_ST_DRQ, ATA_ST_DRQ);
	bus_access_rep(&it.pio, it_cmd(1), (void *)data, 2, 4, 1);
	ck_assert_int_eq(it_wait(1) & ATA_ST_DRQ, ATA_ST_DRQ);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_LBAM, 1), 4);
	bus_access_rep(&it.pio, it_cmd(1), (void *)(data + 8), 2, 2, 1);
	ck_assert_int_eq(it_wait(1) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_ERR);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_FEAT, 1) >> 4, 5); /* ILLEGAL REQUEST: bad parameter */
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ide");
	TCase *t = tcase_create("ports");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, pci_identity_beside_the_isa_bridge);
	tcase_add_test(t, identify_in_one_batch_and_in_chunks);
	tcase_add_test(t, absent_slave_and_empty_channel);
	tcase_add_test(t, pio_write_then_read_lba28_and_boundaries);
	tcase_add_test(t, nien_masks_the_line_and_srst_selects_the_master);
	tcase_add_test(t, atapi_read_over_pio);
	tcase_add_test(t, atapi_data_out_over_pio);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
