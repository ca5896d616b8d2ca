// SPDX-License-Identifier: GPL-2.0-or-later
/* Multiboot v1 loading (firmware/multiboot.c): hand-made ELF32, ELF64 and a.out-kludge images, the
 * multiboot information they get, hostile headers and segments, and the --kernel dispatch. */
#include "unit.h"

#include <errno.h>

#include "firmware/bytes.h"
#include "firmware/layout.h"
#include "firmware/multiboot.h"

#define RAM (32ULL << 20)
#define MiB (1ULL << 20)
#define HDR_OFF 0x100 /* where the builders put the multiboot header */
#define SEG_OFF 0x1000
#define SEG_FILESZ 0x2000
#define SEG_MEMSZ 0x3000
#define VBASE 0x80000000ULL /* virtual addresses differ from physical ones: entry is translated */

struct img {
	uint8_t *k;
	size_t len;
};

static void put_header(uint8_t *k, size_t off, uint32_t flags)
{
	le_put32(k, off, MB_HEADER_MAGIC);
	le_put32(k, off + 4, flags);
	le_put32(k, off + 8, (uint32_t)(0u - MB_HEADER_MAGIC - flags));
}

/* An ELF32 (wide = 0) or ELF64 multiboot kernel: one PT_LOAD of SEG_FILESZ bytes of pattern at
 * paddr (memsz SEG_MEMSZ), virtual VBASE + paddr, entry 0x10 into it. */
static struct img elf_make(int wide, uint64_t paddr)
{
	struct img m = { calloc(1, SEG_OFF + SEG_FILESZ), SEG_OFF + SEG_FILESZ };
	ck_assert_ptr_nonnull(m.k);
	uint8_t *k = m.k;
	memcpy(k, "\x7f" "ELF", 4);
	k[4] = wide ? 2 : 1;
	k[5] = 1;
	le_put16(k, 16, 2); /* ET_EXEC */
	le_put16(k, 18, wide ? 62 : 3);
	uint64_t vaddr = VBASE + paddr;
	if (wide) {
		le_put64(k, 24, vaddr + 0x10);
		le_put64(k, 32, 64);
		le_put16(k, 54, 56);
		le_put16(k, 56, 1);
		uint8_t *ph = k + 64;
		le_put32(ph, 0, 1);
		le_put64(ph, 8, SEG_OFF);
		le_put64(ph, 16, vaddr);
		le_put64(ph, 24, paddr);
		le_put64(ph, 32, SEG_FILESZ);
		le_put64(ph, 40, SEG_MEMSZ);
	} else {
		le_put32(k, 24, (uint32_t)(vaddr + 0x10));
		le_put32(k, 28, 52);
		le_put16(k, 42, 32);
		le_put16(k, 44, 1);
		uint8_t *ph = k + 52;
		le_put32(ph, 0, 1);
		le_put32(ph, 4, SEG_OFF);
		le_put32(ph, 8, (uint32_t)vaddr);
		le_put32(ph, 12, (uint32_t)paddr);
		le_put32(ph, 16, SEG_FILESZ);
		le_put32(ph, 20, SEG_MEMSZ);
	}
	put_header(k, HDR_OFF, 0x3); /* page-aligned modules, memory info */
	for (size_t i = 0; i < SEG_FILESZ; i++)
		k[SEG_OFF + i] = (uint8_t)(i * 5 + 3);
	return m;
}

/* A flat binary with the a.out-kludge fields: the whole file at load, zeroed up to bss_end. */
static struct img aout_make(uint32_t load, uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	struct img m = { calloc(1, 0x3000), 0x3000 };
	ck_assert_ptr_nonnull(m.k);
	for (size_t i = 0; i < m.len; i++)
		m.k[i] = (uint8_t)(i * 3 + 1);
	put_header(m.k, 0x40, 0x10003);
	le_put32(m.k, 0x40 + 12, load + 0x40);
	le_put32(m.k, 0x40 + 16, load);
	le_put32(m.k, 0x40 + 20, load_end);
	le_put32(m.k, 0x40 + 24, bss_end);
	le_put32(m.k, 0x40 + 28, entry);
	return m;
}

static int load(struct fake_ram *r, const struct img *m, const uint8_t *initrd, size_t initrd_len,
		const char *cmdline, struct boot_entry *e, const char **why)
{
	struct boot_image bi = { .kernel = m->k, .kernel_len = m->len, .initrd = initrd,
				 .initrd_len = initrd_len, .cmdline = cmdline };
	*why = NULL;
	int err = boot_load_kernel(&r->mem, &bi, e, why);
	if (err)
		ck_assert_ptr_nonnull(*why);
	return err;
}

static uint32_t info32(struct fake_ram *r, uint64_t off)
{
	return le_get32(r->buf, 0x7000 + off);
}

START_TEST(elf32_basic)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	memset(r.buf + 4 * MiB, 0xff, SEG_MEMSZ); /* the bss must come out zeroed */
	struct img m = elf_make(0, 4 * MiB);
	ck_assert_int_eq(multiboot_detect(m.k, m.len), 1);
	struct boot_entry e;
	const char *why;
	ck_assert_int_eq(load(&r, &m, NULL, 0, "smptest -v", &e, &why), 0);
	ck_assert_int_eq(e.mode, BOOT_MODE_PROT32);
	ck_assert_uint_eq(e.rax, 0x2badb002);
	ck_assert_uint_eq(e.rip, 4 * MiB + 0x10); /* e_entry translated to its physical address */
	ck_assert_uint_eq(e.rbx, 0x7000);
	ck_assert_uint_eq(e.rsp, 0x7000);
	for (size_t i = 0; i < SEG_FILESZ; i++)
		ck_assert_uint_eq(r.buf[4 * MiB + i], (uint8_t)(i * 5 + 3));
	for (size_t i = SEG_FILESZ; i < SEG_MEMSZ; i++)
		ck_assert_uint_eq(r.buf[4 * MiB + i], 0);
	/* the information: flags, 639 KiB below the EBDA, 31 MiB from 1 MiB on, the command line */
	ck_assert_uint_eq(info32(&r, 0), 0x24d);
	ck_assert_uint_eq(info32(&r, 4), 639);
	ck_assert_uint_eq(info32(&r, 8), 31 * 1024);
	ck_assert_str_eq((const char *)r.buf + info32(&r, 16), "smptest -v");
	ck_assert_uint_eq(info32(&r, 20), 0); /* no module */
	ck_assert_str_eq((const char *)r.buf + info32(&r, 64), "kvmini");
	/* the memory map: RAM, the reserved EBDA/BIOS area, RAM; each entry's size field is 20 */
	ck_assert_uint_eq(info32(&r, 44), 3 * 24);
	const uint8_t *mm = r.buf + info32(&r, 48);
	ck_assert_uint_eq(le_get32(mm, 0), 20);
	ck_assert_uint_eq(le_get64(mm, 4), 0);
	ck_assert_uint_eq(le_get64(mm, 12), 0x9fc00);
	ck_assert_uint_eq(le_get32(mm, 20), 1);
	ck_assert_uint_eq(le_get32(mm + 24, 20), 2);
	ck_assert_uint_eq(le_get64(mm + 48, 4), MiB);
	ck_assert_uint_eq(le_get64(mm + 48, 12), RAM - MiB);
	ck_assert_uint_eq(le_get32(mm + 48, 20), 1);
	/* the GDT the entry's selectors name: flat 32-bit code and data */
	ck_assert_uint_eq(e.gdt_base, LAYOUT_GDT);
	ck_assert_uint_eq(le_get64(r.buf, LAYOUT_GDT + BOOT32_CS), 0x00cf9b000000ffffULL);
	ck_assert_uint_eq(le_get64(r.buf, LAYOUT_GDT + BOOT32_DS), 0x00cf93000000ffffULL);
	/* with the kernel's name: it comes first, as argv[0] */
	struct boot_image bi = { .kernel = m.k, .kernel_len = m.len, .cmdline = "cpuid", .kernel_name = "x86/vmexit.flat" };
	ck_assert_int_eq(boot_load_kernel(&r.mem, &bi, &e, &why), 0);
	ck_assert_str_eq((const char *)r.buf + info32(&r, 16), "x86/vmexit.flat cpuid");
	bi.cmdline = NULL;
	ck_assert_int_eq(boot_load_kernel(&r.mem, &bi, &e, &why), 0);
	ck_assert_str_eq((const char *)r.buf + info32(&r, 16), "x86/vmexit.flat ");
	char *name = malloc(LAYOUT_MB_CMDLINE_MAX);
	memset(name, 'n', LAYOUT_MB_CMDLINE_MAX - 2);
	name[LAYOUT_MB_CMDLINE_MAX - 2] = 0; /* name, space and NUL fill the area exactly */
	bi.kernel_name = name;
	ck_assert_int_eq(boot_load_kernel(&r.mem, &bi, &e, &why), 0);
	bi.cmdline = "x";
	ck_assert_int_eq(boot_load_kernel(&r.mem, &bi, &e, &why), -EINVAL);
	free(name);
	free(m.k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(elf64_and_module)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct img m = elf_make(1, 2 * MiB);
	uint8_t initrd[5000];
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	struct boot_entry e;
	const char *why;
	ck_assert_int_eq(load(&r, &m, initrd, sizeof(initrd), NULL, &e, &why), 0);
	ck_assert_uint_eq(e.rip, 2 * MiB + 0x10);
	ck_assert_uint_eq(r.buf[2 * MiB + 7], (uint8_t)(7 * 5 + 3));
	ck_assert_str_eq((const char *)r.buf + info32(&r, 16), "");
	ck_assert_uint_eq(info32(&r, 20), 1);
	const uint8_t *mod = r.buf + info32(&r, 24);
	uint32_t start = le_get32(mod, 0), end = le_get32(mod, 4);
	ck_assert_uint_eq(start % 4096, 0);
	ck_assert_uint_ge(start, 2 * MiB + SEG_MEMSZ); /* clear of the kernel and its bss */
	ck_assert_uint_eq(end - start, sizeof(initrd));
	ck_assert_mem_eq(r.buf + start, initrd, sizeof(initrd));
	ck_assert_str_eq((const char *)r.buf + le_get32(mod, 8), "");
	free(m.k);
	fake_ram_free(&r);
}
END_TEST

/* kvm-unit-tests' realmode test loads at 32 KiB: conventional memory above the hand-off is fine */
START_TEST(low_kernel)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct img m = elf_make(0, 0x8000);
	uint8_t initrd[100] = "env";
	struct boot_entry e;
	const char *why;
	ck_assert_int_eq(load(&r, &m, initrd, sizeof(initrd), "x", &e, &why), 0);
	ck_assert_uint_eq(e.rip, 0x8010);
	ck_assert_uint_eq(r.buf[0x8000 + 7], (uint8_t)(7 * 5 + 3));
	ck_assert_uint_eq(le_get32(r.buf, info32(&r, 24)), MiB); /* the module above the EBDA and BIOS */
	ck_assert_str_eq((const char *)r.buf + info32(&r, 16), "x");
	free(m.k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(aout_kludge)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	memset(r.buf + MiB, 0xff, 0x5000);
	struct img m = aout_make(MiB, 0, MiB + 0x4000, MiB + 0x80);
	struct boot_entry e;
	const char *why;
	ck_assert_int_eq(load(&r, &m, NULL, 0, "", &e, &why), 0);
	ck_assert_uint_eq(e.rip, MiB + 0x80);
	ck_assert_mem_eq(r.buf + MiB, m.k, m.len);
	for (size_t i = m.len; i < 0x4000; i++)
		ck_assert_uint_eq(r.buf[MiB + i], 0);
	ck_assert_uint_eq(r.buf[MiB + 0x4000], 0xff); /* nothing past bss_end */
	free(m.k);
	/* load_end_addr limits what is read from the file */
	memset(r.buf + MiB, 0xff, 0x5000);
	m = aout_make(MiB, MiB + 0x1000, 0, MiB + 0x80);
	ck_assert_int_eq(load(&r, &m, NULL, 0, "", &e, &why), 0);
	ck_assert_mem_eq(r.buf + MiB, m.k, 0x1000);
	ck_assert_uint_eq(r.buf[MiB + 0x1000], 0xff);
	free(m.k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(detect)
{
	struct img m = elf_make(0, 4 * MiB);
	ck_assert_int_eq(multiboot_detect(m.k, m.len), 1);
	ck_assert_int_eq(multiboot_detect(NULL, 0), 0);
	ck_assert_int_eq(multiboot_detect(m.k, HDR_OFF + 11), 0); /* the header cut short */
	m.k[HDR_OFF + 8] ^= 1; /* checksum */
	ck_assert_int_eq(multiboot_detect(m.k, m.len), 0);
	m.k[HDR_OFF + 8] ^= 1;
	memcpy(m.k + 0x202, "HdrS", 4); /* a bzImage goes to the Linux loader whatever it holds */
	ck_assert_int_eq(multiboot_detect(m.k, m.len), 0);
	free(m.k);
	/* the header must lie wholly, 4-byte aligned, in the first 8 KiB */
	uint8_t big[12000] = { 0 };
	put_header(big, 8188, 0);
	ck_assert_int_eq(multiboot_detect(big, sizeof(big)), 0);
	memset(big, 0, sizeof(big));
	put_header(big, 8180, 0);
	ck_assert_int_eq(multiboot_detect(big, sizeof(big)), 1);
	memset(big, 0, sizeof(big));
	put_header(big, 0x102, 0);
	ck_assert_int_eq(multiboot_detect(big, sizeof(big)), 0);
}
END_TEST

START_TEST(dispatch_messages)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct boot_entry e;
	const char *why;
	struct img m = elf_make(0, 4 * MiB);
	m.k[HDR_OFF + 8] ^= 0x10;
	ck_assert_int_eq(load(&r, &m, NULL, 0, NULL, &e, &why), -ENOEXEC);
	ck_assert_str_eq(why, "multiboot header has a bad checksum");
	free(m.k);
	struct img far = { calloc(1, 0x4000), 0x4000 };
	put_header(far.k, 0x2400, 0);
	ck_assert_int_eq(load(&r, &far, NULL, 0, NULL, &e, &why), -ENOEXEC);
	ck_assert_str_eq(why, "multiboot header lies past the first 8 KiB");
	memset(far.k, 0, far.len);
	ck_assert_int_eq(load(&r, &far, NULL, 0, NULL, &e, &why), -ENOEXEC);
	ck_assert_str_eq(why, "not a bzImage or ELF kernel"); /* the Linux loader's word */
	free(far.k);
	fake_ram_free(&r);
}
END_TEST

/* Each case: a good image broken one way, refused with err before guest RAM is written. */
START_TEST(hostile)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct boot_entry e;
	const char *why;
	static const struct {
		size_t off;
		uint32_t v;
		int err;
	} cases[] = {
		{ 52 + 12, 64 * MiB, -ENOMEM }, /* paddr beyond RAM */
		{ 52 + 12, 0x6000, -ENOMEM }, /* the hand-off's pages below 32 KiB */
		{ 52 + 12, 0x9e000, -ENOMEM }, /* into the EBDA */
		{ 52 + 12, 0xfffff000, -ENOMEM }, /* runs past 4 GiB */
		{ 52 + 4, 0x1000000, -ENOEXEC }, /* file offset past the end */
		{ 52 + 16, SEG_MEMSZ + 1, -ENOEXEC }, /* filesz > memsz */
		{ 44, 0xffff, -ENOEXEC }, /* phnum: headers past the end */
		{ 42, 8, -ENOEXEC }, /* phentsize too small */
		{ 28, 0xfffffff0, -ENOEXEC }, /* phoff past the end */
		{ 24, 0x1234, -ENOEXEC }, /* entry outside the segment */
		{ 16, 3, -ENOEXEC }, /* ET_DYN */
		{ 18, 62, -ENOEXEC }, /* ELF32 for x86-64 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct img m = elf_make(0, 4 * MiB);
		if (cases[i].off == 42 || cases[i].off == 44 || cases[i].off == 16 || cases[i].off == 18)
			le_put16(m.k, cases[i].off, (uint16_t)cases[i].v);
		else
			le_put32(m.k, cases[i].off, cases[i].v);
		memset(r.buf + 4 * MiB, 0xee, 16);
		ck_assert_msg(load(&r, &m, NULL, 0, NULL, &e, &why) == cases[i].err, "case %zu: %s", i, why);
		ck_assert_uint_eq(r.buf[4 * MiB], 0xee);
		free(m.k);
	}
	/* truncated inside the segment */
	struct img m = elf_make(0, 4 * MiB);
	m.len = SEG_OFF + 100;
	ck_assert_int_eq(load(&r, &m, NULL, 0, NULL, &e, &why), -ENOEXEC);
	ck_assert_str_eq(why, "ELF segment extends past the end of the file");
	m.len = SEG_OFF + SEG_FILESZ;
	/* a required feature it does not know */
	put_header(m.k, HDR_OFF, 0x8);
	ck_assert_int_eq(load(&r, &m, NULL, 0, NULL, &e, &why), -ENOEXEC);
	put_header(m.k, HDR_OFF, 0x3);
	/* a module that does not fit; a command line that does not */
	uint8_t *initrd = calloc(1, 30 * MiB);
	ck_assert_int_eq(load(&r, &m, initrd, 30 * MiB, NULL, &e, &why), -ENOMEM);
	free(initrd);
	char *cl = malloc(LAYOUT_MB_CMDLINE_MAX + 1);
	memset(cl, 'a', LAYOUT_MB_CMDLINE_MAX);
	cl[LAYOUT_MB_CMDLINE_MAX] = 0;
	ck_assert_int_eq(load(&r, &m, NULL, 0, cl, &e, &why), -EINVAL);
	free(cl);
	ck_assert_uint_eq(r.buf[4 * MiB], 0xee);
	free(m.k);
	/* a.out kludge: addresses that contradict the file */
	static const uint32_t bad_aout[][4] = {
		{ MiB, 0, 0, MiB + 0x3000 }, /* entry past the loaded range */
		{ MiB, MiB + 0x4000, 0, MiB }, /* load_end past the end of the file */
		{ MiB, MiB - 1, 0, MiB }, /* load_end below load */
		{ MiB, MiB + 0x1000, MiB + 0x800, MiB }, /* bss_end below load_end */
		{ 0x4000, 0, 0, 0x4000 }, /* the hand-off's pages */
		{ 0xfffff000, 0, 0, 0xfffff000 }, /* past 4 GiB */
	};
	for (size_t i = 0; i < sizeof(bad_aout) / sizeof(bad_aout[0]); i++) {
		m = aout_make(bad_aout[i][0], bad_aout[i][1], bad_aout[i][2], bad_aout[i][3]);
		ck_assert_msg(load(&r, &m, NULL, 0, NULL, &e, &why) != 0, "a.out case %zu loaded", i);
		free(m.k);
	}
	m = aout_make(MiB, 0, 0, MiB);
	le_put32(m.k, 0x40 + 12, MiB + 0x1000); /* load_addr would lie before the file's start */
	ck_assert_int_eq(load(&r, &m, NULL, 0, NULL, &e, &why), -ENOEXEC);
	free(m.k);
	fake_ram_free(&r);
}
END_TEST

/* Random damage to good images: refused or loaded, never a write outside RAM (ASan) or a bad entry. */
START_TEST(mutations)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	unsigned seed = 12345;
	for (int round = 0; round < 3000; round++) {
		struct img m = round % 3 == 2 ? aout_make(MiB, 0, MiB + 0x4000, MiB + 0x80) : elf_make(round % 3, 4 * MiB);
		for (int j = 0; j < 4; j++) {
			seed = seed * 1103515245 + 12345;
			size_t at = (seed >> 8) % 0x140;
			m.k[at] = (uint8_t)(seed >> 24);
		}
		if (round % 7 == 0) { /* keep the header valid so the loader proper sees the damage */
			uint32_t f = le_get32(m.k, round % 3 == 2 ? 0x40 + 4 : HDR_OFF + 4) & 0x10003;
			put_header(m.k, round % 3 == 2 ? 0x40 : HDR_OFF, f);
		}
		struct boot_entry e;
		const char *why;
		int err = load(&r, &m, NULL, 0, NULL, &e, &why);
		if (!err && e.mode == BOOT_MODE_PROT32)
			ck_assert_uint_lt(e.rip, RAM);
		free(m.k);
	}
	fake_ram_free(&r);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("multiboot");
	TCase *tc = tcase_create("load");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, elf32_basic);
	tcase_add_test(tc, elf64_and_module);
	tcase_add_test(tc, low_kernel);
	tcase_add_test(tc, aout_kludge);
	tcase_add_test(tc, detect);
	tcase_add_test(tc, dispatch_messages);
	tcase_add_test(tc, hostile);
	tcase_add_test(tc, mutations);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
