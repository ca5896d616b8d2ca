// SPDX-License-Identifier: GPL-2.0-or-later
/* Throw-away disks (`kvmini run --snapshot`, QEMU's -snapshot): the image is opened read-only as
 * the backing file of a new qcow2 overlay in a temporary directory, and the overlay is unlinked as
 * soon as it is open. Guest writes go to the overlay's blocks, which vanish with the last file
 * descriptor: at exit, on an error exit, on SIGTERM and on SIGKILL alike. */
#include "disk_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int qcow2_create_fd(int fd, const struct disk_create_opts *o, const char **why);

/* $TMPDIR, else /var/tmp (QEMU's choice: large images do not belong in a RAM-backed /tmp) */
static const char *tmp_dir(void)
{
	const char *t = getenv("TMPDIR");
	return t && t[0] == '/' ? t : "/var/tmp";
}

int disk_open_overlay(struct disk **out, const char *path, const struct disk_opts *o, const char **why)
{
	if (disk_nbd_uri(path, NULL) != 0) {
		*why = "--snapshot: an NBD export cannot be the backing file of an overlay";
		return -ENOTSUP;
	}
	/* the image as it is: its format and size, and whether it opens at all */
	struct disk_opts ro = *o;
	ro.read_only = true;
	ro.snapshot = false;
	struct disk *base;
	int r = disk_open_chain(&base, path, &ro, NULL, why);
	if (r < 0)
		return r;
	char full[PATH_MAX];
	struct disk_create_opts co = {
		.format = DISK_FMT_QCOW2,
		.size = base->size,
		.backing = full,
		.backing_fmt = strcmp(base->format, "qcow2") ? DISK_FMT_RAW : DISK_FMT_QCOW2,
	};
	disk_close(base);
	if (!realpath(path, full))
		return -errno;
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s/kvmini-snapshot-XXXXXX", tmp_dir()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		*why = "--snapshot: cannot create the temporary overlay (TMPDIR, else /var/tmp)";
		return -errno;
	}
	r = qcow2_create_fd(fd, &co, why);
	close(fd);
	struct disk_opts ov = *o;
	ov.format = DISK_FMT_QCOW2;
	ov.snapshot = false;
	if (!r)
		r = disk_open_chain(out, tmp, &ov, NULL, why);
	unlink(tmp); /* open (or failed): nothing of it stays in the directory */
	if (r < 0)
		return r;
	free((*out)->path);
	if (!((*out)->path = strdup(path))) { /* messages name the image, not the overlay */
		disk_close(*out);
		return -ENOMEM;
	}
	return 0;
}
