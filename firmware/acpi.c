// SPDX-License-Identifier: GPL-2.0-or-later
#include "acpi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "aml.h"
#include "bytes.h"

#define HDR_LEN 36
#define RSDP_LEN 36
#define FACS_LEN 64
#define FADT_LEN 276 /* revision 6 */
#define PCI_SLOTS 32

/* A bump allocator over the ACPI area, in host and guest addresses at once. */
struct acpi_area {
	uint8_t *host;
	uint64_t gpa, used, size;
};

static uint8_t *area_alloc(struct acpi_area *ar, uint64_t len, uint64_t align, uint64_t *gpa)
{
	uint64_t at = (ar->used + align - 1) & ~(align - 1);
	if (at > ar->size || len > ar->size - at)
		return NULL;
	ar->used = at + len;
	*gpa = ar->gpa + at;
	return ar->host + at;
}

static void table_header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	le_put32(t, 4, len);
	t[8] = rev;
	memcpy(t + 10, "KVMINI", 6);
	memcpy(t + 16, "KVMINI  ", 8);
	le_put32(t, 24, 1); /* OEM revision */
	memcpy(t + 28, "KVMI", 4);
	le_put32(t, 32, 1); /* creator revision */
}

static void table_checksum(uint8_t *t)
{
	t[9] = 0;
	t[9] = fw_csum(t, le_get32(t, 4));
}

/* Generic Address Structure: I/O port with the block's natural width, access size left to the
 * OS (0) as the legacy fields imply. */
static void gas_io(uint8_t *p, size_t off, uint8_t bits, uint8_t access, uint64_t port)
{
	p[off] = 1; /* system I/O */
	p[off + 1] = bits;
	p[off + 2] = 0;
	p[off + 3] = access;
	le_put64(p, off + 4, port);
}

static void build_fadt(uint8_t *t, uint64_t facs, uint64_t dsdt)
{
	table_header(t, "FACP", FADT_LEN, 6);
	/* FIRMWARE_CTRL stays 0: with both set, Linux installs the FACS twice */
	le_put32(t, 40, (uint32_t)dsdt);
	le_put16(t, 46, LAYOUT_SCI_IRQ);
	le_put32(t, 48, 0); /* no SMI_CMD: the machine is always in ACPI mode */
	le_put32(t, 56, LAYOUT_PM_EVT);
	le_put32(t, 64, LAYOUT_PM_CNT);
	le_put32(t, 76, LAYOUT_PM_TMR);
	t[88] = 4; /* PM1_EVT_LEN */
	t[89] = 2; /* PM1_CNT_LEN */
	t[91] = 4; /* PM_TMR_LEN */
	le_put16(t, 96, 101); /* P_LVL2_LAT > 100: no C2 */
	le_put16(t, 98, 1001); /* P_LVL3_LAT > 1000: no C3 */
	/* IA-PC boot arch: legacy devices, 8042 (reset and the kernel's probe), no VGA */
	le_put16(t, 109, 0x0001 | 0x0002 | 0x0004);
	/* WBINVD, PROC_C1, no fixed sleep button, no RTC wake status, RESET_REG_SUP. PWR_BUTTON (bit 4)
	 * stays clear: the fixed power button (PM1 PWRBTN_STS/EN) exists, so the guest's ACPI button
	 * driver binds it and QMP system_powerdown reaches the guest */
	le_put32(t, 112, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 6) | (1u << 10));
	gas_io(t, 116, 8, 1, LAYOUT_RESET_PORT);
	t[128] = 0x06; /* reset value: full reset through port 0xcf9 */
	t[131] = 0; /* FADT minor version: ACPI 6.0 */
	le_put64(t, 132, facs);
	le_put64(t, 140, dsdt);
	gas_io(t, 148, 32, 0, LAYOUT_PM_EVT);
	gas_io(t, 172, 16, 0, LAYOUT_PM_CNT);
	gas_io(t, 208, 32, 0, LAYOUT_PM_TMR);
	table_checksum(t);
}

static size_t madt_len(unsigned ncpus)
{
	return HDR_LEN + 8 + 8 * (size_t)ncpus + 12 + 2 * 10 + 6;
}

static void build_madt(uint8_t *t, unsigned ncpus)
{
	size_t len = madt_len(ncpus), o = HDR_LEN + 8;
	table_header(t, "APIC", (uint32_t)len, 3);
	le_put32(t, 36, (uint32_t)LAYOUT_LAPIC);
	le_put32(t, 40, 1); /* PCAT_COMPAT: the 8259s exist and must be masked */
	for (unsigned i = 0; i < ncpus; i++, o += 8) {
		t[o] = 0; /* processor local APIC */
		t[o + 1] = 8;
		t[o + 2] = (uint8_t)i; /* ACPI processor UID */
		t[o + 3] = (uint8_t)i; /* APIC id */
		le_put32(t, o + 4, 1); /* enabled */
	}
	t[o] = 1; /* IOAPIC */
	t[o + 1] = 12;
	t[o + 2] = (uint8_t)ncpus;
	le_put32(t, o + 4, (uint32_t)LAYOUT_IOAPIC);
	le_put32(t, o + 8, 0); /* GSI base */
	o += 12;
	/* ISA overrides: the timer is on pin 2; the SCI is level, active high */
	static const struct {
		uint8_t irq;
		uint32_t gsi;
		uint16_t flags;
	} iso[2] = { { 0, 2, 0 }, { LAYOUT_SCI_IRQ, LAYOUT_SCI_IRQ, 0x0d } };
	for (int i = 0; i < 2; i++, o += 10) {
		t[o] = 2;
		t[o + 1] = 10;
		t[o + 2] = 0; /* ISA */
		t[o + 3] = iso[i].irq;
		le_put32(t, o + 4, iso[i].gsi);
		le_put16(t, o + 8, iso[i].flags);
	}
	t[o] = 4; /* local APIC NMI: all processors, LINT1 */
	t[o + 1] = 6;
	t[o + 2] = 0xff;
	le_put16(t, o + 3, 0);
	t[o + 5] = 1;
	table_checksum(t);
}

static void dsdt_pci0(struct aml *a, const struct acpi_cfg *cfg)
{
	uint64_t end = cfg->pci_mmio_end ? cfg->pci_mmio_end : LAYOUT_PCI_MMIO + LAYOUT_PCI_MMIO_SIZE;
	uint8_t crs[128];
	struct aml r;
	aml_init(&r, crs, sizeof(crs));
	aml_res_word_bus(&r, 0, 0xff);
	aml_res_io(&r, LAYOUT_PCI_CONF, 8);
	aml_res_word_io(&r, 0x0000, LAYOUT_PCI_CONF - 1);
	aml_res_word_io(&r, 0x0d00, 0xffff);
	aml_res_dword_mem(&r, (uint32_t)LAYOUT_PCI_MMIO, (uint32_t)(end - 1));
	aml_res_end(&r);
	int n = aml_finish(&r);
	if (n < 0) {
		a->err = a->err ? a->err : n;
		return;
	}

	aml_device_begin(a, "PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	/* no _ADR: a device has a _HID or an _ADR, not both (iasl warns, ACPI 6 section 6.1) */
	aml_name(a, "_CRS");
	aml_buffer(a, crs, (size_t)n);
	/* static routing table: a _PRT method costs the emulated guest ~20 s per device */
	aml_name(a, "_PRT");
	aml_package_begin(a, (PCI_SLOTS - 1) * 4);
	for (unsigned slot = 1; slot < PCI_SLOTS; slot++) {
		for (unsigned pin = 0; pin < 4; pin++) {
			aml_package_begin(a, 4);
			aml_integer(a, ((uint64_t)slot << 16) | 0xffff); /* any function */
			aml_integer(a, pin);
			aml_integer(a, 0); /* no link device: the next field is a GSI */
			aml_integer(a, acpi_pci_gsi(slot, pin));
			aml_end(a);
		}
	}
	aml_end(a);
	aml_end(a);
}

static void dsdt_mmio(struct aml *a, unsigned idx, const struct acpi_mmio_dev *d)
{
	uint8_t crs[32];
	struct aml r;
	char name[5];
	aml_init(&r, crs, sizeof(crs));
	aml_res_mem32_fixed(&r, (uint32_t)d->base, (uint32_t)d->size);
	aml_res_irq(&r, d->gsi, 0, 0); /* edge, active high: each notification is a pulse */
	aml_res_end(&r);
	int n = aml_finish(&r);
	if (n < 0) {
		a->err = a->err ? a->err : n;
		return;
	}
	snprintf(name, sizeof(name), "VR%02X", idx & 0xff);
	aml_device_begin(a, name);
	aml_name(a, "_HID");
	aml_string(a, "LNRO0005");
	aml_name(a, "_UID");
	aml_integer(a, idx);
	aml_name(a, "_CRS");
	aml_buffer(a, crs, (size_t)n);
	aml_end(a);
}

/* The DSDT body (after its header) into [p, p+cap); returns its length or -errno. */
static int build_dsdt_body(uint8_t *p, size_t cap, const struct acpi_cfg *cfg)
{
	struct aml a;
	aml_init(&a, p, cap);
	/* \_S5: SLP_TYP 5 for PM1a and PM1b, as the acpi_pm device expects for poweroff */
	aml_name(&a, "\\_S5");
	aml_package_begin(&a, 4);
	aml_integer(&a, 5);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_end(&a);
	aml_scope_begin(&a, "\\_SB");
	if (!cfg->no_pci)
		dsdt_pci0(&a, cfg);
	for (unsigned i = 0; i < cfg->nmmio; i++)
		dsdt_mmio(&a, i, &cfg->mmio[i]);
	aml_end(&a);
	return aml_finish(&a);
}

static int check_cfg(const struct acpi_cfg *cfg)
{
	if (!cfg->ncpus || cfg->ncpus > ACPI_MAX_CPUS || cfg->nmmio > ACPI_MAX_MMIO)
		return -EINVAL;
	if (cfg->nmmio && !cfg->mmio)
		return -EINVAL;
	if (cfg->pci_mmio_end && (cfg->pci_mmio_end <= LAYOUT_PCI_MMIO || cfg->pci_mmio_end > LAYOUT_4G))
		return -EINVAL;
	for (unsigned i = 0; i < cfg->nmmio; i++) {
		const struct acpi_mmio_dev *d = &cfg->mmio[i];
		if (!d->size || d->base >= LAYOUT_4G || d->size > LAYOUT_4G - d->base)
			return -EINVAL;
	}
	return 0;
}

int acpi_build(const struct gmem *m, const struct acpi_cfg *cfg, uint64_t *rsdp_gpa)
{
	int err = check_cfg(cfg);
	if (err)
		return err;
	struct acpi_area ar = { .gpa = LAYOUT_ACPI, .size = LAYOUT_ACPI_END - LAYOUT_ACPI };
	ar.host = gmem_ptr(m, ar.gpa, ar.size);
	if (!ar.host)
		return -EFAULT;
	memset(ar.host, 0, ar.size);

	uint64_t rsdp_at, facs_at, xsdt_at, rsdt_at, fadt_at, madt_at, dsdt_at;
	uint8_t *rsdp = area_alloc(&ar, RSDP_LEN, 16, &rsdp_at);
	uint8_t *facs = area_alloc(&ar, FACS_LEN, 64, &facs_at);
	uint8_t *xsdt = area_alloc(&ar, HDR_LEN + 2 * 8, 16, &xsdt_at);
	uint8_t *rsdt = area_alloc(&ar, HDR_LEN + 2 * 4, 16, &rsdt_at);
	uint8_t *fadt = area_alloc(&ar, FADT_LEN, 16, &fadt_at);
	uint8_t *madt = area_alloc(&ar, madt_len(cfg->ncpus), 16, &madt_at);
	uint8_t *dsdt = area_alloc(&ar, HDR_LEN, 16, &dsdt_at);
	if (!rsdp || !facs || !xsdt || !rsdt || !fadt || !madt || !dsdt)
		return -ENOSPC;
	/* the DSDT takes whatever room is left, then shrinks to its length */
	int body = build_dsdt_body(dsdt + HDR_LEN, ar.size - ar.used, cfg);
	if (body < 0)
		return body;
	table_header(dsdt, "DSDT", (uint32_t)(HDR_LEN + body), 2); /* rev 2: 64-bit integers */
	table_checksum(dsdt);

	memcpy(facs, "FACS", 4);
	le_put32(facs, 4, FACS_LEN);
	facs[32] = 2; /* version; no checksum in the FACS */

	build_fadt(fadt, facs_at, dsdt_at);
	build_madt(madt, cfg->ncpus);

	table_header(xsdt, "XSDT", HDR_LEN + 2 * 8, 1);
	le_put64(xsdt, HDR_LEN, fadt_at);
	le_put64(xsdt, HDR_LEN + 8, madt_at);
	table_checksum(xsdt);
	table_header(rsdt, "RSDT", HDR_LEN + 2 * 4, 1);
	le_put32(rsdt, HDR_LEN, (uint32_t)fadt_at);
	le_put32(rsdt, HDR_LEN + 4, (uint32_t)madt_at);
	table_checksum(rsdt);

	memcpy(rsdp, "RSD PTR ", 8);
	memcpy(rsdp + 9, "KVMINI", 6);
	rsdp[15] = 2; /* ACPI 2.0+: XSDT and extended checksum */
	le_put32(rsdp, 16, (uint32_t)rsdt_at);
	le_put32(rsdp, 20, RSDP_LEN);
	le_put64(rsdp, 24, xsdt_at);
	rsdp[8] = fw_csum(rsdp, 20);
	rsdp[32] = fw_csum(rsdp, RSDP_LEN);
	*rsdp_gpa = rsdp_at;
	return 0;
}
