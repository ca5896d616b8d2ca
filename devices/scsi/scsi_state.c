// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved state of the SCSI target and its LUNs (vmm/state.h). What a guest can observe survives:
 * pending unit attentions, sense kept for REQUEST SENSE, tray and lock, the write-cache bit and
 * the media event not yet reported. The configuration (LUN numbers, types, whether a medium is
 * in) comes from the command line on both sides and is only checked.
 *
 * LUN payload, version 1: u8 type, u8 medium present, u8 unit attentions (UA_* bits), bool sense
 * kept, 18 bytes sense (zeros unless kept), bool tray open, bool locked, bool write cache, u8 media event (MEV_*).
 * Target payload, version 1: u32 LUN count, then per LUN (ascending) u32 number + LUN payload. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/scsi/scsi_int.h"
#include "vmm/state.h"

struct lun_state {
	unsigned ua;
	bool sense_valid, tray_open, locked, wce;
	uint8_t sense[SCSI_SENSE_LEN];
	uint8_t media_event;
};

static void put_lun(const struct scsi_lun *l, struct state_writer *w)
{
	state_put_u8(w, (uint8_t)l->type);
	state_put_u8(w, l->disk != NULL);
	state_put_u8(w, (uint8_t)l->ua);
	static const uint8_t none[SCSI_SENSE_LEN];
	state_put_u8(w, l->sense_valid);
	state_put_bytes(w, l->sense_valid ? l->sense : none, SCSI_SENSE_LEN);
	state_put_u8(w, l->tray_open);
	state_put_u8(w, l->locked);
	state_put_u8(w, l->wce);
	state_put_u8(w, l->media_event);
}

/* reads one LUN payload into s, checking it against l's configuration; 0 or -errno */
static int get_lun(const struct scsi_lun *l, struct state_reader *r, struct lun_state *s)
{
	uint8_t type = state_get_u8(r);
	uint8_t present = state_get_u8(r);
	s->ua = state_get_u8(r);
	s->sense_valid = state_get_bool(r);
	state_get_bytes(r, s->sense, SCSI_SENSE_LEN);
	s->tray_open = state_get_bool(r);
	s->locked = state_get_bool(r);
	s->wce = state_get_bool(r);
	s->media_event = state_get_u8(r);
	if (r->err)
		return r->err;
	if (type != l->type || present != (l->disk != NULL) || (s->ua & ~UA_ALL) ||
	    s->media_event > MEV_MEDIA_REMOVAL)
		return -EINVAL;
	static const uint8_t none[SCSI_SENSE_LEN];
	if (s->sense_valid ? s->sense[0] != 0x70 || s->sense[7] != SCSI_SENSE_LEN - 8
			   : memcmp(s->sense, none, SCSI_SENSE_LEN) != 0)
		return -EINVAL;
	if (l->type == SCSI_LUN_DISK && (s->tray_open || s->locked))
		return -EINVAL; /* a disk has neither */
	return 0;
}

static void apply_lun(struct scsi_lun *l, const struct lun_state *s)
{
	l->ua = s->ua;
	l->sense_valid = s->sense_valid;
	memcpy(l->sense, s->sense, SCSI_SENSE_LEN);
	l->tray_open = s->tray_open;
	l->locked = s->locked;
	l->wce = s->wce;
	l->media_event = s->media_event;
}

int scsi_lun_state_save(const struct scsi_lun *l, struct state_writer *w)
{
	pthread_mutex_lock(&l->t->lock);
	put_lun(l, w);
	pthread_mutex_unlock(&l->t->lock);
	return state_writer_err(w);
}

int scsi_lun_state_load(struct scsi_lun *l, struct state_reader *r, uint32_t version)
{
	struct lun_state s;
	if (version != 1)
		return -EINVAL;
	int e = get_lun(l, r, &s);
	if (!e)
		e = state_reader_done(r);
	if (e)
		return e;
	pthread_mutex_lock(&l->t->lock);
	e = l->inflight ? -EBUSY : 0;
	if (!e)
		apply_lun(l, &s);
	pthread_mutex_unlock(&l->t->lock);
	return e;
}

int scsi_target_state_save(const struct scsi_target *ct, struct state_writer *w)
{
	struct scsi_target *t = (struct scsi_target *)ct; /* the lock is not part of the state */
	pthread_mutex_lock(&t->lock);
	state_put_u32(w, t->nluns);
	for (unsigned i = 0; i < t->nluns; i++) {
		state_put_u32(w, t->luns[i]->lun);
		put_lun(t->luns[i], w);
	}
	pthread_mutex_unlock(&t->lock);
	return state_writer_err(w);
}

int scsi_target_state_load(struct scsi_target *t, struct state_reader *r, uint32_t version)
{
	if (version != 1)
		return -EINVAL;
	int e = 0;
	pthread_mutex_lock(&t->lock);
	uint32_t n = state_get_u32(r);
	struct lun_state *s = NULL;
	if (r->err)
		e = r->err;
	else if (n != t->nluns)
		e = -EINVAL;
	else if (n && !(s = calloc(n, sizeof(*s))))
		e = -ENOMEM;
	for (uint32_t i = 0; !e && i < n; i++) {
		uint32_t num = state_get_u32(r);
		if (r->err)
			e = r->err;
		else if (num != t->luns[i]->lun)
			e = -EINVAL;
		else if (t->luns[i]->inflight)
			e = -EBUSY;
		else
			e = get_lun(t->luns[i], r, &s[i]);
	}
	if (!e)
		e = state_reader_done(r);
	for (uint32_t i = 0; !e && i < n; i++)
		apply_lun(t->luns[i], &s[i]);
	pthread_mutex_unlock(&t->lock);
	free(s);
	return e;
}

static int save_op(const void *o, struct state_writer *w) { return scsi_target_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return scsi_target_state_load(o, r, v); }
const struct state_ops scsi_target_state_ops = { "scsi-target", 1, 1, save_op, load_op };
