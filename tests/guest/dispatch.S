/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Exercises exit dispatch: COM1 output (a claimed port), 100 writes to an unclaimed port, reads of
 * an unclaimed port and an unclaimed MMIO address (both must read all-ones), then ACPI poweroff.
 * tests/integration/tiny-guests.sh checks the serial output and the --stats counts. */
	.include "tests/guest/common.inc"
	.code64
	.globl _start
_start:
	PUTS hello
	mov $0x510, %dx
	mov $100, %ecx
1:	out %al, (%dx)
	loop 1b
	mov $0x514, %dx
	in (%dx), %eax
	push %rax
	PUTS pio
	pop %rax
	call puthex
	mov $0xe0000000, %rbx
	mov (%rbx), %eax
	movl $0x12345678, (%rbx)
	push %rax
	PUTS mmio
	pop %rax
	call puthex
	PUTS bye
	POWEROFF
	COMMON_FUNCS
hello:	.asciz "TINY: hello from a tiny guest\n"
pio:	.asciz "TINY: unclaimed pio read "
mmio:	.asciz "TINY: unclaimed mmio read "
bye:	.asciz "TINY: powering off\n"
