// SPDX-License-Identifier: GPL-2.0-or-later
/* The QEMU front end's storage and network options (see qemu_args.h): -drive, -hda..-hdd, -cdrom
 * and bare image names, -device for the devices kvmini has, -netdev tap and the old -net nic +
 * -net tap pair, translated into kvmini run's --disk, --cdrom and --net.
 *
 * Mapping: -drive if=virtio (or if=none + -device virtio-blk-pci) is a virtio-blk disk; if=scsi (or
 * if=none + -device scsi-hd/scsi-cd on a -device virtio-scsi-pci) a LUN of kvmini's one virtio-scsi
 * controller (QEMU's if=scsi would be an LSI controller: the guest sees virtio-scsi instead);
 * if=ide, -hdX and ide-hd/ide-cd are PIIX3 IDE drives, -cdrom kvmini's --cdrom (IDE index 2, where
 * QEMU's is); with -machine q35 all of them are ports of the AHCI controller (if=sata, index N at
 * port N), as on QEMU's q35 with its ICH9 AHCI. A -net nic pairs
 * with the -net tap of the same rank. kvmini runs no ifup scripts, so a tap needs script=no
 * (and downscript=no). Paths with commas cannot pass through --disk and are refused. SeaBIOS's
 * debug port the QEMU way (-chardev file,id=X,path=F -device isa-debugcon,iobase=0x402,chardev=X)
 * is --bios-log F. */
#include "tools/qemu_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const iface_names[] = { "ide", "scsi", "virtio", "none" };

/* --disk's value for d on kvmini's iface ("virtio", "scsi", "ide"), extra appended */
static int disk_arg(struct qemu_xlate *x, const char *opt, const struct qx_drive *d, const char *iface,
		    const char *id, const char *extra)
{
	const char *file = d->file && *d->file ? d->file : NULL;
	if (!file && !d->cdrom)
		return qx_fail(x, "%s: a disk needs file=", opt);
	if (file && strchr(file, ','))
		return qx_fail(x, "%s: file name '%s' has a comma, which kvmini's --disk cannot take", opt, file);
	char o[160] = "";
	size_t n = 0;
	if (d->format)
		n += (size_t)snprintf(o + n, sizeof(o) - n, ",format=%s", d->format);
	if (d->readonly && !d->cdrom && n < sizeof(o))
		n += (size_t)snprintf(o + n, sizeof(o) - n, ",readonly");
	if (d->cache && n < sizeof(o))
		n += (size_t)snprintf(o + n, sizeof(o) - n, ",cache=%s", d->cache);
	if (d->discard && n < sizeof(o))
		n += (size_t)snprintf(o + n, sizeof(o) - n, ",discard=%s", d->discard);
	if (d->nolock && n < sizeof(o))
		n += (size_t)snprintf(o + n, sizeof(o) - n, ",locking=off");
	if (id && n < sizeof(o))
		n += (size_t)snprintf(o + n, sizeof(o) - n, ",id=%.40s", id);
	return qx_emitf(x, "--disk", "%s%s,if=%s%s%s", file ? file : "none", o, iface, d->cdrom ? ",media=cdrom" : "",
			extra ? extra : "");
}

/* qkv_parse, with "opt value" (as the messages name the option) put in shown */
#define SHOWN 600
static int parse_shown(struct qemu_xlate *x, struct qkv *o, const char *opt, const char *val, const char *implied,
		       char *shown)
{
	snprintf(shown, SHOWN, "%s %.500s", opt, val);
	return qkv_parse(x, o, opt, val, implied);
}

static struct qx_drive *new_drive(struct qemu_xlate *x, const char *opt)
{
	if (x->ndrives == QX_MAX_DRIVES) {
		qx_fail(x, "%s: too many drives (at most %d)", opt, QX_MAX_DRIVES);
		return NULL;
	}
	struct qx_drive *d = &x->drives[x->ndrives++];
	memset(d, 0, sizeof(*d));
	d->index = -1;
	return d;
}

/* An IDE drive at index (-1: the first free one); the slot is checked as QEMU does: pc has four
 * (two buses, master and slave), q35 six (its AHCI ports, one drive each). */
static int ide_slot(struct qemu_xlate *x, const char *opt, int index, struct qx_drive *self)
{
	int slots = x->q35 ? 6 : 4;
	bool used[6] = { 0 };
	for (unsigned i = 0; i < x->ndrives; i++)
		if (&x->drives[i] != self && x->drives[i].iface == QX_IF_IDE && x->drives[i].index >= 0)
			used[x->drives[i].index] = true;
	if (index < 0)
		for (index = 0; index < slots && used[index]; index++)
			;
	if (index >= slots)
		return qx_fail(x, "%s: no free IDE slot (index 0..%d)", opt, slots - 1);
	if (used[index])
		return qx_fail(x, "%s: drive with index=%d exists", opt, index);
	self->index = index;
	return 0;
}

static int emit_drive(struct qemu_xlate *x, const char *opt, struct qx_drive *d)
{
	char extra[32] = "";
	switch (d->iface) {
	case QX_IF_VIRTIO:
		if (d->cdrom)
			return qx_fail(x, "%s: media=cdrom needs if=ide or if=scsi (virtio-blk has no CD-ROM)", opt);
		return disk_arg(x, opt, d, "virtio", d->id, NULL);
	case QX_IF_SCSI:
		if (d->index >= 0) {
			if (d->index > 7)
				return qx_fail(x, "%s: index=%d: kvmini's SCSI bus has targets 0..7", opt, d->index);
			snprintf(extra, sizeof(extra), ",target=%d", d->index);
		}
		return disk_arg(x, opt, d, "scsi", d->id, extra);
	case QX_IF_IDE:
		if (ide_slot(x, opt, d->index, d) || qx_need(x, x->q35 ? "ahci" : "ide", opt))
			return -EINVAL;
		if (x->q35) { /* index N: AHCI port N */
			snprintf(extra, sizeof(extra), ",bus=%d", d->index);
			return disk_arg(x, opt, d, "sata", d->id, extra);
		}
		snprintf(extra, sizeof(extra), ",bus=%d,unit=%d", d->index / 2, d->index % 2); /* index 2: hdc */
		return disk_arg(x, opt, d, "ide", d->id, extra);
	default:
		return 0; /* if=none: waits for a -device */
	}
}

int qx_drive(struct qemu_xlate *x, const char *opt, const char *val)
{
	static const char *const keys[] = { "file", "format", "if", "media", "index", "readonly", "cache",
					    "discard", "id", "snapshot", "file.locking", NULL };
	char shown[SHOWN];
	struct qkv o;
	int r = parse_shown(x, &o, opt, val, NULL, shown);
	if (!r)
		r = qkv_only(x, &o, shown, keys);
	struct qx_drive *d = r ? NULL : new_drive(x, opt);
	if (!d) {
		qkv_free(&o);
		return -EINVAL;
	}
	const char *v;
	if ((v = qkv_get(&o, "file")) && !(d->file = qx_strdup(x, v)))
		r = -ENOMEM;
	if (!r && (v = qkv_get(&o, "format"))) {
		if (strcmp(v, "raw") && strcmp(v, "qcow2"))
			r = qx_fail(x, "%s: format=%s: kvmini reads raw and qcow2", shown, v);
		else if (!(d->format = qx_strdup(x, v)))
			r = -ENOMEM;
	}
	if (!r && (v = qkv_get(&o, "if"))) {
		int k = 0;
		while (k < 4 && strcmp(iface_names[k], v))
			k++;
		if (k == 4)
			r = qx_fail(x, "%s: if=%s: kvmini has if=ide, scsi, virtio and none", shown, v);
		d->iface = k;
	}
	if (!r && (v = qkv_get(&o, "media"))) {
		if (strcmp(v, "disk") && strcmp(v, "cdrom"))
			r = qx_fail(x, "%s: media=%s: expected disk or cdrom", shown, v);
		d->cdrom = !strcmp(v, "cdrom");
	}
	if (!r && (v = qkv_get(&o, "index"))) {
		char *end;
		long n = strtol(v, &end, 10);
		if (!*v || *end || n < 0 || n > 255)
			r = qx_fail(x, "%s: index=%s: expected a number", shown, v);
		d->index = (int)n;
	}
	if (!r && (v = qkv_get(&o, "readonly"))) {
		int b = qkv_bool(v);
		if (b < 0)
			r = qx_fail(x, "%s: readonly=%s: expected on or off", shown, v);
		d->readonly = b == 1;
	}
	if (!r && (v = qkv_get(&o, "cache"))) {
		if (!strcmp(v, "writeback") || !strcmp(v, "none") || !strcmp(v, "unsafe"))
			d->cache = !strcmp(v, "none") ? "none" : !strcmp(v, "unsafe") ? "unsafe" : "writeback";
		else
			r = qx_fail(x, "%s: cache=%s: kvmini has writeback, none and unsafe", shown, v);
	}
	if (!r && (v = qkv_get(&o, "discard"))) {
		if (!strcmp(v, "unmap") || !strcmp(v, "on"))
			d->discard = "unmap";
		else if (!strcmp(v, "ignore") || !strcmp(v, "off"))
			d->discard = "ignore";
		else
			r = qx_fail(x, "%s: discard=%s: expected unmap or ignore", shown, v);
	}
	if (!r && (v = qkv_get(&o, "file.locking"))) {
		if (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "auto"))
			r = qx_fail(x, "%s: file.locking=%s: expected on, off or auto", shown, v);
		d->nolock = !strcmp(v, "off");
	}
	if (!r && (v = qkv_get(&o, "id")) && !(d->id = qx_strdup(x, v)))
		r = -ENOMEM;
	if (!r && (v = qkv_get(&o, "snapshot")) && qkv_bool(v) == 1)
		r = qx_need(x, "snapshot", "-drive snapshot=on");
	if (!r && d->iface == QX_IF_NONE && !d->id)
		r = qx_fail(x, "%s: if=none needs id= for a -device to name it", shown);
	for (unsigned i = 0; !r && d->id && i + 1 < x->ndrives; i++)
		if (x->drives[i].id && !strcmp(x->drives[i].id, d->id))
			r = qx_fail(x, "%s: Duplicate ID '%s' for drive", shown, d->id);
	if (!r)
		r = emit_drive(x, shown, d);
	qkv_free(&o);
	return r;
}

int qx_hd(struct qemu_xlate *x, const char *opt, const char *file, int index)
{
	struct qx_drive *d = new_drive(x, opt);
	if (!d)
		return -EINVAL;
	d->index = index;
	if (!(d->file = qx_strdup(x, file)))
		return -ENOMEM;
	return emit_drive(x, opt, d);
}

int qx_cdrom(struct qemu_xlate *x, const char *opt, const char *file)
{
	/* QEMU's -cdrom is IDE index 2; kvmini's --cdrom is the same place on pc; on q35, AHCI port 2 */
	struct qx_drive *d = new_drive(x, opt);
	if (!d)
		return -EINVAL;
	d->cdrom = true;
	d->iface = QX_IF_IDE;
	if (x->q35) {
		d->index = 2;
		return (d->file = qx_strdup(x, file)) ? emit_drive(x, opt, d) : -ENOMEM;
	}
	if (ide_slot(x, opt, 2, d))
		return -EINVAL;
	return qx_emit(x, "--cdrom", *file ? file : "none");
}

/* The if=none drive a -device's drive= names, marked used. */
static struct qx_drive *device_drive(struct qemu_xlate *x, const char *shown, const char *dev, const char *name)
{
	for (unsigned i = 0; i < x->ndrives; i++) {
		struct qx_drive *d = &x->drives[i];
		if (d->id && !strcmp(d->id, name)) {
			if (d->iface != QX_IF_NONE || d->used) {
				qx_fail(x, "%s: drive '%s' is already in use", shown, name);
				return NULL;
			}
			d->used = true;
			return d;
		}
	}
	qx_fail(x, "%s: Property '%s.drive' can't find value '%s'", shown, dev, name);
	return NULL;
}

static int nic(struct qemu_xlate *x, const char *shown, const char *mac, int netdev)
{
	if (x->nnics == QX_MAX_NETS)
		return qx_fail(x, "%s: too many NICs", shown);
	struct qx_nic *n = &x->nics[x->nnics++];
	n->netdev = netdev;
	n->mac = NULL;
	if (mac && !(n->mac = qx_strdup(x, mac)))
		return -ENOMEM;
	return 0;
}

static int netdev_of(struct qemu_xlate *x, const char *shown, const char *id)
{
	for (unsigned i = 0; i < x->nnetdevs; i++)
		if (!strcmp(x->netdevs[i].id, id)) {
			for (unsigned k = 0; k < x->nnics; k++)
				if (x->nics[k].netdev == (int)i)
					return qx_fail(x, "%s: netdev '%s' is already in use", shown, id);
			return (int)i;
		}
	return qx_fail(x, "%s: Property 'netdev' can't find value '%s'", shown, id);
}

static int device_storage(struct qemu_xlate *x, const char *shown, const struct qkv *o, const char *drv)
{
	bool scsi = !strncmp(drv, "scsi-", 5), cd = !strcmp(drv, "scsi-cd") || !strcmp(drv, "ide-cd");
	const char *name = qkv_get(o, "drive"), *id = qkv_get(o, "id"), *bus = qkv_get(o, "bus");
	struct qx_drive empty = { .cdrom = true, .index = -1 }, *d = &empty;
	if (name && !(d = device_drive(x, shown, drv, name)))
		return -EINVAL;
	if (!name && !cd)
		return qx_fail(x, "%s: Drive property not set", shown);
	d->cdrom = cd;
	if (!id)
		id = d->id;
	if (!scsi && ((bus && !strncmp(bus, "ahci", 4)) || (!bus && x->q35))) {
		/* bus=ahci0.N: AHCI port N, kvmini's --disk ...,if=sata,bus=N; q35's ide-hd without bus=
		 * goes to a free port of its AHCI controller */
		const char *dot = bus ? strchr(bus, '.') : NULL;
		char *e = NULL;
		long port = dot ? strtol(dot + 1, &e, 10) : 0;
		if (dot && (!dot[1] || *e || port < 0 || port > 5))
			return qx_fail(x, "%s: bus=%s: an AHCI port is ahci0.0 .. ahci0.5", shown, bus);
		char extra[16] = "";
		if (bus)
			snprintf(extra, sizeof(extra), ",bus=%ld", port);
		return qx_need(x, "ahci", shown) ? -EINVAL : disk_arg(x, shown, d, "sata", id, extra);
	}
	if (!scsi)
		return qx_need(x, "ide", shown) ? -EINVAL : disk_arg(x, shown, d, "ide", id, NULL);
	x->scsi_devices = true;
	const char *tgt = qkv_get(o, "scsi-id"), *lun = qkv_get(o, "lun"), *ch = qkv_get(o, "channel");
	char extra[48] = "";
	char *end = NULL;
	long t = tgt ? strtol(tgt, &end, 10) : -1, l = lun ? strtol(lun, &end, 10) : -1;
	if ((tgt && (!*tgt || t < 0 || t > 7)) || (lun && (!*lun || l < 0 || l > 16383)) || (end && *end))
		return qx_fail(x, "%s: kvmini's SCSI bus has scsi-id 0..7 and lun 0..16383", shown);
	if (ch && strcmp(ch, "0"))
		return qx_fail(x, "%s: channel=%s: kvmini's SCSI bus has channel 0 only", shown, ch);
	if (t >= 0 && l >= 0)
		snprintf(extra, sizeof(extra), ",target=%ld,lun=%ld", t, l);
	else if (t >= 0)
		snprintf(extra, sizeof(extra), ",target=%ld", t);
	else if (l >= 0)
		snprintf(extra, sizeof(extra), ",lun=%ld", l);
	return disk_arg(x, shown, d, "scsi", id, extra);
}

int qx_chardev(struct qemu_xlate *x, const char *opt, const char *val)
{
	static const char *const keys[] = { "backend", "id", "path", NULL };
	struct qkv o;
	char shown[SHOWN];
	int r = parse_shown(x, &o, opt, val, "backend", shown);
	if (r)
		return r;
	const char *be = qkv_get(&o, "backend"), *id = qkv_get(&o, "id"), *path = qkv_get(&o, "path");
	if (!be || strcmp(be, "file"))
		r = qx_fail(x, "%s: kvmini's chardevs are file,id=ID,path=FILE, for an isa-debugcon", shown);
	if (!r)
		r = qkv_only(x, &o, shown, keys);
	if (!r && (!id || !path || !*path))
		r = qx_fail(x, "%s: a file chardev needs id= and path=", shown);
	for (unsigned i = 0; !r && i < x->nchardevs; i++)
		if (!strcmp(x->chardevs[i].id, id))
			r = qx_fail(x, "%s: Duplicate ID '%s' for chardev", shown, id);
	if (!r && x->nchardevs == QX_MAX_NETS)
		r = qx_fail(x, "%s: too many chardevs", shown);
	if (!r) {
		struct qx_chardev *c = &x->chardevs[x->nchardevs++];
		c->id = qx_strdup(x, id);
		c->path = qx_strdup(x, path);
		if (!c->id || !c->path)
			r = -ENOMEM;
	}
	qkv_free(&o);
	return r;
}

/* -device isa-debugcon,iobase=0x402,chardev=ID: SeaBIOS's debug port, kvmini's --bios-log */
static int debugcon(struct qemu_xlate *x, const char *shown, const struct qkv *o)
{
	static const char *const keys[] = { "driver", "iobase", "chardev", "id", NULL };
	const char *io = qkv_get(o, "iobase"), *ch = qkv_get(o, "chardev");
	int r = qkv_only(x, o, shown, keys);
	if (!r && (!io || strtol(io, NULL, 0) != 0x402))
		r = qx_fail(x, "%s: kvmini's debug console is the firmware's, iobase=0x402", shown);
	if (!r && x->debugcon)
		r = qx_fail(x, "%s: kvmini has one debug console", shown);
	for (unsigned i = 0; !r && ch && i < x->nchardevs; i++)
		if (!strcmp(x->chardevs[i].id, ch)) {
			x->debugcon = true;
			return qx_emit(x, "--bios-log", x->chardevs[i].path);
		}
	return r ? r : qx_fail(x, "%s: Property 'isa-debugcon.chardev' can't find value '%s'", shown, ch ? ch : "");
}

int qx_device(struct qemu_xlate *x, const char *opt, const char *val)
{
	static const char *const blk_keys[] = { "driver", "drive", "id", "bus", "addr", "serial", NULL },
				 *const hba_keys[] = { "driver", "id", "bus", "addr", "num_queues", NULL },
				 *const disk_keys[] = { "driver", "drive", "id", "bus", "channel", "scsi-id", "lun",
							"unit", "serial", NULL },
				 *const ahci_keys[] = { "driver", "id", "bus", "addr", NULL },
				 *const net_keys[] = { "driver", "netdev", "mac", "id", "bus", "addr", NULL };
	struct qkv o;
	char shown[SHOWN];
	int r = parse_shown(x, &o, opt, val, "driver", shown);
	if (r)
		return r;
	const char *drv = qkv_get(&o, "driver");
	if (!drv) {
		r = qx_fail(x, "%s: Parameter 'driver' is missing", shown);
	} else if (!strcmp(drv, "virtio-blk-pci") || !strcmp(drv, "virtio-blk")) {
		const char *name = qkv_get(&o, "drive"), *id = qkv_get(&o, "id");
		struct qx_drive *d = NULL;
		if (!(r = qkv_only(x, &o, shown, blk_keys)) && !name)
			r = qx_fail(x, "%s: Drive property not set", shown);
		if (!r && !(d = device_drive(x, shown, drv, name)))
			r = -EINVAL;
		if (!r)
			r = disk_arg(x, shown, d, "virtio", id ? id : d->id, NULL);
	} else if (!strcmp(drv, "virtio-scsi-pci") || !strcmp(drv, "virtio-scsi")) {
		/* num_queues: kvmini gives one request queue per vCPU */
		if (!(r = qkv_only(x, &o, shown, hba_keys)) && x->scsi_bus)
			r = qx_fail(x, "%s: kvmini has one virtio-scsi controller", shown);
		x->scsi_bus = true;
	} else if (!strcmp(drv, "scsi-hd") || !strcmp(drv, "scsi-cd") || !strcmp(drv, "ide-hd") ||
		   !strcmp(drv, "ide-cd")) {
		if (!(r = qkv_only(x, &o, shown, disk_keys)))
			r = device_storage(x, shown, &o, drv);
	} else if (!strcmp(drv, "isa-debugcon")) {
		r = debugcon(x, shown, &o);
	} else if (!strcmp(drv, "ahci")) {
		if (!(r = qkv_only(x, &o, shown, ahci_keys)))
			r = qx_need(x, "ahci", shown); /* the controller comes with its first drive */
	} else if (!strcmp(drv, "virtio-net-pci") || !strcmp(drv, "virtio-net")) {
		const char *nd = qkv_get(&o, "netdev");
		if (!(r = qkv_only(x, &o, shown, net_keys)) && !nd)
			r = qx_fail(x, "%s: kvmini's NICs need netdev= (a -netdev tap)", shown);
		int k = r ? -1 : netdev_of(x, shown, nd);
		if (k < 0)
			r = -EINVAL;
		if (!r)
			r = nic(x, shown, qkv_get(&o, "mac"), k);
	} else if (!strcmp(drv, "virtio-9p-pci") || !strcmp(drv, "virtio-9p")) {
		r = qx_virtfs_device(x, shown, &o);
	} else {
		r = qx_fail(x, "%s: not supported (kvmini has virtio-blk-pci, virtio-scsi-pci, scsi-hd, scsi-cd, "
			    "ide-hd, ide-cd, ahci, virtio-net-pci, virtio-9p-pci, isa-debugcon)", shown);
	}
	qkv_free(&o);
	return r;
}

/* script=no and downscript=no, as kvmini runs no scripts */
static int no_scripts(struct qemu_xlate *x, const char *shown, const struct qkv *o)
{
	const char *s = qkv_get(o, "script"), *d = qkv_get(o, "downscript");
	if (!s || strcmp(s, "no") || (d && strcmp(d, "no")))
		return qx_fail(x, "%s: kvmini runs no ifup scripts: give script=no,downscript=no", shown);
	const char *vhost = qkv_get(o, "vhost"); /* kvmini's own data path either way: a no-op */
	if (vhost && qkv_bool(vhost) < 0)
		return qx_fail(x, "%s: vhost=%s: expected on or off", shown, vhost);
	return 0;
}

int qx_netdev(struct qemu_xlate *x, const char *opt, const char *val)
{
	static const char *const keys[] = { "type", "id", "ifname", "script", "downscript", "vhost", NULL };
	struct qkv o;
	char shown[SHOWN];
	int r = parse_shown(x, &o, opt, val, "type", shown);
	if (r)
		return r;
	const char *type = qkv_get(&o, "type"), *id = qkv_get(&o, "id"), *ifname = qkv_get(&o, "ifname");
	if (!type || strcmp(type, "tap"))
		r = qx_fail(x, "%s: kvmini's networking is tap only (-netdev tap,id=N,ifname=TAP,script=no,downscript=no)",
			    shown);
	if (!r)
		r = qkv_only(x, &o, shown, keys);
	if (!r && !id)
		r = qx_fail(x, "%s: Parameter 'id' is missing", shown);
	if (!r)
		r = no_scripts(x, shown, &o);
	for (unsigned i = 0; !r && i < x->nnetdevs; i++)
		if (!strcmp(x->netdevs[i].id, id))
			r = qx_fail(x, "%s: Duplicate ID '%s' for netdev", shown, id);
	if (!r && x->nnetdevs == QX_MAX_NETS)
		r = qx_fail(x, "%s: too many netdevs", shown);
	if (!r) {
		struct qx_netdev *n = &x->netdevs[x->nnetdevs];
		n->id = qx_strdup(x, id);
		n->ifname = ifname ? qx_strdup(x, ifname) : NULL;
		x->nnetdevs++;
		if (!n->id || (ifname && !n->ifname))
			r = -ENOMEM;
	}
	qkv_free(&o);
	return r;
}

int qx_net(struct qemu_xlate *x, const char *opt, const char *val)
{
	static const char *const nic_keys[] = { "type", "model", "macaddr", "netdev", "name", NULL },
				 *const tap_keys[] = { "type", "ifname", "script", "downscript", "vhost", "name", NULL };
	struct qkv o;
	char shown[SHOWN];
	int r = parse_shown(x, &o, opt, val, "type", shown);
	if (r)
		return r;
	const char *type = qkv_get(&o, "type");
	if (!type) {
		r = qx_fail(x, "%s: Parameter 'type' is missing", shown);
	} else if (!strcmp(type, "none")) {
		/* no NIC: kvmini's default as well */
	} else if (!strcmp(type, "nic")) {
		const char *model = qkv_get(&o, "model"), *nd = qkv_get(&o, "netdev");
		int k = -1;
		if (!(r = qkv_only(x, &o, shown, nic_keys)) && (!model || (strcmp(model, "virtio") && strcmp(model, "virtio-net-pci"))))
			r = qx_fail(x, "%s: kvmini's NIC is model=virtio (QEMU's default is e1000)", shown);
		if (!r && nd && (k = netdev_of(x, shown, nd)) < 0)
			r = -EINVAL;
		if (!r)
			r = nic(x, shown, qkv_get(&o, "macaddr"), k);
	} else if (!strcmp(type, "tap")) {
		const char *ifname = qkv_get(&o, "ifname");
		if (!(r = qkv_only(x, &o, shown, tap_keys)))
			r = no_scripts(x, shown, &o);
		if (!r && x->nnet_taps == QX_MAX_NETS)
			r = qx_fail(x, "%s: too many taps", shown);
		if (!r) {
			x->net_taps[x->nnet_taps++] = ifname ? qx_strdup(x, ifname) : NULL;
			if (ifname && !x->net_taps[x->nnet_taps - 1])
				r = -ENOMEM;
		}
	} else {
		r = qx_fail(x, "%s: kvmini's networking is -net nic,model=virtio with -net tap (or -netdev tap)", shown);
	}
	qkv_free(&o);
	return r;
}

int qx_finish_devices(struct qemu_xlate *x)
{
	if (x->scsi_devices && !x->scsi_bus)
		return qx_fail(x, "-device scsi-hd/scsi-cd: No 'SCSI' bus found (add -device virtio-scsi-pci)");
	unsigned plain = 0;
	for (unsigned i = 0; i < x->nnics; i++)
		plain += x->nics[i].netdev < 0;
	if (plain != x->nnet_taps)
		return qx_fail(x, "-net: %u -net nic with %u -net tap: kvmini pairs each NIC with one tap", plain,
			       x->nnet_taps);
	int r = 0;
	for (unsigned i = 0, t = 0; !r && i < x->nnics; i++) {
		const struct qx_nic *n = &x->nics[i];
		const char *ifname = n->netdev >= 0 ? x->netdevs[n->netdev].ifname : x->net_taps[t++];
		r = qx_emitf(x, "--net", "tap%s%s%s%s", ifname ? ",ifname=" : "", ifname ? ifname : "",
			     n->mac ? ",mac=" : "", n->mac ? n->mac : "");
	}
	return r;
}
