// SPDX-License-Identifier: GPL-2.0-or-later
#include "machine_disk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "firmware/layout.h"

/* Free ISA lines for virtio-mmio (edge-triggered: each notification is one pulse). 14 and 15 stay
 * free for a legacy IDE controller. */
static const unsigned mmio_gsis[] = { 5, 6, 7, 10, 11, 12, 13 };

int disk_spec_parse(const char *s, struct disk_spec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *comma = strchr(s, ',');
	size_t plen = comma ? (size_t)(comma - s) : strlen(s);
	if (!plen || plen >= sizeof(out->path)) {
		snprintf(err, errlen, "--disk %s: expected PATH[,option...]", s);
		return -EINVAL;
	}
	memcpy(out->path, s, plen);
	while (comma) {
		const char *opt = comma + 1;
		comma = strchr(opt, ',');
		size_t n = comma ? (size_t)(comma - opt) : strlen(opt);
		char kv[64];
		if (n >= sizeof(kv))
			goto bad;
		memcpy(kv, opt, n);
		kv[n] = 0;
		char *val = strchr(kv, '=');
		if (val)
			*val++ = 0;
		if (!strcmp(kv, "readonly") && (!val || !strcmp(val, "on")))
			out->opts.read_only = true;
		else if (!strcmp(kv, "format") && val && !disk_format_parse(val, &out->opts.format))
			;
		else if (!strcmp(kv, "cache") && val && !strcmp(val, "writeback"))
			out->opts.cache = DISK_CACHE_WRITEBACK;
		else if (!strcmp(kv, "cache") && val && !strcmp(val, "none"))
			out->opts.cache = DISK_CACHE_NONE;
		else if (!strcmp(kv, "cache") && val && !strcmp(val, "unsafe"))
			out->opts.cache = DISK_CACHE_UNSAFE;
		else if (!strcmp(kv, "transport") && val && !strcmp(val, "pci"))
			out->transport = VDEV_PCI;
		else if (!strcmp(kv, "transport") && val && !strcmp(val, "mmio"))
			out->transport = VDEV_MMIO;
		else
			goto bad;
		continue;
bad:
		snprintf(err, errlen, "--disk %s: bad option '%.*s' (see kvmini run --help)", s, (int)n, opt);
		return -EINVAL;
	}
	return 0;
}

int vdev_place(struct vdev_place *p, struct virtio_dev *vd, enum vdev_transport t, const char **why)
{
	if (t == VDEV_PCI) {
		int ret = virtio_pci_create(vd, p->pci, &p->env);
		if (ret)
			*why = ret == -ENOSPC ? "no free PCI slot" : "cannot create the virtio-pci device";
		return ret;
	}
	if (p->next_mmio >= sizeof(mmio_gsis) / sizeof(mmio_gsis[0])) {
		*why = "no free virtio-mmio slot";
		return -ENOSPC;
	}
	uint64_t base = LAYOUT_VIRTIO_MMIO + p->next_mmio * LAYOUT_VIRTIO_MMIO_SLOT;
	unsigned gsi = mmio_gsis[p->next_mmio];
	size_t used = strlen(p->cmdline);
	if (virtio_mmio_cmdline(p->cmdline + used, p->cmdline_len - used, base, gsi) < 0) {
		*why = "kernel command line too long for another virtio-mmio device";
		return -ENOSPC;
	}
	int ret = virtio_mmio_create(vd, p->mmio, base, gsi, &p->env);
	if (ret) {
		p->cmdline[used] = 0;
		*why = "cannot create the virtio-mmio device";
		return ret;
	}
	p->next_mmio++;
	return 0;
}
