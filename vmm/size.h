/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Human sizes on the command line ("512M", "8G", "1T") and back ("1 GiB"), shared by every CLI. */
#ifndef KVMINI_SIZE_H
#define KVMINI_SIZE_H
#include <stddef.h>
#include <stdint.h>

/* Decimal digits with an optional binary suffix K/M/G/T (any case), optionally followed by "B"
 * ("8G", "8GB", "512", "512B"). Returns 0, -EINVAL for anything else, -ERANGE on overflow. */
int parse_size(const char *s, uint64_t *out);

/* "1 GiB", "1.5 MiB", "512 B" into buf; returns buf. */
const char *size_human(uint64_t v, char *buf, size_t len);

#endif
