// SPDX-License-Identifier: GPL-2.0-or-later
/* AHCI commands over fake guest RAM: IDENTIFY answered through the PIO Setup FIS, DMA writes and
 * reads through a scattered PRDT (checked against the image), reads past the end, PRD entries
 * and tables outside RAM, malformed FIS types and lengths (each fails that command with TFES and
 * ERR/ABRT in PxTFD, halts the port until it is restarted, and leaves the image alone), NCQ reads
 * really in flight together with their Set Device Bits FISes, NCQ tags reused, ATAPI packets. */
#include "tests/unit/ahci_test.h"

#define TFES (1u << 30)

static void setup(void)
{
	ah_setup();
	ah_start(0);
	ah_start(1);
}
static void teardown(void) { ah_teardown(); }

START_TEST(identify_via_pio_setup)
{
	memset(ah_ram(AH_FB(0)), 0xaa, 0x100);
	uint32_t is = ah_run(0, 0xec, 0, 1, 0, AH_DATA, 512, 2);
	ck_assert_uint_eq(is, 2); /* PSS only: no D2H FIS after PIO data-in */
	const uint8_t *ps = ah_ram(AH_FB(0) + 0x20), *id = ah_ram(AH_DATA);
	ck_assert_uint_eq(ps[0], 0x5f);
	ck_assert_uint_eq(ps[1] & 0x20, 0x20); /* device to host */
	ck_assert_uint_eq(ps[15], 0x50);	  /* E_Status: what Linux takes */
	ck_assert_uint_eq(le_get16(ps, 16), 512);
	ck_assert_uint_eq(ah_ram(AH_FB(0) + 0x40)[0], 0xaa); /* D2H area untouched */
	ck_assert_uint_eq(ah_prdbc(0, 0), 512);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x20)), 0x50);
	char model[9];
	for (int i = 0; i < 4; i++) { /* words 27-30: bytes swapped in each word */
		model[2 * i] = (char)id[54 + 2 * i + 1];
		model[2 * i + 1] = (char)id[54 + 2 * i];
	}
	model[8] = 0;
	ck_assert_str_eq(model, "AHCI TES");
	ck_assert_uint_eq(le_get16(id, 2 * 75) & 0x1f, 31);	   /* queue depth 32 */
	ck_assert_uint_eq(le_get16(id, 2 * 76) & 0x100, 0x100);	   /* NCQ */
	ck_assert_uint_eq(le_get16(id, 2 * 169) & 1, 1);	   /* TRIM */
	ck_assert_uint_eq(le_get64(id, 2 * 100), AH_SECTORS);	   /* LBA48 size */
	/* the CD-ROM aborts IDENTIFY DEVICE with the packet signature in the D2H FIS */
	is = ah_run(1, 0xec, 0, 1, 0, AH_DATA, 512, 1);
	ck_assert_uint_eq(is & TFES, TFES);
	const uint8_t *d2h = ah_ram(AH_FB(1) + 0x40);
	ck_assert_uint_eq(d2h[0], 0x34);
	ck_assert_uint_eq(d2h[3], 0x04);
	ck_assert_uint_eq(d2h[5], 0x14);
	ck_assert_uint_eq(d2h[6], 0xeb);
	ck_assert_uint_eq(ah_rd(AH_PORT(1, 0x20)), 0x0451);
}
END_TEST

START_TEST(dma_write_read)
{
	enum { N = 64 * 1024 };
	static uint8_t want[N], img[N];
	dt_pattern(ah_ram(AH_DATA), N, 3);
	memcpy(want, ah_ram(AH_DATA), N);
	ck_assert_uint_eq(ah_run(0, 0x35, 1000, N / 512, 0x40, AH_DATA, N, 7), 1); /* WRITE DMA EXT */
	ck_assert_uint_eq(ah_prdbc(0, 0), N);
	ah_peek(1000 * 512, img, N);
	ck_assert_mem_eq(img, want, N);
	memset(ah_ram(AH_DATA + N), 0, N);
	ck_assert_uint_eq(ah_run(0, 0x25, 1000, N / 512, 0, AH_DATA + N, N, 5), 1); /* READ DMA EXT */
	ck_assert_mem_eq(ah_ram(AH_DATA + N), want, N);
	const uint8_t *d2h = ah_ram(AH_FB(0) + 0x40);
	ck_assert_uint_eq(d2h[0], 0x34);
	ck_assert_uint_eq(d2h[2], 0x50);
	/* LBA28 READ DMA of the last sector */
	ck_assert_uint_eq(ah_run(0, 0xc8, AH_SECTORS - 1, 1, 0, AH_DATA, 512, 1), 1);
}
END_TEST

/* a failed command: TFES, PxTFD ERR with error err, the port halted (CI stays, nothing more
 * runs) until ST goes 0 and 1 */
static void expect_failed(unsigned p, uint32_t is, uint8_t err)
{
	ck_assert_uint_eq(is & TFES, TFES);
	ck_assert_uint_eq(ah_rd(AH_PORT(p, 0x20)) & 0x01, 0x01);
	ck_assert_uint_eq(ah_rd(AH_PORT(p, 0x20)) >> 8 & 0xff, err);
	ck_assert_uint_eq(ah_rd(AH_PORT(p, 0x38)) & 1, 1);
	uint8_t f[20];
	ah_fis(f, 0xe7, 0, 0);
	ah_slot(p, 1, f, 5, 0, 0, 0, 0);
	ah_wr(AH_PORT(p, 0x38), 2);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	ck_assert_uint_eq(ah_rd(AH_PORT(p, 0x38)) & 2, 2); /* halted */
	ah_stop(p);
	ah_wait_idle(p);
	ck_assert_uint_eq(ah_rd(AH_PORT(p, 0x38)), 0);
	ah_start(p);
	ck_assert_uint_eq(ah_run(p, 0xe7, 0, 0, 0, 0, 0, 0), 1); /* works again */
}

START_TEST(past_the_end)
{
	memset(ah_ram(AH_DATA), 0x5a, 2048);
	expect_failed(0, ah_run(0, 0x25, AH_SECTORS - 1, 2, 0, AH_DATA, 1024, 1), 0x10); /* IDNF */
	ck_assert_uint_eq(ah_ram(AH_DATA)[0], 0x5a);
	expect_failed(0, ah_run(0, 0x35, AH_SECTORS, 1, 0x40, AH_DATA, 512, 1), 0x10);
	/* PRDT shorter than the transfer: aborted, nothing moved */
	expect_failed(0, ah_run(0, 0x25, 0, 4, 0, AH_DATA, 1024, 1), 0x04);
	ck_assert_uint_eq(ah_ram(AH_DATA)[0], 0x5a);
}
END_TEST

START_TEST(outside_ram)
{
	uint8_t f[20], img[4096], zero[4096] = { 0 };
	/* a write whose last PRD entry points past RAM: nothing reaches the image */
	dt_pattern(ah_ram(AH_DATA), 4096, 1);
	ah_fis(f, 0x35, 8, 8);
	ah_slot(0, 0, f, 5, 0x40, AH_DATA, 4096, 2);
	le_put64(ah_ram(AH_TBL(0, 0)), 0x80 + 16, AH_RAM - 1024); /* 2 KiB from 1 KiB before the end */
	ah_wr(AH_PORT(0, 0x38), 1);
	expect_failed(0, ah_wait(0, 1), 0x04);
	ah_peek(8 * 512, img, sizeof(img));
	ck_assert_mem_eq(img, zero, sizeof(img));
	/* the PRDT itself, the command table and the command list out of RAM */
	ah_slot(0, 0, f, 5, 0, AH_DATA, 4096, 1);
	le_put32(ah_ram(AH_CLB(0)), 0, 5 | 0xffffu << 16); /* 65535 entries run past the end */
	le_put64(ah_ram(AH_CLB(0)), 8, AH_RAM - 0x100);
	ah_wr(AH_PORT(0, 0x38), 1);
	expect_failed(0, ah_wait(0, 1), 0x04);
	ah_slot(0, 0, f, 5, 0, AH_DATA, 4096, 1);
	le_put64(ah_ram(AH_CLB(0)), 8, 0x100000000ULL);
	ah_wr(AH_PORT(0, 0x38), 1);
	expect_failed(0, ah_wait(0, 1), 0x04);
	ah_stop(0);
	ah_wait_idle(0);
	ah_wr(AH_PORT(0, 0x00), AH_RAM - 16); /* header of slot 0 straddles the end */
	ah_wr(AH_PORT(0, 0x18), 0x11);
	ah_wr(AH_PORT(0, 0x38), 1);
	ck_assert_uint_eq(ah_wait(0, 1) & TFES, TFES);
	ah_stop(0);
	ah_wait_idle(0);
	ah_start(0);
	ck_assert_uint_eq(ah_run(0, 0xe7, 0, 0, 0, 0, 0, 0), 1);
}
END_TEST

START_TEST(malformed_fis)
{
	uint8_t f[20];
	ah_fis(f, 0x25, 0, 1);
	f[0] = 0x34; /* a D2H FIS where the command FIS goes */
	ah_slot(0, 0, f, 5, 0, AH_DATA, 512, 1);
	ah_wr(AH_PORT(0, 0x38), 1);
	expect_failed(0, ah_wait(0, 1), 0x04);
	static const unsigned bad_len[] = { 0, 2, 4, 17, 31 };
	for (unsigned i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		ah_fis(f, 0x25, 0, 1);
		ah_slot(0, 0, f, bad_len[i], 0, AH_DATA, 512, 1);
		ah_wr(AH_PORT(0, 0x38), 1);
		expect_failed(0, ah_wait(0, 1), 0x04);
	}
	/* an unknown opcode is the device's abort */
	expect_failed(0, ah_run(0, 0xfe, 0, 0, 0, 0, 0, 0), 0x04);
	/* a control FIS (C clear): SRST set and released resets the device, signature in the D2H FIS */
	ah_fis(f, 0, 0, 0);
	f[1] = 0;
	f[15] = 0x04;
	ah_slot(0, 0, f, 5, 0, 0, 0, 0);
	ah_wr(AH_PORT(0, 0x38), 1);
	ah_wait(0, 1);
	f[15] = 0;
	ah_slot(0, 0, f, 5, 0, 0, 0, 0);
	ah_wr(AH_PORT(0, 0x38), 1);
	ah_wait(0, 1);
	ck_assert_uint_eq(ah_ram(AH_FB(0) + 0x40)[12], 1);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x20)) & 0xff, 0x50);
}
END_TEST

static bool have_uring(void)
{
	struct disk_aio *q;
	ck_assert_int_eq(disk_aio_create(&q, 4), 0);
	bool u = !strcmp(disk_aio_backend(q), "io_uring");
	disk_aio_destroy(q);
	return u;
}

START_TEST(ncq_parallel)
{
	enum { N = 16, LEN = 1u << 20 };
	uint8_t f[20];
	dt_pattern(ah_ram(AH_DATA), (size_t)N * LEN, 11);
	static uint8_t want[N * (size_t)LEN];
	memcpy(want, ah_ram(AH_DATA), sizeof(want));
	ck_assert_uint_eq(ah_run(0, 0x35, 0, 0, 0x40, AH_DATA, 32u << 20, 32), 1); /* 32 MiB at once (count 0 = 65536) */
	memset(ah_ram(AH_DATA), 0, sizeof(want));
	for (unsigned s = 0; s < N; s++) {
		ah_fis(f, 0x60, (uint64_t)s * (LEN / 512), LEN / 512);
		f[12] = (uint8_t)(s << 3);
		ah_slot(0, s, f, 5, 0, AH_DATA + (uint64_t)s * LEN, LEN, 4);
	}
	ah_wr(AH_PORT(0, 0x34), (1u << N) - 1);
	ah_wr(AH_PORT(0, 0x38), (1u << N) - 1);
	uint32_t is = ah_wait(0, (1u << N) - 1);
	ck_assert_uint_eq(is & TFES, 0);
	ck_assert_uint_eq(is & 0x8, 0x8); /* SDBS */
	ck_assert_mem_eq(ah_ram(AH_DATA), want, sizeof(want));
	const uint8_t *sdb = ah_ram(AH_FB(0) + 0x58);
	ck_assert_uint_eq(sdb[0], 0xa1);
	ck_assert_uint_eq(sdb[2], 0x50);
	ck_assert_uint_ne(le_get32(sdb, 4), 0);
	if (!have_uring())
		UNIT_SKIP("ahci ncq_parallel", "no io_uring here: every request completes inside its submit");
	ck_assert_uint_ge(ahci_peak_inflight(ah.h), 2);
}
END_TEST

START_TEST(ncq_tag_reused)
{
	uint8_t f[20], img[512], zero[512] = { 0 };
	/* slot 3 claims tag 5 */
	dt_pattern(ah_ram(AH_DATA), 512, 1);
	ah_fis(f, 0x61, 50, 1);
	f[12] = 5 << 3;
	ah_slot(0, 3, f, 5, 0x40, AH_DATA, 512, 1);
	ah_wr(AH_PORT(0, 0x34), 1u << 3);
	ah_wr(AH_PORT(0, 0x38), 1u << 3);
	uint32_t is = ah_wait(0, 1u << 3);
	ck_assert_uint_eq(is & TFES, TFES);
	ah_peek(50 * 512, img, sizeof(img));
	ck_assert_mem_eq(img, zero, sizeof(img));
	ah_stop(0);
	ah_wait_idle(0);
	ah_start(0);
	/* slot 5 (tag 5) in flight, then slot 6 with tag 5 again */
	ah_fis(f, 0x60, 0, 0);
	f[12] = 5 << 3;
	ah_slot(0, 5, f, 5, 0, AH_DATA, 32u << 20, 8);
	ah_fis(f, 0x61, 60, 1);
	f[12] = 5 << 3;
	ah_slot(0, 6, f, 5, 0x40, AH_DATA, 512, 1);
	ah_wr(AH_PORT(0, 0x34), 3u << 5);
	ah_wr(AH_PORT(0, 0x38), 3u << 5);
	for (int i = 0; i < 5000 && !(ah_rd(AH_PORT(0, 0x10)) & TFES); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x10)) & TFES, TFES);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x20)) & 1, 1);
	ah_peek(60 * 512, img, sizeof(img));
	ck_assert_mem_eq(img, zero, sizeof(img));
	ah_stop(0);
	ah_wait_idle(0);
}
END_TEST

START_TEST(atapi_packet)
{
	uint8_t f[20];
	/* TEST UNIT READY first reports the power-on unit attention: CHECK CONDITION, sense key 6 */
	ah_fis(f, 0xa0, 0, 0);
	ah_slot(1, 0, f, 5, 0x20, 0, 0, 0);
	ah_wr(AH_PORT(1, 0x38), 1);
	uint32_t is = ah_wait(1, 1);
	ck_assert_uint_eq(is & TFES, TFES);
	ck_assert_uint_eq(ah_rd(AH_PORT(1, 0x20)) >> 12 & 0xf, 6);
	ah_stop(1);
	ah_wait_idle(1);
	ah_start(1);
	/* READ(10) of blocks 3-5 by DMA */
	ah_fis(f, 0xa0, 0, 0);
	f[3] = 1; /* DMA */
	ah_slot(1, 0, f, 5, 0x20, AH_DATA, 3 * 2048, 3);
	uint8_t cdb[12] = { 0x28, 0, 0, 0, 0, 3, 0, 0, 3 };
	memcpy(ah_ram(AH_TBL(1, 0) + 0x40), cdb, sizeof(cdb));
	ah_wr(AH_PORT(1, 0x38), 1);
	is = ah_wait(1, 1);
	ck_assert_uint_eq(is & TFES, 0);
	static uint8_t blk[AH_CD_BLOCKS * 2048];
	dt_pattern(blk, sizeof(blk), 77);
	ck_assert_mem_eq(ah_ram(AH_DATA), blk + 3 * 2048, 3 * 2048);
	ck_assert_uint_eq(ah_prdbc(1, 0), 3 * 2048);
	/* INQUIRY by PIO: PIO Setup and D2H */
	ah_fis(f, 0xa0, 0, 0);
	f[5] = 96; /* byte count limit */
	ah_slot(1, 0, f, 5, 0x20, AH_DATA, 96, 1);
	uint8_t inq[12] = { 0x12, 0, 0, 0, 96 };
	memcpy(ah_ram(AH_TBL(1, 0) + 0x40), inq, sizeof(inq));
	ah_wr(AH_PORT(1, 0x38), 1);
	is = ah_wait(1, 1);
	ck_assert_uint_eq(is & 3, 3);
	ck_assert_uint_eq(ah_ram(AH_DATA)[0], 0x05); /* CD-ROM */
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("ahci_cmd");
	TCase *t = tcase_create("cmd");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, identify_via_pio_setup);
	tcase_add_test(t, dma_write_read);
	tcase_add_test(t, past_the_end);
	tcase_add_test(t, outside_ram);
	tcase_add_test(t, malformed_fis);
	tcase_add_test(t, ncq_parallel);
	tcase_add_test(t, ncq_tag_reused);
	tcase_add_test(t, atapi_packet);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
