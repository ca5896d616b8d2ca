/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A guest that shows whether it runs: prints "TICK n" (n = 0, 1, ...) about ten times a second,
 * timed by the ACPI PM timer, and when the ACPI power button is pressed (PM1 status PWRBTN_STS)
 * prints "TINY: power button" and powers off through ACPI. Between ticks it sleeps in HLT, woken
 * by a periodic LAPIC timer, so several of them can run on a busy host without spinning a core.
 * Used by tests/integration/qmp.sh (stop/cont, system_powerdown, system_reset) and virsh's tests. */
	.include "tests/guest/common.inc"

	.set PM_EVT, 0x600
	.set PM_TMR, 0x608
	.set PWRBTN_STS, 0x100
	.set TICK_PM, 357954 /* 100 ms at 3.579545 MHz */
	.set LAPIC, 0xfee00000
	.set TIMER_VEC, 0x40
	.set SPURIOUS_VEC, 0xff

	.code64
	.globl _start
_start:
	/* interrupt gates for the timer and the spurious vector, in an IDT covering all 256 vectors */
	lea timer_isr(%rip), %rax
	mov $TIMER_VEC, %ecx
	call set_gate
	lea spurious_isr(%rip), %rax
	mov $SPURIOUS_VEC, %ecx
	call set_gate
	lidt idtr(%rip)
	/* LAPIC: software-enable, timer periodic every ~10 ms (bus clock / 16; the exact rate does not
	 * matter, it only wakes the loop, and the PM timer measures time) */
	mov $LAPIC, %ebx
	movl $(0x100 | SPURIOUS_VEC), 0xf0(%rbx)
	movl $0x3, 0x3e0(%rbx)
	movl $(0x20000 | TIMER_VEC), 0x320(%rbx)
	movl $625000, 0x380(%rbx)
	xor %r13d, %r13d /* tick number */
	mov $PM_TMR, %dx
	in (%dx), %eax
	mov %eax, %r12d /* PM timer value at the last tick */
	jmp print_tick
loop:
	sti
	hlt /* sti's interrupt shadow makes sti; hlt atomic: no wake-up is lost */
	cli
	mov $PM_EVT, %dx
	in (%dx), %ax
	test $PWRBTN_STS, %ax
	jnz power_button
	mov $PM_TMR, %dx
	in (%dx), %eax
	mov %eax, %ecx
	sub %r12d, %ecx
	and $0xffffff, %ecx /* the counter is 24 bits wide */
	cmp $TICK_PM, %ecx
	jb loop
	mov %eax, %r12d
print_tick:
	PUTS tick
	mov %r13d, %eax
	call putdec
	inc %r13d
	jmp loop

power_button:
	mov $PWRBTN_STS, %ax
	out %ax, (%dx) /* write 1 to clear */
	PUTS button
	POWEROFF

/* rax = handler, ecx = vector */
set_gate:
	lea idt(%rip), %rdi
	shl $4, %ecx
	add %rcx, %rdi
	mov %ax, (%rdi)
	movw $0x10, 2(%rdi) /* the boot code segment */
	movw $0x8e00, 4(%rdi) /* present, DPL 0, 64-bit interrupt gate */
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movl $0, 12(%rdi)
	ret

timer_isr:
	push %rax
	mov $(LAPIC + 0xb0), %eax
	movl $0, (%rax) /* EOI */
	pop %rax
	iretq

spurious_isr:
	iretq

/* prints eax in decimal and a newline */
putdec:
	lea digits_end(%rip), %rsi
	movb $0, (%rsi)
	dec %rsi
	movb $'\n', (%rsi)
	mov $10, %ecx
1:	xor %edx, %edx
	div %ecx
	add $'0', %dl
	dec %rsi
	mov %dl, (%rsi)
	test %eax, %eax
	jnz 1b
	call puts
	ret

	COMMON_FUNCS
tick:	.asciz "TICK "
button:	.asciz "TINY: power button\n"
	.balign 16
digits:	.fill 16, 1, 0
digits_end:
	.byte 0
	.balign 16
idtr:	.word 256 * 16 - 1
	.quad idt
	.balign 16
idt:	.fill 256 * 16, 1, 0
