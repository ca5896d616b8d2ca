// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-scsi's event queue (virtio 1.2 §5.6.6.3) and the asynchronous-notification
 * subscriptions of its control queue.
 *
 * A host-side medium change on a CD-ROM (QMP eject / blockdev-change-medium) becomes up to two
 * events for its LUN: VIRTIO_SCSI_T_PARAM_CHANGE with the unit attention's ASC/ASCQ (28/00,
 * MEDIUM MAY HAVE CHANGED) when the driver negotiated VIRTIO_SCSI_F_CHANGE, and
 * VIRTIO_SCSI_T_ASYNC_NOTIFY with the media class when it subscribed to that class for the LUN.
 * The unit attention itself is the target's (reported by the next command), so a driver that takes
 * no events still learns of the change. Events wait for an event buffer, up to VSCSI_EVENTS; a
 * further one is dropped and the next event delivered carries VIRTIO_SCSI_T_EVENTS_MISSED (a
 * NO_EVENT with the flag if nothing else is left), which tells the driver to rescan.
 * kvmini has no hot-plug, so TRANSPORT_RESET events are never sent and VIRTIO_SCSI_F_HOTPLUG is not
 * offered. A device reset forgets pending events and subscriptions (the new driver asks again). */
#include <errno.h>
#include <string.h>

#include "virtio/scsi_priv.h"
#include "vmm/le.h"
#include "vmm/state.h"

static void lun_bytes(uint8_t *p, unsigned target, unsigned lun)
{
	memset(p, 0, 8);
	p[0] = 1;
	p[1] = (uint8_t)target;
	p[2] = (uint8_t)(0x40 | (lun >> 8));
	p[3] = (uint8_t)lun;
}

/* ev_lock held */
static void ev_add(struct virtio_scsi *s, uint32_t event, unsigned target, unsigned lun, uint32_t reason)
{
	if (s->nev == VSCSI_EVENTS) {
		s->ev_missed = true;
		return;
	}
	s->ev[s->nev++] = (struct vscsi_event){ .event = event, .reason = reason, .target = (uint8_t)target,
						.lun = (uint16_t)lun };
}

/* ev_lock held */
static struct vscsi_an_sub *sub_of(struct virtio_scsi *s, unsigned target, unsigned lun)
{
	for (unsigned i = 0; i < s->nan; i++)
		if (s->an[i].target == target && s->an[i].lun == lun)
			return &s->an[i];
	return NULL;
}

void virtio_scsi_medium_changed(struct virtio_scsi *s, unsigned target, unsigned lun)
{
	struct virtio_dev *vd = &s->vdev;
	if (target >= VIRTIO_SCSI_TARGETS || lun >= SCSI_LUN_MAX)
		return;
	/* negotiated is the device side's; a stale read only means one event more or less for a
	 * driver that is being reset anyway */
	uint64_t f = __atomic_load_n(&vd->negotiated, __ATOMIC_RELAXED);
	pthread_mutex_lock(&s->ev_lock);
	if (f & (1ull << VIRTIO_SCSI_F_CHANGE))
		ev_add(s, VIRTIO_SCSI_T_PARAM_CHANGE, target, lun, 0x28 | (0x00 << 8));
	struct vscsi_an_sub *a = sub_of(s, target, lun);
	if (a && (a->classes & VSCSI_AN_MEDIA))
		ev_add(s, VIRTIO_SCSI_T_ASYNC_NOTIFY, target, lun, VSCSI_AN_MEDIA);
	bool any = s->nev || s->ev_missed;
	pthread_mutex_unlock(&s->ev_lock);
	if (any)
		virtio_dev_kick(vd, VSCSI_EVENTQ);
}

uint32_t vscsi_an_request(struct virtio_scsi *s, unsigned target, unsigned lun, uint32_t requested, bool subscribe)
{
	struct scsi_target *t = s->targets[target];
	uint32_t supported = t && scsi_lun_type_of(t, lun) == SCSI_LUN_CDROM ? VSCSI_AN_MEDIA : 0;
	uint32_t actual = requested & supported;
	if (!subscribe)
		return actual;
	pthread_mutex_lock(&s->ev_lock);
	struct vscsi_an_sub *a = sub_of(s, target, lun);
	if (!a && actual && s->nan < VSCSI_AN_SUBS) {
		a = &s->an[s->nan++];
		*a = (struct vscsi_an_sub){ .target = (uint8_t)target, .lun = (uint16_t)lun };
	}
	if (a)
		a->classes = actual; /* a subscription replaces the LUN's earlier one */
	else
		actual = 0; /* no room to remember it: nothing subscribed */
	pthread_mutex_unlock(&s->ev_lock);
	return actual;
}

/* The next event into ev; false when there is none. ev_lock held. */
static bool ev_next(struct virtio_scsi *s, uint8_t *ev)
{
	if (!s->nev && !s->ev_missed)
		return false;
	memset(ev, 0, VSCSI_EVENT_LEN);
	uint32_t type = VIRTIO_SCSI_T_NO_EVENT;
	if (s->nev) {
		const struct vscsi_event *e = &s->ev[0];
		type = e->event;
		lun_bytes(ev + 4, e->target, e->lun);
		le_put32(ev, 12, e->reason);
	}
	if (s->ev_missed)
		type |= VIRTIO_SCSI_T_EVENTS_MISSED;
	le_put32(ev, 0, type);
	return true;
}

static void ev_consume(struct virtio_scsi *s)
{
	s->ev_missed = false;
	if (s->nev)
		memmove(s->ev, s->ev + 1, --s->nev * sizeof(s->ev[0]));
}

void vscsi_handle_events(struct virtio_scsi *s, struct virtq *vq)
{
	int pushed = 0;
	uint8_t ev[VSCSI_EVENT_LEN];
	pthread_mutex_lock(&s->ev_lock);
	while (ev_next(s, ev) && virtq_pop(vq, &s->dq.chain) > 0) {
		const struct virtq_chain *c = &s->dq.chain;
		if (c->write_len < VSCSI_EVENT_LEN || c->read_len) {
			/* the event stays for a proper buffer */
			vscsi_log_once(s, &s->logged_event, "event buffer is not a 16-byte device-writable area");
			virtq_push(vq, c->head, 0);
		} else {
			virtq_push(vq, c->head, (uint32_t)virtq_chain_write(c, 0, ev, VSCSI_EVENT_LEN));
			ev_consume(s);
		}
		pushed = 1;
	}
	pthread_mutex_unlock(&s->ev_lock);
	if (pushed)
		virtq_notify(vq);
}

void vscsi_events_reset(struct virtio_scsi *s)
{
	pthread_mutex_lock(&s->ev_lock);
	s->nev = 0;
	s->ev_missed = false;
	s->nan = 0;
	pthread_mutex_unlock(&s->ev_lock);
}

/* ---- saved state: subscriptions (u8 n, then u8 target, u16 lun, u32 classes), pending events
 * (u8 n, then u32 event, u8 target, u16 lun, u32 reason), u8 missed ---- */

void vscsi_events_save(struct virtio_scsi *s, struct state_writer *w)
{
	pthread_mutex_lock(&s->ev_lock);
	state_put_u8(w, (uint8_t)s->nan);
	for (unsigned i = 0; i < s->nan; i++) {
		state_put_u8(w, s->an[i].target);
		state_put_u16(w, s->an[i].lun);
		state_put_u32(w, s->an[i].classes);
	}
	state_put_u8(w, (uint8_t)s->nev);
	for (unsigned i = 0; i < s->nev; i++) {
		state_put_u32(w, s->ev[i].event);
		state_put_u8(w, s->ev[i].target);
		state_put_u16(w, s->ev[i].lun);
		state_put_u32(w, s->ev[i].reason);
	}
	state_put_u8(w, s->ev_missed);
	pthread_mutex_unlock(&s->ev_lock);
}

int vscsi_events_load(struct virtio_scsi *s, struct state_reader *r, int apply)
{
	struct vscsi_an_sub an[VSCSI_AN_SUBS];
	struct vscsi_event ev[VSCSI_EVENTS];
	unsigned nan = state_get_u8(r);
	if (nan > VSCSI_AN_SUBS)
		return -EINVAL;
	for (unsigned i = 0; i < nan; i++) {
		an[i].target = state_get_u8(r);
		an[i].lun = state_get_u16(r);
		an[i].classes = state_get_u32(r);
		if (an[i].target >= VIRTIO_SCSI_TARGETS || an[i].lun >= SCSI_LUN_MAX)
			return -EINVAL;
	}
	unsigned nev = state_get_u8(r);
	if (nev > VSCSI_EVENTS)
		return -EINVAL;
	for (unsigned i = 0; i < nev; i++) {
		ev[i].event = state_get_u32(r);
		ev[i].target = state_get_u8(r);
		ev[i].lun = state_get_u16(r);
		ev[i].reason = state_get_u32(r);
		if (ev[i].target >= VIRTIO_SCSI_TARGETS || ev[i].lun >= SCSI_LUN_MAX)
			return -EINVAL;
	}
	uint8_t missed = state_get_u8(r);
	if (r->err)
		return r->err;
	if (missed > 1)
		return -EINVAL;
	if (apply) {
		pthread_mutex_lock(&s->ev_lock);
		memcpy(s->an, an, nan * sizeof(an[0]));
		s->nan = nan;
		memcpy(s->ev, ev, nev * sizeof(ev[0]));
		s->nev = nev;
		s->ev_missed = missed;
		pthread_mutex_unlock(&s->ev_lock);
	}
	return 0;
}
