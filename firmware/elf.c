// SPDX-License-Identifier: GPL-2.0-or-later
/* ELF loading for the kernel loaders (see elf.h). */
#include "elf.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "layout.h"

/* ELF32 and ELF64 differ only in where the fields sit and how wide the addresses are. */
struct elf_layout {
	unsigned ehsize, e_entry, e_phoff, e_phentsize, e_phnum;
	unsigned phsize, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz;
	int wide;
	uint16_t machine;
};

static const struct elf_layout elf32 = { 52, 24, 28, 42, 44, 32, 4, 8, 12, 16, 20, 0, 3 /* EM_386 */ };
static const struct elf_layout elf64 = { 64, 24, 32, 54, 56, 56, 8, 16, 24, 32, 40, 1, 62 /* EM_X86_64 */ };

#define EI_CLASS 4
#define EI_DATA 5
#define EH_TYPE 16
#define EH_MACHINE 18
#define ET_EXEC_TYPE 2
#define PT_LOAD_TYPE 1

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

int elf_is_elf(const uint8_t *k, size_t len)
{
	return k && len >= 4 && k[0] == 0x7f && k[1] == 'E' && k[2] == 'L' && k[3] == 'F';
}

int boot_check_placement(const struct gmem *m, uint64_t addr, uint64_t len, int low_ok, const char **why)
{
	if (addr + len < addr)
		return fail(why, "kernel address range overflows", -ENOEXEC);
	int low = low_ok && addr >= LAYOUT_MB_LOW_END && addr + len <= LAYOUT_MPTABLE;
	if (addr < LAYOUT_HIMEM && !low)
		return fail(why, "kernel overlaps the boot area below 1 MiB", -ENOMEM);
	if (addr + len > LAYOUT_4G)
		return fail(why, "kernel extends above 4 GiB", -ENOMEM);
	if (!gmem_ptr(m, addr, len))
		return fail(why, "kernel does not fit in guest RAM", -ENOMEM);
	return 0;
}

static uint64_t word(const struct elf_layout *l, const uint8_t *p, size_t off)
{
	return l->wide ? le_get64(p, off) : le_get32(p, off);
}

static int check_header(const uint8_t *k, size_t len, unsigned flags, const struct elf_layout **lp,
			const char **why)
{
	int allow32 = !!(flags & ELF_ALLOW32);
	if (len < 16)
		return fail(why, "truncated ELF header", -ENOEXEC);
	if (!((k[EI_CLASS] == 2 || (allow32 && k[EI_CLASS] == 1)) && k[EI_DATA] == 1))
		return fail(why, allow32 ? "not a little-endian ELF32 or ELF64 file" : "not a little-endian ELF64 file",
			    -ENOEXEC);
	const struct elf_layout *l = k[EI_CLASS] == 1 ? &elf32 : &elf64;
	if (len < l->ehsize)
		return fail(why, "truncated ELF header", -ENOEXEC);
	if (le_get16(k, EH_TYPE) != ET_EXEC_TYPE)
		return fail(why, "ELF file is not an executable (ET_EXEC)", -ENOEXEC);
	if (le_get16(k, EH_MACHINE) != l->machine)
		return fail(why, l->wide ? "ELF file is not for x86-64" : "ELF32 file is not for i386", -ENOEXEC);
	uint64_t phoff = word(l, k, l->e_phoff);
	uint16_t phentsize = le_get16(k, l->e_phentsize), phnum = le_get16(k, l->e_phnum);
	if (!phnum)
		return fail(why, "ELF file has no program headers", -ENOEXEC);
	if (phentsize < l->phsize)
		return fail(why, "ELF program header entries are too small", -ENOEXEC);
	if (phoff > len || (uint64_t)phnum * phentsize > len - phoff) /* < 2^32: no overflow */
		return fail(why, "truncated ELF program header", -ENOEXEC);
	*lp = l;
	return 0;
}

/* Every PT_LOAD at its physical address. Pass 0 checks them all and fills *sp; pass 1 writes. */
static int segments(const struct gmem *m, const struct elf_layout *l, const uint8_t *k, size_t len,
		    unsigned flags, int pass, struct elf_span *sp, const char **why)
{
	uint64_t phoff = word(l, k, l->e_phoff), e_entry = word(l, k, l->e_entry);
	uint16_t phentsize = le_get16(k, l->e_phentsize), phnum = le_get16(k, l->e_phnum);
	int have_entry = 0;
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *ph = k + phoff + (uint64_t)i * phentsize;
		if (le_get32(ph, 0) != PT_LOAD_TYPE)
			continue;
		uint64_t off = word(l, ph, l->p_offset), vaddr = word(l, ph, l->p_vaddr);
		uint64_t paddr = word(l, ph, l->p_paddr), filesz = word(l, ph, l->p_filesz);
		uint64_t memsz = word(l, ph, l->p_memsz);
		if (pass == 1) {
			uint8_t *dst = memsz ? gmem_ptr(m, paddr, memsz) : NULL; /* checked in pass 0 */
			if (memsz && !dst)
				return fail(why, "ELF segment outside guest RAM", -EFAULT);
			if (memsz) {
				memcpy(dst, k + off, filesz);
				memset(dst + filesz, 0, memsz - filesz);
			}
			continue;
		}
		if (filesz > memsz)
			return fail(why, "ELF segment's file size exceeds its memory size", -ENOEXEC);
		if (off > len || filesz > len - off)
			return fail(why, "ELF segment extends past the end of the file", -ENOEXEC);
		if (!memsz)
			continue;
		int err = boot_check_placement(m, paddr, memsz, !!(flags & ELF_LOW_OK), why);
		if (err)
			return err;
		if (paddr < sp->start)
			sp->start = paddr;
		if (paddr + memsz > sp->end)
			sp->end = paddr + memsz;
		if ((flags & ELF_VIRT_ENTRY) && !have_entry && e_entry >= vaddr && e_entry - vaddr < memsz) {
			sp->entry = paddr + (e_entry - vaddr);
			have_entry = 1;
		}
	}
	if (pass == 1)
		return 0;
	if (!sp->end)
		return fail(why, "ELF file has no loadable segment", -ENOEXEC);
	if (!(flags & ELF_VIRT_ENTRY) && e_entry >= sp->start && e_entry < sp->end) {
		sp->entry = e_entry; /* vmlinux's e_entry is the physical address of startup_64 */
		have_entry = 1;
	}
	if (!have_entry)
		return fail(why, "ELF entry point lies outside its loaded segments", -ENOEXEC);
	return 0;
}

int elf_load(const struct gmem *m, const uint8_t *k, size_t len, unsigned flags, struct elf_span *sp,
	     const char **why)
{
	const struct elf_layout *l;
	int err = check_header(k, len, flags, &l, why);
	if (err)
		return err;
	*sp = (struct elf_span){ .start = UINT64_MAX, .end = 0 };
	err = segments(m, l, k, len, flags, 0, sp, why);
	if (err || (flags & ELF_CHECK_ONLY))
		return err;
	return segments(m, l, k, len, flags, 1, sp, why);
}
