/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The AHCI controller of `kvmini run`: every --disk if=sata drive becomes an ATA device (disk or
 * ATAPI CD-ROM) on one port of one ICH9 AHCI function. The devices live for the whole run (their
 * images stay open and locked); the controller is built in each VM incarnation. */
#ifndef KVMINI_MACHINE_AHCI_H
#define KVMINI_MACHINE_AHCI_H
#include "devices/ata/ahci.h"
#include "machine_disk.h"

struct machine_ahci {
	struct ata_dev *dev[AHCI_PORTS];
	unsigned ndevs;
	struct ahci *hba; /* this incarnation's controller */
};

/* Opens the images of every if=sata spec in specs[0..n) and gives each a port: bus= as asked,
 * then the others the lowest free port. Reports its own errors: -EINVAL a usage error (exit 2),
 * other -errno the host refused (exit 1). On failure what was opened is closed. */
int machine_ahci_open(struct machine_ahci *ma, const struct disk_spec *specs, unsigned n);
/* Builds this incarnation's controller on pci if there are drives. Reports its own errors. */
int machine_ahci_add(struct machine_ahci *ma, struct pci_host *pci, const struct gmem *mem,
		     const struct vm_hooks *hooks, void *hooks_opaque);
/* Destroys the controller (after the vCPUs stopped and the PCI host unmapped its BARs). */
void machine_ahci_remove(struct machine_ahci *ma);
/* Frees the devices, closing their images. */
void machine_ahci_close(struct machine_ahci *ma);

#endif
