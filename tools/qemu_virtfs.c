// SPDX-License-Identifier: GPL-2.0-or-later
/* The QEMU front end's host directory sharing (see qemu_args.h): -virtfs local,... and the
 * -fsdev local,... + -device virtio-9p-pci,fsdev=,mount_tag= pair, translated into kvmini run's
 * --share DIR,tag=TAG[,ro]. kvmini's 9p server works as security_model=none or passthrough do
 * (the guest's owners and modes are the host's); the mapped models, which keep them in xattrs,
 * are refused. */
#include "tools/qemu_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* path, security_model and readonly of a -virtfs or -fsdev into fs; 0 or -EINVAL */
static int fs_common(struct qemu_xlate *x, const char *shown, const struct qkv *o, struct qx_fsdev *fs)
{
	const char *drv = qkv_get(o, "fsdriver"), *path = qkv_get(o, "path"), *sm = qkv_get(o, "security_model"),
		   *ro = qkv_get(o, "readonly");
	if (!drv || strcmp(drv, "local"))
		return qx_fail(x, "%s: kvmini shares host directories with fsdriver local only", shown);
	if (!path || !*path)
		return qx_fail(x, "%s: path= is needed", shown);
	if (strchr(path, ','))
		return qx_fail(x, "%s: path '%s' has a comma, which kvmini's --share cannot take", shown, path);
	if (!sm)
		return qx_fail(x, "%s: security_model= is needed (none or passthrough)", shown);
	if (strcmp(sm, "none") && strcmp(sm, "passthrough"))
		return qx_fail(x, "%s: security_model=%s: kvmini has none and passthrough (owners and modes are the host's)",
			       shown, sm);
	int b = ro ? qkv_bool(ro) : 0;
	if (b < 0)
		return qx_fail(x, "%s: readonly=%s: expected on or off", shown, ro);
	fs->ro = b == 1;
	return (fs->path = qx_strdup(x, path)) ? 0 : -ENOMEM;
}

static int emit_share(struct qemu_xlate *x, const char *shown, const struct qx_fsdev *fs, const char *tag)
{
	if (!tag || !*tag)
		return qx_fail(x, "%s: mount_tag= is needed", shown);
	if (strchr(tag, ','))
		return qx_fail(x, "%s: mount_tag '%s' has a comma", shown, tag);
	return qx_emitf(x, "--share", "%s,tag=%s%s", fs->path, tag, fs->ro ? ",ro" : "");
}

int qx_virtfs(struct qemu_xlate *x, const char *opt, const char *val)
{
	static const char *const keys[] = { "fsdriver", "path", "mount_tag", "security_model", "readonly", "id", NULL };
	char shown[600];
	snprintf(shown, sizeof(shown), "%s %.500s", opt, val);
	struct qkv o;
	struct qx_fsdev fs = { 0 };
	int r = qkv_parse(x, &o, opt, val, "fsdriver");
	if (r)
		return r;
	if (!(r = qkv_only(x, &o, shown, keys)) && !(r = fs_common(x, shown, &o, &fs)))
		r = emit_share(x, shown, &fs, qkv_get(&o, "mount_tag"));
	free(fs.path);
	qkv_free(&o);
	return r;
}

int qx_fsdev(struct qemu_xlate *x, const char *opt, const char *val)
{
	static const char *const keys[] = { "fsdriver", "id", "path", "security_model", "readonly", NULL };
	char shown[600];
	snprintf(shown, sizeof(shown), "%s %.500s", opt, val);
	if (x->nfsdevs == QX_MAX_FSDEVS)
		return qx_fail(x, "%s: too many -fsdev (at most %d)", shown, QX_MAX_FSDEVS);
	struct qkv o;
	struct qx_fsdev *fs = &x->fsdevs[x->nfsdevs];
	int r = qkv_parse(x, &o, opt, val, "fsdriver");
	if (r)
		return r;
	const char *id = qkv_get(&o, "id");
	if (!(r = qkv_only(x, &o, shown, keys)) && !id)
		r = qx_fail(x, "%s: Parameter 'id' is missing", shown);
	for (unsigned i = 0; !r && i < x->nfsdevs; i++)
		if (!strcmp(x->fsdevs[i].id, id))
			r = qx_fail(x, "%s: duplicate fsdev id %s", shown, id);
	memset(fs, 0, sizeof(*fs));
	if (!r && !(r = fs_common(x, shown, &o, fs)))
		r = (fs->id = qx_strdup(x, id)) ? 0 : -ENOMEM;
	if (!r)
		x->nfsdevs++;
	else
		free(fs->path);
	qkv_free(&o);
	return r;
}

int qx_virtfs_device(struct qemu_xlate *x, const char *shown, const struct qkv *o)
{
	static const char *const keys[] = { "driver", "fsdev", "mount_tag", "id", "bus", "addr", NULL };
	const char *id = qkv_get(o, "fsdev");
	int r = qkv_only(x, o, shown, keys);
	if (r)
		return r;
	if (!id)
		return qx_fail(x, "%s: fsdev= is needed (a -fsdev local,id=ID,...)", shown);
	for (unsigned i = 0; i < x->nfsdevs; i++)
		if (!strcmp(x->fsdevs[i].id, id)) {
			if (x->fsdevs[i].used)
				return qx_fail(x, "%s: fsdev %s is already in use", shown, id);
			x->fsdevs[i].used = true;
			return emit_share(x, shown, &x->fsdevs[i], qkv_get(o, "mount_tag"));
		}
	return qx_fail(x, "%s: Property 'virtio-9p-pci.fsdev' can't find value '%s'", shown, id);
}
