// SPDX-License-Identifier: GPL-2.0-or-later
/* The transport-independent virtio device core: status state machine, feature negotiation,
 * reset (register half at once, device half in virtio_dev_sync), NEEDS_RESET, and routing guest
 * notifications to the I/O thread. */
#include "virtio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/iothread.h"
#include "virtio/queue.h"
#include "vmm/log.h"
#include "vmm/state.h"

uint64_t virtio_dev_features(const struct virtio_dev *vd)
{
	return vd->features | VIRTIO_CORE_FEATURES;
}

uint32_t virtio_dev_get_status(const struct virtio_dev *vd)
{
	return __atomic_load_n(&vd->status, __ATOMIC_ACQUIRE);
}

struct virtq *virtio_dev_queue(struct virtio_dev *vd, unsigned qidx)
{
	return vd->vq && qidx < vd->num_queues ? &vd->vq[qidx] : NULL;
}

int virtio_dev_reset_pending(const struct virtio_dev *vd)
{
	return __atomic_load_n(&vd->reset_gen, __ATOMIC_ACQUIRE) != __atomic_load_n(&vd->applied_gen, __ATOMIC_ACQUIRE);
}

int virtio_dev_setup(struct virtio_dev *vd, const struct virtio_env *env)
{
	uint16_t qm = vd->queue_max;
	if (!vd->ops || !vd->ops->handle_queue || !vd->ops->config_read || !env || !env->mem)
		return -EINVAL;
	if (!vd->num_queues || vd->num_queues > VIRTIO_MAX_QUEUES || !qm || (qm & (qm - 1)) ||
	    qm > VIRTQ_MAX_SIZE)
		return -EINVAL;
	if (!vd->name)
		vd->name = "virtio";
	vd->env = *env;
	vd->vq = calloc(vd->num_queues, sizeof(*vd->vq));
	if (!vd->vq)
		return -ENOMEM;
	pthread_mutex_init(&vd->lock, NULL);
	pthread_mutex_init(&vd->reg_lock, NULL);
	vd->status = vd->status_at_reset = 0;
	vd->reset_gen = vd->applied_gen = 0;
	vd->reg_seq = vd->synced_seq = 0;
	vd->driver_features = vd->negotiated = 0;
	vd->activated = 0;
	vd->config_gen = 0;
	vd->needs_reset_logged = 0;
	for (unsigned q = 0; q < vd->num_queues; q++)
		virtq_reset(&vd->vq[q], vd, q);
	if (!env->no_iothread) {
		int r = virtio_io_create(vd);
		if (r < 0) {
			pthread_mutex_destroy(&vd->reg_lock);
			pthread_mutex_destroy(&vd->lock);
			free(vd->vq);
			vd->vq = NULL;
			return r;
		}
	}
	return 0;
}

void virtio_dev_reg_changed_locked(struct virtio_dev *vd)
{
	__atomic_fetch_add(&vd->reg_seq, 1, __ATOMIC_RELEASE);
}

void virtio_dev_poke(struct virtio_dev *vd)
{
	if (vd->io) {
		virtio_io_poke(vd->io);
		return;
	}
	pthread_mutex_lock(&vd->lock);
	virtio_dev_sync(vd);
	pthread_mutex_unlock(&vd->lock);
}

/* The register half of a reset: at once, so a driver may go straight on (virtio-mmio on Linux). */
static void reset_regs_locked(struct virtio_dev *vd)
{
	for (unsigned q = 0; q < vd->num_queues; q++)
		virtq_reset(&vd->vq[q], vd, q);
	vd->driver_features = 0;
	vd->needs_reset_logged = 0;
	uint32_t old = vd->status;
	if (!virtio_dev_reset_pending(vd) || old)
		vd->status_at_reset = old;
	__atomic_store_n(&vd->status, 0, __ATOMIC_RELEASE);
	__atomic_fetch_add(&vd->reset_gen, 1, __ATOMIC_ACQ_REL);
	virtio_dev_reg_changed_locked(vd);
}

/* FEATURES_OK is accepted only for a subset of what we offer that includes VERSION_1. */
static int features_acceptable(const struct virtio_dev *vd)
{
	uint64_t f = vd->driver_features;
	return !(f & ~virtio_dev_features(vd)) && (f & (1ULL << VIRTIO_F_VERSION_1));
}

void virtio_dev_set_status_locked(struct virtio_dev *vd, uint32_t status)
{
	if ((status & 0xff) == 0) {
		reset_regs_locked(vd);
		return;
	}
	uint32_t old = vd->status, now = status & 0xff;
	now &= ~VIRTIO_STATUS_NEEDS_RESET; /* only the device sets it */
	now |= old & VIRTIO_STATUS_NEEDS_RESET;
	if ((now & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(vd))
		now &= ~VIRTIO_STATUS_FEATURES_OK; /* the driver reads it back and gives up */
	if ((now & VIRTIO_STATUS_DRIVER_OK) && !(now & VIRTIO_STATUS_FEATURES_OK))
		now &= ~VIRTIO_STATUS_DRIVER_OK;
	/* NEEDS_RESET may be set concurrently by nobody else: the device side sets it under reg_lock */
	__atomic_store_n(&vd->status, now, __ATOMIC_RELEASE);
	if (now != old)
		virtio_dev_reg_changed_locked(vd); /* FEATURES_OK or DRIVER_OK for the device side */
}

/* The device half of a reset: nothing of the old incarnation survives it. */
static void reset_device(struct virtio_dev *vd, uint32_t gen)
{
	if (vd->ops->reset)
		vd->ops->reset(vd); /* ring accesses are refused meanwhile: reset_gen != applied_gen */
	for (unsigned q = 0; q < vd->num_queues; q++)
		virtq_stop(&vd->vq[q]);
	vd->negotiated = 0;
	vd->activated = 0;
	pthread_mutex_lock(&vd->reg_lock);
	__atomic_store_n(&vd->applied_gen, gen, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vd->reg_lock);
}

void virtio_dev_sync(struct virtio_dev *vd)
{
	uint32_t seq = __atomic_load_n(&vd->reg_seq, __ATOMIC_ACQUIRE);
	if (seq == vd->synced_seq)
		return;
	uint64_t stopping;
	uint32_t status, gen;
	for (;;) {
		gen = __atomic_load_n(&vd->reset_gen, __ATOMIC_ACQUIRE);
		if (gen != vd->applied_gen)
			reset_device(vd, gen);
		stopping = 0;
		pthread_mutex_lock(&vd->reg_lock);
		seq = vd->reg_seq;
		for (unsigned q = 0; q < vd->num_queues; q++) {
			struct virtq *vq = &vd->vq[q];
			if (vq->live && (!vq->enabled || vq->live_gen != vq->enable_gen))
				stopping |= 1ULL << q;
		}
		pthread_mutex_unlock(&vd->reg_lock);
		for (unsigned q = 0; q < vd->num_queues; q++)
			if (stopping >> q & 1) {
				if (vd->ops->queue_stop)
					vd->ops->queue_stop(vd, q);
				virtq_stop(&vd->vq[q]);
			}
		pthread_mutex_lock(&vd->reg_lock);
		if (vd->reset_gen != vd->applied_gen) { /* another reset came meanwhile */
			pthread_mutex_unlock(&vd->reg_lock);
			continue;
		}
		status = vd->status;
		if (status & VIRTIO_STATUS_FEATURES_OK)
			vd->negotiated = vd->driver_features;
		for (unsigned q = 0; q < vd->num_queues; q++)
			if (vd->vq[q].enabled && !vd->vq[q].live)
				virtq_map(&vd->vq[q]);
		pthread_mutex_unlock(&vd->reg_lock);
		break;
	}
	vd->synced_seq = seq;
	if (!(status & VIRTIO_STATUS_DRIVER_OK) || vd->activated)
		return;
	vd->activated = 1;
	if (vd->ops->activate && vd->ops->activate(vd) < 0)
		virtio_dev_needs_reset(vd, "device activation failed");
	vd->restored = 0;
	/* buffers made available before DRIVER_OK (e.g. net rx) were not consumed: look now */
	for (unsigned q = 0; q < vd->num_queues; q++)
		if (virtq_ready(&vd->vq[q]))
			vd->ops->handle_queue(vd, q);
}

void virtio_dev_needs_reset_locked(struct virtio_dev *vd, const char *why)
{
	__atomic_fetch_or(&vd->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);
	if (!vd->needs_reset_logged) {
		vd->needs_reset_logged = 1;
		kv_log("%s: driver error, device needs reset: %s", vd->name, why);
	}
	if (vd->tops && vd->tops->signal_config)
		vd->tops->signal_config(vd);
}

void virtio_dev_needs_reset(struct virtio_dev *vd, const char *why)
{
	pthread_mutex_lock(&vd->reg_lock);
	if (vd->reset_gen == vd->applied_gen)
		virtio_dev_needs_reset_locked(vd, why);
	pthread_mutex_unlock(&vd->reg_lock);
}

void virtio_config_changed(struct virtio_dev *vd)
{
	__atomic_fetch_add(&vd->config_gen, 1, __ATOMIC_ACQ_REL);
	if ((virtio_dev_get_status(vd) & VIRTIO_STATUS_DRIVER_OK) && vd->tops && vd->tops->signal_config)
		vd->tops->signal_config(vd);
}

void virtio_dev_notify(struct virtio_dev *vd, unsigned qidx)
{
	if (qidx >= vd->num_queues)
		return;
	if (vd->io) {
		virtio_io_kick(vd->io, qidx);
		return;
	}
	/* no I/O thread (unit tests): run the queue right here */
	pthread_mutex_lock(&vd->lock);
	virtio_dev_sync(vd);
	if (vd->activated && virtq_ready(&vd->vq[qidx]))
		vd->ops->handle_queue(vd, qidx);
	pthread_mutex_unlock(&vd->lock);
}

void virtio_dev_kick(struct virtio_dev *vd, unsigned qidx)
{
	if (vd->io) {
		virtio_io_kick(vd->io, qidx);
		return;
	}
	if (qidx < vd->num_queues && vd->activated && virtq_ready(&vd->vq[qidx]))
		vd->ops->handle_queue(vd, qidx); /* already under vd->lock */
}

int virtio_dev_kick_fd(struct virtio_dev *vd, unsigned qidx)
{
	return virtio_io_kickfd(vd->io, qidx);
}

void virtio_dev_destroy(struct virtio_dev *vd)
{
	if (!vd->vq)
		return;
	virtio_io_stop(vd->io); /* nothing runs handle_queue or raises interrupts after this */
	pthread_mutex_lock(&vd->lock);
	pthread_mutex_lock(&vd->reg_lock);
	reset_regs_locked(vd);
	pthread_mutex_unlock(&vd->reg_lock);
	virtio_dev_sync(vd); /* the device side drains and forgets */
	pthread_mutex_unlock(&vd->lock);
	if (vd->tops && vd->tops->destroy)
		vd->tops->destroy(vd); /* drops ioeventfds that still name our kick fds */
	vd->tops = NULL;
	vd->transport = NULL;
	virtio_io_free(vd->io);
	vd->io = NULL;
	pthread_mutex_destroy(&vd->reg_lock);
	pthread_mutex_destroy(&vd->lock);
	free(vd->vq);
	vd->vq = NULL;
}

int virtio_mmio_cmdline(char *buf, size_t len, uint64_t base, unsigned gsi)
{
	int n = snprintf(buf, len, " virtio_mmio.device=4K@0x%llx:%u", (unsigned long long)base, gsi);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

/* ---- saved state ---- */

int virtio_dev_pause(struct virtio_dev *vd)
{
	virtio_io_stop(vd->io); /* no queue runs after this; kicks wait in their eventfds */
	int r = 0;
	pthread_mutex_lock(&vd->lock);
	/* a loaded state not yet resumed is consistent as it is; its activation belongs to the I/O
	 * thread (disk_aio is made there) */
	if (!vd->restored) {
		virtio_dev_sync(vd);
		r = vd->ops->quiesce ? vd->ops->quiesce(vd) : 0;
	}
	pthread_mutex_unlock(&vd->lock);
	vd->paused = 1;
	return r;
}

void virtio_dev_resume(struct virtio_dev *vd)
{
	vd->paused = 0;
	if (vd->io) {
		int r = virtio_io_start(vd->io);
		if (r < 0)
			kv_err(r, "%s: restarting the I/O thread", vd->name);
		virtio_io_poke(vd->io);
		for (unsigned q = 0; q < vd->num_queues; q++)
			virtio_io_kick(vd->io, q); /* a kick lost across the pause would hang the queue */
		return;
	}
	pthread_mutex_lock(&vd->lock);
	virtio_dev_sync(vd);
	for (unsigned q = 0; q < vd->num_queues; q++)
		if (vd->activated && virtq_ready(&vd->vq[q]))
			vd->ops->handle_queue(vd, q);
	pthread_mutex_unlock(&vd->lock);
}

void virtio_dev_mark_rings(struct virtio_dev *vd)
{
	pthread_mutex_lock(&vd->lock);
	for (unsigned q = 0; q < vd->num_queues; q++) {
		const struct virtq *vq = &vd->vq[q];
		if (vq->live) /* flags, idx, the elements, avail_event */
			gmem_mark(vd->env.mem, vq->used_gpa, 6 + 8ULL * vq->ring_size + 2);
	}
	pthread_mutex_unlock(&vd->lock);
}

#define STATUS_BITS                                                                              \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK | \
	 VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)

int virtio_dev_state_save(const struct virtio_dev *cvd, struct state_writer *w)
{
	struct virtio_dev *vd = (struct virtio_dev *)cvd; /* locks are not part of the state */
	if (!vd->paused || !vd->tops || !vd->tops->state_save)
		return -EBUSY;
	pthread_mutex_lock(&vd->lock);
	pthread_mutex_lock(&vd->reg_lock);
	/* the device side has caught up (or was just loaded and waits for its activation) */
	int synced = (vd->synced_seq == vd->reg_seq || vd->restored) && !virtio_dev_reset_pending(vd);
	if (synced) {
		state_put_u16(w, vd->device_id);
		state_put_u16(w, (uint16_t)vd->num_queues);
		state_put_u16(w, vd->queue_max);
		state_put_u16(w, (uint16_t)vd->config_len);
		state_put_u64(w, vd->driver_features);
		state_put_u32(w, virtio_dev_get_status(vd));
		state_put_u32(w, __atomic_load_n(&vd->config_gen, __ATOMIC_ACQUIRE));
		for (unsigned q = 0; q < vd->num_queues; q++)
			virtq_state_save(&vd->vq[q], w);
	}
	pthread_mutex_unlock(&vd->reg_lock);
	if (synced) {
		vd->tops->state_save(vd, w);
		if (vd->ops->state_save)
			vd->ops->state_save(vd, w);
	}
	pthread_mutex_unlock(&vd->lock);
	return synced ? state_writer_err(w) : -EBUSY;
}

/* One pass over the payload: apply 0 checks everything, apply 1 installs it (it cannot fail then). */
static int dev_load(struct virtio_dev *vd, struct state_reader *r, int apply)
{
	uint16_t id = state_get_u16(r), nq = state_get_u16(r), qmax = state_get_u16(r), clen = state_get_u16(r);
	uint64_t features = state_get_u64(r);
	uint32_t status = state_get_u32(r), cgen = state_get_u32(r);
	if (r->err)
		return r->err;
	if (id != vd->device_id || nq != vd->num_queues || qmax != vd->queue_max || clen != vd->config_len)
		return -EINVAL; /* not this device */
	if ((status & ~STATUS_BITS) ||
	    ((status & VIRTIO_STATUS_DRIVER_OK) && !(status & VIRTIO_STATUS_FEATURES_OK)))
		return -EINVAL;
	if ((status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((features & ~virtio_dev_features(vd)) || !(features & (1ULL << VIRTIO_F_VERSION_1))))
		return -EINVAL;
	unsigned nvec = vd->tops->nr_vectors ? vd->tops->nr_vectors(vd) : 0;
	pthread_mutex_lock(&vd->reg_lock);
	if (apply) {
		vd->driver_features = features;
		vd->negotiated = (status & VIRTIO_STATUS_FEATURES_OK) ? features : 0;
		__atomic_store_n(&vd->status, status, __ATOMIC_RELEASE);
		__atomic_store_n(&vd->config_gen, cgen, __ATOMIC_RELEASE);
		vd->needs_reset_logged = !!(status & VIRTIO_STATUS_NEEDS_RESET);
	}
	int e = 0;
	for (unsigned q = 0; q < nq && !e; q++)
		e = virtq_state_load(&vd->vq[q], r, nvec, apply);
	if (apply) { /* the device side activates on its thread at resume, from these positions */
		vd->synced_seq = vd->reg_seq;
		vd->restored = !!(status & VIRTIO_STATUS_DRIVER_OK);
		if (vd->restored)
			virtio_dev_reg_changed_locked(vd);
	}
	pthread_mutex_unlock(&vd->reg_lock);
	/* outside reg_lock, and installed outside vd->lock: a PCI transport takes the host's lock and
	 * remaps BARs on the bus, whose dispatch may lead to both (the device is paused meanwhile) */
	if (apply)
		pthread_mutex_unlock(&vd->lock);
	if (!e)
		e = vd->tops->state_load(vd, r, apply);
	if (apply)
		pthread_mutex_lock(&vd->lock);
	if (!e && vd->ops->state_load)
		e = vd->ops->state_load(vd, r, apply);
	return e ? e : state_reader_done(r);
}

int virtio_dev_state_load(struct virtio_dev *vd, struct state_reader *r, uint32_t version)
{
	if (!vd->tops || !vd->tops->state_load)
		return -EINVAL;
	virtio_io_stop(vd->io);
	vd->paused = 1;
	pthread_mutex_lock(&vd->lock);
	struct state_reader check = *r;
	int e = dev_load(vd, &check, 0);
	if (!e) {
		/* what the device held before goes, as on a driver's reset; then the saved state */
		pthread_mutex_lock(&vd->reg_lock);
		reset_regs_locked(vd);
		pthread_mutex_unlock(&vd->reg_lock);
		vd->restored = 0;
		virtio_dev_sync(vd); /* status is 0 now: this resets, it activates nothing */
		dev_load(vd, r, 1);
	} else {
		*r = check;
	}
	pthread_mutex_unlock(&vd->lock);
	return e;
}

static int save_op(const void *o, struct state_writer *w) { return virtio_dev_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return virtio_dev_state_load(o, r, v); }
const struct state_ops virtio_state_ops = { "virtio", 1, 1, save_op, load_op };
