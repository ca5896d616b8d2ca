// SPDX-License-Identifier: GPL-2.0-or-later
/* The newc cpio writer (firmware/cpio.h): a 110-byte ASCII-hex header, the name with its NUL,
 * padding to 4 bytes, the data, padding to 4 bytes. */
#include "cpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPIO_HDR 110
#define CPIO_NAME_MAX 4096

static int reserve(struct cpio *c, size_t more)
{
	if (c->cap - c->len >= more)
		return 0;
	size_t cap = c->cap ? c->cap : 4096;
	while (cap - c->len < more)
		cap *= 2;
	uint8_t *b = realloc(c->buf, cap);
	if (!b)
		return -ENOMEM;
	c->buf = b;
	c->cap = cap;
	return 0;
}

static void put(struct cpio *c, const void *p, size_t n)
{
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	while (c->len & 3) /* the reserve covered the padding */
		c->buf[c->len++] = 0;
}

int cpio_add(struct cpio *c, const char *name, uint32_t mode, const void *data, size_t len,
	     uint32_t rdev_major, uint32_t rdev_minor)
{
	size_t nlen = strlen(name) + 1;
	if (nlen < 2 || nlen > CPIO_NAME_MAX || len > UINT32_MAX)
		return -EINVAL;
	if (reserve(c, CPIO_HDR + nlen + len + 8))
		return -ENOMEM;
	char h[CPIO_HDR + 1];
	/* magic ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check */
	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0u, 0u, (mode & 0170000) == 0040000 ? 2u : 1u, 0u, (uint32_t)len,
		 0u, 0u, rdev_major, rdev_minor, (uint32_t)nlen, 0u);
	memcpy(c->buf + c->len, h, CPIO_HDR);
	c->len += CPIO_HDR;
	put(c, name, nlen); /* header + name are padded together: the header is 110 bytes */
	if (len)
		put(c, data, len);
	return 0;
}

int cpio_finish(struct cpio *c)
{
	return cpio_add(c, "TRAILER!!!", 0, NULL, 0, 0, 0);
}
