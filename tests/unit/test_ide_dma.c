// SPDX-License-Identifier: GPL-2.0-or-later
/* The PIIX3 IDE bus master: READ/WRITE DMA over scattered PRD entries (the data checked in the
 * image), a count of 0 meaning 64 KiB, the bus master started before or after the command, PRD
 * entries and tables outside RAM and a table without an end bit (BM error and interrupt bits,
 * the command aborted, the controller usable afterwards), ATAPI PACKET over DMA, and the saved
 * state: a command waiting for the bus master survives save -> load into a fresh controller,
 * truncated payloads are refused. */
#include <fcntl.h>

#include "tests/unit/ide_test.h"
#include "tests/unit/state_test.h"

static void setup(void) { it_setup(); }
static void teardown(void) { it_teardown(); }

static void image_read(uint64_t off, void *buf, size_t len)
{
	int fd = open(at.disk_path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* a DMA command on the primary master; returns the device status after it ended */
static uint8_t dma_cmd(uint8_t op, uint32_t lba, uint8_t n, bool start_first)
{
	bool read = op == 0xc8 || op == 0x25;
	if (start_first)
		it_bm_start(0, IT_PRD, read);
	it_tf28(0, 0, lba, n);
	it_out(it_cmd(0) + ATA_R_CMD, op, 1);
	if (!start_first) {
		ck_assert_int_eq(it_in(it_ctl(0), 1) & ATA_ST_DRQ, ATA_ST_DRQ); /* waits for the bus master */
		it_bm_start(0, IT_PRD, read);
	}
	it_wait_bm(0);
	uint8_t st = it_wait(0);
	it_out(it.bm + IDE_BM_CMD, 0, 1);
	return st;
}

START_TEST(dma_write_and_read_over_scattered_prds)
{
	enum { N = 24 };
	static uint8_t data[N * 512], back[N * 512];
	dt_pattern(data, sizeof(data), 5);
	/* three pieces: 4 KiB, 6 KiB (odd placement), the rest */
	uint32_t a[3] = { IT_BUF, IT_BUF + 0x3000, IT_BUF + 0x8000 }, l[3] = { 0x1000, 0x1800, N * 512 - 0x2800 };
	for (unsigned i = 0, off = 0; i < 3; off += l[i], i++) {
		memcpy(at_ram(a[i]), data + off, l[i]);
		it_prd(i, a[i], l[i], i == 2);
	}
	ck_assert_int_eq(dma_cmd(0xca, 2000, N, false) & (ATA_ST_ERR | ATA_ST_DRQ), 0); /* WRITE DMA */
	uint8_t bm = (uint8_t)it_in(it.bm + IDE_BM_STATUS, 1);
	ck_assert_int_eq(bm & (IDE_BM_ST_ACTIVE | IDE_BM_ST_ERR | IDE_BM_ST_INT), IDE_BM_ST_INT);
	ck_assert_int_ge(it.rec.raises[14], 1);
	image_read(2000 * 512, back, sizeof(back));
	ck_assert_int_eq(memcmp(data, back, sizeof(back)), 0);
	/* and back with READ DMA, the bus master started first */
	for (unsigned i = 0; i < 3; i++)
		memset(at_ram(a[i]), 0, l[i]);
	ck_assert_int_eq(dma_cmd(0xc8, 2000, N, true) & (ATA_ST_ERR | ATA_ST_DRQ), 0);
	for (unsigned i = 0, off = 0; i < 3; off += l[i], i++)
		ck_assert_int_eq(memcmp(at_ram(a[i]), data + off, l[i]), 0);
}
END_TEST

START_TEST(count_zero_is_64k)
{
	static uint8_t want[65536];
	dt_pattern(want, sizeof(want), 9);
	dt_poke(at.disk_path, 512 * 128, want, sizeof(want));
	it_prd(0, IT_BUF, 0, true);
	ck_assert_int_eq(dma_cmd(0xc8, 128, 128, false) & ATA_ST_ERR, 0);
	ck_assert_int_eq(memcmp(at_ram(IT_BUF), want, sizeof(want)), 0);
	ck_assert_int_eq(it_in(it.bm + IDE_BM_STATUS, 1) & IDE_BM_ST_ERR, 0);
}
END_TEST

/* the command ends aborted, BM error and interrupt set, and then a good one still works */
static void bad_table(void)
{
	uint8_t st = dma_cmd(0xc8, 0, 8, false);
	ck_assert_int_eq(st & ATA_ST_ERR, ATA_ST_ERR);
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_FEAT, 1), ATA_ER_ABRT);
	uint8_t bm = (uint8_t)it_in(it.bm + IDE_BM_STATUS, 1);
	ck_assert_int_eq(bm & (IDE_BM_ST_ACTIVE | IDE_BM_ST_ERR | IDE_BM_ST_INT), IDE_BM_ST_ERR | IDE_BM_ST_INT);
	it_prd(0, IT_BUF, 4096, true);
	ck_assert_int_eq(dma_cmd(0xc8, 0, 8, false) & ATA_ST_ERR, 0);
	ck_assert_int_eq(it_in(it.bm + IDE_BM_STATUS, 1) & IDE_BM_ST_ERR, 0);
}

START_TEST(prd_entry_outside_ram)
{
	it_prd(0, IT_BUF, 2048, false);
	it_prd(1, AT_RAM - 1024, 2048, true); /* runs off the end of RAM */
	bad_table();
	it_prd(0, 0xfffff000u, 4096, true); /* nowhere near RAM */
	bad_table();
}
END_TEST

START_TEST(prd_table_outside_ram_or_without_eot)
{
	it_bm_start(0, AT_RAM - 4, true); /* the entry itself straddles the end of RAM */
	it_tf28(0, 0, 0, 8);
	it_out(it_cmd(0) + ATA_R_CMD, 0xc8, 1);
	it_wait_bm(0);
	ck_assert_int_eq(it_wait(0) & ATA_ST_ERR, ATA_ST_ERR);
	ck_assert_int_eq(it_in(it.bm + IDE_BM_STATUS, 1) & IDE_BM_ST_ERR, IDE_BM_ST_ERR);
	it_out(it.bm + IDE_BM_CMD, 0, 1);
	it_prd(0, IT_BUF, 4096, true);
	ck_assert_int_eq(dma_cmd(0xc8, 0, 8, false) & ATA_ST_ERR, 0);
	/* a full 64 KiB table of good entries, none with EOT */
	for (unsigned i = 0; i < IDE_PRD_MAX; i++)
		it_prd(i, IT_BUF, 2, false);
	bad_table();
}
END_TEST

START_TEST(atapi_over_dma)
{
	static uint8_t cd[AT_CD_BLOCKS * 2048];
	dt_pattern(cd, sizeof(cd), 77);
	const uint8_t tur[12] = { 0 }, rd[12] = { 0x28, 0, 0, 0, 0, 10, 0, 0, 4 };
	for (int i = 0; i < 2; i++) { /* the power-on unit attention, then ready */
		it_out(it_cmd(1) + ATA_R_DEVICE, 0, 1);
		it_out(it_cmd(1) + ATA_R_FEAT, 0, 1);
		it_out(it_cmd(1) + ATA_R_CMD, 0xa0, 1);
		bus_access_rep(&it.pio, it_cmd(1), (void *)tur, 2, 6, 1);
		it_wait(1);
	}
	ck_assert_int_eq(it_in(it_cmd(1) + ATA_R_CMD, 1) & ATA_ST_ERR, 0);
	it_prd(0, IT_BUF, 4096, false);
	it_prd(1, IT_BUF + 0x2000, 4096, true);
	it_out(it_cmd(1) + ATA_R_FEAT, 1, 1); /* DMA */
	it_out(it_cmd(1) + ATA_R_CMD, 0xa0, 1);
	ck_assert_int_eq(it_wait(1) & ATA_ST_DRQ, ATA_ST_DRQ);
	bus_access_rep(&it.pio, it_cmd(1), (void *)rd, 2, 6, 1);
	ck_assert_int_eq(it_in(it_ctl(1), 1) & ATA_ST_DRQ, ATA_ST_DRQ); /* waits for the bus master */
	it_bm_start(1, IT_PRD, true);
	it_wait_bm(1);
	ck_assert_int_eq(it_wait(1) & (ATA_ST_ERR | ATA_ST_DRQ), 0);
	ck_assert_uint_eq(it_in(it_cmd(1) + ATA_R_NSECT, 1), 3); /* I/O, C/D: complete */
	ck_assert_int_eq(memcmp(at_ram(IT_BUF), cd + 10 * 2048, 4096), 0);
	ck_assert_int_eq(memcmp(at_ram(IT_BUF + 0x2000), cd + 12 * 2048, 4096), 0);
	ck_assert_int_eq(it_in(it.bm + 8 + IDE_BM_STATUS, 1) & (IDE_BM_ST_INT | IDE_BM_ST_ERR), IDE_BM_ST_INT);
	ck_assert_int_ge(it.rec.raises[15], 1);
}
END_TEST

START_TEST(state_round_trip_with_a_command_waiting_for_dma)
{
	static uint8_t want[8 * 512];
	dt_pattern(want, sizeof(want), 21);
	dt_poke(at.disk_path, 512 * 40, want, sizeof(want));
	it_out(it.bm + IDE_BM_STATUS, IDE_BM_ST_DMA0, 1);
	it_out(it.bm + IDE_BM_PRD, IT_PRD, 4);
	it_prd(0, IT_BUF, 4096, true);
	it_tf28(0, 0, 40, 8);
	it_out(it_cmd(0) + ATA_R_CMD, 0xc8, 1); /* READ DMA: waits for the bus master */
	ck_assert_int_eq(ide_pause(it.c), 0);
	size_t n, nd;
	uint8_t *p = st_save(&ide_state_ops, it.c, &n);
	uint8_t *pd = st_save(&ata_dev_state_ops, at.disk, &nd);
	st_check_short(&ide_state_ops, it.c, p, n, 0);
	ide_resume(it.c);
	/* a fresh board takes the state and finishes the command (at_setup made the image anew) */
	it_teardown();
	it_setup();
	dt_poke(at.disk_path, 512 * 40, want, sizeof(want));
	ck_assert_int_eq(it_in(it_ctl(0), 1) & ATA_ST_DRQ, 0);
	ck_assert_int_eq(ide_pause(it.c), 0);
	ck_assert_int_eq(st_load(&ide_state_ops, it.c, p, n), 0);
	ck_assert_int_eq(st_load(&ata_dev_state_ops, at.disk, pd, nd), 0);
	st_assert_same(&ide_state_ops, it.c, p, n, 0, "load", 0);
	ide_resume(it.c);
	ck_assert_int_eq(it_in(it.bm + IDE_BM_STATUS, 1) & IDE_BM_ST_DMA0, IDE_BM_ST_DMA0);
	ck_assert_int_eq(it_in(it_ctl(0), 1) & ATA_ST_DRQ, ATA_ST_DRQ);
	it_prd(0, IT_BUF, 4096, true); /* RAM is not part of this test's state */
	it_out(it.bm + IDE_BM_CMD, IDE_BM_CMD_START | IDE_BM_CMD_READ, 1);
	it_wait_bm(0);
	ck_assert_int_eq(it_wait(0) & ATA_ST_ERR, 0);
	ck_assert_int_eq(memcmp(at_ram(IT_BUF), want, sizeof(want)), 0);
	/* values a guest could not have made are refused */
	uint8_t bad[4] = { 2, 0xf0, 0x80, 0x03 }; /* unit 2, BM command bits, status bit 7, PRD bit 1 */
	unsigned at_[4] = { PCI_CFG_SIZE, PCI_CFG_SIZE + 1, PCI_CFG_SIZE + 2, PCI_CFG_SIZE + 3 };
	for (unsigned i = 0; i < 4; i++) {
		uint8_t saved = p[at_[i]];
		p[at_[i]] = bad[i];
		ck_assert_int_eq(ide_pause(it.c), 0);
		ck_assert_int_eq(st_load(&ide_state_ops, it.c, p, n), -EINVAL);
		ide_resume(it.c);
		p[at_[i]] = saved;
	}
	free(p);
	free(pd);
}
END_TEST

/* a non-data command on the primary master: its status and error register */
static uint8_t nodata(uint8_t op, uint8_t feat, uint8_t n, uint8_t *err)
{
	it_out(it_cmd(0) + ATA_R_DEVICE, ATA_DEV_LBA, 1);
	it_out(it_cmd(0) + ATA_R_FEAT, feat, 1);
	it_out(it_cmd(0) + ATA_R_NSECT, n, 1);
	it_out(it_cmd(0) + ATA_R_CMD, op, 1);
	uint8_t st = it_wait(0);
	*err = (uint8_t)it_in(it_cmd(0) + ATA_R_FEAT, 1);
	it_in(it_cmd(0) + ATA_R_CMD, 1);
	return st;
}

START_TEST(command_set_over_the_ports)
{
	uint8_t err;
	const struct {
		uint8_t op, feat, n;
		bool ok;
	} cmds[] = {
		{ 0xef, 0x03, 0x22, true },  /* SET FEATURES: MWDMA2, what ata_piix sets */
		{ 0xef, 0x03, 0x0c, true },  /* PIO 4 */
		{ 0xef, 0x82, 0, true },     /* write cache off */
		{ 0xef, 0x02, 0, true },     /* and on */
		{ 0xef, 0x99, 0, false },    /* no such feature */
		{ 0xc6, 0, 8, true },        /* SET MULTIPLE MODE 8 */
		{ 0xc6, 0, 3, false },       /* not a power of two */
		{ 0xe7, 0, 0, true },        /* FLUSH CACHE */
		{ 0xea, 0, 0, true },        /* FLUSH CACHE EXT */
		{ 0x40, 0, 4, true },        /* READ VERIFY */
		{ 0xe3, 0, 0, true },        /* IDLE */
		{ 0xe2, 0, 0, true },        /* STANDBY */
		{ 0xe5, 0, 0, true },        /* CHECK POWER MODE */
		{ 0xa0, 0, 0, false },       /* PACKET: a disk aborts it */
		{ 0xa1, 0, 0, false },       /* IDENTIFY PACKET DEVICE too */
		{ 0x60, 0, 0, false },       /* NCQ: not on PATA */
		{ 0xff, 0, 0, false },       /* nothing */
	};
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		uint8_t st = nodata(cmds[i].op, cmds[i].feat, cmds[i].n, &err);
		ck_assert_msg(!(st & ATA_ST_ERR) == cmds[i].ok, "command %#x: status %#x", cmds[i].op, st);
		if (!cmds[i].ok)
			ck_assert_uint_eq(err, ATA_ER_ABRT);
	}
	ck_assert_uint_eq(it_in(it_cmd(0) + ATA_R_NSECT, 1), 0x00); /* CHECK POWER MODE said standby */
	/* EXECUTE DEVICE DIAGNOSTIC: passed (01), the disk's signature */
	nodata(0x90, 0, 0, &err);
	ck_assert_uint_eq(err, 0x01);
	/* READ MULTIPLE (8 per DRQ block) over what WRITE DMA EXT put at LBA 48 bits */
	static uint8_t data[16 * 512], back[16 * 512];
	dt_pattern(data, sizeof(data), 3);
	memcpy(at_ram(IT_BUF), data, sizeof(data));
	it_prd(0, IT_BUF, sizeof(data), true);
	it_tf48(77, 16);
	it_out(it_cmd(0) + ATA_R_CMD, 0x35, 1);
	it_bm_start(0, IT_PRD, false);
	it_wait_bm(0);
	ck_assert_int_eq(it_wait(0) & ATA_ST_ERR, 0);
	it_out(it.bm + IDE_BM_CMD, 0, 1);
	it_tf28(0, 0, 77, 16);
	it_out(it_cmd(0) + ATA_R_CMD, 0xc4, 1);
	for (unsigned b = 0; b < 2; b++) {
		ck_assert_int_eq(it_wait(0) & (ATA_ST_DRQ | ATA_ST_ERR), ATA_ST_DRQ);
		bus_access_rep(&it.pio, it_cmd(0), back + 4096 * b, 2, 2048, 0); /* one rep per block */
	}
	ck_assert_int_eq(it_wait(0) & (ATA_ST_DRQ | ATA_ST_ERR), 0);
	ck_assert_int_eq(memcmp(data, back, sizeof(back)), 0);
	/* DATA SET MANAGEMENT (TRIM) over DMA: one range, then READ DMA EXT reads zeroes there */
	le_put64(at_ram(IT_BUF), 0, 77 | (uint64_t)16 << 48);
	memset(at_ram(IT_BUF + 8), 0, 504);
	it_prd(0, IT_BUF, 512, true);
	it_out(it_cmd(0) + ATA_R_DEVICE, ATA_DEV_LBA, 1);
	it_out(it_cmd(0) + ATA_R_FEAT, 1, 1);
	it_out(it_cmd(0) + ATA_R_NSECT, 0, 1);
	it_out(it_cmd(0) + ATA_R_NSECT, 1, 1);
	it_out(it_cmd(0) + ATA_R_CMD, 0x06, 1);
	it_bm_start(0, IT_PRD, false);
	it_wait_bm(0);
	ck_assert_int_eq(it_wait(0) & ATA_ST_ERR, 0);
	it_out(it.bm + IDE_BM_CMD, 0, 1);
	it_prd(0, IT_BUF, sizeof(back), true);
	memset(at_ram(IT_BUF), 0xee, sizeof(back));
	it_tf48(77, 16);
	it_out(it_cmd(0) + ATA_R_CMD, 0x25, 1);
	it_bm_start(0, IT_PRD, true);
	it_wait_bm(0);
	ck_assert_int_eq(it_wait(0) & ATA_ST_ERR, 0);
	memset(back, 0, sizeof(back));
	ck_assert_int_eq(memcmp(at_ram(IT_BUF), back, sizeof(back)), 0);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ide_dma");
	TCase *t = tcase_create("bus master");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, dma_write_and_read_over_scattered_prds);
	tcase_add_test(t, count_zero_is_64k);
	tcase_add_test(t, prd_entry_outside_ram);
	tcase_add_test(t, prd_table_outside_ram_or_without_eot);
	tcase_add_test(t, atapi_over_dma);
	tcase_add_test(t, command_set_over_the_ports);
	tcase_add_test(t, state_round_trip_with_a_command_waiting_for_dma);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
