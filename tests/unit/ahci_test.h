/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the AHCI tests: a controller on a real PCI host (config space through 0xCF8/0xCFC,
 * ABAR on the mmio bus) with a raw disk on port 0 and an ATAPI CD-ROM on port 1 over fake guest
 * RAM, hooks that count MSIs and record the INTx line (from the I/O thread: atomics), and a
 * driver's side: port start, command headers and tables with a PRDT, issue and wait. */
#ifndef KVMINI_AHCI_TEST_H
#define KVMINI_AHCI_TEST_H
#include <stdatomic.h>
#include <time.h>

#include "devices/ata/ahci.h"
#include "tests/unit/disk_test.h"
#include "tests/unit/pci_drv.h"
#include "tests/unit/unit.h"
#include "vmm/le.h"

#define AH_RAM (40u << 20)
#define AH_DISK_SIZE (40u << 20)
#define AH_CD_BLOCKS 64u
#define AH_CLB(p) (0x10000u + (p) * 0x1000u)
#define AH_FB(p) (AH_CLB(p) + 0x400u)
#define AH_TBL(p, s) (0x20000u + ((p) * 32u + (s)) * 0x200u)
#define AH_DATA 0x100000u
#define AH_PORT(p, r) (0x100u + (p) * 0x80u + (r))
#define AH_SECTORS (AH_DISK_SIZE / 512u)

struct ah {
	struct fake_ram ram;
	struct bus pio, mmio;
	struct pci_host *host;
	struct ahci *h;
	struct ata_dev *dev[AHCI_PORTS];
	char disk_path[96], cd_path[96];
	unsigned slot;
	uint64_t abar;
	atomic_int nmsi, raises, level;
	unsigned gsi;
};

static struct ah ah;

static int ah_set_irq(void *o, unsigned gsi, int level)
{
	if (gsi == ah.gsi) {
		if (level && !atomic_exchange(&ah.level, 1))
			atomic_fetch_add(&ah.raises, 1);
		if (!level)
			atomic_store(&ah.level, 0);
	}
	return 0;
}
static int ah_msi(void *o, uint64_t addr, uint32_t data)
{
	ck_assert_uint_eq(addr, 0xfee00000u);
	ck_assert_uint_eq(data, 0x4041u);
	atomic_fetch_add(&ah.nmsi, 1);
	return 0;
}
static const struct vm_hooks ah_hooks = { .set_irq = ah_set_irq, .signal_msi = ah_msi };

static inline uint32_t ah_rd(uint64_t off) { return (uint32_t)pdrv_mem_rd(&ah.mmio, ah.abar + off, 4); }
static inline void ah_wr(uint64_t off, uint32_t v) { pdrv_mem_wr(&ah.mmio, ah.abar + off, v, 4); }
static inline uint8_t *ah_ram(uint64_t gpa) { return ah.ram.buf + gpa; }

/* the controller on a new PCI host over the devices in ah.dev */
static inline void ah_plug(void)
{
	bus_init(&ah.pio, "pio");
	bus_init(&ah.mmio, "mmio");
	ck_assert_int_eq(pci_host_create(&ah.host, &ah.pio, &ah.mmio, &ah_hooks, NULL), 0);
	struct ahci_opts o = { .mem = &ah.ram.mem, .hooks = &ah_hooks, .name = "ahci-test" };
	ck_assert_int_eq(ahci_create(&ah.h, ah.dev, &o), 0);
	ck_assert_int_eq(pci_host_add(ah.host, ahci_pci(ah.h)), 0);
	ah.slot = ahci_pci(ah.h)->slot;
	ah.gsi = ahci_pci(ah.h)->intx.gsi;
	ah.abar = pdrv_cfg_rd(&ah.pio, ah.slot, 0x24, 4) & ~0xfu;
	ck_assert_uint_ne(ah.abar, 0);
}

static inline void ah_unplug(void)
{
	pci_host_destroy(ah.host);
	ahci_destroy(ah.h);
	bus_destroy(&ah.pio);
	bus_destroy(&ah.mmio);
	ah.h = NULL;
}

static inline void ah_setup(void)
{
	dt_setup();
	memset(&ah, 0, sizeof(ah));
	fake_ram_init(&ah.ram, 0, AH_RAM);
	dt_path(ah.disk_path, "d.raw");
	dt_path(ah.cd_path, "cd.iso");
	ck_assert_int_eq(dt_create(ah.disk_path, DISK_FMT_RAW, AH_DISK_SIZE, 0, NULL, DISK_FMT_AUTO), 0);
	ck_assert_int_eq(dt_create(ah.cd_path, DISK_FMT_RAW, AH_CD_BLOCKS * 2048, 0, NULL, DISK_FMT_AUTO), 0);
	static uint8_t blk[AH_CD_BLOCKS * 2048];
	dt_pattern(blk, sizeof(blk), 77);
	dt_poke(ah.cd_path, 0, blk, sizeof(blk));
	struct ata_dev_opts d = { .kind = ATA_DISK, .discard = true, .sata = true, .model = "AHCI TEST DISK" };
	struct ata_dev_opts c = { .kind = ATA_CDROM, .sata = true };
	ck_assert_int_eq(ata_dev_create(&ah.dev[0], dt_open(ah.disk_path, DISK_FMT_RAW, false), &d), 0);
	ck_assert_int_eq(ata_dev_create(&ah.dev[1], dt_open(ah.cd_path, DISK_FMT_RAW, true), &c), 0);
	ah_plug();
}

static inline void ah_teardown(void)
{
	if (ah.h)
		ah_unplug();
	for (unsigned i = 0; i < AHCI_PORTS; i++)
		if (ah.dev[i])
			ata_dev_destroy(ah.dev[i]);
	fake_ram_free(&ah.ram);
	dt_teardown();
}

/* what a driver does to bring a port up: lists, FIS receive, interrupts on, start */
static inline void ah_start(unsigned p)
{
	ah_wr(AH_PORT(p, 0x00), AH_CLB(p));
	ah_wr(AH_PORT(p, 0x04), 0);
	ah_wr(AH_PORT(p, 0x08), AH_FB(p));
	ah_wr(AH_PORT(p, 0x0c), 0);
	ah_wr(AH_PORT(p, 0x30), 0xffffffffu);	/* SERR */
	ah_wr(AH_PORT(p, 0x10), 0xffffffffu);	/* IS */
	ah_wr(AH_PORT(p, 0x14), 0xfdc000ffu);	/* IE */
	ah_wr(AH_PORT(p, 0x18), 0x10);		/* FRE */
	ah_wr(AH_PORT(p, 0x18), 0x11);		/* ST */
	ah_wr(0x04, ah_rd(0x04) | 2);		/* GHC.IE */
}

static inline void ah_stop(unsigned p)
{
	ah_wr(AH_PORT(p, 0x18), ah_rd(AH_PORT(p, 0x18)) & ~1u);
}

/* an H2D register FIS for op at lba with count n (features for NCQ) */
static inline void ah_fis(uint8_t *f, uint8_t op, uint64_t lba, uint32_t n)
{
	memset(f, 0, 20);
	f[0] = 0x27;
	f[1] = 0x80;
	f[2] = op;
	f[4] = (uint8_t)lba, f[5] = (uint8_t)(lba >> 8), f[6] = (uint8_t)(lba >> 16), f[7] = 0x40;
	f[8] = (uint8_t)(lba >> 24), f[9] = (uint8_t)(lba >> 32), f[10] = (uint8_t)(lba >> 40);
	f[12] = (uint8_t)n, f[13] = (uint8_t)(n >> 8);
	if (op == 0x60 || op == 0x61) { /* FPDMA: count in features, tag in count 7-3 */
		f[3] = (uint8_t)n, f[11] = (uint8_t)(n >> 8);
		f[12] = f[13] = 0;
	}
}

/* slot s of port p: header (cfl dwords of FIS, flags: 0x20 ATAPI, 0x40 write) and table with
 * the FIS in fis and the PRDT [gpa, gpa+len) cut in n entries */
static inline void ah_slot(unsigned p, unsigned s, const uint8_t *fis, unsigned cfl, unsigned flags, uint64_t gpa,
			   uint64_t len, unsigned n)
{
	uint8_t *h = ah_ram(AH_CLB(p) + 32u * s), *t = ah_ram(AH_TBL(p, s));
	memset(h, 0, 32);
	memset(t, 0, 0x200);
	le_put32(h, 0, cfl | flags | (len ? n : 0) << 16);
	le_put64(h, 8, AH_TBL(p, s));
	memcpy(t, fis, 20);
	uint64_t per = n ? (len + n - 1) / n : 0, off = 0;
	for (unsigned i = 0; len && i < n; i++) {
		uint64_t l = len - off < per ? len - off : per;
		le_put64(t, 0x80 + 16 * i, gpa + off);
		le_put32(t, 0x80 + 16 * i + 12, (uint32_t)(l - 1));
		off += l;
	}
}

/* bytes of the disk image as the host sees them (the device holds the image's lock) */
static inline void ah_peek(uint64_t off, void *buf, size_t len)
{
	int fd = open(ah.disk_path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static inline uint32_t ah_prdbc(unsigned p, unsigned s) { return le_get32(ah_ram(AH_CLB(p) + 32u * s), 4); }

/* waits until the bits of mask are clear in CI and SACT, or the port reports a task-file error;
 * returns PxIS */
static inline uint32_t ah_wait(unsigned p, uint32_t mask)
{
	for (int i = 0; i < 5000; i++) {
		/* CI/SACT first: the result's IS bits are set together with their clearing */
		bool done = !((ah_rd(AH_PORT(p, 0x38)) | ah_rd(AH_PORT(p, 0x34))) & mask);
		uint32_t is = ah_rd(AH_PORT(p, 0x10));
		if (done || (is & (1u << 30)))
			return is;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	ck_abort_msg("port %u: commands %#x never completed", p, mask);
	return 0;
}

/* one command on slot 0 of port p, waited for; returns PxIS (and clears it) */
static inline uint32_t ah_run(unsigned p, uint8_t op, uint64_t lba, uint32_t n, unsigned flags, uint64_t gpa,
			      uint64_t len, unsigned nprd)
{
	uint8_t f[20];
	ah_fis(f, op, lba, n);
	ah_slot(p, 0, f, 5, flags, gpa, len, nprd);
	ah_wr(AH_PORT(p, 0x38), 1);
	uint32_t is = ah_wait(p, 1);
	ah_wr(AH_PORT(p, 0x10), is);
	ah_wr(0x08, 0xffffffffu);
	return is;
}

/* waits until the port's engine is idle after a stop (PxCMD.CR clear) */
static inline void ah_wait_idle(unsigned p)
{
	for (int i = 0; i < 5000 && (ah_rd(AH_PORT(p, 0x18)) & (1u << 15)); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_uint_eq(ah_rd(AH_PORT(p, 0x18)) & (1u << 15), 0);
}

#endif
