/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A domain snapshot's definition: the subset of libvirt's domainsnapshot XML
 * (https://libvirt.org/formatsnapshot.html) kvmini uses, as a plain struct, with its parser (what
 * `kvmini snapshot-create NAME FILE.xml` reads, fuzzed by tests/fuzz/fuzz_snapshot_xml.c) and
 * writer (the metadata kept in <config dir>/snapshots/<domain>/<snapshot>/snapshot.xml).
 *
 * kvmini's snapshots are libvirt's internal ones: memory and device state plus an internal qcow2
 * snapshot of each writable disk. So <memory snapshot=> may only be 'internal' and a <disk>'s
 * snapshot= only 'internal' (external and disk-only snapshots are refused); <domain>, <cookie>
 * and other elements libvirt writes are accepted and dropped. */
#ifndef KVMINI_SNAPSHOT_XML_H
#define KVMINI_SNAPSHOT_XML_H
#include <stddef.h>
#include <stdint.h>

#include "vmm/paths.h"

#define SNAPDEF_MAX_DISKS 32

struct snap_def {
	char name[KV_NAME_MAX + 1];   /* "" when the document has none (the caller picks one) */
	char parent[KV_NAME_MAX + 1]; /* <parent><name>, "" for none */
	char *description;            /* NULL for none */
	char state[16];               /* "running", "paused", "shutoff"; "" for none */
	int64_t creation;             /* <creationTime>, seconds since the epoch; 0 for none */
	char *disks[SNAPDEF_MAX_DISKS]; /* <disks><disk name=>: the images with the internal snapshot */
	unsigned ndisks;
};

/* Parses one <domainsnapshot> document. 0, or -EINVAL with one line in err; -ENOMEM. Nothing is
 * allocated on error. */
int snapdef_parse(const char *buf, size_t len, struct snap_def *out, char *err, size_t errlen);
/* The XML for s (malloc'd, NUL-terminated) in libvirt's layout; NULL without memory. */
char *snapdef_format(const struct snap_def *s);
void snapdef_free(struct snap_def *s);

#endif
