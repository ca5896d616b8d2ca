// SPDX-License-Identifier: GPL-2.0-or-later
/* <devices> of a libvirt domain definition into struct domain: disks, the virtio-scsi controller,
 * bridge/ethernet NICs, the pty serial/console, VNC graphics, video. A device kvmini does not
 * implement is one warning naming it and is left out; a device kvmini takes but whose required
 * parts are missing or malformed is the parse error. Every string kept is checked against what
 * libvirt's schema allows, so that domain_format's output validates and parses back the same. */
#include "tools/domain_xml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/paths.h"

static const char *const disk_types[] = { "file", "block", "volume", NULL };
static const char *const disk_devices[] = { "disk", "cdrom", NULL };
static const char *const disk_fmts[] = { "raw", "qcow2", NULL };
static const char *const buses[] = { "virtio", "scsi", "ide", "sata", NULL };
static const char *const net_types[] = { "bridge", "ethernet", NULL };
static const char *const video_models[] = { "vga",  "cirrus", "vmvga", "xen",   "vbox", "virtio",
					    "gop",  "none",   "bochs", "ramfb", "qxl",  NULL };

void dom_disk_clear(struct dom_disk *k)
{
	free(k->source);
	free(k->pool);
	free(k->volume);
	free(k->target);
	memset(k, 0, sizeof(*k));
}

void dom_net_clear(struct dom_net *t)
{
	free(t->bridge);
	free(t->tap);
	free(t->model);
	memset(t, 0, sizeof(*t));
}

/* libvirt's disk target names: (fd|hd|sd|vd|xvd|ubd) then [A-Za-z0-9_]+ */
static int target_ok(const char *t)
{
	static const char *const pre[] = { "xvd", "ubd", "fd", "hd", "sd", "vd", NULL };
	for (int i = 0; t && pre[i]; i++) {
		size_t n = strlen(pre[i]);
		if (!strncmp(t, pre[i], n))
			return dx_charset(t + n, "_", 64);
	}
	return 0;
}

/* the bus libvirt infers from a target name without bus=: -1 none kvmini has */
static int bus_of_target(const char *t)
{
	return !strncmp(t, "vd", 2) ? DOM_BUS_VIRTIO : !strncmp(t, "sd", 2) ? DOM_BUS_SCSI : !strncmp(t, "hd", 2) ? DOM_BUS_IDE : -1;
}

/* Returns 0 (kept in *k), 1 (left out with a warning) or -EINVAL. */
static int parse_disk_parts(struct dx *x, const xmlNode *n, struct dom_disk *k)
{
	int r = 0, bus = -1;
	char *busname = NULL;
	for (xmlNode *c = dx_first(n); c && !r; c = dx_next(c)) {
		if (dx_is(c, "driver")) {
			static const char *const known[] = { "name", "type", NULL };
			dx_attrs(x, c, known);
			char *name = dx_attr(c, "name"), *type = dx_attr(c, "type");
			int f = dx_lookup(type, disk_fmts);
			if (name && strcmp(name, "qemu"))
				dx_warn_attr(x, c, "name", "taken as qemu");
			if (type && f < 0) {
				dx_warn_attr(x, c, "type", "kvmini reads raw and qcow2 images only; the disk is left out");
				r = 1;
			} else if (type)
				k->fmt = f ? DOM_FMT_QCOW2 : DOM_FMT_RAW;
			free(name);
			free(type);
		} else if (dx_is(c, "source")) {
			static const char *const file[] = { "file", NULL }, *const block[] = { "dev", NULL },
						 *const vol[] = { "pool", "volume", NULL };
			dx_attrs(x, c, k->type == DOM_DISK_FILE ? file : k->type == DOM_DISK_BLOCK ? block : vol);
			for (xmlNode *s = dx_first(c); s; s = dx_next(s))
				dx_unknown(x, s);
			if (k->type == DOM_DISK_VOLUME) {
				const char *why;
				dx_set(&k->pool, dx_attr(c, "pool"));
				dx_set(&k->volume, dx_attr(c, "volume"));
				if (!k->pool || !k->volume)
					r = dx_err(x, c, "<source>: a volume disk needs pool= and volume=");
				else if (kv_name_check(k->pool, &why) || kv_name_check(k->volume, &why))
					r = dx_err(x, c, "<source pool='%s' volume='%s'>: %s", k->pool, k->volume, why);
			} else {
				const char *attr = k->type == DOM_DISK_FILE ? "file" : "dev";
				dx_set(&k->source, dx_attr(c, attr));
				if (k->source && !dx_abspath_ok(k->source))
					r = dx_err(x, c, "<source %s='%s'>: not an absolute path", attr, k->source);
			}
		} else if (dx_is(c, "target")) {
			static const char *const known[] = { "dev", "bus", NULL };
			dx_attrs(x, c, known);
			dx_set(&k->target, dx_attr(c, "dev"));
			dx_set(&busname, dx_attr(c, "bus"));
			if (!target_ok(k->target))
				r = dx_err(x, c, "<target dev='%s'>: not a disk name like vda, sda or hdc",
					   k->target ? k->target : "");
			else if (busname && (bus = dx_lookup(busname, buses)) < 0) {
				dx_warn_attr(x, c, "bus", "kvmini has no such bus; the disk is left out");
				r = 1;
			}
		} else if (dx_is(c, "readonly")) {
			dx_attrs(x, c, NULL);
			k->readonly = 1;
		} else
			dx_unknown(x, c);
	}
	if (!r && !k->target)
		r = dx_err(x, n, "<disk>: no <target dev=...>");
	if (!r && bus < 0 && (bus = bus_of_target(k->target)) < 0) {
		dx_warn(x, n, "<target dev='%s'>: kvmini has no bus for it; the disk is left out", k->target);
		r = 1;
	}
	if (!r && k->device == DOM_DEV_DISK && !k->source && !k->volume)
		r = dx_err(x, n, "<disk> %s: no <source>", k->target);
	if (!r)
		k->bus = (enum dom_bus)bus;
	free(busname);
	return r;
}

static int parse_disk(struct dx *x, const xmlNode *n)
{
	struct domain *d = x->d;
	static const char *const known[] = { "type", "device", NULL };
	dx_attrs(x, n, known);
	char *type = dx_attr(n, "type"), *dev = dx_attr(n, "device");
	int t = type ? dx_lookup(type, disk_types) : DOM_DISK_FILE, v = dev ? dx_lookup(dev, disk_devices) : DOM_DEV_DISK;
	free(type);
	free(dev);
	if (t < 0 || v < 0) {
		dx_warn_attr(x, n, t < 0 ? "type" : "device", NULL);
		return 0;
	}
	struct dom_disk k = { .type = (enum dom_disk_type)t, .device = (enum dom_disk_device)v };
	int r = parse_disk_parts(x, n, &k);
	if (!r && d->ndisks == DOM_MAX_DISKS)
		r = dx_err(x, n, "<disk>: more than %d disks", DOM_MAX_DISKS);
	if (r) {
		dom_disk_clear(&k);
		return r < 0 ? r : 0;
	}
	d->disks[d->ndisks++] = k;
	return 0;
}

static void parse_controller(struct dx *x, const xmlNode *n)
{
	if (!dx_attr_is(n, "type", "scsi") || !dx_attr_is(n, "model", "virtio-scsi")) {
		char *type = dx_attr(n, "type"), *model = dx_attr(n, "model");
		if (type && !strcmp(type, "scsi"))
			dx_warn(x, n, "<controller type='scsi' model='%.40s'>: not supported by kvmini, ignored", model ? model : "");
		else
			dx_warn_attr(x, n, "type", NULL);
		free(type);
		free(model);
		return;
	}
	static const char *const known[] = { "type", "model", "index", NULL };
	dx_attrs(x, n, known);
	char *index = dx_attr(n, "index");
	if (index && strcmp(index, "0"))
		dx_warn_attr(x, n, "index", "a second controller is not supported by kvmini, ignored");
	else
		x->d->virtio_scsi = 1;
	free(index);
	for (xmlNode *c = dx_first(n); c; c = dx_next(c))
		dx_unknown(x, c);
}

/* Returns 0 (kept in *t), 1 (left out with a warning) or -EINVAL. */
static int parse_nic_parts(struct dx *x, const xmlNode *n, struct dom_net *t)
{
	int r = 0;
	for (xmlNode *c = dx_first(n); c && !r; c = dx_next(c)) {
		if (dx_is(c, "source") && t->type == DOM_NET_BRIDGE) {
			static const char *const known[] = { "bridge", NULL };
			dx_attrs(x, c, known);
			dx_set(&t->bridge, dx_attr(c, "bridge"));
			if (!dx_ifname_ok(t->bridge))
				r = dx_err(x, c, "<source bridge='%s'>: not a network device name (1 to 15 of A-Z a-z 0-9 _.:-)",
					   t->bridge ? t->bridge : "");
		} else if (dx_is(c, "mac")) {
			static const char *const known[] = { "address", NULL };
			dx_attrs(x, c, known);
			char *a = dx_attr(c, "address");
			/* libvirt's unicast pattern: six hex pairs, the first one even */
			static const char *const hex = "0123456789abcdefABCDEF";
			int ok = a && strlen(a) == 17;
			for (int i = 0; ok && i < 17; i++)
				ok = i % 3 == 2 ? a[i] == ':' : a[i] && strchr(hex, a[i]) != NULL;
			if (ok && strchr("13579bdfBDF", a[1]))
				ok = 0;
			if (!ok)
				r = dx_err(x, c, "<mac address='%s'>: expected a unicast aa:bb:cc:dd:ee:ff", a ? a : "");
			else
				memcpy(t->mac, a, 18);
			free(a);
		} else if (dx_is(c, "model")) {
			static const char *const known[] = { "type", NULL };
			dx_attrs(x, c, known);
			dx_set(&t->model, dx_attr(c, "type"));
			if (!dx_charset(t->model, "-_", 64))
				r = dx_err(x, c, "<model type='%s'>: not a model name", t->model ? t->model : "");
		} else if (dx_is(c, "target")) {
			static const char *const known[] = { "dev", NULL };
			dx_attrs(x, c, known);
			dx_set(&t->tap, dx_attr(c, "dev"));
			if (!dx_ifname_ok(t->tap))
				r = dx_err(x, c, "<target dev='%s'>: not a network device name (1 to 15 of A-Z a-z 0-9 _.:-)",
					   t->tap ? t->tap : "");
		} else
			dx_unknown(x, c);
	}
	if (!r && t->type == DOM_NET_BRIDGE && !t->bridge)
		r = dx_err(x, n, "<interface type='bridge'>: no <source bridge=...>");
	return r;
}

static int parse_interface(struct dx *x, const xmlNode *n)
{
	struct domain *d = x->d;
	static const char *const known[] = { "type", NULL };
	dx_attrs(x, n, known);
	char *type = dx_attr(n, "type");
	int ty = dx_lookup(type, net_types);
	free(type);
	if (ty < 0) {
		dx_warn_attr(x, n, "type", NULL);
		return 0;
	}
	struct dom_net t = { .type = (enum dom_net_type)ty };
	int r = parse_nic_parts(x, n, &t);
	if (!r && d->nnets == DOM_MAX_NETS)
		r = dx_err(x, n, "<interface>: more than %d interfaces", DOM_MAX_NETS);
	if (r) {
		dom_net_clear(&t);
		return r < 0 ? r : 0;
	}
	d->nets[d->nnets++] = t;
	return 0;
}

/* <serial>/<console> type='pty' on the first port (kvmini's COM1) */
static void parse_chardev(struct dx *x, const xmlNode *n, int *flag)
{
	static const char *const known[] = { "type", NULL };
	dx_attrs(x, n, known);
	if (!dx_attr_is(n, "type", "pty")) {
		dx_warn_attr(x, n, "type", NULL);
		return;
	}
	if (*flag) {
		dx_warn(x, n, "<%s>: kvmini has one serial port, a second one is ignored", n->name);
		return;
	}
	for (xmlNode *c = dx_first(n); c; c = dx_next(c)) {
		if (dx_is(c, "target")) {
			static const char *const known_t[] = { "port", "type", NULL };
			dx_attrs(x, c, known_t);
			char *port = dx_attr(c, "port"), *type = dx_attr(c, "type");
			if (port && strcmp(port, "0"))
				dx_warn_attr(x, c, "port", "kvmini has one serial port, taken as port 0");
			if (type && strcmp(type, "serial") && strcmp(type, "isa-serial"))
				dx_warn_attr(x, c, "type", "kvmini's console is its serial port");
			free(port);
			free(type);
			for (xmlNode *m = dx_first(c); m; m = dx_next(m))
				if (!dx_is(m, "model") || !dx_attr_is(m, "name", "isa-serial"))
					dx_unknown(x, m);
		} else if (!dx_is(c, "source")) /* <source path='/dev/pts/N'/>: a running VM's pty */
			dx_unknown(x, c);
	}
	*flag = 1;
}

static int parse_graphics(struct dx *x, const xmlNode *n)
{
	struct domain *d = x->d;
	static const char *const known[] = { "type", "port", "autoport", "listen", NULL };
	if (!dx_attr_is(n, "type", "vnc")) {
		dx_warn_attr(x, n, "type", NULL);
		return 0;
	}
	if (d->graphics_vnc) {
		dx_warn(x, n, "<graphics>: a second display is ignored");
		return 0;
	}
	dx_attrs(x, n, known);
	char *port = dx_attr(n, "port"), *autoport = dx_attr(n, "autoport"), *listen = dx_attr(n, "listen");
	int r = 0;
	uint64_t p = 0;
	if (port && strcmp(port, "-1") && (dom_parse_u64(port, &p) || p > 65535))
		r = dx_err(x, n, "<graphics port='%s'>: expected -1 or a TCP port", port);
	else if (autoport && strcmp(autoport, "yes") && strcmp(autoport, "no"))
		r = dx_err(x, n, "<graphics autoport='%s'>: expected yes or no", autoport);
	d->vnc_port = port && strcmp(port, "-1") && !(autoport && !strcmp(autoport, "yes")) ? (int)p : -1;
	for (xmlNode *c = dx_first(n); c && !r; c = dx_next(c)) {
		if (dx_is(c, "listen") && dx_attr_is(c, "type", "address")) {
			static const char *const known_l[] = { "type", "address", NULL };
			dx_attrs(x, c, known_l);
			if (!listen)
				listen = dx_attr(c, "address");
		} else
			dx_unknown(x, c);
	}
	/* an address or a host name (libvirt's addrIPorName) */
	if (!r && listen && !dx_charset(listen, ".:-", 255))
		r = dx_err(x, n, "<graphics listen='%s'>: not an address or host name", listen);
	if (!r) {
		dx_set(&d->vnc_listen, listen);
		listen = NULL;
		d->graphics_vnc = 1;
	}
	free(port);
	free(autoport);
	free(listen);
	return r;
}

static void parse_video(struct dx *x, const xmlNode *n)
{
	struct domain *d = x->d;
	dx_attrs(x, n, NULL);
	if (d->video_model) {
		dx_warn(x, n, "<video>: a second video device is ignored");
		return;
	}
	char *model = NULL;
	for (xmlNode *c = dx_first(n); c; c = dx_next(c)) {
		if (dx_is(c, "model") && !model) {
			static const char *const known[] = { "type", NULL };
			dx_attrs(x, c, known);
			model = dx_attr(c, "type");
			if (model && dx_lookup(model, video_models) < 0) {
				dx_warn_attr(x, c, "type", NULL);
				free(model);
				return;
			}
		} else
			dx_unknown(x, c);
	}
	if (!model)
		dx_warn(x, n, "<video> without <model type=...>: taken as vga");
	d->video_model = model ? model : strdup("vga");
	if (d->video_model && strcmp(d->video_model, "none"))
		dx_warn(x, n, "<video>: kvmini has no display adapter; kept in the definition only");
}

int dx_devices(struct dx *x, const xmlNode *n)
{
	int r = 0;
	dx_attrs(x, n, NULL);
	for (xmlNode *k = dx_first(n); k && !r; k = dx_next(k)) {
		if (dx_is(k, "disk"))
			r = parse_disk(x, k);
		else if (dx_is(k, "controller"))
			parse_controller(x, k);
		else if (dx_is(k, "interface"))
			r = parse_interface(x, k);
		else if (dx_is(k, "serial"))
			parse_chardev(x, k, &x->d->serial_pty);
		else if (dx_is(k, "console"))
			parse_chardev(x, k, &x->d->console_pty);
		else if (dx_is(k, "graphics"))
			r = parse_graphics(x, k);
		else if (dx_is(k, "video"))
			parse_video(x, k);
		else
			dx_unknown(x, k);
	}
	return r;
}
