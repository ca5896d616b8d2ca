// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved state of an ATA/ATAPI device (vmm/state.h): the task file, the control register and
 * INTRQ, the settings a guest made (transfer mode, write cache, multiple count, power mode), and
 * a register-path command caught between its data blocks (a PIO data phase with its buffer, a
 * packet being written, a DMA command waiting for the bus master). A CD-ROM's sense and unit
 * attentions travel in its SCSI target's payload, nested at the end. Nothing may be in flight.
 *
 * Payload, version 1: u8 kind, u8 phase, u8 rc kind, task file (feat, nsect, lbal, lbam, lbah:
 * current then previous; device, command, status, error), u8 ctl, bool irq, u8 pio mode, u8 DMA
 * mode, u8 multiple, bool write cache, u8 power, bool write, bool multiple command, u64 lba,
 * u64 sectors left, u32 block, u16 byte count limit, u32 chunk end, u32 split LBA, u32 split blocks
 * left (a PIO READ in pieces), u32 buffer length, u32 buffer
 * position, 12 bytes packet, u32 n + n bytes of buffer (the buffer length in a data phase, else 0),
 * then (CD-ROM) the target's payload (scsi.h). */
#include <errno.h>
#include <string.h>

#include "devices/ata/ata_int.h"
#include "vmm/state.h"

static bool data_phase(uint8_t ph) { return ph == PH_PIO_IN || ph == PH_PIO_OUT || ph == PH_PACKET; }

static void put_tf(struct state_writer *w, const struct ata_tf *tf)
{
	const uint8_t *r[5] = { tf->feat, tf->nsect, tf->lbal, tf->lbam, tf->lbah };
	for (int i = 0; i < 5; i++) {
		state_put_u8(w, r[i][0]);
		state_put_u8(w, r[i][1]);
	}
	state_put_u8(w, tf->device);
	state_put_u8(w, tf->command);
	state_put_u8(w, tf->status);
	state_put_u8(w, tf->error);
}

static void get_tf(struct state_reader *r, struct ata_tf *tf)
{
	uint8_t *g[5] = { tf->feat, tf->nsect, tf->lbal, tf->lbam, tf->lbah };
	for (int i = 0; i < 5; i++) {
		g[i][0] = state_get_u8(r);
		g[i][1] = state_get_u8(r);
	}
	tf->device = state_get_u8(r);
	tf->command = state_get_u8(r);
	tf->status = state_get_u8(r);
	tf->error = state_get_u8(r);
}

int ata_dev_state_save(const struct ata_dev *cd, struct state_writer *w)
{
	struct ata_dev *d = (struct ata_dev *)cd; /* the lock only */
	pthread_mutex_lock(&d->lock);
	if (d->phase == PH_IO || d->queued || d->rc_busy || d->busy) {
		pthread_mutex_unlock(&d->lock);
		return -EBUSY;
	}
	state_put_u8(w, (uint8_t)d->kind);
	state_put_u8(w, d->phase);
	state_put_u8(w, d->rc_kind);
	put_tf(w, &d->tf);
	state_put_u8(w, d->ctl);
	state_put_u8(w, d->irq);
	state_put_u8(w, d->pio_mode);
	state_put_u8(w, d->dma_mode);
	state_put_u8(w, d->multi);
	state_put_u8(w, d->wce);
	state_put_u8(w, d->power);
	state_put_u8(w, d->rc_write);
	state_put_u8(w, d->rc_multi);
	state_put_u64(w, d->lba);
	state_put_u64(w, d->left);
	state_put_u32(w, d->block);
	state_put_u16(w, d->bcl);
	state_put_u32(w, d->chunk_end);
	state_put_u32(w, d->split_lba);
	state_put_u32(w, d->split_left);
	state_put_u32(w, d->buf_len);
	state_put_u32(w, d->buf_pos);
	state_put_bytes(w, d->packet, ATAPI_PACKET_LEN);
	uint32_t n = data_phase(d->phase) ? d->buf_len : 0;
	state_put_u32(w, n);
	state_put_bytes(w, d->buf, n);
	pthread_mutex_unlock(&d->lock);
	if (d->t)
		return scsi_target_state_save(d->t, w);
	return state_writer_err(w);
}

static bool dma_mode_ok(uint8_t m) { return !m || (m >= 0x20 && m <= 0x22) || (m >= 0x40 && m <= 0x45); }

/* the values a device of this kind could hold itself */
static bool valid(const struct ata_dev *d, const struct ata_dev *s, uint8_t kind)
{
	if (kind != d->kind || s->phase > PH_MAX || s->phase == PH_IO || s->rc_kind > RC_MAX || s->pio_mode > 4 ||
	    !dma_mode_ok(s->dma_mode) || s->multi > ATA_MAX_MULTI || (s->multi & (s->multi - 1)) ||
	    s->power > PWR_MAX || s->buf_len > d->buf_cap || s->buf_pos > s->buf_len || s->block > ATA_MAX_MULTI)
		return false;
	if (s->lba > d->nsectors || s->left > d->nsectors - s->lba || s->block > s->left + (s->left == 0))
		return false;
	if (s->phase == PH_PACKET && (d->kind != ATA_CDROM || s->buf_len != ATAPI_PACKET_LEN))
		return false;
	if ((s->phase == PH_PIO_IN || s->phase == PH_PIO_OUT) && s->rc_kind == RC_PACKET &&
	    (d->kind != ATA_CDROM || s->chunk_end < s->buf_pos || s->chunk_end > s->buf_len))
		return false;
	if ((s->phase == PH_PIO_IN || s->phase == PH_PIO_OUT) && s->rc_kind == RC_BLOCK &&
	    (d->kind != ATA_DISK || !s->left || s->buf_len != s->block * ATA_SECTOR))
		return false;
	if (s->phase == PH_PIO_IN && s->rc_kind == RC_DATA && s->buf_len != 512)
		return false;
	if (data_phase(s->phase) && s->rc_kind == RC_CMD)
		return false;
	if (s->split_left && (s->phase != PH_PIO_IN || s->rc_kind != RC_PACKET ||
			      (uint64_t)s->split_lba + s->split_left > UINT32_MAX))
		return false;
	return true;
}

int ata_dev_state_load(struct ata_dev *d, struct state_reader *r, uint32_t version)
{
	if (version != 1)
		return -EINVAL;
	struct ata_dev s = { 0 };
	uint8_t kind = state_get_u8(r);
	s.phase = state_get_u8(r);
	s.rc_kind = state_get_u8(r);
	get_tf(r, &s.tf);
	s.ctl = state_get_u8(r);
	s.irq = state_get_bool(r);
	s.pio_mode = state_get_u8(r);
	s.dma_mode = state_get_u8(r);
	s.multi = state_get_u8(r);
	s.wce = state_get_bool(r);
	s.power = state_get_u8(r);
	s.rc_write = state_get_bool(r);
	s.rc_multi = state_get_bool(r);
	s.lba = state_get_u64(r);
	s.left = state_get_u64(r);
	s.block = state_get_u32(r);
	s.bcl = state_get_u16(r);
	s.chunk_end = state_get_u32(r);
	s.split_lba = state_get_u32(r);
	s.split_left = state_get_u32(r);
	s.buf_len = state_get_u32(r);
	s.buf_pos = state_get_u32(r);
	state_get_bytes(r, s.packet, ATAPI_PACKET_LEN);
	uint32_t n = state_get_u32(r);
	if (r->err)
		return r->err;
	if (!valid(d, &s, kind) || n != (data_phase(s.phase) ? s.buf_len : 0))
		return -EINVAL;
	const void *bytes = state_get_ptr(r, n);
	if (r->err)
		return r->err;
	int e = d->t ? scsi_target_state_load(d->t, r, 1) : state_reader_done(r);
	if (e)
		return e;
	pthread_mutex_lock(&d->lock);
	if (d->busy || d->rc_busy) {
		pthread_mutex_unlock(&d->lock);
		return -EBUSY;
	}
	d->phase = s.phase;
	d->rc_kind = s.rc_kind;
	d->tf = s.tf;
	d->ctl = s.ctl;
	d->irq = s.irq;
	d->pio_mode = s.pio_mode;
	d->dma_mode = s.dma_mode;
	d->multi = s.multi;
	d->wce = s.wce;
	d->power = s.power;
	d->rc_write = s.rc_write;
	d->rc_multi = s.rc_multi;
	d->lba = s.lba;
	d->left = s.left;
	d->block = s.block;
	d->bcl = s.bcl;
	d->chunk_end = s.chunk_end;
	d->split_lba = s.split_lba;
	d->split_left = s.split_left;
	d->buf_len = s.buf_len;
	d->buf_pos = s.buf_pos;
	memcpy(d->packet, s.packet, ATAPI_PACKET_LEN);
	if (n)
		memcpy(d->buf, bytes, n);
	d->queued = false;
	bool level = d->irq && !(d->ctl & ATA_CTL_NIEN);
	d->irq_line = level;
	pthread_mutex_unlock(&d->lock);
	if (d->hooks && d->hooks->irq) /* a load re-drives the line */
		d->hooks->irq(d->opaque, level);
	return 0;
}

static int save_op(const void *obj, struct state_writer *w) { return ata_dev_state_save(obj, w); }
static int load_op(void *obj, struct state_reader *r, uint32_t v) { return ata_dev_state_load(obj, r, v); }

const struct state_ops ata_dev_state_ops = {
	.id = "ata-dev", .version = 1, .min_version = 1, .save = save_op, .load = load_op,
};
