// SPDX-License-Identifier: GPL-2.0-or-later
#include "linux.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "e820.h"
#include "elf.h"
#include "layout.h"

/* boot_params ("zero page") offsets, Documentation/arch/x86/zero-page.rst */
#define BP_SIZE 0x1000
#define BP_ACPI_RSDP 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE 0x0c4
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_HDR 0x1f1 /* setup header, copied from the bzImage at the same offset */
#define BP_HDR_MAX_END 0x290 /* edd_mbr_sig_buffer follows the header's padding */
#define BP_E820_TABLE 0x2d0
#define BP_E820_MAX 128

/* setup header offsets (within the file and within boot_params) */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_HEAP_END_PTR 0x224
#define HDR_EXT_LOADER_VER 0x226
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_HW_SUBARCH 0x23c
#define HDR_HW_SUBARCH_DATA 0x240
#define HDR_SETUP_DATA 0x250
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260

#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x0001
#define HDR_MAGIC_VAL 0x53726448u /* "HdrS" */
#define ELF_SYNTH_VERSION 0x020f

#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL

/* Where the kernel sits once loaded: the initrd must stay clear of [start, end). */
struct kernel_span {
	uint64_t start, end, entry;
	uint64_t initrd_max; /* highest byte the initrd may occupy */
	uint64_t cmdline_max; /* longest command line, without the NUL */
};

static int fail(const char **why, const char *msg, int err)
{
	if (why)
		*why = msg;
	return err;
}

static int load_bzimage(const struct gmem *m, const uint8_t *k, size_t len, uint8_t *bp,
			struct kernel_span *ks, const char **why)
{
	if (len < HDR_VERSION + 2)
		return fail(why, "bzImage truncated inside its setup header", -ENOEXEC);
	uint16_t version = le_get16(k, HDR_VERSION);
	if (version < 0x206)
		return fail(why, "bzImage boot protocol is older than 2.06", -ENOEXEC);
	/* the header's length is encoded in the short jump at 0x200 */
	size_t hdr_end = 0x202 + (size_t)k[HDR_JUMP + 1];
	size_t need = version >= 0x20a ? HDR_INIT_SIZE + 4 : HDR_CMDLINE_SIZE + 4;
	if (hdr_end < need)
		return fail(why, "bzImage setup header is too short for its version", -ENOEXEC);
	if (hdr_end > len)
		return fail(why, "bzImage truncated inside its setup header", -ENOEXEC);
	if (version < 0x20c || !(le_get16(k, HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return fail(why, "bzImage has no 64-bit entry point (XLF_KERNEL_64)", -ENOEXEC);

	size_t setup_sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;
	size_t setup_len = (setup_sects + 1) * 512;
	if (setup_len >= len)
		return fail(why, "bzImage truncated before its protected-mode kernel", -ENOEXEC);
	size_t pm_len = len - setup_len;

	uint64_t load = LAYOUT_HIMEM;
	uint64_t extent = pm_len;
	if (version >= 0x20a) {
		/* the decompressor works within init_size bytes of pref_address: where we load a
		 * relocatable kernel, and where a fixed one (loaded at 1 MiB) decompresses itself */
		uint64_t pref = le_get64(k, HDR_PREF_ADDRESS);
		uint32_t init_size = le_get32(k, HDR_INIT_SIZE);
		if (k[HDR_RELOCATABLE])
			load = pref;
		if (pref >= load && pref - load < UINT64_MAX - init_size &&
		    pref - load + init_size > extent)
			extent = pref - load + init_size;
	}
	int err = boot_check_placement(m, load, extent, 0, why);
	if (err)
		return err;
	err = gmem_write(m, load, k + setup_len, pm_len);
	if (err)
		return fail(why, "cannot write the kernel to guest RAM", err);

	memcpy(bp + BP_HDR, k + BP_HDR, (hdr_end < BP_HDR_MAX_END ? hdr_end : BP_HDR_MAX_END) - BP_HDR);
	/* fields the loader owns: never trust what the file says */
	le_put32(bp, HDR_CODE32_START, (uint32_t)load);
	le_put64(bp, HDR_SETUP_DATA, 0);
	le_put32(bp, HDR_HW_SUBARCH, 0);
	le_put64(bp, HDR_HW_SUBARCH_DATA, 0);

	*ks = (struct kernel_span){
		.start = load,
		.end = load + extent,
		.entry = load + 0x200,
		.initrd_max = le_get32(k, HDR_INITRD_ADDR_MAX),
		.cmdline_max = le_get32(k, HDR_CMDLINE_SIZE),
	};
	return 0;
}

static int load_elf(const struct gmem *m, const uint8_t *k, size_t len, uint8_t *bp,
		    struct kernel_span *ks, const char **why)
{
	struct elf_span sp;
	int err = elf_load(m, k, len, 0, &sp, why); /* ELF64, e_entry physical */
	if (err)
		return err;
	*ks = (struct kernel_span){ .start = sp.start, .end = sp.end };

	/* a setup header as a bzImage would carry it, for kernels that look at it */
	le_put16(bp, HDR_BOOT_FLAG, 0xaa55);
	le_put32(bp, HDR_MAGIC, HDR_MAGIC_VAL);
	le_put16(bp, HDR_VERSION, ELF_SYNTH_VERSION);
	le_put32(bp, HDR_CODE32_START, (uint32_t)ks->start);
	le_put32(bp, HDR_KERNEL_ALIGNMENT, (uint32_t)SZ_2M);
	le_put16(bp, HDR_XLOADFLAGS, XLF_KERNEL_64);
	le_put32(bp, HDR_INITRD_ADDR_MAX, (uint32_t)(LAYOUT_PCI_HOLE - 1));
	le_put32(bp, HDR_CMDLINE_SIZE, (uint32_t)(LAYOUT_CMDLINE_MAX - 1));
	ks->entry = sp.entry;
	ks->initrd_max = LAYOUT_PCI_HOLE - 1;
	ks->cmdline_max = LAYOUT_CMDLINE_MAX - 1;
	return 0;
}

/* Highest start in [lo, hi) for size bytes, 2 MiB aligned if possible, else 4 KiB; 0 if none. */
static uint64_t fit_top(uint64_t lo, uint64_t hi, uint64_t size)
{
	if (hi <= lo || hi - lo < size)
		return 0;
	uint64_t s2 = (hi - size) & ~(SZ_2M - 1), s4 = (hi - size) & ~(SZ_4K - 1);
	if (s2 >= lo)
		return s2;
	return s4 >= lo ? s4 : 0;
}

/* The highest spot below min(initrd_addr_max, the PCI hole) in RAM, clear of the boot area and
 * the kernel. Returns the address, or 0 when it does not fit. */
static uint64_t initrd_place(const struct gmem *m, const struct kernel_span *ks, uint64_t size)
{
	uint64_t limit = ks->initrd_max + 1;
	if (limit > LAYOUT_PCI_HOLE)
		limit = LAYOUT_PCI_HOLE;
	uint64_t best = 0;
	for (int i = 0; i < m->nr; i++) {
		uint64_t lo = m->r[i].gpa, hi = lo + m->r[i].size;
		if (lo < LAYOUT_HIMEM)
			lo = LAYOUT_HIMEM;
		if (hi > limit)
			hi = limit;
		if (hi <= lo)
			continue;
		/* free intervals: [lo, kernel start) and [kernel end, hi) */
		uint64_t a = fit_top(ks->end > lo ? ks->end : lo, hi, size);
		uint64_t b = fit_top(lo, ks->start < hi ? ks->start : hi, size);
		if (a > best)
			best = a;
		if (b > best)
			best = b;
	}
	return best;
}

static int write_e820(const struct gmem *m, uint8_t *bp)
{
	struct e820_entry e[BP_E820_MAX];
	int n = e820_build(m, e, BP_E820_MAX);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		size_t off = BP_E820_TABLE + (size_t)i * 20;
		le_put64(bp, off, e[i].addr);
		le_put64(bp, off + 8, e[i].size);
		le_put32(bp, off + 16, e[i].type);
	}
	bp[BP_E820_ENTRIES] = (uint8_t)n;
	return 0;
}

/* GDT (0x10 flat 64-bit code, 0x18 flat data) and a 2 MiB-page identity map of the first 4 GiB. */
static int write_entry_state(const struct gmem *m, struct boot_entry *out)
{
	uint8_t gdt[32] = { 0 };
	le_put64(gdt, 0x10, 0x00af9b000000ffffULL); /* P, DPL0, code exec/read accessed, L, G */
	le_put64(gdt, 0x18, 0x00cf93000000ffffULL); /* P, DPL0, data read/write accessed, D/B, G */
	int err = gmem_write(m, LAYOUT_GDT, gdt, sizeof(gdt));
	if (err)
		return err;

	uint8_t *pml4 = gmem_ptr(m, LAYOUT_PML4, SZ_4K);
	uint8_t *pdpt = gmem_ptr(m, LAYOUT_PDPT, SZ_4K);
	uint8_t *pd = gmem_ptr(m, LAYOUT_PD, 4 * SZ_4K);
	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, SZ_4K);
	memset(pdpt, 0, SZ_4K);
	le_put64(pml4, 0, LAYOUT_PDPT | 0x3); /* present, writable */
	for (unsigned i = 0; i < 4; i++)
		le_put64(pdpt, i * 8, (LAYOUT_PD + i * SZ_4K) | 0x3);
	for (uint64_t i = 0; i < 4 * 512; i++)
		le_put64(pd, i * 8, (i * SZ_2M) | 0x83); /* present, writable, 2 MiB page */

	out->mode = BOOT_MODE_LONG64;
	out->rax = out->rbx = 0;
	out->cr3 = LAYOUT_PML4;
	out->gdt_base = LAYOUT_GDT;
	out->gdt_limit = sizeof(gdt) - 1;
	out->rsi = LAYOUT_BOOT_PARAMS;
	out->rsp = LAYOUT_BOOT_STACK;
	return 0;
}

static int write_cmdline_initrd(const struct gmem *m, const struct boot_image *img,
				const struct kernel_span *ks, uint8_t *bp, const char **why)
{
	const char *cl = img->cmdline ? img->cmdline : "";
	size_t cl_len = strlen(cl);
	if (cl_len > ks->cmdline_max || cl_len + 1 > LAYOUT_CMDLINE_MAX)
		return fail(why, "kernel command line is too long", -EINVAL);
	int err = gmem_write(m, LAYOUT_CMDLINE, cl, cl_len + 1);
	if (err)
		return fail(why, "cannot write the command line to guest RAM", err);
	le_put32(bp, HDR_CMD_LINE_PTR, (uint32_t)LAYOUT_CMDLINE);
	le_put32(bp, BP_EXT_CMD_LINE_PTR, 0);

	if (!img->initrd || !img->initrd_len)
		return 0;
	uint64_t at = initrd_place(m, ks, img->initrd_len);
	if (!at)
		return fail(why, "initrd does not fit in guest RAM below its address limit", -ENOMEM);
	err = gmem_write(m, at, img->initrd, img->initrd_len);
	if (err)
		return fail(why, "cannot write the initrd to guest RAM", err);
	le_put32(bp, HDR_RAMDISK_IMAGE, (uint32_t)at);
	le_put32(bp, HDR_RAMDISK_SIZE, (uint32_t)img->initrd_len);
	le_put32(bp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(at >> 32));
	le_put32(bp, BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)img->initrd_len >> 32));
	return 0;
}

int linux_load(const struct gmem *m, const struct boot_image *img, struct boot_entry *out,
	       const char **why)
{
	const uint8_t *k = img->kernel;
	size_t len = k ? img->kernel_len : 0;
	uint8_t bp[BP_SIZE] = { 0 };
	struct kernel_span ks;
	int err;

	if (len >= HDR_MAGIC + 4 && le_get32(k, HDR_MAGIC) == HDR_MAGIC_VAL)
		err = load_bzimage(m, k, len, bp, &ks, why);
	else if (elf_is_elf(k, len))
		err = load_elf(m, k, len, bp, &ks, why);
	else
		err = fail(why, "not a bzImage or ELF kernel", -ENOEXEC);
	if (err)
		return err;

	err = write_cmdline_initrd(m, img, &ks, bp, why);
	if (err)
		return err;
	bp[HDR_TYPE_OF_LOADER] = 0xff; /* undefined loader */
	bp[HDR_EXT_LOADER_VER] = 0;
	bp[HDR_LOADFLAGS] |= LOADED_HIGH | CAN_USE_HEAP;
	le_put16(bp, HDR_HEAP_END_PTR, 0xfe00); /* only the real-mode setup code would use it */
	le_put64(bp, BP_ACPI_RSDP, img->acpi_rsdp);
	err = write_e820(m, bp);
	if (err)
		return fail(why, "cannot build the e820 memory map", err);
	err = gmem_write(m, LAYOUT_BOOT_PARAMS, bp, sizeof(bp));
	if (err)
		return fail(why, "guest RAM does not cover the boot area", err);
	err = write_entry_state(m, out);
	if (err)
		return fail(why, "guest RAM does not cover the boot area", err);
	out->rip = ks.entry;
	return 0;
}
