// SPDX-License-Identifier: GPL-2.0-or-later
/* --disk if=scsi and --cdrom: SCSI targets for the run, a virtio-scsi controller per incarnation. */
#include "machine_scsi.h"

#include <errno.h>
#include <string.h>

#include "log.h"

static const char *spec_name(const struct disk_spec *s) { return s->empty ? "none" : s->path; }

/* The target for id, created on first use. */
static int target_of(struct machine_scsi *ms, unsigned id, struct scsi_target **out)
{
	if (!ms->t[id]) {
		struct scsi_target_opts o = { .autosense = true, .id = id };
		int r = scsi_target_create(&ms->t[id], &o);
		if (r)
			return r;
	}
	*out = ms->t[id];
	return 0;
}

/* One drive: its image opened (unless an empty CD-ROM) and handed to its target. */
static int add_drive(struct machine_scsi *ms, const struct disk_spec *s, const char *opt)
{
	unsigned id = s->target >= 0 ? (unsigned)s->target : 0;
	struct scsi_target *t;
	int r = target_of(ms, id, &t);
	if (r) {
		kv_err(r, "%s %s: SCSI target", opt, spec_name(s));
		return r;
	}
	unsigned lun = 0;
	if (s->lun >= 0) {
		lun = (unsigned)s->lun;
		if (scsi_target_has_lun(t, lun)) {
			kv_log("%s %s: target %u LUN %u is taken by another drive", opt, spec_name(s), id, lun);
			return -EINVAL;
		}
	} else {
		while (lun < SCSI_LUN_MAX && scsi_target_has_lun(t, lun))
			lun++;
	}
	struct disk *d = NULL;
	if (!s->empty) {
		const char *why = NULL;
		if ((r = disk_open(&d, s->path, &s->opts, &why))) {
			kv_log("%s %s: %s", opt, s->path, why ? why : strerror(-r));
			return r == -EINVAL ? -EIO : r; /* the host's refusal, not a usage error */
		}
	}
	bool cd = s->media == DISK_MEDIA_CDROM;
	struct scsi_lun_opts lo = { .type = cd ? SCSI_LUN_CDROM : SCSI_LUN_DISK,
				    .discard = !cd && !s->no_discard && !s->opts.read_only };
	if ((r = scsi_target_add_lun(t, lun, d, &lo))) {
		kv_log("%s %s: %s", opt, spec_name(s),
		       r == -EINVAL ? "not usable as a SCSI LUN (smaller than one block?)" : strerror(-r));
		disk_close(d);
		return -EIO;
	}
	if (s->transport == VDEV_MMIO)
		ms->transport = VDEV_MMIO;
	if (ms->ndrives < MACHINE_SCSI_DRIVES)
		ms->drive[ms->ndrives++] = (struct machine_scsi_drive){ s, id, lun, cd };
	ms->nluns++;
	return 0;
}

int machine_scsi_open(struct machine_scsi *ms, const struct disk_spec *specs, unsigned n, const char *cdrom)
{
	memset(ms, 0, sizeof(*ms));
	int r = 0;
	/* explicit addresses first, so an automatic one never takes what a later drive names */
	for (int pass = 0; pass < 2 && !r; pass++)
		for (unsigned i = 0; i < n && !r; i++)
			if (specs[i].iface == DISK_IF_SCSI && (specs[i].target >= 0 || specs[i].lun >= 0) == !pass)
				r = add_drive(ms, &specs[i], "--disk");
	if (!r && cdrom) {
		static struct disk_spec cd; /* 4 KiB path: not on the stack */
		char err[256];
		if ((r = cdrom_spec_parse(cdrom, &cd, err, sizeof(err))))
			kv_log("%s", err);
		else
			r = add_drive(ms, &cd, "--cdrom");
	}
	if (r)
		machine_scsi_close(ms);
	return r;
}

int machine_scsi_add(struct machine_scsi *ms, struct vdev_place *p, unsigned cpus)
{
	if (!ms->nluns)
		return 0;
	for (unsigned i = 0; i < VIRTIO_SCSI_TARGETS; i++)
		if (ms->t[i])
			scsi_target_reset(ms->t[i]); /* the guest starts over: power-on unit attention */
	struct virtio_scsi_opts o = {
		.num_queues = cpus < VIRTIO_SCSI_MAX_REQ_QUEUES ? (cpus ? cpus : 1) : VIRTIO_SCSI_MAX_REQ_QUEUES,
		.name = "virtio-scsi0",
	};
	const char *why = NULL;
	int r = virtio_scsi_create(&ms->dev, ms->t, &o);
	if (!r && (r = vdev_place(p, virtio_scsi_dev(ms->dev), ms->transport, &why))) {
		virtio_scsi_destroy(ms->dev);
		ms->dev = NULL;
	}
	if (r)
		kv_log("virtio-scsi: %s", why ? why : strerror(-r));
	return r;
}

void machine_scsi_remove(struct machine_scsi *ms)
{
	virtio_scsi_destroy(ms->dev);
	ms->dev = NULL;
}

void machine_scsi_close(struct machine_scsi *ms)
{
	machine_scsi_remove(ms);
	for (unsigned i = 0; i < VIRTIO_SCSI_TARGETS; i++) {
		scsi_target_destroy(ms->t[i]);
		ms->t[i] = NULL;
	}
	ms->nluns = 0;
}
