// SPDX-License-Identifier: GPL-2.0-or-later
/* The devices' side of a snapshot or migration (vmm/machine_priv.h): which parts of this
 * incarnation are saved and in what order (the registry), the images behind every drive (flushed
 * and given internal snapshots together), and pausing every device with an I/O thread so that
 * nothing completes into guest memory after it was saved. */
#include "machine_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "virtio/net.h"
#include "virtio/scsi.h"

/* Every virtio device of this incarnation, in registration order: virtio-blk disks, the
 * virtio-scsi controller, NICs, then the tablet. */
unsigned msnap_vdevs(struct machine *m, struct virtio_dev **out)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m->ndisks; i++)
		if (m->blks[i])
			out[n++] = virtio_blk_dev(m->blks[i]);
	if (m->scsi.dev)
		out[n++] = virtio_scsi_dev(m->scsi.dev);
	for (unsigned i = 0; i < m->nets.n; i++)
		if (m->nets.dev[i])
			out[n++] = virtio_net_dev(m->nets.dev[i]);
	if (mdisplay_tablet(&m->display))
		out[n++] = mdisplay_tablet(&m->display);
	return n;
}

/* The PIIX3: the ISA bridge (PIRQ routing, ELCR), the IDE function, then each IDE drive (its own
 * section, instance = its position hda..hdd, after the controller's as ide.h wants). */
static int register_piix3(struct machine *m, struct state_registry *g)
{
	struct machine_ide *mi = &m->ide;
	int ret = 0;
	if (mi->isa)
		ret = state_registry_add(g, &piix3_isa_state_ops, 0, mi->isa);
	if (!ret && mi->ide)
		ret = state_registry_add(g, &ide_state_ops, 0, mi->ide);
	for (unsigned i = 0; !ret && mi->ide && i < IDE_UNITS; i++)
		if (mi->dev[i])
			ret = state_registry_add(g, &ata_dev_state_ops, i, mi->dev[i]);
	return ret;
}

int msnap_register(struct machine *m)
{
	struct state_registry *g = &m->reg;
	state_registry_free(g);
	state_registry_init(g);
	int ret = state_registry_add(g, &serial_state_ops, 0, m->serial);
	if (!ret)
		ret = state_registry_add(g, &i8042_state_ops, 0, m->i8042);
	if (!ret)
		ret = state_registry_add(g, &rtc_state_ops, 0, m->rtc);
	if (!ret)
		ret = state_registry_add(g, &acpi_pm_state_ops, 0, m->pm);
	if (!ret && m->pci) /* none when no device needs PCI */
		ret = state_registry_add(g, &pci_host_state_ops, 0, m->pci);
	if (!ret)
		ret = register_piix3(m, g);
	if (!ret && m->ahci.hba) /* the controller's section carries its drives' */
		ret = state_registry_add(g, &ahci_state_ops, 0, m->ahci.hba);
	if (!ret)
		ret = mdisplay_register(&m->display, g);
	struct virtio_dev *vd[MSNAP_MAX_VDEVS];
	unsigned n = msnap_vdevs(m, vd);
	for (unsigned i = 0; !ret && i < n; i++) {
		if (m->scsi.dev && vd[i] == virtio_scsi_dev(m->scsi.dev))
			ret = virtio_scsi_state_register(m->scsi.dev, g, i); /* with its targets */
		else
			ret = state_registry_add(g, &virtio_state_ops, i, vd[i]);
	}
	return ret; /* firmware boot adds fw_cfg and the debug port (mfw_build) */
}

/* the ATA drives' images (a CD-ROM's medium, when it has one), at most max */
static unsigned ata_disks(struct ata_dev *const *dev, unsigned ndev, struct disk **out, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ndev && n < max; i++) {
		struct disk *d = dev[i] ? ata_dev_disk(dev[i]) : NULL;
		if (d)
			out[n++] = d;
	}
	return n;
}

unsigned msnap_host_disks(struct machine *m, struct disk **out)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m->ndisks && n < MSNAP_MAX_DISKS; i++)
		if (m->disks[i])
			out[n++] = m->disks[i];
	n += machine_scsi_disks(&m->scsi, out + n, MSNAP_MAX_DISKS - n);
	n += ata_disks(m->ide.dev, IDE_UNITS, out + n, MSNAP_MAX_DISKS - n);
	return n + ata_disks(m->ahci.dev, AHCI_PORTS, out + n, MSNAP_MAX_DISKS - n);
}

int msnap_flush(struct machine *m, char *why, size_t whylen)
{
	struct disk *hd[MSNAP_MAX_DISKS];
	unsigned n = msnap_host_disks(m, hd);
	for (unsigned i = 0; i < n; i++) {
		int ret = disk_flush(hd[i]);
		if (ret) {
			snprintf(why, whylen, "%s: flush: %s", hd[i]->path, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int msnap_pause(struct machine *m, struct msnap_paused *p, char *why, size_t whylen)
{
	memset(p, 0, sizeof(*p));
	unsigned n = msnap_vdevs(m, p->vd);
	for (; p->nvd < n; p->nvd++) {
		int ret = virtio_dev_pause(p->vd[p->nvd]);
		if (ret) {
			snprintf(why, whylen, "a virtio device could not drain its requests: %s", strerror(-ret));
			return ret;
		}
	}
	/* their I/O threads stopped with every command finished (PRD and FIS writes done) */
	if (m->ide.ide && !ide_pause(m->ide.ide))
		p->ide = true;
	if (m->ahci.hba) {
		ahci_pause(m->ahci.hba);
		p->ahci = true;
	}
	return 0;
}

void msnap_resume(struct machine *m, struct msnap_paused *p)
{
	for (unsigned i = 0; i < p->nvd; i++)
		virtio_dev_resume(p->vd[i]); /* re-runs every queue: a kick that came meanwhile is not lost */
	if (p->ide)
		ide_resume(m->ide.ide); /* the same: the bell rings for what came meanwhile */
	if (p->ahci)
		ahci_resume(m->ahci.hba);
	memset(p, 0, sizeof(*p));
}
