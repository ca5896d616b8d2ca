// SPDX-License-Identifier: GPL-2.0-or-later
/* Direct Linux boot: synthetic bzImages and ELF files, hostile fields, boot_params contents. */
#include "unit.h"

#include <errno.h>

#include "firmware/bytes.h"
#include "firmware/layout.h"
#include "firmware/linux.h"

#define RAM (32ULL << 20)
#define MiB (1ULL << 20)
#define HDR_END 0x26c

struct bz {
	uint16_t version, xlf;
	uint8_t setup_sects, relocatable;
	uint64_t pref;
	uint32_t init_size, initrd_max, cmdline_size;
	size_t pm_len;
};

static const struct bz bz_default = {
	.version = 0x20f,
	.xlf = 1,
	.setup_sects = 27,
	.relocatable = 1,
	.pref = 16 * MiB,
	.init_size = 4 * MiB,
	.initrd_max = 0x7fffffff,
	.cmdline_size = 2047,
	.pm_len = 0x3000,
};

/* A bzImage: setup sectors with a header, then pm_len bytes of pattern. Caller frees. */
static uint8_t *bz_make(const struct bz *c, size_t *len)
{
	size_t setup = ((size_t)(c->setup_sects ? c->setup_sects : 4) + 1) * 512;
	*len = setup + c->pm_len;
	uint8_t *k = calloc(1, *len);
	ck_assert_ptr_nonnull(k);
	k[0x1f1] = c->setup_sects;
	le_put16(k, 0x1fe, 0xaa55);
	k[0x200] = 0xeb;
	k[0x201] = HDR_END - 0x202;
	memcpy(k + 0x202, "HdrS", 4);
	le_put16(k, 0x206, c->version);
	k[0x211] = 0x01;
	le_put32(k, 0x22c, c->initrd_max);
	le_put32(k, 0x230, 2 * MiB);
	k[0x234] = c->relocatable;
	le_put16(k, 0x236, c->xlf);
	le_put32(k, 0x238, c->cmdline_size);
	le_put64(k, 0x250, 0xdeadbeef); /* setup_data garbage the loader must clear */
	le_put64(k, 0x258, c->pref);
	le_put32(k, 0x260, c->init_size);
	for (size_t i = 0; i < c->pm_len; i++)
		k[setup + i] = (uint8_t)(i * 7 + 1);
	return k;
}

static int load(struct fake_ram *r, const uint8_t *k, size_t len, const uint8_t *initrd,
		size_t initrd_len, const char *cmdline, struct boot_entry *e, const char **why)
{
	struct boot_image img = { .kernel = k, .kernel_len = len, .initrd = initrd,
				  .initrd_len = initrd_len, .cmdline = cmdline, .acpi_rsdp = 0xe0000 };
	*why = NULL;
	memset(e, 0, sizeof(*e));
	int err = linux_load(&r->mem, &img, e, why);
	if (err)
		ck_assert_ptr_nonnull(*why);
	return err;
}

static const uint8_t *bp_of(struct fake_ram *r)
{
	return r->buf + LAYOUT_BOOT_PARAMS;
}

START_TEST(bz_basic)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	size_t len;
	uint8_t *k = bz_make(&bz_default, &len);
	static uint8_t initrd[100 * 1024];
	memset(initrd, 0x5a, sizeof(initrd));
	struct boot_entry e;
	const char *why;
	ck_assert_int_eq(load(&r, k, len, initrd, sizeof(initrd), "console=ttyS0", &e, &why), 0);

	ck_assert_uint_eq(e.rip, 16 * MiB + 0x200);
	ck_assert_uint_eq(e.rsi, LAYOUT_BOOT_PARAMS);
	ck_assert_uint_eq(e.cr3, LAYOUT_PML4);
	ck_assert_uint_eq(e.gdt_base, LAYOUT_GDT);
	ck_assert_uint_eq(e.gdt_limit, 31);
	ck_assert_uint_eq(e.rsp, LAYOUT_BOOT_STACK);
	ck_assert_mem_eq(r.buf + 16 * MiB, k + 28 * 512, bz_default.pm_len);

	const uint8_t *bp = bp_of(&r);
	/* the header is the file's, except for the fields the loader owns */
	ck_assert_mem_eq(bp + 0x1f1, k + 0x1f1, 0x210 - 0x1f1);
	ck_assert_mem_eq(bp + 0x22c, k + 0x22c, 0x250 - 0x22c);
	ck_assert_mem_eq(bp + 0x258, k + 0x258, HDR_END - 0x258);
	ck_assert_uint_eq(le_get64(bp, 0x250), 0);
	ck_assert_uint_eq(bp[0x210], 0xff);
	ck_assert_uint_eq(bp[0x211] & 0x81, 0x81);
	ck_assert_uint_eq(le_get32(bp, 0x214), 16 * MiB);
	ck_assert_uint_eq(le_get32(bp, 0x228), LAYOUT_CMDLINE);
	ck_assert_str_eq((const char *)r.buf + LAYOUT_CMDLINE, "console=ttyS0");
	ck_assert_uint_eq(le_get64(bp, 0x070), 0xe0000);
	/* initrd: highest 2 MiB-aligned spot in RAM */
	uint32_t at = le_get32(bp, 0x218);
	ck_assert_uint_eq(at, 30 * MiB);
	ck_assert_uint_eq(le_get32(bp, 0x21c), sizeof(initrd));
	ck_assert_uint_eq(le_get32(bp, 0x0c0), 0);
	ck_assert_mem_eq(r.buf + at, initrd, sizeof(initrd));
	/* e820: low RAM, the reserved BIOS area, RAM above 1 MiB */
	ck_assert_uint_eq(bp[0x1e8], 3);
	const uint8_t *t = bp + 0x2d0;
	ck_assert_uint_eq(le_get64(t, 0), 0);
	ck_assert_uint_eq(le_get64(t, 8), LAYOUT_MPTABLE);
	ck_assert_uint_eq(le_get32(t, 16), 1);
	ck_assert_uint_eq(le_get64(t, 20), LAYOUT_MPTABLE);
	ck_assert_uint_eq(le_get64(t, 28), LAYOUT_HIMEM - LAYOUT_MPTABLE);
	ck_assert_uint_eq(le_get32(t, 36), 2);
	ck_assert_uint_eq(le_get64(t, 40), LAYOUT_HIMEM);
	ck_assert_uint_eq(le_get64(t, 48), RAM - LAYOUT_HIMEM);
	ck_assert_uint_eq(le_get32(t, 56), 1);
	/* GDT and identity map */
	ck_assert_uint_eq(le_get64(r.buf, LAYOUT_GDT + 0x10), 0x00af9b000000ffffULL);
	ck_assert_uint_eq(le_get64(r.buf, LAYOUT_GDT + 0x18), 0x00cf93000000ffffULL);
	ck_assert_uint_eq(le_get64(r.buf, LAYOUT_PML4), LAYOUT_PDPT | 3);
	ck_assert_uint_eq(le_get64(r.buf, LAYOUT_PDPT + 24), (LAYOUT_PD + 0x3000) | 3);
	ck_assert_uint_eq(le_get64(r.buf, LAYOUT_PD + 8), 0x200083);
	ck_assert_uint_eq(le_get64(r.buf, LAYOUT_PD + 2047 * 8), 0xffe00083ULL);
	free(k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(bz_versions)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct boot_entry e;
	const char *why;
	size_t len;
	struct bz c = bz_default;

	c.version = 0x205;
	uint8_t *k = bz_make(&c, &len);
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(why, "2.06"));
	free(k);

	c.version = 0x20b; /* predates xloadflags: no 64-bit entry we can trust */
	k = bz_make(&c, &len);
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), -ENOEXEC);
	free(k);

	c = bz_default;
	c.xlf = 2;
	k = bz_make(&c, &len);
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(why, "XLF_KERNEL_64"));
	free(k);

	c = bz_default;
	c.relocatable = 0; /* goes to 1 MiB whatever pref_address says */
	k = bz_make(&c, &len);
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), 0);
	ck_assert_uint_eq(e.rip, LAYOUT_HIMEM + 0x200);
	free(k);
	/* ...but decompresses itself to [pref_address, + init_size): the initrd stays clear */
	c.init_size = 14 * MiB;
	k = bz_make(&c, &len);
	uint8_t *rd = calloc(1, 4 * MiB);
	ck_assert_int_eq(load(&r, k, len, rd, 4 * MiB, NULL, &e, &why), -ENOMEM);
	ck_assert_int_eq(load(&r, k, len, rd, 1 * MiB, NULL, &e, &why), 0);
	ck_assert_uint_eq(le_get32(bp_of(&r), 0x218), 30 * MiB);
	free(rd);
	free(k);
	c.init_size = 17 * MiB; /* 16 MiB + 17 MiB > RAM */
	k = bz_make(&c, &len);
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), -ENOMEM);
	free(k);

	/* a header whose jump says it ends before the fields its version has */
	c = bz_default;
	k = bz_make(&c, &len);
	k[0x201] = 0x30;
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), -ENOEXEC);
	free(k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(bz_truncated)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct boot_entry e;
	const char *why;
	size_t len;
	uint8_t *k = bz_make(&bz_default, &len);
	/* every prefix up to the end of the setup sectors: exact-size copies so ASan sees overreads */
	for (size_t n = 0; n <= 28 * 512; n++) {
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, k, n);
		ck_assert_int_eq(load(&r, p, n, NULL, 0, NULL, &e, &why), -ENOEXEC);
		free(p);
	}
	ck_assert_int_eq(load(&r, NULL, 100, NULL, 0, NULL, &e, &why), -ENOEXEC);
	ck_assert_str_eq(why, "not a bzImage or ELF kernel");

	/* huge setup_sects pointing past the end of the file */
	k[0x1f1] = 255;
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), -ENOEXEC);
	free(k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(bz_placement)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct boot_entry e;
	const char *why;
	size_t len;
	struct bz c = bz_default;
	uint64_t prefs[] = { 0x8000, 30 * MiB, RAM, 0xfffffffffffff000ULL, 0 };
	for (unsigned i = 0; i < sizeof(prefs) / sizeof(prefs[0]); i++) {
		c.pref = prefs[i];
		uint8_t *k = bz_make(&c, &len);
		ck_assert_int_lt(load(&r, k, len, NULL, 0, NULL, &e, &why), 0);
		free(k);
	}
	/* init_size larger than the RAM left after the load address */
	c = bz_default;
	c.init_size = 0xffffffff;
	uint8_t *k = bz_make(&c, &len);
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), -ENOMEM);
	free(k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(bz_cmdline)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct boot_entry e;
	const char *why;
	size_t len;
	struct bz c = bz_default;
	c.cmdline_size = 16;
	uint8_t *k = bz_make(&c, &len);
	ck_assert_int_eq(load(&r, k, len, NULL, 0, "0123456789abcdef", &e, &why), 0);
	ck_assert_str_eq((const char *)r.buf + LAYOUT_CMDLINE, "0123456789abcdef");
	ck_assert_int_eq(load(&r, k, len, NULL, 0, "0123456789abcdefg", &e, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "command line"));
	free(k);
	/* the boot protocol's limit may exceed our buffer: ours still applies */
	c.cmdline_size = 0xffffffff;
	k = bz_make(&c, &len);
	char *big = malloc(LAYOUT_CMDLINE_MAX + 1);
	memset(big, 'x', LAYOUT_CMDLINE_MAX);
	big[LAYOUT_CMDLINE_MAX] = 0;
	ck_assert_int_eq(load(&r, k, len, NULL, 0, big, &e, &why), -EINVAL);
	big[LAYOUT_CMDLINE_MAX - 1] = 0;
	ck_assert_int_eq(load(&r, k, len, NULL, 0, big, &e, &why), 0);
	free(big);
	free(k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(bz_initrd)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct boot_entry e;
	const char *why;
	size_t len;
	struct bz c = bz_default; /* kernel occupies [16 MiB, 20 MiB) */
	c.initrd_max = 24 * MiB - 1;
	uint8_t *k = bz_make(&c, &len);
	uint8_t *rd = calloc(1, 20 * MiB);
	const uint8_t *bp = bp_of(&r);
	static const struct {
		size_t size;
		uint64_t at;
	} cases[] = {
		{ 1 * MiB, 22 * MiB }, /* 2 MiB aligned below initrd_addr_max */
		{ 3 * MiB + MiB / 2, 20 * MiB }, /* just above the kernel */
		{ 4 * MiB + 0x1000, 10 * MiB }, /* does not fit above: below the kernel */
		{ 15 * MiB - 0x1000, LAYOUT_HIMEM + 0x1000 }, /* 4 KiB alignment when 2 MiB fails */
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(load(&r, k, len, rd, cases[i].size, NULL, &e, &why), 0);
		uint64_t at = le_get32(bp, 0x218);
		ck_assert_uint_eq(at, cases[i].at);
		ck_assert_uint_eq(le_get32(bp, 0x21c), cases[i].size);
		ck_assert(at + cases[i].size <= 16 * MiB || at >= 20 * MiB);
		ck_assert_uint_le(at + cases[i].size, 24 * MiB);
	}
	ck_assert_int_eq(load(&r, k, len, rd, 16 * MiB, NULL, &e, &why), -ENOMEM);
	free(k);
	/* the whole RAM when initrd_addr_max allows it */
	c.initrd_max = 0xffffffff;
	k = bz_make(&c, &len);
	ck_assert_int_eq(load(&r, k, len, rd, 12 * MiB, NULL, &e, &why), 0);
	ck_assert_uint_eq(le_get32(bp, 0x218), 20 * MiB);
	free(k);
	free(rd);
	fake_ram_free(&r);
}
END_TEST

/* ELF64 builder */
struct seg {
	uint32_t type;
	uint64_t off, paddr, filesz, memsz;
};

static uint8_t *elf_make(const struct seg *s, unsigned n, uint64_t entry, size_t data_len, size_t *len)
{
	size_t phoff = 64;
	*len = phoff + n * 56 + data_len;
	uint8_t *k = calloc(1, *len);
	memcpy(k, "\x7f" "ELF", 4);
	k[4] = 2;
	k[5] = 1;
	k[6] = 1;
	le_put16(k, 16, 2);
	le_put16(k, 18, 62);
	le_put32(k, 20, 1);
	le_put64(k, 24, entry);
	le_put64(k, 32, phoff);
	le_put16(k, 52, 64);
	le_put16(k, 54, 56);
	le_put16(k, 56, (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *ph = k + phoff + i * 56;
		le_put32(ph, 0, s[i].type);
		le_put64(ph, 8, s[i].off);
		le_put64(ph, 16, s[i].paddr | 0xffffffff80000000ULL); /* vaddr: not used */
		le_put64(ph, 24, s[i].paddr);
		le_put64(ph, 32, s[i].filesz);
		le_put64(ph, 40, s[i].memsz);
	}
	for (size_t i = phoff + n * 56; i < *len; i++)
		k[i] = (uint8_t)(i * 13 + 5);
	return k;
}

#define DATA 0x100 /* file offset of segment data for 3 program headers */
static const struct seg good[3] = {
	{ 1, 64 + 3 * 56, 2 * MiB, 0x100, 0x2000 },
	{ 4, 0, 0, 0x10, 0x10 }, /* PT_NOTE: ignored */
	{ 1, 64 + 3 * 56 + 0x100, 4 * MiB, 0x80, 0x80 },
};

START_TEST(elf_basic)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	memset(r.buf + 2 * MiB, 0xcc, 0x3000);
	struct boot_entry e;
	const char *why;
	size_t len;
	uint8_t *k = elf_make(good, 3, 2 * MiB + 0x10, 0x180, &len);
	static uint8_t rd[4096] = { 1, 2, 3 };
	ck_assert_int_eq(load(&r, k, len, rd, sizeof(rd), "quiet", &e, &why), 0);
	ck_assert_uint_eq(e.rip, 2 * MiB + 0x10);
	ck_assert_mem_eq(r.buf + 2 * MiB, k + good[0].off, 0x100);
	for (size_t i = 0x100; i < 0x2000; i++)
		ck_assert_uint_eq(r.buf[2 * MiB + i], 0);
	ck_assert_uint_eq(r.buf[2 * MiB + 0x2000], 0xcc);
	ck_assert_mem_eq(r.buf + 4 * MiB, k + good[2].off, 0x80);
	const uint8_t *bp = bp_of(&r);
	ck_assert_uint_eq(le_get16(bp, 0x1fe), 0xaa55);
	ck_assert_mem_eq(bp + 0x202, "HdrS", 4);
	ck_assert_uint_ge(le_get16(bp, 0x206), 0x20e);
	ck_assert_uint_eq(bp[0x210], 0xff);
	ck_assert_uint_eq(le_get32(bp, 0x228), LAYOUT_CMDLINE);
	ck_assert_uint_eq(le_get32(bp, 0x218), 30 * MiB);
	ck_assert_uint_eq(le_get64(bp, 0x070), 0xe0000);
	ck_assert_uint_eq(bp[0x1e8], 3);
	free(k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(elf_truncated)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct boot_entry e;
	const char *why;
	size_t len;
	uint8_t *k = elf_make(good, 3, 2 * MiB, 0x180, &len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, k, n);
		ck_assert_int_eq(load(&r, p, n, NULL, 0, NULL, &e, &why), -ENOEXEC);
		free(p);
	}
	free(k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(elf_hostile)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, RAM);
	struct boot_entry e;
	const char *why;
	size_t len;
	struct seg s[3];
	uint8_t *k;
#define TRY(mutate, want)                                                                  \
	do {                                                                               \
		memcpy(s, good, sizeof(s));                                                \
		uint64_t entry = 2 * MiB;                                                  \
		(void)entry;                                                               \
		mutate;                                                                    \
		k = elf_make(s, 3, entry, 0x180, &len);                                   \
		ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), want);         \
		free(k);                                                                   \
	} while (0)
	TRY((s[2].filesz = 0x200, s[2].memsz = 0x200), -ENOEXEC); /* past the end of the file */
	TRY((s[2].off = ~0ULL - 0x10, s[2].filesz = 0x20), -ENOEXEC); /* offset + size wraps */
	TRY(s[0].filesz = s[0].memsz + 1, -ENOEXEC);
	TRY(s[2].paddr = RAM - 0x40, -ENOMEM); /* runs off the end of RAM */
	TRY(s[2].paddr = 64 * MiB, -ENOMEM);
	TRY(s[0].paddr = 0x7000, -ENOMEM); /* over boot_params */
	TRY((s[2].paddr = ~0ULL - 0x10, s[2].memsz = 0x100), -ENOEXEC); /* paddr + memsz wraps */
	TRY(entry = 6 * MiB, -ENOEXEC);
	TRY(s[0].type = s[2].type = 6, -ENOEXEC); /* no PT_LOAD at all */
#undef TRY
	/* a bad second segment leaves RAM untouched */
	memcpy(s, good, sizeof(s));
	s[2].paddr = 64 * MiB;
	k = elf_make(s, 3, 2 * MiB, 0x180, &len);
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), -ENOMEM);
	ck_assert_uint_eq(r.buf[2 * MiB], 0);
	free(k);
	k = elf_make(good, 3, 2 * MiB, 0x180, &len);

	/* header fields: each must be refused */
	static const struct {
		size_t off, size;
		uint64_t val;
	} bad[] = {
		{ 4, 1, 1 }, /* ELFCLASS32 */
		{ 5, 1, 2 }, /* big endian */
		{ 16, 2, 3 }, /* ET_DYN */
		{ 18, 2, 3 }, /* EM_386 */
		{ 32, 8, 0x10000 }, /* phoff past the end */
		{ 32, 8, ~0ULL - 8 }, /* phoff + size wraps */
		{ 54, 2, 32 }, /* phentsize too small */
		{ 56, 2, 0 }, /* no program headers */
		{ 56, 2, 0xffff }, /* more headers than the file holds */
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *c = malloc(len);
		memcpy(c, k, len);
		for (size_t b = 0; b < bad[i].size; b++)
			c[bad[i].off + b] = (uint8_t)(bad[i].val >> (8 * b));
		ck_assert_int_eq(load(&r, c, len, NULL, 0, NULL, &e, &why), -ENOEXEC);
		free(c);
	}
	free(k);
	fake_ram_free(&r);
}
END_TEST

START_TEST(tiny_ram)
{
	/* RAM that does not cover the boot area: clean errors, never a crash */
	struct fake_ram r;
	fake_ram_init(&r, 1 * MiB, 8 * MiB);
	struct boot_entry e;
	const char *why;
	size_t len;
	uint8_t *k = elf_make(good, 3, 2 * MiB, 0x180, &len);
	ck_assert_int_eq(load(&r, k, len, NULL, 0, NULL, &e, &why), -EFAULT);
	free(k);
	fake_ram_free(&r);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("linux");
	TCase *tc = tcase_create("bzimage");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bz_basic);
	tcase_add_test(tc, bz_versions);
	tcase_add_test(tc, bz_truncated);
	tcase_add_test(tc, bz_placement);
	tcase_add_test(tc, bz_cmdline);
	tcase_add_test(tc, bz_initrd);
	suite_add_tcase(s, tc);
	tc = tcase_create("elf");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, elf_basic);
	tcase_add_test(tc, elf_truncated);
	tcase_add_test(tc, elf_hostile);
	tcase_add_test(tc, tiny_ram);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
