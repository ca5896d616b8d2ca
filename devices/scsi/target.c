// SPDX-License-Identifier: GPL-2.0-or-later
/* The SCSI target's core: LUN bookkeeping, medium change, the command dispatcher with its CDB
 * length, LUN, unit-attention and medium checks, the SPC commands that only touch state (TEST UNIT
 * READY, REQUEST SENSE, REPORT LUNS, START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL), and the
 * helpers that finish a request (sense data, replies, residuals). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/disk/disk.h"
#include "devices/iov.h"
#include "devices/scsi/scsi_int.h"

static void copy_padded(char *dst, size_t n, const char *src)
{
	size_t l = strnlen(src, n);
	memset(dst, ' ', n);
	memcpy(dst, src, l);
	dst[n] = 0;
}

int scsi_target_create(struct scsi_target **out, const struct scsi_target_opts *o)
{
	struct scsi_target *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int e = pthread_mutex_init(&t->lock, NULL);
	if (e) {
		free(t);
		return -e;
	}
	t->autosense = o->autosense;
	t->id = o->id;
	copy_padded(t->vendor, 8, o->vendor ? o->vendor : "KVMINI");
	copy_padded(t->product, 16, o->product ? o->product : "KVMINI SCSI");
	*out = t;
	return 0;
}

void scsi_target_destroy(struct scsi_target *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->nluns; i++) {
		if (t->luns[i]->disk)
			disk_close(t->luns[i]->disk);
		free(t->luns[i]);
	}
	free(t->luns);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static struct scsi_lun *find_lun(const struct scsi_target *t, unsigned lun)
{
	for (unsigned i = 0; i < t->nluns; i++)
		if (t->luns[i]->lun == lun)
			return t->luns[i];
	return NULL;
}

struct scsi_lun *scsi_target_lun(struct scsi_target *t, unsigned lun) { return find_lun(t, lun); }
bool scsi_target_has_lun(struct scsi_target *t, unsigned lun) { return find_lun(t, lun) != NULL; }
struct disk *scsi_lun_disk(struct scsi_target *t, unsigned lun)
{
	struct scsi_lun *l = find_lun(t, lun);
	return l ? l->disk : NULL;
}

/* capacity of the medium d in l's blocks; -EINVAL when it holds less than one */
static int set_medium(struct scsi_lun *l, struct disk *d)
{
	if (d && d->size / l->block == 0)
		return -EINVAL;
	l->disk = d;
	l->nblocks = d ? d->size / l->block : 0;
	return 0;
}

int scsi_target_add_lun(struct scsi_target *t, unsigned lun, struct disk *d, const struct scsi_lun_opts *o)
{
	if (lun >= SCSI_LUN_MAX || (o->type == SCSI_LUN_DISK && !d) ||
	    (o->type != SCSI_LUN_DISK && o->type != SCSI_LUN_CDROM))
		return -EINVAL;
	struct scsi_lun *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->t = t;
	l->lun = lun;
	l->type = o->type;
	l->block = o->type == SCSI_LUN_CDROM ? CD_BLOCK : DISK_BLOCK;
	l->discard = o->discard && o->type == SCSI_LUN_DISK;
	l->wce = true;
	l->ua = UA_RESET; /* a new device reports its power-on */
	if (o->serial)
		snprintf(l->serial, sizeof(l->serial), "%s", o->serial);
	else
		snprintf(l->serial, sizeof(l->serial), "KVMINI-%u-%u", t->id, lun);
	for (char *c = l->serial; *c; c++)
		if (*c < 0x21 || *c > 0x7e)
			*c = '_';
	l->wwn = o->wwn ? o->wwn : (0x6ull << 60 | (uint64_t)t->id << 16 | lun) ^ 0x0b1e55ed00000000ull;
	if (set_medium(l, d)) {
		free(l);
		return -EINVAL;
	}
	pthread_mutex_lock(&t->lock);
	int e = 0;
	struct scsi_lun **n = NULL;
	if (find_lun(t, lun))
		e = -EEXIST;
	else if (!(n = realloc(t->luns, (t->nluns + 1) * sizeof(*n))))
		e = -ENOMEM;
	if (!e) {
		unsigned i = t->nluns;
		while (i > 0 && n[i - 1]->lun > lun) {
			n[i] = n[i - 1];
			i--;
		}
		n[i] = l;
		t->luns = n;
		t->nluns++;
	}
	pthread_mutex_unlock(&t->lock);
	if (e)
		free(l);
	return e;
}

static void reset_lun(struct scsi_lun *l)
{
	l->ua |= UA_RESET;
	l->sense_valid = false;
	l->locked = false;
}

void scsi_target_reset(struct scsi_target *t)
{
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < t->nluns; i++)
		reset_lun(t->luns[i]);
	pthread_mutex_unlock(&t->lock);
}

void scsi_lun_reset(struct scsi_target *t, unsigned lun)
{
	pthread_mutex_lock(&t->lock);
	struct scsi_lun *l = find_lun(t, lun);
	if (l)
		reset_lun(l);
	pthread_mutex_unlock(&t->lock);
}

static int cdrom_of(struct scsi_target *t, unsigned lun, struct scsi_lun **out)
{
	struct scsi_lun *l = find_lun(t, lun);
	if (!l)
		return -ENODEV;
	if (l->type != SCSI_LUN_CDROM)
		return -ENOTTY;
	*out = l;
	return 0;
}

int scsi_lun_insert(struct scsi_target *t, unsigned lun, struct disk *d)
{
	struct scsi_lun *l;
	pthread_mutex_lock(&t->lock);
	int e = cdrom_of(t, lun, &l);
	if (!e && l->disk)
		e = -EEXIST;
	if (!e && !d)
		e = -EINVAL;
	if (!e)
		e = set_medium(l, d);
	if (!e) {
		l->tray_open = false;
		l->ua |= UA_MEDIUM_CHANGE;
		l->media_event = MEV_NEW_MEDIA;
	}
	pthread_mutex_unlock(&t->lock);
	return e;
}

int scsi_lun_eject(struct scsi_target *t, unsigned lun, bool force, struct disk **old)
{
	struct scsi_lun *l;
	*old = NULL;
	pthread_mutex_lock(&t->lock);
	int e = cdrom_of(t, lun, &l);
	if (!e && l->inflight)
		e = -EBUSY;
	if (!e && l->locked && !force) {
		l->media_event = MEV_EJECT_REQUEST; /* the guest is asked to let go */
		e = -EPERM;
	}
	if (!e) {
		*old = l->disk;
		if (l->disk)
			l->media_event = MEV_MEDIA_REMOVAL;
		set_medium(l, NULL);
		l->tray_open = true;
		l->locked = false;
	}
	pthread_mutex_unlock(&t->lock);
	return e;
}

int scsi_lun_tray(struct scsi_target *t, unsigned lun, bool open, bool force)
{
	struct scsi_lun *l;
	pthread_mutex_lock(&t->lock);
	int e = cdrom_of(t, lun, &l);
	if (!e && open && !l->tray_open) {
		if (l->locked && !force) {
			l->media_event = MEV_EJECT_REQUEST;
			e = -EPERM;
		} else {
			l->tray_open = true;
			l->locked = false;
			if (l->disk)
				l->media_event = MEV_MEDIA_REMOVAL;
		}
	} else if (!e && !open && l->tray_open) {
		l->tray_open = false;
		if (l->disk) {
			l->media_event = MEV_NEW_MEDIA;
			l->ua |= UA_MEDIUM_CHANGE;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return e;
}

int scsi_lun_type_of(struct scsi_target *t, unsigned lun)
{
	pthread_mutex_lock(&t->lock);
	struct scsi_lun *l = find_lun(t, lun);
	int type = l ? (int)l->type : -ENODEV;
	pthread_mutex_unlock(&t->lock);
	return type;
}

int scsi_lun_medium(struct scsi_target *t, unsigned lun, bool *present, bool *tray_open, bool *locked)
{
	pthread_mutex_lock(&t->lock);
	struct scsi_lun *l = find_lun(t, lun);
	if (l) {
		*present = l->disk && !l->tray_open;
		*tray_open = l->tray_open;
		*locked = l->locked;
	}
	pthread_mutex_unlock(&t->lock);
	return l ? 0 : -ENODEV;
}

/* ---- finishing requests ---- */

void scsi_fill_sense(uint8_t *s, uint32_t code)
{
	memset(s, 0, SCSI_SENSE_LEN);
	s[0] = 0x70; /* current error, fixed format */
	s[2] = (uint8_t)(code >> 16) & 0xf;
	s[7] = SCSI_SENSE_LEN - 8; /* additional sense length */
	s[12] = (uint8_t)(code >> 8);
	s[13] = (uint8_t)code;
}

static void finish(struct scsi_req *r)
{
	if (r->disk) {
		pthread_mutex_lock(&r->l->t->lock);
		r->l->inflight--;
		pthread_mutex_unlock(&r->l->t->lock);
		r->disk = NULL;
	}
	free(r->bounce);
	r->bounce = NULL;
	if (r->siov != r->inl)
		free(r->siov);
	r->siov = NULL;
	r->residual = (r->din_size - r->data_in_xfer) + (r->dout_size - r->data_out_xfer);
	r->done(r);
}

void scsi_check(struct scsi_req *r, uint32_t code)
{
	r->status = SCSI_STATUS_CHECK_CONDITION;
	scsi_fill_sense(r->sense, code);
	r->sense_len = SCSI_SENSE_LEN;
	if (r->l && !r->l->t->autosense) {
		pthread_mutex_lock(&r->l->t->lock);
		memcpy(r->l->sense, r->sense, SCSI_SENSE_LEN);
		r->l->sense_valid = true;
		pthread_mutex_unlock(&r->l->t->lock);
	}
	finish(r);
}

void scsi_good(struct scsi_req *r)
{
	r->status = SCSI_STATUS_GOOD;
	finish(r);
}

void scsi_busy(struct scsi_req *r)
{
	r->status = SCSI_STATUS_BUSY; /* out of host memory: the initiator retries */
	r->data_in_xfer = r->data_out_xfer = 0;
	finish(r);
}

void scsi_overrun(struct scsi_req *r)
{
	r->response = SCSI_RESP_OVERRUN;
	r->data_in_xfer = r->data_out_xfer = 0;
	finish(r);
}

void scsi_reply(struct scsi_req *r, const void *buf, uint64_t len, uint64_t alloc)
{
	uint64_t n = len < alloc ? len : alloc;
	if (n > r->din_size)
		n = r->din_size;
	iov_from_buf(r->din, r->ndin, 0, buf, n);
	r->data_in_xfer = n;
	scsi_good(r);
}

int scsi_take_out(struct scsi_req *r, void *buf, uint64_t len)
{
	if (r->dout_size < len) {
		scsi_overrun(r);
		return -1;
	}
	iov_to_buf(r->dout, r->ndout, 0, buf, len);
	r->data_out_xfer = len;
	return 0;
}

uint32_t scsi_medium_sense(const struct scsi_lun *l)
{
	if (l->tray_open)
		return S_NO_MEDIUM_TRAY_OPEN;
	if (!l->disk)
		return S_NO_MEDIUM_TRAY_CLOSED;
	return 0;
}

/* ---- state-only commands ---- */

static void report_luns(struct scsi_req *r, struct scsi_target *t)
{
	const uint8_t *c = r->cdb;
	uint32_t alloc = be32(c + 6);
	if (alloc < 16 || c[2] > 2)
		return scsi_check(r, S_INVALID_FIELD);
	pthread_mutex_lock(&t->lock);
	unsigned n = c[2] == 1 ? 0 : t->nluns; /* 1: well-known LUNs only, of which there are none */
	uint64_t len = 8 + 8ull * n;
	uint8_t *b = calloc(1, len);
	if (!b) {
		pthread_mutex_unlock(&t->lock);
		return scsi_busy(r);
	}
	put_be32(b, 8 * n);
	for (unsigned i = 0; i < n; i++) {
		unsigned lun = t->luns[i]->lun;
		if (lun < 256)
			b[8 + 8 * i + 1] = (uint8_t)lun; /* peripheral device addressing */
		else
			put_be16(b + 8 + 8 * i, (uint16_t)(0x4000 | lun)); /* flat space */
	}
	pthread_mutex_unlock(&t->lock);
	scsi_reply(r, b, len, alloc);
	free(b);
}

static void request_sense(struct scsi_req *r, struct scsi_lun *l)
{
	if (r->cdb[1] & 1) /* descriptor format: not supported */
		return scsi_check(r, S_INVALID_FIELD);
	uint8_t s[SCSI_SENSE_LEN];
	if (!l) {
		scsi_fill_sense(s, S_LUN_NOT_SUPPORTED);
	} else {
		pthread_mutex_lock(&l->t->lock);
		if (l->sense_valid) {
			memcpy(s, l->sense, sizeof(s));
		} else if (l->ua & UA_RESET) {
			scsi_fill_sense(s, S_UA_RESET);
			l->ua &= ~UA_RESET;
		} else if (l->ua & UA_MEDIUM_CHANGE) {
			scsi_fill_sense(s, S_UA_MEDIUM_CHANGE);
			l->ua &= ~UA_MEDIUM_CHANGE;
		} else {
			scsi_fill_sense(s, scsi_medium_sense(l));
		}
		l->sense_valid = false;
		pthread_mutex_unlock(&l->t->lock);
	}
	scsi_reply(r, s, sizeof(s), r->cdb[4]);
}

static void start_stop(struct scsi_req *r, struct scsi_lun *l)
{
	uint8_t b4 = r->cdb[4];
	bool loej = b4 & 2, start = b4 & 1;
	if ((b4 >> 4) || l->type != SCSI_LUN_CDROM || !loej) /* power conditions, disks: nothing to do */
		return scsi_good(r);
	uint32_t err = 0;
	pthread_mutex_lock(&l->t->lock);
	if (!start && l->locked) {
		err = S_REMOVAL_PREVENTED;
	} else if (!start && !l->tray_open) {
		l->tray_open = true;
		if (l->disk)
			l->media_event = MEV_MEDIA_REMOVAL;
	} else if (start && l->tray_open) {
		l->tray_open = false;
		if (l->disk) {
			l->media_event = MEV_NEW_MEDIA;
			l->ua |= UA_MEDIUM_CHANGE;
		}
	}
	pthread_mutex_unlock(&l->t->lock);
	if (err)
		return scsi_check(r, err);
	scsi_good(r);
}

static void prevent_allow(struct scsi_req *r, struct scsi_lun *l)
{
	if (l->type == SCSI_LUN_CDROM) {
		pthread_mutex_lock(&l->t->lock);
		l->locked = r->cdb[4] & 1;
		pthread_mutex_unlock(&l->t->lock);
	}
	scsi_good(r);
}

static void test_unit_ready(struct scsi_req *r, struct scsi_lun *l)
{
	pthread_mutex_lock(&l->t->lock);
	uint32_t s = scsi_medium_sense(l);
	pthread_mutex_unlock(&l->t->lock);
	if (s)
		return scsi_check(r, s);
	scsi_good(r);
}

/* ---- dispatch ---- */

/* CDB length by opcode group (SPC 4.3.4); 0: a group without standard commands */
static unsigned cdb_group_len(uint8_t op)
{
	static const uint8_t len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };
	return len[op >> 5];
}

static bool ua_exempt(uint8_t op, const struct scsi_lun *l)
{
	if (op == 0x12 || op == 0xa0 || op == 0x03) /* INQUIRY, REPORT LUNS, REQUEST SENSE */
		return true;
	return l->type == SCSI_LUN_CDROM && (op == 0x46 || op == 0x4a); /* GET CONFIGURATION, GESN */
}

static uint32_t take_ua(struct scsi_lun *l)
{
	if (l->ua & UA_RESET) {
		l->ua &= ~UA_RESET;
		return S_UA_RESET;
	}
	l->ua &= ~UA_MEDIUM_CHANGE;
	return S_UA_MEDIUM_CHANGE;
}

static void dispatch(struct scsi_req *r, struct scsi_lun *l)
{
	const uint8_t op = r->cdb[0];
	const bool cd = l->type == SCSI_LUN_CDROM;
	switch (op) {
	case 0x00: return test_unit_ready(r, l);
	case 0x03: return request_sense(r, l);
	case 0x12: return spc_inquiry(r);
	case 0x1a: case 0x5a: return spc_mode_sense(r);
	case 0x15: case 0x55: return spc_mode_select(r);
	case 0x1b: return start_stop(r, l);
	case 0x1e: return prevent_allow(r, l);
	case 0x25: return sbc_read_capacity10(r);
	case 0x08: case 0x28: case 0xa8: case 0x88: /* READ 6/10/12/16 */
	case 0x0a: case 0x2a: case 0xaa: case 0x8a: /* WRITE 6/10/12/16 */
		return sbc_rw(r);
	case 0x2f: case 0xaf: case 0x8f: return sbc_verify(r);
	case 0x35: case 0x91: return sbc_sync_cache(r);
	case 0x9e: /* SERVICE ACTION IN(16) */
		if ((r->cdb[1] & 0x1f) == 0x10)
			return sbc_read_capacity16(r);
		break;
	case 0x41: case 0x93:
		if (!cd)
			return sbc_write_same(r);
		break;
	case 0x42:
		if (!cd && l->discard)
			return sbc_unmap(r);
		break;
	case 0x43: if (cd) return mmc_read_toc(r); break;
	case 0x51: if (cd) return mmc_disc_info(r); break;
	case 0x46: if (cd) return mmc_get_configuration(r); break;
	case 0x4a: if (cd) return mmc_event_status(r); break;
	}
	scsi_check(r, S_INVALID_OPCODE);
}

void scsi_submit(struct scsi_target *t, struct disk_aio *q, struct scsi_req *r)
{
	r->response = SCSI_RESP_OK;
	r->status = SCSI_STATUS_GOOD;
	r->sense_len = 0;
	r->data_in_xfer = r->data_out_xfer = 0;
	r->din_size = r->din ? iov_size(r->din, r->ndin) : 0;
	r->dout_size = r->dout ? iov_size(r->dout, r->ndout) : 0;
	r->q = q;
	r->disk = NULL;
	r->bounce = NULL;
	r->siov = NULL;
	r->step = NULL;
	r->l = NULL;
	if (r->cdb_len > SCSI_CDB_MAX)
		r->cdb_len = SCSI_CDB_MAX;
	const uint8_t op = r->cdb_len ? r->cdb[0] : 0;
	const unsigned need = cdb_group_len(op);

	pthread_mutex_lock(&t->lock);
	struct scsi_lun *l = find_lun(t, r->lun);
	uint32_t pre = 0;
	if (l) {
		if (op != 0x03)
			l->sense_valid = false; /* kept sense lives until the next command */
		if (l->ua && r->cdb_len && !ua_exempt(op, l))
			pre = take_ua(l);
	}
	pthread_mutex_unlock(&t->lock);
	r->l = l;
	if (pre)
		return scsi_check(r, pre);
	if (!r->cdb_len || (need && r->cdb_len < need))
		return scsi_check(r, S_INVALID_FIELD);
	if (!need)
		return scsi_check(r, S_INVALID_OPCODE);
	if (r->cdb[need - 1] & 0x04) /* NACA: no ACA support */
		return scsi_check(r, S_INVALID_FIELD);
	if (!l) {
		if (op == 0x12)
			return spc_inquiry_absent(r);
		if (op == 0xa0)
			return report_luns(r, t);
		if (op == 0x03)
			return request_sense(r, NULL);
		return scsi_check(r, S_LUN_NOT_SUPPORTED);
	}
	if (op == 0xa0)
		return report_luns(r, t);
	dispatch(r, l);
}
