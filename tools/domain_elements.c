// SPDX-License-Identifier: GPL-2.0-or-later
/* The elements of a libvirt domain definition outside <devices> (tools/domain_devices.c has those)
 * into struct domain: name, uuid, title/description, memory with its units, vcpu, os, features,
 * cpu, clock, the lifecycle actions, memoryBacking; with libvirt's defaults for what is absent. */
#include "tools/domain_xml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/paths.h"

static const char *const actions[] = { "destroy", "restart", "preserve", "rename-restart", NULL };
static const char *const boot_devs[] = { "hd", "cdrom", "network", "fd", NULL };

static int parse_uuid(const char *s, uint8_t out[16])
{
	unsigned n = 0;
	size_t len = strlen(s);
	if (len != 32 && len != 36)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (len == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
			if (c != '-')
				return -EINVAL;
			continue;
		}
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			return -EINVAL;
		out[n / 2] = (uint8_t)(n % 2 ? out[n / 2] | v : v << 4);
		n++;
	}
	return 0;
}

/* <memory>/<currentMemory>: a number in <unit> (default KiB), kept in bytes rounded up to KiB */
static int parse_memory(struct dx *x, const xmlNode *n, uint64_t *bytes)
{
	char *unit = dx_attr(n, "unit"), *text = NULL;
	static const char *const known[] = { "unit", NULL };
	dx_attrs(x, n, known);
	int r = dx_text(x, n, 1, &text);
	if (!r) {
		r = dom_scale_memory(text, unit, bytes);
		if (r == -EDOM)
			r = dx_err(x, n, "<%s unit='%s'>: unknown unit", n->name, unit);
		else if (r == -ERANGE)
			r = dx_err(x, n, "<%s>: %s %s is too large", n->name, text, unit ? unit : "KiB");
		else if (r)
			r = dx_err(x, n, "<%s>: '%s' is not a number", n->name, text);
	}
	free(unit);
	free(text);
	return r;
}

static int parse_vcpu(struct dx *x, const xmlNode *n)
{
	static const char *const known[] = { "placement", NULL };
	dx_attrs(x, n, known);
	char *p = dx_attr(n, "placement");
	if (p && strcmp(p, "static"))
		dx_warn_attr(x, n, "placement", NULL);
	free(p);
	char *text;
	int r = dx_text(x, n, 1, &text);
	if (r)
		return r;
	uint64_t v;
	if (dom_parse_u64(text, &v) || v == 0 || v > 65535)
		r = dx_err(x, n, "<vcpu>: '%s' is not a vCPU count from 1 to 65535", text);
	else
		x->d->vcpus = (unsigned)v;
	free(text);
	return r;
}

static int parse_os_type(struct dx *x, const xmlNode *n)
{
	static const char *const known[] = { "arch", "machine", NULL };
	dx_attrs(x, n, known);
	char *t, *arch = dx_attr(n, "arch"), *machine = dx_attr(n, "machine");
	int r = dx_text(x, n, 1, &t);
	if (!r && strcmp(t, "hvm"))
		r = dx_err(x, n, "<os><type>%s</type>: kvmini runs hvm guests only", t);
	else if (!r && arch && strcmp(arch, "x86_64") && strcmp(arch, "i686"))
		r = dx_err(x, n, "<type arch='%s'>: kvmini runs x86 guests only", arch);
	else if (!r && machine && !dx_charset(machine, "_.-", 256))
		r = dx_err(x, n, "<type machine='%s'>: not a machine name", machine);
	if (!r) {
		dx_set(&x->d->os_arch, arch);
		dx_set(&x->d->os_machine, machine);
		arch = machine = NULL;
	}
	free(t);
	free(arch);
	free(machine);
	return r;
}

static int parse_path_text(struct dx *x, const xmlNode *n, char **slot)
{
	char *t;
	dx_attrs(x, n, NULL);
	int r = dx_text(x, n, 1, &t);
	if (r)
		return r;
	if (!dx_abspath_ok(t)) {
		r = dx_err(x, n, "<%s>: '%s' is not an absolute path", n->name, t);
		free(t);
		return r;
	}
	dx_set(slot, t);
	return 0;
}

static int parse_os(struct dx *x, const xmlNode *n)
{
	struct domain *d = x->d;
	int r = 0;
	dx_attrs(x, n, NULL);
	for (xmlNode *k = dx_first(n); k && !r; k = dx_next(k)) {
		if (dx_is(k, "type"))
			r = parse_os_type(x, k);
		else if (dx_is(k, "kernel"))
			r = parse_path_text(x, k, &d->kernel);
		else if (dx_is(k, "initrd"))
			r = parse_path_text(x, k, &d->initrd);
		else if (dx_is(k, "cmdline")) {
			char *t;
			dx_attrs(x, k, NULL);
			if (!(r = dx_text(x, k, 0, &t)))
				dx_set(&d->cmdline, t);
		} else if (dx_is(k, "boot")) {
			static const char *const known[] = { "dev", NULL };
			dx_attrs(x, k, known);
			char *dev = dx_attr(k, "dev");
			int i = dx_lookup(dev, boot_devs);
			if (i < 0)
				r = dx_err(x, k, "<boot dev='%s'>: expected hd, cdrom, network or fd", dev ? dev : "");
			else if (d->nboot == DOM_MAX_BOOT)
				dx_warn(x, k, "<boot>: more than %d boot devices, the rest ignored", DOM_MAX_BOOT);
			else
				d->boot[d->nboot++] = (enum dom_boot_dev)i;
			free(dev);
		} else
			dx_unknown(x, k);
	}
	return r;
}

static void parse_features(struct dx *x, const xmlNode *n)
{
	dx_attrs(x, n, NULL);
	for (xmlNode *k = dx_first(n); k; k = dx_next(k)) {
		if (dx_is(k, "acpi") || dx_is(k, "apic")) {
			dx_attrs(x, k, NULL);
			for (xmlNode *c = dx_first(k); c; c = dx_next(c))
				dx_unknown(x, c);
			*(dx_is(k, "acpi") ? &x->d->acpi : &x->d->apic) = 1;
		} else
			dx_unknown(x, k);
	}
}

static void parse_cpu(struct dx *x, const xmlNode *n)
{
	static const char *const known[] = { "mode", NULL };
	dx_attrs(x, n, known);
	char *mode = dx_attr(n, "mode");
	if (!mode || !strcmp(mode, "custom"))
		x->d->cpu_mode = DOM_CPU_DEFAULT;
	else if (!strcmp(mode, "host-passthrough"))
		x->d->cpu_mode = DOM_CPU_HOST_PASSTHROUGH;
	else if (!strcmp(mode, "host-model"))
		x->d->cpu_mode = DOM_CPU_HOST_MODEL;
	else
		dx_warn_attr(x, n, "mode", NULL);
	free(mode);
	for (xmlNode *k = dx_first(n); k; k = dx_next(k))
		dx_unknown(x, k);
}

static void parse_clock(struct dx *x, const xmlNode *n)
{
	static const char *const known[] = { "offset", NULL };
	dx_attrs(x, n, known);
	char *off = dx_attr(n, "offset");
	if (off && !strcmp(off, "localtime"))
		dx_warn(x, n, "<clock offset='localtime'>: kvmini's RTC keeps UTC; kept in the definition only");
	if (off && (!strcmp(off, "utc") || !strcmp(off, "localtime"))) {
		dx_set(&x->d->clock_offset, off);
		off = NULL;
	} else if (off)
		dx_warn_attr(x, n, "offset", NULL);
	free(off);
	for (xmlNode *k = dx_first(n); k; k = dx_next(k))
		dx_unknown(x, k);
}

static int parse_action(struct dx *x, const xmlNode *n, enum dom_action *out)
{
	char *t;
	dx_attrs(x, n, NULL);
	int r = dx_text(x, n, 1, &t);
	if (r)
		return r;
	int i = dx_lookup(t, actions);
	if (i >= 0)
		*out = (enum dom_action)i;
	else if (dx_is(n, "on_crash") && (!strcmp(t, "coredump-destroy") || !strcmp(t, "coredump-restart")))
		dx_warn(x, n, "<on_crash>%s</on_crash>: not supported by kvmini, ignored", t);
	else
		r = dx_err(x, n, "<%s>: '%s' is not one of destroy, restart, preserve, rename-restart", n->name, t);
	free(t);
	return r;
}

static void parse_memory_backing(struct dx *x, const xmlNode *n)
{
	dx_attrs(x, n, NULL);
	for (xmlNode *k = dx_first(n); k; k = dx_next(k)) {
		if (dx_is(k, "hugepages")) {
			dx_attrs(x, k, NULL);
			for (xmlNode *c = dx_first(k); c; c = dx_next(c))
				dx_unknown(x, c);
			x->d->hugepages = 1;
		} else
			dx_unknown(x, k);
	}
}

/* a text element that may appear once: a repeat is a warning, not a second value */
static int once(struct dx *x, const xmlNode *n, int *seen)
{
	if (*seen) {
		dx_warn(x, n, "<%s>: given twice, the first one is used", n->name);
		return 0;
	}
	return *seen = 1;
}

static int parse_text_child(struct dx *x, const xmlNode *k, char **slot)
{
	char *t;
	dx_attrs(x, k, NULL);
	int r = dx_text(x, k, 0, &t);
	if (!r)
		dx_set(slot, t);
	return r;
}

int dx_domain(struct dx *x, const xmlNode *root)
{
	struct domain *d = x->d;
	d->on_poweroff = DOM_ACT_DESTROY; /* libvirt's defaults */
	d->on_reboot = DOM_ACT_RESTART;
	d->on_crash = DOM_ACT_DESTROY;
	d->vcpus = 1;
	d->vnc_port = -1;
	static const char *const known[] = { "type", "id", NULL };
	dx_attrs(x, root, known);
	char *type = dx_attr(root, "type");
	if (type && strcmp(type, "kvm") && strcmp(type, "qemu") && strcmp(type, "test"))
		dx_warn_attr(x, root, "type", "kvmini is KVM, taken as type='kvm'");
	free(type);
	int r = 0, seen[8] = { 0 }, has_mem = 0;
	uint64_t cur = 0;
	for (xmlNode *k = dx_first(root); k && !r; k = dx_next(k)) {
		if (dx_is(k, "name")) {
			if (once(x, k, &seen[0]) && !(r = parse_text_child(x, k, &d->name))) {
				const char *why;
				if (kv_name_check(d->name, &why))
					r = dx_err(x, k, "<name>%s</name>: %s", d->name, why);
			}
		} else if (dx_is(k, "uuid")) {
			char *t;
			if (once(x, k, &seen[1]) && !(r = dx_text(x, k, 1, &t))) {
				if (parse_uuid(t, d->uuid))
					r = dx_err(x, k, "<uuid>%s</uuid>: not a UUID", t);
				d->has_uuid = !r;
				free(t);
			}
		} else if (dx_is(k, "title")) {
			if (once(x, k, &seen[2]) && !(r = parse_text_child(x, k, &d->title))) {
				if (strchr(d->title, '\n'))
					r = dx_err(x, k, "<title>: must be one line");
				else if (!d->title[0])
					dx_set(&d->title, NULL);
			}
		} else if (dx_is(k, "description")) {
			if (once(x, k, &seen[3]))
				r = parse_text_child(x, k, &d->description);
		} else if (dx_is(k, "memory")) {
			if (once(x, k, &seen[4]) && !(r = parse_memory(x, k, &d->memory)))
				has_mem = 1;
		} else if (dx_is(k, "currentMemory")) {
			if (once(x, k, &seen[5]))
				r = parse_memory(x, k, &cur);
		} else if (dx_is(k, "vcpu")) {
			if (once(x, k, &seen[6]))
				r = parse_vcpu(x, k);
		} else if (dx_is(k, "os")) {
			if (once(x, k, &seen[7]))
				r = parse_os(x, k);
		} else if (dx_is(k, "features"))
			parse_features(x, k);
		else if (dx_is(k, "cpu"))
			parse_cpu(x, k);
		else if (dx_is(k, "clock"))
			parse_clock(x, k);
		else if (dx_is(k, "on_poweroff"))
			r = parse_action(x, k, &d->on_poweroff);
		else if (dx_is(k, "on_reboot"))
			r = parse_action(x, k, &d->on_reboot);
		else if (dx_is(k, "on_crash"))
			r = parse_action(x, k, &d->on_crash);
		else if (dx_is(k, "memoryBacking"))
			parse_memory_backing(x, k);
		else if (dx_is(k, "devices"))
			r = dx_devices(x, k);
		else
			dx_unknown(x, k);
	}
	if (r)
		return r;
	if (!d->name)
		return dx_err(x, root, "<domain>: no <name>");
	if (!has_mem || !d->memory)
		return dx_err(x, root, "<domain>: no <memory> (or it is 0)");
	if (cur && cur < d->memory) {
		dx_warn(x, root, "<currentMemory> below <memory>: kvmini has no balloon, the guest gets all of <memory>");
		d->current_memory = cur;
	}
	return 0; /* currentMemory at or above memory is memory (libvirt clamps it too) */
}
