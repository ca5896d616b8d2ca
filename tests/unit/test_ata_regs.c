// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATA core's task-file register path (IDE's PIO way in): IDENTIFY through the data port,
 * PIO reads and writes per sector and per multiple block with the interrupts a driver waits for,
 * LBA48 through the HOB latches, errors reported at once, nIEN and SRST, the DMA hand-off, and the
 * IDENTIFY words decoded by a peer (hdparm --Istdin, Debian's hdparm). */
#include <sys/wait.h>

#include "tests/unit/ata_test.h"

static void setup(void) { at_setup(); }
static void teardown(void) { at_teardown(); }

static void wr(struct ata_dev *d, enum ata_reg r, uint8_t v) { ata_reg_write(d, r, v); }

/* LBA48 registers: high bytes first, as a driver does */
static void tf48(struct ata_dev *d, uint64_t lba, uint16_t n)
{
	wr(d, ATA_R_NSECT, (uint8_t)(n >> 8));
	wr(d, ATA_R_LBAL, (uint8_t)(lba >> 24));
	wr(d, ATA_R_LBAM, (uint8_t)(lba >> 32));
	wr(d, ATA_R_LBAH, (uint8_t)(lba >> 40));
	wr(d, ATA_R_NSECT, (uint8_t)n);
	wr(d, ATA_R_LBAL, (uint8_t)lba);
	wr(d, ATA_R_LBAM, (uint8_t)(lba >> 8));
	wr(d, ATA_R_LBAH, (uint8_t)(lba >> 16));
	wr(d, ATA_R_DEVICE, ATA_DEV_LBA);
}

static void ck_drq_irq(struct ata_dev *d, int irqs)
{
	ck_assert_int_eq(ata_altstatus(d) & (ATA_ST_BSY | ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
	ck_assert_int_eq(at.irqs, irqs);
	ck_assert(at.irq);
	ata_reg_read(d, ATA_R_CMD); /* the driver's status read acknowledges */
	ck_assert(!at.irq);
}

START_TEST(identify_through_the_data_port)
{
	wr(at.disk, ATA_R_CMD, 0xec);
	ck_drq_irq(at.disk, 1);
	ck_assert_int_eq(at.kicks, 0); /* no disk I/O */
	uint8_t id[512], want[512];
	ck_assert_uint_eq(ata_pio_in(at.disk, id, 100), 100);
	ck_assert_uint_eq(ata_pio_in(at.disk, id + 100, 1000), 412); /* stops at the block's end */
	ck_assert_int_eq(ata_altstatus(at.disk) & (ATA_ST_DRQ | ATA_ST_BSY | ATA_ST_DRDY), ATA_ST_DRDY);
	ck_assert_uint_eq(ata_pio_in(at.disk, want, 2), 0);
	ata_identify(at.disk, want);
	ck_assert_int_eq(memcmp(id, want, 512), 0);
	/* a CD-ROM aborts it and shows the packet signature */
	wr(at.cd, ATA_R_CMD, 0xec);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_CMD) & (ATA_ST_ERR | ATA_ST_DRQ), ATA_ST_ERR);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_FEAT), ATA_ER_ABRT);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_LBAM), 0x14);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_LBAH), 0xeb);
}
END_TEST

static void pio_read(uint8_t op, uint64_t lba, uint16_t n, unsigned per_irq, uint8_t *out)
{
	tf48(at.disk, lba, n);
	at.irqs = 0;
	wr(at.disk, ATA_R_CMD, op);
	for (unsigned got = 0, k = 1; got < n; k++) {
		ck_assert_int_ge(at.kicks, 1);
		at_settle(at.disk);
		ck_drq_irq(at.disk, (int)k);
		unsigned blk = n - got < per_irq ? n - got : per_irq;
		ck_assert_uint_eq(ata_pio_in(at.disk, out + got * 512, 65536), blk * 512);
		got += blk;
	}
	ck_assert_int_eq(ata_altstatus(at.disk) & (ATA_ST_BSY | ATA_ST_DRQ | ATA_ST_ERR), 0);
}

START_TEST(pio_write_then_read)
{
	enum { N = 5 };
	uint8_t data[N * 512], back[N * 512];
	dt_pattern(data, sizeof(data), 11);
	tf48(at.disk, 300, N);
	wr(at.disk, ATA_R_CMD, 0x34); /* WRITE SECTORS EXT */
	for (int k = 0; k < N; k++) {
		/* DRQ for each sector; an interrupt after each but the first comes from the write before */
		ck_assert_int_eq(ata_altstatus(at.disk) & (ATA_ST_BSY | ATA_ST_DRQ), ATA_ST_DRQ);
		ck_assert_int_eq(at.irqs, k);
		ck_assert_uint_eq(ata_pio_out(at.disk, data + k * 512, 300), 300);
		ck_assert_uint_eq(ata_pio_out(at.disk, data + k * 512 + 300, 4096), 212);
		ck_assert(ata_altstatus(at.disk) & ATA_ST_BSY);
		at_settle(at.disk);
		ata_reg_read(at.disk, ATA_R_CMD);
	}
	ck_assert_int_eq(at.irqs, N);
	ck_assert_int_eq(ata_altstatus(at.disk) & (ATA_ST_DRQ | ATA_ST_ERR), 0);
	pio_read(0x24, 300, N, 1, back);
	ck_assert_int_eq(memcmp(data, back, sizeof(data)), 0);
	/* READ MULTIPLE EXT: blocks of the multiple count, the last one short */
	wr(at.disk, ATA_R_NSECT, 2);
	wr(at.disk, ATA_R_CMD, 0xc6);
	at_settle(at.disk);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_CMD) & ATA_ST_ERR, 0);
	memset(back, 0, sizeof(back));
	pio_read(0x29, 300, N, 2, back);
	ck_assert_int_eq(memcmp(data, back, sizeof(data)), 0);
	at_close();
	int fd = open(at.disk_path, O_RDONLY);
	ck_assert_int_eq(pread(fd, back, sizeof(back), 300 * 512), (ssize_t)sizeof(back));
	close(fd);
	ck_assert_int_eq(memcmp(data, back, sizeof(data)), 0);
}
END_TEST

START_TEST(hob_registers_read_back)
{
	tf48(at.disk, 0x0000a1b2c3d4e5f6ULL, 0x1234);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_LBAL), 0xf6);
	ata_ctl_write(at.disk, ATA_CTL_HOB);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_LBAL), 0xc3);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_LBAH), 0xa1);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_NSECT), 0x12);
	ata_ctl_write(at.disk, 0);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_NSECT), 0x34);
	/* that LBA is far past the end: IDNF at once, with an interrupt, nothing queued */
	wr(at.disk, ATA_R_CMD, 0x24);
	ck_assert_int_eq(at.kicks, 0);
	ck_assert_int_eq(at.irqs, 1);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_CMD) & (ATA_ST_ERR | ATA_ST_DRQ | ATA_ST_BSY), ATA_ST_ERR);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_FEAT), ATA_ER_IDNF);
}
END_TEST

START_TEST(nien_and_srst)
{
	ata_ctl_write(at.disk, ATA_CTL_NIEN);
	wr(at.disk, ATA_R_CMD, 0xec);
	ck_assert(!at.irq);
	ck_assert(ata_irq_pending(at.disk));
	ata_ctl_write(at.disk, 0); /* unmasked: the pending interrupt shows */
	ck_assert(at.irq);
	ata_ctl_write(at.disk, ATA_CTL_SRST);
	ck_assert(ata_altstatus(at.disk) & ATA_ST_BSY);
	ata_ctl_write(at.disk, 0);
	ck_assert(!at.irq);
	ck_assert_int_eq(ata_altstatus(at.disk), ATA_ST_DRDY | ATA_ST_DSC);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_FEAT), 0x01);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_NSECT), 1);
	ck_assert_uint_eq(ata_pio_in(at.disk, (uint8_t[2]){ 0 }, 2), 0); /* the transfer is gone */
	ata_ctl_write(at.cd, ATA_CTL_SRST);
	ata_ctl_write(at.cd, 0);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_LBAM), 0x14);
	ck_assert_int_eq(ata_reg_read(at.cd, ATA_R_LBAH), 0xeb);
}
END_TEST

START_TEST(dma_hand_off)
{
	dt_pattern(at_ram(0x4000), 8 * 512, 21);
	bool write = false;
	tf48(at.disk, 40, 8);
	wr(at.disk, ATA_R_CMD, 0x35); /* WRITE DMA EXT */
	ck_assert(ata_dma_pending(at.disk, &write));
	ck_assert(write);
	ck_assert_int_eq(ata_altstatus(at.disk) & (ATA_ST_DRQ | ATA_ST_BSY), ATA_ST_DRQ);
	ck_assert_int_eq(at.irqs, 0);
	at_dma(at.disk, 0x4000, 8 * 512);
	ck_assert_int_eq(at.dma_err, 0);
	ck_assert_uint_eq(at.dma_bytes, 8 * 512);
	ck_assert_int_eq(at.irqs, 1);
	ck_assert_int_eq(ata_reg_read(at.disk, ATA_R_CMD) & (ATA_ST_ERR | ATA_ST_DRQ | ATA_ST_BSY), 0);
	ck_assert(!ata_dma_pending(at.disk, NULL));
	/* a bus master started with nothing pending fails at once */
	at_dma(at.disk, 0x4000, 512);
	ck_assert_int_eq(at.dma_err, -EINVAL);
	/* read it back through PIO */
	uint8_t back[8 * 512];
	pio_read(0x24, 40, 8, 1, back);
	ck_assert_int_eq(memcmp(back, at_ram(0x4000), sizeof(back)), 0);
}
END_TEST

/* hdparm decodes the IDENTIFY words (its --Istdin takes them as /proc/ide's identify file) */
static void hdparm_says(struct ata_dev *d, const char *const *want)
{
	if (system("command -v hdparm >/dev/null 2>&1") != 0)
		UNIT_SKIP("ata_regs: hdparm_identify", "hdparm not installed (Debian package hdparm)");
	uint8_t id[512];
	ata_identify(d, id);
	char in[96], out[96], cmd[256];
	dt_path(in, "identify.txt");
	dt_path(out, "hdparm.txt");
	FILE *f = fopen(in, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 256; i++)
		fprintf(f, "%04x%c", at_word(id, (unsigned)i), i % 8 == 7 ? '\n' : ' ');
	fclose(f);
	snprintf(cmd, sizeof(cmd), "hdparm --Istdin <%s >%s 2>&1", in, out);
	ck_assert_int_eq(system(cmd), 0);
	for (int i = 0; want[i]; i++) {
		snprintf(cmd, sizeof(cmd), "grep -Eq '%s' %s", want[i], out);
		ck_assert_msg(system(cmd) == 0, "hdparm output lacks /%s/", want[i]);
	}
}

START_TEST(hdparm_identify)
{
	static const char *const disk[] = {
		"^ATA device", "Model Number: +TEST DISK", "Serial Number: +SER-0001",
		"LBA +user addressable sectors: +16384", "LBA48 +user addressable sectors: +16384",
		"Logical +Sector size: +512 bytes", "R/W multiple sector transfer: Max = 16",
		"\\*udma5", "\\*[[:space:]]+Write cache", "\\*[[:space:]]+48-bit Address feature set", "\\*[[:space:]]+FLUSH_CACHE_EXT",
		"\\*[[:space:]]+Data Set Management TRIM supported", "Checksum: correct", NULL,
	};
	wr(at.disk, ATA_R_FEAT, 0x03);
	wr(at.disk, ATA_R_NSECT, 0x45); /* UDMA 5 selected: hdparm stars it */
	wr(at.disk, ATA_R_CMD, 0xef);
	at_settle(at.disk);
	hdparm_says(at.disk, disk);
	static const char *const cd[] = { "^ATAPI CD-ROM, with removable media", "Packet size: 12 bytes",
		"\\*[[:space:]]+PACKET command feature set", "\\*[[:space:]]+DEVICE_RESET command", NULL };
	hdparm_says(at.cd, cd);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ata_regs");
	TCase *t = tcase_create("regs");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, identify_through_the_data_port);
	tcase_add_test(t, pio_write_then_read);
	tcase_add_test(t, hob_registers_read_back);
	tcase_add_test(t, nien_and_srst);
	tcase_add_test(t, dma_hand_off);
	tcase_add_test(t, hdparm_identify);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
