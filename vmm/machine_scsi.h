/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio-scsi controller of `kvmini run`: every --disk if=scsi and the --cdrom drive become
 * LUNs of SCSI targets that live for the whole run (their images stay open and locked, their unit
 * attentions and trays survive a guest reset), and one virtio-scsi device in front of them is
 * built in each VM incarnation. */
#ifndef KVMINI_MACHINE_SCSI_H
#define KVMINI_MACHINE_SCSI_H
#include "machine_disk.h"
#include "virtio/scsi.h"

#define MACHINE_SCSI_DRIVES 17 /* every --disk and the --cdrom */

/* where a drive went, for the firmware's boot order */
struct machine_scsi_drive {
	const struct disk_spec *spec; /* the --disk spec it came from (the --cdrom: a spec of its own) */
	unsigned target, lun;
	bool cdrom;
};

struct machine_scsi {
	struct scsi_target *t[VIRTIO_SCSI_TARGETS];
	struct machine_scsi_drive drive[MACHINE_SCSI_DRIVES];
	unsigned ndrives;
	unsigned nluns;
	enum vdev_transport transport; /* mmio if any drive asked for it */
	struct virtio_scsi *dev;       /* this incarnation's controller */
};

/* Opens the images of every if=scsi spec in specs[0..n) and of cdrom (a --cdrom value, or NULL),
 * and gives them LUNs: target=/lun= as asked, then the others on target 0 at the lowest free LUN.
 * Reports its own errors: -EINVAL a usage error (exit 2), other -errno the host refused (exit 1).
 * On failure what was opened is closed. */
int machine_scsi_open(struct machine_scsi *ms, const struct disk_spec *specs, unsigned n, const char *cdrom);
/* Builds this incarnation's controller (one request queue per vCPU, at most 16) if there are LUNs;
 * the targets are reset as at power-on. Reports its own errors. */
int machine_scsi_add(struct machine_scsi *ms, struct vdev_place *p, unsigned cpus);
/* Destroys this incarnation's controller (after the vCPUs stopped); the targets stay. */
void machine_scsi_remove(struct machine_scsi *ms);
/* Frees the targets, closing their images. */
void machine_scsi_close(struct machine_scsi *ms);

#endif
