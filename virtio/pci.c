// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-pci modern transport (virtio 1.2 §4.1): one 64-bit memory BAR holds the common, ISR,
 * device and notify structures plus the MSI-X table and PBA. Queue kicks become ioeventfds on the
 * notify addresses; interrupts go out as MSI-X through one irqfd per vector, else INTx + ISR. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/pci.h"
#include "devices/msix.h"
#include "virtio/queue.h"
#include "virtio/virtio.h"
#include "vmm/log.h"
#include "vmm/state.h"

#define VPCI_BAR 0
#define VPCI_BAR_SIZE 0x8000
#define VPCI_COMMON 0x0000
#define VPCI_COMMON_LEN 0x40
#define VPCI_ISR 0x1000
#define VPCI_DEVICE 0x2000
#define VPCI_DEVICE_LEN 0x1000
#define VPCI_NOTIFY 0x3000
#define VPCI_NOTIFY_MULT 4 /* queue q kicks at VPCI_NOTIFY + 4 * q */
#define VPCI_MSIX_TABLE 0x4000
#define VPCI_MSIX_PBA 0x5000

#define CAP_VENDOR 0x09
#define CFG_COMMON 1
#define CFG_NOTIFY 2
#define CFG_ISR 3
#define CFG_DEVICE 4

struct virtio_pci {
	struct pci_dev pci;
	struct virtio_dev *vd;
	struct msix msix;
	/* common cfg registers that are pure transport state (under vd->reg_lock) */
	uint32_t dfselect, gfselect;
	uint16_t queue_sel;
	uint16_t msix_config; /* read by signal paths with __atomic */
	uint32_t isr; /* under msix.lock: bit 0 queue, bit 1 config */
	uint64_t ioev_addr; /* BAR address our ioeventfds are registered at; 0 = none */
	uint64_t ioev_ok_mask; /* queues whose ioeventfd is registered there */
	uint8_t ioev_len[VIRTIO_MAX_QUEUES]; /* the length each was registered with */
	int ioev_ok; /* every queue's ioeventfd is in place (read without the lock: a hint) */
};

static struct virtio_pci *vpci_of(struct virtio_dev *vd) { return vd->transport; }

/* ---- interrupts ---- */

static void intx_update_locked(struct virtio_pci *t)
{
	int disabled = t->pci.cfg[5] & 0x04; /* command register bit 10: INTx disable */
	irq_set(&t->pci.intx, t->isr && !disabled);
}

static void vpci_signal(struct virtio_pci *t, unsigned vector, uint32_t isr_bit)
{
	if (msix_enabled(&t->msix)) {
		if (vector != VIRTIO_NO_VECTOR)
			msix_signal(&t->msix, vector);
		return;
	}
	pthread_mutex_lock(&t->msix.lock);
	t->isr |= isr_bit;
	intx_update_locked(t);
	pthread_mutex_unlock(&t->msix.lock);
}

static void vpci_signal_queue(struct virtio_dev *vd, unsigned qidx)
{
	vpci_signal(vpci_of(vd), __atomic_load_n(&vd->vq[qidx].msix_vector, __ATOMIC_RELAXED), 1);
}

static void vpci_signal_config(struct virtio_dev *vd)
{
	struct virtio_pci *t = vpci_of(vd);
	vpci_signal(t, __atomic_load_n(&t->msix_config, __ATOMIC_ACQUIRE), 2);
}

/* ---- ioeventfds follow the BAR wherever the guest puts it ---- */

/* len 0 first: KVM then matches any write width and, on Intel, takes the fast MMIO path without
 * decoding the instruction; 2 (what Linux writes) if the VM refuses that. */
static int ioev_assign(struct virtio_pci *t, uint64_t bar, unsigned q, int assign)
{
	struct virtio_dev *vd = t->vd;
	const struct vm_hooks *h = vd->env.hooks;
	uint64_t addr = bar + VPCI_NOTIFY + VPCI_NOTIFY_MULT * q;
	int efd = virtio_dev_kick_fd(vd, q);
	if (!assign)
		return h->ioeventfd(vd->env.hooks_opaque, addr, t->ioev_len[q], 0, -1, efd, 0);
	t->ioev_len[q] = 0;
	int r = h->ioeventfd(vd->env.hooks_opaque, addr, 0, 0, -1, efd, 1);
	if (r < 0) {
		t->ioev_len[q] = 2;
		r = h->ioeventfd(vd->env.hooks_opaque, addr, 2, 0, -1, efd, 1);
	}
	return r;
}

static void ioev_sync_locked(struct virtio_pci *t)
{
	struct virtio_dev *vd = t->vd;
	const struct vm_hooks *h = vd->env.hooks;
	const struct pci_bar *b = &t->pci.bar[VPCI_BAR];
	uint64_t want = b->mapped ? b->addr : 0;
	if (!h || !h->ioeventfd || !vd->io || want == t->ioev_addr)
		return;
	for (unsigned q = 0; t->ioev_addr && q < vd->num_queues; q++)
		if (t->ioev_ok_mask >> q & 1)
			ioev_assign(t, t->ioev_addr, q, 0);
	t->ioev_addr = want;
	t->ioev_ok_mask = 0;
	__atomic_store_n(&t->ioev_ok, 0, __ATOMIC_RELAXED);
	if (!want)
		return;
	for (unsigned q = 0; q < vd->num_queues; q++) {
		int r = ioev_assign(t, want, q, 1);
		if (r < 0)
			kv_err(r, "%s: ioeventfd for queue %u (kicks will exit to the VMM)", vd->name, q);
		else
			t->ioev_ok_mask |= 1ULL << q;
	}
	__atomic_store_n(&t->ioev_ok, t->ioev_ok_mask == (~0ULL >> (64 - vd->num_queues)), __ATOMIC_RELAXED);
}

static void vpci_cfg_written(struct pci_dev *d, unsigned off, unsigned size)
{
	struct virtio_pci *t = d->opaque;
	if (off < 0x28 && off + size > 0x04) { /* command register or BARs */
		pthread_mutex_lock(&t->vd->reg_lock);
		ioev_sync_locked(t);
		pthread_mutex_unlock(&t->vd->reg_lock);
		pthread_mutex_lock(&t->msix.lock);
		intx_update_locked(t);
		pthread_mutex_unlock(&t->msix.lock);
	}
	msix_cfg_written(&t->msix, d, off, size);
}

/* ---- common configuration ---- */

static void common_snapshot(struct virtio_pci *t, uint8_t *b)
{
	struct virtio_dev *vd = t->vd;
	uint64_t f = virtio_dev_features(vd);
	uint32_t v32;
	uint16_t v16;
	memset(b, 0, VPCI_COMMON_LEN);
	memcpy(b + 0x00, &t->dfselect, 4);
	v32 = t->dfselect == 0 ? (uint32_t)f : t->dfselect == 1 ? (uint32_t)(f >> 32) : 0;
	memcpy(b + 0x04, &v32, 4);
	memcpy(b + 0x08, &t->gfselect, 4);
	v32 = t->gfselect == 0 ? (uint32_t)vd->driver_features
	      : t->gfselect == 1 ? (uint32_t)(vd->driver_features >> 32) : 0;
	memcpy(b + 0x0c, &v32, 4);
	memcpy(b + 0x10, &t->msix_config, 2);
	v16 = (uint16_t)vd->num_queues;
	memcpy(b + 0x12, &v16, 2);
	uint32_t st = virtio_dev_get_status(vd);
	/* a reset has finished once the device side caught up (Linux polls for 0 after writing 0) */
	if (!st && virtio_dev_reset_pending(vd))
		st = vd->status_at_reset;
	b[0x14] = (uint8_t)st;
	b[0x15] = (uint8_t)__atomic_load_n(&vd->config_gen, __ATOMIC_ACQUIRE);
	memcpy(b + 0x16, &t->queue_sel, 2);
	struct virtq *vq = virtio_dev_queue(vd, t->queue_sel);
	if (!vq)
		return; /* queue_size 0 tells the driver the queue does not exist */
	memcpy(b + 0x18, &vq->size, 2);
	memcpy(b + 0x1a, &vq->msix_vector, 2);
	v16 = (uint16_t)vq->enabled;
	memcpy(b + 0x1c, &v16, 2);
	v16 = t->queue_sel; /* queue_notify_off: the queue's own index */
	memcpy(b + 0x1e, &v16, 2);
	memcpy(b + 0x20, &vq->desc_gpa, 8);
	memcpy(b + 0x28, &vq->avail_gpa, 8);
	memcpy(b + 0x30, &vq->used_gpa, 8);
	memcpy(b + 0x38, &t->queue_sel, 2); /* queue_notify_data */
}

static uint16_t vector_ok(const struct virtio_pci *t, uint16_t v)
{
	return v < t->msix.nvec ? v : VIRTIO_NO_VECTOR;
}

/* Applies the field at off (of width w) from the updated snapshot b; vd->reg_lock held. */
static void common_apply(struct virtio_pci *t, const uint8_t *b, unsigned off)
{
	struct virtio_dev *vd = t->vd;
	struct virtq *vq = virtio_dev_queue(vd, t->queue_sel);
	uint32_t v32;
	uint16_t v16;
	memcpy(&v32, b + (off & ~3u), 4);
	memcpy(&v16, b + (off & ~1u), 2);
	switch (off) {
	case 0x00: t->dfselect = v32; break;
	case 0x08: t->gfselect = v32; break;
	case 0x0c:
		if (virtio_dev_get_status(vd) & VIRTIO_STATUS_FEATURES_OK)
			break; /* negotiation is over */
		if (t->gfselect == 0)
			vd->driver_features = (vd->driver_features & ~0xffffffffULL) | v32;
		else if (t->gfselect == 1)
			vd->driver_features = (vd->driver_features & 0xffffffffULL) | (uint64_t)v32 << 32;
		break;
	case 0x10: __atomic_store_n(&t->msix_config, vector_ok(t, v16), __ATOMIC_RELEASE); break;
	case 0x16: t->queue_sel = v16; break;
	case 0x18: if (vq && !vq->enabled) vq->size = v16; break;
	case 0x1a: if (vq) __atomic_store_n(&vq->msix_vector, vector_ok(t, v16), __ATOMIC_RELAXED); break;
	case 0x1c:
		if (vq && v16 == 1 && !vq->enabled && !vq->broken)
			virtq_enable(vq); /* failure already set NEEDS_RESET */
		break;
	case 0x20: case 0x24: if (vq && !vq->enabled) memcpy(&vq->desc_gpa, b + 0x20, 8); break;
	case 0x28: case 0x2c: if (vq && !vq->enabled) memcpy(&vq->avail_gpa, b + 0x28, 8); break;
	case 0x30: case 0x34: if (vq && !vq->enabled) memcpy(&vq->used_gpa, b + 0x30, 8); break;
	default: break; /* read-only fields */
	}
}

static void common_write(struct virtio_pci *t, uint64_t off, const void *data, unsigned size)
{
	struct virtio_dev *vd = t->vd;
	uint8_t b[VPCI_COMMON_LEN];
	if (off + size > VPCI_COMMON_LEN)
		return;
	pthread_mutex_lock(&vd->reg_lock);
	uint32_t seq = vd->reg_seq;
	int reset = 0;
	if (off == 0x14) { /* device_status */
		uint8_t st = *(const uint8_t *)data;
		virtio_dev_set_status_locked(vd, st);
		if (!st) { /* transport part of a reset */
			t->dfselect = t->gfselect = 0;
			t->queue_sel = 0;
			__atomic_store_n(&t->msix_config, VIRTIO_NO_VECTOR, __ATOMIC_RELEASE);
			reset = 1;
		}
	} else {
		common_snapshot(t, b);
		memcpy(b + off, data, size);
		/* every field the write touched, at its natural alignment (a 64-bit write hits lo and hi) */
		static const uint8_t fields[] = { 0x00, 0x08, 0x0c, 0x10, 0x16, 0x18, 0x1a, 0x1c, 0x20, 0x24, 0x28, 0x2c, 0x30, 0x34 };
		for (unsigned i = 0; i < sizeof(fields); i++)
			if (fields[i] >= off && fields[i] < off + size)
				common_apply(t, b, fields[i]);
	}
	int changed = vd->reg_seq != seq;
	pthread_mutex_unlock(&vd->reg_lock);
	if (reset) {
		pthread_mutex_lock(&t->msix.lock);
		t->isr = 0;
		intx_update_locked(t);
		pthread_mutex_unlock(&t->msix.lock);
	}
	if (changed)
		virtio_dev_poke(vd);
}

/* ---- the BAR ---- */

static void vpci_bar_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct virtio_pci *t = opaque;
	struct virtio_dev *vd = t->vd;
	memset(data, 0, size);
	if (off + size <= VPCI_COMMON + VPCI_COMMON_LEN) {
		uint8_t b[VPCI_COMMON_LEN];
		pthread_mutex_lock(&vd->reg_lock); /* never held across I/O */
		common_snapshot(t, b);
		pthread_mutex_unlock(&vd->reg_lock);
		memcpy(data, b + off, size);
	} else if (off == VPCI_ISR) { /* read-to-clear, deasserts INTx */
		pthread_mutex_lock(&t->msix.lock);
		*(uint8_t *)data = (uint8_t)t->isr;
		t->isr = 0;
		intx_update_locked(t);
		pthread_mutex_unlock(&t->msix.lock);
	} else if (off >= VPCI_DEVICE && off + size <= VPCI_DEVICE + vd->config_len) {
		vd->ops->config_read(vd, (unsigned)(off - VPCI_DEVICE), data, size);
	} else if (off >= VPCI_MSIX_TABLE && off < VPCI_MSIX_PBA + 0x1000) {
		msix_mmio_read(&t->msix, off - VPCI_MSIX_TABLE, data, size);
	}
}

static void vpci_bar_write(void *opaque, uint64_t off, const void *data, unsigned size)
{
	struct virtio_pci *t = opaque;
	struct virtio_dev *vd = t->vd;
	if (off + size <= VPCI_COMMON + VPCI_COMMON_LEN) {
		common_write(t, off - VPCI_COMMON, data, size);
	} else if (off >= VPCI_DEVICE && off + size <= VPCI_DEVICE + vd->config_len) {
		if (vd->ops->config_write)
			vd->ops->config_write(vd, (unsigned)(off - VPCI_DEVICE), data, size);
	} else if (off >= VPCI_NOTIFY && off < VPCI_NOTIFY + VPCI_NOTIFY_MULT * vd->num_queues) {
		/* no ioeventfd caught this kick: make sure they follow the BAR, then hand it over */
		if (!__atomic_load_n(&t->ioev_ok, __ATOMIC_RELAXED)) {
			pthread_mutex_lock(&vd->reg_lock);
			ioev_sync_locked(t);
			pthread_mutex_unlock(&vd->reg_lock);
		}
		virtio_dev_notify(vd, (unsigned)(off - VPCI_NOTIFY) / VPCI_NOTIFY_MULT);
	} else if (off >= VPCI_MSIX_TABLE && off < VPCI_MSIX_PBA + 0x1000) {
		msix_mmio_write(&t->msix, off - VPCI_MSIX_TABLE, data, size);
	}
}

static const struct bus_ops vpci_bar_ops = { vpci_bar_read, vpci_bar_write };

/* ---- capabilities and creation ---- */

static int add_vcap(struct pci_dev *d, uint8_t type, uint32_t off, uint32_t len, int notify)
{
	uint8_t cap[20] = { 0 };
	cap[0] = CAP_VENDOR;
	cap[2] = notify ? 20 : 16;
	cap[3] = type;
	cap[4] = VPCI_BAR;
	memcpy(cap + 8, &off, 4);
	memcpy(cap + 12, &len, 4);
	if (notify) {
		uint32_t mult = VPCI_NOTIFY_MULT;
		memcpy(cap + 16, &mult, 4);
	}
	return pci_dev_add_cap(d, cap, cap[2]);
}

static void vpci_destroy(struct virtio_dev *vd)
{
	struct virtio_pci *t = vpci_of(vd);
	if (!t)
		return;
	for (unsigned q = 0; t->ioev_addr && q < vd->num_queues; q++)
		if (t->ioev_ok_mask >> q & 1)
			ioev_assign(t, t->ioev_addr, q, 0);
	msix_destroy(&t->msix);
	free(t);
}

/* ---- saved state: config space, MSI-X, then dfselect gfselect (u32) queue_sel msix_config (u16)
 * isr (u8) ---- */

static void vpci_state_save(struct virtio_dev *vd, struct state_writer *w)
{
	struct virtio_pci *t = vpci_of(vd);
	pci_dev_state_save(&t->pci, w); /* vCPUs are stopped: nobody writes config space */
	msix_state_save(&t->msix, w);
	pthread_mutex_lock(&vd->reg_lock);
	state_put_u32(w, t->dfselect);
	state_put_u32(w, t->gfselect);
	state_put_u16(w, t->queue_sel);
	state_put_u16(w, __atomic_load_n(&t->msix_config, __ATOMIC_ACQUIRE));
	pthread_mutex_unlock(&vd->reg_lock);
	pthread_mutex_lock(&t->msix.lock);
	state_put_u8(w, (uint8_t)t->isr);
	pthread_mutex_unlock(&t->msix.lock);
}

static int vpci_state_load(struct virtio_dev *vd, struct state_reader *r, int apply)
{
	struct virtio_pci *t = vpci_of(vd);
	/* config space first: MSI-X takes its enable and function mask from it when applied */
	int e = pci_dev_state_load(&t->pci, r, apply);
	if (!e)
		e = msix_state_load(&t->msix, &t->pci, r, apply);
	uint32_t dfs = state_get_u32(r), gfs = state_get_u32(r);
	uint16_t qsel = state_get_u16(r), mcfg = state_get_u16(r);
	uint8_t isr = state_get_u8(r);
	if (e || r->err)
		return e ? e : r->err;
	if ((mcfg != VIRTIO_NO_VECTOR && mcfg >= t->msix.nvec) || isr > 3)
		return -EINVAL;
	if (!apply)
		return 0;
	pthread_mutex_lock(&vd->reg_lock);
	t->dfselect = dfs;
	t->gfselect = gfs;
	t->queue_sel = qsel;
	__atomic_store_n(&t->msix_config, mcfg, __ATOMIC_RELEASE);
	ioev_sync_locked(t); /* the BAR may have moved */
	pthread_mutex_unlock(&vd->reg_lock);
	pthread_mutex_lock(&t->msix.lock);
	t->isr = isr;
	intx_update_locked(t);
	pthread_mutex_unlock(&t->msix.lock);
	return 0;
}

static unsigned vpci_nr_vectors(struct virtio_dev *vd) { return vpci_of(vd)->msix.nvec; }

static const struct virtio_transport_ops vpci_tops = {
	.signal_queue = vpci_signal_queue,
	.signal_config = vpci_signal_config,
	.destroy = vpci_destroy,
	.state_save = vpci_state_save,
	.state_load = vpci_state_load,
	.nr_vectors = vpci_nr_vectors,
};

int virtio_pci_create(struct virtio_dev *vd, struct pci_host *h, const struct virtio_env *env)
{
	if (vd->config_len > VPCI_DEVICE_LEN || vd->num_queues + 1 > MSIX_MAX_VECTORS)
		return -EINVAL;
	struct virtio_pci *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int r = virtio_dev_setup(vd, env);
	if (r < 0) {
		free(t);
		return r;
	}
	t->vd = vd;
	t->msix_config = VIRTIO_NO_VECTOR;
	vd->transport = t;
	vd->tops = &vpci_tops;

	struct pci_dev *d = &t->pci;
	pci_dev_init(d, vd->name, 0x1af4, (uint16_t)(0x1040 + vd->device_id), vd->pci_class, 0x1af4, 0x1100);
	d->cfg[0x08] = 1; /* revision 1: modern only */
	d->cfg[0x3d] = 1; /* INTA# */
	d->opaque = t;
	d->cfg_written = vpci_cfg_written;
	if ((r = pci_dev_set_bar(d, VPCI_BAR, VPCI_BAR_SIZE, 0, 1, &vpci_bar_ops, t)) < 0)
		goto fail;
	if ((r = add_vcap(d, CFG_COMMON, VPCI_COMMON, VPCI_COMMON_LEN, 0)) < 0 ||
	    (r = add_vcap(d, CFG_NOTIFY, VPCI_NOTIFY, VPCI_NOTIFY_MULT * vd->num_queues, 1)) < 0 ||
	    (r = add_vcap(d, CFG_ISR, VPCI_ISR, 4, 0)) < 0 ||
	    (vd->config_len && (r = add_vcap(d, CFG_DEVICE, VPCI_DEVICE, vd->config_len, 0)) < 0))
		goto fail;
	r = msix_init(&t->msix, d, vd->num_queues + 1, VPCI_BAR, VPCI_MSIX_TABLE, VPCI_MSIX_PBA, env->hooks,
		      env->hooks_opaque);
	if (r < 0)
		goto fail;
	if (h && (r = pci_host_add(h, d)) < 0)
		goto fail;
	pthread_mutex_lock(&vd->reg_lock);
	ioev_sync_locked(t);
	pthread_mutex_unlock(&vd->reg_lock);
	return 0;
fail:
	virtio_dev_destroy(vd);
	return r;
}

struct pci_dev *virtio_pci_dev(struct virtio_dev *vd)
{
	struct virtio_pci *t = vpci_of(vd);
	return t ? &t->pci : NULL;
}
