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
