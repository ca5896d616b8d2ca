// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-mmio version 2 transport (virtio 1.2 §4.2): a 4 KiB register window, config space at
 * 0x100, kicks through an ioeventfd on QueueNotify (datamatch = queue index), and an edge pulse on
 * one GSI per notification with InterruptStatus saying why. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/queue.h"
#include "virtio/virtio.h"
#include "vmm/log.h"
#include "vmm/state.h"

#define MMIO_SIZE 0x1000
#define MMIO_MAGIC 0x74726976 /* "virt" */
#define MMIO_VENDOR 0x4b564d49 /* "IMVK" */
#define MMIO_CONFIG 0x100

enum {
	R_MAGIC = 0x000, R_VERSION = 0x004, R_DEVICE_ID = 0x008, R_VENDOR_ID = 0x00c,
	R_DEV_FEATURES = 0x010, R_DEV_FEATURES_SEL = 0x014, R_DRV_FEATURES = 0x020, R_DRV_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030, R_QUEUE_NUM_MAX = 0x034, R_QUEUE_NUM = 0x038, R_QUEUE_READY = 0x044,
	R_QUEUE_NOTIFY = 0x050, R_INT_STATUS = 0x060, R_INT_ACK = 0x064, R_STATUS = 0x070,
	R_DESC_LO = 0x080, R_DESC_HI = 0x084, R_DRIVER_LO = 0x090, R_DRIVER_HI = 0x094,
	R_DEVICE_LO = 0x0a0, R_DEVICE_HI = 0x0a4, R_SHM_SEL = 0x0ac, R_SHM_LEN_LO = 0x0b0, R_SHM_LEN_HI = 0x0b4,
	R_SHM_BASE_LO = 0x0b8, R_SHM_BASE_HI = 0x0bc, R_CONFIG_GEN = 0x0fc,
};

struct virtio_mmio {
	struct virtio_dev *vd;
	struct bus *bus;
	uint64_t base;
	struct irq_line irq;
	uint32_t dfsel, gfsel, queue_sel; /* under vd->reg_lock */
	uint32_t int_status; /* __atomic: set by signal paths, cleared by InterruptACK */
	int ioev; /* ioeventfds registered */
};

static struct virtio_mmio *vmmio_of(struct virtio_dev *vd) { return vd->transport; }

static void vmmio_signal(struct virtio_mmio *t, uint32_t bit)
{
	__atomic_fetch_or(&t->int_status, bit, __ATOMIC_ACQ_REL);
	irq_pulse(&t->irq); /* edge: every notification is its own pulse */
}

static void vmmio_signal_queue(struct virtio_dev *vd, unsigned qidx) { vmmio_signal(vmmio_of(vd), 1); }
static void vmmio_signal_config(struct virtio_dev *vd) { vmmio_signal(vmmio_of(vd), 2); }

static void set_half(uint64_t *v, int hi, uint32_t val)
{
	if (hi)
		*v = (*v & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*v = (*v & ~0xffffffffULL) | val;
}

static uint32_t reg_read_locked(struct virtio_mmio *t, uint64_t off)
{
	struct virtio_dev *vd = t->vd;
	struct virtq *vq = virtio_dev_queue(vd, t->queue_sel);
	uint64_t f = virtio_dev_features(vd);
	switch (off) {
	case R_MAGIC: return MMIO_MAGIC;
	case R_VERSION: return 2;
	case R_DEVICE_ID: return vd->device_id;
	case R_VENDOR_ID: return MMIO_VENDOR;
	case R_DEV_FEATURES: return t->dfsel == 0 ? (uint32_t)f : t->dfsel == 1 ? (uint32_t)(f >> 32) : 0;
	case R_QUEUE_NUM_MAX: return vq ? vd->queue_max : 0;
	case R_QUEUE_READY: return vq ? (uint32_t)vq->enabled : 0;
	case R_INT_STATUS: return __atomic_load_n(&t->int_status, __ATOMIC_ACQUIRE);
	case R_STATUS: return virtio_dev_get_status(vd);
	case R_DESC_LO: return vq ? (uint32_t)vq->desc_gpa : 0;
	case R_DESC_HI: return vq ? (uint32_t)(vq->desc_gpa >> 32) : 0;
	case R_DRIVER_LO: return vq ? (uint32_t)vq->avail_gpa : 0;
	case R_DRIVER_HI: return vq ? (uint32_t)(vq->avail_gpa >> 32) : 0;
	case R_DEVICE_LO: return vq ? (uint32_t)vq->used_gpa : 0;
	case R_DEVICE_HI: return vq ? (uint32_t)(vq->used_gpa >> 32) : 0;
	case R_SHM_LEN_LO: case R_SHM_LEN_HI: return 0xffffffff; /* no shared memory regions */
	case R_SHM_BASE_LO: case R_SHM_BASE_HI: return 0xffffffff;
	case R_CONFIG_GEN: return __atomic_load_n(&vd->config_gen, __ATOMIC_ACQUIRE);
	default: return 0;
	}
}

static void reg_write_locked(struct virtio_mmio *t, uint64_t off, uint32_t val)
{
	struct virtio_dev *vd = t->vd;
	struct virtq *vq = virtio_dev_queue(vd, t->queue_sel);
	int can_cfg = vq && !vq->enabled; /* ring registers are frozen while the queue runs */
	switch (off) {
	case R_DEV_FEATURES_SEL: t->dfsel = val; break;
	case R_DRV_FEATURES_SEL: t->gfsel = val; break;
	case R_DRV_FEATURES:
		if (!(virtio_dev_get_status(vd) & VIRTIO_STATUS_FEATURES_OK) && t->gfsel < 2)
			set_half(&vd->driver_features, (int)t->gfsel, val);
		break;
	case R_QUEUE_SEL: t->queue_sel = val; break;
	case R_QUEUE_NUM: if (can_cfg) vq->size = (uint16_t)(val > 0xffff ? 0 : val); break;
	case R_QUEUE_READY:
		if (vq && val == 1 && !vq->enabled && !vq->broken)
			virtq_enable(vq); /* failure already set NEEDS_RESET */
		else if (vq && val == 0)
			virtq_disable(vq); /* the device side drops what it holds for it in virtio_dev_sync */
		break;
	case R_DESC_LO: case R_DESC_HI: if (can_cfg) set_half(&vq->desc_gpa, off == R_DESC_HI, val); break;
	case R_DRIVER_LO: case R_DRIVER_HI: if (can_cfg) set_half(&vq->avail_gpa, off == R_DRIVER_HI, val); break;
	case R_DEVICE_LO: case R_DEVICE_HI: if (can_cfg) set_half(&vq->used_gpa, off == R_DEVICE_HI, val); break;
	default: break;
	}
}

/* vCPU threads: only vd->reg_lock, which is never held across I/O. */
static void vmmio_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct virtio_mmio *t = opaque;
	struct virtio_dev *vd = t->vd;
	memset(data, 0, size);
	if (off >= MMIO_CONFIG) {
		if (off - MMIO_CONFIG + size <= vd->config_len)
			vd->ops->config_read(vd, (unsigned)(off - MMIO_CONFIG), data, size);
		return;
	}
	if (size != 4 || (off & 3))
		return; /* registers are 32-bit only */
	uint32_t v;
	if (off == R_INT_STATUS) { /* read in every interrupt handler: no lock at all */
		v = __atomic_load_n(&t->int_status, __ATOMIC_ACQUIRE);
	} else {
		pthread_mutex_lock(&vd->reg_lock);
		v = reg_read_locked(t, off);
		pthread_mutex_unlock(&vd->reg_lock);
	}
	memcpy(data, &v, 4);
}

static void vmmio_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct virtio_mmio *t = opaque;
	struct virtio_dev *vd = t->vd;
	uint32_t v;
	if (off >= MMIO_CONFIG) {
		if (off - MMIO_CONFIG + size <= vd->config_len && vd->ops->config_write)
			vd->ops->config_write(vd, (unsigned)(off - MMIO_CONFIG), data, size);
		return;
	}
	if (size != 4 || (off & 3))
		return;
	memcpy(&v, data, 4);
	switch (off) {
	case R_QUEUE_NOTIFY: /* only reached without an ioeventfd for this queue */
		virtio_dev_notify(vd, v);
		return;
	case R_INT_ACK:
		__atomic_fetch_and(&t->int_status, ~v, __ATOMIC_ACQ_REL);
		return;
	}
	pthread_mutex_lock(&vd->reg_lock);
	uint32_t seq = vd->reg_seq;
	if (off == R_STATUS) {
		/* a reset is complete for the driver at once: Linux programs the queues right after */
		virtio_dev_set_status_locked(vd, v);
		if (!(v & 0xff)) {
			t->dfsel = t->gfsel = t->queue_sel = 0;
			__atomic_store_n(&t->int_status, 0, __ATOMIC_RELEASE);
		}
	} else {
		reg_write_locked(t, off, v);
	}
	int changed = vd->reg_seq != seq;
	pthread_mutex_unlock(&vd->reg_lock);
	if (changed)
		virtio_dev_poke(vd);
}

static const struct bus_ops vmmio_ops = { vmmio_read, vmmio_write };

static void ioev_set(struct virtio_mmio *t, int assign)
{
	struct virtio_dev *vd = t->vd;
	const struct vm_hooks *h = vd->env.hooks;
	if (!h || !h->ioeventfd || !vd->io)
		return;
	for (unsigned q = 0; q < vd->num_queues; q++) {
		int r = h->ioeventfd(vd->env.hooks_opaque, t->base + R_QUEUE_NOTIFY, 4, 0, (int64_t)q,
				     virtio_dev_kick_fd(vd, q), assign);
		if (r < 0 && assign)
			kv_err(r, "%s: ioeventfd for queue %u (kicks will exit to the VMM)", vd->name, q);
	}
}

static void vmmio_destroy(struct virtio_dev *vd)
{
	struct virtio_mmio *t = vmmio_of(vd);
	if (!t)
		return;
	bus_unregister(t->bus, t->base, t);
	if (t->ioev)
		ioev_set(t, 0);
	free(t);
}

/* ---- saved state: dfsel gfsel queue_sel int_status (u32) ---- */

static void vmmio_state_save(struct virtio_dev *vd, struct state_writer *w)
{
	struct virtio_mmio *t = vmmio_of(vd);
	pthread_mutex_lock(&vd->reg_lock);
	state_put_u32(w, t->dfsel);
	state_put_u32(w, t->gfsel);
	state_put_u32(w, t->queue_sel);
	state_put_u32(w, __atomic_load_n(&t->int_status, __ATOMIC_ACQUIRE));
	pthread_mutex_unlock(&vd->reg_lock);
}

static int vmmio_state_load(struct virtio_dev *vd, struct state_reader *r, int apply)
{
	struct virtio_mmio *t = vmmio_of(vd);
	uint32_t dfs = state_get_u32(r), gfs = state_get_u32(r), qsel = state_get_u32(r), isr = state_get_u32(r);
	if (r->err)
		return r->err;
	if (isr > 3)
		return -EINVAL;
	if (apply) { /* an edge already sent is the irqchip's state, not ours */
		pthread_mutex_lock(&vd->reg_lock);
		t->dfsel = dfs;
		t->gfsel = gfs;
		t->queue_sel = qsel;
		__atomic_store_n(&t->int_status, isr, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&vd->reg_lock);
	}
	return 0;
}

static const struct virtio_transport_ops vmmio_tops = {
	.signal_queue = vmmio_signal_queue,
	.signal_config = vmmio_signal_config,
	.destroy = vmmio_destroy,
	.state_save = vmmio_state_save,
	.state_load = vmmio_state_load,
};

int virtio_mmio_create(struct virtio_dev *vd, struct bus *mmio, uint64_t base, unsigned gsi,
		       const struct virtio_env *env)
{
	if (!mmio || (base & (MMIO_SIZE - 1)) || vd->config_len > MMIO_SIZE - MMIO_CONFIG)
		return -EINVAL;
	struct virtio_mmio *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int r = virtio_dev_setup(vd, env);
	if (r < 0) {
		free(t);
		return r;
	}
	t->vd = vd;
	t->bus = mmio;
	t->base = base;
	t->irq = (struct irq_line){ .hooks = env->hooks, .opaque = env->hooks_opaque, .gsi = gsi };
	r = bus_register(mmio, base, MMIO_SIZE, &vmmio_ops, t, vd->name);
	if (r < 0) {
		virtio_dev_destroy(vd);
		free(t);
		return r;
	}
	vd->transport = t;
	vd->tops = &vmmio_tops;
	ioev_set(t, 1);
	t->ioev = 1;
	return 0;
}
