// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved state of the AHCI controller: a controller with running ports (lists, FIS areas,
 * interrupt masks, MSI on), a failed command halting port 1, and queued commands that were in
 * flight when it paused (drained: their SDB FISes are in RAM before the save), is saved, torn
 * down, and a new controller on a new PCI host loads it: registers read back the same, a second
 * save is byte for byte the first, the restored port runs commands. Truncated payloads and
 * impossible register values are refused, a busy controller refuses to save. */
#include "tests/unit/ahci_test.h"
#include "tests/unit/state_test.h"

static void setup(void) { ah_setup(); }
static void teardown(void) { ah_teardown(); }

static const unsigned regs[] = { 0x00, 0x04, 0x08, 0x10, 0x14, 0x18, 0x20, 0x24, 0x28, 0x2c, 0x34, 0x38 };
#define NREGS (sizeof(regs) / sizeof(regs[0]))

static void snapshot_regs(uint32_t out[2][NREGS], uint32_t *ghc)
{
	for (unsigned p = 0; p < 2; p++)
		for (unsigned i = 0; i < NREGS; i++)
			out[p][i] = ah_rd(AH_PORT(p, regs[i]));
	*ghc = ah_rd(0x04);
}

START_TEST(round_trip)
{
	ah_start(0);
	ah_start(1);
	/* MSI on */
	unsigned c = pdrv_cfg_rd(&ah.pio, ah.slot, 0x34, 1);
	while (pdrv_cfg_rd(&ah.pio, ah.slot, c, 1) != 0x05)
		c = pdrv_cfg_rd(&ah.pio, ah.slot, c + 1, 1);
	pdrv_cfg_wr(&ah.pio, ah.slot, c + 4, 0xfee00000u, 4);
	pdrv_cfg_wr(&ah.pio, ah.slot, c + 12, 0x4041, 2);
	pdrv_cfg_wr(&ah.pio, ah.slot, c + 2, 0x81, 2);
	/* port 1 halted by a failed command (its CI bit stays) */
	uint8_t f[20];
	ah_fis(f, 0xec, 0, 1);
	ah_slot(1, 0, f, 5, 0, AH_DATA, 512, 1);
	ah_wr(AH_PORT(1, 0x38), 1);
	ck_assert_uint_eq(ah_wait(1, 1) & (1u << 30), 1u << 30);
	/* port 0: eight queued 1 MiB reads, caught by the pause */
	for (unsigned s = 0; s < 8; s++) {
		ah_fis(f, 0x60, s * 2048, 2048);
		f[12] = (uint8_t)(s << 3);
		ah_slot(0, s, f, 5, 0, AH_DATA + (s << 20), 1u << 20, 2);
	}
	ah_wr(AH_PORT(0, 0x34), 0xff);
	ah_wr(AH_PORT(0, 0x38), 0xff);
	ahci_pause(ah.h);
	size_t n;
	uint8_t *p = st_save(&ahci_state_ops, ah.h, &n);
	uint32_t before[2][NREGS], after[2][NREGS], g0, g1;
	snapshot_regs(before, &g0);
	ah_unplug();
	ah_plug();
	ck_assert_int_eq(st_load(&ahci_state_ops, ah.h, p, n), 0);
	snapshot_regs(after, &g1);
	ck_assert_uint_eq(g0, g1);
	ck_assert_mem_eq(before, after, sizeof(before));
	st_assert_same(&ahci_state_ops, ah.h, p, n, 0, "a load", 0);
	ck_assert_uint_eq(pdrv_cfg_rd(&ah.pio, ah.slot, c + 2, 2) & 1, 1); /* MSI still on */
	/* what the pause left issued runs now; port 1 is still halted */
	ah_wait(0, 0xff);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x34)), 0);
	ck_assert_uint_eq(ah_rd(AH_PORT(1, 0x38)), 1);
	ah_wr(AH_PORT(0, 0x10), 0xffffffffu);
	ck_assert_uint_eq(ah_run(0, 0xe7, 0, 0, 0, 0, 0, 0), 1);
	/* refusals leave it as it was */
	ahci_pause(ah.h);
	free(p);
	p = st_save(&ahci_state_ops, ah.h, &n);
	st_check_short(&ahci_state_ops, ah.h, p, n, 0);
	size_t cmd0 = 256 + 12 + 8 + 8 + 8; /* port 0 CMD: after config space, GHC/IS/index, CLB, FB, IS, IE */
	uint8_t *bad = malloc(n);
	memcpy(bad, p, n);
	le_put32(bad, cmd0, le_get32(p, cmd0) & ~(1u << 15)); /* ST without CR */
	ck_assert_int_eq(st_load(&ahci_state_ops, ah.h, bad, n), -EINVAL);
	st_assert_same(&ahci_state_ops, ah.h, p, n, 0, "a refused load", cmd0);
	free(bad);
	free(p);
	ahci_resume(ah.h);
}
END_TEST

/* a queued command the device failed: CI clear, SACT kept, the port halted (found by fuzz_ahci) */
START_TEST(failed_ncq)
{
	ah_start(0);
	uint8_t f[20];
	ah_fis(f, 0x60, AH_SECTORS - 1, 8);
	f[12] = 2 << 3;
	ah_slot(0, 2, f, 5, 0, AH_DATA, 4096, 1);
	ah_wr(AH_PORT(0, 0x34), 1u << 2);
	ah_wr(AH_PORT(0, 0x38), 1u << 2);
	ck_assert_uint_eq(ah_wait(0, 1u << 2) & (1u << 30), 1u << 30);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x34)), 1u << 2);
	ahci_pause(ah.h);
	size_t n;
	uint8_t *p = st_save(&ahci_state_ops, ah.h, &n);
	ah_unplug();
	ah_plug();
	ck_assert_int_eq(st_load(&ahci_state_ops, ah.h, p, n), 0);
	st_assert_same(&ahci_state_ops, ah.h, p, n, 0, "a load", 0);
	ck_assert_uint_eq(ah_rd(AH_PORT(0, 0x34)), 1u << 2);
	free(p);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("ahci_state");
	TCase *t = tcase_create("state");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 120);
	tcase_add_test(t, round_trip);
	tcase_add_test(t, failed_ncq);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
