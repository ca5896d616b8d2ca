/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The firmware's memory: a BIOS image (SeaBIOS) mapped read-only just below 4 GiB, its last
 * 128 KiB aliased at 0xE0000, and the shadow RAM at 0xC0000-0xFFFFF that the i440FX's PAM
 * registers switch between RAM (read-only or read-write) and ROM, each segment its own KVM memory
 * slot. Writes the guest makes to a read-only segment exit as MMIO and land in RAM only when the
 * segment's PAM bits say so. The guest's RAM below 0xA0000 and from 1 MiB on keeps ordinary slots;
 * 0xA0000-0xBFFFF (the VGA window) is left to devices. */
#ifndef KVMINI_BIOS_H
#define KVMINI_BIOS_H
#include <stddef.h>
#include <stdint.h>

#include "vm.h"

#define BIOS_MAX_SIZE (256u << 10) /* bios-256k.bin; a larger one would reach KVM's TSS pages */
#define BIOS_MIN_SIZE (64u << 10)
#define BIOS_SEGS 13 /* 0xC0000-0xEFFFF in 16 KiB pieces, then 0xF0000-0xFFFFF */

struct bios_map {
	struct vm *vm;
	uint8_t *rom; /* read-only copy of the image */
	size_t rom_len;
	uint8_t mode[BIOS_SEGS]; /* PAM bits per segment as mapped (bit 0 read RAM, bit 1 write RAM) */
	uint8_t mapped[BIOS_SEGS]; /* what the segment's slot holds: 0 none, 1 ROM, 2 RAM r/o, 3 RAM r/w */
	int registered;
};

/* Checks an image: size a multiple of 64 KiB within [BIOS_MIN_SIZE, BIOS_MAX_SIZE] and a far jump
 * at the reset vector (16 bytes below its end). 0, or -EINVAL with the reason in why. */
int bios_image_check(const uint8_t *img, size_t len, const char **why);
/* Maps img (copied) into vm, whose RAM was created with vm_mem_cfg.firmware, with every PAM
 * segment on ROM as after reset. -errno with why. */
int bios_map_create(struct bios_map *b, struct vm *vm, const uint8_t *img, size_t len, const char **why);
/* The PAM hook (devices/pci.h): brings the segments' slots in line with the registers. */
void bios_map_pam(void *opaque, const uint8_t pam[7]);
void bios_map_destroy(struct bios_map *b);

#endif
