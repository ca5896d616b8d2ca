// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-scsi's control queue (task management and asynchronous-notification requests), its
 * config space (sense_size and cdb_size are the driver's to change) and its saved state.
 *
 * Task management: requests in flight cannot be taken back from the disk, so an abort or reset
 * first lets every request in flight finish (answered normally, before the TMF's answer, as the
 * driver's error handler expects) and then reports FUNCTION COMPLETE: the task no longer exists.
 * This blocks the I/O thread on the disk for the duration; it only happens in error recovery.
 * Asynchronous notification: a CD-ROM LUN supports the media class (its medium changes become
 * ASYNC_NOTIFY events once subscribed, see scsi_event.c), other LUNs no class; query and subscribe
 * answer OK with event_actual = what was asked and is supported. */
#include <errno.h>
#include <string.h>

#include "virtio/scsi_priv.h"
#include "vmm/le.h"
#include "vmm/state.h"

#define CTRL_TMF_LEN 24 /* le32 type, le32 subtype, lun[8], le64 id */
#define CTRL_AN_LEN 16  /* le32 type, lun[8], le32 event_requested */
#define CTRL_AN_RESP 5  /* le32 event_actual, u8 response */

static uint8_t do_tmf(struct virtio_scsi *s, const uint8_t *req)
{
	uint32_t sub = le_get32(req, 4);
	uint64_t tag = le_get64(req, 16);
	unsigned target, lun;
	struct scsi_target *t = vscsi_lun_decode(s, req + 8, &target, &lun);
	if (!t)
		return VIRTIO_SCSI_S_BAD_TARGET;
	switch (sub) {
	case VIRTIO_SCSI_T_TMF_ABORT_TASK:
	case VIRTIO_SCSI_T_TMF_ABORT_TASK_SET:
	case VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET:
	case VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET:
		if (!scsi_target_has_lun(t, lun))
			return VIRTIO_SCSI_S_INCORRECT_LUN;
		vscsi_drain(s);
		if (sub == VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET)
			scsi_lun_reset(t, lun);
		return VIRTIO_SCSI_S_FUNCTION_COMPLETE;
	case VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET:
		vscsi_drain(s);
		scsi_target_reset(t);
		return VIRTIO_SCSI_S_FUNCTION_COMPLETE;
	case VIRTIO_SCSI_T_TMF_QUERY_TASK:
	case VIRTIO_SCSI_T_TMF_QUERY_TASK_SET:
		if (!scsi_target_has_lun(t, lun))
			return VIRTIO_SCSI_S_INCORRECT_LUN;
		return vscsi_task_inflight(s, target, lun, tag, sub == VIRTIO_SCSI_T_TMF_QUERY_TASK_SET)
			       ? VIRTIO_SCSI_S_FUNCTION_SUCCEEDED
			       : VIRTIO_SCSI_S_FUNCTION_COMPLETE;
	default: /* CLEAR ACA (no ACA here) and anything unknown */
		return VIRTIO_SCSI_S_FUNCTION_REJECTED;
	}
}

/* One control request: 0 bytes used when there is no room for its answer. */
static uint32_t ctrl_one(struct virtio_scsi *s, const struct virtq_chain *c)
{
	uint8_t req[CTRL_TMF_LEN], resp[CTRL_AN_RESP] = { 0 };
	if (c->read_len < 4)
		goto bad;
	virtq_chain_read(c, 0, req, 4);
	uint32_t type = le_get32(req, 0);
	if (type == VIRTIO_SCSI_T_TMF) {
		if (c->write_len < 1)
			goto bad;
		if (c->read_len < CTRL_TMF_LEN)
			resp[0] = VIRTIO_SCSI_S_FAILURE;
		else {
			virtq_chain_read(c, 0, req, CTRL_TMF_LEN);
			resp[0] = do_tmf(s, req);
		}
		return (uint32_t)virtq_chain_write(c, 0, resp, 1);
	}
	if (type == VIRTIO_SCSI_T_AN_QUERY || type == VIRTIO_SCSI_T_AN_SUBSCRIBE) {
		if (c->write_len < CTRL_AN_RESP)
			goto bad;
		unsigned target, lun;
		if (c->read_len < CTRL_AN_LEN)
			resp[4] = VIRTIO_SCSI_S_FAILURE;
		else {
			virtq_chain_read(c, 0, req, CTRL_AN_LEN);
			if (vscsi_lun_decode(s, req + 4, &target, &lun)) {
				uint32_t actual = vscsi_an_request(s, target, lun, le_get32(req, 12),
								   type == VIRTIO_SCSI_T_AN_SUBSCRIBE);
				le_put32(resp, 0, actual);
				resp[4] = VIRTIO_SCSI_S_OK;
			} else {
				resp[4] = VIRTIO_SCSI_S_BAD_TARGET;
			}
		}
		return (uint32_t)virtq_chain_write(c, 0, resp, CTRL_AN_RESP);
	}
bad:
	vscsi_log_once(s, &s->logged_ctrl, "malformed control request");
	return 0;
}

void vscsi_handle_ctrl(struct virtio_scsi *s, struct virtq *vq)
{
	int pushed = 0;
	while (virtq_pop(vq, &s->dq.chain) > 0) {
		virtq_push(vq, s->dq.chain.head, ctrl_one(s, &s->dq.chain));
		pushed = 1;
	}
	if (pushed)
		virtq_notify(vq);
}

/* ---- config space (§5.6.4) ---- */

void vscsi_config_defaults(struct virtio_scsi *s)
{
	__atomic_store_n(&s->sense_size, VIRTIO_SCSI_SENSE_SIZE, __ATOMIC_RELAXED);
	__atomic_store_n(&s->cdb_size, VIRTIO_SCSI_CDB_SIZE, __ATOMIC_RELAXED);
}

static void config_image(struct virtio_scsi *s, uint8_t *c)
{
	memset(c, 0, VIRTIO_SCSI_CONFIG_LEN);
	le_put32(c, 0, s->nreq);
	le_put32(c, 4, s->vdev.queue_max - 2); /* seg_max: the chain minus the two headers */
	le_put32(c, 8, VIRTIO_SCSI_MAX_SECTORS);
	le_put32(c, 12, s->vdev.queue_max); /* cmd_per_lun */
	le_put32(c, 16, 16); /* event_info_size: the event struct */
	le_put32(c, 20, __atomic_load_n(&s->sense_size, __ATOMIC_RELAXED));
	le_put32(c, 24, __atomic_load_n(&s->cdb_size, __ATOMIC_RELAXED));
	le_put16(c, 28, 0); /* max_channel */
	le_put16(c, 30, VIRTIO_SCSI_TARGETS - 1);
	le_put32(c, 32, VIRTIO_SCSI_MAX_LUN);
}

void vscsi_config_read(struct virtio_dev *vd, unsigned off, void *data, unsigned size)
{
	uint8_t c[VIRTIO_SCSI_CONFIG_LEN];
	config_image(vscsi_of(vd), c);
	memcpy(data, c + off, size);
}

/* Only sense_size and cdb_size are writable; writes elsewhere are ignored. */
void vscsi_config_write(struct virtio_dev *vd, unsigned off, const void *data, unsigned size)
{
	struct virtio_scsi *s = vscsi_of(vd);
	uint8_t c[VIRTIO_SCSI_CONFIG_LEN];
	config_image(s, c);
	memcpy(c + off, data, size);
	if (off < 28 && off + size > 20) {
		__atomic_store_n(&s->sense_size, le_get32(c, 20), __ATOMIC_RELAXED);
		__atomic_store_n(&s->cdb_size, le_get32(c, 24), __ATOMIC_RELAXED);
		__atomic_store_n(&s->cfg_reset_gen, __atomic_load_n(&vd->reset_gen, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
	}
}

/* ---- saved state: sense_size, cdb_size (u32), targets present (u8 bitmap), then the events'
 * part (scsi_event.c) ---- */

static uint8_t target_map(const struct virtio_scsi *s)
{
	uint8_t m = 0;
	for (unsigned i = 0; i < VIRTIO_SCSI_TARGETS; i++)
		if (s->targets[i])
			m |= (uint8_t)(1u << i);
	return m;
}

void vscsi_state_save(struct virtio_dev *vd, struct state_writer *w)
{
	struct virtio_scsi *s = vscsi_of(vd);
	state_put_u32(w, __atomic_load_n(&s->sense_size, __ATOMIC_RELAXED));
	state_put_u32(w, __atomic_load_n(&s->cdb_size, __ATOMIC_RELAXED));
	state_put_u8(w, target_map(s));
	vscsi_events_save(s, w);
}

int vscsi_state_load(struct virtio_dev *vd, struct state_reader *r, int apply)
{
	struct virtio_scsi *s = vscsi_of(vd);
	uint32_t sense = state_get_u32(r), cdb = state_get_u32(r);
	uint8_t map = state_get_u8(r);
	if (r->err)
		return r->err;
	if (map != target_map(s))
		return -EINVAL; /* another set of targets than the command line gave */
	int e = vscsi_events_load(s, r, apply);
	if (e)
		return e;
	if (apply) {
		__atomic_store_n(&s->sense_size, sense, __ATOMIC_RELAXED);
		__atomic_store_n(&s->cdb_size, cdb, __ATOMIC_RELAXED);
		/* they were set by the driver of the saved incarnation, which is the current one now */
		__atomic_store_n(&s->cfg_reset_gen, __atomic_load_n(&vd->reset_gen, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
	}
	return 0;
}

int virtio_scsi_state_register(struct virtio_scsi *s, struct state_registry *g, uint32_t instance)
{
	int r = state_registry_add(g, &virtio_state_ops, instance, &s->vdev);
	for (unsigned i = 0; !r && i < VIRTIO_SCSI_TARGETS; i++)
		if (s->targets[i])
			r = state_registry_add(g, &scsi_target_state_ops, instance * VIRTIO_SCSI_TARGETS + i,
					       s->targets[i]);
	return r;
}
