// SPDX-License-Identifier: GPL-2.0-or-later
/* struct domain back to libvirt domain XML in libvirt's own layout (what `virsh dumpxml` prints:
 * type='kvm', memory in KiB, the three lifecycle actions spelled out), valid for
 * `virt-xml-validate FILE domain` and parsed back by domain_parse to the same struct. Every string
 * is escaped; a missing uuid is generated (random, version 4) and kept in the struct. */
#include "tools/domain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static const char *const actions[] = { "destroy", "restart", "preserve", "rename-restart" };
static const char *const boot_devs[] = { "hd", "cdrom", "network", "fd" };
static const char *const disk_types[] = { "file", "block", "volume" };
static const char *const disk_fmts[] = { NULL, "raw", "qcow2" };
static const char *const buses[] = { "virtio", "scsi", "ide", "sata" };

/* XML-escapes s for text or a '-quoted attribute. Tabs, newlines and CRs in attributes, and CRs
 * in text, become character references so that the parser's normalization gives them back; other
 * control characters cannot be in XML 1.0 at all and are left out (a parsed definition has none). */
static void esc(FILE *f, const char *s, int attr)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '\'': fputs(attr ? "&apos;" : "'", f); break;
		case '"': fputs(attr ? "&quot;" : "\"", f); break;
		case '\r': fputs("&#13;", f); break;
		case '\n': fputs(attr ? "&#10;" : "\n", f); break;
		case '\t': fputs(attr ? "&#9;" : "\t", f); break;
		default:
			if (c >= 0x20 && c != 0x7f)
				fputc(c, f);
		}
	}
}

/* <tag>text</tag> on its own line */
static void text_el(FILE *f, const char *indent, const char *tag, const char *text)
{
	if (!text)
		return;
	fprintf(f, "%s<%s>", indent, tag);
	esc(f, text, 0);
	fprintf(f, "</%s>\n", tag);
}

/* name='value' with a leading space (nothing when value is NULL) */
static void attr(FILE *f, const char *name, const char *value)
{
	if (!value)
		return;
	fprintf(f, " %s='", name);
	esc(f, value, 1);
	fputc('\'', f);
}

/* <tag name='value'/> on its own line (nothing when value is NULL) */
static void empty_el(FILE *f, const char *indent, const char *tag, const char *name, const char *value)
{
	if (!value)
		return;
	fprintf(f, "%s<%s", indent, tag);
	attr(f, name, value);
	fputs("/>\n", f);
}

static int gen_uuid(struct domain *d)
{
	if (d->has_uuid)
		return 0;
	if (getrandom(d->uuid, sizeof(d->uuid), 0) != (ssize_t)sizeof(d->uuid))
		return -EIO;
	d->uuid[6] = (uint8_t)((d->uuid[6] & 0x0f) | 0x40); /* RFC 4122 version 4, variant 1 */
	d->uuid[8] = (uint8_t)((d->uuid[8] & 0x3f) | 0x80);
	d->has_uuid = 1;
	return 0;
}

static void format_disk(FILE *f, const struct dom_disk *k)
{
	fprintf(f, "    <disk type='%s' device='%s'>\n", disk_types[k->type % 3], k->device == DOM_DEV_CDROM ? "cdrom" : "disk");
	if (k->fmt != DOM_FMT_PROBE && (unsigned)k->fmt < 3)
		fprintf(f, "      <driver name='qemu' type='%s'/>\n", disk_fmts[k->fmt]);
	if (k->type == DOM_DISK_VOLUME && k->pool && k->volume) {
		fputs("      <source", f);
		attr(f, "pool", k->pool);
		attr(f, "volume", k->volume);
		fputs("/>\n", f);
	} else if (k->type != DOM_DISK_VOLUME)
		empty_el(f, "      ", "source", k->type == DOM_DISK_BLOCK ? "dev" : "file", k->source);
	fputs("      <target", f);
	attr(f, "dev", k->target);
	fprintf(f, " bus='%s'/>\n", buses[k->bus % 4]);
	if (k->readonly)
		fputs("      <readonly/>\n", f);
	fputs("    </disk>\n", f);
}

static void format_net(FILE *f, const struct dom_net *t)
{
	fprintf(f, "    <interface type='%s'>\n", t->type == DOM_NET_ETHERNET ? "ethernet" : "bridge");
	empty_el(f, "      ", "mac", "address", t->mac[0] ? t->mac : NULL);
	empty_el(f, "      ", "source", "bridge", t->type == DOM_NET_BRIDGE ? t->bridge : NULL);
	empty_el(f, "      ", "target", "dev", t->tap);
	empty_el(f, "      ", "model", "type", t->model);
	fputs("    </interface>\n", f);
}

static void format_devices(FILE *f, const struct domain *d)
{
	fputs("  <devices>\n", f);
	for (unsigned i = 0; i < d->ndisks && i < DOM_MAX_DISKS; i++)
		format_disk(f, &d->disks[i]);
	if (d->virtio_scsi)
		fputs("    <controller type='scsi' index='0' model='virtio-scsi'/>\n", f);
	for (unsigned i = 0; i < d->nnets && i < DOM_MAX_NETS; i++)
		format_net(f, &d->nets[i]);
	if (d->serial_pty)
		fputs("    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n", f);
	if (d->console_pty)
		fputs("    <console type='pty'>\n      <target type='serial' port='0'/>\n    </console>\n", f);
	if (d->graphics_vnc) {
		if (d->vnc_port >= 0)
			fprintf(f, "    <graphics type='vnc' port='%d' autoport='no'", d->vnc_port);
		else
			fputs("    <graphics type='vnc' port='-1' autoport='yes'", f);
		attr(f, "listen", d->vnc_listen);
		fputs("/>\n", f);
	}
	if (d->video_model) {
		fputs("    <video>\n", f);
		empty_el(f, "      ", "model", "type", d->video_model);
		fputs("    </video>\n", f);
	}
	fputs("  </devices>\n", f);
}

char *domain_format(struct domain *d)
{
	if (gen_uuid(d))
		return NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	const uint8_t *u = d->uuid;
	fputs("<domain type='kvm'>\n", f);
	text_el(f, "  ", "name", d->name);
	fprintf(f, "  <uuid>%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x</uuid>\n", u[0], u[1],
		u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	text_el(f, "  ", "title", d->title);
	text_el(f, "  ", "description", d->description);
	uint64_t cur = d->current_memory && d->current_memory < d->memory ? d->current_memory : d->memory;
	fprintf(f, "  <memory unit='KiB'>%llu</memory>\n", (unsigned long long)((d->memory + 1023) / 1024));
	fprintf(f, "  <currentMemory unit='KiB'>%llu</currentMemory>\n", (unsigned long long)((cur + 1023) / 1024));
	if (d->hugepages)
		fputs("  <memoryBacking>\n    <hugepages/>\n  </memoryBacking>\n", f);
	fprintf(f, "  <vcpu placement='static'>%u</vcpu>\n", d->vcpus ? d->vcpus : 1);
	fputs("  <os>\n    <type", f);
	attr(f, "arch", d->os_arch);
	attr(f, "machine", d->os_machine);
	fputs(">hvm</type>\n", f);
	text_el(f, "    ", "kernel", d->kernel);
	text_el(f, "    ", "initrd", d->initrd);
	text_el(f, "    ", "cmdline", d->cmdline);
	for (unsigned i = 0; i < d->nboot && i < DOM_MAX_BOOT; i++)
		fprintf(f, "    <boot dev='%s'/>\n", boot_devs[d->boot[i] % 4]);
	fputs("  </os>\n", f);
	if (d->acpi || d->apic)
		fprintf(f, "  <features>\n%s%s  </features>\n", d->acpi ? "    <acpi/>\n" : "", d->apic ? "    <apic/>\n" : "");
	if (d->cpu_mode != DOM_CPU_DEFAULT)
		fprintf(f, "  <cpu mode='%s'/>\n", d->cpu_mode == DOM_CPU_HOST_MODEL ? "host-model" : "host-passthrough");
	empty_el(f, "  ", "clock", "offset", d->clock_offset);
	fprintf(f, "  <on_poweroff>%s</on_poweroff>\n", actions[d->on_poweroff % 4]);
	fprintf(f, "  <on_reboot>%s</on_reboot>\n", actions[d->on_reboot % 4]);
	fprintf(f, "  <on_crash>%s</on_crash>\n", actions[d->on_crash % 4]);
	format_devices(f, d);
	fputs("</domain>\n", f);
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}
