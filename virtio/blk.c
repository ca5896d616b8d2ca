// SPDX-License-Identifier: GPL-2.0-or-later
#include "blk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/queue.h"
#include "vmm/log.h"

#define SECTOR 512ULL
#define BLK_HDR 16 /* le32 type, le32 reserved, le64 sector */
#define BLK_RANGE 16 /* discard / write-zeroes segment: le64 sector, le32 num, le32 flags */
#define RANGE_F_UNMAP 1u
#define MAX_DISCARD_SECTORS 0x3fffffu /* 2 GiB - 512 per segment */
#define DISCARD_ALIGN 8u /* sectors: 4 KiB */

struct virtio_blk {
	struct virtio_dev vdev; /* first: container of vd */
	struct disk *disk;
	uint64_t capacity; /* sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	uint8_t config[VIRTIO_BLK_CONFIG_LEN];
	/* scratch for the one request in flight: handle_queue runs under vd->lock */
	struct virtq_chain chain;
	struct iovec data[VIRTQ_MAX_SIZE];
};

static struct virtio_blk *blk_of(struct virtio_dev *vd) { return (struct virtio_blk *)vd; }

/* The [skip, skip+len) bytes of iov[0..n) as a new iovec list in out; returns its count. */
static int iov_slice(const struct iovec *iov, unsigned n, uint64_t skip, uint64_t len, struct iovec *out)
{
	int k = 0;
	for (unsigned i = 0; i < n && len; i++) {
		uint64_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		uint64_t take = l - skip < len ? l - skip : len;
		out[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
		out[k].iov_len = take;
		k++;
		len -= take;
		skip = 0;
	}
	return k;
}

/* Sector range [sector, sector + n) lies on the disk (overflow-safe). */
static int range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
	return sector <= b->capacity && n <= b->capacity - sector;
}

static uint8_t do_rw(struct virtio_blk *b, const struct virtq_chain *c, int is_write, uint64_t sector,
		     uint32_t *used)
{
	/* IN: data is the writable part minus the trailing status byte; OUT: readable after the header */
	uint64_t len = is_write ? c->read_len - BLK_HDR : c->write_len - 1;
	if (len % SECTOR || !range_ok(b, sector, len / SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (is_write && (b->disk->read_only || virtio_has_feature(&b->vdev, VIRTIO_BLK_F_RO)))
		return VIRTIO_BLK_S_IOERR; /* nothing reaches the image */
	if (!len)
		return VIRTIO_BLK_S_OK;
	int n = is_write ? iov_slice(c->iov, c->nr_read, BLK_HDR, len, b->data)
			 : iov_slice(c->iov + c->nr_read, c->nr_write, 0, len, b->data);
	int r = is_write ? disk_writev(b->disk, sector * SECTOR, b->data, n)
			 : disk_readv(b->disk, sector * SECTOR, b->data, n);
	if (r < 0)
		return VIRTIO_BLK_S_IOERR;
	if (!is_write)
		*used += (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

/* DISCARD / WRITE_ZEROES: one segment (max_*_seg = 1) of {sector, num_sectors, flags}. */
static uint8_t do_ranges(struct virtio_blk *b, const struct virtq_chain *c, uint32_t type)
{
	int zeroes = type == VIRTIO_BLK_T_WRITE_ZEROES;
	if (!virtio_has_feature(&b->vdev, zeroes ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD))
		return VIRTIO_BLK_S_UNSUPP;
	uint64_t len = c->read_len - BLK_HDR;
	if (len != BLK_RANGE) /* no segments, a partial one, or more than max_*_seg */
		return VIRTIO_BLK_S_IOERR;
	uint8_t seg[BLK_RANGE];
	uint64_t sector;
	uint32_t num, flags;
	virtq_chain_read(c, BLK_HDR, seg, sizeof(seg));
	memcpy(&sector, seg, 8);
	memcpy(&num, seg + 8, 4);
	memcpy(&flags, seg + 12, 4);
	if (flags & ~RANGE_F_UNMAP || (!zeroes && (flags & RANGE_F_UNMAP)))
		return VIRTIO_BLK_S_UNSUPP; /* §5.2.6.2: unmap is only meaningful for write zeroes */
	if (num > MAX_DISCARD_SECTORS || !range_ok(b, sector, num))
		return VIRTIO_BLK_S_IOERR;
	if (b->disk->read_only || virtio_has_feature(&b->vdev, VIRTIO_BLK_F_RO))
		return VIRTIO_BLK_S_IOERR;
	int r = zeroes ? disk_write_zeroes(b->disk, sector * SECTOR, num * SECTOR, flags & RANGE_F_UNMAP)
		       : disk_discard(b->disk, sector * SECTOR, num * SECTOR);
	if (r == -ENOTSUP || r == -EOPNOTSUPP)
		return zeroes ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK; /* discard is only a hint */
	return r < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* Serves one chain; returns the bytes written into its writable part (for the used ring). */
static uint32_t blk_request(struct virtio_blk *b, const struct virtq_chain *c)
{
	uint8_t hdr[BLK_HDR], status;
	uint32_t type, used = 0;
	uint64_t sector;

	if (!c->write_len)
		return 0; /* nowhere to put a status byte: the request cannot even fail */
	if (c->read_len < BLK_HDR) {
		status = VIRTIO_BLK_S_IOERR;
		goto done;
	}
	virtq_chain_read(c, 0, hdr, sizeof(hdr));
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		status = do_rw(b, c, type == VIRTIO_BLK_T_OUT, sector, &used);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = disk_flush(b->disk) < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint64_t n = c->write_len - 1 < VIRTIO_BLK_ID_BYTES ? c->write_len - 1 : VIRTIO_BLK_ID_BYTES;
		used = (uint32_t)virtq_chain_write(c, 0, b->serial, n);
		status = VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = do_ranges(b, c, type);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
	}
done:
	virtq_chain_write(c, c->write_len - 1, &status, 1);
	return used + 1;
}

static void blk_handle_queue(struct virtio_dev *vd, unsigned qidx)
{
	struct virtio_blk *b = blk_of(vd);
	struct virtq *vq = virtio_dev_queue(vd, qidx);
	int r;
	for (;;) {
		/* no kicks while we drain: the guest keeps queueing without exits */
		virtq_disable_notify(vq);
		while ((r = virtq_pop(vq, &b->chain)) > 0)
			virtq_push(vq, b->chain.head, blk_request(b, &b->chain));
		virtq_notify(vq);
		if (r < 0 || !virtq_enable_notify(vq))
			return;
	}
}

static void blk_config_read(struct virtio_dev *vd, unsigned off, void *data, unsigned size)
{
	memcpy(data, blk_of(vd)->config + off, size);
}

static const struct virtio_dev_ops blk_ops = {
	.config_read = blk_config_read,
	.handle_queue = blk_handle_queue,
};

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void blk_fill_config(struct virtio_blk *b, unsigned nq)
{
	uint8_t *c = b->config;
	uint16_t q = (uint16_t)nq;
	memcpy(c + 0, &b->capacity, 8);
	put32(c + 8, VIRTIO_BLK_SIZE_MAX);
	put32(c + 12, VIRTIO_BLK_SEG_MAX);
	put32(c + 20, (uint32_t)SECTOR); /* blk_size */
	memcpy(c + 34, &q, 2);
	put32(c + 36, MAX_DISCARD_SECTORS);
	put32(c + 40, 1); /* max_discard_seg */
	put32(c + 44, DISCARD_ALIGN);
	put32(c + 48, MAX_DISCARD_SECTORS); /* max_write_zeroes_sectors */
	put32(c + 52, 1); /* max_write_zeroes_seg */
	c[56] = 1; /* write_zeroes_may_unmap */
}

int virtio_blk_create(struct virtio_blk **out, struct disk *disk, const struct virtio_blk_opts *o)
{
	unsigned nq = o && o->num_queues ? o->num_queues : 1;
	uint16_t qs = o && o->queue_size ? o->queue_size : 256;
	if (!disk || nq > VIRTIO_MAX_QUEUES || (qs & (qs - 1)) || qs > VIRTQ_MAX_SIZE)
		return -EINVAL;
	struct virtio_blk *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->disk = disk;
	b->capacity = disk->size / SECTOR;
	/* serial: up to 20 bytes, NUL-padded (no terminator when all 20 are used) */
	const char *serial = o && o->serial ? o->serial : "kvmini";
	size_t sl = strlen(serial);
	memcpy(b->serial, serial, sl < VIRTIO_BLK_ID_BYTES ? sl : VIRTIO_BLK_ID_BYTES);
	blk_fill_config(b, nq);

	struct virtio_dev *vd = &b->vdev;
	vd->ops = &blk_ops;
	vd->name = o && o->name ? o->name : "virtio-blk";
	vd->device_id = VIRTIO_ID_BLOCK;
	vd->pci_class = 0x010000; /* storage (SCSI subclass), as virtio-blk has always reported */
	vd->features = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		       (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH);
	if (disk->read_only)
		vd->features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		vd->features |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	if (nq > 1)
		vd->features |= 1ULL << VIRTIO_BLK_F_MQ;
	vd->num_queues = nq;
	vd->queue_max = qs;
	vd->config_len = VIRTIO_BLK_CONFIG_LEN;
	vd->priv = b;
	*out = b;
	return 0;
}

struct virtio_dev *virtio_blk_dev(struct virtio_blk *b)
{
	return &b->vdev;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	virtio_dev_destroy(&b->vdev);
	free(b);
}
