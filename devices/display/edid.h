/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An EDID 1.4 base block for the display's virtual monitor: the modes a guest driver (Linux's bochs
 * DRM driver reads BAR2 offset 0) may pick, with a preferred mode first. */
#ifndef KVMINI_EDID_H
#define KVMINI_EDID_H
#include <stdint.h>

#define EDID_BLOCK 128

/* Fills one block: preferred mode width x height at 60 Hz (width 8..4095, height 1..4095, else
 * 1024x768), monitor name (up to 13 characters), checksum. */
void edid_build(uint8_t out[EDID_BLOCK], unsigned width, unsigned height, const char *name);
/* 1 if the block's header and checksum are right. */
int edid_valid(const uint8_t b[EDID_BLOCK]);

#endif
