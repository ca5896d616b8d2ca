/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --share HOST_DIR,tag=NAME[,ro][,transport=pci|mmio]: host directories the guest mounts with
 * `mount -t 9p -o trans=virtio NAME /mnt`, one virtio-9p device each, rebuilt in every VM
 * incarnation (a guest reset starts a new 9p session anyway). */
#ifndef KVMINI_MACHINE_SHARE_H
#define KVMINI_MACHINE_SHARE_H
#include <limits.h>
#include <stddef.h>

#include "machine_disk.h"
#include "options.h"
#include "virtio/p9.h"

struct virtio_p9;

struct share_spec {
	char dir[PATH_MAX];
	char tag[VIRTIO_9P_TAG_MAX + 1];
	int ro;
	enum vdev_transport transport;
};

struct machine_shares {
	unsigned n;
	unsigned max_fids; /* per share, from the descriptor limit */
	struct share_spec spec[OPT_MAX_DEVS + 1]; /* the --share ones, then --rootfs-share's */
	struct virtio_p9 *dev[OPT_MAX_DEVS + 1]; /* this incarnation's devices */
};

/* -EINVAL with a reason in err (without "kvmini: "). */
int share_spec_parse(const char *s, struct share_spec *out, char *err, size_t errlen);
/* Parses every --share and checks its directory; reports its own errors. -EINVAL: usage (exit 2),
 * other -errno: the directory is not there (exit 1). */
int machine_shares_open(struct machine_shares *ms, const struct run_opts *o);
/* Builds and places this incarnation's devices; reports its own errors. */
int machine_shares_add(struct machine_shares *ms, struct vdev_place *p);
void machine_shares_remove(struct machine_shares *ms);
/* 1 if some share sits on the PCI bus */
int machine_shares_want_pci(const struct machine_shares *ms);

#endif
