// SPDX-License-Identifier: GPL-2.0-or-later
/* fw_cfg as SeaBIOS drives it: signature and ID through the ports, the file directory, files read
 * through the data port and through DMA into fake RAM, hostile DMA blocks, state round trips; the
 * i440FX PAM hook and its state; the 0x402 debug port's boot-failure watch. */
#include "unit.h"
#include "state_test.h"
#include "devices/debugcon.h"
#include "devices/fw_cfg.h"
#include "devices/pci.h"
#include "vmm/bus.h"
#include "vmm/le.h"

#define RAM 0x100000

struct fix {
	struct bus pio;
	struct fake_ram ram;
	struct fw_cfg *fc;
};

static void setup(struct fix *f)
{
	bus_init(&f->pio, "pio");
	fake_ram_init(&f->ram, 0, RAM);
	ck_assert_int_eq(fw_cfg_create(&f->fc, &f->pio, &f->ram.mem), 0);
}

static void teardown(struct fix *f)
{
	fw_cfg_destroy(f->fc);
	fake_ram_free(&f->ram);
	bus_destroy(&f->pio);
}

static void sel(struct fix *f, uint16_t key)
{
	ck_assert_int_ge(bus_access(&f->pio, FW_CFG_PORT_SEL, &key, 2, 1), 0);
}

static void readp(struct fix *f, void *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_ge(bus_access(&f->pio, FW_CFG_PORT_DATA, (uint8_t *)buf + i, 1, 0), 0);
}

/* a DMA control block at cb: control, length, address (big-endian), then the doorbell writes */
static uint32_t dma(struct fix *f, uint64_t cb, uint32_t ctl, uint32_t len, uint64_t addr)
{
	uint8_t blk[16];
	be_put32(blk, 0, ctl);
	be_put32(blk, 4, len);
	be_put64(blk, 8, addr);
	if (cb + 16 <= RAM)
		memcpy(f->ram.buf + cb, blk, 16);
	uint8_t hi[4], lo[4];
	be_put32(hi, 0, (uint32_t)(cb >> 32));
	be_put32(lo, 0, (uint32_t)cb);
	ck_assert_int_ge(bus_access(&f->pio, FW_CFG_PORT_DMA, hi, 4, 1), 0);
	ck_assert_int_ge(bus_access(&f->pio, FW_CFG_PORT_DMA + 4, lo, 4, 1), 0);
	return cb + 4 <= RAM ? be_get32(f->ram.buf + cb, 0) : 0xdead;
}

START_TEST(signature_id_dir)
{
	struct fix f;
	setup(&f);
	char sig[5] = { 0 };
	sel(&f, FW_CFG_SIGNATURE);
	readp(&f, sig, 4);
	ck_assert_str_eq(sig, "QEMU");
	uint8_t id[4];
	sel(&f, FW_CFG_ID);
	readp(&f, id, 4);
	ck_assert_uint_eq(le_get32(id, 0), 3); /* traditional + DMA */
	uint8_t dsig[8];
	for (int i = 0; i < 8; i++)
		ck_assert_int_ge(bus_access(&f.pio, FW_CFG_PORT_DMA + i, dsig + i, 1, 0), 0);
	ck_assert_int_eq(memcmp(dsig, "QEMU CFG", 8), 0);

	ck_assert_int_eq(fw_cfg_add_file(f.fc, "etc/one", "abc", 3), 0);
	ck_assert_int_eq(fw_cfg_add_file(f.fc, "bootorder", "/pci@i0cf8/scsi@1/disk@0,0", 27), 0);
	ck_assert_int_eq(fw_cfg_add_file(f.fc, "etc/one", "x", 1), -EEXIST);
	char longname[80];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[79] = 0;
	ck_assert_int_eq(fw_cfg_add_file(f.fc, longname, "x", 1), -EINVAL);
	ck_assert_int_eq(fw_cfg_add_rom(f.fc, FW_CFG_ROM_VGA, "vgabios-test.bin", "\x55\xaa", 2), 0);
	ck_assert_int_eq(fw_cfg_add_rom(f.fc, FW_CFG_ROM_GENERIC, "../x", "\x55\xaa", 2), -EINVAL);
	uint8_t dir[4 + 3 * 64];
	sel(&f, FW_CFG_FILE_DIR);
	readp(&f, dir, sizeof(dir));
	ck_assert_uint_eq(be_get32(dir, 0), 3);
	ck_assert_uint_eq(be_get32(dir, 4 + 64), 27); /* size */
	ck_assert_uint_eq(dir[4 + 64 + 4] << 8 | dir[4 + 64 + 5], FW_CFG_FILE_FIRST + 1);
	ck_assert_str_eq((char *)dir + 4 + 64 + 8, "bootorder");
	ck_assert_str_eq((char *)dir + 4 + 128 + 8, "vgaroms/vgabios-test.bin");
	/* the file through the data port, zeros past its end */
	char b[6];
	sel(&f, FW_CFG_FILE_FIRST);
	readp(&f, b, 5);
	ck_assert_int_eq(memcmp(b, "abc\0\0", 5), 0);
	/* a key kvmini does not have (SeaBIOS asks for 0x8000, the legacy ACPI count): zeros */
	uint16_t n = 0xffff;
	sel(&f, 0x8000);
	readp(&f, &n, 2);
	ck_assert_uint_eq(n, 0);
	teardown(&f);
}
END_TEST

START_TEST(dma_reads)
{
	struct fix f;
	setup(&f);
	uint8_t big[10000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(fw_cfg_add_file(f.fc, "etc/big", big, sizeof(big)), 0);
	/* select + read the first 100 bytes, then continue where it stopped, then skip, then read past the end */
	memset(f.ram.buf + 0x2000, 0xee, 0x4000);
	ck_assert_uint_eq(dma(&f, 0x1000, (FW_CFG_FILE_FIRST << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 100, 0x2000), 0);
	ck_assert_int_eq(memcmp(f.ram.buf + 0x2000, big, 100), 0);
	ck_assert_uint_eq(dma(&f, 0x1000, FW_CFG_DMA_READ, 50, 0x3000), 0);
	ck_assert_int_eq(memcmp(f.ram.buf + 0x3000, big + 100, 50), 0);
	ck_assert_uint_eq(dma(&f, 0x1000, FW_CFG_DMA_SKIP, 9800, 0), 0);
	ck_assert_uint_eq(dma(&f, 0x1000, FW_CFG_DMA_READ, 100, 0x4000), 0);
	ck_assert_int_eq(memcmp(f.ram.buf + 0x4000, big + 9950, 50), 0);
	for (int i = 50; i < 100; i++)
		ck_assert_uint_eq(f.ram.buf[0x4000 + i], 0); /* past the end: zero-filled */
	/* hostile: a buffer outside RAM, a write, a block outside RAM, a wrapping buffer */
	ck_assert_uint_eq(dma(&f, 0x1000, (FW_CFG_FILE_FIRST << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 100,
			      RAM - 10), FW_CFG_DMA_ERROR);
	ck_assert_uint_eq(dma(&f, 0x1000, FW_CFG_DMA_WRITE, 4, 0x2000), FW_CFG_DMA_ERROR);
	ck_assert_uint_eq(dma(&f, 0x1000, FW_CFG_DMA_READ, 0xffffffffu, ~0ULL - 5), FW_CFG_DMA_ERROR);
	dma(&f, RAM - 8, FW_CFG_DMA_READ, 4, 0); /* no block to read or report to: ignored */
	dma(&f, 0x7fffffffffffULL, FW_CFG_DMA_READ, 4, 0);
	teardown(&f);
}
END_TEST

START_TEST(state_round_trip)
{
	struct fix a, b;
	setup(&a);
	setup(&b);
	ck_assert_int_eq(fw_cfg_add_file(a.fc, "etc/x", "hello", 5), 0);
	ck_assert_int_eq(fw_cfg_add_file(b.fc, "etc/x", "hello", 5), 0);
	sel(&a, FW_CFG_FILE_FIRST);
	char c[2];
	readp(&a, c, 2);
	size_t n;
	uint8_t *p = st_save(&fw_cfg_state_ops, a.fc, &n);
	ck_assert_int_eq(st_load(&fw_cfg_state_ops, b.fc, p, n), 0);
	char rest[3];
	readp(&b, rest, 3); /* b goes on where a was */
	ck_assert_int_eq(memcmp(rest, "llo", 3), 0);
	st_check_short(&fw_cfg_state_ops, b.fc, p, n, 0);
	uint8_t bad[16];
	memcpy(bad, p, n);
	le_put32(bad, 2, 6); /* an offset past the selected item */
	ck_assert_int_eq(st_load(&fw_cfg_state_ops, b.fc, bad, n), -EINVAL);
	free(p);
	teardown(&a);
	teardown(&b);
}
END_TEST

/* ---- PAM ---- */

struct pam_rec {
	int calls;
	uint8_t last[PCI_PAM_COUNT];
};

static void pam_hook(void *o, const uint8_t pam[PCI_PAM_COUNT])
{
	struct pam_rec *r = o;
	r->calls++;
	memcpy(r->last, pam, PCI_PAM_COUNT);
}

static void cfg_write32(struct bus *pio, unsigned reg, uint32_t v)
{
	uint32_t a = 0x80000000u | reg;
	ck_assert_int_ge(bus_access(pio, 0xcf8, &a, 4, 1), 0);
	ck_assert_int_ge(bus_access(pio, 0xcfc, &v, 4, 1), 0);
}

START_TEST(pam_registers)
{
	struct bus pio, mmio;
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	struct irq_recorder irq = { 0 };
	struct pci_host *h, *h2;
	ck_assert_int_eq(pci_host_create(&h, &pio, &mmio, &irqrec_hooks, &irq), 0);
	struct pam_rec r = { 0 }, r2 = { 0 };
	pci_host_set_pam_hook(h, pam_hook, &r);
	ck_assert_int_eq(r.calls, 1); /* the reset state, right away */
	/* what SeaBIOS's make_bios_writable writes: dwords at 0x58 and 0x5c */
	cfg_write32(&pio, 0x58, 0x33333000u | 0xff);
	cfg_write32(&pio, 0x5c, 0x33333333u);
	ck_assert_int_eq(r.calls, 3);
	static const uint8_t want[PCI_PAM_COUNT] = { 0x30, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33 };
	ck_assert_int_eq(memcmp(r.last, want, sizeof(want)), 0); /* reserved bits stay clear */
	cfg_write32(&pio, 0x04, 0x0); /* elsewhere: no call */
	ck_assert_int_eq(r.calls, 3);
	size_t n;
	uint8_t *p = st_save(&pci_host_state_ops, h, &n);
	struct bus pio2, mmio2;
	bus_init(&pio2, "pio");
	bus_init(&mmio2, "mmio");
	ck_assert_int_eq(pci_host_create(&h2, &pio2, &mmio2, &irqrec_hooks, &irq), 0);
	pci_host_set_pam_hook(h2, pam_hook, &r2);
	ck_assert_int_eq(st_load(&pci_host_state_ops, h2, p, n), 0);
	ck_assert_int_eq(memcmp(r2.last, want, sizeof(want)), 0); /* the shadow RAM comes back */
	free(p);
	pci_host_destroy(h);
	pci_host_destroy(h2);
	bus_destroy(&pio);
	bus_destroy(&mmio);
	bus_destroy(&pio2);
	bus_destroy(&mmio2);
}
END_TEST

/* ---- the debug port ---- */

struct dc_rec {
	char out[256];
	size_t n;
	int fails;
	char line[DEBUGCON_LINE_MAX];
};

static void dc_sink(void *o, const uint8_t *b, size_t n)
{
	struct dc_rec *r = o;
	if (r->n + n < sizeof(r->out)) {
		memcpy(r->out + r->n, b, n);
		r->n += n;
	}
}

static void dc_fail(void *o, const char *line)
{
	struct dc_rec *r = o;
	r->fails++;
	snprintf(r->line, sizeof(r->line), "%s", line);
}

START_TEST(debugcon_watch)
{
	struct bus pio;
	bus_init(&pio, "pio");
	struct dc_rec r = { 0 };
	struct debugcon_cfg c = { dc_sink, &r, dc_fail, &r };
	struct debugcon *d, *d2;
	ck_assert_int_eq(debugcon_create(&d, &pio, &c), 0);
	const char *text = "Booting from Hard Disk...\nNo bootable dev";
	for (const char *t = text; *t; t++)
		ck_assert_int_ge(bus_access(&pio, DEBUGCON_PORT, (void *)t, 1, 1), 0);
	ck_assert_int_eq(r.fails, 0);
	size_t n;
	uint8_t *p = st_save(&debugcon_state_ops, d, &n);
	ck_assert_int_eq(debugcon_create(&d2, NULL, &c), 0);
	ck_assert_int_eq(st_load(&debugcon_state_ops, d2, p, n), 0);
	st_check_short(&debugcon_state_ops, d2, p, n, 0);
	for (const char *t = "ice.  Retrying in 60 seconds.\n"; *t; t++)
		debugcon_put(d2, (uint8_t)*t); /* the restored port finishes the line */
	ck_assert_int_eq(r.fails, 1);
	ck_assert_str_eq(r.line, "No bootable device.  Retrying in 60 seconds.");
	debugcon_put(d2, '\n');
	for (const char *t = "No bootable device.\n"; *t; t++)
		debugcon_put(d2, (uint8_t)*t);
	ck_assert_int_eq(r.fails, 1); /* once */
	ck_assert_int_eq(memcmp(r.out, text, strlen(text)), 0);
	uint8_t v = 0;
	ck_assert_int_ge(bus_access(&pio, DEBUGCON_PORT, &v, 1, 0), 0);
	ck_assert_uint_eq(v, 0xe9);
	free(p);
	debugcon_destroy(d);
	debugcon_destroy(d2);
	bus_destroy(&pio);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("fw_cfg");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, signature_id_dir);
	tcase_add_test(tc, dma_reads);
	tcase_add_test(tc, state_round_trip);
	tcase_add_test(tc, pam_registers);
	tcase_add_test(tc, debugcon_watch);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
