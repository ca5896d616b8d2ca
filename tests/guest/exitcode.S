/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Writes 0x21 to the exit device (QEMU's isa-debug-exit at port 0xF4, `kvmini run --exit-device`):
 * kvmini then exits with status (0x21 << 1) | 1 = 67. Without the device the write is unclaimed
 * and the guest powers off (status 0), which the test tells apart. */
	.include "tests/guest/common.inc"

	.code64
	.globl _start
_start:
	PUTS hello
	mov $0xf4, %dx
	mov $0x21, %al
	out %al, (%dx)
	PUTS after
	POWEROFF

	COMMON_FUNCS
hello:	.asciz "TINY: writing 0x21 to the exit port\n"
after:	.asciz "TINY: still running after the exit port write\n"
