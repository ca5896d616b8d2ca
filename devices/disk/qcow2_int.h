/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2 internals shared by qcow2_*.c: the open image, its metadata caches, and the helpers that
 * keep crash ordering (a refcount is durable before anything points at a cluster; a cluster is
 * freed only after nothing durable points at it). Leaks are allowed after a crash, corruption not. */
#ifndef KVMINI_QCOW2_INT_H
#define KVMINI_QCOW2_INT_H
#include "disk_int.h"
#include "qcow2.h"

#include <endian.h>
#include <pthread.h>

#define QC_MAGIC 0x514649fbu
#define QC_INCOMPAT_DIRTY (1ull << 0)
#define QC_INCOMPAT_CORRUPT (1ull << 1)
#define QC_INCOMPAT_KNOWN (QC_INCOMPAT_DIRTY | QC_INCOMPAT_CORRUPT)
#define QC_COMPAT_LAZY (1ull << 0)

#define QC_OFLAG_COPIED (1ull << 63)
#define QC_OFLAG_COMPRESSED (1ull << 62)
#define QC_OFLAG_ZERO 1ull
#define QC_OFFSET_MASK 0x00fffffffffffe00ull /* bits 9-55 of L1/L2 entries */
#define QC_L1_RESERVED 0x7f000000000001ffull
#define QC_L2_RESERVED 0x3f000000000001feull /* standard entries */
#define QC_REFT_RESERVED 0x1ffull

#define QC_EXT_END 0
#define QC_EXT_BACKING_FMT 0xe2792acau
#define QC_EXT_FEATURES 0x6803f857u

#define QC_MAX_L1_BYTES (32u << 20)
#define QC_MAX_RT_BYTES (8u << 20)
#define QC_MAX_SNAPSHOTS 65536
#define QC_CACHE_L2 16
#define QC_CACHE_RB 8

/* A small LRU of cluster-sized tables, kept big-endian as on disk. */
struct qc_cent {
	uint64_t off; /* 0 = empty slot */
	uint8_t *buf;
	uint64_t lru;
	bool dirty;
};
struct qc_cache {
	struct qc_cent e[QC_CACHE_L2];
	int n;
	uint64_t tick;
};

struct qc_snap {
	uint64_t l1_off;
	uint32_t l1_size;
	char *id, *name;
	uint32_t date_sec, date_nsec;
	uint64_t vm_clock_ns;
	uint32_t vm_state_size32;
	uint64_t vm_state_size, disk_size;
	uint32_t extra_size;
	uint8_t *extra; /* as read, so unknown fields survive a rewrite */
};

struct qcow2 {
	struct disk d;
	struct dfile f;
	pthread_mutex_t lock;

	uint32_t version, cluster_bits, refcount_order, header_length;
	uint64_t cs;         /* cluster size */
	uint64_t l2_entries; /* per L2 table */
	uint64_t rb_entries; /* refcounts per refcount block */
	uint64_t incompat, compat, autoclear;

	uint64_t *l1; /* host order */
	uint32_t l1_size;
	uint64_t l1_off;
	uint64_t *rt; /* refcount table, host order */
	uint64_t rt_entries, rt_off;
	uint32_t rt_clusters;

	struct qc_cache l2c, rbc;
	uint64_t free_hint; /* every cluster below this index is in use */
	uint64_t file_end;  /* bytes: nothing is allocated at or after this */
	struct { uint64_t s, n; } res[4]; /* clusters being allocated, not yet refcounted */
	int nres;
	const uint32_t *used; /* during check repair: clusters referenced but maybe refcount 0 */
	uint64_t used_n;

	uint64_t *pending; /* host clusters to unref once the L2 tables that dropped them are durable */
	size_t npending, cap_pending;

	struct disk *backing;
	char *backing_name, *backing_fmt;

	struct qc_snap *snaps;
	uint32_t nsnaps;
	uint64_t snap_off;
	uint64_t snap_bytes; /* size of the table on disk */

	uint8_t *cbuf;      /* last decompressed cluster */
	uint64_t cbuf_key;  /* its L2 entry, 0 = none */
	uint8_t *zbuf;      /* compressed input */

	/* host clusters with asynchronous data I/O in flight: not freed, not shared meanwhile */
	struct qc_pin { uint64_t cl; uint32_t n; } *pins;
	uint32_t npins, cap_pins;
	pthread_cond_t unpinned; /* npins dropped to 0 */
};

static inline uint64_t qc_be64(const uint8_t *p, uint64_t i)
{
	uint64_t v;
	__builtin_memcpy(&v, p + i * 8, 8);
	return be64toh(v);
}
static inline void qc_set_be64(uint8_t *p, uint64_t i, uint64_t v)
{
	v = htobe64(v);
	__builtin_memcpy(p + i * 8, &v, 8);
}

/* qcow2_cache.c */
void qc_cache_free(struct qc_cache *c);
int qc_cache_get(struct qcow2 *q, struct qc_cache *c, uint64_t off, bool fill, struct qc_cent **out);
int qc_cache_write(struct qcow2 *q, struct qc_cent *e);
int qc_cache_writeback(struct qcow2 *q, struct qc_cache *c, bool *wrote);
void qc_cache_drop(struct qc_cache *c, uint64_t off);
int qc_meta_flush(struct qcow2 *q);
int qc_l2_get(struct qcow2 *q, uint64_t l1i, bool alloc, struct qc_cent **out);
int qc_write_l1_entry(struct qcow2 *q, uint64_t l1i);
int qc_write_table(struct qcow2 *q, uint64_t off, const uint64_t *t, uint64_t n);
int qc_read_table(struct qcow2 *q, uint64_t off, uint64_t *t, uint64_t n);
bool qc_bad_host(const struct qcow2 *q, uint64_t off);

/* qcow2_refcount.c */
int qc_get_refcount(struct qcow2 *q, uint64_t idx, uint64_t *rc);
int qc_update_refcount(struct qcow2 *q, uint64_t idx, int64_t addend);
int qc_set_refcount(struct qcow2 *q, uint64_t idx, uint64_t v);
int qc_alloc_clusters(struct qcow2 *q, uint64_t n, uint64_t *off);
int qc_free_later(struct qcow2 *q, uint64_t host_off);
int qc_unref_entry_later(struct qcow2 *q, uint64_t l2e);
int qc_apply_pending(struct qcow2 *q);
void qc_compressed_range(const struct qcow2 *q, uint64_t l2e, uint64_t *off, uint64_t *len);

/* qcow2_io.c */
extern const struct disk_ops qcow2_ops;
int qc_l1_grow(struct qcow2 *q, uint32_t new_l1_size);
int qc_read_entry(struct qcow2 *q, uint64_t l2e, uint64_t goff, const struct iovec *iov, int n,
                  size_t skip, size_t len);

int qc_write_piece(struct qcow2 *q, uint64_t g, const struct iovec *iov, int n, size_t skip,
                   size_t len);

/* qcow2_aio.c (all under q->lock) */
bool qc_pinned(const struct qcow2 *q, uint64_t host_off);
void qc_wait_unpinned(struct qcow2 *q); /* from a thread other than the disk_aio's own */
void qc_aio_submit(struct disk *d, struct disk_aio *aq, struct disk_req *r);

/* qcow2_snap.c */
int qc_snap_load(struct qcow2 *q);
void qc_snap_free(struct qcow2 *q);
int qc_update_refs_from_l1(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size, int64_t addend);
int qc_fix_copied(struct qcow2 *q, uint64_t *fixed);

/* qcow2_open.c */
void qcow2_close_disk(struct disk *d);
int qc_write_header_field(struct qcow2 *q, unsigned off, const void *be, unsigned len);
/* Points the header at a new table once it is durable: sync, write the 12-byte (count, offset)
 * header pair at hdr_off (offset first when offset_first), sync again. */
int qc_switch_table(struct qcow2 *q, unsigned hdr_off, int offset_first, uint32_t count, uint64_t off);
int qcow2_create_fd(int fd, const struct disk_create_opts *o, const char **why);

#endif
