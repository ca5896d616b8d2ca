// SPDX-License-Identifier: GPL-2.0-or-later
/* The AHCI controller's registers through a real PCI host: ids and BARs, CAP/PI/VS/GHC, the HBA
 * reset, port start/stop (FRE/FR, ST/CR), write-one-to-clear registers, CI ignored on a stopped
 * port, a COMRESET in the middle of a command (its result is dropped, the port works after), the
 * BAR4 index/data pair, and interrupts: INTx until the guest enables MSI, then MSI only. */
#include "tests/unit/ahci_test.h"

static void setup(void) { ah_setup(); }
static void teardown(void) { ah_teardown(); }

START_TEST(ids_and_hba)
{
	ck_assert_uint_eq(pdrv_cfg_rd(&ah.pio, ah.slot, 0x00, 4), 0x29228086u);
	ck_assert_uint_eq(pdrv_cfg_rd(&ah.pio, ah.slot, 0x08, 4) >> 8, 0x010601u);
	uint32_t cap = ah_rd(0x00);
	ck_assert_uint_eq(cap & 0x1f, AHCI_PORTS - 1);
	ck_assert_uint_eq(cap >> 8 & 0x1f, 31);	/* 32 slots */
	ck_assert(cap & (1u << 30));		/* SNCQ */
	ck_assert(cap & (1u << 31));		/* S64A */
	ck_assert_uint_eq(ah_rd(0x0c), 0x3f);	/* PI */
	ck_assert_uint_eq(ah_rd(0x10), 0x10300);	/* VS 1.3 */
	ck_assert_uint_eq(ah_rd(0x04), 1u << 31); /* GHC: AE, interrupts off */
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x28)), 0x113);	/* link up on the disk */
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x24)), 0x101);	/* ATA signature */
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x20)) & 0xff, 0x50);
	ck_assert_uint_eq(ah_rd(AH_PORT(1, 0x24)), 0xeb140101u); /* ATAPI */
	ck_assert_uint_eq(ah_rd(AH_PORT(2, 0x28)), 0);		/* nothing on port 2 */
	/* BAR4: the index/data pair reads the same registers */
	uint32_t io = pdrv_cfg_rd(&ah.pio, ah.slot, 0x20, 4) & ~3u, v = 0;
	ck_assert_uint_ne(io, 0);
	uint32_t idx = AH_PORT(1, 0x24);
	ck_assert_int_ge(bus_access(&ah.pio, io + 0x10, &idx, 4, 1), 0);
	ck_assert_int_ge(bus_access(&ah.pio, io + 0x14, &v, 4, 0), 0);
	ck_assert_uint_eq(v, 0xeb140101u);
}
END_TEST

START_TEST(port_start_stop_reset)
{
	ah_start(0);
	uint32_t cmd = ah_rd(AH_PORT(0, 0x18));
	ck_assert_uint_eq(cmd & 0xc011, 0xc011); /* ST FRE FR CR */
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x00)), AH_CLB(0));
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x08)), AH_FB(0));
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x14)), 0xfdc000ffu);
	/* write-one-to-clear: only the bits written go */
	ck_assert_uint_eq(ah_run(0, 0xe7, 0, 0, 0, 0, 0, 0) & 1, 1); /* FLUSH: D2H */
	ah_wr(AH_PORT(0, 0x14), 0);
	ck_assert_uint_eq(ah_run(0, 0xe7, 0, 0, 0, 0, 0, 0), 1);
	ah_wr(AH_PORT(0, 0x14), 0xfdc000ffu);
	ah_stop(0);
	ah_wait_idle(0);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x18)) & 0xc001, 0x4000); /* FR still on, ST CR off */
	/* CI on a stopped port is ignored: nothing runs, nothing is written */
	uint8_t f[20];
	dt_pattern(ah_ram(AH_DATA), 4096, 9);
	ah_fis(f, 0x35, 10, 8);
	ah_slot(0, 0, f, 5, 0x40, AH_DATA, 4096, 1);
	ah_wr(AH_PORT(0, 0x38), 1);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x38)), 0);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	ck_assert_uint_eq(ah_prdbc(0, 0), 0);
	uint8_t img[4096], zero[4096] = { 0 };
	ah_peek(10 * 512, img, sizeof(img));
	ck_assert_mem_eq(img, zero, sizeof(img));
	/* HBA reset: port registers back to their reset values, the link up again */
	ah_start(0);
	ah_wr(0x04, 1u << 31 | 1);
	ck_assert_uint_eq(ah_rd(0x04), 1u << 31);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x18)), 0x6); /* SUD POD */
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x14)), 0);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x00)), 0);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x28)), 0x113);
}
END_TEST

/* COMRESET while a large queued write is with the disk layer: the port drops it, signs on
 * again, and the next command works; the dropped command posts nothing */
START_TEST(comreset_mid_command)
{
	int hit = 0;
	for (int attempt = 0; attempt < 5 && !hit; attempt++) {
		ah_start(0);
		uint8_t f[20];
		ah_fis(f, 0x61, 0, 65536); /* 32 MiB queued write */
		f[12] = 3 << 3;
		ah_slot(0, 3, f, 5, 0x40, AH_DATA, 32u << 20, 8);
		ah_wr(AH_PORT(0, 0x34), 1u << 3);
		ah_wr(AH_PORT(0, 0x38), 1u << 3);
		for (int i = 0; i < 2000 && ah_rd(AH_PORT(0, 0x38)); i++) /* taken by the engine */
			nanosleep(&(struct timespec){ 0, 100000 }, NULL);
		ah_wr(AH_PORT(0, 0x2c), 1); /* COMRESET */
		hit = (ah_rd(AH_PORT(0, 0x18)) & (1u << 15)) != 0; /* CR: still in flight */
		ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x28)), 0);
		ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x34)), 0);
		ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x38)), 0);
		ah_wr(AH_PORT(0, 0x2c), 0);
		ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x28)), 0x113);
		ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x24)), 0x101);
		ah_wr(AH_PORT(0, 0x10), 0xffffffffu);
		ah_wait_idle(0);
		ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x10)), 0); /* the dropped write posted nothing */
	}
	ck_assert_msg(hit, "the write was never caught in flight");
	ah_start(0);
	ck_assert_uint_eq(ah_run(0, 0xe7, 0, 0, 0, 0, 0, 0), 1); /* FLUSH works */
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x20)) & 0xff, 0x50);
}
END_TEST

static unsigned msi_cap(void)
{
	unsigned c = pdrv_cfg_rd(&ah.pio, ah.slot, 0x34, 1);
	while (c && pdrv_cfg_rd(&ah.pio, ah.slot, c, 1) != 0x05)
		c = pdrv_cfg_rd(&ah.pio, ah.slot, c + 1, 1);
	ck_assert_uint_ne(c, 0);
	return c;
}

START_TEST(intx_then_msi)
{
	ah_start(0);
	uint8_t f[20];
	ah_fis(f, 0xe7, 0, 0);
	ah_slot(0, 0, f, 5, 0, 0, 0, 0);
	ah_wr(AH_PORT(0, 0x38), 1);
	ah_wait(0, 1);
	for (int i = 0; i < 1000 && !atomic_load(&ah.level); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_int_eq(atomic_load(&ah.level), 1);
	ck_assert_uint_eq(ah_rd(0x08), 1); /* HBA IS: port 0 */
	ah_wr(AH_PORT(0, 0x10), 0xffffffffu);
	ck_assert_int_eq(atomic_load(&ah.level), 1); /* HBA IS still set */
	ah_wr(0x08, 1);
	ck_assert_int_eq(atomic_load(&ah.level), 0);
	ck_assert_int_eq(atomic_load(&ah.nmsi), 0);
	/* the guest enables MSI: no INTx from now on */
	unsigned c = msi_cap();
	ck_assert(pdrv_cfg_rd(&ah.pio, ah.slot, c + 2, 2) & 0x80); /* 64-bit capable */
	pdrv_cfg_wr(&ah.pio, ah.slot, c + 4, 0xfee00000u, 4);
	pdrv_cfg_wr(&ah.pio, ah.slot, c + 8, 0, 4);
	pdrv_cfg_wr(&ah.pio, ah.slot, c + 12, 0x4041, 2);
	pdrv_cfg_wr(&ah.pio, ah.slot, c + 2, 0x81, 2);
	ah_wr(AH_PORT(0, 0x38), 1);
	ah_wait(0, 1);
	for (int i = 0; i < 1000 && !atomic_load(&ah.nmsi); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_int_eq(atomic_load(&ah.nmsi), 1);
	ck_assert_int_eq(atomic_load(&ah.level), 0);
	ck_assert_int_eq(atomic_load(&ah.raises), 1);
	ah_wr(AH_PORT(0, 0x10), 0xffffffffu);
	ah_wr(0x08, 1);
	ck_assert_int_eq(atomic_load(&ah.nmsi), 1); /* nothing pending: no message */
	/* GHC.IE off: an event sends nothing */
	ah_wr(0x04, 1u << 31);
	ah_wr(AH_PORT(0, 0x38), 1);
	ah_wait(0, 1);
	nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	ck_assert_int_eq(atomic_load(&ah.nmsi), 1);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x10)) & 1, 1);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("ahci_regs");
	TCase *t = tcase_create("regs");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, ids_and_hba);
	tcase_add_test(t, port_start_stop_reset);
	tcase_add_test(t, comreset_mid_command);
	tcase_add_test(t, intx_then_msi);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
