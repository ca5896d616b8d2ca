/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A multiboot (v1) kernel, the way kvm-unit-tests' are entered: 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = the multiboot information. Prints on COM1 what it was handed (magic, CR0,
 * CS, the information's flags, memory sizes, command line, module, memory map size, loader name)
 * and exits through the exit device (port 0xF4): 0x21 when magic and flags are right (kvmini exits
 * with 67), 0x33 (103) when not. The Makefile also makes build/guest/multiboot.flat from it
 * (ELF32, as kvm-unit-tests' objcopy does); mbaout.S is the same kernel with the a.out-kludge
 * address fields (header flag 16). */
#ifdef MB_AOUT
#define MB_FLAGS 0x10003
#else
#define MB_FLAGS 0x3
#endif
	/* prints the label, then the information's 32-bit field at offset off */
	.macro FIELD label, off
	mov $\label, %esi
	call puts
	mov \off(%ebp), %eax
	call puthex
	.endm

	.text
	.code32
	.globl _start
mb_load:
	.long 0x1badb002
	.long MB_FLAGS
	.long -(0x1badb002 + MB_FLAGS)
#ifdef MB_AOUT
	.long mb_load, mb_load, mb_end, mb_end + 0x1000, _start
#endif

_start:
	mov $(mb_end + 0x1000), %esp
	mov %eax, %edi
	mov %ebx, %ebp
	mov $s_magic, %esi
	call puts
	mov %edi, %eax
	call puthex
	mov $s_cr0, %esi
	call puts
	mov %cr0, %eax
	call puthex
	mov $s_cs, %esi
	call puts
	xor %eax, %eax
	mov %cs, %ax
	call puthex
	FIELD s_flags, 0
	FIELD s_lower, 4
	FIELD s_upper, 8
	mov $s_cmdline, %esi
	call puts
	mov 16(%ebp), %esi
	call puts
	mov $s_close, %esi
	call puts
	FIELD s_mods, 20
	cmpl $0, 20(%ebp)
	je 1f
	mov $s_module, %esi
	call puts
	mov 24(%ebp), %ebx
	mov 0(%ebx), %esi
	mov 4(%ebx), %ecx
	sub %esi, %ecx
	cmp $32, %ecx
	jbe 2f
	mov $32, %ecx
2:	mov $0x3f8, %dx
	rep outsb
	mov $s_close, %esi
	call puts
1:	FIELD s_mmap, 44
	mov $s_loader, %esi
	call puts
	mov 64(%ebp), %esi
	call puts
	mov $s_close, %esi
	call puts
	/* the exit code: 0x21 when the hand-off is as the spec says */
	mov $0x33, %al
	cmp $0x2badb002, %edi
	jne 3f
	mov 0(%ebp), %ecx
	and $0x45, %ecx /* memory, command line, memory map */
	cmp $0x45, %ecx
	jne 3f
	mov $0x21, %al
3:	out %al, $0xf4
	mov $0x604, %dx /* no exit device: power off */
	mov $0x3400, %ax
	out %ax, (%dx)
	hlt

puts:
	mov $0x3f8, %dx
1:	lodsb
	test %al, %al
	jz 2f
	out %al, (%dx)
	jmp 1b
2:	ret

/* eax as 8 hex digits and a newline */
puthex:
	mov %eax, %ebx
	mov $8, %ecx
	mov $0x3f8, %dx
1:	rol $4, %ebx
	mov %ebx, %eax
	and $0xf, %eax
	cmp $10, %eax
	jb 2f
	add $('a' - '0' - 10), %eax
2:	add $'0', %eax
	out %al, (%dx)
	dec %ecx
	jnz 1b
	mov $'\n', %al
	out %al, (%dx)
	ret

s_magic: .asciz "MB: magic "
s_cr0: .asciz "MB: cr0 "
s_cs: .asciz "MB: cs "
s_flags: .asciz "MB: flags "
s_lower: .asciz "MB: mem_lower "
s_upper: .asciz "MB: mem_upper "
s_cmdline: .asciz "MB: cmdline ["
s_close: .asciz "]\n"
s_mods: .asciz "MB: mods "
s_module: .asciz "MB: module ["
s_mmap: .asciz "MB: mmap_length "
s_loader: .asciz "MB: loader ["
	.balign 4
mb_end:
