// SPDX-License-Identifier: GPL-2.0-or-later
#include "devices/msix.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/le.h"
#include "vmm/log.h"
#include "vmm/state.h"

#define MSIX_CAP_ID 0x11
#define MSIX_CTRL_ENABLE 0x80 /* high byte of message control */
#define MSIX_CTRL_FMASK 0x40
#define MSIX_VEC_MASKED 1u

int msix_init(struct msix *m, struct pci_dev *d, unsigned nvec, int bar, uint32_t table_off, uint32_t pba_off,
	      const struct vm_hooks *hooks, void *opaque)
{
	if (!nvec || nvec > MSIX_MAX_VECTORS || (table_off & 7) || (pba_off & 7) || pba_off <= table_off ||
	    pba_off - table_off < 16 * nvec)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->nvec = nvec;
	m->pba_rel = pba_off - table_off;
	m->hooks = hooks;
	m->opaque = opaque;
	for (unsigned i = 0; i < MSIX_MAX_VECTORS; i++) {
		m->v[i].efd = -1;
		m->v[i].route = -1;
		m->v[i].ctrl = MSIX_VEC_MASKED;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->inited = 1;
	for (unsigned i = 0; hooks && hooks->msi_irqfd && i < nvec; i++) {
		m->v[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->v[i].efd < 0) {
			int r = -errno;
			msix_destroy(m);
			return r;
		}
	}
	uint8_t cap[12] = { MSIX_CAP_ID };
	uint16_t ctrl = (uint16_t)(nvec - 1);
	uint32_t t = table_off | (uint32_t)bar, p = pba_off | (uint32_t)bar;
	memcpy(cap + 2, &ctrl, 2);
	memcpy(cap + 4, &t, 4);
	memcpy(cap + 8, &p, 4);
	int off = pci_dev_add_cap(d, cap, sizeof(cap));
	if (off < 0) {
		msix_destroy(m);
		return off;
	}
	m->cap = (unsigned)off;
	d->wmask[off + 3] = MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK;
	return 0;
}

void msix_destroy(struct msix *m)
{
	if (!m->inited)
		return;
	for (unsigned i = 0; i < m->nvec; i++) {
		struct msix_vec *v = &m->v[i];
		if (v->route >= 0 && m->hooks->msi_unroute)
			m->hooks->msi_unroute(m->opaque, v->efd, v->route);
		v->route = -1;
		if (v->efd >= 0)
			close(v->efd);
		v->efd = -1;
	}
	pthread_mutex_destroy(&m->lock);
	m->inited = 0;
}

static uint64_t vec_addr(const struct msix_vec *v) { return (uint64_t)v->addr_hi << 32 | v->addr_lo; }

/* Routes are made and moved only here, when a message is actually sent: the guest can rewrite the
 * table as often as it likes, the routing table is rebuilt at most once per interrupt. */
static int route_locked(struct msix *m, struct msix_vec *v)
{
	if (v->efd < 0)
		return 0;
	if (v->route >= 0 && (vec_addr(v) != v->r_addr || v->data != v->r_data)) {
		if (m->hooks->msi_unroute)
			m->hooks->msi_unroute(m->opaque, v->efd, v->route);
		v->route = -1;
	}
	if (v->route < 0) {
		int r = m->hooks->msi_irqfd(m->opaque, v->efd, vec_addr(v), v->data);
		if (r < 0)
			return 0;
		v->route = r;
		v->r_addr = vec_addr(v);
		v->r_data = v->data;
	}
	return 1;
}

static void deliver_locked(struct msix *m, unsigned i)
{
	struct msix_vec *v = &m->v[i];
	if (route_locked(m, v)) {
		uint64_t one = 1;
		if (write(v->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			kv_err(-errno, "msix: irqfd write");
	} else if (m->hooks && m->hooks->signal_msi) {
		m->hooks->signal_msi(m->opaque, vec_addr(v), v->data);
	}
}

/* After a change of the enable/mask state or the message: delivers a pending message once the
 * vector may fire. A route left for a masked vector is harmless: only deliver_locked writes its
 * irqfd. */
static void vec_update_locked(struct msix *m, unsigned i)
{
	int live = m->enabled && !m->fmask && !(m->v[i].ctrl & MSIX_VEC_MASKED);
	if (live && (m->pending[i / 64] >> (i % 64) & 1)) {
		m->pending[i / 64] &= ~(1ULL << (i % 64));
		deliver_locked(m, i);
	}
}

void msix_signal(struct msix *m, unsigned vec)
{
	if (vec >= m->nvec)
		return;
	pthread_mutex_lock(&m->lock);
	if (m->enabled) {
		if (m->fmask || (m->v[vec].ctrl & MSIX_VEC_MASKED))
			m->pending[vec / 64] |= 1ULL << (vec % 64);
		else
			deliver_locked(m, vec);
	}
	pthread_mutex_unlock(&m->lock);
}

void msix_cfg_written(struct msix *m, struct pci_dev *d, unsigned off, unsigned size)
{
	if (!m->inited || off >= m->cap + 4 || off + size <= m->cap + 2)
		return;
	uint8_t hi = d->cfg[m->cap + 3];
	pthread_mutex_lock(&m->lock);
	__atomic_store_n(&m->enabled, !!(hi & MSIX_CTRL_ENABLE), __ATOMIC_RELEASE);
	m->fmask = !!(hi & MSIX_CTRL_FMASK);
	for (unsigned i = 0; i < m->nvec; i++)
		vec_update_locked(m, i);
	pthread_mutex_unlock(&m->lock);
}

static uint32_t reg_read_locked(struct msix *m, uint64_t off)
{
	if (off < 16ULL * m->nvec) {
		const struct msix_vec *v = &m->v[off / 16];
		switch (off & 12) {
		case 0: return v->addr_lo;
		case 4: return v->addr_hi;
		case 8: return v->data;
		default: return v->ctrl;
		}
	}
	if (off >= m->pba_rel && off < m->pba_rel + 8 * ((m->nvec + 63) / 64)) {
		uint64_t q = m->pending[(off - m->pba_rel) / 8];
		return (off & 4) ? (uint32_t)(q >> 32) : (uint32_t)q;
	}
	return 0;
}

static void reg_write_locked(struct msix *m, uint64_t off, uint32_t val)
{
	if (off >= 16ULL * m->nvec)
		return; /* PBA and beyond: read-only */
	unsigned i = (unsigned)(off / 16);
	struct msix_vec *v = &m->v[i];
	switch (off & 12) {
	case 0: v->addr_lo = val & ~3u; break;
	case 4: v->addr_hi = val; break;
	case 8: v->data = val; break;
	default: v->ctrl = val & MSIX_VEC_MASKED; break;
	}
	vec_update_locked(m, i);
}

/* The table is accessed as dwords (or qwords, split here); narrower accesses get whole-dword
 * semantics within their dword. */
void msix_mmio_read(struct msix *m, uint64_t off, void *data, unsigned size)
{
	uint8_t buf[8];
	uint64_t base = off & ~3ULL;
	pthread_mutex_lock(&m->lock);
	uint32_t lo = reg_read_locked(m, base), hi = reg_read_locked(m, base + 4);
	pthread_mutex_unlock(&m->lock);
	memcpy(buf, &lo, 4);
	memcpy(buf + 4, &hi, 4);
	unsigned sh = (unsigned)(off & 3);
	memcpy(data, buf + sh, size + sh <= 8 ? size : 8 - sh);
}

void msix_mmio_write(struct msix *m, uint64_t off, const void *data, unsigned size)
{
	if ((off & 3) || (size != 4 && size != 8))
		return; /* the spec only allows aligned dword/qword table accesses */
	uint32_t w[2] = { 0, 0 };
	memcpy(w, data, size);
	pthread_mutex_lock(&m->lock);
	reg_write_locked(m, off, w[0]);
	if (size == 8)
		reg_write_locked(m, off + 4, w[1]);
	pthread_mutex_unlock(&m->lock);
}

int msix_pending(struct msix *m, unsigned vec)
{
	if (vec >= m->nvec)
		return 0;
	pthread_mutex_lock(&m->lock);
	int p = (int)(m->pending[vec / 64] >> (vec % 64) & 1);
	pthread_mutex_unlock(&m->lock);
	return p;
}

/* payload: nvec (u16), per vector addr_lo addr_hi data ctrl (u32), pending words (u64) */
void msix_state_save(const struct msix *cm, struct state_writer *w)
{
	struct msix *m = (struct msix *)cm; /* the lock is not part of the state */
	pthread_mutex_lock(&m->lock);
	state_put_u16(w, (uint16_t)m->nvec);
	for (unsigned i = 0; i < m->nvec; i++) {
		state_put_u32(w, m->v[i].addr_lo);
		state_put_u32(w, m->v[i].addr_hi);
		state_put_u32(w, m->v[i].data);
		state_put_u32(w, m->v[i].ctrl);
	}
	for (unsigned k = 0; k < (m->nvec + 63) / 64; k++)
		state_put_u64(w, m->pending[k]);
	pthread_mutex_unlock(&m->lock);
}

int msix_state_load(struct msix *m, const struct pci_dev *d, struct state_reader *r, int apply)
{
	if (state_get_u16(r) != m->nvec)
		state_reader_invalid(r);
	const uint8_t *t = state_get_ptr(r, 16ULL * m->nvec);
	uint64_t pend[MSIX_MAX_VECTORS / 64] = { 0 };
	for (unsigned k = 0; k < (m->nvec + 63) / 64; k++)
		pend[k] = state_get_u64(r);
	if (r->err)
		return r->err;
	for (unsigned i = 0; i < m->nvec; i++)
		if ((le_get32(t, 16 * i) & 3) || (le_get32(t, 16 * i + 12) & ~MSIX_VEC_MASKED))
			return -EINVAL;
	if (m->nvec % 64 && (pend[m->nvec / 64] >> (m->nvec % 64)))
		return -EINVAL; /* pending bits of vectors that do not exist */
	if (!apply)
		return 0;
	pthread_mutex_lock(&m->lock);
	for (unsigned i = 0; i < m->nvec; i++) {
		struct msix_vec *v = &m->v[i];
		v->addr_lo = le_get32(t, 16 * i);
		v->addr_hi = le_get32(t, 16 * i + 4);
		v->data = le_get32(t, 16 * i + 8);
		v->ctrl = le_get32(t, 16 * i + 12);
		/* routes follow the message at the next interrupt (route_locked) */
	}
	memcpy(m->pending, pend, sizeof(pend));
	uint8_t hi = d->cfg[m->cap + 3];
	__atomic_store_n(&m->enabled, !!(hi & MSIX_CTRL_ENABLE), __ATOMIC_RELEASE);
	m->fmask = !!(hi & MSIX_CTRL_FMASK);
	for (unsigned i = 0; i < m->nvec; i++)
		vec_update_locked(m, i);
	pthread_mutex_unlock(&m->lock);
	return 0;
}
