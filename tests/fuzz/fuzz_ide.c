// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the PIIX3 IDE controller's register and PRD path, as a hostile guest drives it. A
 * board (PCI host, ISA bridge at 00:01.0, IDE at 00:01.1) over a disk master and slave on the
 * primary channel and a CD-ROM on the secondary, and 64 KiB of guest RAM whose first bytes come
 * from the input (PRD tables and buffers). Input: u16 length L, L bytes of RAM image (at most
 * 8 KiB), then one operation per byte (bit 4: the channel): 0 command block write (register,
 * value), 1 read, 2 control write, 3 alternate status, 4 rep insw/insd on the data port (bit 5:
 * 32-bit; u16 count), 5 rep outsw (u8 count, data), 6 BM register write (offset, size, u32),
 * 7 BM read, 8 config write to the IDE function (offset, size, u32), 9 the I/O thread's work (a
 * synchronous drain: the thread is kept stopped so runs repeat), 10 state round trip. Besides
 * the sanitizers the harness aborts when a save/load/save changes the payload, a drained
 * controller is still busy, or the data port gives more than the batch. */
#include "fuzz.h"

#include <errno.h>

#include "devices/ata/ide.h"
#include "devices/pci.h"
#include "devices/piix3_isa.h"
#include "vmm/state.h"

#define RAM_BYTES 0x10000u
#define IMG_MAX 0x2000u

struct fz_ide {
	struct ata_dev *dev[IDE_UNITS];
	struct bus pio, mmio;
	struct pci_host *h;
	struct piix3_isa *isa;
	struct ide *c;
	uint16_t bm;
};

static struct fz_ide the;

static void build(struct fz_ram *ram)
{
	if (!the.dev[0]) {
		struct ata_dev_opts disk = { .kind = ATA_DISK, .discard = true };
		struct ata_dev_opts cd = { .kind = ATA_CDROM };
		if (ata_dev_create(&the.dev[0], fz_disk("ide", DISK_FMT_RAW, 1u << 20, false), &disk) ||
		    ata_dev_create(&the.dev[1], fz_disk("ide", DISK_FMT_RAW, 64u << 10, false), &disk) ||
		    ata_dev_create(&the.dev[2], fz_disk("ide", DISK_FMT_RAW, 256u << 10, true), &cd))
			fz_die("cannot build the devices");
	}
	for (unsigned i = 0; i < IDE_UNITS; i++)
		if (the.dev[i])
			ata_dev_reset(the.dev[i], true);
	bus_init(&the.pio, "pio");
	bus_init(&the.mmio, "mmio");
	struct ide_env env = { .pio = &the.pio, .mem = &ram->mem };
	if (pci_host_create(&the.h, &the.pio, &the.mmio, NULL, NULL) || piix3_isa_create(&the.isa, &the.pio, NULL) ||
	    pci_host_add_fn(the.h, piix3_isa_pci(the.isa), 1, 0) || ide_create(&the.c, &env, the.dev) ||
	    pci_host_add_fn(the.h, ide_pci(the.c), 1, IDE_FN))
		fz_die("cannot build the board");
	the.bm = (uint16_t)(ide_pci(the.c)->cfg[0x20] | ide_pci(the.c)->cfg[0x21] << 8) & 0xfffc;
	ide_pause(the.c); /* the thread stays stopped: op 9 does its work here */
}

static void unbuild(void)
{
	ide_pause(the.c);
	pci_host_destroy(the.h); /* unmaps the functions' BARs: before they go */
	ide_destroy(the.c);
	piix3_isa_destroy(the.isa);
	bus_destroy(&the.pio);
	bus_destroy(&the.mmio);
}

static void save(struct state_writer *w)
{
	state_writer_init(w);
	state_begin(w, "piix3-ide", 0, 1);
	int e = ide_state_save(the.c, w);
	state_end(w);
	for (unsigned i = 0; !e && i < IDE_UNITS; i++) {
		if (!the.dev[i])
			continue;
		state_begin(w, "ata-dev", i, 1);
		e = ata_dev_state_save(the.dev[i], w);
		state_end(w);
	}
	if (!e)
		e = state_writer_finish(w);
	if (e)
		w->err = e;
}

static void round_trip(void)
{
	struct state_writer w, w2;
	save(&w);
	if (w.err) {
		state_writer_free(&w);
		return;
	}
	size_t n, n2;
	const uint8_t *b = state_writer_data(&w, &n);
	struct state_stream s;
	struct state_section sec;
	if (state_open(&s, b, n, NULL, 0))
		fz_die("state: own stream refused");
	while (state_next(&s, &sec) == 1) {
		int e = strcmp(sec.id, "piix3-ide") ? ata_dev_state_load(the.dev[sec.instance], &sec.r, 1)
						     : ide_state_load(the.c, &sec.r, 1);
		if (e)
			fz_die("state: own payload refused");
	}
	save(&w2);
	const uint8_t *b2 = state_writer_data(&w2, &n2);
	if (w2.err || n2 != n || memcmp(b, b2, n))
		fz_die("state: save/load/save changed the payload");
	state_writer_free(&w);
	state_writer_free(&w2);
}

static void cfg_write(unsigned off, uint32_t v, unsigned size)
{
	uint32_t a = 0x80000000u | 1u << 11 | (unsigned)IDE_FN << 8 | (off & 0xfc);
	bus_access(&the.pio, 0xcf8, &a, 4, 1);
	bus_access(&the.pio, 0xcfc + (off & 3), &v, size, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[0x2000 * 4];
	struct fz f = { data, size };
	struct fz_ram *ram = fz_ram_get(RAM_BYTES);
	size_t got, img = (size_t)fz_take(&f, 2) % (IMG_MAX + 1);
	const uint8_t *p = fz_bytes(&f, img, &got);
	memset(ram->buf, 0, ram->size);
	memcpy(ram->buf, p, got);
	build(ram);
	for (int ops = 0; f.n && ops < 300; ops++) {
		uint8_t op = (uint8_t)fz_take(&f, 1);
		unsigned ch = (op >> 4) & 1;
		uint16_t cmd = ch ? 0x170 : 0x1f0, ctl = ch ? 0x376 : 0x3f6;
		uint32_t v = 0;
		unsigned sz;
		switch (op & 0x0f) {
		case 0: {
			unsigned reg = (unsigned)fz_take(&f, 1) % 8;
			v = (uint32_t)fz_take(&f, reg ? 1 : 2);
			bus_access(&the.pio, cmd + reg, &v, reg ? 1 : 2, 1);
			break;
		}
		case 1:
			bus_access(&the.pio, cmd + fz_take(&f, 1) % 8, &v, 1, 0);
			break;
		case 2:
			v = (uint32_t)fz_take(&f, 1);
			bus_access(&the.pio, ctl, &v, 1, 1);
			break;
		case 3:
			bus_access(&the.pio, ctl, &v, 1, 0);
			break;
		case 4: {
			sz = op & 0x20 ? 4 : 2;
			unsigned n = (unsigned)fz_take(&f, 2) % (sizeof(buf) / sz + 1);
			memset(buf, 0x5c, sizeof(buf));
			bus_access_rep(&the.pio, cmd, buf, sz, n, 0);
			if ((size_t)n * sz < sizeof(buf) && buf[(size_t)n * sz] != 0x5c)
				fz_die("the data port wrote past the batch");
			break;
		}
		case 5: {
			unsigned n = (unsigned)fz_take(&f, 1);
			const uint8_t *d = fz_bytes(&f, 2 * (size_t)n, &got);
			memcpy(buf, d, got);
			memset(buf + got, 0, 2 * (size_t)n - got);
			bus_access_rep(&the.pio, cmd, buf, 2, n, 1);
			break;
		}
		case 6: {
			unsigned off = (unsigned)fz_take(&f, 1) % 16;
			sz = 1u << (fz_take(&f, 1) % 3);
			v = (uint32_t)fz_take(&f, 4);
			if (off + sz <= 16)
				bus_access(&the.pio, the.bm + off, &v, sz, 1);
			break;
		}
		case 7:
			bus_access(&the.pio, the.bm + fz_take(&f, 1) % 16, &v, 1, 0);
			break;
		case 8: {
			unsigned off = (unsigned)fz_take(&f, 1);
			sz = 1u << (fz_take(&f, 1) % 3);
			v = (uint32_t)fz_take(&f, 4);
			if ((off & 3) + sz <= 4)
				cfg_write(off, v, sz);
			break;
		}
		case 9:
			ide_pause(the.c);
			break;
		case 10:
			ide_pause(the.c);
			round_trip();
			break;
		default:
			break;
		}
	}
	ide_pause(the.c);
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, "piix3-ide", 0, 1);
	if (ide_state_save(the.c, &w) == -EBUSY)
		fz_die("a drained controller still has a transfer in flight");
	state_writer_free(&w);
	unbuild();
	return 0;
}
