/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Exactly N exits of each kind, for the profiler's counts (tests/integration/prof.sh): phase marker
 * 1 (port 0x5fe), 100 byte writes to the unclaimed port 0x550, 50 reads of port 0x551, 30 MMIO
 * writes and 20 MMIO reads at the unclaimed 0xe0000000, 40 CPUIDs and 25 reads of port 0x61 (both
 * handled inside KVM: no userspace exit), marker 2, then ACPI poweroff. No console output, so
 * kvmini sees exactly 153 port exits (152 unclaimed, 1 ACPI PM) and 50 MMIO exits. */
	.include "tests/guest/common.inc"
	.code64
	.globl _start
_start:
	mov $0x5fe, %dx
	mov $1, %eax
	out %eax, (%dx)
	mov $0x550, %dx
	mov $100, %ecx
1:	out %al, (%dx)
	loop 1b
	mov $0x551, %dx
	mov $50, %ecx
2:	in (%dx), %al
	loop 2b
	mov $0xe0000000, %rbx
	mov $30, %ecx
3:	movl $0x12345678, (%rbx)
	loop 3b
	mov $20, %ecx
4:	mov (%rbx), %eax
	loop 4b
	mov $40, %esi
5:	xor %eax, %eax
	xor %ecx, %ecx
	cpuid
	dec %esi
	jnz 5b
	mov $25, %ecx
6:	in $0x61, %al
	loop 6b
	mov $0x5fe, %dx
	mov $2, %eax
	out %eax, (%dx)
	POWEROFF
