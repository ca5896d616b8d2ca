// SPDX-License-Identifier: GPL-2.0-or-later
/* QMP's block commands on a running VM: query-block (every drive and its medium), and the CD-ROM
 * medium changes eject, blockdev-change-medium, blockdev-open-tray and blockdev-close-tray with
 * QEMU's arguments, messages and DEVICE_TRAY_MOVED events. A drive is named by its id= ("id" or
 * "device" in the arguments); drives without one appear in query-block as "scsi0-T-L" or
 * "virtioN" and can be named that way too. Runs on the main loop; a medium change waits at most a
 * few ms for the drive's reads in flight (machine_scsi.h). */
#include "machine_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void drive_name(const struct mscsi_drive *d, char *buf, size_t len)
{
	if (d->spec->id[0])
		snprintf(buf, len, "%s", d->spec->id);
	else
		snprintf(buf, len, "scsi0-%u-%u", d->target, d->lun);
}

static const char *arg_str(json_object *args, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(args, key, &v) ? json_object_get_string(v) : NULL;
}

static bool arg_bool(json_object *args, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(args, key, &v) && json_object_get_boolean(v);
}

/* The SCSI drive the arguments name (id, or the older device), or NULL with the error set. */
static struct mscsi_drive *find_drive(struct machine *m, json_object *args, struct qmp_result *r, char *name,
				      size_t len)
{
	const char *id = arg_str(args, "id"), *dev = arg_str(args, "device");
	if (!id == !dev) {
		qmp_error(r, QMP_ERR_GENERIC, "Need exactly one of 'id' and 'device'");
		return NULL;
	}
	const char *want = id ? id : dev;
	for (unsigned i = 0; i < m->scsi.ndrv; i++) {
		drive_name(&m->scsi.drv[i], name, len);
		if (!strcmp(name, want)) {
			if (m->scsi.drv[i].spec->media != DISK_MEDIA_CDROM) {
				qmp_error(r, QMP_ERR_GENERIC, "Device '%.64s' is not removable", want);
				return NULL;
			}
			return &m->scsi.drv[i];
		}
	}
	for (unsigned i = 0; i < m->ndisks; i++)
		if (m->disks[i] && !strcmp(m->dspec[i].id, want)) {
			qmp_error(r, QMP_ERR_GENERIC, "Device '%.64s' is not removable", want);
			return NULL;
		}
	qmp_error(r, QMP_ERR_DEVICE_NOT_FOUND, "Device '%.64s' not found", want);
	return NULL;
}

static void tray_event(struct machine *m, const char *name, bool open)
{
	json_object *d = json_object_new_object();
	json_object_object_add(d, "device", json_object_new_string(name));
	json_object_object_add(d, "id", json_object_new_string(name));
	json_object_object_add(d, "tray-open", json_object_new_boolean(open));
	mqmp_event(m, "DEVICE_TRAY_MOVED", d);
}

/* An error of a medium change in QEMU's words. */
static void change_error(struct qmp_result *r, int e, const char *name)
{
	if (e == -EPERM)
		qmp_error(r, QMP_ERR_GENERIC,
			  "Device '%s' is locked and force was not specified, wait for tray to open and try again", name);
	else if (e == -EBUSY)
		qmp_error(r, QMP_ERR_GENERIC, "Device '%s' is busy: requests in flight, try again", name);
	else
		qmp_error(r, QMP_ERR_GENERIC, "Device '%s': %s", name, strerror(-e));
}

static bool tray_open(struct machine *m, const struct mscsi_drive *d)
{
	bool present, open = false, locked;
	scsi_lun_medium(m->scsi.t[d->target], d->lun, &present, &open, &locked);
	return open;
}

static void cmd_open_tray(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	char name[64];
	struct mscsi_drive *d = find_drive(m, args, r, name, sizeof(name));
	if (!d || tray_open(m, d))
		return;
	int e = machine_scsi_tray(&m->scsi, d, true, arg_bool(args, "force"));
	if (e)
		return change_error(r, e, name);
	tray_event(m, name, true);
}

static void cmd_close_tray(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	char name[64];
	struct mscsi_drive *d = find_drive(m, args, r, name, sizeof(name));
	if (!d || !tray_open(m, d))
		return;
	int e = machine_scsi_tray(&m->scsi, d, false, false);
	if (e)
		return change_error(r, e, name);
	tray_event(m, name, false);
}

static void cmd_eject(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	char name[64];
	struct mscsi_drive *d = find_drive(m, args, r, name, sizeof(name));
	if (!d)
		return;
	bool was_open = tray_open(m, d);
	int e = machine_scsi_eject(&m->scsi, d, arg_bool(args, "force"));
	if (e)
		return change_error(r, e, name);
	if (!was_open)
		tray_event(m, name, true);
}

static void cmd_change_medium(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	char name[64];
	struct mscsi_drive *d = find_drive(m, args, r, name, sizeof(name));
	if (!d)
		return;
	struct disk_opts o = { .format = DISK_FMT_RAW, .read_only = true };
	const char *fmt = arg_str(args, "format"), *mode = arg_str(args, "read-only-mode");
	const char *file = arg_str(args, "filename");
	if (fmt && (disk_format_parse(fmt, &o.format) || o.format == DISK_FMT_AUTO))
		return qmp_error(r, QMP_ERR_GENERIC, "Unknown driver '%.64s'", fmt);
	if (mode && strcmp(mode, "retain") && strcmp(mode, "read-only")) {
		if (!strcmp(mode, "read-write"))
			return qmp_error(r, QMP_ERR_GENERIC, "Block node is read-only");
		return qmp_error(r, QMP_ERR_GENERIC, "Parameter 'read-only-mode' does not accept value '%.64s'", mode);
	}
	bool was_open = tray_open(m, d);
	const char *why = NULL;
	int e = machine_scsi_change(&m->scsi, d, file, &o, arg_bool(args, "force"), &why);
	if (e && why)
		return qmp_error(r, QMP_ERR_GENERIC, "Could not open '%.200s': %s", file, why);
	if (e == -ENOENT || e == -EACCES || e == -EISDIR)
		return qmp_error(r, QMP_ERR_GENERIC, "Could not open '%.200s': %s", file, strerror(-e));
	if (e)
		return change_error(r, e, name);
	/* as QEMU: the tray opened for the swap and closed again */
	if (!was_open)
		tray_event(m, name, true);
	tray_event(m, name, false);
}

/* query-block's "inserted" object */
static json_object *inserted(const char *file, const char *format, uint64_t size, bool ro, const struct disk_opts *o)
{
	json_object *in = json_object_new_object(), *img = json_object_new_object(), *cache = json_object_new_object();
	json_object_object_add(in, "file", json_object_new_string(file));
	json_object_object_add(in, "ro", json_object_new_boolean(ro));
	json_object_object_add(in, "drv", json_object_new_string(format));
	json_object_object_add(in, "backing_file_depth", json_object_new_int(0));
	json_object_object_add(in, "encrypted", json_object_new_boolean(0));
	json_object_object_add(in, "detect_zeroes", json_object_new_string("off"));
	static const char *const zero[] = { "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr" };
	for (unsigned i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		json_object_object_add(in, zero[i], json_object_new_int(0));
	json_object_object_add(img, "filename", json_object_new_string(file));
	json_object_object_add(img, "format", json_object_new_string(format));
	json_object_object_add(img, "virtual-size", json_object_new_int64((int64_t)size));
	json_object_object_add(in, "image", img);
	json_object_object_add(cache, "writeback", json_object_new_boolean(o->cache != DISK_CACHE_NONE));
	json_object_object_add(cache, "direct", json_object_new_boolean(o->cache == DISK_CACHE_NONE));
	json_object_object_add(cache, "no-flush", json_object_new_boolean(o->cache == DISK_CACHE_UNSAFE));
	json_object_object_add(in, "cache", cache);
	return in;
}

static json_object *block_info(const char *name, const char *qdev, bool removable, bool locked)
{
	json_object *b = json_object_new_object();
	json_object_object_add(b, "device", json_object_new_string(name));
	if (qdev)
		json_object_object_add(b, "qdev", json_object_new_string(qdev));
	json_object_object_add(b, "type", json_object_new_string("unknown"));
	json_object_object_add(b, "removable", json_object_new_boolean(removable));
	json_object_object_add(b, "locked", json_object_new_boolean(locked));
	return b;
}

static void cmd_query_block(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *list = json_object_new_array();
	for (unsigned i = 0, n = 0; i < m->o->ndisks; i++) {
		if (!m->disks[i])
			continue;
		char name[64];
		const struct disk_spec *s = &m->dspec[i];
		if (s->id[0])
			snprintf(name, sizeof(name), "%s", s->id);
		else
			snprintf(name, sizeof(name), "virtio%u", n);
		n++;
		json_object *b = block_info(name, s->id[0] ? s->id : NULL, false, false);
		struct disk *d = m->disks[i];
		json_object_object_add(b, "inserted", inserted(s->path, d->format, d->size, d->read_only, &s->opts));
		json_object_array_add(list, b);
	}
	for (unsigned i = 0; i < m->scsi.ndrv; i++) {
		const struct mscsi_drive *d = &m->scsi.drv[i];
		char name[64];
		drive_name(d, name, sizeof(name));
		bool cd = d->spec->media == DISK_MEDIA_CDROM, present = false, open = false, locked = false;
		scsi_lun_medium(m->scsi.t[d->target], d->lun, &present, &open, &locked);
		json_object *b = block_info(name, d->spec->id[0] ? d->spec->id : NULL, cd, locked);
		if (cd)
			json_object_object_add(b, "tray_open", json_object_new_boolean(open));
		if (d->file)
			json_object_object_add(b, "inserted", inserted(d->file, d->format, d->size, cd || d->opts.read_only,
								     &d->opts));
		json_object_array_add(list, b);
	}
	qmp_return(r, list);
}

static const struct qmp_arg tray_args[] = {
	{ "device", json_type_string, 1 },
	{ "id", json_type_string, 1 },
	{ "force", json_type_boolean, 1 },
	{ NULL, 0, 0 },
};

static const struct qmp_arg close_args[] = {
	{ "device", json_type_string, 1 },
	{ "id", json_type_string, 1 },
	{ NULL, 0, 0 },
};

static const struct qmp_arg change_args[] = {
	{ "device", json_type_string, 1 },
	{ "id", json_type_string, 1 },
	{ "filename", json_type_string, 0 },
	{ "format", json_type_string, 1 },
	{ "read-only-mode", json_type_string, 1 },
	{ "force", json_type_boolean, 1 },
	{ NULL, 0, 0 },
};

const struct mqmp_command mqmp_block_commands[] = {
	{ "query-block", NULL, cmd_query_block },
	{ "eject", tray_args, cmd_eject },
	{ "blockdev-change-medium", change_args, cmd_change_medium },
	{ "blockdev-open-tray", tray_args, cmd_open_tray },
	{ "blockdev-close-tray", close_args, cmd_close_tray },
	{ NULL, NULL, NULL },
};
