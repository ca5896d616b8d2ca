/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PIO exit round trip: COUNT byte writes to an unclaimed port, then ACPI poweroff. bench/pio.sh
 * builds it twice (-DCOUNT=200000 and -DCOUNT=0) and divides the difference in wall time by COUNT.
 * kvmini enters at _start in 64-bit mode (tests/guest convention). For qemu the ELF also carries a
 * PVH note whose 32-bit entry (paging off, flat segments) builds an identity map of the first GiB
 * at 0x300000, enters long mode and jumps to the same _start; there the poweroff write to port
 * 0x604 is caught by an isa-debug-exit device. The loop is the one bench/floor.c runs bare. */
	.include "tests/guest/common.inc"
#ifndef COUNT
#define COUNT 200000
#endif
#define PORT 0x550

	.code64
	.globl _start
_start:
	mov $PORT, %dx
	mov $COUNT, %ecx
	test %ecx, %ecx
	jz 2f
1:	out %al, (%dx)
	dec %ecx
	jnz 1b
2:	POWEROFF
	jmp 2b

/* --- PVH entry (qemu only) --- */
#define PML4 0x300000
	.code32
pvh_start:
	cli
	mov $PML4, %edi
	xor %eax, %eax
	mov $(3 * 4096 / 4), %ecx
	rep stosl
	movl $(PML4 + 0x1003), PML4
	movl $(PML4 + 0x2003), PML4 + 0x1000
	mov $(PML4 + 0x2000), %edi
	mov $0x83, %eax
	mov $512, %ecx
3:	mov %eax, (%edi)
	add $0x200000, %eax
	add $8, %edi
	loop 3b
	mov $PML4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax
	mov %eax, %cr4
	mov $0xc0000080, %ecx
	rdmsr
	or $0x100, %eax
	wrmsr
	lgdt gdtr
	mov %cr0, %eax
	or $0x80000001, %eax
	mov %eax, %cr0
	ljmp $0x10, $_start

	.balign 8
gdt:	.quad 0, 0, 0x00af9b000000ffff, 0x00cf93000000ffff
gdtr:	.word 31
	.long gdt

/* Xen PVH note (XEN_ELFNOTE_PHYS32_ENTRY = 18); not named .note* so guest.ld keeps it */
	.section .pvhnote, "a", @note
	.balign 4
	.long 4, 4, 18
	.asciz "Xen"
	.long pvh_start
