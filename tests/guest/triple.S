/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Triple-faults (a zero-length IDT and an exception): KVM reports a shutdown, which kvmini treats
 * as a reset. */
	.include "tests/guest/common.inc"
	.code64
	.globl _start
_start:
	PUTS msg
	lidt idtr(%rip)
	ud2
	COMMON_FUNCS
msg:	.asciz "TINY: triple fault\n"
idtr:	.word 0
	.quad 0
