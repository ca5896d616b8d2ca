// SPDX-License-Identifier: GPL-2.0-or-later
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
	m->r[m->nr++] = (struct gmem_region){ .gpa = gpa, .size = size, .hva = hva };
	m->ram_size += size;
	return 0;
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	if (!len)
		return NULL;
	for (int i = 0; i < m->nr; i++) {
		const struct gmem_region *r = &m->r[i];
		/* written to avoid overflow: gpa >= r->gpa, then compare remaining room */
		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *buf, uint64_t len)
{
	if (!len)
		return 0;
	void *p = gmem_ptr(m, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *buf, uint64_t len)
{
	if (!len)
		return 0;
	void *p = gmem_ptr(m, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
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
