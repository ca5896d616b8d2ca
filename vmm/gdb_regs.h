/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The x86-64 registers as the GDB stub shows them: one struct with every register, the order and
 * sizes of the 'g' packet (gdb's register numbers), and the target description (qXfer:features)
 * that tells gdb this layout: i386 core and SSE, fs_base/gs_base, then the system registers. */
#ifndef KVMINI_GDB_REGS_H
#define KVMINI_GDB_REGS_H
#include <stddef.h>
#include <stdint.h>

/* indices into gpr[] in gdb's order (not KVM's: gdb has rbp before rsp) */
enum { GDB_RAX, GDB_RBX, GDB_RCX, GDB_RDX, GDB_RSI, GDB_RDI, GDB_RBP, GDB_RSP };
enum { GDB_SEG_CS, GDB_SEG_SS, GDB_SEG_DS, GDB_SEG_ES, GDB_SEG_FS, GDB_SEG_GS };
enum { GDB_CR0, GDB_CR2, GDB_CR3, GDB_CR4, GDB_CR8 };

struct gdb_regs {
	uint64_t gpr[16]; /* rax rbx rcx rdx rsi rdi rbp rsp r8..r15 */
	uint64_t rip;
	uint32_t eflags;
	uint32_t seg[6]; /* selectors: cs ss ds es fs gs */
	uint8_t st[8][10]; /* x87 80-bit registers */
	uint32_t fpu[8]; /* fctrl fstat ftag fiseg fioff foseg fooff fop */
	uint8_t xmm[16][16];
	uint32_t mxcsr;
	uint64_t fs_base, gs_base, k_gs_base;
	uint64_t cr[5]; /* cr0 cr2 cr3 cr4 cr8 */
	uint64_t efer;
};

#define GDB_NREGS 66 /* registers in the description */
#define GDB_REGNUM_RIP 16

/* Size in bytes of register n (0 for n >= GDB_NREGS) and where it is in r. */
unsigned gdb_reg_size(unsigned n);
void *gdb_reg_ptr(struct gdb_regs *r, unsigned n);
/* Bytes of the whole 'g' packet (its hex is twice as long). */
size_t gdb_regs_bytes(void);
/* The target description XML into buf (cap bytes, NUL-terminated); its length or -ENOSPC. */
int gdb_target_xml(char *buf, size_t cap);

#endif
