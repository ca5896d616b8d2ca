// SPDX-License-Identifier: GPL-2.0-or-later
/* Shadow framebuffer for the VNC server: conversion and change detection. */
#include "vnc_fb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/display/bochs.h"

#define BLANK_W 640
#define BLANK_H 480
#define BAND 16 /* rows whose changes are reported as one rectangle */

int vnc_fb_init(struct vnc_fb *f)
{
	memset(f, 0, sizeof(*f));
	f->px = calloc((size_t)BLANK_W * BLANK_H, 4);
	if (!f->px)
		return -ENOMEM;
	f->w = BLANK_W;
	f->h = BLANK_H;
	f->fresh = 1;
	return 0;
}

void vnc_fb_free(struct vnc_fb *f)
{
	free(f->px);
	f->px = NULL;
}

static uint32_t expand5(uint32_t v) { return v << 3 | v >> 2; }
static uint32_t expand6(uint32_t v) { return v << 2 | v >> 4; }

void vnc_fb_convert(const uint8_t *s, unsigned bpp, unsigned n, uint32_t *d)
{
	switch (bpp) {
	case 32:
		for (unsigned i = 0; i < n; i++, s += 4)
			d[i] = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16;
		break;
	case 24:
		for (unsigned i = 0; i < n; i++, s += 3)
			d[i] = (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16;
		break;
	case 16:
		for (unsigned i = 0; i < n; i++, s += 2) {
			uint32_t v = (uint32_t)s[0] | (uint32_t)s[1] << 8;
			d[i] = expand5(v >> 11) << 16 | expand6((v >> 5) & 0x3f) << 8 | expand5(v & 0x1f);
		}
		break;
	case 15:
		for (unsigned i = 0; i < n; i++, s += 2) {
			uint32_t v = (uint32_t)s[0] | (uint32_t)s[1] << 8;
			d[i] = expand5((v >> 10) & 0x1f) << 16 | expand5((v >> 5) & 0x1f) << 8 | expand5(v & 0x1f);
		}
		break;
	default: /* 8: no palette on bochs-display; read as RGB 3-3-2 */
		for (unsigned i = 0; i < n; i++) {
			uint32_t v = s[i];
			d[i] = ((v >> 5) * 255 / 7) << 16 | (((v >> 2) & 7) * 255 / 7) << 8 | ((v & 3) * 255 / 3);
		}
		break;
	}
}

static int page_dirty(const uint64_t *bm, uint64_t from, uint64_t len)
{
	for (uint64_t p = from / VM_PAGE_SIZE; p <= (from + len - 1) / VM_PAGE_SIZE; p++)
		if (p < BOCHS_FB_PAGES && (bm[p / 64] >> (p % 64) & 1))
			return 1;
	return 0;
}

int vnc_fb_refresh(struct vnc_fb *f, struct bochs_display *d, vnc_fb_mark_fn mark, void *opaque, uint32_t **old)
{
	*old = NULL;
	struct dispi_scanout s;
	bochs_display_scanout(d, &s);
	unsigned w = s.enabled ? s.width : BLANK_W, h = s.enabled ? s.height : BLANK_H;
	uint64_t dirty[BOCHS_DIRTY_WORDS] = { 0 };
	int all = bochs_display_dirty(d, dirty) || f->fresh || memcmp(&s, &f->last, sizeof(s));
	if (w != f->w || h != f->h) {
		uint32_t *px = calloc((size_t)w * h, 4);
		if (!px)
			return -ENOMEM;
		*old = f->px;
		f->px = px;
		f->w = w;
		f->h = h;
		all = 1;
	}
	f->last = s;
	f->fresh = 0;
	int rects = 0;
	if (!s.enabled) {
		if (all) {
			memset(f->px, 0, (size_t)w * h * 4);
			mark(opaque, 0, 0, (int)w, (int)h);
			rects = 1;
		}
		return rects;
	}
	const uint8_t *fb = bochs_display_fb(d);
	unsigned bpx = (s.bpp + 7) / 8;
	uint32_t line[DISPI_MAX_XRES];
	int bx0 = -1, bx1 = 0, by0 = 0, by1 = 0;
	for (unsigned y = 0; y < h; y++) {
		uint64_t off = s.offset + (uint64_t)y * s.stride;
		if (all || page_dirty(dirty, off, (uint64_t)w * bpx)) {
			vnc_fb_convert(fb + off, s.bpp, w, line);
			uint32_t *row = f->px + (size_t)y * w;
			unsigned x0 = 0, x1 = w;
			while (x0 < w && row[x0] == line[x0])
				x0++;
			if (x0 < w) {
				while (row[x1 - 1] == line[x1 - 1])
					x1--;
				memcpy(row + x0, line + x0, (x1 - x0) * 4);
				if (bx0 < 0) {
					bx0 = (int)x0;
					bx1 = (int)x1;
					by0 = (int)y;
				}
				bx0 = (int)x0 < bx0 ? (int)x0 : bx0;
				bx1 = (int)x1 > bx1 ? (int)x1 : bx1;
				by1 = (int)y + 1;
			}
		}
		/* close the band at its last row, or at the end */
		if (bx0 >= 0 && ((y + 1) % BAND == 0 || y + 1 == h)) {
			mark(opaque, bx0, by0, bx1, by1);
			rects++;
			bx0 = -1;
		}
	}
	return rects;
}
