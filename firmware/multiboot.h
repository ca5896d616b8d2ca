/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Multiboot (v1) kernels, as kvm-unit-tests builds its x86 tests (x86/NAME.flat, an ELF32 file):
 * finds the header in the first 8 KiB, loads the ELF32/ELF64 program headers or the a.out-kludge
 * address fields (header flag 16), the command line (the kernel's name, then --append's) and the
 * initrd as the one module, builds the
 * multiboot information (memory sizes, the e820 map as the memory map) and the flat 32-bit entry
 * (EAX = 0x2BADB002, EBX = the information, paging off). Also the dispatch between this loader and
 * the Linux one (firmware/linux.h) for --kernel. Every field of the file is hostile. */
#ifndef KVMINI_MULTIBOOT_H
#define KVMINI_MULTIBOOT_H
#include <stddef.h>
#include <stdint.h>

#include "boot.h"

#define MB_HEADER_MAGIC 0x1badb002u
#define MB_BOOT_MAGIC 0x2badb002u /* EAX at entry */
#define MB_SEARCH_LEN 8192u /* the header lies 4-byte aligned in the first 8 KiB */

/* The multiboot information's fields at their offsets (the Multiboot 0.6.96 spec, section 3.3). */
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_LOADER_NAME 64
#define MBI_SIZE 120
#define MBI_F_MEM 0x001
#define MBI_F_CMDLINE 0x004
#define MBI_F_MODS 0x008
#define MBI_F_MMAP 0x040
#define MBI_F_LOADER_NAME 0x200

/* 1 when k is not a bzImage and a valid header (magic, checksum) lies in its first 8 KiB: the
 * file is to go through multiboot_load. */
int multiboot_detect(const uint8_t *k, size_t len);

/* Loads a multiboot kernel (multiboot_detect said 1) into guest RAM and fills *out for the 32-bit
 * entry (out->mode = BOOT_MODE_PROT32). Returns 0, or -ENOEXEC (a header or executable it cannot
 * load), -EINVAL (command line too long), -ENOMEM (does not fit in RAM), -EFAULT, with *why set (if
 * why is not NULL) to a short static reason. A bad file is refused before RAM is written. */
int multiboot_load(const struct gmem *m, const struct boot_image *img, struct boot_entry *out,
		   const char **why);

/* --kernel: multiboot_load for a multiboot kernel, else linux_load; a file neither loader takes
 * that holds a broken multiboot header (bad checksum, header past 8 KiB) is refused for that. */
int boot_load_kernel(const struct gmem *m, const struct boot_image *img, struct boot_entry *out,
		     const char **why);

#endif
