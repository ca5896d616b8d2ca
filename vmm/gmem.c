// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest physical memory: see gmem.h. */
#include "gmem.h"

#include <errno.h>
#include <string.h>

int gmem_add(struct gmem *m, uint64_t gpa, uint64_t size, void *hva)
{
	if (!size || gpa + size < gpa || !hva)
		return -EINVAL;
	if (m->nr >= GMEM_MAX_REGIONS)
		return -ENOSPC;
	for (int i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->r[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EINVAL;
	}
	m->r[m->nr++] = (struct gmem_region){ .gpa = gpa, .size = size, .hva = hva, .page0 = m->ram_size / GMEM_PAGE };
	m->ram_size += size;
	return 0;
}

/* The region holding all of [gpa, gpa+len), or NULL. */
static const struct gmem_region *find(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	if (!len)
		return NULL;
	for (int i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->r[i];
		/* written to avoid overflow: gpa >= r->gpa, then compare remaining room */
		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r;
	}
	return NULL;
}

static void mark(const struct gmem *m, const struct gmem_region *r, uint64_t gpa, uint64_t len)
{
	uint64_t *bm = __atomic_load_n(&m->dirty, __ATOMIC_ACQUIRE);
	if (!bm)
		return;
	uint64_t first = r->page0 + (gpa - r->gpa) / GMEM_PAGE, last = r->page0 + (gpa - r->gpa + len - 1) / GMEM_PAGE;
	for (uint64_t p = first; p <= last; p++)
		__atomic_fetch_or(&bm[p / 64], 1ULL << (p % 64), __ATOMIC_RELAXED);
}

const void *gmem_ptr_ro(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	const struct gmem_region *r = find(m, gpa, len);
	return r ? r->hva + (gpa - r->gpa) : NULL;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	const struct gmem_region *r = find(m, gpa, len);
	if (!r)
		return NULL;
	mark(m, r, gpa, len);
	return r->hva + (gpa - r->gpa);
}

void gmem_mark(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	const struct gmem_region *r = find(m, gpa, len);
	if (r)
		mark(m, r, gpa, len);
}

void gmem_log_set(struct gmem *m, uint64_t *bitmap)
{
	__atomic_store_n(&m->dirty, bitmap, __ATOMIC_RELEASE);
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *buf, uint64_t len)
{
	if (!len)
		return 0;
	const void *p = gmem_ptr_ro(m, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *buf, uint64_t len)
{
	if (!len)
		return 0;
	const struct gmem_region *r = find(m, gpa, len);
	if (!r)
		return -EFAULT;
	memcpy(r->hva + (gpa - r->gpa), buf, len);
	mark(m, r, gpa, len); /* after the copy: a page sent between the two is sent again */
	return 0;
}

/* x86 hosts only: guest and host are both little-endian */
#define GMEM_SCALAR(bits)                                                          \
	int gmem_read##bits(const struct gmem *m, uint64_t gpa, uint##bits##_t *v)      \
	{                                                                              \
		return gmem_read(m, gpa, v, sizeof(*v));                                   \
	}                                                                              \
	int gmem_write##bits(const struct gmem *m, uint64_t gpa, uint##bits##_t v)      \
	{                                                                              \
		return gmem_write(m, gpa, &v, sizeof(v));                                  \
	}
GMEM_SCALAR(16)
GMEM_SCALAR(32)
GMEM_SCALAR(64)
