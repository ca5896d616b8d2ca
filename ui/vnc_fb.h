/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VNC side's copy of the screen: the display's scanout (any DISPI depth, panned or not)
 * converted to 32-bit XRGB, and the rectangles that changed since the last look. Only rows on
 * pages the dirty log names are compared, and only their changed span is reported; without a log
 * every row is compared. A disabled or unusable mode is a black 640x480 screen. */
#ifndef KVMINI_VNC_FB_H
#define KVMINI_VNC_FB_H
#include <stdint.h>

#include "devices/display/dispi.h"

struct bochs_display;

struct vnc_fb {
	uint32_t *px; /* w * h pixels, 0x00RRGGBB */
	unsigned w, h;
	struct dispi_scanout last; /* what px shows */
	int fresh; /* px was never filled from the display */
};

typedef void (*vnc_fb_mark_fn)(void *opaque, int x0, int y0, int x1, int y1);

int vnc_fb_init(struct vnc_fb *f);
void vnc_fb_free(struct vnc_fb *f);
/* Brings px in line with d, calling mark for each changed rectangle ([x0, x1) x [y0, y1)). When the
 * size changed, px is a new buffer and the old one is returned in *old (the caller frees it once
 * the server no longer points at it), else *old is NULL. Returns the number of rectangles, or
 * -ENOMEM (nothing changed). */
int vnc_fb_refresh(struct vnc_fb *f, struct bochs_display *d, vnc_fb_mark_fn mark, void *opaque, uint32_t **old);
/* One row of src pixels at bpp (8, 15, 16, 24, 32) as XRGB. */
void vnc_fb_convert(const uint8_t *src, unsigned bpp, unsigned n, uint32_t *dst);

#endif
