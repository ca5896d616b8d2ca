/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Intel MultiProcessor Specification 1.4 tables in the EBDA: how a guest booted with acpi=off (or
 * an old kernel) finds the CPUs, the IOAPIC and the PCI interrupt routing. Mirrors the MADT and
 * the DSDT's _PRT. */
#ifndef KVMINI_MPTABLE_H
#define KVMINI_MPTABLE_H

#include "../vmm/gmem.h"

/* Largest ncpus whose table still fits in [LAYOUT_MPTABLE, LAYOUT_EBDA_END). */
#define MPTABLE_MAX_CPUS 27

/* Writes the floating pointer at LAYOUT_MPTABLE and the config table right after it: one
 * processor per CPU (APIC id = index, BSP = 0), buses PCI (id 0) and ISA (id 1), the IOAPIC
 * (id ncpus), ISA IRQs 0-15 (IRQ0 on pin 2, no IRQ2), INTA of PCI slots 1-31 on pin
 * LAYOUT_PCI_IRQ_BASE + slot % 8, ExtINT on LINT0 and NMI on LINT1.
 * -EINVAL for ncpus 0, -ENOSPC above MPTABLE_MAX_CPUS, -EFAULT if RAM does not cover the EBDA. */
int mptable_write(const struct gmem *m, unsigned ncpus);

#endif
