/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ELF executables for the kernel loaders: the header checks and the PT_LOAD segments copied to
 * their physical addresses, for ELF64 (linux.c: vmlinux, the tiny test guests) and ELF32 too
 * (multiboot.c: kvm-unit-tests' .flat files). Every field of the file is hostile; a bad file is
 * refused before guest RAM is written. */
#ifndef KVMINI_ELF_H
#define KVMINI_ELF_H
#include <stddef.h>
#include <stdint.h>

#include "../vmm/gmem.h"

#define ELF_ALLOW32 1u /* ELF32 (i386) as well as ELF64 (x86-64) */
#define ELF_VIRT_ENTRY 2u /* e_entry is virtual: translated through the segment whose range holds it */
#define ELF_CHECK_ONLY 4u /* every check and *sp, nothing written (a loader with more to check first) */
#define ELF_LOW_OK 8u /* segments may lie in [LAYOUT_MB_LOW_END, LAYOUT_MPTABLE) too (multiboot) */

/* Where the image lies once loaded: [start, end) physical, the entry's physical address. */
struct elf_span {
	uint64_t start, end, entry;
};

/* 1 when k starts with the ELF magic. */
int elf_is_elf(const uint8_t *k, size_t len);
/* Loads ET_EXEC file k per flags. Without ELF_VIRT_ENTRY, e_entry is a physical address inside a
 * segment (vmlinux). 0, or -ENOEXEC (not an executable it takes), -ENOMEM (does not fit: see
 * boot_check_placement), -EFAULT, with *why (if not NULL) set to a short static reason. */
int elf_load(const struct gmem *m, const uint8_t *k, size_t len, unsigned flags, struct elf_span *sp,
	     const char **why);
/* [addr, addr+len) inside one RAM region, at or above 1 MiB (the boot area) and below 4 GiB (the
 * boot identity map; paging off for multiboot), or with low_ok wholly in the conventional memory a
 * multiboot hand-off leaves free. 0, -ENOEXEC (wraps) or -ENOMEM, with *why. */
int boot_check_placement(const struct gmem *m, uint64_t addr, uint64_t len, int low_ok, const char **why);

#endif
