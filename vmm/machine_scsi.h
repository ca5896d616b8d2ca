/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio-scsi controller of `kvmini run`: every --disk if=scsi and the --cdrom drive become
 * LUNs of SCSI targets that live for the whole run (their images stay open and locked, their unit
 * attentions and trays survive a guest reset), and one virtio-scsi device in front of them is
 * built in each VM incarnation. */
#ifndef KVMINI_MACHINE_SCSI_H
#define KVMINI_MACHINE_SCSI_H
#include "machine_disk.h"
#include "virtio/scsi.h"

#define MSCSI_MAX_DRIVES 17 /* every --disk and --cdrom */

/* One drive and its medium, as QMP's query-block and medium changes see it. */
struct mscsi_drive {
	const struct disk_spec *spec; /* its command-line spec (id=, media=) */
	unsigned target, lun;
	char *file;                   /* the medium's image, NULL when empty */
	struct disk_opts opts;        /* how it was opened */
	char format[8];               /* of the medium: "raw", "qcow2" */
	uint64_t size;                /* its virtual size in bytes */
};

struct machine_scsi {
	struct scsi_target *t[VIRTIO_SCSI_TARGETS];
	struct mscsi_drive drv[MSCSI_MAX_DRIVES];
	unsigned ndrv;
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
/* The images of every LUN with a medium, at most max into out (in target, LUN order): their
 * number. The targets keep them. */
unsigned machine_scsi_disks(struct machine_scsi *ms, struct disk **out, unsigned max);
/* Host-side medium changes on a CD-ROM drive (QMP; main loop): the target's tray and medium
 * change, the guest gets the unit attention and the controller's events. -EPERM locked by the
 * guest and !force (the guest was asked to let go), -ENOTTY not a CD-ROM, -EBUSY requests in flight
 * stayed in flight (a few ms are waited for), -EEXIST insert with a medium present; change: the
 * new image's disk_open error with why set. */
int machine_scsi_tray(struct machine_scsi *ms, struct mscsi_drive *d, bool open, bool force);
int machine_scsi_eject(struct machine_scsi *ms, struct mscsi_drive *d, bool force);
int machine_scsi_change(struct machine_scsi *ms, struct mscsi_drive *d, const char *path, const struct disk_opts *o,
			bool force, const char **why);
/* Frees the targets, closing their images. */
void machine_scsi_close(struct machine_scsi *ms);

#endif
