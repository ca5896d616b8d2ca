/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Asks for a reset through the i8042 (command 0xfe): with --no-reboot kvmini must exit 0. */
	.include "tests/guest/common.inc"
	.code64
	.globl _start
_start:
	PUTS msg
	mov $0xfe, %al
	out %al, $0x64
	hlt
	jmp _start
	COMMON_FUNCS
msg:	.asciz "TINY: reset via i8042\n"
