/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Counts for the vCPU/VM state test (tests/unit/test_cpu_state.c): enables kvmclock's per-vCPU time
 * area at 0x300000, then forever: r12 += the 32-bit IN from port 0x524, r12's low half out to port
 * 0x520, the TSC (rdtsc, 64 bits) to MMIO 0xe0000000. A guest restored from a save must go on from
 * its last number, with the value its last IN was given. */
	.code64
	.globl _start
_start:
	mov $0x4b564d01, %ecx /* MSR_KVM_SYSTEM_TIME_NEW: area address | enable */
	mov $0x300001, %eax
	xor %edx, %edx
	wrmsr
	xor %r12d, %r12d
	mov $0xe0000000, %rbx
1:	mov $0x524, %dx
	in (%dx), %eax
	add %rax, %r12
	mov %r12d, %eax
	mov $0x520, %dx
	out %eax, (%dx)
	rdtsc
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, (%rbx)
	jmp 1b
