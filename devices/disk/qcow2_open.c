// SPDX-License-Identifier: GPL-2.0-or-later
/* qcow2 open (header validation, extensions, backing chain), close, create, and info. */
#include "qcow2_int.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint32_t be32at(const uint8_t *p, unsigned o)
{
	uint32_t v;
	memcpy(&v, p + o, 4);
	return be32toh(v);
}

static uint64_t be64at(const uint8_t *p, unsigned o)
{
	uint64_t v;
	memcpy(&v, p + o, 8);
	return be64toh(v);
}

int qc_write_header_field(struct qcow2 *q, unsigned off, const void *be, unsigned len)
{
	return dfile_pwrite(&q->f, be, len, off);
}

int qc_switch_table(struct qcow2 *q, unsigned hdr_off, int offset_first, uint32_t count, uint64_t off)
{
	int r = dfile_sync(&q->f);
	if (r)
		return r;
	uint8_t h[12];
	uint32_t c = htobe32(count);
	uint64_t o = htobe64(off);
	memcpy(h + (offset_first ? 8 : 0), &c, 4);
	memcpy(h + (offset_first ? 0 : 4), &o, 8);
	r = qc_write_header_field(q, hdr_off, h, 12);
	return r ? r : dfile_sync(&q->f);
}

static void qc_free(struct qcow2 *q)
{
	if (q->backing)
		disk_close(q->backing);
	qc_cache_free(&q->l2c);
	qc_cache_free(&q->rbc);
	qc_snap_free(q);
	free(q->l1);
	free(q->rt);
	free(q->pending);
	free(q->backing_name);
	free(q->backing_fmt);
	free(q->cbuf);
	free(q->zbuf);
	dfile_close(&q->f);
	free(q->pins);
	pthread_cond_destroy(&q->unpinned);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

void qcow2_close_disk(struct disk *d)
{
	struct qcow2 *q = (struct qcow2 *)d;
	if (!d->read_only) /* best effort: a failure here only leaks clusters */
		if (qc_meta_flush(q) == 0)
			dfile_sync(&q->f);
	qc_free(q);
}

/* Header extensions between the header and the end of cluster 0. */
static int parse_exts(struct qcow2 *q, const uint8_t *h, uint64_t hlen, const char **why)
{
	uint64_t p = q->header_length;
	while (p + 8 <= hlen) {
		uint32_t type = be32at(h, (unsigned)p), len = be32at(h, (unsigned)p + 4);
		p += 8;
		if (type == QC_EXT_END)
			return 0;
		if (len > hlen - p) {
			*why = "header extension runs past the first cluster";
			return -EINVAL;
		}
		if (type == QC_EXT_BACKING_FMT) {
			if (len == 0 || len > 32) {
				*why = "bad backing format extension";
				return -EINVAL;
			}
			free(q->backing_fmt);
			q->backing_fmt = strndup((const char *)h + p, len);
			if (!q->backing_fmt)
				return -ENOMEM;
		}
		p += (len + 7) & ~7ull;
	}
	return 0;
}

static int open_backing(struct qcow2 *q, const char *path, const struct disk_opts *o,
                        const struct disk_chain *chain, const char **why)
{
	struct stat st;
	if (fstat(q->f.fd, &st) < 0)
		return -errno;
	int depth = chain ? chain->depth + 1 : 1;
	for (const struct disk_chain *c = chain; c; c = c->next)
		if (c->dev == st.st_dev && c->ino == st.st_ino) {
			*why = "backing chain loops back to an image already in it";
			return -ELOOP;
		}
	if (depth > DISK_CHAIN_MAX) {
		*why = "backing chain is too deep";
		return -ELOOP;
	}
	/* relative names are relative to the image's directory, not to our cwd */
	char *full;
	if (q->backing_name[0] == '/') {
		full = strdup(q->backing_name);
	} else {
		char *tmp = strdup(path);
		if (!tmp)
			return -ENOMEM;
		if (asprintf(&full, "%s/%s", dirname(tmp), q->backing_name) < 0)
			full = NULL;
		free(tmp);
	}
	if (!full)
		return -ENOMEM;
	/* look for a loop before opening: the image that closes it is already locked by us */
	struct stat bst;
	if (stat(full, &bst) == 0) {
		bool loop = bst.st_dev == st.st_dev && bst.st_ino == st.st_ino;
		for (const struct disk_chain *c = chain; c && !loop; c = c->next)
			loop = c->dev == bst.st_dev && c->ino == bst.st_ino;
		if (loop) {
			free(full);
			*why = "backing chain loops back to an image already in it";
			return -ELOOP;
		}
	}
	struct disk_opts bo = *o;
	bo.read_only = true;
	bo.repair = false;
	bo.format = DISK_FMT_AUTO;
	if (q->backing_fmt && disk_format_parse(q->backing_fmt, &bo.format) < 0) {
		free(full);
		*why = "unknown backing file format";
		return -EINVAL;
	}
	struct disk_chain me = { chain, st.st_dev, st.st_ino, depth };
	const char *bwhy = NULL;
	int r = disk_open_chain(&q->backing, full, &bo, &me, &bwhy);
	free(full);
	if (r < 0) {
		if (r == -ENOENT)
			*why = "backing file not found";
		else
			*why = bwhy ? bwhy : "cannot open backing file";
	}
	return r;
}

static int fail(const char **why, const char *msg)
{
	*why = msg;
	return -EINVAL;
}

/* Every field the rest of the code trusts is checked here. */
static int validate(struct qcow2 *q, const uint8_t *h, uint64_t fsize, const struct disk_opts *o,
                    const char **why)
{
	if (be32at(h, 0) != QC_MAGIC)
		return fail(why, "not a qcow2 image");
	q->version = be32at(h, 4);
	if (q->version != 2 && q->version != 3)
		return fail(why, "unsupported qcow2 version");
	q->cluster_bits = be32at(h, 20);
	if (q->cluster_bits < 9 || q->cluster_bits > 21)
		return fail(why, "cluster size out of range (512 B .. 2 MiB)");
	q->cs = 1ull << q->cluster_bits;
	q->l2_entries = q->cs / 8;
	if (be32at(h, 32) != 0)
		return fail(why, "encrypted images are not supported");
	if (q->version == 3) {
		q->incompat = be64at(h, 72);
		q->compat = be64at(h, 80);
		q->autoclear = be64at(h, 88);
		q->refcount_order = be32at(h, 96);
		q->header_length = be32at(h, 100);
		if (q->header_length < 104 || q->header_length % 8 || q->header_length > q->cs)
			return fail(why, "bad header length");
		if (q->incompat & ~QC_INCOMPAT_KNOWN)
			return fail(why, "image uses features kvmini does not support (external data "
			                 "file, zstd compression or extended L2 entries)");
		if (q->refcount_order > 6)
			return fail(why, "refcount width out of range");
		if ((q->incompat & (QC_INCOMPAT_DIRTY | QC_INCOMPAT_CORRUPT)) && !o->read_only &&
		    !o->repair)
			return fail(why, "image is marked dirty or corrupt; open it read-only or run "
			                 "`kvmini img check -r all` first");
	} else {
		q->refcount_order = 4;
		q->header_length = 72;
	}
	q->rb_entries = q->cs * 8 >> q->refcount_order;
	q->d.size = be64at(h, 24);
	q->l1_size = be32at(h, 36);
	q->l1_off = be64at(h, 40);
	q->rt_off = be64at(h, 48);
	q->rt_clusters = be32at(h, 56);
	uint64_t span = q->cs * q->l2_entries; /* guest bytes per L1 entry */
	if (q->d.size > (1ull << 62) || (uint64_t)q->l1_size * 8 > QC_MAX_L1_BYTES)
		return fail(why, "virtual size too large");
	if ((q->d.size + span - 1) / span > q->l1_size)
		return fail(why, "L1 table too small for the virtual size");
	if (q->l1_size && (q->l1_off % q->cs || q->l1_off == 0 ||
	                   q->l1_off > fsize || (uint64_t)q->l1_size * 8 > fsize - q->l1_off))
		return fail(why, "L1 table is not cluster aligned or lies outside the file");
	if (q->rt_off % q->cs || q->rt_off == 0 || q->rt_clusters == 0 ||
	    (uint64_t)q->rt_clusters * q->cs > QC_MAX_RT_BYTES || q->rt_off > fsize ||
	    (uint64_t)q->rt_clusters * q->cs > fsize - q->rt_off)
		return fail(why, "refcount table is not cluster aligned or lies outside the file");
	uint64_t bo = be64at(h, 8);
	uint32_t bl = be32at(h, 16);
	if (bo) {
		if (bl == 0 || bl > 1023 || bo > q->cs || bl > q->cs - bo)
			return fail(why, "bad backing file name");
		q->backing_name = strndup((const char *)h + bo, bl);
		if (!q->backing_name)
			return -ENOMEM;
	}
	q->nsnaps = be32at(h, 60);
	q->snap_off = be64at(h, 64);
	if (q->nsnaps > QC_MAX_SNAPSHOTS || (q->nsnaps && (q->snap_off % q->cs || q->snap_off == 0 ||
	                                                   q->snap_off >= fsize)))
		return fail(why, "bad snapshot table");
	return 0;
}

static int load_tables(struct qcow2 *q, uint64_t fsize, const char **why)
{
	uint64_t cap = ((uint64_t)q->l1_size * 8 + q->cs - 1) / q->cs * q->cs / 8;
	q->l1 = calloc(cap ? cap : 1, 8);
	q->rt_entries = (uint64_t)q->rt_clusters * q->cs / 8;
	q->rt = calloc(q->rt_entries, 8);
	if (!q->l1 || !q->rt)
		return -ENOMEM;
	int r = qc_read_table(q, q->l1_off, q->l1, q->l1_size);
	if (!r)
		r = qc_read_table(q, q->rt_off, q->rt, q->rt_entries);
	if (r < 0)
		return r;
	for (uint64_t i = 0; i < q->rt_entries; i++)
		if (q->rt[i] && ((q->rt[i] & QC_REFT_RESERVED) || qc_bad_host(q, q->rt[i]) ||
		                 q->rt[i] >= fsize))
			return fail(why, "refcount table points outside the file");
	for (uint32_t i = 0; i < q->l1_size; i++) {
		uint64_t o = q->l1[i] & QC_OFFSET_MASK;
		if ((q->l1[i] & QC_L1_RESERVED) || (o && (qc_bad_host(q, o) || o >= fsize)))
			return fail(why, "L1 table entry is corrupt");
	}
	return 0;
}

int qcow2_open(struct disk **out, const char *path, const struct disk_opts *o,
               const struct disk_chain *chain, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	struct qcow2 *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->unpinned, NULL);
	q->f.fd = -1;
	int r = dfile_open(&q->f, path, o, false, why);
	uint64_t fsize = 0;
	uint8_t *h = NULL;
	if (!r)
		r = dfile_size(&q->f, &fsize);
	if (r < 0)
		goto out;
	h = dfile_alloc(1 << 21);
	if (!h) {
		r = -ENOMEM;
		goto out;
	}
	/* the first cluster holds the header, its extensions and the backing name */
	if ((r = dfile_pread(&q->f, h, 4096, 0)) < 0)
		goto out;
	if (fsize < 72) {
		r = fail(why, "file too short for a qcow2 header");
		goto out;
	}
	if ((r = validate(q, h, fsize, o, why)) < 0)
		goto out;
	if (q->cs > 4096 && (r = dfile_pread(&q->f, h, q->cs, 0)) < 0)
		goto out;
	if ((r = parse_exts(q, h, q->cs < fsize ? q->cs : fsize, why)) < 0)
		goto out;
	if ((r = load_tables(q, fsize, why)) < 0)
		goto out;
	q->file_end = (fsize + q->cs - 1) & ~(q->cs - 1);
	q->free_hint = 1;
	if ((r = qc_snap_load(q)) < 0) {
		*why = "bad snapshot table";
		goto out;
	}
	q->cbuf = malloc(q->cs);
	q->zbuf = malloc(2 * q->cs + 512);
	if (!q->cbuf || !q->zbuf) {
		r = -ENOMEM;
		goto out;
	}
	q->d.ops = &qcow2_ops;
	q->d.format = "qcow2";
	q->d.read_only = o->read_only;
	if (q->backing_name && !o->no_backing && (r = open_backing(q, path, o, chain, why)) < 0)
		goto out;
	if (!o->read_only && q->autoclear) { /* spec: clear autoclear bits we don't maintain */
		uint64_t z = 0;
		q->autoclear = 0;
		if ((r = qc_write_header_field(q, 88, &z, 8)) < 0)
			goto out;
	}
	free(h);
	*out = &q->d;
	return 0;
out:
	free(h);
	qc_free(q);
	return r;
}

int qcow2_get_info(struct disk *d, struct qcow2_info *out)
{
	if (strcmp(d->format, "qcow2"))
		return -EINVAL;
	struct qcow2 *q = (struct qcow2 *)d;
	*out = (struct qcow2_info){
		.version = q->version,
		.cluster_size = q->cs,
		.refcount_bits = 1u << q->refcount_order,
		.lazy_refcounts = q->compat & QC_COMPAT_LAZY,
		.dirty = q->incompat & QC_INCOMPAT_DIRTY,
		.corrupt = q->incompat & QC_INCOMPAT_CORRUPT,
		.backing_file = q->backing_name,
		.backing_fmt = q->backing_fmt,
		.nb_snapshots = (int)q->nsnaps,
	};
	return 0;
}
