/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A "newc" (SVR4, magic 070701) cpio archive written into a growing memory buffer: what the
 * Linux kernel unpacks as an initramfs. Entries are written as given (parents first). */
#ifndef KVMINI_CPIO_H
#define KVMINI_CPIO_H
#include <stddef.h>
#include <stdint.h>

struct cpio {
	uint8_t *buf;
	size_t len, cap;
	uint32_t ino; /* the next inode number */
};

/* One entry: mode holds the file type (S_IFREG, S_IFDIR, S_IFCHR, ...) and permissions; data and
 * len are the file's contents (NULL/0 for others); rdev_major/minor for device nodes. 0, -ENOMEM,
 * -EINVAL for a name that is empty or too long. */
int cpio_add(struct cpio *c, const char *name, uint32_t mode, const void *data, size_t len,
	     uint32_t rdev_major, uint32_t rdev_minor);
/* The TRAILER!!! entry; the archive is then c->buf, c->len (the caller frees c->buf). */
int cpio_finish(struct cpio *c);

#endif
