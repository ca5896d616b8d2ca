// SPDX-License-Identifier: GPL-2.0-or-later
#include "machine_disk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware/layout.h"

/* Free ISA lines for virtio-mmio (edge-triggered: each notification is one pulse). 14 and 15 stay
 * free for a legacy IDE controller. */
static const unsigned mmio_gsis[] = { 5, 6, 7, 10, 11, 12, 13 };

/* The index of v in names (NULL-terminated), or -1: a sub-option's value. */
int subopt_value(const char *v, const char *const *names)
{
	for (int i = 0; v && names[i]; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -1;
}

char *subopts_split(const char *s, char **opts)
{
	char *copy = strdup(s);
	if (!copy)
		return NULL;
	char *comma = strchr(copy, ',');
	*opts = NULL;
	if (comma) {
		*comma = 0;
		*opts = comma + 1;
	}
	return copy;
}

/* 0..max in decimal, nothing else; -1 if not */
static int small_number(const char *v, int max)
{
	int n = 0;
	if (!v || !*v || strlen(v) > 5)
		return -1;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -1;
		n = n * 10 + (*v - '0');
	}
	return n <= max ? n : -1;
}

static bool id_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;
	if (!n || n >= sizeof(((struct disk_spec *)0)->id))
		return false;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* Sub-options that do not go together; NULL when they do. */
static const char *spec_conflict(struct disk_spec *d)
{
	if (d->iface == DISK_IF_VIRTIO && d->media == DISK_MEDIA_CDROM)
		return "media=cdrom needs if=scsi, if=ide or if=sata (there is no virtio-blk CD-ROM)";
	if (d->iface != DISK_IF_SCSI && (d->target >= 0 || d->lun >= 0))
		return "target= and lun= need if=scsi";
	if (d->iface == DISK_IF_SATA && d->unit >= 0)
		return "unit= needs if=ide (an AHCI port has one drive: bus=)";
	if (d->iface == DISK_IF_IDE && d->bus > 1)
		return "bus= is 0..1 with if=ide";
	if (d->iface != DISK_IF_IDE && d->iface != DISK_IF_SATA && (d->bus >= 0 || d->unit >= 0))
		return "bus= and unit= need if=ide (bus= also if=sata)";
	if (d->media == DISK_MEDIA_CDROM)
		d->opts.read_only = true; /* always */
	return NULL;
}

int hd_spec_parse(const char *s, unsigned pos, struct disk_spec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->target = out->lun = -1;
	size_t n = strlen(s);
	if (!n || n >= sizeof(out->path) || pos > 3) {
		snprintf(err, errlen, "--hd%c %s: expected FILE", 'a' + (pos & 3), s);
		return -EINVAL;
	}
	memcpy(out->path, s, n);
	out->iface = DISK_IF_IDE;
	out->bus = (int)pos / 2;
	out->unit = (int)pos % 2;
	return 0;
}

int cdrom_spec_parse(const char *s, struct disk_spec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->target = out->lun = -1;
	out->bus = out->unit = -1;
	size_t n = strlen(s);
	if (!n || n >= sizeof(out->path)) {
		snprintf(err, errlen, "--cdrom %s: expected FILE or none", s);
		return -EINVAL;
	}
	memcpy(out->path, s, n);
	out->iface = DISK_IF_IDE;
	out->bus = 1; /* secondary master */
	out->unit = 0;
	out->media = DISK_MEDIA_CDROM;
	out->opts.read_only = true;
	out->opts.format = DISK_FMT_RAW; /* an ISO image, never probed */
	out->empty = !strcmp(s, "none");
	return 0;
}

int disk_spec_parse(const char *s, struct disk_spec *out, char *err, size_t errlen)
{
	const char *conflict = NULL;
	enum { READONLY, FORMAT, CACHE, TRANSPORT, IFACE, MEDIA, DISCARD, ID, TARGET, LUN, BUS, UNIT, LOCKING };
	static char *const keys[] = { "readonly", "format", "cache", "transport", "if", "media",
				      "discard", "id", "target", "lun", "bus", "unit", "locking", NULL };
	static const char *const caches[] = { "writeback", "none", "unsafe", NULL },
			  *const transports[] = { "pci", "mmio", NULL }, *const ifaces[] = { "virtio", "scsi", "ide", "sata", NULL },
			  *const medias[] = { "disk", "cdrom", NULL }, *const discards[] = { "unmap", "ignore", NULL },
			  *const onoff[] = { "on", "off", NULL };
	static const enum disk_cache cache_of[] = { DISK_CACHE_WRITEBACK, DISK_CACHE_NONE, DISK_CACHE_UNSAFE };
	memset(out, 0, sizeof(*out));
	out->target = out->lun = -1;
	out->bus = out->unit = -1;
	char *opts, *copy = subopts_split(s, &opts);
	if (!copy)
		return -ENOMEM;
	size_t plen = strlen(copy);
	if (!plen || plen >= sizeof(out->path)) {
		snprintf(err, errlen, "--disk %s: expected PATH[,option...]", s);
		free(copy);
		return -EINVAL;
	}
	memcpy(out->path, copy, plen);
	/* getsubopt stops at an empty tail: "a," and "a,readonly," are mistakes, not "no options" */
	const char *bad = opts && (!*opts || opts[strlen(opts) - 1] == ',') ? "" : NULL;
	while (!bad && opts && *opts) {
		char *opt = opts, *val;
		int k = getsubopt(&opts, keys, &val), v;
		if (k == READONLY && (!val || !strcmp(val, "on")))
			out->opts.read_only = true;
		else if (k == FORMAT && val && !disk_format_parse(val, &out->opts.format))
			;
		else if (k == CACHE && (v = subopt_value(val, caches)) >= 0)
			out->opts.cache = cache_of[v];
		else if (k == TRANSPORT && (v = subopt_value(val, transports)) >= 0)
			out->transport = v ? VDEV_MMIO : VDEV_PCI;
		else if (k == IFACE && (v = subopt_value(val, ifaces)) >= 0)
			out->iface = v == 3 ? DISK_IF_SATA : v == 2 ? DISK_IF_IDE : v ? DISK_IF_SCSI : DISK_IF_VIRTIO;
		else if (k == MEDIA && (v = subopt_value(val, medias)) >= 0)
			out->media = v ? DISK_MEDIA_CDROM : DISK_MEDIA_DISK;
		else if (k == DISCARD && (v = subopt_value(val, discards)) >= 0)
			out->no_discard = v == 1;
		else if (k == ID && id_ok(val))
			strcpy(out->id, val);
		else if ((k == TARGET || k == LUN) && (v = small_number(val, k == TARGET ? 7 : 16383)) >= 0)
			*(k == TARGET ? &out->target : &out->lun) = v;
		else if (k == BUS && (v = small_number(val, 5)) >= 0)
			out->bus = v; /* IDE: 0..1, checked in spec_conflict */
		else if (k == UNIT && (v = small_number(val, 1)) >= 0)
			out->unit = v;
		else if (k == LOCKING && (v = subopt_value(val, onoff)) >= 0)
			out->opts.no_lock = v == 1; /* QEMU's file.locking=off: the user keeps others off */
		else
			bad = opt;
	}
	if (!bad && (conflict = spec_conflict(out)))
		bad = "";
	/* none,media=cdrom: a CD-ROM drive without a medium (as --cdrom none) */
	out->empty = !bad && out->media == DISK_MEDIA_CDROM && !strcmp(out->path, "none");
	const char *why = NULL;
	int uri = bad || out->empty ? 0 : disk_nbd_uri(out->path, &why);
	if (conflict)
		snprintf(err, errlen, "--disk %s: %s", s, conflict);
	else if (bad)
		snprintf(err, errlen, "--disk %s: bad option '%s' (see kvmini run --help)", s, bad);
	else if (uri < 0)
		snprintf(err, errlen, "--disk %s: %s", s, why);
	else if (uri && out->opts.format == DISK_FMT_QCOW2)
		snprintf(err, errlen, "--disk %s: an NBD export is used raw (format=qcow2 is not supported over NBD)", s);
	free(copy);
	return bad || uri < 0 || (uri && out->opts.format == DISK_FMT_QCOW2) ? -EINVAL : 0;
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
