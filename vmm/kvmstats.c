// SPDX-License-Identifier: GPL-2.0-or-later
/* The KVM binary statistics reader: header, id string, descriptors, values (KVM's layout,
 * Documentation/virt/kvm/api.rst "KVM_GET_STATS_FD"). */
#include "kvmstats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_DESCS 4096
#define MAX_NAME_SIZE 4096

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EINVAL; /* short: the layout points past the end */
		got += (size_t)n;
	}
	return 0;
}

static int bad(struct kvmstats *s, char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s", what);
	kvmstats_close(s);
	return -EINVAL;
}

int kvmstats_open(struct kvmstats *s, int fd, char *why, size_t whylen)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	struct kvm_stats_header h;
	int ret = read_at(fd, &h, sizeof(h), 0);
	if (ret)
		return ret == -EINVAL ? bad(s, why, whylen, "short header") : (kvmstats_close(s), ret);
	if (h.name_size == 0 || h.name_size > MAX_NAME_SIZE)
		return bad(s, why, whylen, "name size out of range");
	if (h.num_desc > MAX_DESCS)
		return bad(s, why, whylen, "too many descriptors");
	char *name = calloc(1, h.name_size + 1);
	size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	uint8_t *raw = calloc(h.num_desc ? h.num_desc : 1, dsize);
	s->d = calloc(h.num_desc ? h.num_desc : 1, sizeof(*s->d));
	if (!name || !raw || !s->d) {
		free(name);
		free(raw);
		kvmstats_close(s);
		return -ENOMEM;
	}
	ret = read_at(fd, name, h.name_size, h.id_offset);
	if (!ret)
		ret = read_at(fd, raw, dsize * h.num_desc, h.desc_offset);
	if (ret) {
		free(name);
		free(raw);
		return ret == -EINVAL ? bad(s, why, whylen, "id or descriptors past the end") : (kvmstats_close(s), ret);
	}
	snprintf(s->id, sizeof(s->id), "%s", name);
	free(name);
	s->data_offset = h.data_offset;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		const struct kvm_stats_desc *kd = (const void *)(raw + i * dsize);
		struct kvmstats_desc *d = &s->d[i];
		const char *nm = (const char *)(raw + i * dsize + sizeof(*kd));
		size_t nl = strnlen(nm, h.name_size);
		if (nl == 0 || nl >= h.name_size || kd->size == 0) {
			free(raw);
			return bad(s, why, whylen, "descriptor without a name or a size");
		}
		snprintf(d->name, sizeof(d->name), "%.*s", (int)nl, nm);
		d->flags = kd->flags;
		d->exponent = kd->exponent;
		d->size = kd->size;
		d->offset = kd->offset;
		d->bucket_size = kd->bucket_size;
		s->n++;
	}
	free(raw);
	return 0;
}

int kvmstats_open_ioctl(struct kvmstats *s, int kvm_obj_fd, char *why, size_t whylen)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	int fd = ioctl(kvm_obj_fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0) {
		snprintf(why, whylen, "KVM_GET_STATS_FD: %s", strerror(errno));
		return -errno;
	}
	return kvmstats_open(s, fd, why, whylen);
}

void kvmstats_close(struct kvmstats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->d);
	s->d = NULL;
	s->n = 0;
}

const struct kvmstats_desc *kvmstats_find(const struct kvmstats *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->d[i].name, name))
			return &s->d[i];
	return NULL;
}

int kvmstats_read(const struct kvmstats *s, const struct kvmstats_desc *d, uint64_t *v, unsigned max)
{
	unsigned n = d->size < max ? d->size : max;
	int ret = read_at(s->fd, v, (size_t)n * sizeof(*v), s->data_offset + d->offset);
	return ret ? ret : (int)n;
}

int kvmstats_get(const struct kvmstats *s, const char *name, uint64_t *v)
{
	const struct kvmstats_desc *d = kvmstats_find(s, name);
	if (!d)
		return -ENOENT;
	int n = kvmstats_read(s, d, v, 1);
	return n < 0 ? n : 0;
}

int kvmstats_exit_counts(const struct kvmstats *s, struct kvm_exit_counts *c)
{
	memset(c, 0, sizeof(*c));
	static const struct {
		const char *name;
		size_t off;
	} scalars[] = {
		{ "exits", offsetof(struct kvm_exit_counts, exits) },
		{ "io_exits", offsetof(struct kvm_exit_counts, io_exits) },
		{ "mmio_exits", offsetof(struct kvm_exit_counts, mmio_exits) },
		{ "halt_exits", offsetof(struct kvm_exit_counts, halt_exits) },
		{ "irq_exits", offsetof(struct kvm_exit_counts, irq_exits) },
		{ "insn_emulation", offsetof(struct kvm_exit_counts, insn_emulation) },
		{ "hypercalls", offsetof(struct kvm_exit_counts, hypercalls) },
		{ "halt_wait_ns", offsetof(struct kvm_exit_counts, halt_wait_ns) },
	};
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		int ret = kvmstats_get(s, scalars[i].name, (uint64_t *)((char *)c + scalars[i].off));
		if (ret && ret != -ENOENT)
			return ret;
	}
	const struct kvmstats_desc *d = kvmstats_find(s, "halt_wait_hist");
	if (d) {
		int n = kvmstats_read(s, d, c->halt_wait_hist, KVMSTATS_HIST_MAX);
		if (n < 0)
			return n;
		c->hist_n = (unsigned)n;
	}
	c->have = 1;
	return 0;
}
