// SPDX-License-Identifier: GPL-2.0-or-later
/* --share: the option's grammar and the virtio-9p devices built from it. */
#include "machine_share.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "devices/9p/p9.h"
#include "log.h"
#include "rootfs.h"

int share_spec_parse(const char *s, struct share_spec *out, char *err, size_t errlen)
{
	enum { TAG, RO, TRANSPORT };
	static char *const keys[] = { "tag", "ro", "transport", NULL };
	static const char *const transports[] = { "pci", "mmio", NULL };
	memset(out, 0, sizeof(*out));
	char *opts, *copy = subopts_split(s, &opts);
	if (!copy)
		return -ENOMEM;
	const char *bad = opts && (!*opts || opts[strlen(opts) - 1] == ',') ? "" : NULL, *why = NULL;
	if (!copy[0] || strlen(copy) >= sizeof(out->dir))
		bad = "", why = "expected HOST_DIR,tag=NAME[,ro][,transport=pci|mmio]";
	else
		strcpy(out->dir, copy);
	while (!bad && opts && *opts) {
		char *opt = opts, *val;
		int k = getsubopt(&opts, keys, &val), v;
		if (k == TAG && val && val[0] && strlen(val) <= VIRTIO_9P_TAG_MAX)
			strcpy(out->tag, val);
		else if (k == TAG)
			bad = opt, why = "a tag has 1 to 64 bytes";
		else if (k == RO && !val)
			out->ro = 1;
		else if (k == TRANSPORT && (v = subopt_value(val, transports)) >= 0)
			out->transport = v ? VDEV_MMIO : VDEV_PCI;
		else
			bad = opt;
	}
	if (!bad && !out->tag[0])
		bad = "", why = "tag=NAME is needed (the guest mounts the share by it)";
	if (bad && why)
		snprintf(err, errlen, "--share %s: %s", s, why);
	else if (bad)
		snprintf(err, errlen, "--share %s: bad option '%s' (see kvmini run --help)", s, bad);
	free(copy);
	return bad ? -EINVAL : 0;
}

/* 0 if dir is a directory, else the errno saying why not */
static int dir_errno(const char *dir)
{
	struct stat st;
	return stat(dir, &st) ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* --rootfs-share DIR[,rw]: one more share, tagged kvmini-root, read-only unless rw */
static int rootfs_share_spec(struct machine_shares *ms, const char *arg)
{
	char err[PATH_MAX + 128];
	struct rootfs_spec rs;
	if (rootfs_spec_parse(arg, &rs, err, sizeof(err))) {
		kv_log("%s", err);
		return -EINVAL;
	}
	for (unsigned j = 0; j < ms->n; j++)
		if (!strcmp(ms->spec[j].tag, ROOTFS_TAG)) {
			kv_log("--share %s: the tag %s is --rootfs-share's", ms->spec[j].dir, ROOTFS_TAG);
			return -EINVAL;
		}
	int e = dir_errno(rs.dir);
	if (e) {
		kv_log("--rootfs-share %s: %s", rs.dir, strerror(e));
		return -e;
	}
	struct share_spec *sp = &ms->spec[ms->n++];
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->dir, sizeof(sp->dir), "%s", rs.dir);
	snprintf(sp->tag, sizeof(sp->tag), "%s", ROOTFS_TAG);
	sp->ro = !rs.rw;
	return 0;
}

int machine_shares_open(struct machine_shares *ms, const struct run_opts *o)
{
	char err[PATH_MAX + 128];
	memset(ms, 0, sizeof(*ms));
	for (unsigned i = 0; i < o->nshares; i++) {
		struct share_spec *sp = &ms->spec[i];
		if (share_spec_parse(o->shares[i], sp, err, sizeof(err))) {
			kv_log("%s", err);
			return -EINVAL;
		}
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(ms->spec[j].tag, sp->tag)) {
				kv_log("--share %s: tag %s is used twice", o->shares[i], sp->tag);
				return -EINVAL;
			}
		int e = dir_errno(sp->dir);
		if (e) {
			kv_log("--share %s: %s", o->shares[i], strerror(e));
			return -e;
		}
	}
	ms->n = o->nshares;
	if (o->rootfs_share) {
		int r = rootfs_share_spec(ms, o->rootfs_share);
		if (r)
			return r;
	}
	/* every fid costs up to two descriptors: raise the soft limit to the hard one and give the
	 * shares half of it, so a guest opening files without end never starves the VMM */
	struct rlimit rl;
	if (ms->n && !getrlimit(RLIMIT_NOFILE, &rl)) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		rlim_t per = rl.rlim_cur / 4 / ms->n;
		ms->max_fids = per < 64 ? 64 : per > P9_MAX_FIDS ? P9_MAX_FIDS : (unsigned)per;
	}
	return 0;
}

int machine_shares_add(struct machine_shares *ms, struct vdev_place *p)
{
	for (unsigned i = 0; i < ms->n; i++) {
		const struct share_spec *sp = &ms->spec[i];
		char name[32];
		snprintf(name, sizeof(name), "virtio-9p%u", i);
		const char *why = NULL;
		int r = virtio_p9_create(&ms->dev[i], sp->dir, sp->tag, sp->ro, name);
		if (!r) {
			virtio_p9_limit_fids(ms->dev[i], ms->max_fids);
			r = vdev_place(p, virtio_p9_dev(ms->dev[i]), sp->transport, &why);
		}
		if (r) {
			kv_log("--share %s: %s", sp->dir, why ? why : strerror(-r));
			return r;
		}
	}
	return 0;
}

void machine_shares_remove(struct machine_shares *ms)
{
	for (unsigned i = 0; i < ms->n; i++) {
		virtio_p9_destroy(ms->dev[i]);
		ms->dev[i] = NULL;
	}
}

int machine_shares_want_pci(const struct machine_shares *ms)
{
	for (unsigned i = 0; i < ms->n; i++)
		if (ms->spec[i].transport == VDEV_PCI)
			return 1;
	return 0;
}
