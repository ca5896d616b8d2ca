/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the BIOS hand-off produces: the state the boot vCPU starts in, and the inputs that describe
 * the machine to the guest (e820 from the RAM regions, ACPI/MP tables for the CPUs and devices). */
#ifndef KVMINI_BOOT_H
#define KVMINI_BOOT_H
#include <stddef.h>
#include <stdint.h>

#include "../vmm/gmem.h"

/* A kernel and what goes with it, already read into host memory. */
struct boot_image {
	const uint8_t *kernel;
	size_t kernel_len;
	const uint8_t *initrd; /* NULL when none */
	size_t initrd_len;
	const char *cmdline; /* NULL: empty */
	const char *kernel_name; /* the --kernel path: a multiboot command line starts with it; NULL: none */
	uint64_t acpi_rsdp; /* boot_params.acpi_rsdp_addr; 0 when no ACPI tables were built */
};

enum boot_mode {
	BOOT_MODE_LONG64 = 0, /* Linux: long mode with the identity map */
	BOOT_MODE_PROT32, /* multiboot: 32-bit protected mode, paging off */
};

/* The GDT selectors of the 32-bit entry's flat code and data segments. */
#define BOOT32_CS 0x08
#define BOOT32_DS 0x10

/* 64-bit entry: long mode, paging on with the identity map at LAYOUT_PML4, flat code segment 0x10
 * and data segment 0x18 from the GDT at LAYOUT_GDT; rsi = boot_params. 32-bit entry (mode
 * BOOT_MODE_PROT32): flat 32-bit segments BOOT32_CS/BOOT32_DS, CR0 = PE, cr3 unused; rax and rbx
 * as the multiboot spec wants them. */
struct boot_entry {
	enum boot_mode mode;
	uint64_t rax, rbx;
	uint64_t rip;
	uint64_t rsi;
	uint64_t rsp;
	uint64_t cr3;
	uint64_t gdt_base;
	uint16_t gdt_limit;
};

#endif
