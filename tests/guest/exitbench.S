/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Exit microbenchmarks measured inside the guest (the kvm-unit-tests vmexit idea), for `kvmini bench
 * exits`: each test runs ITER times between two RDTSCs and prints "EXITBENCH <name> <hex cycles per
 * iteration>": CPUID, VMCALL (KVM's hypercall, an unknown number), port reads handled in KVM (0x61,
 * the in-kernel PIT) and port writes that reach the VMM (0x550, unclaimed), MMIO writes to the VMM
 * (0xe0000000, unclaimed), RDMSR/WRMSR of SYSENTER_CS (in KVM), HLT woken by the LAPIC timer
 * (one-shot, count 1: the cost includes arming it) and by a self-IPI. An exception (e.g. a VMCALL
 * this KVM refuses) prints "EXITBENCH fault" and powers off. VMCALL runs only when the kernel
 * command line starts with "vmcall" (PVM loops on it). */
	.include "tests/guest/common.inc"
#ifndef ITER
#define ITER 2000
#endif
	.set IDT, 0x300000
	.set LAPIC, 0xfee00000
	.set VEC, 0x40

	/* BENCH label: times the code up to ENDBENCH, ITER times; r12, r13 are the macro's */
	.macro BENCH
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, %r12
	mov $ITER, %r13d
77:
	.endm
	.macro ENDBENCH name
	dec %r13d
	jnz 77b
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	sub %r12, %rax
	xor %edx, %edx
	mov $ITER, %ecx
	div %rcx
	push %rax
	PUTS \name
	pop %rax
	call puthex
	.endm

	.code64
	.globl _start
_start:
	mov %rsi, %r15 /* boot_params */
	/* IDT: vectors 0-31 to fault, VEC to irq */
	mov $IDT, %rdi
	xor %esi, %esi
1:	lea fault(%rip), %rax
	cmp $VEC, %esi
	jne 2f
	lea irq(%rip), %rax
2:	mov %cs, %bx
	/* low quadword: offset 15:0 | selector << 16 | 0x8e00 << 32 | offset 31:16 << 48 */
	mov %rax, %rdx
	and $0xffff, %edx
	movzwl %bx, %ebx
	shl $16, %ebx
	or %rbx, %rdx
	mov $0x8e00, %rbx
	shl $32, %rbx
	or %rbx, %rdx
	mov %rax, %rbx
	shr $16, %rbx
	and $0xffff, %ebx
	shl $48, %rbx
	or %rbx, %rdx
	mov %rdx, (%rdi)
	shr $32, %rax
	mov %rax, 8(%rdi)
	add $16, %rdi
	inc %esi
	cmp $VEC, %esi
	jbe 1b
	lidt idtr(%rip)
	/* LAPIC on (spurious vector register), the timer one-shot at VEC, divide by 1 */
	mov $LAPIC, %rbx
	movl $0x1ff, 0xf0(%rbx)
	movl $VEC, 0x320(%rbx)
	movl $0xb, 0x3e0(%rbx)

	BENCH
	xor %eax, %eax
	xor %ecx, %ecx
	cpuid
	ENDBENCH n_cpuid

	BENCH
	in $0x61, %al
	ENDBENCH n_piok

	BENCH
	mov $0x550, %dx
	out %al, (%dx)
	ENDBENCH n_piou

	mov $0xe0000000, %rbx
	BENCH
	movl $0, (%rbx)
	ENDBENCH n_mmiou

	BENCH
	mov $0x174, %ecx
	rdmsr
	ENDBENCH n_rdmsr

	BENCH
	mov $0x174, %ecx
	mov $0x10, %eax
	xor %edx, %edx
	wrmsr
	ENDBENCH n_wrmsr

	BENCH
	mov $LAPIC, %rbx
	movl $1, 0x380(%rbx)
	sti
	hlt
	cli
	ENDBENCH n_hlttimer

	BENCH
	mov $LAPIC, %rbx
	movl $0, 0x310(%rbx)
	movl $(VEC | 0x40000), 0x300(%rbx) /* fixed, destination shorthand: self */
	sti
	hlt
	cli
	ENDBENCH n_hltipi

	/* last, and only when the command line starts with "vmcall": a KVM that refuses the
	 * hypercall faults after the others printed; PVM re-executes it forever */
	mov 0x228(%r15), %eax /* boot_params.hdr.cmd_line_ptr */
	test %eax, %eax
	jz 3f
	cmpb $'v', (%rax)
	jne 3f
	BENCH
	mov $0xffff, %eax
	vmcall
	ENDBENCH n_vmcall
3:	PUTS n_done
	POWEROFF

irq:	push %rax
	mov $LAPIC, %rax
	movl $0, 0xb0(%rax) /* EOI */
	pop %rax
	iretq

fault:	PUTS n_fault
	POWEROFF

	COMMON_FUNCS
	.balign 8
idtr:	.word (VEC + 1) * 16 - 1
	.quad IDT
n_cpuid:	.asciz "EXITBENCH cpuid "
n_vmcall:	.asciz "EXITBENCH vmcall "
n_piok:		.asciz "EXITBENCH pio-kernel "
n_piou:		.asciz "EXITBENCH pio-user "
n_mmiou:	.asciz "EXITBENCH mmio-user "
n_rdmsr:	.asciz "EXITBENCH rdmsr "
n_wrmsr:	.asciz "EXITBENCH wrmsr "
n_hlttimer:	.asciz "EXITBENCH hlt-timer "
n_hltipi:	.asciz "EXITBENCH hlt-ipi "
n_fault:	.asciz "EXITBENCH fault\n"
n_done:		.asciz "EXITBENCH done\n"
