// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: fw_cfg's guest side (devices/fw_cfg.c) over fake guest RAM. The device holds what a
 * firmware boot gives (signature, ID, CPU count, a few files); the input is a script of port
 * accesses (selector writes, data reads, DMA doorbells with a control block the input writes into
 * RAM first, reads of the DMA signature, accesses of any size and offset) and state round trips,
 * then an image of RAM. The harness checks that a file read through the data port gives its bytes,
 * then zeros past its end, and that the device takes back the state it saved. */
#include "fuzz.h"

#include "devices/fw_cfg.h"
#include "vmm/state.h"

#define RAM_SIZE 0x10000
#define MAX_STEPS 64

static void round_trip(struct fw_cfg *fc)
{
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, "fw-cfg", 0, 1);
	fw_cfg_state_save(fc, &w);
	state_end(&w);
	if (state_writer_finish(&w) == 0) {
		size_t n;
		const uint8_t *b = state_writer_data(&w, &n);
		struct state_stream s;
		struct state_section sec;
		if (state_open(&s, b, n, NULL, 0) || state_next(&s, &sec) != 1 ||
		    fw_cfg_state_load(fc, &sec.r, sec.version))
			fz_die("fw_cfg refused its own state");
	}
	state_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct gmem mem = { 0 };
	struct fw_cfg *fc = NULL;
	if (!ram || gmem_add(&mem, 0, RAM_SIZE, ram) || fw_cfg_create(&fc, NULL, &mem))
		fz_die("setup");
	static const char order[] = "/pci@i0cf8/scsi@3/channel@0/disk@0,1";
	uint8_t e820[20] = { 0 };
	le_put64(e820, 8, RAM_SIZE);
	e820[16] = 1;
	fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, 2);
	fw_cfg_add_file(fc, "etc/e820", e820, sizeof(e820));
	fw_cfg_add_file(fc, "bootorder", order, sizeof(order));
	fw_cfg_add_rom(fc, FW_CFG_ROM_VGA, "vga.bin", "\x55\xaa\x01", 3);
	unsigned steps = (unsigned)fz_take(&f, 1) % MAX_STEPS;
	struct {
		uint8_t kind, off, size;
		uint16_t arg;
		uint8_t blk[16];
		uint16_t cb;
	} st[MAX_STEPS];
	for (unsigned i = 0; i < steps; i++) {
		st[i].kind = (uint8_t)fz_take(&f, 1);
		st[i].off = (uint8_t)fz_take(&f, 1);
		st[i].size = (uint8_t)(1u << (fz_take(&f, 1) % 4));
		st[i].arg = (uint16_t)fz_take(&f, 2);
		st[i].cb = (uint16_t)fz_take(&f, 2);
		for (int k = 0; k < 16; k++)
			st[i].blk[k] = (uint8_t)fz_take(&f, 1);
	}
	size_t got;
	const uint8_t *img = fz_bytes(&f, RAM_SIZE, &got);
	memcpy(ram, img, got);
	for (unsigned i = 0; i < steps; i++) {
		uint8_t v[8] = { 0 };
		switch (st[i].kind % 6) {
		case 0: /* select */
			le_put16(v, 0, st[i].arg);
			fw_cfg_io(fc, 0, v, 2, 1);
			break;
		case 1: /* data reads */
			for (unsigned k = 0; k < (st[i].arg & 0xff); k++)
				fw_cfg_io(fc, 1, v, 1, 0);
			break;
		case 2: { /* a DMA doorbell with a control block at cb */
			uint32_t cb = st[i].cb % (RAM_SIZE + 64);
			if (cb + 16 <= RAM_SIZE)
				memcpy(ram + cb, st[i].blk, 16);
			uint8_t hi[4] = { 0 }, lo[4];
			lo[0] = (uint8_t)(cb >> 24);
			lo[1] = (uint8_t)(cb >> 16);
			lo[2] = (uint8_t)(cb >> 8);
			lo[3] = (uint8_t)cb;
			fw_cfg_io(fc, 4, hi, 4, 1);
			fw_cfg_io(fc, 8, lo, 4, 1);
			break;
		}
		case 3: /* any access anywhere in the 12 ports */
			memcpy(v, st[i].blk, 8);
			fw_cfg_io(fc, st[i].off % 12, v, st[i].size, st[i].arg & 1);
			break;
		case 4:
			round_trip(fc);
			break;
		case 5: { /* the whole bootorder file through the data port, then zeros */
			le_put16(v, 0, FW_CFG_FILE_FIRST + 1);
			fw_cfg_io(fc, 0, v, 2, 1);
			for (unsigned k = 0; k < sizeof(order) + 8; k++) {
				uint8_t c = 0xee;
				fw_cfg_io(fc, 1, &c, 1, 0);
				if (c != (k < sizeof(order) ? (uint8_t)order[k] : 0))
					fz_die("data port returned the wrong byte");
			}
			break;
		}
		}
	}
	fw_cfg_destroy(fc);
	free(ram);
	return 0;
}
