// SPDX-License-Identifier: GPL-2.0-or-later
/* --disk if=sata: ATA devices for the run, an AHCI controller per incarnation. */
#include "machine_ahci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int add_drive(struct machine_ahci *ma, const struct disk_spec *s)
{
	unsigned port = 0;
	if (s->bus >= 0) {
		port = (unsigned)s->bus;
		if (ma->dev[port]) {
			kv_log("--disk %s: AHCI port %u is taken by another drive", s->path, port);
			return -EINVAL;
		}
	} else {
		while (port < AHCI_PORTS && ma->dev[port])
			port++;
		if (port == AHCI_PORTS) {
			kv_log("--disk %s: all %u AHCI ports are taken", s->path, AHCI_PORTS);
			return -EINVAL;
		}
	}
	struct disk *d = NULL;
	const char *why = NULL;
	int r = s->empty ? 0 : disk_open(&d, s->path, &s->opts, &why); /* none,media=cdrom: no medium */
	if (r) {
		kv_log("--disk %s: %s", s->path, why ? why : strerror(-r));
		return r == -EINVAL ? -EIO : r;
	}
	bool cd = s->media == DISK_MEDIA_CDROM;
	char serial[24];
	snprintf(serial, sizeof(serial), "KVMINI-SATA%u", port);
	struct ata_dev_opts o = { .kind = cd ? ATA_CDROM : ATA_DISK, .sata = true, .serial = serial,
				  .discard = !cd && !s->no_discard && !s->opts.read_only };
	if ((r = ata_dev_create(&ma->dev[port], d, &o))) {
		kv_log("--disk %s: %s", s->path, r == -EINVAL ? "not usable as a SATA drive (smaller than a sector?)"
								 : strerror(-r));
		disk_close(d);
		return -EIO;
	}
	ma->ndevs++;
	return 0;
}

int machine_ahci_open(struct machine_ahci *ma, const struct disk_spec *specs, unsigned n)
{
	memset(ma, 0, sizeof(*ma));
	int r = 0;
	/* explicit ports first, so an automatic one never takes what a later drive names */
	for (int pass = 0; pass < 2 && !r; pass++)
		for (unsigned i = 0; i < n && !r; i++)
			if (specs[i].iface == DISK_IF_SATA && (specs[i].bus >= 0) == !pass)
				r = add_drive(ma, &specs[i]);
	if (r)
		machine_ahci_close(ma);
	return r;
}

int machine_ahci_add(struct machine_ahci *ma, struct pci_host *pci, const struct gmem *mem,
		     const struct vm_hooks *hooks, void *hooks_opaque)
{
	if (!ma->ndevs)
		return 0;
	struct ahci_opts o = { .mem = mem, .hooks = hooks, .hooks_opaque = hooks_opaque, .name = "ahci0" };
	int r = ahci_create(&ma->hba, ma->dev, &o);
	if (!r && (r = pci_host_add(pci, ahci_pci(ma->hba)))) {
		ahci_destroy(ma->hba);
		ma->hba = NULL;
	}
	if (r)
		kv_log("ahci: %s", r == -ENOSPC ? "no free PCI slot" : strerror(-r));
	return r;
}

void machine_ahci_remove(struct machine_ahci *ma)
{
	ahci_destroy(ma->hba);
	ma->hba = NULL;
}

void machine_ahci_close(struct machine_ahci *ma)
{
	machine_ahci_remove(ma);
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		if (ma->dev[i])
			ata_dev_destroy(ma->dev[i]);
		ma->dev[i] = NULL;
	}
	ma->ndevs = 0;
}
