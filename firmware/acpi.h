/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ACPI tables for a legacy-free-ish PC: RSDP, XSDT/RSDT, FADT (PM1a event/control, PM timer,
 * reset register, SCI), FACS, MADT (local APICs, IOAPIC, overrides) and a small static DSDT
 * (\_S5, the PCI host bridge with a static _PRT, optional virtio-mmio devices). All of it lives in
 * [LAYOUT_ACPI, LAYOUT_ACPI_END), with the RSDP first so the BIOS-area scan finds it too. */
#ifndef KVMINI_ACPI_H
#define KVMINI_ACPI_H
#include <stdint.h>

#include "../vmm/gmem.h"
#include "layout.h"

/* a virtio-mmio device, described as HID "LNRO0005" with Memory32Fixed + an edge interrupt */
struct acpi_mmio_dev {
	uint64_t base; /* below 4 GiB */
	uint64_t size;
	uint32_t gsi;
};

#define ACPI_MAX_CPUS 254 /* APIC ids 0..ncpus-1 and the IOAPIC id ncpus fit in 8 bits */
#define ACPI_MAX_MMIO 256

struct acpi_cfg {
	unsigned ncpus;
	const struct acpi_mmio_dev *mmio; /* may be NULL when nmmio is 0 */
	unsigned nmmio;
	int no_pci; /* the board has no PCI host bridge: no PCI0 in the DSDT */
	/* end of the PCI host's 32-bit memory window from LAYOUT_PCI_MMIO on; 0: LAYOUT_PCI_MMIO_SIZE
	 * (where kvmini places BARs). A firmware boot gives LAYOUT_IOAPIC: SeaBIOS places BARs
	 * downwards from there. */
	uint64_t pci_mmio_end;
};

/* PCI INTx routing the DSDT's _PRT (and, for INTA, the MP table) advertises. */
static inline unsigned acpi_pci_gsi(unsigned slot, unsigned pin)
{
	return LAYOUT_PCI_IRQ_BASE + (slot + pin) % 8;
}

/* Builds every table; *rsdp gets the RSDP's guest address (for boot_params.acpi_rsdp_addr).
 * -EINVAL for a bad cfg, -ENOSPC if the tables do not fit, -EFAULT if RAM does not cover them. */
int acpi_build(const struct gmem *m, const struct acpi_cfg *cfg, uint64_t *rsdp);

#endif
