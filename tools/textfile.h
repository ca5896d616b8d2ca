/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole small text files (definitions: domain and pool XML) read into memory and written so that
 * a crash leaves the old or the new content, never half of either. */
#ifndef KVMINI_TEXTFILE_H
#define KVMINI_TEXTFILE_H
#include <stddef.h>

/* Reads a whole file (at most about max bytes: -EFBIG beyond) into a malloc'd NUL-terminated
 * buffer; *len (may be NULL) gets its length. 0 or -errno. */
int text_read_file(const char *path, size_t max, char **buf, size_t *len);
/* Writes buf to path atomically (a temporary file in the same directory, mode 0600, fsync, rename,
 * then the directory fsynced): path has either its old or its new content. 0 or -errno. */
int text_write_atomic(const char *path, const char *buf, size_t len);

#endif
