/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --rootfs-share DIR[,rw]: DIR as the guest's `/`. kvmini shares DIR with the tag kvmini-root
 * (read-only unless rw) and hands the guest an in-memory initramfs whose /init
 * (firmware/rootfs/init.c) mounts it under a tmpfs overlay and switches root to it. */
#ifndef KVMINI_ROOTFS_H
#define KVMINI_ROOTFS_H
#include <stddef.h>
#include <stdint.h>

#define ROOTFS_TAG "kvmini-root"

struct rootfs_spec {
	char dir[4096];
	int rw; /* writes go to DIR instead of the guest's tmpfs */
};

/* DIR[,rw]: -EINVAL with a reason in err (without "kvmini: ") */
int rootfs_spec_parse(const char *s, struct rootfs_spec *out, char *err, size_t errlen);
/* The initramfs (a newc cpio in a malloc'd buffer): /init, /kvmini-rootfs (the mode), the mount
 * points and /dev/console. 0 or -ENOMEM. */
int rootfs_initramfs(int rw, uint8_t **buf, size_t *len);

#endif
