// SPDX-License-Identifier: GPL-2.0-or-later
/* DISPI register semantics as the Bochs VBE extension and QEMU's bochs-display define them: values
 * are clamped when written (as the hardware does), the virtual height follows from the memory a
 * line takes, and GETCAPS turns the XRES/YRES/BPP reads into the maxima. */
#include "dispi.h"

#include <string.h>

static unsigned bytes_pp(unsigned bpp)
{
	return (bpp + 7) / 8;
}

static int bpp_ok(unsigned bpp)
{
	return bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

void dispi_init(struct dispi *d, uint32_t fb_size)
{
	memset(d, 0, sizeof(*d));
	d->fb_size = fb_size;
	d->reg[DISPI_INDEX_ID] = DISPI_ID5;
	d->reg[DISPI_INDEX_XRES] = 640;
	d->reg[DISPI_INDEX_YRES] = 480;
	d->reg[DISPI_INDEX_BPP] = 32;
	d->reg[DISPI_INDEX_VIDEO_MEMORY_64K] = (uint16_t)(fb_size >> 16);
}

uint16_t dispi_read(const struct dispi *d, unsigned index)
{
	if (index >= DISPI_NUM_REGS)
		return 0xffff;
	if (d->reg[DISPI_INDEX_ENABLE] & DISPI_GETCAPS) {
		if (index == DISPI_INDEX_XRES)
			return DISPI_MAX_XRES;
		if (index == DISPI_INDEX_YRES)
			return DISPI_MAX_YRES;
		if (index == DISPI_INDEX_BPP)
			return DISPI_MAX_BPP;
	}
	return d->reg[index];
}

/* virtual height: every whole line of virtual width that fits in the framebuffer */
static void set_virt_height(struct dispi *d)
{
	unsigned bpp = d->reg[DISPI_INDEX_BPP];
	uint32_t line = (uint32_t)d->reg[DISPI_INDEX_VIRT_WIDTH] * bytes_pp(bpp_ok(bpp) ? bpp : 32);
	uint32_t h = line ? d->fb_size / line : 0;
	d->reg[DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)(h > 0xffff ? 0xffff : h);
}

int dispi_write(struct dispi *d, unsigned index, uint16_t v)
{
	switch (index) {
	case DISPI_INDEX_ID: /* the guest names the interface version it wants: ours stays */
	case DISPI_INDEX_VIRT_HEIGHT:
	case DISPI_INDEX_VIDEO_MEMORY_64K:
		return 0;
	case DISPI_INDEX_XRES:
		d->reg[index] = v > DISPI_MAX_XRES ? DISPI_MAX_XRES : v & ~7u; /* multiples of 8 */
		return 0;
	case DISPI_INDEX_YRES:
		d->reg[index] = v > DISPI_MAX_YRES ? DISPI_MAX_YRES : v;
		return 0;
	case DISPI_INDEX_BPP:
		d->reg[index] = v == 0 ? 8 : v;
		if (d->reg[DISPI_INDEX_VIRT_WIDTH])
			set_virt_height(d);
		return 0;
	case DISPI_INDEX_BANK:
		d->reg[index] = (uint16_t)(v % (d->fb_size >> 16 ? d->fb_size >> 16 : 1));
		return 0;
	case DISPI_INDEX_ENABLE: {
		int was = d->reg[index] & DISPI_ENABLED;
		d->reg[index] = v & (DISPI_ENABLED | DISPI_GETCAPS | DISPI_8BIT_DAC | DISPI_LFB_ENABLED | DISPI_NOCLEARMEM);
		if (!(v & DISPI_ENABLED) || was)
			return 0;
		/* a mode set: the virtual screen starts as the visible one, unpanned */
		d->reg[DISPI_INDEX_VIRT_WIDTH] = d->reg[DISPI_INDEX_XRES];
		d->reg[DISPI_INDEX_X_OFFSET] = 0;
		d->reg[DISPI_INDEX_Y_OFFSET] = 0;
		d->reg[DISPI_INDEX_BANK] = 0;
		set_virt_height(d);
		return !(v & DISPI_NOCLEARMEM);
	}
	case DISPI_INDEX_VIRT_WIDTH:
		d->reg[index] = v & ~7u;
		set_virt_height(d);
		return 0;
	case DISPI_INDEX_X_OFFSET:
	case DISPI_INDEX_Y_OFFSET:
		d->reg[index] = v;
		return 0;
	default:
		return 0;
	}
}

void dispi_scanout(const struct dispi *d, struct dispi_scanout *s)
{
	memset(s, 0, sizeof(*s));
	const uint16_t *r = d->reg;
	unsigned bpp = r[DISPI_INDEX_BPP];
	if (!(r[DISPI_INDEX_ENABLE] & DISPI_ENABLED) || !bpp_ok(bpp) || !r[DISPI_INDEX_XRES] ||
	    !r[DISPI_INDEX_YRES])
		return;
	uint64_t bpx = bytes_pp(bpp);
	uint64_t vw = r[DISPI_INDEX_VIRT_WIDTH] < r[DISPI_INDEX_XRES] ? r[DISPI_INDEX_XRES] : r[DISPI_INDEX_VIRT_WIDTH];
	uint64_t stride = vw * bpx;
	uint64_t off = (uint64_t)r[DISPI_INDEX_Y_OFFSET] * stride + (uint64_t)r[DISPI_INDEX_X_OFFSET] * bpx;
	/* the last visible byte must lie in the framebuffer (64-bit: no wrap for any register value) */
	uint64_t end = off + (uint64_t)(r[DISPI_INDEX_YRES] - 1) * stride + (uint64_t)r[DISPI_INDEX_XRES] * bpx;
	if (end > d->fb_size)
		return;
	s->enabled = 1;
	s->width = r[DISPI_INDEX_XRES];
	s->height = r[DISPI_INDEX_YRES];
	s->bpp = bpp;
	s->stride = (uint32_t)stride;
	s->offset = (uint32_t)off;
}

int dispi_check(const struct dispi *d)
{
	struct dispi t;
	dispi_init(&t, d->fb_size);
	const uint16_t *r = d->reg;
	if (r[DISPI_INDEX_ID] != DISPI_ID5 || r[DISPI_INDEX_VIDEO_MEMORY_64K] != t.reg[DISPI_INDEX_VIDEO_MEMORY_64K] ||
	    r[DISPI_INDEX_XRES] > DISPI_MAX_XRES || (r[DISPI_INDEX_XRES] & 7) || r[DISPI_INDEX_YRES] > DISPI_MAX_YRES ||
	    !r[DISPI_INDEX_BPP] || (r[DISPI_INDEX_VIRT_WIDTH] & 7) ||
	    (r[DISPI_INDEX_ENABLE] & ~(DISPI_ENABLED | DISPI_GETCAPS | DISPI_8BIT_DAC | DISPI_LFB_ENABLED | DISPI_NOCLEARMEM)) ||
	    r[DISPI_INDEX_BANK] >= (d->fb_size >> 16))
		return -1;
	return 0;
}
