/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest-physical memory map kvmini builds: one place for every fixed address. */
#ifndef KVMINI_LAYOUT_H
#define KVMINI_LAYOUT_H

/* low memory used by the boot hand-off (all below 1 MiB, inside RAM) */
#define LAYOUT_GDT 0x500ULL
#define LAYOUT_IDT 0x520ULL
#define LAYOUT_BOOT_PARAMS 0x7000ULL /* the "zero page" */
#define LAYOUT_BOOT_STACK 0x8ff0ULL /* initial rsp: top of the page below the PML4 */
#define LAYOUT_PML4 0x9000ULL /* identity map of the first 4 GiB with 2 MiB pages: */
#define LAYOUT_PDPT 0xa000ULL /*   PML4, PDPT, then 4 PDs at 0xb000..0xefff */
#define LAYOUT_PD 0xb000ULL
#define LAYOUT_CMDLINE 0x20000ULL
#define LAYOUT_CMDLINE_MAX 0x10000ULL
/* a multiboot kernel's hand-off, all below LAYOUT_MB_LOW_END: it may load from there up to the EBDA
 * (kvm-unit-tests' realmode test sits at 32 KiB); the GDT stays at LAYOUT_GDT */
#define LAYOUT_MB_CMDLINE 0x1000ULL
#define LAYOUT_MB_CMDLINE_MAX 0x5000ULL
#define LAYOUT_MB_STACK 0x7000ULL /* initial esp: top of the page below the information */
#define LAYOUT_MB_INFO 0x7000ULL
#define LAYOUT_MB_LOW_END 0x8000ULL
#define LAYOUT_MPTABLE 0x9fc00ULL /* EBDA: MP floating pointer + config table */
#define LAYOUT_EBDA_END 0xa0000ULL /* 0x9fc00..0x100000 is reserved in e820 */
#define LAYOUT_ACPI 0xe0000ULL /* RSDP (BIOS search area) and the tables after it */
#define LAYOUT_ACPI_END 0x100000ULL
#define LAYOUT_HIMEM 0x100000ULL /* where a bzImage's protected-mode kernel goes */
/* firmware boot: the VGA window, then the option ROM / BIOS shadow area up to 1 MiB */
#define LAYOUT_VGA 0xa0000ULL
#define LAYOUT_SHADOW 0xc0000ULL

/* the 32-bit hole: RAM that would overlap it is placed above 4 GiB instead */
#define LAYOUT_PCI_HOLE 0xc0000000ULL
#define LAYOUT_4G 0x100000000ULL
#define LAYOUT_PCI_MMIO 0xc0000000ULL /* 32-bit PCI BAR window */
#define LAYOUT_PCI_MMIO_SIZE 0x10000000ULL
#define LAYOUT_VIRTIO_MMIO 0xd0000000ULL /* virtio-mmio slots, 4 KiB each */
#define LAYOUT_VIRTIO_MMIO_SLOT 0x1000ULL
#define LAYOUT_IOAPIC 0xfec00000ULL
#define LAYOUT_LAPIC 0xfee00000ULL
#define LAYOUT_KVM_TSS 0xfffbd000ULL /* 3 pages KVM wants on Intel hosts */
#define LAYOUT_KVM_IDENTITY 0xfffbc000ULL

/* port I/O */
#define LAYOUT_PM_BASE 0x600 /* ACPI PM1a_EVT (4), PM1a_CNT (2) at +4, PM_TMR (4) at +8 */
#define LAYOUT_PM_EVT 0x600
#define LAYOUT_PM_CNT 0x604
#define LAYOUT_PM_TMR 0x608
#define LAYOUT_PM_LEN 0x0c
#define LAYOUT_SCI_IRQ 9
#define LAYOUT_RESET_PORT 0xcf9 /* also the FADT reset register */
#define LAYOUT_COM1 0x3f8
#define LAYOUT_COM1_IRQ 4
#define LAYOUT_I8042_AUX_IRQ 12 /* PS/2 mouse (ISA IRQ 12) */
#define LAYOUT_I8042 0x60 /* data 0x60, status/command 0x64 */
#define LAYOUT_RTC 0x70
#define LAYOUT_RTC_IRQ 8
#define LAYOUT_PCI_CONF 0xcf8
#define LAYOUT_PCI_IRQ_BASE 16 /* INTx of slot N uses IOAPIC pin 16 + (N % 8): static _PRT / MP table */
/* virtio-mmio slot N uses the Nth of the free ISA lines 5, 6, 7, 10, 11, 12, 13, 14, 15 (edge: each
 * notification is a pulse through irqfd) */

#endif
