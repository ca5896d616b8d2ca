// SPDX-License-Identifier: GPL-2.0-or-later
/* ACPI tables and the AML encoder: checksums, cross-pointers, FADT/MADT fields, DSDT contents. */
#include "unit.h"

#include <errno.h>

#include "firmware/acpi.h"
#include "firmware/aml.h"
#include "firmware/bytes.h"
#include "firmware/layout.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* A table at gpa: signature, length within the ACPI area, checksum 0. */
static const uint8_t *table(struct fake_ram *r, uint64_t gpa, const char *sig)
{
	ck_assert_uint_ge(gpa, LAYOUT_ACPI);
	ck_assert_uint_lt(gpa, LAYOUT_ACPI_END);
	const uint8_t *t = r->buf + gpa;
	ck_assert_mem_eq(t, sig, 4);
	uint32_t len = le_get32(t, 4);
	ck_assert_uint_ge(len, 36);
	ck_assert_uint_le(gpa + len, LAYOUT_ACPI_END);
	ck_assert_uint_eq(sum(t, len), 0);
	return t;
}

static const uint8_t *find(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return hay + i;
	return NULL;
}

static size_t count(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	size_t c = 0;
	for (const uint8_t *p = hay; (p = find(p, n - (size_t)(p - hay), needle, m)); p++)
		c++;
	return c;
}

/* Decodes a PkgLength at p: returns the length, *nbytes its own size. */
static size_t pkglen(const uint8_t *p, size_t *nbytes)
{
	size_t n = (p[0] >> 6) + 1, v = n == 1 ? p[0] & 0x3f : p[0] & 0x0f;
	for (size_t i = 1; i < n; i++)
		v |= (size_t)p[i] << (4 + 8 * (i - 1));
	*nbytes = n;
	return v;
}

static const struct acpi_mmio_dev mmio[2] = {
	{ LAYOUT_VIRTIO_MMIO, 0x1000, 5 },
	{ LAYOUT_VIRTIO_MMIO + 0x1000, 0x1000, 6 },
};

START_TEST(tables)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, 1 << 20);
	struct acpi_cfg cfg = { .ncpus = 4, .mmio = mmio, .nmmio = 2 };
	uint64_t rsdp_at = 0;
	ck_assert_int_eq(acpi_build(&r.mem, &cfg, &rsdp_at), 0);
	ck_assert_uint_eq(rsdp_at, LAYOUT_ACPI);

	const uint8_t *rsdp = r.buf + rsdp_at;
	ck_assert_mem_eq(rsdp, "RSD PTR ", 8);
	ck_assert_uint_eq(rsdp[15], 2);
	ck_assert_uint_eq(sum(rsdp, 20), 0);
	ck_assert_uint_eq(le_get32(rsdp, 20), 36);
	ck_assert_uint_eq(sum(rsdp, 36), 0);

	const uint8_t *xsdt = table(&r, le_get64(rsdp, 24), "XSDT");
	const uint8_t *rsdt = table(&r, le_get32(rsdp, 16), "RSDT");
	ck_assert_uint_eq(le_get32(xsdt, 4), 36 + 16);
	ck_assert_uint_eq(le_get32(rsdt, 4), 36 + 8);
	uint64_t fadt_at = le_get64(xsdt, 36), madt_at = le_get64(xsdt, 44);
	ck_assert_uint_eq(le_get32(rsdt, 36), fadt_at);
	ck_assert_uint_eq(le_get32(rsdt, 40), madt_at);

	const uint8_t *fadt = table(&r, fadt_at, "FACP");
	ck_assert_uint_eq(le_get32(fadt, 4), 276);
	ck_assert_uint_eq(fadt[8], 6);
	ck_assert_uint_eq(le_get16(fadt, 46), LAYOUT_SCI_IRQ);
	ck_assert_uint_eq(le_get32(fadt, 48), 0);
	ck_assert_uint_eq(le_get32(fadt, 56), LAYOUT_PM_EVT);
	ck_assert_uint_eq(le_get32(fadt, 64), LAYOUT_PM_CNT);
	ck_assert_uint_eq(le_get32(fadt, 76), LAYOUT_PM_TMR);
	ck_assert_uint_eq(fadt[88], 4);
	ck_assert_uint_eq(fadt[89], 2);
	ck_assert_uint_eq(fadt[91], 4);
	ck_assert_uint_eq(le_get16(fadt, 109) & 0x06, 0x06); /* 8042, no VGA */
	ck_assert_uint_eq(le_get16(fadt, 109) & 0x08, 0); /* MSI allowed */
	ck_assert(le_get32(fadt, 112) & (1u << 10)); /* RESET_REG_SUP */
	ck_assert(!(le_get32(fadt, 112) & (1u << 4))); /* a fixed power button exists (system_powerdown) */
	ck_assert(!(le_get32(fadt, 112) & (1u << 20))); /* not hardware-reduced */
	ck_assert_uint_eq(fadt[116], 1); /* reset register in I/O space */
	ck_assert_uint_eq(fadt[117], 8);
	ck_assert_uint_eq(le_get64(fadt, 120), LAYOUT_RESET_PORT);
	ck_assert_uint_eq(fadt[128], 6);
	ck_assert_uint_eq(le_get64(fadt, 148 + 4), LAYOUT_PM_EVT);
	ck_assert_uint_eq(fadt[148 + 1], 32);
	ck_assert_uint_eq(le_get64(fadt, 172 + 4), LAYOUT_PM_CNT);
	ck_assert_uint_eq(fadt[172 + 1], 16);
	ck_assert_uint_eq(le_get64(fadt, 208 + 4), LAYOUT_PM_TMR);
	uint64_t dsdt_at = le_get64(fadt, 140);
	ck_assert_uint_eq(le_get32(fadt, 40), dsdt_at);
	uint64_t facs_at = le_get64(fadt, 132);
	ck_assert_uint_eq(le_get32(fadt, 36), 0); /* only X_FIRMWARE_CTRL, as ACPI 6 asks */
	ck_assert_uint_eq(facs_at % 64, 0);
	ck_assert_mem_eq(r.buf + facs_at, "FACS", 4);
	ck_assert_uint_eq(le_get32(r.buf + facs_at, 4), 64);

	const uint8_t *madt = table(&r, madt_at, "APIC");
	ck_assert_uint_eq(le_get32(madt, 36), LAYOUT_LAPIC);
	ck_assert_uint_eq(le_get32(madt, 40), 1);
	unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;
	for (size_t o = 44; o < le_get32(madt, 4); o += madt[o + 1]) {
		const uint8_t *e = madt + o;
		ck_assert_uint_ge(e[1], 2);
		if (e[0] == 0) {
			ck_assert_uint_eq(e[3], lapics);
			ck_assert_uint_eq(le_get32(e, 4), 1);
			lapics++;
		} else if (e[0] == 1) {
			ck_assert_uint_eq(e[2], cfg.ncpus);
			ck_assert_uint_eq(le_get32(e, 4), LAYOUT_IOAPIC);
			ck_assert_uint_eq(le_get32(e, 8), 0);
			ioapics++;
		} else if (e[0] == 2) {
			if (e[3] == 0)
				ck_assert_uint_eq(le_get32(e, 4), 2);
			else {
				ck_assert_uint_eq(e[3], LAYOUT_SCI_IRQ);
				ck_assert_uint_eq(le_get16(e, 8), 0x0d);
			}
			isos++;
		} else if (e[0] == 4) {
			nmis++;
		}
	}
	ck_assert_uint_eq(lapics, cfg.ncpus);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(isos, 2);
	ck_assert_uint_eq(nmis, 1);

	const uint8_t *dsdt = table(&r, dsdt_at, "DSDT");
	size_t dlen = le_get32(dsdt, 4);
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	const uint8_t *p = find(dsdt, dlen, s5, sizeof(s5));
	ck_assert_ptr_nonnull(p);
	/* \_SB scope right after: its PkgLength must reach exactly the end of the table */
	p += sizeof(s5);
	ck_assert_uint_eq(p[0], 0x10);
	size_t nb, l = pkglen(p + 1, &nb);
	ck_assert_uint_eq((size_t)(p + 1 - dsdt) + l, dlen);
	ck_assert_mem_eq(p + 1 + nb, "\\_SB_", 5);
	/* PCI0 with its EISA id, and a _PRT of 124 static entries */
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	ck_assert_ptr_nonnull(find(dsdt, dlen, hid, sizeof(hid)));
	const uint8_t *prt = find(dsdt, dlen, "\x08_PRT\x12", 6);
	ck_assert_ptr_nonnull(prt);
	l = pkglen(prt + 6, &nb);
	ck_assert_uint_eq(prt[6 + nb], 124);
	/* slot 1 INTA -> GSI 17, slot 31 INTD -> GSI 16 + (31 + 3) % 8 = 18 */
	static const uint8_t e1[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x0a, 17 };
	static const uint8_t e31[] = { 0x12, 0x0c, 0x04, 0x0c, 0xff, 0xff, 0x1f, 0x00, 0x0a, 0x03, 0x00, 0x0a, 18 };
	ck_assert_ptr_eq(find(dsdt, dlen, e1, sizeof(e1)), prt + 6 + nb + 1);
	ck_assert_ptr_eq(find(dsdt, dlen, e31, sizeof(e31)), prt + 6 + l - sizeof(e31));
	ck_assert_uint_eq(acpi_pci_gsi(8, 0), 16);
	/* virtio-mmio devices: HID string and their register windows */
	ck_assert_uint_eq(count(dsdt, dlen, "\x0dLNRO0005", 10), 2);
	uint8_t m32[12] = { 0x86, 9, 0, 1 };
	le_put32(m32, 4, (uint32_t)LAYOUT_VIRTIO_MMIO + 0x1000);
	le_put32(m32, 8, 0x1000);
	ck_assert_ptr_nonnull(find(dsdt, dlen, m32, sizeof(m32)));
	static const uint8_t irq6[] = { 0x89, 6, 0, 0x03, 1, 6, 0, 0, 0 };
	ck_assert_ptr_nonnull(find(dsdt, dlen, irq6, sizeof(irq6)));
	fake_ram_free(&r);
}
END_TEST

START_TEST(bad_cfg)
{
	struct fake_ram r;
	fake_ram_init(&r, 0, 1 << 20);
	uint64_t at;
	struct acpi_cfg cfg = { .ncpus = 0 };
	ck_assert_int_eq(acpi_build(&r.mem, &cfg, &at), -EINVAL);
	cfg.ncpus = ACPI_MAX_CPUS + 1;
	ck_assert_int_eq(acpi_build(&r.mem, &cfg, &at), -EINVAL);
	cfg.ncpus = ACPI_MAX_CPUS;
	ck_assert_int_eq(acpi_build(&r.mem, &cfg, &at), 0);
	struct acpi_mmio_dev hi = { LAYOUT_4G, 0x1000, 5 };
	cfg = (struct acpi_cfg){ .ncpus = 1, .mmio = &hi, .nmmio = 1 };
	ck_assert_int_eq(acpi_build(&r.mem, &cfg, &at), -EINVAL);
	cfg.nmmio = 1;
	cfg.mmio = NULL;
	ck_assert_int_eq(acpi_build(&r.mem, &cfg, &at), -EINVAL);
	/* the most devices we describe still fit */
	static struct acpi_mmio_dev many[ACPI_MAX_MMIO];
	for (unsigned i = 0; i < ACPI_MAX_MMIO; i++)
		many[i] = (struct acpi_mmio_dev){ LAYOUT_VIRTIO_MMIO + i * 0x1000ULL, 0x1000, 5 };
	cfg = (struct acpi_cfg){ .ncpus = 8, .mmio = many, .nmmio = ACPI_MAX_MMIO };
	ck_assert_int_eq(acpi_build(&r.mem, &cfg, &at), 0);
	ck_assert_ptr_nonnull(find(r.buf + LAYOUT_ACPI, LAYOUT_ACPI_END - LAYOUT_ACPI, "VRFF", 4));
	fake_ram_free(&r);
	fake_ram_init(&r, 0, LAYOUT_ACPI + 0x1000);
	cfg = (struct acpi_cfg){ .ncpus = 1 };
	ck_assert_int_eq(acpi_build(&r.mem, &cfg, &at), -EFAULT);
	fake_ram_free(&r);
}
END_TEST

START_TEST(aml_encoding)
{
	uint8_t buf[8192];
	struct aml a;
	aml_init(&a, buf, sizeof(buf));
	aml_namestring(&a, "\\_SB.PCI0.S1");
	static const uint8_t ns[] = { '\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'S', '1', '_', '_' };
	ck_assert_int_eq(aml_finish(&a), sizeof(ns));
	ck_assert_mem_eq(buf, ns, sizeof(ns));

	aml_init(&a, buf, sizeof(buf));
	aml_namestring(&a, "^^AB.CD");
	static const uint8_t ns2[] = { '^', '^', 0x2e, 'A', 'B', '_', '_', 'C', 'D', '_', '_' };
	ck_assert_int_eq(aml_finish(&a), sizeof(ns2));
	ck_assert_mem_eq(buf, ns2, sizeof(ns2));

	aml_init(&a, buf, sizeof(buf));
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 2);
	aml_integer(&a, 0x1234);
	aml_integer(&a, 0x12345678);
	aml_integer(&a, 0x123456789aULL);
	static const uint8_t ints[] = { 0x00, 0x01, 0x0a, 0x02, 0x0b, 0x34, 0x12, 0x0c, 0x78, 0x56,
					0x34, 0x12, 0x0e, 0x9a, 0x78, 0x56, 0x34, 0x12, 0, 0, 0 };
	ck_assert_int_eq(aml_finish(&a), sizeof(ints));
	ck_assert_mem_eq(buf, ints, sizeof(ints));

	/* PkgLength: 1 byte up to 63, 2 bytes up to 4095, 3 bytes beyond */
	static const struct {
		size_t body;
		uint8_t head[3];
		size_t nhead;
	} pk[] = {
		{ 62, { 63 }, 1 },
		{ 63, { 0x41, 0x04 }, 2 }, /* 65 = 0x41 */
		{ 4093, { 0x4f, 0xff }, 2 }, /* 4095 */
		{ 4094, { 0x81, 0x00, 0x01 }, 3 }, /* 4097 = 0x1001 */
	};
	for (unsigned i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_scope_begin(&a, "");
		ck_assert_uint_eq(a.len, 3); /* op, reserved PkgLength, NullName */
		for (size_t b = 1; b < pk[i].body; b++)
			aml_byte(&a, (uint8_t)b);
		aml_end(&a);
		ck_assert_int_eq(aml_finish(&a), (int)(1 + pk[i].nhead + pk[i].body));
		ck_assert_mem_eq(buf + 1, pk[i].head, pk[i].nhead);
		ck_assert_uint_eq(buf[1 + pk[i].nhead], 0); /* NullName moved intact */
		ck_assert_uint_eq(buf[pk[i].nhead + pk[i].body], (uint8_t)(pk[i].body - 1));
	}

	/* errors are sticky and reported once */
	const char *bad[] = { "TOOLONG", "1ABC", "A.", "a", "AB..C" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a, buf, sizeof(buf));
		aml_namestring(&a, bad[i]);
		ck_assert_int_eq(aml_finish(&a), -EINVAL);
	}
	aml_init(&a, buf, sizeof(buf));
	aml_eisaid(&a, "pnp0a03");
	ck_assert_int_eq(aml_finish(&a), -EINVAL);
	aml_init(&a, buf, sizeof(buf));
	aml_package_begin(&a, 1);
	ck_assert_int_eq(aml_finish(&a), -EINVAL); /* still open */
	aml_end(&a);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), -EINVAL); /* one end too many */
	aml_init(&a, buf, 4);
	aml_string(&a, "LNRO0005");
	ck_assert_int_eq(aml_finish(&a), -ENOSPC);
	/* a PkgLength that grows past the end of the buffer */
	aml_init(&a, buf, 70);
	aml_package_begin(&a, 1);
	for (int i = 0; i < 67; i++)
		aml_byte(&a, 0);
	aml_end(&a);
	ck_assert_int_eq(aml_finish(&a), -ENOSPC);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("acpi");
	tcase_add_test(tc, tables);
	tcase_add_test(tc, bad_cfg);
	tcase_add_test(tc, aml_encoding);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
