// SPDX-License-Identifier: GPL-2.0-or-later
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "vmm/state.h"

/* ring offsets (split virtqueue layout, virtio 1.2 §2.7) */
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_FLAGS 0
#define USED_IDX 2
#define USED_RING 4

static inline uint16_t *u16_at(uint8_t *base, uint64_t off) { return (uint16_t *)(void *)(base + off); }
static inline uint32_t *u32_at(uint8_t *base, uint64_t off) { return (uint32_t *)(void *)(base + off); }

/* The guest writes these rings concurrently: every shared field is read once, atomically. */
static inline uint16_t ld16(uint8_t *base, uint64_t off, int order)
{
	return __atomic_load_n(u16_at(base, off), order);
}
static inline void st16(uint8_t *base, uint64_t off, uint16_t v, int order)
{
	__atomic_store_n(u16_at(base, off), v, order);
}

/* Callers hold vd->reg_lock and have checked the queue is current. */
static int virtq_fail(struct virtq *vq, const char *why)
{
	vq->broken = 1;
	virtio_dev_needs_reset_locked(vq->vd, why);
	return -EINVAL;
}

void virtq_reset(struct virtq *vq, struct virtio_dev *vd, unsigned idx)
{
	vq->vd = vd;
	vq->idx = idx;
	vq->size = vd ? vd->queue_max : 0;
	__atomic_store_n(&vq->msix_vector, VIRTIO_NO_VECTOR, __ATOMIC_RELAXED);
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	if (vq->enabled)
		vq->enable_gen++;
	vq->enabled = 0;
}

/* Why the programmed rings cannot be used, or NULL; the host views go to the out pointers. */
static const char *ring_check(const struct virtq *vq, uint8_t **desc, uint8_t **avail, uint8_t **used)
{
	const struct gmem *m = vq->vd->env.mem;
	uint64_t n = vq->size;
	if (!n || (n & (n - 1)) || n > vq->vd->queue_max || n > VIRTQ_MAX_SIZE)
		return "queue size not a power of two within the maximum";
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return "misaligned ring address";
	*desc = m ? gmem_ptr(m, vq->desc_gpa, 16 * n) : NULL;
	*avail = m ? gmem_ptr(m, vq->avail_gpa, 6 + 2 * n) : NULL;
	*used = m ? gmem_ptr(m, vq->used_gpa, 6 + 8 * n) : NULL;
	if (!*desc || !*avail || !*used)
		return "ring outside guest RAM";
	return NULL;
}

int virtq_enable(struct virtq *vq)
{
	uint8_t *d, *a, *u;
	const char *why = ring_check(vq, &d, &a, &u);
	if (why) {
		virtio_dev_needs_reset_locked(vq->vd, why);
		return -EINVAL;
	}
	vq->enabled = 1;
	vq->enable_gen++;
	virtio_dev_reg_changed_locked(vq->vd);
	return 0;
}

void virtq_disable(struct virtq *vq)
{
	if (!vq->enabled)
		return;
	vq->enabled = 0;
	vq->enable_gen++;
	virtio_dev_reg_changed_locked(vq->vd);
}

void virtq_map(struct virtq *vq)
{
	const char *why = ring_check(vq, &vq->desc, &vq->avail, &vq->used);
	vq->live = 1;
	vq->live_gen = vq->enable_gen;
	vq->ring_size = vq->size;
	vq->event_idx = virtio_has_feature(vq->vd, VIRTIO_F_RING_EVENT_IDX);
	vq->indirect = virtio_has_feature(vq->vd, VIRTIO_F_RING_INDIRECT_DESC);
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = 0;
	vq->pushed = 0;
	vq->notify_off = 0;
	vq->broken = 0;
	if (why) /* checked at enable already: only if guest RAM changed since */
		virtq_fail(vq, why);
}

void virtq_stop(struct virtq *vq)
{
	vq->live = 0;
	vq->broken = 0;
	vq->desc = vq->avail = vq->used = NULL;
}

int virtq_current_locked(const struct virtq *vq)
{
	const struct virtio_dev *vd = vq->vd;
	return vq->live && vq->enabled && vq->live_gen == vq->enable_gen && vd->reset_gen == vd->applied_gen;
}

/* Enters a ring access: 1 with reg_lock held if the queue is ready and its rings current. */
static int ring_enter(struct virtq *vq)
{
	if (!virtq_ready(vq))
		return 0;
	pthread_mutex_lock(&vq->vd->reg_lock);
	if (virtq_current_locked(vq))
		return 1;
	pthread_mutex_unlock(&vq->vd->reg_lock);
	return 0;
}

static void ring_leave(struct virtq *vq) { pthread_mutex_unlock(&vq->vd->reg_lock); }

/* Copies descriptor i of a table of n entries: guest may rewrite it under us, so we use the copy. */
static void desc_load(const uint8_t *table, unsigned i, struct virtq_desc *d)
{
	memcpy(d, table + 16 * (uint64_t)i, sizeof(*d));
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* keep the compiler from re-reading guest memory */
}

/* Walks the chain starting at head into c, enforcing every rule of §2.7.5 and §2.7.5.3. */
static int chain_walk(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	const struct gmem *m = vq->vd->env.mem;
	const uint8_t *table = vq->desc;
	unsigned tsize = vq->ring_size, idx = head, hops = 0, n = 0;
	int in_indirect = 0;
	uint64_t total = 0, limit = vq->vd->max_chain_bytes ? vq->vd->max_chain_bytes : UINT32_MAX;
	struct virtq_desc d;

	c->head = head;
	c->nr_read = c->nr_write = 0;
	c->read_len = c->write_len = 0;
	for (;;) {
		if (hops++ >= tsize) /* longer than its table: a loop */
			return virtq_fail(vq, "descriptor chain loops");
		desc_load(table, idx, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return virtq_fail(vq, "indirect descriptor not negotiated");
			if (in_indirect)
				return virtq_fail(vq, "nested indirect descriptor");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return virtq_fail(vq, "indirect descriptor with NEXT");
			if (!d.len || d.len % 16 || d.len / 16 > VIRTQ_MAX_SIZE)
				return virtq_fail(vq, "bad indirect table length");
			table = gmem_ptr(m, d.addr, d.len);
			if (!table)
				return virtq_fail(vq, "indirect table outside guest RAM");
			tsize = d.len / 16;
			idx = 0;
			hops = 0;
			in_indirect = 1;
			continue;
		}
		if (!d.len)
			return virtq_fail(vq, "zero-length descriptor");
		/* only buffers the device writes are dirtied for a migration (vmm/gmem.h) */
		void *p = d.flags & VIRTQ_DESC_F_WRITE ? gmem_ptr(m, d.addr, d.len)
						       : (void *)gmem_ptr_ro(m, d.addr, d.len);
		if (!p)
			return virtq_fail(vq, "buffer outside guest RAM");
		total += d.len;
		if (total > limit)
			return virtq_fail(vq, "descriptor chain too long");
		if (n >= VIRTQ_MAX_SIZE)
			return virtq_fail(vq, "too many descriptors in chain");
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			c->nr_write++;
			c->write_len += d.len;
		} else {
			if (c->nr_write)
				return virtq_fail(vq, "device-readable descriptor after a writable one");
			c->nr_read++;
			c->read_len += d.len;
		}
		c->iov[n].iov_base = p;
		c->iov[n].iov_len = d.len;
		n++;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
		if (idx >= tsize)
			return virtq_fail(vq, "descriptor index out of range");
	}
}

static int pop_locked(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t size = vq->ring_size;
	/* acquire: the ring entries we read next were written before the idx was published */
	uint16_t avail_idx = ld16(vq->avail, AVAIL_IDX, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail) {
		if (!vq->event_idx || vq->notify_off)
			return 0;
		/* ask for a kick at the next buffer, then recheck: the driver may have added one
		 * after our read but before it could see avail_event */
		st16(vq->used, USED_RING + 8ULL * size, vq->last_avail, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = ld16(vq->avail, AVAIL_IDX, __ATOMIC_ACQUIRE);
		if (avail_idx == vq->last_avail)
			return 0;
	}
	if ((uint16_t)(avail_idx - vq->last_avail) > size)
		return virtq_fail(vq, "available index too far ahead");
	uint16_t head = ld16(vq->avail, AVAIL_RING + 2ULL * (vq->last_avail & (size - 1)), __ATOMIC_RELAXED);
	if (head >= size)
		return virtq_fail(vq, "descriptor head out of range");
	int r = chain_walk(vq, head, c);
	if (r < 0)
		return r;
	vq->last_avail++;
	if (vq->event_idx && !vq->notify_off)
		st16(vq->used, USED_RING + 8ULL * size, vq->last_avail, __ATOMIC_RELAXED);
	return 1;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	if (!ring_enter(vq))
		return -EIO;
	int r = pop_locked(vq, c);
	ring_leave(vq);
	return r;
}

void virtq_unpop(struct virtq *vq)
{
	vq->last_avail--;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	if (!ring_enter(vq))
		return -EIO;
	if (head >= vq->ring_size) {
		ring_leave(vq);
		return -EINVAL;
	}
	uint64_t slot = USED_RING + 8ULL * (vq->used_idx & (vq->ring_size - 1));
	__atomic_store_n(u32_at(vq->used, slot), (uint32_t)head, __ATOMIC_RELAXED);
	__atomic_store_n(u32_at(vq->used, slot + 4), len, __ATOMIC_RELAXED);
	vq->used_idx++;
	vq->pushed = 1;
	/* release: the element is visible before the index that publishes it */
	st16(vq->used, USED_IDX, vq->used_idx, __ATOMIC_RELEASE);
	ring_leave(vq);
	return 0;
}

int virtq_should_notify(struct virtq *vq)
{
	if (!vq->pushed || !ring_enter(vq))
		return 0; /* nothing new for the driver */
	vq->pushed = 0;
	/* the used idx store must be visible before we read the driver's suppression fields,
	 * or we could miss a driver that just re-enabled interrupts */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	int r;
	if (vq->event_idx) {
		uint16_t old = vq->signalled_used, now = vq->used_idx;
		int valid = vq->signalled_valid;
		uint16_t event = ld16(vq->avail, AVAIL_RING + 2ULL * vq->ring_size, __ATOMIC_RELAXED);
		vq->signalled_used = now;
		vq->signalled_valid = 1;
		r = !valid || virtq_need_event(event, now, old);
	} else {
		r = !(ld16(vq->avail, AVAIL_FLAGS, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	ring_leave(vq);
	return r;
}

void virtq_notify(struct virtq *vq)
{
	struct virtio_dev *vd = vq->vd;
	if (virtq_should_notify(vq) && vd->tops && vd->tops->signal_queue)
		vd->tops->signal_queue(vd, vq->idx);
}

void virtq_disable_notify(struct virtq *vq)
{
	if (!ring_enter(vq))
		return;
	vq->notify_off = 1;
	/* with EVENT_IDX leaving avail_event behind is enough: the driver already passed it */
	if (!vq->event_idx)
		st16(vq->used, USED_FLAGS, VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
	ring_leave(vq);
}

int virtq_enable_notify(struct virtq *vq)
{
	if (!ring_enter(vq))
		return 0;
	vq->notify_off = 0;
	if (vq->event_idx)
		st16(vq->used, USED_RING + 8ULL * vq->ring_size, vq->last_avail, __ATOMIC_RELAXED);
	else
		st16(vq->used, USED_FLAGS, 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	int r = ld16(vq->avail, AVAIL_IDX, __ATOMIC_ACQUIRE) != vq->last_avail;
	ring_leave(vq);
	return r;
}

uint64_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *buf, uint64_t len)
{
	uint64_t done = 0;
	for (unsigned i = 0; i < c->nr_read && done < len; i++) {
		uint64_t l = c->iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		uint64_t n = l - off < len - done ? l - off : len - done;
		memcpy((uint8_t *)buf + done, (uint8_t *)c->iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint64_t virtq_chain_write(const struct virtq_chain *c, uint64_t off, const void *buf, uint64_t len)
{
	uint64_t done = 0;
	for (unsigned i = c->nr_read; i < c->nr_read + c->nr_write && done < len; i++) {
		uint64_t l = c->iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		uint64_t n = l - off < len - done ? l - off : len - done;
		memcpy((uint8_t *)c->iov[i].iov_base + off, (const uint8_t *)buf + done, n);
		done += n;
		off = 0;
	}
	return done;
}

/* ---- saved state ---- */

void virtq_state_save(const struct virtq *vq, struct state_writer *w)
{
	state_put_u16(w, vq->size);
	state_put_u16(w, __atomic_load_n(&vq->msix_vector, __ATOMIC_RELAXED));
	state_put_u64(w, vq->desc_gpa);
	state_put_u64(w, vq->avail_gpa);
	state_put_u64(w, vq->used_gpa);
	state_put_u8(w, (uint8_t)!!vq->enabled);
	state_put_u16(w, vq->last_avail);
	state_put_u16(w, vq->used_idx);
	state_put_u16(w, vq->signalled_used);
	state_put_u8(w, (uint8_t)!!vq->signalled_valid);
	state_put_u8(w, (uint8_t)!!vq->notify_off);
	state_put_u8(w, (uint8_t)!!vq->broken);
}

int virtq_state_load(struct virtq *vq, struct state_reader *r, unsigned nvec, int apply)
{
	struct virtq q = *vq; /* the registers as saved, checked like a driver's */
	q.size = state_get_u16(r);
	uint16_t vec = state_get_u16(r);
	q.desc_gpa = state_get_u64(r);
	q.avail_gpa = state_get_u64(r);
	q.used_gpa = state_get_u64(r);
	int enabled = state_get_bool(r);
	uint16_t last_avail = state_get_u16(r), used_idx = state_get_u16(r), sig = state_get_u16(r);
	int sig_valid = state_get_bool(r), notify_off = state_get_bool(r), broken = state_get_bool(r);
	if (r->err)
		return r->err;
	uint8_t *d, *a, *u;
	if (vec != VIRTIO_NO_VECTOR && vec >= nvec)
		return -EINVAL;
	/* every chain popped was answered (paused) or is still held (net rx): at most a ring's worth */
	if (enabled && (ring_check(&q, &d, &a, &u) || (uint16_t)(last_avail - used_idx) > q.size))
		return -EINVAL;
	if (!apply)
		return 0;
	vq->size = q.size;
	__atomic_store_n(&vq->msix_vector, vec, __ATOMIC_RELAXED);
	vq->desc_gpa = q.desc_gpa;
	vq->avail_gpa = q.avail_gpa;
	vq->used_gpa = q.used_gpa;
	if (!enabled)
		return 0;
	vq->enabled = 1;
	vq->enable_gen++;
	virtq_map(vq);
	vq->last_avail = last_avail;
	vq->used_idx = used_idx;
	vq->signalled_used = sig;
	vq->signalled_valid = sig_valid;
	vq->notify_off = notify_off;
	vq->broken = broken;
	return 0;
}
