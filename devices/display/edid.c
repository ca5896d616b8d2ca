// SPDX-License-Identifier: GPL-2.0-or-later
/* EDID 1.4 (VESA E-EDID A2) base block. Timings of the preferred mode follow CVT reduced blanking
 * in spirit (160 pixels of horizontal blank, a few lines of vertical blank): any driver accepts
 * them and no real monitor is behind them. */
#include "edid.h"

#include <string.h>

static void descriptor_text(uint8_t *d, uint8_t tag, const char *text)
{
	memset(d, 0, 18);
	d[3] = tag;
	size_t n = strlen(text);
	if (n > 13)
		n = 13;
	memcpy(d + 5, text, n);
	if (n < 13) {
		d[5 + n] = '\n';
		memset(d + 6 + n, ' ', 12 - n);
	}
}

static void detailed_timing(uint8_t *d, unsigned w, unsigned h)
{
	unsigned hblank = 160, hfp = 48, hsync = 32;
	unsigned vblank = h / 20 + 6, vfp = 3, vsync = 6;
	unsigned clock = (w + hblank) * (h + vblank) * 60 / 10000; /* 10 kHz units */
	d[0] = (uint8_t)clock;
	d[1] = (uint8_t)(clock >> 8);
	d[2] = (uint8_t)w;
	d[3] = (uint8_t)hblank;
	d[4] = (uint8_t)(((w >> 8) & 0xf) << 4 | ((hblank >> 8) & 0xf));
	d[5] = (uint8_t)h;
	d[6] = (uint8_t)vblank;
	d[7] = (uint8_t)(((h >> 8) & 0xf) << 4 | ((vblank >> 8) & 0xf));
	d[8] = (uint8_t)hfp;
	d[9] = (uint8_t)hsync;
	d[10] = (uint8_t)((vfp & 0xf) << 4 | (vsync & 0xf));
	d[11] = (uint8_t)(((hfp >> 8) & 3) << 6 | ((hsync >> 8) & 3) << 4 | ((vfp >> 4) & 3) << 2 | ((vsync >> 4) & 3));
	unsigned wmm = 400, hmm = 400 * h / w; /* a 40 cm wide panel of the mode's aspect */
	d[12] = (uint8_t)wmm;
	d[13] = (uint8_t)hmm;
	d[14] = (uint8_t)(((wmm >> 8) & 0xf) << 4 | ((hmm >> 8) & 0xf));
	d[17] = 0x1e; /* digital separate sync, +hsync +vsync */
}

/* 10-bit CIE coordinate */
static unsigned cie(unsigned thousandths)
{
	return (thousandths * 1024 + 500) / 1000;
}

void edid_build(uint8_t out[EDID_BLOCK], unsigned width, unsigned height, const char *name)
{
	static const uint8_t header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
	if (width < 8 || width > 4095 || height < 1 || height > 4095) {
		width = 1024;
		height = 768;
	}
	memset(out, 0, EDID_BLOCK);
	memcpy(out, header, 8);
	/* manufacturer "KVM": three 5-bit letters, big-endian */
	unsigned mfg = ('K' - '@') << 10 | ('V' - '@') << 5 | ('M' - '@');
	out[8] = (uint8_t)(mfg >> 8);
	out[9] = (uint8_t)mfg;
	out[10] = 0x01; /* product code */
	out[16] = 1; /* week */
	out[17] = 2026 - 1990;
	out[18] = 1; /* EDID 1.4 */
	out[19] = 4;
	out[20] = 0xa5; /* digital, 8 bits per colour, DisplayPort */
	out[21] = 40; /* cm */
	out[22] = (uint8_t)(40 * height / width);
	out[23] = 120; /* gamma 2.2 */
	out[24] = 0x06; /* RGB 4:4:4, sRGB default, preferred mode is native */
	/* sRGB primaries and D65 white: red, green, blue, white (x, y) */
	const unsigned c[8] = { cie(640), cie(330), cie(300), cie(600), cie(150), cie(60), cie(313), cie(329) };
	out[25] = (uint8_t)((c[0] & 3) << 6 | (c[1] & 3) << 4 | (c[2] & 3) << 2 | (c[3] & 3));
	out[26] = (uint8_t)((c[4] & 3) << 6 | (c[5] & 3) << 4 | (c[6] & 3) << 2 | (c[7] & 3));
	for (int i = 0; i < 8; i++)
		out[27 + i] = (uint8_t)(c[i] >> 2);
	out[35] = 0x21; /* 640x480@60, 800x600@60 */
	out[36] = 0x08; /* 1024x768@60 */
	for (int i = 0; i < 8; i++) { /* no standard timings */
		out[38 + 2 * i] = 0x01;
		out[39 + 2 * i] = 0x01;
	}
	detailed_timing(out + 54, width, height);
	descriptor_text(out + 72, 0xfc, name ? name : "kvmini");
	/* range limits: 50-125 Hz vertical, 30-160 kHz horizontal, 300 MHz clock, no formula */
	uint8_t *r = out + 90;
	memset(r, 0, 18);
	r[3] = 0xfd;
	r[5] = 50;
	r[6] = 125;
	r[7] = 30;
	r[8] = 160;
	r[9] = 30;
	r[10] = 0x01;
	r[11] = 0x0a;
	memset(r + 12, ' ', 6);
	out[108 + 3] = 0x10; /* dummy descriptor */
	uint8_t sum = 0;
	for (int i = 0; i < EDID_BLOCK - 1; i++)
		sum = (uint8_t)(sum + out[i]);
	out[127] = (uint8_t)(0x100 - sum);
}

int edid_valid(const uint8_t b[EDID_BLOCK])
{
	static const uint8_t header[8] = { 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 };
	uint8_t sum = 0;
	for (int i = 0; i < EDID_BLOCK; i++)
		sum = (uint8_t)(sum + b[i]);
	return !memcmp(b, header, 8) && sum == 0;
}
