/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The BIOS memory map (e820) the guest sees, derived from the RAM regions of a gmem. */
#ifndef KVMINI_E820_H
#define KVMINI_E820_H
#include <stdint.h>

#include "../vmm/gmem.h"

#define E820_RAM 1
#define E820_RESERVED 2

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/* Fills out[0..max) sorted by address: every RAM region is usable except the EBDA/BIOS area
 * [LAYOUT_MPTABLE, LAYOUT_HIMEM), which is one reserved entry. Returns the count, -ENOSPC if max
 * is too small, -EINVAL if there is no RAM. */
int e820_build(const struct gmem *m, struct e820_entry *out, unsigned max);

#endif
