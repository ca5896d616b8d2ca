// SPDX-License-Identifier: GPL-2.0-or-later
/* Multiboot v1 loader and the --kernel dispatch (see multiboot.h). */
#include "multiboot.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "e820.h"
#include "elf.h"
#include "layout.h"
#include "linux.h"

/* the header: magic, flags, checksum, then (flag 16) the a.out-kludge addresses */
#define MH_FLAGS 4
#define MH_CHECKSUM 8
#define MH_LEN 12
#define MH_HEADER_ADDR 12
#define MH_LOAD_ADDR 16
#define MH_LOAD_END_ADDR 20
#define MH_BSS_END_ADDR 24
#define MH_ENTRY_ADDR 28
#define MH_AOUT_LEN 32
/* bits 0-15 are requirements: 0 (page-aligned modules) and 1 (memory info) are always met, 2 (a
 * video mode) gets no video fields, the rest this loader does not know and must refuse */
#define MH_F_UNKNOWN 0xfff8u
#define MH_F_AOUT 0x10000u

#define BZ_MAGIC_OFF 0x202
#define BZ_MAGIC 0x53726448u /* "HdrS" */

/* The information page (layout.h: below it the stack, the command line), then the memory map, the
 * module list and the strings. */
#define MB_INFO LAYOUT_MB_INFO
#define MB_PAGE 0x1000u
#define MB_MMAP_OFF MBI_SIZE
#define MB_MMAP_MAX 32u
#define MB_MMAP_ENTRY 24u
#define MB_MOD_OFF (MB_MMAP_OFF + MB_MMAP_MAX * MB_MMAP_ENTRY)
#define MB_MOD_SIZE 16u
#define MB_STR_OFF (MB_MOD_OFF + MB_MOD_SIZE)
#define MB_LOADER_NAME "kvmini"
#define MB_LOW_MAX (640u << 10) /* mem_lower counts at most the 640 KiB of conventional memory */

#define SZ_4K 0x1000ULL

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

static int is_bzimage(const uint8_t *k, size_t len)
{
	return len >= BZ_MAGIC_OFF + 4 && le_get32(k, BZ_MAGIC_OFF) == BZ_MAGIC;
}

/* Offset of the first 4-byte aligned header with a valid checksum lying wholly in [from, limit),
 * or -1; *bad_sum (if given) says whether a magic with a wrong checksum was seen. */
static long find_header(const uint8_t *k, size_t len, size_t from, size_t limit, int *bad_sum)
{
	if (limit > len)
		limit = len;
	for (size_t off = from; off + MH_LEN <= limit; off += 4) {
		if (le_get32(k, off) != MB_HEADER_MAGIC)
			continue;
		uint32_t sum = MB_HEADER_MAGIC + le_get32(k, off + MH_FLAGS) + le_get32(k, off + MH_CHECKSUM);
		if (sum == 0)
			return (long)off;
		if (bad_sum)
			*bad_sum = 1;
	}
	return -1;
}

int multiboot_detect(const uint8_t *k, size_t len)
{
	if (!k || is_bzimage(k, len))
		return 0;
	return find_header(k, len, 0, MB_SEARCH_LEN, NULL) >= 0;
}

/* Flag 16: one range of the file at load_addr, zeroed up to bss_end_addr (0: none), entered at
 * entry_addr. Checks everything; writes only when write is set. */
static int aout_load(const struct gmem *m, const uint8_t *k, size_t len, size_t hoff, int write,
		     struct elf_span *sp, const char **why)
{
	uint32_t header_addr = le_get32(k, hoff + MH_HEADER_ADDR), load_addr = le_get32(k, hoff + MH_LOAD_ADDR);
	uint32_t load_end = le_get32(k, hoff + MH_LOAD_END_ADDR), bss_end = le_get32(k, hoff + MH_BSS_END_ADDR);
	uint32_t entry = le_get32(k, hoff + MH_ENTRY_ADDR);
	if (load_addr > header_addr || header_addr - load_addr > hoff)
		return fail(why, "multiboot load_addr lies before the start of the file", -ENOEXEC);
	size_t foff = hoff - (header_addr - load_addr); /* the file offset of load_addr */
	uint64_t fsz = load_end ? (uint64_t)load_end - load_addr : len - foff;
	if (load_end && load_end < load_addr)
		return fail(why, "multiboot load_end_addr lies below load_addr", -ENOEXEC);
	if (fsz > len - foff)
		return fail(why, "multiboot load range extends past the end of the file", -ENOEXEC);
	uint64_t msz = bss_end ? (uint64_t)bss_end - load_addr : fsz;
	if (bss_end && bss_end < load_addr + fsz)
		return fail(why, "multiboot bss_end_addr lies below the end of the loaded range", -ENOEXEC);
	if (!fsz)
		return fail(why, "multiboot load range is empty", -ENOEXEC);
	int err = boot_check_placement(m, load_addr, msz, 1, why);
	if (err)
		return err;
	if (entry < load_addr || entry >= load_addr + fsz)
		return fail(why, "multiboot entry_addr lies outside the loaded range", -ENOEXEC);
	*sp = (struct elf_span){ .start = load_addr, .end = load_addr + msz, .entry = entry };
	if (write) {
		uint8_t *dst = gmem_ptr(m, load_addr, msz); /* checked above */
		if (!dst)
			return fail(why, "multiboot kernel outside guest RAM", -EFAULT);
		memcpy(dst, k + foff, fsz);
		memset(dst + fsz, 0, msz - fsz);
	}
	return 0;
}

/* The information page (buffer of MB_PAGE bytes, offsets from MB_INFO): memory sizes, the e820
 * map, the command line, the module. */
static int build_info(const struct gmem *m, uint8_t *info, uint64_t mod_at, size_t mod_len)
{
	struct e820_entry e[MB_MMAP_MAX];
	int n = e820_build(m, e, MB_MMAP_MAX);
	if (n < 0)
		return n;
	uint64_t low = 0, upper = 0;
	for (int i = 0; i < n; i++) {
		uint8_t *p = info + MB_MMAP_OFF + (size_t)i * MB_MMAP_ENTRY;
		le_put32(p, 0, MB_MMAP_ENTRY - 4); /* the size field does not count itself */
		le_put64(p, 4, e[i].addr);
		le_put64(p, 12, e[i].size);
		le_put32(p, 20, e[i].type);
		if (e[i].type == E820_RAM && e[i].addr == 0)
			low = e[i].size < MB_LOW_MAX ? e[i].size : MB_LOW_MAX;
		if (e[i].type == E820_RAM && e[i].addr == LAYOUT_HIMEM)
			upper = e[i].size;
	}
	uint32_t flags = MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS | MBI_F_MMAP | MBI_F_LOADER_NAME;
	le_put32(info, MBI_FLAGS, flags);
	le_put32(info, MBI_MEM_LOWER, (uint32_t)(low >> 10));
	le_put32(info, MBI_MEM_UPPER, (upper >> 10) > UINT32_MAX ? UINT32_MAX : (uint32_t)(upper >> 10));
	le_put32(info, MBI_CMDLINE, (uint32_t)LAYOUT_MB_CMDLINE);
	le_put32(info, MBI_MMAP_LENGTH, (uint32_t)n * MB_MMAP_ENTRY);
	le_put32(info, MBI_MMAP_ADDR, (uint32_t)(MB_INFO + MB_MMAP_OFF));
	/* strings: the module's (empty) command line, then the loader's name */
	memcpy(info + MB_STR_OFF + 1, MB_LOADER_NAME, sizeof(MB_LOADER_NAME));
	le_put32(info, MBI_LOADER_NAME, (uint32_t)(MB_INFO + MB_STR_OFF + 1));
	le_put32(info, MBI_MODS_ADDR, (uint32_t)(MB_INFO + MB_MOD_OFF));
	if (mod_len) {
		le_put32(info, MBI_MODS_COUNT, 1);
		le_put32(info, MB_MOD_OFF, (uint32_t)mod_at);
		le_put32(info, MB_MOD_OFF + 4, (uint32_t)(mod_at + mod_len));
		le_put32(info, MB_MOD_OFF + 8, (uint32_t)(MB_INFO + MB_STR_OFF));
	}
	return 0;
}

/* Flat 32-bit code at BOOT32_CS and data at BOOT32_DS: what the spec's entry state describes. */
static int write_gdt(const struct gmem *m, struct boot_entry *out)
{
	uint8_t gdt[24] = { 0 };
	le_put64(gdt, BOOT32_CS, 0x00cf9b000000ffffULL); /* P, DPL0, code exec/read accessed, D, G */
	le_put64(gdt, BOOT32_DS, 0x00cf93000000ffffULL); /* P, DPL0, data read/write accessed, B, G */
	int err = gmem_write(m, LAYOUT_GDT, gdt, sizeof(gdt));
	out->gdt_base = LAYOUT_GDT;
	out->gdt_limit = sizeof(gdt) - 1;
	return err;
}

int multiboot_load(const struct gmem *m, const struct boot_image *img, struct boot_entry *out,
		   const char **why)
{
	const uint8_t *k = img->kernel;
	size_t len = k ? img->kernel_len : 0;
	long h = k ? find_header(k, len, 0, MB_SEARCH_LEN, NULL) : -1;
	if (h < 0 || is_bzimage(k, len))
		return fail(why, "no multiboot header in the first 8 KiB", -ENOEXEC);
	size_t hoff = (size_t)h;
	uint32_t flags = le_get32(k, hoff + MH_FLAGS);
	if (flags & MH_F_UNKNOWN)
		return fail(why, "multiboot header requires features kvmini does not know (flag bits 3-15)", -ENOEXEC);
	int aout = !!(flags & MH_F_AOUT);
	if (aout && (hoff + MH_AOUT_LEN > len || hoff + MH_AOUT_LEN > MB_SEARCH_LEN))
		return fail(why, "multiboot header's address fields run past the first 8 KiB", -ENOEXEC);

	struct elf_span sp;
	if (!aout && !elf_is_elf(k, len))
		return fail(why, "multiboot kernel is not ELF and has no load addresses (header flag 16)", -ENOEXEC);
	unsigned ef = ELF_ALLOW32 | ELF_VIRT_ENTRY | ELF_LOW_OK; /* kvm-unit-tests' .flat files are ELF32 */
	int err = aout ? aout_load(m, k, len, hoff, 0, &sp, why) : elf_load(m, k, len, ef | ELF_CHECK_ONLY, &sp, why);
	if (err)
		return err;

	/* the command line starts with the kernel's name, as GRUB and QEMU give it: kvm-unit-tests
	 * takes the first word for argv[0] and its test arguments from the rest */
	const char *cl = img->cmdline ? img->cmdline : "", *name = img->kernel_name;
	size_t cl_len = strlen(cl), name_len = name ? strlen(name) + 1 : 0;
	if (name_len > LAYOUT_MB_CMDLINE_MAX || cl_len + 1 > LAYOUT_MB_CMDLINE_MAX - name_len)
		return fail(why, "kernel command line is too long", -EINVAL);
	/* the module goes page-aligned right after the kernel, as other multiboot loaders put it (a
	 * kernel in conventional memory: at 1 MiB) */
	uint64_t mod_at = (sp.end + SZ_4K - 1) & ~(SZ_4K - 1);
	if (mod_at < LAYOUT_HIMEM)
		mod_at = LAYOUT_HIMEM;
	size_t mod_len = img->initrd ? img->initrd_len : 0;
	if (mod_len && (mod_at + mod_len > LAYOUT_4G || !gmem_ptr(m, mod_at, mod_len)))
		return fail(why, "initrd (the multiboot module) does not fit in guest RAM after the kernel", -ENOMEM);

	/* everything checked: now write */
	err = aout ? aout_load(m, k, len, hoff, 1, &sp, why) : elf_load(m, k, len, ef, &sp, why);
	if (err)
		return err;
	if (mod_len && (err = gmem_write(m, mod_at, img->initrd, mod_len)))
		return fail(why, "cannot write the initrd to guest RAM", err);
	if ((name && ((err = gmem_write(m, LAYOUT_MB_CMDLINE, name, name_len - 1)) ||
		      (err = gmem_write(m, LAYOUT_MB_CMDLINE + name_len - 1, " ", 1)))) ||
	    (err = gmem_write(m, LAYOUT_MB_CMDLINE + name_len, cl, cl_len + 1)))
		return fail(why, "cannot write the command line to guest RAM", err);
	uint8_t info[MB_PAGE] = { 0 };
	if ((err = build_info(m, info, mod_at, mod_len)))
		return fail(why, "cannot build the memory map", err);
	if ((err = gmem_write(m, MB_INFO, info, sizeof(info))) || (err = write_gdt(m, out)))
		return fail(why, "guest RAM does not cover the boot area", err);
	out->mode = BOOT_MODE_PROT32;
	out->rip = sp.entry;
	out->rax = MB_BOOT_MAGIC;
	out->rbx = MB_INFO;
	out->rsp = LAYOUT_MB_STACK; /* the spec leaves ESP undefined: give one that works */
	out->rsi = 0;
	out->cr3 = 0;
	return 0;
}

int boot_load_kernel(const struct gmem *m, const struct boot_image *img, struct boot_entry *out,
		     const char **why)
{
	const uint8_t *k = img->kernel;
	size_t len = k ? img->kernel_len : 0;
	memset(out, 0, sizeof(*out));
	if (multiboot_detect(k, len))
		return multiboot_load(m, img, out, why);
	int err = linux_load(m, img, out, why);
	if (err != -ENOEXEC || !k || is_bzimage(k, len))
		return err;
	/* neither loader took it: say so if it meant to be multiboot */
	int bad_sum = 0;
	find_header(k, len, 0, MB_SEARCH_LEN, &bad_sum);
	if (bad_sum)
		return fail(why, "multiboot header has a bad checksum", err);
	if (find_header(k, len, MB_SEARCH_LEN - MH_LEN + 4, len, NULL) >= 0)
		return fail(why, "multiboot header lies past the first 8 KiB", err);
	return err;
}
