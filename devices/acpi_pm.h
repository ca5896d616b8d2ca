/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ACPI fixed hardware (PIIX4-like, on port I/O): PM1a event and control blocks, the PM timer, and
 * the FADT reset register. Poweroff is SLP_TYP 5 + SLP_EN; reset is bit 2 in the reset register. */
#ifndef KVMINI_ACPI_PM_H
#define KVMINI_ACPI_PM_H

#include "vmm/bus.h"
#include "vmm/irq.h"

#define ACPI_PM_SLP_TYP_S5 5 /* the DSDT's \_S5 package must carry this value */
#define ACPI_PM_RESET_VALUE 0x06 /* FADT RESET_VALUE */

struct acpi_pm;

/* Registers [LAYOUT_PM_BASE, +LAYOUT_PM_LEN) on pio, and LAYOUT_RESET_PORT when own_reset_port is
 * set. Pass 0 when a PCI host exists: 0xCF9 lies inside its CONFIG_ADDRESS dword (0xCF8..0xCFB),
 * so pci_host answers byte accesses to 0xCF9 with the same semantics. sci is LAYOUT_SCI_IRQ (level);
 * hooks->request_stop gets VM_STOP_POWEROFF / VM_STOP_RESET. */
int acpi_pm_create(struct acpi_pm **out, struct bus *pio, const struct irq_line *sci,
		   const struct vm_hooks *hooks, void *hooks_opaque, int own_reset_port);
void acpi_pm_destroy(struct acpi_pm *pm);
/* Presses the power button (e.g. on SIGTERM): sets PWRBTN_STS and raises SCI if the guest enabled
 * it, so an ACPI-aware guest shuts down cleanly. Thread-safe. */
void acpi_pm_power_button(struct acpi_pm *pm);

/* Saved state (vmm/state.h): PM1 status/enable/control, the reset register and the PM timer's
 * count, which goes on from there after a load (the time the VM was stopped does not count).
 * Load re-drives the SCI. */
struct state_writer;
struct state_reader;
int acpi_pm_state_save(const struct acpi_pm *pm, struct state_writer *w);
int acpi_pm_state_load(struct acpi_pm *pm, struct state_reader *r, uint32_t version);
extern const struct state_ops acpi_pm_state_ops; /* id "acpi-pm" */

#endif
