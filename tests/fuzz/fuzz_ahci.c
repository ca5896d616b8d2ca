// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the AHCI command-list parser and engine. A controller with a 1 MiB raw disk (NCQ,
 * TRIM) on port 0 and an ATAPI CD-ROM on port 1 over 64 KiB of fake guest RAM; its I/O thread is
 * paused and the harness runs the engine itself (ahci_poll), so an input replays exactly. One
 * operation per byte (low nibble): 0 RAM write (u16 offset, u16 length, bytes: command lists,
 * tables, FISes, PRDTs), 1 port start (port, u16 CLB, u16 FB), 2 issue (port, u32 SACT, u32 CI,
 * then the engine runs), 3 ABAR write (u16 offset, u32 value), 4 ABAR read (u16 offset), 5 engine
 * run, 6 state round trip, 7 HBA reset, 8 COMRESET (port), 9 port stop (port). Besides the
 * sanitizers, the harness aborts on a broken contract: a command still held after the engine
 * completed everything, or a save/load/save round trip that changes the payload. */
#include "fuzz.h"

#include "devices/ata/ahci.h"

#define RAM_SIZE 0x10000u
#define DISK_BYTES (1u << 20)

struct fz_ahci {
	struct ahci *h;
	struct ata_dev *dev[AHCI_PORTS];
	struct fz_ram *ram;
	struct pci_bar *abar;
};

static struct fz_ahci the;

static int hk_msi(void *o, uint64_t addr, uint32_t data) { return 0; }
static const struct vm_hooks hooks = { .signal_msi = hk_msi };

static void setup(void)
{
	if (the.h)
		return;
	the.ram = fz_ram_get(RAM_SIZE);
	struct ata_dev_opts disk = { .kind = ATA_DISK, .discard = true, .sata = true };
	struct ata_dev_opts cd = { .kind = ATA_CDROM, .sata = true };
	struct ahci_opts o = { .mem = &the.ram->mem, .hooks = &hooks, .name = "fuzz-ahci" };
	if (ata_dev_create(&the.dev[0], fz_disk("ahci", DISK_FMT_RAW, DISK_BYTES, false), &disk) ||
	    ata_dev_create(&the.dev[1], fz_disk("ahci", DISK_FMT_RAW, DISK_BYTES, true), &cd) ||
	    ahci_create(&the.h, the.dev, &o))
		fz_die("cannot build the controller");
	ahci_pause(the.h);
	the.abar = &ahci_pci(the.h)->bar[5];
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;
	the.abar->ops->read(the.abar->opaque, off % AHCI_ABAR_SIZE & ~3ULL, &v, 4);
	return v;
}
static void wr(uint64_t off, uint32_t v) { the.abar->ops->write(the.abar->opaque, off % AHCI_ABAR_SIZE & ~3ULL, &v, 4); }
static uint64_t preg(unsigned port, unsigned r) { return 0x100u + (port % AHCI_PORTS) * 0x80u + r; }

static void run(void)
{
	ahci_poll(the.h);
	for (unsigned p = 0; p < AHCI_PORTS; p++) /* nothing is held: a stopped port's CR is clear */
		if (!(rd(preg(p, 0x18)) & 1) && (rd(preg(p, 0x18)) & (1u << 15)))
			fz_die("a stopped port still has commands after the engine finished");
}

static void round_trip(void)
{
	ahci_pause(the.h); /* as a save does: what waits behind a failed command goes back to CI */
	if (fz_state_round_trip(&ahci_state_ops, the.h))
		fz_die("state: a drained controller refused to save");
	ahci_poll(the.h); /* a load rings the doorbell for what was issued */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	memset(the.ram->buf, 0, RAM_SIZE);
	struct fz f = { data, size };
	for (int ops = 0; f.n && ops < 100; ops++) {
		uint8_t op = (uint8_t)fz_take(&f, 1);
		switch (op & 0x0f) {
		case 0: {
			size_t off = (size_t)fz_take(&f, 2) % RAM_SIZE, len = (size_t)fz_take(&f, 2), got;
			const uint8_t *p = fz_bytes(&f, len < RAM_SIZE - off ? len : RAM_SIZE - off, &got);
			memcpy(the.ram->buf + off, p, got);
			break;
		}
		case 1: {
			unsigned p = (unsigned)fz_take(&f, 1);
			wr(preg(p, 0x00), (uint32_t)fz_take(&f, 2));
			wr(preg(p, 0x08), (uint32_t)fz_take(&f, 2));
			wr(preg(p, 0x14), 0xffffffffu);
			wr(preg(p, 0x18), 0x10);
			wr(preg(p, 0x18), 0x11);
			wr(0x04, 0x80000002u);
			break;
		}
		case 2: {
			unsigned p = (unsigned)fz_take(&f, 1);
			wr(preg(p, 0x34), (uint32_t)fz_take(&f, 4));
			wr(preg(p, 0x38), (uint32_t)fz_take(&f, 4));
			run();
			break;
		}
		case 3: {
			uint64_t off = fz_take(&f, 2);
			wr(off, (uint32_t)fz_take(&f, 4));
			break;
		}
		case 4:
			rd(fz_take(&f, 2));
			break;
		case 5:
			run();
			break;
		case 6:
			run();
			round_trip();
			break;
		case 7:
			wr(0x04, 0x80000001u);
			run();
			break;
		case 8: {
			unsigned p = (unsigned)fz_take(&f, 1);
			wr(preg(p, 0x2c), 1);
			wr(preg(p, 0x2c), 0);
			run();
			break;
		}
		case 9: {
			unsigned p = (unsigned)fz_take(&f, 1);
			wr(preg(p, 0x18), rd(preg(p, 0x18)) & ~1u);
			run();
			break;
		}
		default:
			break;
		}
	}
	wr(0x04, 0x80000001u); /* the next input starts from a reset controller */
	run();
	return 0;
}
