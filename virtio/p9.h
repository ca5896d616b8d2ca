/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-9p (virtio 1.2 §5.11): one request queue carrying 9P2000.L messages (the readable part of
 * a chain is the T-message, the writable part takes the R-message) served by a devices/9p server
 * on the device's I/O thread, so file I/O never runs on a vCPU. Config space: le16 tag length,
 * then the mount tag (feature MOUNT_TAG). */
#ifndef KVMINI_VIRTIO_P9_H
#define KVMINI_VIRTIO_P9_H
#include "virtio/virtio.h"

#define VIRTIO_ID_9P 9
#define VIRTIO_9P_F_MOUNT_TAG 0
#define VIRTIO_9P_TAG_MAX 64
#define VIRTIO_9P_BUDGET 64 /* requests per queue turn */

struct virtio_p9;

/* A device sharing directory root under tag (1..VIRTIO_9P_TAG_MAX bytes); ro refuses writes.
 * -EINVAL for a bad tag, else what opening root gave (-ENOENT, -ENOTDIR, ...). */
int virtio_p9_create(struct virtio_p9 **out, const char *root, const char *tag, int ro, const char *name);
struct virtio_dev *virtio_p9_dev(struct virtio_p9 *p);
void virtio_p9_destroy(struct virtio_p9 *p);
/* p9_server_limit for the device's server */
void virtio_p9_limit_fids(struct virtio_p9 *p, unsigned max_fids);

#endif
