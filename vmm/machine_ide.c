// SPDX-License-Identifier: GPL-2.0-or-later
/* --disk if=ide, --hda..--hdd, --cdrom: ATA devices for the run at the four IDE positions, the
 * PIIX3 ISA bridge and IDE function per incarnation (vmm/machine_ide.h). */
#include "machine_ide.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *spec_name(const struct disk_spec *s) { return s->empty ? "none" : s->path; }

/* the position s asks for (-1: any); a unit alone means bus 0, a bus alone its first free unit */
static int wanted(const struct machine_ide *mi, const struct disk_spec *s)
{
	if (s->bus < 0 && s->unit < 0)
		return -1;
	int bus = s->bus < 0 ? 0 : s->bus;
	if (s->unit >= 0)
		return bus * 2 + s->unit;
	return mi->used[bus * 2] ? bus * 2 + 1 : bus * 2;
}

/* s at its position, or a usage error: nothing is opened before every drive has its place */
static int place(struct machine_ide *mi, const struct disk_spec *s, const char *what)
{
	int pos = wanted(mi, s);
	if (pos < 0)
		for (pos = 0; pos < IDE_UNITS && mi->used[pos]; pos++)
			;
	if (pos >= IDE_UNITS) {
		kv_log("%s: no free IDE position (bus 0..1, unit 0..1 are taken)", what);
		return -EINVAL;
	}
	if (mi->used[pos]) {
		kv_log("%s: IDE bus %d unit %d is taken by %s", what, pos / 2, pos % 2, mi->what[pos]);
		return -EINVAL;
	}
	mi->spec[pos] = *s;
	mi->used[pos] = true;
	snprintf(mi->what[pos], sizeof(mi->what[pos]), "%s", what);
	return 0;
}

static int open_drive(struct machine_ide *mi, unsigned pos)
{
	const struct disk_spec *s = &mi->spec[pos];
	struct disk *d = NULL;
	int r;
	if (!s->empty) {
		const char *why = NULL;
		if ((r = disk_open(&d, s->path, &s->opts, &why))) {
			kv_log("%s: %s", mi->what[pos], why ? why : strerror(-r));
			return r == -EINVAL ? -EIO : r; /* the host's refusal, not a usage error */
		}
	}
	bool cd = s->media == DISK_MEDIA_CDROM;
	char serial[24];
	snprintf(serial, sizeof(serial), "KVMINI-IDE-%u", pos);
	struct ata_dev_opts ao = { .kind = cd ? ATA_CDROM : ATA_DISK, .serial = serial,
				   .discard = !cd && !s->no_discard && !s->opts.read_only };
	if ((r = ata_dev_create(&mi->dev[pos], d, &ao))) {
		kv_log("%s: %s", mi->what[pos],
		       r == -EINVAL ? "not usable as an ATA disk (smaller than one sector?)" : strerror(-r));
		disk_close(d);
		return -EIO;
	}
	mi->n++;
	return 0;
}

int machine_ide_open(struct machine_ide *mi, const struct run_opts *o, const struct disk_spec *specs, unsigned n)
{
	memset(mi, 0, sizeof(*mi));
	static struct disk_spec sp; /* 4 KiB path: not on the stack */
	char err[256], what[80];
	int r = 0;
	for (unsigned i = 0; i < 4 && !r; i++) {
		if (!o->hd[i])
			continue;
		snprintf(what, sizeof(what), "--hd%c %.64s", 'a' + i, o->hd[i]);
		if ((r = hd_spec_parse(o->hd[i], i, &sp, err, sizeof(err))))
			kv_log("%s", err);
		else
			r = place(mi, &sp, what);
	}
	if (!r && o->cdrom) {
		snprintf(what, sizeof(what), "--cdrom %.64s", o->cdrom);
		if ((r = cdrom_spec_parse(o->cdrom, &sp, err, sizeof(err))))
			kv_log("%s", err);
		else
			r = place(mi, &sp, what);
	}
	/* explicit positions first, so an automatic one never takes what a later drive names */
	for (int pass = 0; pass < 2 && !r; pass++)
		for (unsigned i = 0; i < n && !r; i++) {
			const struct disk_spec *s = &specs[i];
			if (s->iface != DISK_IF_IDE || (s->bus >= 0 || s->unit >= 0) != !pass)
				continue;
			snprintf(what, sizeof(what), "--disk %.64s", spec_name(s));
			r = place(mi, s, what);
		}
	for (unsigned pos = 0; pos < IDE_UNITS && !r; pos++)
		if (mi->used[pos])
			r = open_drive(mi, pos);
	if (r)
		machine_ide_close(mi);
	return r;
}

int machine_ide_add(struct machine_ide *mi, struct vm *vm, struct pci_host *pci)
{
	if (!mi->n && !mi->bridge)
		return 0;
	int r = piix3_isa_create(&mi->isa, &vm->pio, NULL);
	if (!r)
		r = pci_host_add_fn(pci, piix3_isa_pci(mi->isa), PIIX3_ISA_SLOT, 0);
	if (r) {
		kv_err(r, "PIIX3 ISA bridge at 00:01.0");
		return r;
	}
	if (!mi->n)
		return 0;
	for (unsigned i = 0; i < IDE_UNITS; i++)
		if (mi->dev[i])
			ata_dev_reset(mi->dev[i], true); /* the guest starts over */
	struct ide_env env = {
		.pio = &vm->pio,
		.mem = &vm->mem,
		.irq = { { &vm->hooks, vm, 14 }, { &vm->hooks, vm, 15 } },
	};
	if (!(r = ide_create(&mi->ide, &env, mi->dev)))
		r = pci_host_add_fn(pci, ide_pci(mi->ide), PIIX3_ISA_SLOT, IDE_FN);
	if (r)
		kv_err(r, "PIIX3 IDE at 00:01.1");
	return r;
}

void machine_ide_remove(struct machine_ide *mi)
{
	ide_destroy(mi->ide);
	piix3_isa_destroy(mi->isa);
	mi->ide = NULL;
	mi->isa = NULL;
}

void machine_ide_close(struct machine_ide *mi)
{
	machine_ide_remove(mi);
	for (unsigned i = 0; i < IDE_UNITS; i++) {
		ata_dev_destroy(mi->dev[i]);
		mi->dev[i] = NULL;
	}
	mi->n = 0;
}
