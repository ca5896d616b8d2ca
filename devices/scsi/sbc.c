// SPDX-License-Identifier: GPL-2.0-or-later
/* Media access for disks (SBC) and CD-ROMs (the same READ commands with 2048-byte blocks): READ
 * and WRITE (6/10/12/16), VERIFY, SYNCHRONIZE CACHE, WRITE SAME, UNMAP and READ CAPACITY, on
 * disk_aio. A command becomes a sequence of disk operations ("steps": a write and its FUA flush,
 * one discard per UNMAP descriptor, WRITE SAME in chunks) that io_run submits one after another;
 * a step that completes inside disk_aio_submit continues in the loop instead of recursing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/disk/disk.h"
#include "devices/iov.h"
#include "devices/scsi/scsi_int.h"

#define WS_CHUNK 256u           /* WRITE SAME blocks per write */
#define VERIFY_MAX_BLOCKS 2048u /* VERIFY with BYTCHK compares at most this much in one command */

static uint32_t io_sense(int e, bool write)
{
	switch (e) {
	case -EROFS:
	case -EPERM:
		return S_WRITE_PROTECTED;
	case -ENOSPC:
		return S_SPACE_ALLOC_FAILED;
	case -EINVAL:
		return S_LBA_OUT_OF_RANGE;
	case -EILSEQ:
		return S_MISCOMPARE;
	}
	return write ? S_WRITE_ERROR : S_READ_ERROR;
}

static void io_end(struct scsi_req *r, int e)
{
	if (e) {
		r->data_in_xfer = r->data_out_xfer = 0;
		return scsi_check(r, io_sense(e, r->write_cmd));
	}
	scsi_good(r);
}

static void io_run(struct scsi_req *r, bool kick);

static void io_done(struct disk_req *dr, int ret)
{
	struct scsi_req *r = dr->opaque;
	if (r->in_submit) {
		r->sync_done = true;
		r->sync_ret = ret;
		return;
	}
	if (ret)
		return io_end(r, ret);
	io_run(r, true); /* from disk_aio_complete: nobody else kicks what we submit now */
}

static void io_run(struct scsi_req *r, bool kick)
{
	for (;;) {
		memset(&r->dr, 0, sizeof(r->dr));
		int s = r->step(r);
		if (s <= 0)
			return io_end(r, s);
		r->dr.done = io_done;
		r->dr.opaque = r;
		r->in_submit = true;
		r->sync_done = false;
		disk_aio_submit(r->q, r->disk, &r->dr);
		r->in_submit = false;
		if (!r->sync_done) {
			if (kick)
				disk_aio_kick(r->q);
			return;
		}
		if (r->sync_ret)
			return io_end(r, r->sync_ret);
	}
}

/* Takes the LUN's medium for I/O (counted in flight until the request ends); 0 or a sense code.
 * *nblocks gets its capacity. */
static uint32_t grab(struct scsi_req *r, uint64_t *nblocks, bool io)
{
	struct scsi_lun *l = r->l;
	pthread_mutex_lock(&l->t->lock);
	uint32_t s = scsi_medium_sense(l);
	if (!s) {
		*nblocks = l->nblocks;
		if (io) {
			l->inflight++;
			r->disk = l->disk;
		}
	}
	pthread_mutex_unlock(&l->t->lock);
	return s;
}

static bool out_of_range(uint64_t lba, uint64_t n, uint64_t nblocks)
{
	return lba >= nblocks || n > nblocks - lba;
}

/* grab for I/O on [lba, lba + n), writing if write: 0, or the sense code that refuses it */
static uint32_t grab_range(struct scsi_req *r, uint64_t lba, uint64_t n, bool write)
{
	uint64_t nblocks;
	uint32_t s = grab(r, &nblocks, true);
	if (!s && out_of_range(lba, n, nblocks))
		s = S_LBA_OUT_OF_RANGE;
	if (!s && write && (r->disk->read_only || r->l->type == SCSI_LUN_CDROM))
		s = S_WRITE_PROTECTED;
	return s;
}

static int slice(struct scsi_req *r, const struct iovec *iov, int n, uint64_t len)
{
	r->siov = n <= (int)(sizeof(r->inl) / sizeof(r->inl[0])) ? r->inl : calloc((size_t)n, sizeof(struct iovec));
	if (!r->siov)
		return -ENOMEM;
	r->nsiov = iov_slice(iov, n, 0, len, r->siov);
	return 0;
}

/* a flush, once, when the command asked for it (FUA, or the write cache is off) */
static int flush_step(struct scsi_req *r)
{
	if (!r->flush_after)
		return 0;
	r->flush_after = false;
	r->dr.op = DISK_OP_FLUSH;
	return 1;
}

static int rw_step(struct scsi_req *r)
{
	if (r->pos == r->end)
		return flush_step(r);
	r->dr.op = r->write_cmd ? DISK_OP_WRITE : DISK_OP_READ;
	r->dr.off = r->pos;
	r->dr.iov = r->siov;
	r->dr.niov = r->nsiov;
	r->dr.len = r->end - r->pos;
	r->pos = r->end;
	return 1;
}

static bool wants_flush(struct scsi_req *r, bool fua)
{
	pthread_mutex_lock(&r->l->t->lock);
	bool f = fua || !r->l->wce;
	pthread_mutex_unlock(&r->l->t->lock);
	return f;
}

void sbc_rw(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	const uint8_t op = c[0];
	uint64_t lba, n;
	switch (op) {
	case 0x08: case 0x0a:
		lba = be24(c + 1) & 0x1fffff;
		n = c[4] ? c[4] : 256;
		break;
	case 0x28: case 0x2a:
		lba = be32(c + 2);
		n = be16(c + 7);
		break;
	case 0xa8: case 0xaa:
		lba = be32(c + 2);
		n = be32(c + 6);
		break;
	default:
		lba = be64(c + 2);
		n = be32(c + 10);
		break;
	}
	const bool write = op == 0x0a || op == 0x2a || op == 0xaa || op == 0x8a;
	const bool six = op < 0x20;
	if (!six && (c[1] >> 5)) /* RDPROTECT/WRPROTECT: no protection information */
		return scsi_check(r, S_INVALID_FIELD);
	if (n > MAX_XFER_BLOCKS)
		return scsi_check(r, S_INVALID_FIELD);
	const uint64_t bytes = n * r->l->block;
	if ((write ? r->dout_size : r->din_size) < bytes)
		return scsi_overrun(r);
	uint32_t s = grab_range(r, lba, n, write);
	if (s)
		return scsi_check(r, s);
	if (!n)
		return scsi_good(r);
	if (slice(r, write ? r->dout : r->din, write ? r->ndout : r->ndin, bytes))
		return scsi_busy(r);
	r->write_cmd = write;
	r->flush_after = write && wants_flush(r, !six && (c[1] & 0x08));
	if (write)
		r->data_out_xfer = bytes;
	else
		r->data_in_xfer = bytes; /* an error later still leaves what was read undefined */
	r->pos = lba * r->l->block;
	r->end = r->pos + bytes;
	r->step = rw_step;
	io_run(r, false);
}

static int verify_step(struct scsi_req *r)
{
	if (r->nstep++ == 0) {
		r->dr.op = DISK_OP_READ;
		r->dr.off = r->pos;
		r->dr.iov = r->inl;
		r->dr.niov = 1;
		r->dr.len = r->end;
		return 1;
	}
	uint8_t *want = r->bounce + r->end;
	iov_to_buf(r->dout, r->ndout, 0, want, r->end);
	return memcmp(r->bounce, want, r->end) ? -EILSEQ : 0;
}

void sbc_verify(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	uint64_t lba, n;
	if (c[0] == 0x2f) {
		lba = be32(c + 2);
		n = be16(c + 7);
	} else if (c[0] == 0xaf) {
		lba = be32(c + 2);
		n = be32(c + 6);
	} else {
		lba = be64(c + 2);
		n = be32(c + 10);
	}
	const unsigned bytchk = (c[1] >> 1) & 3;
	if ((c[1] >> 5) || bytchk > 1 || (bytchk && n > VERIFY_MAX_BLOCKS))
		return scsi_check(r, S_INVALID_FIELD);
	const uint64_t bytes = n * r->l->block;
	if (bytchk && r->dout_size < bytes)
		return scsi_overrun(r);
	uint32_t s = grab_range(r, lba, n, false);
	if (s)
		return scsi_check(r, s);
	if (!bytchk || !n)
		return scsi_good(r); /* the medium has no errors to find */
	r->bounce = malloc(2 * bytes);
	if (!r->bounce)
		return scsi_busy(r);
	r->data_out_xfer = bytes;
	r->inl[0] = (struct iovec){ r->bounce, bytes };
	r->pos = lba * r->l->block;
	r->end = bytes;
	r->nstep = 0;
	r->step = verify_step;
	io_run(r, false);
}

void sbc_sync_cache(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	uint64_t lba = c[0] == 0x35 ? be32(c + 2) : be64(c + 2);
	uint64_t n = c[0] == 0x35 ? be16(c + 7) : be32(c + 10);
	uint64_t nblocks;
	uint32_t s = grab(r, &nblocks, true);
	if (s)
		return scsi_check(r, s);
	if (lba >= nblocks || (n && n > nblocks - lba)) /* 0 blocks: through the last one */
		return scsi_check(r, S_LBA_OUT_OF_RANGE);
	r->flush_after = true;
	r->write_cmd = true;
	r->step = flush_step;
	io_run(r, false);
}

static int ws_step(struct scsi_req *r)
{
	if (r->pos == r->end)
		return flush_step(r);
	uint64_t len = r->end - r->pos;
	if (!r->bounce) { /* zeros: one operation, deallocating where allowed */
		r->dr.op = DISK_OP_WRITE_ZEROES;
		r->dr.may_unmap = r->nstep; /* nstep carries the UNMAP bit here */
	} else {
		if (len > (uint64_t)r->nsiov * r->l->block)
			len = (uint64_t)r->nsiov * r->l->block;
		r->dr.op = DISK_OP_WRITE;
		r->dr.iov = r->siov;
		r->dr.niov = (int)(len / r->l->block);
	}
	r->dr.off = r->pos;
	r->dr.len = len;
	r->pos += len;
	return 1;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

void sbc_write_same(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	const bool ten = c[0] == 0x41;
	const uint64_t lba = ten ? be32(c + 2) : be64(c + 2);
	const uint64_t n = ten ? be16(c + 7) : be32(c + 10);
	const bool unmap = c[1] & 0x08, ndob = !ten && (c[1] & 0x01);
	const uint32_t bs = r->l->block;
	if ((c[1] & 0xf0) || (ten && (c[1] & 0x01)) || !n || n > MAX_WS_BLOCKS) /* ANCHOR, protection */
		return scsi_check(r, S_INVALID_FIELD);
	if (!ndob && r->dout_size < bs)
		return scsi_overrun(r);
	uint32_t s = grab_range(r, lba, n, true);
	if (s)
		return scsi_check(r, s);
	if (!ndob) {
		if (posix_memalign((void **)&r->bounce, 4096, bs))
			return scsi_busy(r);
		iov_to_buf(r->dout, r->ndout, 0, r->bounce, bs);
		r->data_out_xfer = bs;
		if (all_zero(r->bounce, bs)) {
			free(r->bounce);
			r->bounce = NULL;
		}
	}
	if (r->bounce) {
		unsigned k = n < WS_CHUNK ? (unsigned)n : WS_CHUNK;
		if (!(r->siov = calloc(k, sizeof(struct iovec))))
			return scsi_busy(r);
		for (unsigned i = 0; i < k; i++)
			r->siov[i] = (struct iovec){ r->bounce, bs };
		r->nsiov = (int)k;
	}
	r->nstep = unmap && r->l->discard;
	r->write_cmd = true;
	r->flush_after = wants_flush(r, false);
	r->pos = lba * bs;
	r->end = r->pos + n * bs;
	r->step = ws_step;
	io_run(r, false);
}

/* UNMAP's descriptors sit in bounce from byte 8; end = how many, nstep = the next one */
static int unmap_step(struct scsi_req *r)
{
	while (r->nstep < r->end) {
		const uint8_t *d = r->bounce + 8 + 16 * r->nstep++;
		uint64_t n = be32(d + 8);
		if (!n)
			continue;
		r->dr.op = DISK_OP_DISCARD;
		r->dr.off = be64(d) * r->l->block;
		r->dr.len = n * r->l->block;
		return 1;
	}
	return flush_step(r);
}

void sbc_unmap(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	const uint32_t len = be16(c + 7);
	if (c[1] & 0x01) /* ANCHOR */
		return scsi_check(r, S_INVALID_FIELD);
	if (!len)
		return scsi_good(r);
	if (!(r->bounce = malloc(len)))
		return scsi_busy(r);
	if (scsi_take_out(r, r->bounce, len))
		return;
	if (len < 8)
		return scsi_check(r, S_PARAM_LIST_LENGTH);
	uint32_t bdl = be16(r->bounce + 2);
	if (bdl > len - 8)
		bdl = len - 8;
	const uint32_t nd = bdl / 16;
	if (nd > MAX_UNMAP_DESC)
		return scsi_check(r, S_INVALID_PARAM);
	uint64_t nblocks;
	uint32_t s = grab(r, &nblocks, true);
	if (s)
		return scsi_check(r, s);
	for (uint32_t i = 0; i < nd; i++) { /* all checked before anything is discarded */
		const uint8_t *d = r->bounce + 8 + 16 * i;
		uint64_t lba = be64(d), n = be32(d + 8);
		if (n > MAX_UNMAP_BLOCKS)
			return scsi_check(r, S_INVALID_PARAM);
		if (n && out_of_range(lba, n, nblocks))
			return scsi_check(r, S_LBA_OUT_OF_RANGE);
	}
	if (r->disk->read_only)
		return scsi_check(r, S_WRITE_PROTECTED);
	r->nstep = 0;
	r->end = nd;
	r->write_cmd = true;
	r->flush_after = false;
	r->step = unmap_step;
	io_run(r, false);
}

void sbc_read_capacity10(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	if (!(c[8] & 1) && be32(c + 2)) /* an LBA without PMI */
		return scsi_check(r, S_INVALID_FIELD);
	uint64_t nblocks;
	uint32_t s = grab(r, &nblocks, false);
	if (s)
		return scsi_check(r, s);
	uint8_t b[8];
	put_be32(b, nblocks - 1 > 0xfffffffe ? 0xffffffff : (uint32_t)(nblocks - 1));
	put_be32(b + 4, r->l->block);
	scsi_reply(r, b, sizeof(b), sizeof(b));
}

void sbc_read_capacity16(struct scsi_req *r)
{
	uint64_t nblocks;
	uint32_t s = grab(r, &nblocks, false);
	if (s)
		return scsi_check(r, s);
	uint8_t b[32] = { 0 };
	put_be64(b, nblocks - 1);
	put_be32(b + 8, r->l->block);
	if (r->l->discard)
		b[14] = 0x80; /* LBPME */
	scsi_reply(r, b, sizeof(b), be32(r->cdb + 10));
}
