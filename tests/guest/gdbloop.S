/* SPDX-License-Identifier: GPL-2.0-or-later */
/* For the GDB stub test (tests/integration/gdb.sh): counts in memory until the debugger sets
 * `flag`, then says so and powers off. `tick` is where a hardware breakpoint goes, the store to
 * `counter` is what a write watchpoint sees. */
	.include "tests/guest/common.inc"

	.code64
	.globl _start, tick, counter, flag
_start:
	PUTS hello
tick:
	incl counter(%rip)
	mov flag(%rip), %eax
	test %eax, %eax
	jz tick
	PUTS bye
	mov counter(%rip), %eax
	call puthex
	POWEROFF

	COMMON_FUNCS
hello:	.asciz "TINY: counting until the debugger sets flag\n"
bye:	.asciz "TINY: flag set by the debugger, counter "
	.balign 8
counter: .long 0
flag:	.long 0
