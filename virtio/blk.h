/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-blk (virtio 1.2 §5.2) over a `struct disk`: IN/OUT/FLUSH/GET_ID/DISCARD/WRITE_ZEROES, each
 * request validated and answered with a status byte. Requests go to the disk through disk_aio from
 * the device's I/O thread, up to the queue size in flight per queue, and are answered as they
 * complete (out of order). A queue serves at most `budget` chains per turn, then requeues itself. */
#ifndef KVMINI_VIRTIO_BLK_H
#define KVMINI_VIRTIO_BLK_H
#include <stdbool.h>
#include <stdint.h>

#include "devices/disk/disk.h"
#include "virtio/virtio.h"

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_SEG_MAX 126 /* + header + status = 128 descriptors */
#define VIRTIO_BLK_SIZE_MAX (1u << 20)
#define VIRTIO_BLK_CONFIG_LEN 60
#define VIRTIO_BLK_BUDGET 128

struct virtio_blk_opts {
	const char *serial; /* GET_ID answer (up to 20 bytes); NULL: "kvmini" */
	unsigned num_queues; /* 0 or 1: single queue; more offers VIRTIO_BLK_F_MQ */
	uint16_t queue_size; /* 0: 256 */
	const char *name; /* for logs; NULL: "virtio-blk" */
	unsigned budget; /* chains per queue turn; 0: VIRTIO_BLK_BUDGET */
	bool no_discard; /* discard=ignore: DISCARD not offered (WRITE_ZEROES still is) */
};

struct virtio_blk;

/* The disk stays the caller's: destroy does not close it. Then pass virtio_blk_dev() to
 * virtio_pci_create or virtio_mmio_create. */
int virtio_blk_create(struct virtio_blk **out, struct disk *disk, const struct virtio_blk_opts *o);
struct virtio_dev *virtio_blk_dev(struct virtio_blk *b);
/* virtio_dev_destroy (I/O thread, transport) and frees the device. */
void virtio_blk_destroy(struct virtio_blk *b);

#endif
