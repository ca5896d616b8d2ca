// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk's request path: chains popped per kick become disk_aio requests with a context each
 * (up to the queue size in flight per queue), submitted as one batch and answered in completion
 * order, with one interrupt per batch of completions (EVENT_IDX decides whether it is needed). */
#include "blk.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "devices/disk/aio.h"
#include "devices/iov.h"
#include "virtio/disk_queue.h"
#include "virtio/queue.h"
#include "vmm/le.h"
#include "vmm/state.h"

#define SECTOR 512ULL
#define BLK_HDR 16 /* le32 type, le32 reserved, le64 sector */
#define BLK_RANGE 16 /* discard / write-zeroes segment: le64 sector, le32 num, le32 flags */
#define RANGE_F_UNMAP 1u
#define MAX_DISCARD_SECTORS 0x3fffffu /* 2 GiB - 512 per segment */
#define DISCARD_ALIGN 8u /* sectors: 4 KiB */
#define REQ_IOV (VIRTIO_BLK_SEG_MAX + 2) /* data segments kept inline; longer chains allocate */

struct virtio_blk;
struct blk_queue;

/* One request in flight: what the used ring needs once the disk is done. */
struct blk_req {
	struct disk_req dr;
	struct blk_queue *q;
	uint32_t type;
	uint16_t head;
	uint32_t used; /* bytes the device wrote into the chain, status byte included */
	uint8_t *status; /* the chain's last writable byte (host view, checked by virtq_pop) */
	uint32_t gen; /* the queue's live_gen when popped: a later incarnation never sees it */
	struct iovec *iov; /* inline, or allocated for chains longer than REQ_IOV */
	struct iovec inline_iov[REQ_IOV];
	struct blk_req *next_free;
};

struct blk_queue {
	struct virtio_blk *b;
	struct vdq dq;
	struct blk_req *reqs; /* queue_max contexts */
	struct blk_req *free;
};

struct virtio_blk {
	struct virtio_dev vdev; /* first: container of vd */
	struct disk *disk;
	uint64_t capacity; /* sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	uint8_t config[VIRTIO_BLK_CONFIG_LEN];
	unsigned nq;
	struct blk_queue *q;
	struct vdq_dev dq; /* the request loop, the disk_aio, the pop scratch */
};

static struct virtio_blk *blk_of(struct virtio_dev *vd) { return (struct virtio_blk *)vd; }

/* Sector range [sector, sector + n) lies on the disk (overflow-safe). */
static int range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
	return sector <= b->capacity && n <= b->capacity - sector;
}

static int writes_refused(const struct virtio_blk *b)
{
	return b->disk->read_only || virtio_has_feature(&b->vdev, VIRTIO_BLK_F_RO);
}

/* Answers r and gives its context back; the used entry goes only to the ring it came from. */
static void req_finish(struct blk_req *r, uint8_t status)
{
	struct blk_queue *q = r->q;
	struct virtio_dev *vd = &q->b->vdev;
	struct virtq *vq = virtio_dev_queue(vd, q->dq.idx);
	if (virtq_ready(vq) && vq->live_gen == r->gen && !virtio_dev_reset_pending(vd)) {
		*r->status = status;
		if (virtq_push(vq, r->head, r->used) == 0) /* refused if the driver reset the ring meanwhile */
			q->dq.pushed = 1;
	}
	if (r->iov != r->inline_iov)
		free(r->iov);
	r->iov = r->inline_iov;
	r->next_free = q->free;
	q->free = r;
	q->dq.inflight--;
}

/* The disk layer is done with r (possibly inside disk_aio_submit). */
static void req_done(struct disk_req *dr, int ret)
{
	struct blk_req *r = dr->opaque;
	uint8_t st = ret < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	if ((ret == -ENOTSUP || ret == -EOPNOTSUPP) && r->type == VIRTIO_BLK_T_DISCARD)
		st = VIRTIO_BLK_S_OK; /* discard is only a hint */
	if (st == VIRTIO_BLK_S_OK && r->type == VIRTIO_BLK_T_IN)
		r->used += (uint32_t)dr->len;
	req_finish(r, st);
}

/* Data of an IN/OUT into r->iov; returns a status if the request fails before the disk. */
static int prep_rw(struct virtio_blk *b, struct blk_req *r, const struct virtq_chain *c, uint64_t sector)
{
	int is_write = r->type == VIRTIO_BLK_T_OUT;
	/* IN: data is the writable part minus the trailing status byte; OUT: readable after the header */
	uint64_t len = is_write ? c->read_len - BLK_HDR : c->write_len - 1;
	if (len % SECTOR || !range_ok(b, sector, len / SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (is_write && writes_refused(b))
		return VIRTIO_BLK_S_IOERR; /* nothing reaches the image */
	unsigned segs = is_write ? c->nr_read : c->nr_write;
	if (segs > REQ_IOV && !(r->iov = malloc(segs * sizeof(*r->iov)))) {
		r->iov = r->inline_iov;
		return VIRTIO_BLK_S_IOERR;
	}
	r->dr.op = is_write ? DISK_OP_WRITE : DISK_OP_READ;
	r->dr.niov = is_write ? iov_slice(c->iov, (int)c->nr_read, BLK_HDR, len, r->iov)
			      : iov_slice(c->iov + c->nr_read, (int)c->nr_write, 0, len, r->iov);
	r->dr.iov = r->iov;
	r->dr.off = sector * SECTOR;
	r->dr.len = len;
	return -1;
}

/* DISCARD / WRITE_ZEROES: one segment (max_*_seg = 1) of {sector, num_sectors, flags}. */
static int prep_ranges(struct virtio_blk *b, struct blk_req *r, const struct virtq_chain *c)
{
	int zeroes = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	if (!virtio_has_feature(&b->vdev, zeroes ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD))
		return VIRTIO_BLK_S_UNSUPP;
	if (c->read_len - BLK_HDR != BLK_RANGE) /* no segments, a partial one, or more than max_*_seg */
		return VIRTIO_BLK_S_IOERR;
	uint8_t seg[BLK_RANGE];
	uint64_t sector;
	uint32_t num, flags;
	virtq_chain_read(c, BLK_HDR, seg, sizeof(seg));
	sector = le_get64(seg, 0);
	num = le_get32(seg, 8);
	flags = le_get32(seg, 12);
	if (flags & ~RANGE_F_UNMAP || (!zeroes && (flags & RANGE_F_UNMAP)))
		return VIRTIO_BLK_S_UNSUPP; /* §5.2.6.2: unmap is only meaningful for write zeroes */
	if (num > MAX_DISCARD_SECTORS || !range_ok(b, sector, num))
		return VIRTIO_BLK_S_IOERR;
	if (writes_refused(b))
		return VIRTIO_BLK_S_IOERR;
	r->dr.op = zeroes ? DISK_OP_WRITE_ZEROES : DISK_OP_DISCARD;
	r->dr.off = sector * SECTOR;
	r->dr.len = (uint64_t)num * SECTOR;
	r->dr.may_unmap = flags & RANGE_F_UNMAP;
	return -1;
}

/* Starts the request in chain c: answered now (bad request, GET_ID), or handed to the disk. */
static void req_start(struct virtio_blk *b, struct blk_queue *q, struct virtq *vq, const struct virtq_chain *c)
{
	uint8_t hdr[BLK_HDR];
	uint64_t sector;
	int st;
	if (!c->write_len) {
		virtq_push(vq, c->head, 0); /* nowhere to put a status byte: the request cannot even fail */
		q->dq.pushed = 1;
		return;
	}
	struct blk_req *r = q->free;
	q->free = r->next_free;
	q->dq.inflight++;
	const struct iovec *last = &c->iov[c->nr_read + c->nr_write - 1];
	r->head = c->head;
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	r->used = 1;
	r->gen = vq->live_gen;
	r->type = UINT32_MAX;
	memset(&r->dr, 0, sizeof(r->dr));
	r->dr.done = req_done;
	r->dr.opaque = r;
	if (c->read_len < BLK_HDR) {
		req_finish(r, VIRTIO_BLK_S_IOERR);
		return;
	}
	virtq_chain_read(c, 0, hdr, sizeof(hdr));
	r->type = le_get32(hdr, 0);
	sector = le_get64(hdr, 8);
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		st = prep_rw(b, r, c, sector);
		if (st < 0 && !r->dr.len)
			st = VIRTIO_BLK_S_OK; /* nothing to move */
		break;
	case VIRTIO_BLK_T_FLUSH:
		r->dr.op = DISK_OP_FLUSH; /* the disk layer orders it after the writes before it */
		st = -1;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint64_t n = c->write_len - 1 < VIRTIO_BLK_ID_BYTES ? c->write_len - 1 : VIRTIO_BLK_ID_BYTES;
		r->used += (uint32_t)virtq_chain_write(c, 0, b->serial, n);
		st = VIRTIO_BLK_S_OK;
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = prep_ranges(b, r, c);
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
	}
	if (st >= 0)
		req_finish(r, (uint8_t)st);
	else
		disk_aio_submit(b->dq.aio, b->disk, &r->dr); /* done may run before this returns */
}

static struct blk_queue *bq_of(struct vdq *q) { return (struct blk_queue *)((char *)q - offsetof(struct blk_queue, dq)); }

static bool blk_room(struct vdq *q) { return bq_of(q)->free != NULL; }

static void blk_start(struct vdq_dev *d, struct vdq *q, struct virtq *vq, const struct virtq_chain *c)
{
	req_start(bq_of(q)->b, bq_of(q), vq, c);
}

static struct vdq *blk_queue_of(struct vdq_dev *d, unsigned i)
{
	return &((struct virtio_blk *)d->vd)->q[i].dq;
}

static const struct vdq_ops blk_vdq_ops = { .room = blk_room, .start = blk_start, .queue = blk_queue_of };

static void blk_handle_queue(struct virtio_dev *vd, unsigned qidx) { vdq_run(&blk_of(vd)->dq, &blk_of(vd)->q[qidx].dq); }

static int blk_activate(struct virtio_dev *vd)
{
	return vdq_activate(&blk_of(vd)->dq, (unsigned)blk_of(vd)->nq * vd->queue_max);
}

/* Reset or a queue taken down: wait for what is in flight; the answers go nowhere. */
static void blk_reset(struct virtio_dev *vd) { vdq_reset(&blk_of(vd)->dq); }

static void blk_queue_stop(struct virtio_dev *vd, unsigned qidx) { blk_reset(vd); }

/* Saved state (paused): every request answered first. Payload: capacity (u64), which must be
 * what this disk has: a guest that finds its disk resized under it would be lied to. */
static int blk_quiesce(struct virtio_dev *vd) { return vdq_quiesce(&blk_of(vd)->dq); }

static void blk_state_save(struct virtio_dev *vd, struct state_writer *w) { state_put_u64(w, blk_of(vd)->capacity); }

static int blk_state_load(struct virtio_dev *vd, struct state_reader *r, int apply)
{
	uint64_t cap = state_get_u64(r);
	if (r->err)
		return r->err;
	return cap == blk_of(vd)->capacity ? 0 : -EINVAL;
}

static void blk_config_read(struct virtio_dev *vd, unsigned off, void *data, unsigned size)
{
	memcpy(data, blk_of(vd)->config + off, size);
}

static const struct virtio_dev_ops blk_ops = {
	.config_read = blk_config_read,
	.handle_queue = blk_handle_queue,
	.reset = blk_reset,
	.queue_stop = blk_queue_stop,
	.activate = blk_activate,
	.quiesce = blk_quiesce,
	.state_save = blk_state_save,
	.state_load = blk_state_load,
};

static void blk_fill_config(struct virtio_blk *b, unsigned nq)
{
	uint8_t *c = b->config;
	uint16_t q = (uint16_t)nq;
	le_put64(c, 0, b->capacity);
	le_put32(c, 8, VIRTIO_BLK_SIZE_MAX);
	le_put32(c, 12, VIRTIO_BLK_SEG_MAX);
	le_put32(c, 20, (uint32_t)SECTOR); /* blk_size */
	le_put16(c, 34, q);
	le_put32(c, 36, MAX_DISCARD_SECTORS);
	le_put32(c, 40, 1); /* max_discard_seg */
	le_put32(c, 44, DISCARD_ALIGN);
	le_put32(c, 48, MAX_DISCARD_SECTORS); /* max_write_zeroes_sectors */
	le_put32(c, 52, 1); /* max_write_zeroes_seg */
	c[56] = 1; /* write_zeroes_may_unmap */
}

static void free_queues(struct virtio_blk *b)
{
	for (unsigned i = 0; i < b->nq; i++)
		free(b->q[i].reqs);
	free(b->q);
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
	b->dq = (struct vdq_dev){ .vd = &b->vdev, .ops = &blk_vdq_ops, .nq = nq,
				  .budget = o && o->budget ? o->budget : VIRTIO_BLK_BUDGET };
	b->nq = nq;
	b->q = calloc(nq, sizeof(*b->q));
	if (!b->q) {
		free(b);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nq; i++) {
		struct blk_queue *q = &b->q[i];
		q->b = b;
		q->dq.idx = i;
		q->reqs = calloc(qs, sizeof(*q->reqs));
		if (!q->reqs) {
			free_queues(b);
			free(b);
			return -ENOMEM;
		}
		for (unsigned k = qs; k-- > 0;) {
			q->reqs[k].q = q;
			q->reqs[k].iov = q->reqs[k].inline_iov;
			q->reqs[k].next_free = q->free;
			q->free = &q->reqs[k];
		}
	}

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
		vd->features |= (o && o->no_discard ? 0 : 1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
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
	virtio_dev_destroy(&b->vdev); /* its reset drained every request in flight */
	disk_aio_destroy(b->dq.aio);
	free_queues(b);
	free(b);
}
