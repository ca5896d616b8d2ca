/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Draws on the bochs-display without any driver: run with `--vnc ...,pointer=ps2` and no other
 * PCI device, so the display is the first function (BAR0, the framebuffer, at 0xc0000000; BAR2,
 * the registers, at 0xc1000000). Sets 320x200x32 through DISPI, paints the top half red and the
 * bottom half blue, says "TINY: drawn", then polls the i8042 for keyboard bytes: each is printed
 * ("TINY: key XXXXXXXX"); the first one repaints the whole screen green ("TINY: drawn green"),
 * a scan code 0x81 (Escape released, set 1) powers off. tests/integration/display.sh drives it. */
	.include "tests/guest/common.inc"
	/* FILL N, VALUE: N dwords of VALUE from %rdi on */
	.macro FILL n, value
	mov $\n, %ecx
	mov $\value, %eax
	rep stosl
	.endm
	.code64
	.globl _start
_start:
	mov $0xc1000500, %rbx /* DISPI, 16-bit registers at index * 2 */
	movw $0, 8(%rbx) /* ENABLE: off while the mode changes */
	movw $320, 2(%rbx)
	movw $200, 4(%rbx)
	movw $32, 6(%rbx)
	movw $0x41, 8(%rbx) /* ENABLED | LFB */
	mov $0xc0000000, %rdi
	FILL (320 * 100), 0x00ff0000
	FILL (320 * 100), 0x000000ff
	PUTS drawn
	xor %r12d, %r12d /* keys seen */
wait:	in $0x64, %al
	test $1, %al
	jz wait
	in $0x60, %al
	movzbl %al, %r13d
	PUTS key
	mov %r13d, %eax
	call puthex
	cmp $0x81, %r13d
	je bye
	test %r12d, %r12d
	jnz next
	mov $0xc0000000, %rdi
	FILL (320 * 200), 0x0000ff00
	PUTS green
next:	inc %r12d
	jmp wait
bye:	PUTS off
	POWEROFF
	COMMON_FUNCS
drawn:	.asciz "TINY: drawn\n"
key:	.asciz "TINY: key "
green:	.asciz "TINY: drawn green\n"
off:	.asciz "TINY: powering off\n"
