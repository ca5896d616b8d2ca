// SPDX-License-Identifier: GPL-2.0-or-later
/* --boot: parsing, the firmware paths of boot devices, the bootorder file, the CMOS bytes. */
#include "bootorder.h"

#include "vmm/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PCI_ROOT "/pci@i0cf8"

void boot_order_default(struct boot_order *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->order, "cd");
}

static int parse_letters(const char *v, size_t n, struct boot_order *o, char *err, size_t errlen)
{
	if (!n)
		return kv_fail(err, errlen, "--boot: order= needs letters (c: hard disk, d: CD-ROM)");
	if (n > BOOT_ORDER_MAX)
		return kv_fail(err, errlen, "--boot order=%.*s: at most %d letters (c: hard disk, d: CD-ROM)", (int)n, v,
			    BOOT_ORDER_MAX);
	for (size_t i = 0; i < n; i++) {
		if (v[i] == 'a' || v[i] == 'b' || v[i] == 'n' || (v[i] >= 'p' && v[i] <= 's'))
			return kv_fail(err, errlen, "--boot order=%.*s: '%c' is not a device kvmini has (c: hard disk, "
				    "d: CD-ROM)", (int)n, v, v[i]);
		if (v[i] != 'c' && v[i] != 'd')
			return kv_fail(err, errlen, "--boot order=%.*s: '%c': expected c (hard disk) or d (CD-ROM)",
				    (int)n, v, v[i]);
		if (memchr(v, v[i], i))
			return kv_fail(err, errlen, "--boot order=%.*s: '%c' given twice", (int)n, v, v[i]);
	}
	memcpy(o->order, v, n);
	o->order[n] = 0;
	return 0;
}

int boot_order_parse(const char *s, struct boot_order *o, char *err, size_t errlen)
{
	boot_order_default(o);
	if (!s || !*s)
		return kv_fail(err, errlen, "--boot: expected order=LETTERS[,menu=on|off]");
	if (!strchr(s, '='))
		return parse_letters(s, strlen(s), o, err, errlen);
	const char *p = s;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n > 6 && !strncmp(p, "order=", 6)) {
			if (parse_letters(p + 6, n - 6, o, err, errlen))
				return -EINVAL;
		} else if (n == 6 && !strncmp(p, "order=", 6)) {
			return parse_letters(p, 0, o, err, errlen);
		} else if (n == 7 && !strncmp(p, "menu=on", 7)) {
			o->menu = 1;
		} else if (n == 8 && !strncmp(p, "menu=off", 8)) {
			o->menu = 0;
		} else {
			return kv_fail(err, errlen, "--boot %s: unknown '%.*s' (expected order=LETTERS, menu=on|off)", s,
				    (int)n, p);
		}
		p += n;
		if (*p == ',' && !*++p)
			return kv_fail(err, errlen, "--boot %s: empty option after ','", s);
	}
	return 0;
}

static int put(char *buf, size_t len, int n)
{
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static int pci_part(char *buf, size_t len, const char *name, unsigned slot, unsigned fn)
{
	if (fn)
		return put(buf, len, snprintf(buf, len, PCI_ROOT "/%s@%x,%x", name, slot, fn));
	return put(buf, len, snprintf(buf, len, PCI_ROOT "/%s@%x", name, slot));
}

int boot_path_virtio_blk(char *buf, size_t len, unsigned slot)
{
	int n = pci_part(buf, len, "scsi", slot, 0);
	return n < 0 ? n : put(buf, len, n + snprintf(buf + n, len - (size_t)n, "/disk@0,0"));
}

int boot_path_virtio_scsi(char *buf, size_t len, unsigned slot, unsigned target, unsigned lun)
{
	int n = pci_part(buf, len, "scsi", slot, 0);
	return n < 0 ? n
		     : put(buf, len, n + snprintf(buf + n, len - (size_t)n, "/channel@0/disk@%x,%x", target, lun));
}

int boot_path_ide(char *buf, size_t len, unsigned slot, unsigned fn, unsigned channel, unsigned unit)
{
	int n = pci_part(buf, len, "ide", slot, fn);
	return n < 0 ? n : put(buf, len, n + snprintf(buf + n, len - (size_t)n, "/drive@%x/disk@%x", channel, unit));
}

int boot_path_ahci(char *buf, size_t len, unsigned slot, unsigned fn, unsigned port)
{
	int n = pci_part(buf, len, "sata", slot, fn);
	return n < 0 ? n : put(buf, len, n + snprintf(buf + n, len - (size_t)n, "/drive@%x/disk@0", port));
}

int bootorder_build(const struct boot_order *o, const struct boot_dev *devs, unsigned n, char *out, size_t cap,
		    size_t *len)
{
	size_t used = 0;
	if (cap)
		out[0] = 0;
	for (const char *l = o->order; *l; l++) {
		enum boot_kind want = *l == 'd' ? BOOT_CD : BOOT_HD;
		for (unsigned i = 0; i < n; i++) {
			if (devs[i].kind != want)
				continue;
			int w = snprintf(out + used, cap - used, "%s%s", used ? "\n" : "", devs[i].path);
			if (w < 0 || (size_t)w >= cap - used)
				return -ENOSPC;
			used += (size_t)w;
			break;
		}
	}
	*len = used;
	return 0;
}

void boot_order_cmos(const struct boot_order *o, uint8_t *reg3d, uint8_t *reg38)
{
	uint8_t code[3] = { 0 };
	for (unsigned i = 0; i < BOOT_ORDER_MAX && o->order[i]; i++)
		code[i] = o->order[i] == 'd' ? 3 : 2;
	*reg3d = (uint8_t)(code[0] | code[1] << 4);
	*reg38 = (uint8_t)(code[2] << 4 | 1); /* bit 0: no floppy boot-signature check */
}
