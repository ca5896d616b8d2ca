/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Split virtqueues (virtio 1.2 §2.7): the guest-facing rings, read only through gmem and validated
 * on every use. Any rule the driver breaks marks the queue broken and the device NEEDS_RESET; the
 * queue then yields nothing until a device reset. Supports INDIRECT_DESC and EVENT_IDX.
 *
 * A device's handle_queue typically does:
 *     struct virtq_chain *c = ...;            // ~16 KiB, keep one per queue, not on a small stack
 *     int r;
 *     while ((r = virtq_pop(vq, c)) > 0) {
 *             ... read c->iov[0..nr_read), write c->iov[nr_read..nr_read+nr_write) ...
 *             virtq_push(vq, c->head, bytes_written);
 *     }
 *     virtq_notify(vq);                       // one interrupt for the batch, unless suppressed
 */
#ifndef KVMINI_VIRTIO_QUEUE_H
#define KVMINI_VIRTIO_QUEUE_H
#include <stdint.h>
#include <sys/uio.h>

#include "virtio/virtio.h"

#define VIRTQ_MAX_SIZE 1024 /* largest queue (and longest chain, indirect included) we accept */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* guest ring layouts (little-endian; x86 hosts only) */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq {
	struct virtio_dev *vd;
	unsigned idx;
	/* registers the driver programs (through the transport, under vd->reg_lock) */
	uint16_t size;
	uint16_t msix_vector; /* __atomic: signal paths read it without the lock */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	int enabled; /* QueueReady / queue_enable as the driver sees it */
	uint32_t enable_gen; /* bumped by every enable and take-down */
	/* device side (vd->lock): the rings as mapped by virtq_map for enable_gen live_gen */
	int live;
	uint32_t live_gen;
	uint8_t *desc; /* size * 16 */
	uint8_t *avail; /* flags, idx, ring[size], used_event */
	uint8_t *used; /* flags, idx, {id, len}[size], avail_event */
	uint16_t ring_size; /* size as mapped */
	int event_idx, indirect;
	uint16_t last_avail; /* next avail ring entry to consume */
	uint16_t used_idx; /* our shadow of used->idx */
	uint16_t signalled_used; /* used_idx at the last interrupt, for EVENT_IDX */
	int signalled_valid;
	int pushed; /* used entries added since the last virtq_should_notify */
	int notify_off; /* 1 while the device suppresses guest kicks (virtq_disable_notify) */
	int broken; /* the driver broke a rule: nothing more until reset */
};

/* One popped descriptor chain: iov[0..nr_read) are device-readable, then nr_write device-writable
 * buffers, all host pointers into guest RAM. */
struct virtq_chain {
	uint16_t head;
	unsigned nr_read, nr_write;
	uint64_t read_len, write_len;
	struct iovec iov[VIRTQ_MAX_SIZE];
};

/* Register side (vd->reg_lock held). Back to the reset state: disabled, size = queue_max, no
 * vector, addresses 0. The device side is left alone (virtq_stop does it). */
void virtq_reset(struct virtq *vq, struct virtio_dev *vd, unsigned idx);
/* The driver enabled the queue: validates size and ring addresses. On a violation the device
 * NEEDS_RESET and -EINVAL is returned; else the queue is enabled for virtio_dev_sync to map. */
int virtq_enable(struct virtq *vq);
/* The driver took the queue down (virtio-mmio QueueReady = 0). */
void virtq_disable(struct virtq *vq);

/* Device side (vd->lock held; virtio_dev_sync calls these). Maps the rings the registers name (and
 * reg_lock held for that), or forgets them. */
void virtq_map(struct virtq *vq);
void virtq_stop(struct virtq *vq);
/* Mapped and not broken. */
static inline int virtq_ready(const struct virtq *vq) { return vq->live && !vq->broken; }
/* Mapped for what the driver programmed last, with no reset pending: the rings are the driver's
 * current ones. reg_lock held. */
int virtq_current_locked(const struct virtq *vq);

/* Ring accesses below take vd->reg_lock briefly and do nothing (-EIO, 0) once the rings are stale.
 * 1 with a chain in c, 0 when the ring is empty, -EINVAL when the driver broke a rule (the device
 * then NEEDS_RESET) or -EIO when the queue is not ready. */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);
/* Gives back the chain popped last (e.g. a net rx chain too small for the packet). */
void virtq_unpop(struct virtq *vq);
/* Returns chain head to the driver with len bytes written into its writable part. */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for what was pushed since the last call (0 if nothing
 * was; updates the EVENT_IDX bookkeeping, so call it once per interrupt actually sent). */
int virtq_should_notify(struct virtq *vq);
/* Raises the queue's interrupt through the transport if virtq_should_notify(). */
void virtq_notify(struct virtq *vq);
/* Optional kick suppression while busy: disable before draining, then enable; enable returns 1 if
 * buffers arrived meanwhile (drain again) so no kick is lost. */
void virtq_disable_notify(struct virtq *vq);
int virtq_enable_notify(struct virtq *vq);

/* Saved state of one queue (the device is paused: the device side has caught up). Payload: size,
 * msix_vector (u16), desc/avail/used (u64), enabled (u8), last_avail, used_idx, signalled_used
 * (u16), signalled_valid, notify_off, broken (u8). apply 0 only checks: an enabled queue's size and
 * rings must pass what virtq_enable checks (against guest RAM), vectors must be below nvec or
 * VIRTIO_NO_VECTOR. apply 1 (reg_lock and vd->lock held, vd->negotiated final) installs it: an
 * enabled queue is mapped and goes on from the saved ring positions. */
struct state_writer;
struct state_reader;
void virtq_state_save(const struct virtq *vq, struct state_writer *w);
int virtq_state_load(struct virtq *vq, struct state_reader *r, unsigned nvec, int apply);

/* EVENT_IDX: does moving the index from old to new_idx cross event? (virtio 1.2 §2.7.10) */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Byte helpers over a chain's iovecs: copy from the readable part / into the writable part
 * starting at byte off of that part. Return bytes copied. */
uint64_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *buf, uint64_t len);
uint64_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *buf, uint64_t len);

#endif
