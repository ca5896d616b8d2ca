// SPDX-License-Identifier: GPL-2.0-or-later
/* SPC commands that describe a logical unit: INQUIRY (standard data and the VPD pages Linux's sd
 * and sr probe: 0x00, 0x80, 0x83, and for disks 0xB0 block limits, 0xB1 characteristics, 0xB2
 * provisioning), MODE SENSE(6/10) with the caching page 0x08 (disks) or the MMC capabilities page
 * 0x2A (CD-ROMs), and MODE SELECT(6/10), through which the guest turns the write cache on or off. */
#include <string.h>

#include "devices/disk/disk.h"
#include "devices/scsi/scsi_int.h"

#define INQ_STD_LEN 36u

static void inquiry_std(const struct scsi_lun *l, uint8_t *b)
{
	memset(b, 0, INQ_STD_LEN);
	b[0] = l->type == SCSI_LUN_CDROM ? 0x05 : 0x00;
	b[1] = l->type == SCSI_LUN_CDROM ? 0x80 : 0x00; /* RMB */
	b[2] = 0x05;                                   /* SPC-3 */
	b[3] = 0x12;                                   /* HiSup, response data format 2 */
	b[4] = INQ_STD_LEN - 5;
	b[7] = 0x02; /* CmdQue: requests may be in flight together */
	memcpy(b + 8, l->t->vendor, 8);
	memcpy(b + 16, l->t->product, 16);
	memcpy(b + 32, "1.0 ", 4);
}

/* fills b (room for 256 bytes) with VPD page `page`; 0 when the LUN has no such page */
static unsigned vpd_page(const struct scsi_lun *l, uint8_t page, uint8_t *b)
{
	static const uint8_t disk_pages[] = { 0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2 };
	const bool disk = l->type == SCSI_LUN_DISK;
	const unsigned npages = disk ? sizeof(disk_pages) : 3;
	unsigned len; /* page length after the 4-byte header */
	memset(b, 0, 256);
	b[0] = disk ? 0x00 : 0x05;
	b[1] = page;
	switch (page) {
	case 0x00:
		memcpy(b + 4, disk_pages, npages);
		len = npages;
		break;
	case 0x80:
		len = (unsigned)strlen(l->serial);
		memcpy(b + 4, l->serial, len);
		break;
	case 0x83: {
		uint8_t *d = b + 4;
		d[0] = 0x01; /* binary */
		d[1] = 0x03; /* associated with the LU, NAA */
		d[3] = 8;
		put_be64(d + 4, l->wwn);
		d += 12;
		unsigned sl = (unsigned)strlen(l->serial);
		d[0] = 0x02; /* ASCII */
		d[1] = 0x01; /* T10 vendor identification */
		d[3] = (uint8_t)(8 + sl);
		memcpy(d + 4, l->t->vendor, 8);
		memcpy(d + 12, l->serial, sl);
		len = 12 + 4 + 8 + sl;
		break;
	}
	case 0xb0:
		if (!disk)
			return 0;
		len = 0x3c;
		b[4] = 0x01; /* WSNZ: WRITE SAME with 0 blocks is refused, not "to the end" */
		put_be32(b + 8, MAX_XFER_BLOCKS);
		if (l->discard) {
			put_be32(b + 20, MAX_UNMAP_BLOCKS);
			put_be32(b + 24, MAX_UNMAP_DESC);
			put_be32(b + 28, 4096 / DISK_BLOCK); /* optimal unmap granularity: a host page */
		}
		put_be64(b + 36, MAX_WS_BLOCKS);
		break;
	case 0xb1:
		if (!disk)
			return 0;
		len = 0x3c;
		put_be16(b + 4, 1); /* non-rotating medium */
		break;
	case 0xb2:
		if (!disk)
			return 0;
		len = 4;
		if (l->discard) {
			b[5] = 0xe0; /* LBPU, LBPWS, LBPWS10 */
			b[6] = 0x02; /* thin provisioned */
		}
		break;
	default:
		return 0;
	}
	put_be16(b + 2, (uint16_t)len);
	return 4 + len;
}

void spc_inquiry(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	uint16_t alloc = be16(c + 3);
	uint8_t b[256];
	if (c[1] & 0x02) /* CMDDT (obsolete) */
		return scsi_check(r, S_INVALID_FIELD);
	if (!(c[1] & 0x01)) {
		if (c[2])
			return scsi_check(r, S_INVALID_FIELD);
		inquiry_std(r->l, b);
		return scsi_reply(r, b, INQ_STD_LEN, alloc);
	}
	unsigned n = vpd_page(r->l, c[2], b);
	if (!n)
		return scsi_check(r, S_INVALID_FIELD);
	scsi_reply(r, b, n, alloc);
}

/* INQUIRY on a LUN number without a LUN: "not capable of supporting a device here" */
void spc_inquiry_absent(struct scsi_req *r)
{
	uint8_t b[INQ_STD_LEN] = { 0x7f, 0, 0x05, 0x12, INQ_STD_LEN - 5 };
	if ((r->cdb[1] & 0x02) || (!(r->cdb[1] & 1) && r->cdb[2]))
		return scsi_check(r, S_INVALID_FIELD);
	if (r->cdb[1] & 1) { /* VPD: only the page list, empty */
		uint8_t v[4] = { 0x7f, 0x00, 0, 0 };
		if (r->cdb[2])
			return scsi_check(r, S_INVALID_FIELD);
		return scsi_reply(r, v, sizeof(v), be16(r->cdb + 3));
	}
	scsi_reply(r, b, sizeof(b), be16(r->cdb + 3));
}

/* ---- mode pages ---- */

enum { PC_CURRENT, PC_CHANGEABLE, PC_DEFAULT, PC_SAVED };

/* page `page` under page control pc into p; returns its size, 0 if the LUN lacks it */
static unsigned mode_page(const struct scsi_lun *l, uint8_t page, int pc, uint8_t *p)
{
	if (l->type == SCSI_LUN_DISK && page == 0x08) {
		memset(p, 0, 20);
		p[0] = 0x08;
		p[1] = 0x12;
		if (pc == PC_CHANGEABLE || pc == PC_DEFAULT || (pc == PC_CURRENT && l->wce))
			p[2] = 0x04; /* WCE */
		return 20;
	}
	if (l->type == SCSI_LUN_CDROM && page == 0x2a) {
		unsigned n = mmc_cap_page(l, p);
		if (pc == PC_CHANGEABLE)
			memset(p + 2, 0, n - 2);
		return n;
	}
	return 0;
}

void spc_mode_sense(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	const bool ten = c[0] == 0x5a;
	const struct scsi_lun *l = r->l;
	const int pc = c[2] >> 6;
	const uint8_t page = c[2] & 0x3f, sub = c[3];
	const uint32_t alloc = ten ? be16(c + 7) : c[4];
	const bool dbd = c[1] & 0x08, llbaa = ten && (c[1] & 0x10);
	if (pc == PC_SAVED)
		return scsi_check(r, S_SAVING_NOT_SUPPORTED);
	if (sub && !(sub == 0xff && page == 0x3f))
		return scsi_check(r, S_INVALID_FIELD);
	uint8_t b[256];
	unsigned hdr = ten ? 8 : 4, n = hdr;
	memset(b, 0, hdr);
	if (l->type == SCSI_LUN_DISK) {
		b[ten ? 3 : 2] = (l->disk->read_only ? 0x80 : 0) | 0x10; /* WP, DPOFUA */
		if (!dbd) {
			uint8_t *d = b + n;
			unsigned dl = llbaa ? 16 : 8;
			memset(d, 0, dl);
			if (llbaa) {
				b[4] = 0x01; /* LONGLBA */
				put_be64(d, l->nblocks);
				put_be32(d + 12, l->block);
			} else {
				put_be32(d, l->nblocks > 0xffffff ? 0xffffff : (uint32_t)l->nblocks);
				d[0] = 0; /* density code */
				put_be24(d + 5, l->block);
			}
			if (ten)
				put_be16(b + 6, (uint16_t)dl);
			else
				b[3] = (uint8_t)dl;
			n += dl;
		}
	}
	static const uint8_t all[] = { 0x08, 0x2a };
	unsigned found = 0;
	for (unsigned i = 0; i < sizeof(all); i++) {
		if (page != 0x3f && page != all[i])
			continue;
		unsigned m = mode_page(l, all[i], pc, b + n);
		n += m;
		found += m != 0;
	}
	if (!found && page != 0x3f)
		return scsi_check(r, S_INVALID_FIELD);
	if (ten)
		put_be16(b, (uint16_t)(n - 2));
	else
		b[0] = (uint8_t)(n - 1);
	scsi_reply(r, b, n, alloc);
}

void spc_mode_select(struct scsi_req *r)
{
	const uint8_t *c = r->cdb;
	const bool ten = c[0] == 0x55;
	struct scsi_lun *l = r->l;
	const uint32_t len = ten ? be16(c + 7) : c[4];
	const unsigned hdr = ten ? 8 : 4;
	if (c[1] & 0x01) /* SP: nothing is saved across power cycles */
		return scsi_check(r, S_INVALID_FIELD);
	if (!len)
		return scsi_good(r);
	uint8_t b[65536];
	if (scsi_take_out(r, b, len))
		return;
	if (len < hdr)
		return scsi_check(r, S_PARAM_LIST_LENGTH);
	uint32_t bdl = ten ? be16(b + 6) : b[3];
	uint32_t pos = hdr;
	if (bdl) { /* one block descriptor whose block length must stay ours */
		unsigned want = ten && (b[4] & 1) ? 16 : 8;
		if (bdl != want || hdr + bdl > len)
			return scsi_check(r, S_PARAM_LIST_LENGTH);
		uint32_t bl = want == 16 ? be32(b + pos + 12) : be24(b + pos + 5);
		if (bl && bl != l->block)
			return scsi_check(r, S_INVALID_PARAM);
		pos += bdl;
	}
	int wce = -1;
	while (pos < len) {
		if (len - pos < 2 || (b[pos] & 0x40)) /* truncated header, or a subpage */
			return scsi_check(r, pos + 2 > len ? S_PARAM_LIST_LENGTH : S_INVALID_PARAM);
		uint8_t page = b[pos] & 0x3f;
		uint32_t plen = 2u + b[pos + 1];
		if (pos + plen > len)
			return scsi_check(r, S_PARAM_LIST_LENGTH);
		uint8_t cur[256], mask[256];
		unsigned n = mode_page(l, page, PC_CURRENT, cur);
		mode_page(l, page, PC_CHANGEABLE, mask);
		if (!n || n != plen)
			return scsi_check(r, S_INVALID_PARAM);
		for (unsigned i = 2; i < n; i++) /* only changeable bits may differ */
			if ((b[pos + i] ^ cur[i]) & ~mask[i])
				return scsi_check(r, S_INVALID_PARAM);
		if (page == 0x08)
			wce = (b[pos + 2] & 0x04) != 0;
		pos += plen;
	}
	if (wce >= 0) {
		pthread_mutex_lock(&l->t->lock);
		l->wce = wce;
		pthread_mutex_unlock(&l->t->lock);
	}
	scsi_good(r);
}
