/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prints 1 MiB to COM1, then powers off. Byte i is (i + (i >> 8)) & 0xff, so a reader can check
 * size and content. The bytes go out with rep outsb (KVM hands over up to a page of them per exit),
 * which keeps the run short; tests/integration/console.sh runs it against outputs nobody reads. */
	.include "tests/guest/common.inc"
	.code64
	.globl _start
	.set BUF, 0x400000
	.set LEN, 0x100000
_start:
	mov $BUF, %rdi
	xor %ecx, %ecx
1:	mov %cl, %al
	add %ch, %al
	stosb
	inc %ecx
	cmp $LEN, %ecx
	jne 1b
	mov $BUF, %rsi
	mov $LEN, %ecx
	mov $0x3f8, %dx
	cld
	rep outsb
	POWEROFF
