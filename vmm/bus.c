// SPDX-License-Identifier: GPL-2.0-or-later
#include "bus.h"

#include <errno.h>
#include <string.h>

void bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	pthread_rwlock_init(&b->lock, NULL);
}

void bus_destroy(struct bus *b)
{
	pthread_rwlock_destroy(&b->lock);
}

/* first index whose range ends above addr */
static int bus_lower(const struct bus *b, uint64_t addr)
{
	int lo = 0, hi = b->nr;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (b->r[mid].base + b->r[mid].len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, const struct bus_ops *ops, void *opaque,
		 const char *name)
{
	if (!len || base + len < base || (base + len == 0 && base != 0) || !ops)
		return -EINVAL;
	int ret;
	pthread_rwlock_wrlock(&b->lock);
	int i = bus_lower(b, base);
	if (i < b->nr && b->r[i].base < base + len) {
		ret = -EEXIST;
		goto out;
	}
	if (b->nr >= BUS_MAX_RANGES) {
		ret = -ENOSPC;
		goto out;
	}
	int id = 0;
	while (b->names[id])
		id++;
	memmove(&b->r[i + 1], &b->r[i], (size_t)(b->nr - i) * sizeof(b->r[0]));
	b->r[i] = (struct bus_range){ base, len, ops, opaque, id, NULL };
	b->nr++;
	b->names[id] = name ? name : "?";
	b->bases[id] = base;
	ret = id;
out:
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

int bus_unregister(struct bus *b, uint64_t base, void *opaque)
{
	int ret = -ENOENT;
	pthread_rwlock_wrlock(&b->lock);
	int i = bus_lower(b, base);
	if (i < b->nr && b->r[i].base == base && b->r[i].opaque == opaque) {
		b->names[b->r[i].id] = NULL;
		memmove(&b->r[i], &b->r[i + 1], (size_t)(b->nr - i - 1) * sizeof(b->r[0]));
		b->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

/* the range holding [addr, addr + size), or NULL; with the lock held */
static const struct bus_range *bus_find(const struct bus *b, uint64_t addr, unsigned size, uint64_t *off)
{
	int i = bus_lower(b, addr);
	if (i >= b->nr)
		return NULL;
	const struct bus_range *r = &b->r[i];
	*off = addr - r->base;
	return addr >= r->base && size <= r->len - *off ? r : NULL;
}

int bus_access(struct bus *b, uint64_t addr, void *data, unsigned size, int is_write)
{
	int ret = -ENOENT;
	uint64_t off;
	pthread_rwlock_rdlock(&b->lock);
	const struct bus_range *r = bus_find(b, addr, size, &off);
	if (r) {
		if (is_write) {
			if (r->ops->write)
				r->ops->write(r->opaque, off, data, size);
		} else {
			if (r->ops->read)
				r->ops->read(r->opaque, off, data, size);
			else
				memset(data, 0xff, size);
		}
		ret = r->id;
	}
	pthread_rwlock_unlock(&b->lock);
	if (ret < 0 && !is_write)
		memset(data, 0xff, size);
	return ret;
}

int bus_set_rep(struct bus *b, uint64_t base, void *opaque, bus_rep_fn rep)
{
	int ret = -ENOENT;
	pthread_rwlock_wrlock(&b->lock);
	int i = bus_lower(b, base);
	if (i < b->nr && b->r[i].base == base && b->r[i].opaque == opaque) {
		b->r[i].rep = rep;
		ret = 0;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

int bus_access_rep(struct bus *b, uint64_t addr, void *data, unsigned size, unsigned count, int is_write)
{
	unsigned done = 0;
	int ret = -ENOENT;
	uint64_t off;
	pthread_rwlock_rdlock(&b->lock);
	const struct bus_range *r = bus_find(b, addr, size, &off);
	if (r && r->rep) {
		done = r->rep(r->opaque, off, data, size, count, is_write);
		done = done < count ? done : count;
		ret = r->id;
	}
	pthread_rwlock_unlock(&b->lock);
	uint8_t *p = (uint8_t *)data + (size_t)done * size;
	for (; done < count; done++, p += size)
		ret = bus_access(b, addr, p, size, is_write);
	return ret;
}
