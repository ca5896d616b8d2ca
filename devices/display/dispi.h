/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Bochs VBE "DISPI" register file that bochs-display exposes (16-bit registers, index 0..10):
 * resolution, depth, enable, virtual width and panning offsets, and the scanout they describe.
 * Pure register semantics over a framebuffer size, so the PCI glue, unit tests and the fuzz target
 * share it. Whatever the guest writes, dispi_scanout only ever describes bytes inside the
 * framebuffer, or says the mode is unusable. */
#ifndef KVMINI_DISPI_H
#define KVMINI_DISPI_H
#include <stdint.h>

#define DISPI_INDEX_ID 0
#define DISPI_INDEX_XRES 1
#define DISPI_INDEX_YRES 2
#define DISPI_INDEX_BPP 3
#define DISPI_INDEX_ENABLE 4
#define DISPI_INDEX_BANK 5
#define DISPI_INDEX_VIRT_WIDTH 6
#define DISPI_INDEX_VIRT_HEIGHT 7
#define DISPI_INDEX_X_OFFSET 8
#define DISPI_INDEX_Y_OFFSET 9
#define DISPI_INDEX_VIDEO_MEMORY_64K 10
#define DISPI_NUM_REGS 11

#define DISPI_ID5 0xB0C5
#define DISPI_ENABLED 0x01
#define DISPI_GETCAPS 0x02
#define DISPI_8BIT_DAC 0x20
#define DISPI_LFB_ENABLED 0x40
#define DISPI_NOCLEARMEM 0x80

#define DISPI_MAX_XRES 2560
#define DISPI_MAX_YRES 1600
#define DISPI_MAX_BPP 32

struct dispi {
	uint16_t reg[DISPI_NUM_REGS];
	uint32_t fb_size; /* bytes of framebuffer, a multiple of 64 KiB */
};

/* What the guest's registers put on screen. */
struct dispi_scanout {
	int enabled; /* 0: no usable mode (disabled, or values that do not fit): a blank screen */
	unsigned width, height, bpp; /* bpp 8, 15, 16, 24 or 32 */
	uint32_t stride; /* bytes per line (virtual width * bytes per pixel) */
	uint32_t offset; /* byte of the top-left visible pixel */
};

/* Power-on values (disabled, 640x480x32 preset as QEMU leaves them). */
void dispi_init(struct dispi *d, uint32_t fb_size);
uint16_t dispi_read(const struct dispi *d, unsigned index);
/* A guest write. Returns 1 for a mode set without NOCLEARMEM (where VGA clears its memory; the
 * caller decides), else 0. Out-of-range indexes are ignored. */
int dispi_write(struct dispi *d, unsigned index, uint16_t v);
void dispi_scanout(const struct dispi *d, struct dispi_scanout *s);
/* 0 if every register holds a value dispi_write could have left (a saved state's check). */
int dispi_check(const struct dispi *d);

#endif
