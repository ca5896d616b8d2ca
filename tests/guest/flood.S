/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prints 1 MiB to COM1 one byte per OUT, as a polled console driver does, then powers off. Byte i
 * is (i + (i >> 8)) & 0xff, so a reader can check size and content. tests/integration/console.sh
 * runs it against outputs nobody reads. (Computing each byte in the loop beats filling a buffer for
 * rep outsb: a PVM host emulates every guest kernel instruction, and rep outsb still exits per byte.) */
	.include "tests/guest/common.inc"
	.code64
	.globl _start
_start:
	mov $0x3f8, %dx
	xor %ecx, %ecx
1:	mov %cl, %al
	add %ch, %al
	out %al, (%dx)
	inc %ecx
	cmp $0x100000, %ecx
	jne 1b
	POWEROFF
