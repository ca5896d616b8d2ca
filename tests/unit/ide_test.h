/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the PIIX3 tests: a board of a PCI host with the ISA bridge at 00:01.0 and the IDE
 * function at 00:01.1 over a disk (primary master) and a CD-ROM (secondary master) from
 * ata_test.h, fake RAM, ISA IRQ 14/15 into a recorder; port I/O as a guest does it (the
 * legacy ports, config mechanism #1, BAR4 where the host placed it), a PRD table writer and a
 * wait for the controller's own I/O thread. */
#ifndef KVMINI_IDE_TEST_H
#define KVMINI_IDE_TEST_H
#include <stdatomic.h>
#include <time.h>

#include "devices/ata/ide.h"
#include "devices/piix3_isa.h"
#include "tests/unit/ata_test.h"
#include "vmm/le.h"

#define IT_PRD 0x1000u     /* PRD table */
#define IT_BUF 0x10000u    /* data buffers */

struct it {
	struct bus pio, mmio;
	struct pci_host *host;
	struct piix3_isa *isa;
	struct ide *c;
	struct { /* ISA IRQ 14/15: set from vCPU and I/O threads alike */
		atomic_int level[16], raises[16];
	} rec;
	uint16_t bm; /* BAR4's port */
};

static struct it it;

static int it_set_irq(void *o, unsigned gsi, int level)
{
	if (gsi >= 16)
		return -1;
	if (level && !atomic_exchange(&it.rec.level[gsi], 1))
		atomic_fetch_add(&it.rec.raises[gsi], 1);
	else if (!level)
		atomic_store(&it.rec.level[gsi], 0);
	return 0;
}
static const struct vm_hooks it_hooks = { .set_irq = it_set_irq };

static inline void it_out(uint16_t port, uint32_t v, unsigned size) { bus_access(&it.pio, port, &v, size, 1); }
static inline uint32_t it_in(uint16_t port, unsigned size)
{
	uint32_t v = 0;
	bus_access(&it.pio, port, &v, size, 0);
	return v;
}
static inline uint32_t it_cfg_read(unsigned fn, unsigned off, unsigned size)
{
	it_out(0xcf8, 0x80000000u | 1u << 11 | fn << 8 | (off & 0xfc), 4);
	return it_in((uint16_t)(0xcfc + (off & 3)), size);
}
static inline void it_cfg_write(unsigned fn, unsigned off, uint32_t v, unsigned size)
{
	it_out(0xcf8, 0x80000000u | 1u << 11 | fn << 8 | (off & 0xfc), 4);
	it_out((uint16_t)(0xcfc + (off & 3)), v, size);
}

/* channel ch's command block and control register */
static inline uint16_t it_cmd(unsigned ch) { return ch ? 0x170 : 0x1f0; }
static inline uint16_t it_ctl(unsigned ch) { return ch ? 0x376 : 0x3f6; }

/* waits (the I/O thread runs the disk) until the selected device of ch is not busy */
static inline uint8_t it_wait(unsigned ch)
{
	uint8_t st;
	for (int i = 0; (st = (uint8_t)it_in(it_ctl(ch), 1)) & ATA_ST_BSY; i++) {
		ck_assert_int_lt(i, 20000);
		nanosleep(&(struct timespec){ 0, 250000 }, NULL);
	}
	return st;
}

/* waits until ch's bus master is no longer active */
static inline uint8_t it_wait_bm(unsigned ch)
{
	uint8_t st;
	for (int i = 0; (st = (uint8_t)it_in((uint16_t)(it.bm + 8 * ch + IDE_BM_STATUS), 1)) & IDE_BM_ST_ACTIVE; i++) {
		ck_assert_int_lt(i, 20000);
		nanosleep(&(struct timespec){ 0, 250000 }, NULL);
	}
	return st;
}

/* the task file for an LBA28 command on ch's device dev */
static inline void it_tf28(unsigned ch, unsigned dev, uint32_t lba, uint8_t n)
{
	uint16_t p = it_cmd(ch);
	it_out(p + ATA_R_DEVICE, ATA_DEV_LBA | (dev ? ATA_DEV_DEV : 0) | ((lba >> 24) & 0xf), 1);
	it_out(p + ATA_R_NSECT, n, 1);
	it_out(p + ATA_R_LBAL, lba & 0xff, 1);
	it_out(p + ATA_R_LBAM, (lba >> 8) & 0xff, 1);
	it_out(p + ATA_R_LBAH, (lba >> 16) & 0xff, 1);
}

/* the task file for an LBA48 command on the primary master */
static inline void it_tf48(uint64_t lba, uint16_t n)
{
	uint16_t p = it_cmd(0);
	it_out(p + ATA_R_DEVICE, ATA_DEV_LBA, 1);
	it_out(p + ATA_R_NSECT, n >> 8, 1);
	it_out(p + ATA_R_NSECT, n & 0xff, 1);
	for (int i = 0; i < 3; i++)
		it_out((uint16_t)(p + ATA_R_LBAL + i), (lba >> (24 + 8 * i)) & 0xff, 1);
	for (int i = 0; i < 3; i++)
		it_out((uint16_t)(p + ATA_R_LBAL + i), (lba >> (8 * i)) & 0xff, 1);
}

/* PRD entry i at IT_PRD: addr, byte count (0 = 64 KiB), end of table */
static inline void it_prd(unsigned i, uint32_t addr, uint32_t count, bool eot)
{
	le_put32(at_ram(IT_PRD + 8 * i), 0, addr);
	le_put32(at_ram(IT_PRD + 8 * i), 4, (count & 0xffff) | (eot ? IDE_PRD_EOT : 0));
}

/* starts ch's bus master over the table at prd (read: the device reads, memory is written) */
static inline void it_bm_start(unsigned ch, uint32_t prd, bool read)
{
	uint16_t b = (uint16_t)(it.bm + 8 * ch);
	it_out(b + IDE_BM_CMD, 0, 1);
	it_out(b + IDE_BM_STATUS, IDE_BM_ST_ERR | IDE_BM_ST_INT, 1);
	it_out(b + IDE_BM_PRD, prd, 4);
	it_out(b + IDE_BM_CMD, IDE_BM_CMD_START | (read ? IDE_BM_CMD_READ : 0), 1);
}

/* the whole board; no_cd: the secondary channel stays empty */
static inline void it_setup_with(bool no_cd)
{
	at_setup();
	memset(&it, 0, sizeof(it));
	bus_init(&it.pio, "pio");
	bus_init(&it.mmio, "mmio");
	ck_assert_int_eq(pci_host_create(&it.host, &it.pio, &it.mmio, NULL, NULL), 0);
	ck_assert_int_eq(piix3_isa_create(&it.isa, &it.pio, NULL), 0);
	ck_assert_int_eq(pci_host_add_fn(it.host, piix3_isa_pci(it.isa), 1, 0), 0);
	struct ide_env env = { .pio = &it.pio, .mem = &at.ram.mem,
			       .irq = { { &it_hooks, NULL, 14 }, { &it_hooks, NULL, 15 } } };
	struct ata_dev *dev[IDE_UNITS] = { at.disk, NULL, no_cd ? NULL : at.cd, NULL };
	ck_assert_int_eq(ide_create(&it.c, &env, dev), 0);
	ck_assert_int_eq(pci_host_add_fn(it.host, ide_pci(it.c), 1, IDE_FN), 0);
	it.bm = (uint16_t)(it_cfg_read(1, 0x20, 4) & ~3u);
}

static inline void it_setup(void) { it_setup_with(false); }

static inline void it_teardown(void)
{
	pci_host_destroy(it.host); /* unmaps the functions' BARs: before they go */
	ide_destroy(it.c);
	piix3_isa_destroy(it.isa);
	bus_destroy(&it.pio);
	bus_destroy(&it.mmio);
	at_teardown();
}

#endif
