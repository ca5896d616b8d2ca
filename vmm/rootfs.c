// SPDX-License-Identifier: GPL-2.0-or-later
/* --rootfs-share: its argument and the initramfs that boots the guest into the share
 * (vmm/rootfs.h). */
#include "rootfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "firmware/cpio.h"

extern const uint8_t rootfs_init_bin[], rootfs_init_bin_end[];

int rootfs_spec_parse(const char *s, struct rootfs_spec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	size_t n = strlen(s);
	if (n >= 3 && !strcmp(s + n - 3, ",rw")) {
		out->rw = 1;
		n -= 3;
	}
	if (!n || n >= sizeof(out->dir)) {
		snprintf(err, errlen, "--rootfs-share %s: expected DIR[,rw]", s);
		return -EINVAL;
	}
	memcpy(out->dir, s, n);
	return 0;
}

int rootfs_initramfs(int rw, uint8_t **buf, size_t *len)
{
	static const char *const dirs[] = { "dev", "proc", "lower", "rw", "newroot" };
	const char *mode = rw ? "rw\n" : "overlay\n";
	struct cpio c = { 0 };
	int r = 0;
	for (size_t i = 0; !r && i < sizeof(dirs) / sizeof(dirs[0]); i++)
		r = cpio_add(&c, dirs[i], S_IFDIR | 0755, NULL, 0, 0, 0);
	/* the kernel opens /dev/console for init's stdin/out/err before devtmpfs is mounted */
	if (!r)
		r = cpio_add(&c, "dev/console", S_IFCHR | 0600, NULL, 0, 5, 1);
	if (!r)
		r = cpio_add(&c, "kvmini-rootfs", S_IFREG | 0644, mode, strlen(mode), 0, 0);
	if (!r)
		r = cpio_add(&c, "init", S_IFREG | 0755, rootfs_init_bin,
			     (size_t)(rootfs_init_bin_end - rootfs_init_bin), 0, 0);
	if (!r)
		r = cpio_finish(&c);
	if (r) {
		free(c.buf);
		return r;
	}
	*buf = c.buf;
	*len = c.len;
	return 0;
}
