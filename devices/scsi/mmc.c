// SPDX-License-Identifier: GPL-2.0-or-later
/* MMC commands of a read-only CD/DVD-ROM drive, as Linux's sr and cdrom layers probe it: READ
 * TOC/PMA/ATIP (formats 0 and 1: one data track, one finished session), READ DISC INFORMATION,
 * GET CONFIGURATION (profile list with CD-ROM and DVD-ROM, core, removable medium, CD/DVD read),
 * GET EVENT STATUS NOTIFICATION (polled media events), and the capabilities mode page 0x2A. An
 * image larger than a CD holds is reported as a DVD-ROM. */
#include <string.h>

#include "devices/scsi/scsi_int.h"

#define CD_MAX_BLOCKS (80u * 60u * 75u) /* an 80-minute CD */
#define PROFILE_CD_ROM 0x0008
#define PROFILE_DVD_ROM 0x0010

/* medium state under the lock: present (tray closed with a disk) and capacity */
static bool medium(const struct scsi_lun *l, uint64_t *nblocks, bool *tray_open)
{
	pthread_mutex_lock(&l->t->lock);
	bool present = l->disk && !l->tray_open;
	*nblocks = l->nblocks;
	if (tray_open)
		*tray_open = l->tray_open;
	pthread_mutex_unlock(&l->t->lock);
	return present;
}

static uint32_t medium_or_sense(const struct scsi_lun *l, uint64_t *nblocks)
{
	pthread_mutex_lock(&l->t->lock);
	uint32_t s = scsi_medium_sense(l);
	*nblocks = l->nblocks;
	pthread_mutex_unlock(&l->t->lock);
	return s;
}

static void put_addr(uint8_t *p, uint64_t lba, bool msf)
{
	if (!msf) {
		put_be32(p, lba > 0xffffffffu ? 0xffffffffu : (uint32_t)lba);
		return;
	}
	uint64_t x = lba + 150; /* the 2-second pregap */
	if (x >= 256u * 4500u)
		x = 256u * 4500u - 1;
	p[0] = 0;
	p[1] = (uint8_t)(x / 4500);
	p[2] = (uint8_t)(x / 75 % 60);
	p[3] = (uint8_t)(x % 75);
}

static void toc_desc(uint8_t *d, uint8_t track, uint64_t lba, bool msf)
{
	memset(d, 0, 8);
	d[1] = 0x14; /* ADR 1 (position), control 4 (data track) */
	d[2] = track;
	put_addr(d + 4, lba, msf);
}

void mmc_read_toc(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	const bool msf = c[1] & 0x02;
	unsigned format = c[2] & 0x0f;
	if (!format)
		format = c[9] >> 6; /* where SFF-8020 drives took it */
	const uint8_t track = c[6];
	uint64_t nblocks;
	uint32_t s = medium_or_sense(r->l, &nblocks);
	if (s)
		return scsi_check(r, s);
	uint8_t b[4 + 2 * 8];
	unsigned n = 4;
	memset(b, 0, sizeof(b));
	b[2] = b[3] = 1; /* first and last track, or session */
	if (format == 0) {
		if (track > 1 && track != 0xaa)
			return scsi_check(r, S_INVALID_FIELD);
		if (track <= 1) {
			toc_desc(b + n, 1, 0, msf);
			n += 8;
		}
		toc_desc(b + n, 0xaa, nblocks, msf); /* lead-out */
		n += 8;
	} else if (format == 1) {
		toc_desc(b + n, 1, 0, msf); /* first track of the last session */
		n += 8;
	} else {
		return scsi_check(r, S_INVALID_FIELD);
	}
	put_be16(b, (uint16_t)(n - 2));
	scsi_reply(r, b, n, be16(c + 7));
}

void mmc_disc_info(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	if (c[1] & 0x07) /* only standard disc information */
		return scsi_check(r, S_INVALID_FIELD);
	uint64_t nblocks;
	uint32_t s = medium_or_sense(r->l, &nblocks);
	if (s)
		return scsi_check(r, s);
	uint8_t b[34] = { 0 };
	put_be16(b, sizeof(b) - 2);
	b[2] = 0x0e; /* last session complete, disc finalized, not erasable */
	b[3] = 1;    /* first track on disc */
	b[4] = 1;    /* sessions */
	b[5] = 1;    /* first track in last session */
	b[6] = 1;    /* last track in last session */
	b[7] = 0x20; /* unrestricted use */
	b[8] = 0x00; /* CD-DA or CD-ROM */
	memset(b + 16, 0xff, 8); /* no next session / lead-out start to offer */
	scsi_reply(r, b, sizeof(b), be16(c + 7));
}

static uint16_t current_profile(const struct scsi_lun *l)
{
	uint64_t nblocks;
	if (!medium(l, &nblocks, NULL))
		return 0;
	return nblocks > CD_MAX_BLOCKS ? PROFILE_DVD_ROM : PROFILE_CD_ROM;
}

/* one feature descriptor into p; returns its size */
static unsigned feature(uint16_t code, uint16_t profile, uint8_t *p, bool *current)
{
	memset(p, 0, 12);
	put_be16(p, code);
	switch (code) {
	case 0x0000: /* profile list, highest first */
		p[2] = 0x03;
		p[3] = 8;
		put_be16(p + 4, PROFILE_DVD_ROM);
		p[6] = profile == PROFILE_DVD_ROM;
		put_be16(p + 8, PROFILE_CD_ROM);
		p[10] = profile == PROFILE_CD_ROM;
		*current = true;
		return 12;
	case 0x0001: /* core */
		p[2] = 0x0b; /* version 2, persistent, current */
		p[3] = 8;
		put_be32(p + 4, 1); /* SCSI family */
		p[8] = 0x01;        /* DBE */
		*current = true;
		return 12;
	case 0x0003: /* removable medium: tray, can eject, can lock */
		p[2] = 0x03;
		p[3] = 4;
		p[4] = 0x29;
		*current = true;
		return 8;
	case 0x001e: /* CD read */
		*current = profile == PROFILE_CD_ROM;
		p[2] = 0x08 | *current;
		p[3] = 4;
		return 8;
	default: /* 0x001f DVD read */
		*current = profile == PROFILE_DVD_ROM;
		p[2] = 0x04 | *current;
		p[3] = 4;
		return 8;
	}
}

void mmc_get_configuration(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	const unsigned rt = c[1] & 3;
	const uint16_t start = be16(c + 2);
	if (rt == 3)
		return scsi_check(r, S_INVALID_FIELD);
	static const uint16_t codes[] = { 0x0000, 0x0001, 0x0003, 0x001e, 0x001f };
	const uint16_t profile = current_profile(r->l);
	uint8_t b[8 + 5 * 12] = { 0 };
	unsigned n = 8;
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		bool cur;
		if (codes[i] < start || (rt == 2 && codes[i] != start))
			continue;
		unsigned m = feature(codes[i], profile, b + n, &cur);
		if (rt == 1 && !cur)
			continue;
		n += m;
	}
	put_be32(b, n - 4);
	put_be16(b + 6, profile);
	scsi_reply(r, b, n, be16(c + 7));
}

void mmc_event_status(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	if (!(c[1] & 1)) /* asynchronous notification is not offered */
		return scsi_check(r, S_INVALID_FIELD);
	uint8_t b[8] = { 0 };
	b[3] = 0x10; /* supported classes: media */
	if (!(c[4] & 0x10)) {
		b[1] = 2;
		b[2] = 0x80; /* NEA */
		return scsi_reply(r, b, 4, be16(c + 7));
	}
	struct scsi_lun *l = r->l;
	pthread_mutex_lock(&l->t->lock);
	b[4] = l->media_event;
	b[5] = (l->disk && !l->tray_open ? 0x02 : 0) | (l->tray_open ? 0x01 : 0);
	l->media_event = MEV_NONE;
	pthread_mutex_unlock(&l->t->lock);
	b[1] = 6;
	b[2] = 0x04; /* media class */
	scsi_reply(r, b, sizeof(b), be16(c + 7));
}

unsigned mmc_cap_page(const struct scsi_lun *l, uint8_t *p)
{
	memset(p, 0, 22);
	p[0] = 0x2a;
	p[1] = 0x14;
	p[2] = 0x3b; /* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
	p[4] = 0x71; /* audio play, mode 2 form 1 and 2, multi-session */
	p[5] = 0x01; /* CD-DA commands */
	pthread_mutex_lock(&l->t->lock);
	p[6] = 0x29 | (l->locked ? 0x02 : 0); /* tray, eject, lock; lock state */
	pthread_mutex_unlock(&l->t->lock);
	put_be16(p + 8, 706);   /* 4x, kB/s */
	put_be16(p + 10, 256);  /* volume levels */
	put_be16(p + 12, 512);  /* buffer, KiB */
	put_be16(p + 14, 706);
	return 22;
}
