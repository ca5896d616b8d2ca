/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The snapshot verbs' metadata, kept as libvirt keeps its own under the config dir:
 *   <config dir>/snapshots/<domain>/<snapshot>/snapshot.xml   the definition (tools/snapshot_xml.h)
 *   <config dir>/snapshots/<domain>/<snapshot>/state, memory  the VMM's save (vmm/snapshot.h)
 *   <config dir>/snapshots/<domain>/current                   the current snapshot's name
 * Each writable qcow2 image of the domain holds an internal snapshot of the same name. */
#ifndef KVMINI_VIRSH_SNAP_H
#define KVMINI_VIRSH_SNAP_H
#include <stddef.h>

#include "tools/snapshot_xml.h"
#include "tools/virsh.h"

struct snapstore {
	char dom[KV_NAME_MAX + 1];
	char base[VIRSH_PATH]; /* <config dir>/snapshots/<domain> (created) */
};

/* Opens (creates) the domain's snapshot directory: 0, or -errno after printing why. */
int snapstore_open(struct snapstore *s, const char *dom);
/* <base>/<snap>[/<file>] into buf (VIRSH_PATH). */
void snapstore_path(const struct snapstore *s, const char *snap, const char *file, char *buf);
/* Reads snapshot snap's definition: 0, -ENOENT after libvirt's "Domain snapshot not found" line,
 * other -errno after a line. */
int snapstore_read(const struct snapstore *s, const char *snap, struct snap_def *d);
/* Writes it (atomically). 0 or -errno after a line. */
int snapstore_write(const struct snapstore *s, const struct snap_def *d);
/* Every snapshot of the domain, oldest first (creation time, then name): *n definitions in a
 * malloc'd array (snapstore_free_all). 0 or -errno after a line. */
int snapstore_list(const struct snapstore *s, struct snap_def **out, unsigned *n);
void snapstore_free_all(struct snap_def *all, unsigned n);
/* The current snapshot's name into buf (KV_NAME_MAX + 1), "" for none; and setting it ("" clears). */
void snapstore_current(const struct snapstore *s, char *buf);
int snapstore_set_current(const struct snapstore *s, const char *snap);
/* Removes snapshot snap's directory (its save and definition). 0 or -errno after a line. */
int snapstore_remove(const struct snapstore *s, const char *snap);

#endif
