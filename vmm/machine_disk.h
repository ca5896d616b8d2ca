/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --disk: the option's grammar, the images it opens (kept open across guest resets, so their locks
 * are held for the whole run), and the virtio-blk devices built on them in each VM incarnation. */
#ifndef KVMINI_MACHINE_DISK_H
#define KVMINI_MACHINE_DISK_H
#include <stddef.h>

#include "devices/disk/disk.h"
#include "virtio/virtio.h"

enum vdev_transport { VDEV_PCI, VDEV_MMIO };

enum disk_iface { DISK_IF_VIRTIO, DISK_IF_SCSI, DISK_IF_IDE, DISK_IF_SATA };
enum disk_media { DISK_MEDIA_DISK, DISK_MEDIA_CDROM };

struct disk_spec {
	char path[4096];
	struct disk_opts opts;
	enum vdev_transport transport; /* if=scsi: of the controller all such disks share */
	enum disk_iface iface;
	enum disk_media media;
	bool no_discard; /* discard=ignore: the guest is not offered UNMAP / DISCARD */
	bool empty;      /* a CD-ROM drive without a medium (--cdrom none): path is unused */
	char id[32];     /* id=: a name for the drive (QMP), "" if none */
	int target, lun; /* if=scsi: target=, lun=; -1: chosen by the machine */
	int bus, unit;   /* if=ide: bus= (channel), unit= (0 master, 1 slave); if=sata: bus= (the AHCI
			  * port); -1: chosen by the machine */
};

/* Sub-option helpers for the --disk/--net grammars (getsubopt(3) does the splitting): a copy of s
 * cut at its first comma, *opts pointing after it (NULL without one); free() it. NULL: no memory. */
char *subopts_split(const char *s, char **opts);
/* The index of v in names (NULL-terminated), or -1 (also when v is NULL). */
int subopt_value(const char *v, const char *const *names);

/* PATH[,format=raw|qcow2|auto][,readonly[=on]][,cache=writeback|none|unsafe][,transport=pci|mmio]
 *     [,if=virtio|scsi|ide|sata][,media=disk|cdrom][,discard=unmap|ignore][,id=NAME][,target=N]
 *     [,lun=M][,bus=N][,unit=M];
 * PATH may be nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH (raw only, cache ignored).
 * media=cdrom needs if=scsi, ide or sata and is read-only (PATH "none": an empty drive); target
 * (0..7) and lun (0..16383) need if=scsi, bus and unit (0..1) if=ide, bus (0..5, the AHCI port)
 * if=sata; NAME is 1..31 of [A-Za-z0-9_.-]. -EINVAL with a reason in err on bad syntax. */
int disk_spec_parse(const char *s, struct disk_spec *out, char *err, size_t errlen);
/* --cdrom FILE|none: a read-only CD-ROM, IDE secondary master as on QEMU's pc ("none": empty). */
int cdrom_spec_parse(const char *s, struct disk_spec *out, char *err, size_t errlen);
/* --hda..--hdd FILE: an IDE disk at position pos (0..3 = bus 0 unit 0, 0/1, 1/0, 1/1), format probed. */
int hd_spec_parse(const char *s, unsigned pos, struct disk_spec *out, char *err, size_t errlen);

/* Where virtio devices go: the PCI host, or the next virtio-mmio slot (whose kernel command line
 * entry is appended to cmdline). */
struct vdev_place {
	struct pci_host *pci;
	struct bus *mmio;
	struct virtio_env env;
	unsigned next_mmio;
	char *cmdline;
	size_t cmdline_len;
};

/* Plugs vd in with the chosen transport. */
int vdev_place(struct vdev_place *p, struct virtio_dev *vd, enum vdev_transport t, const char **why);

#endif
