// SPDX-License-Identifier: GPL-2.0-or-later
/* The transport-independent virtio device core: status state machine, feature negotiation,
 * reset, NEEDS_RESET, and routing guest notifications to the I/O thread. */
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
	vd->status = 0;
	vd->driver_features = 0;
	vd->config_gen = 0;
	vd->needs_reset_logged = 0;
	for (unsigned q = 0; q < vd->num_queues; q++)
		virtq_reset(&vd->vq[q], vd, q);
	if (!env->no_iothread) {
		int r = virtio_io_create(vd);
		if (r < 0) {
			pthread_mutex_destroy(&vd->lock);
			free(vd->vq);
			vd->vq = NULL;
			return r;
		}
	}
	return 0;
}

void virtio_dev_reset_locked(struct virtio_dev *vd)
{
	for (unsigned q = 0; q < vd->num_queues; q++)
		virtq_reset(&vd->vq[q], vd, q);
	vd->driver_features = 0;
	vd->needs_reset_logged = 0;
	__atomic_store_n(&vd->status, 0, __ATOMIC_RELEASE);
	if (vd->ops->reset)
		vd->ops->reset(vd);
}

/* FEATURES_OK is accepted only for a subset of what we offer that includes VERSION_1. */
static int features_acceptable(const struct virtio_dev *vd)
{
	uint64_t f = vd->driver_features;
	return !(f & ~virtio_dev_features(vd)) && (f & (1ULL << VIRTIO_F_VERSION_1));
}

void virtio_dev_set_status(struct virtio_dev *vd, uint32_t status)
{
	int activated = 0;
	pthread_mutex_lock(&vd->lock);
	if ((status & 0xff) == 0) {
		virtio_dev_reset_locked(vd);
		pthread_mutex_unlock(&vd->lock);
		return;
	}
	uint32_t old = vd->status, now = status & 0xff;
	now &= ~VIRTIO_STATUS_NEEDS_RESET; /* only the device sets it */
	now |= old & VIRTIO_STATUS_NEEDS_RESET;
	if ((now & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(vd))
		now &= ~VIRTIO_STATUS_FEATURES_OK; /* the driver reads it back and gives up */
	if ((now & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (!(now & VIRTIO_STATUS_FEATURES_OK)) {
			now &= ~VIRTIO_STATUS_DRIVER_OK;
		} else {
			__atomic_store_n(&vd->status, now, __ATOMIC_RELEASE);
			if (vd->ops->activate && vd->ops->activate(vd) < 0)
				virtio_dev_needs_reset(vd, "device activation failed");
			now = vd->status;
			activated = 1;
		}
	}
	__atomic_store_n(&vd->status, now, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vd->lock);
	/* buffers made available before DRIVER_OK (e.g. net rx) were not consumed: look now */
	if (activated)
		for (unsigned q = 0; q < vd->num_queues; q++)
			if (vd->vq[q].enabled)
				virtio_dev_notify(vd, q);
}

void virtio_dev_needs_reset(struct virtio_dev *vd, const char *why)
{
	__atomic_fetch_or(&vd->status, VIRTIO_STATUS_NEEDS_RESET, __ATOMIC_ACQ_REL);
	if (!vd->needs_reset_logged) {
		vd->needs_reset_logged = 1;
		kv_log("%s: driver error, device needs reset: %s", vd->name, why);
	}
	if (vd->tops && vd->tops->signal_config)
		vd->tops->signal_config(vd);
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
	if ((vd->status & VIRTIO_STATUS_DRIVER_OK) && virtq_ready(&vd->vq[qidx]))
		vd->ops->handle_queue(vd, qidx);
	pthread_mutex_unlock(&vd->lock);
}

void virtio_dev_kick(struct virtio_dev *vd, unsigned qidx)
{
	virtio_dev_notify(vd, qidx);
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
	virtio_dev_reset_locked(vd);
	pthread_mutex_unlock(&vd->lock);
	if (vd->tops && vd->tops->destroy)
		vd->tops->destroy(vd); /* drops ioeventfds that still name our kick fds */
	vd->tops = NULL;
	vd->transport = NULL;
	virtio_io_free(vd->io);
	vd->io = NULL;
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
