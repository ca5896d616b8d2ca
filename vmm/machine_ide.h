/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIIX3 south bridge of `kvmini run` (QEMU pc's 00:01.0 ISA bridge and 00:01.1 IDE): every
 * --disk if=ide, --hda..--hdd and --cdrom becomes an ATA device at one of the four IDE positions
 * (bus 0/1, unit 0 master / 1 slave) for the whole run (images stay open and locked); the ISA
 * bridge and the IDE function in front of them are built in each VM incarnation, at slot 1
 * before any other PCI device. */
#ifndef KVMINI_MACHINE_IDE_H
#define KVMINI_MACHINE_IDE_H
#include "devices/ata/ide.h"
#include "devices/piix3_isa.h"
#include "machine_disk.h"
#include "options.h"
#include "vm.h"

struct machine_ide {
	struct ata_dev *dev[IDE_UNITS];
	struct disk_spec spec[IDE_UNITS];
	bool used[IDE_UNITS];
	char what[IDE_UNITS][80]; /* the option that put a drive there, for conflict messages */
	unsigned n;
	bool bridge;              /* build the ISA bridge even without IDE drives (firmware boots) */
	struct piix3_isa *isa;    /* this incarnation's */
	struct ide *ide;
};

/* Opens the images of o->hd[], o->cdrom and every if=ide spec in specs[0..n) and places them:
 * the positions named first (--hdX, --cdrom = bus 1 unit 0, bus=/unit=), then the others in
 * the first free one. Reports its own errors: -EINVAL a usage error (two drives at one place:
 * exit 2), other -errno the host refused (exit 1). On failure what was opened is closed. */
int machine_ide_open(struct machine_ide *mi, const struct run_opts *o, const struct disk_spec *specs, unsigned n);
/* This incarnation's bridge and controller at 00:01.0/00:01.1 (the devices reset as at power
 * on); nothing without IDE drives unless mi->bridge. Call before any other PCI device is added. */
int machine_ide_add(struct machine_ide *mi, struct vm *vm, struct pci_host *pci);
/* Destroys this incarnation's bridge and controller (after the vCPUs stopped and the PCI host is
 * gone); the devices stay. */
void machine_ide_remove(struct machine_ide *mi);
/* Frees the devices, closing their images. */
void machine_ide_close(struct machine_ide *mi);

#endif
