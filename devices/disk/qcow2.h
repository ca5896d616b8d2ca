/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2-only operations for `kvmini img` and tests: info, internal snapshots, consistency check.
 * Each takes a disk opened as qcow2 (else -EINVAL); the I/O path is in disk.h. */
#ifndef KVMINI_QCOW2_H
#define KVMINI_QCOW2_H
#include "disk.h"

struct qcow2_info {
	uint32_t version;
	uint64_t cluster_size;
	uint32_t refcount_bits;
	bool lazy_refcounts, dirty, corrupt;
	const char *backing_file; /* as stored, NULL if none */
	const char *backing_fmt;  /* NULL if not recorded */
	int nb_snapshots;
};
int qcow2_get_info(struct disk *d, struct qcow2_info *out);

struct qcow2_snapshot_info {
	char id[64];
	char name[256];
	uint64_t vm_state_size;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_ns;
	uint64_t disk_size;
};
/* *out is malloc'd (free it), *n entries */
int qcow2_snapshot_list(struct disk *d, struct qcow2_snapshot_info **out, int *n);
int qcow2_snapshot_create(struct disk *d, const char *name); /* -EEXIST if the name is taken */
int qcow2_snapshot_apply(struct disk *d, const char *name_or_id); /* -ENOENT if unknown */
int qcow2_snapshot_delete(struct disk *d, const char *name_or_id);

#define QCOW2_FIX_LEAKS 1  /* drop refcounts nothing points to */
#define QCOW2_FIX_ERRORS 2 /* raise refcounts that are too low, fix COPIED flags, clear dirty */
struct qcow2_check_result {
	uint64_t corruptions, leaks;
	uint64_t corruptions_fixed, leaks_fixed;
	uint64_t allocated_clusters, total_clusters; /* guest clusters */
	uint64_t image_end;                          /* highest used host offset */
};
/* Walks every table, compares computed and stored refcounts; fix = QCOW2_FIX_* mask (needs a
 * read-write disk). Returns 0 when the walk completed (whatever it found), -errno otherwise. */
int qcow2_check(struct disk *d, int fix, struct qcow2_check_result *res);

#endif
