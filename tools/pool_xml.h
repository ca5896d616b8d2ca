/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A storage pool definition: the subset of libvirt's storage pool XML
 * (https://libvirt.org/formatstorage.html) that kvmini's `dir` pools use, as a plain struct, with
 * its parser (libxml2) and writer. What a dir pool does not use (capacity/allocation/available,
 * which libvirt recomputes, source, permissions, timestamps) is accepted and dropped. */
#ifndef KVMINI_POOL_XML_H
#define KVMINI_POOL_XML_H
#include <stddef.h>
#include <stdint.h>

#include "vmm/paths.h"

struct pool_def {
	char name[KV_NAME_MAX + 1];
	uint8_t uuid[16];
	char *target; /* <target><path>: absolute, no trailing '/', malloc'd */
};

/* Parses one <pool type='dir'> document. 0, or -EINVAL with one line in err ("line N: ..." for XML
 * that is not well formed, else what is missing or invalid); nothing is allocated on error. A
 * missing <uuid> gets a random one. libxml2 prints nothing, reads no network or DTD, expands no
 * entities. */
int pool_xml_parse(const char *buf, size_t len, struct pool_def *out, char *err, size_t errlen);
/* The XML for p (malloc'd, NUL-terminated) in libvirt's layout; NULL without memory. */
char *pool_xml_format(const struct pool_def *p);
void pool_def_free(struct pool_def *p);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (lower case) into buf (at least 37 bytes). */
void pool_uuid_format(const uint8_t uuid[16], char *buf);
/* libvirt's forms: 32 hex digits, optionally with '-' between pairs. 0 or -EINVAL. */
int pool_uuid_parse(const char *s, uint8_t uuid[16]);
/* A random (version 4) uuid. 0 or -errno. */
int pool_uuid_random(uint8_t uuid[16]);

#endif
