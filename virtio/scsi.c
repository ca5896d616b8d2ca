// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-scsi's request queues and lifecycle: chains popped per kick are validated (headers,
 * LUN field, data direction), become SCSI target requests with a context each (up to the queue size
 * in flight per queue), are submitted as one batch and answered in completion order, with one
 * interrupt per batch. */
#include "scsi_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iov.h"
#include "vmm/le.h"
#include "vmm/log.h"
#include "vmm/state.h"

void vscsi_log_once(struct virtio_scsi *s, bool *flag, const char *what)
{
	if (!*flag) {
		*flag = true;
		kv_log("%s: %s (logged once)", s->vdev.name, what);
	}
}

struct scsi_target *vscsi_lun_decode(struct virtio_scsi *s, const uint8_t lun[8], unsigned *target, unsigned *lunno)
{
	/* single-level LUN: peripheral (byte 2 = 0) or flat space (byte 2 = 0x40 | high bits) */
	if (lun[0] != 1 || lun[1] >= VIRTIO_SCSI_TARGETS || (lun[2] && (lun[2] & 0xc0) != 0x40))
		return NULL;
	*target = lun[1];
	*lunno = ((unsigned)(lun[2] & 0x3f) << 8) | lun[3];
	return s->targets[lun[1]];
}

/* Writes r's response header and gives r back; the used entry goes only to the ring it came from. */
static void req_finish(struct vscsi_req *r, uint8_t response, uint8_t status, const uint8_t *sense,
		       unsigned sense_len, uint64_t residual, uint64_t din_xfer)
{
	struct vscsi_queue *q = r->q;
	struct virtio_dev *vd = &q->s->vdev;
	struct virtq *vq = virtio_dev_queue(vd, q->dq.idx);
	if (virtq_ready(vq) && vq->live_gen == r->gen && !virtio_dev_reset_pending(vd)) {
		uint64_t room = r->resp_len - 12;
		if (sense_len > room)
			sense_len = (unsigned)room;
		uint8_t h[12 + SCSI_SENSE_LEN];
		le_put32(h, 0, sense_len);
		le_put32(h, 4, residual > UINT32_MAX ? UINT32_MAX : (uint32_t)residual);
		le_put16(h, 8, 0); /* status_qualifier */
		h[10] = status;
		h[11] = response;
		if (sense_len)
			memcpy(h + 12, sense, sense_len);
		iov_from_buf(r->iov, r->nresp, 0, h, 12 + sense_len);
		/* the rest of the sense area, up to what any sense could use (a driver may set sense_size
		 * to gigabytes: clearing all of it would only stall this thread) */
		uint64_t rest = r->resp_len - 12 - sense_len;
		iov_zero(r->iov, r->nresp, 12 + sense_len, rest < 256 ? rest : 256);
		uint64_t used = r->resp_len + din_xfer;
		if (virtq_push(vq, r->head, used > UINT32_MAX ? UINT32_MAX : (uint32_t)used) == 0)
			q->dq.pushed = 1;
	}
	if (r->iov != r->inline_iov)
		free(r->iov);
	r->iov = r->inline_iov;
	r->busy = false;
	r->next_free = q->free;
	q->free = r;
	q->dq.inflight--;
}

static void req_fail(struct vscsi_req *r, uint8_t response)
{
	req_finish(r, response, SCSI_STATUS_GOOD, NULL, 0, r->data_len, 0);
}

/* The target is done with the request (possibly inside scsi_submit). */
static void req_done(struct scsi_req *sr)
{
	struct vscsi_req *r = sr->opaque;
	uint8_t resp = sr->response == SCSI_RESP_OVERRUN ? VIRTIO_SCSI_S_OVERRUN : VIRTIO_SCSI_S_OK;
	req_finish(r, resp, sr->status, sr->sense, sr->sense_len, sr->residual, sr->data_in_xfer);
}

/* Starts the request in chain c: answered now (malformed, bad target), or handed to its target. */
static void req_start(struct virtio_scsi *s, struct vscsi_queue *q, struct virtq *vq, const struct virtq_chain *c)
{
	uint64_t cdb_size = __atomic_load_n(&s->cdb_size, __ATOMIC_RELAXED);
	uint64_t req_len = VIRTIO_SCSI_REQ_HDR(cdb_size);
	uint64_t resp_len = VIRTIO_SCSI_RESP_HDR((uint64_t)__atomic_load_n(&s->sense_size, __ATOMIC_RELAXED));
	if (c->write_len < resp_len) {
		/* nowhere to say anything: the chain goes back untouched */
		vscsi_log_once(s, &s->logged_short, "request chain too short for the response header");
		virtq_push(vq, c->head, 0);
		q->dq.pushed = 1;
		return;
	}
	unsigned need = 2 * c->nr_write + c->nr_read;
	struct iovec *iov = NULL;
	if (need > VSCSI_REQ_IOV && !(iov = malloc(need * sizeof(*iov)))) {
		vscsi_log_once(s, &s->logged_short, "out of memory for a request's buffers");
		virtq_push(vq, c->head, 0);
		q->dq.pushed = 1;
		return;
	}
	struct vscsi_req *r = q->free;
	q->free = r->next_free;
	q->dq.inflight++;
	r->busy = true;
	if (iov)
		r->iov = iov;
	r->head = c->head;
	r->gen = vq->live_gen;
	r->resp_len = resp_len;
	r->tag = 0;
	r->target = VIRTIO_SCSI_TARGETS;
	uint64_t din_len = c->write_len - resp_len;
	uint64_t dout_len = c->read_len >= req_len ? c->read_len - req_len : 0;
	r->data_len = din_len + dout_len;
	r->nresp = iov_slice(c->iov + c->nr_read, (int)c->nr_write, 0, resp_len, r->iov);
	if (c->read_len < req_len) {
		vscsi_log_once(s, &s->logged_hdr, "request header shorter than 19 bytes + cdb_size");
		req_fail(r, VIRTIO_SCSI_S_FAILURE);
		return;
	}
	uint8_t h[19];
	virtq_chain_read(c, 0, h, sizeof(h));
	r->tag = le_get64(h, 8);
	unsigned lun;
	struct scsi_target *t = vscsi_lun_decode(s, h, &r->target, &lun);
	if (!t) {
		r->target = VIRTIO_SCSI_TARGETS;
		req_fail(r, VIRTIO_SCSI_S_BAD_TARGET);
		return;
	}
	if (din_len && dout_len) { /* bidirectional: VIRTIO_SCSI_F_INOUT is not offered */
		req_fail(r, VIRTIO_SCSI_S_FAILURE);
		return;
	}
	struct scsi_req *sr = &r->sr;
	memset(sr, 0, sizeof(*sr));
	sr->cdb_len = cdb_size < SCSI_CDB_MAX ? (unsigned)cdb_size : SCSI_CDB_MAX;
	virtq_chain_read(c, 19, sr->cdb, sr->cdb_len);
	sr->lun = lun;
	struct iovec *din = r->iov + r->nresp;
	sr->din = din;
	sr->ndin = din_len ? iov_slice(c->iov + c->nr_read, (int)c->nr_write, resp_len, din_len, din) : 0;
	sr->dout = din + sr->ndin;
	sr->ndout = dout_len ? iov_slice(c->iov, (int)c->nr_read, req_len, dout_len, din + sr->ndin) : 0;
	sr->done = req_done;
	sr->opaque = r;
	scsi_submit(t, s->dq.aio, sr); /* done may run before this returns */
}

bool vscsi_task_inflight(struct virtio_scsi *s, unsigned target, unsigned lun, uint64_t tag, bool any_tag)
{
	for (unsigned i = 0; i < s->nreq; i++) {
		struct vscsi_queue *q = &s->q[i];
		for (unsigned k = 0; q->dq.inflight && k < s->vdev.queue_max; k++) {
			const struct vscsi_req *r = &q->reqs[k];
			if (r->busy && r->target == target && r->sr.lun == lun && (any_tag || r->tag == tag))
				return true;
		}
	}
	return false;
}

void vscsi_drain(struct virtio_scsi *s) { vdq_drain(&s->dq); }

static bool vscsi_room(struct vdq *q) { return ((struct vscsi_queue *)q)->free != NULL; }

static void vscsi_start(struct vdq_dev *d, struct vdq *q, struct virtq *vq, const struct virtq_chain *c)
{
	req_start((struct virtio_scsi *)d->vd, (struct vscsi_queue *)q, vq, c);
}

static struct vdq *vscsi_queue_of(struct vdq_dev *d, unsigned i) { return &((struct virtio_scsi *)d->vd)->q[i].dq; }

static const struct vdq_ops vscsi_vdq_ops = { .room = vscsi_room, .start = vscsi_start, .queue = vscsi_queue_of };

static void vscsi_handle_queue(struct virtio_dev *vd, unsigned qidx)
{
	struct virtio_scsi *s = vscsi_of(vd);
	if (!s->dq.aio)
		return; /* activation failed: the device NEEDS_RESET */
	if (qidx == VSCSI_CTRLQ)
		vscsi_handle_ctrl(s, virtio_dev_queue(vd, qidx));
	else if (qidx >= VSCSI_REQQ)
		vdq_run(&s->dq, &s->q[qidx - VSCSI_REQQ].dq);
	else
		vscsi_handle_events(s, virtio_dev_queue(vd, qidx)); /* buffers wait for events */
}

static int vscsi_activate(struct virtio_dev *vd)
{
	struct virtio_scsi *s = vscsi_of(vd);
	return vdq_activate(&s->dq, s->nreq * vd->queue_max);
}

/* Reset: wait for what is in flight (the answers go nowhere); sense_size and cdb_size go back to
 * their defaults unless the driver already set them again after this reset (§5.6.4). */
static void vscsi_reset(struct virtio_dev *vd)
{
	struct virtio_scsi *s = vscsi_of(vd);
	vdq_reset(&s->dq);
	vscsi_events_reset(s);
	if (__atomic_load_n(&s->cfg_reset_gen, __ATOMIC_ACQUIRE) != __atomic_load_n(&vd->reset_gen, __ATOMIC_ACQUIRE))
		vscsi_config_defaults(s);
}

static void vscsi_queue_stop(struct virtio_dev *vd, unsigned qidx) { vdq_reset(&vscsi_of(vd)->dq); }

/* Saved state (paused): every request answered first. */
static int vscsi_quiesce(struct virtio_dev *vd) { return vdq_quiesce(&vscsi_of(vd)->dq); }

static const struct virtio_dev_ops vscsi_ops = {
	.config_read = vscsi_config_read,
	.config_write = vscsi_config_write,
	.handle_queue = vscsi_handle_queue,
	.reset = vscsi_reset,
	.queue_stop = vscsi_queue_stop,
	.activate = vscsi_activate,
	.quiesce = vscsi_quiesce,
	.state_save = vscsi_state_save,
	.state_load = vscsi_state_load,
};

static void free_queues(struct virtio_scsi *s)
{
	for (unsigned i = 0; i < s->nreq; i++)
		free(s->q[i].reqs);
	free(s->q);
}

int virtio_scsi_create(struct virtio_scsi **out, struct scsi_target *const targets[VIRTIO_SCSI_TARGETS],
		       const struct virtio_scsi_opts *o)
{
	unsigned nreq = o && o->num_queues ? o->num_queues : 1;
	uint16_t qs = o && o->queue_size ? o->queue_size : 256;
	if (nreq > VIRTIO_SCSI_MAX_REQ_QUEUES || (qs & (qs - 1)) || qs > VIRTQ_MAX_SIZE)
		return -EINVAL;
	struct virtio_scsi *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (unsigned i = 0; i < VIRTIO_SCSI_TARGETS; i++)
		s->targets[i] = targets ? targets[i] : NULL;
	vscsi_config_defaults(s);
	pthread_mutex_init(&s->ev_lock, NULL);
	s->dq = (struct vdq_dev){ .vd = &s->vdev, .ops = &vscsi_vdq_ops, .nq = nreq,
				  .budget = o && o->budget ? o->budget : VIRTIO_SCSI_BUDGET };
	s->nreq = nreq;
	if (!(s->q = calloc(nreq, sizeof(*s->q)))) {
		pthread_mutex_destroy(&s->ev_lock);
		free(s);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nreq; i++) {
		struct vscsi_queue *q = &s->q[i];
		q->s = s;
		q->dq.idx = VSCSI_REQQ + i;
		if (!(q->reqs = calloc(qs, sizeof(*q->reqs)))) {
			free_queues(s);
			pthread_mutex_destroy(&s->ev_lock);
			free(s);
			return -ENOMEM;
		}
		for (unsigned k = qs; k-- > 0;) {
			q->reqs[k].q = q;
			q->reqs[k].iov = q->reqs[k].inline_iov;
			q->reqs[k].next_free = q->free;
			q->free = &q->reqs[k];
		}
	}
	struct virtio_dev *vd = &s->vdev;
	vd->ops = &vscsi_ops;
	vd->name = o && o->name ? o->name : "virtio-scsi";
	vd->device_id = VIRTIO_ID_SCSI;
	vd->pci_class = 0x010000; /* mass storage, SCSI */
	vd->features = 1ull << VIRTIO_SCSI_F_CHANGE; /* parameter-change events (medium change) */
	vd->num_queues = VSCSI_REQQ + nreq;
	vd->queue_max = qs;
	vd->config_len = VIRTIO_SCSI_CONFIG_LEN;
	vd->priv = s;
	*out = s;
	return 0;
}

struct virtio_dev *virtio_scsi_dev(struct virtio_scsi *s) { return &s->vdev; }

void virtio_scsi_destroy(struct virtio_scsi *s)
{
	if (!s)
		return;
	virtio_dev_destroy(&s->vdev); /* its reset drained every request in flight */
	disk_aio_destroy(s->dq.aio);
	free_queues(s);
	pthread_mutex_destroy(&s->ev_lock);
	free(s);
}
