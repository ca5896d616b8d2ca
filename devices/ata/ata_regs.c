// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATA core's task-file register interface, for IDE's PIO path: command block and control
 * register reads and writes, the data port in batches, the DRQ data phases (per sector or per
 * multiple block, ATAPI packets and byte-count-limited chunks) and the DMA hand-off to the bus
 * master. Register calls come on a vCPU thread and never do I/O: what needs the disk or the SCSI
 * target goes into d->rc, hooks->kick wakes the controller's I/O thread, ata_poll submits it. */
#include <errno.h>
#include <string.h>

#include "devices/ata/ata_int.h"

/* INTRQ follows irq unless nIEN. The hooks run under the lock, so the line changes in the order
 * the state did even when a vCPU and the I/O thread race; they must not call back into the core. */
static void unlock_notify(struct ata_dev *d, bool kick)
{
	bool level = d->irq && !(d->ctl & ATA_CTL_NIEN);
	if (level != d->irq_line && d->hooks && d->hooks->irq)
		d->hooks->irq(d->opaque, level);
	d->irq_line = level;
	if (kick && d->hooks && d->hooks->kick)
		d->hooks->kick(d->opaque);
	pthread_mutex_unlock(&d->lock);
}

static void abort_now(struct ata_dev *d, uint8_t err)
{
	ata_result_abort(&d->tf, d, err);
	d->phase = PH_IDLE;
	d->irq = true;
}

/* BSY until ata_poll runs rc */
static bool queue(struct ata_dev *d, enum ata_rc_kind k)
{
	d->rc_kind = (uint8_t)k;
	d->queued = true;
	d->phase = PH_IO;
	d->tf.status = ATA_ST_BSY;
	return !d->rc_busy; /* else the stale completion kicks */
}

static void data_phase(struct ata_dev *d, enum ata_phase ph, uint32_t len)
{
	d->phase = ph;
	d->buf_len = len;
	d->buf_pos = 0;
	d->tf.status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	d->tf.error = 0;
}

static uint32_t block_of(const struct ata_dev *d)
{
	uint64_t per = d->rc_multi ? d->multi : 1;
	return (uint32_t)(d->left < per ? d->left : per);
}

/* a command written to the command register; returns whether rc needs ata_poll */
static bool start_cmd(struct ata_dev *d)
{
	struct ata_tf *tf = &d->tf;
	enum ata_proto p = ata_proto_of(d, tf);
	d->split_left = 0; /* a new command ends what the last one left */
	if (p == ATA_PROTO_NONE || p == ATA_PROTO_NCQ || (d->power == PWR_SLEEP && tf->command != ATA_CMD_DEVICE_RESET)) {
		abort_now(d, ATA_ER_ABRT);
		return false;
	}
	uint64_t lba = 0, n = 0;
	int e = ata_rw_decode(d, tf, &lba, &n);
	if (e == -ERANGE || (ata_is_multi(tf->command) && !d->multi)) {
		abort_now(d, e == -ERANGE ? ATA_ER_IDNF : ATA_ER_ABRT);
		return false;
	}
	d->rc_write = ata_is_write(tf->command);
	d->rc_multi = ata_is_multi(tf->command);
	d->lba = lba;
	d->left = n;
	d->block = block_of(d);
	switch (p) {
	case ATA_PROTO_PIO_IN:
		if (tf->command == ATA_CMD_IDENTIFY || tf->command == ATA_CMD_IDENTIFY_PACKET) {
			ata_identify_locked(d, d->buf);
			d->rc_kind = RC_DATA;
			d->left = 0;
			data_phase(d, PH_PIO_IN, 512);
			d->irq = true;
			return false;
		}
		return queue(d, RC_BLOCK);
	case ATA_PROTO_PIO_OUT:
		d->rc_kind = RC_BLOCK;
		data_phase(d, PH_PIO_OUT, d->block * ATA_SECTOR); /* no interrupt before the first block */
		return false;
	case ATA_PROTO_DMA:
		d->phase = PH_DMA_WAIT;
		d->tf.status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
		return false;
	case ATA_PROTO_PACKET_PIO:
	case ATA_PROTO_PACKET_DMA:
		d->bcl = (uint16_t)(tf->lbah[0] << 8 | tf->lbam[0]);
		d->rc_kind = RC_PACKET;
		data_phase(d, PH_PACKET, ATAPI_PACKET_LEN);
		tf->nsect[0] = ATAPI_IR_COD; /* interrupt reason: C/D, to the device */
		return false;
	default:
		return queue(d, RC_CMD);
	}
}

static void finish_ok(struct ata_dev *d, bool irq)
{
	ata_result_ok(&d->tf);
	d->phase = PH_IDLE;
	if (irq)
		d->irq = true;
}

/* the next byte-count-limited chunk of a PIO packet's data-in */
static void packet_chunk(struct ata_dev *d)
{
	uint32_t bcl = d->bcl ? d->bcl : 0xfffe;
	uint32_t left = d->buf_len - d->buf_pos;
	if (left > bcl)
		left = bcl & ~1u; /* only the last chunk may be odd */
	d->chunk_end = d->buf_pos + left;
	d->tf.lbam[0] = (uint8_t)left;
	d->tf.lbah[0] = (uint8_t)(left >> 8);
	d->tf.nsect[0] = ATAPI_IR_IO; /* I/O: to the host */
	d->tf.status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	d->phase = PH_PIO_IN;
	d->irq = true;
}

/* the next byte-count-limited chunk of a PIO packet's data-out (MODE SELECT's parameters) */
static void packet_out_chunk(struct ata_dev *d)
{
	uint32_t bcl = d->bcl ? d->bcl : 0xfffe;
	uint32_t left = d->buf_len - d->buf_pos;
	if (left > bcl)
		left = bcl & ~1u;
	d->chunk_end = d->buf_pos + left;
	d->tf.lbam[0] = (uint8_t)left;
	d->tf.lbah[0] = (uint8_t)(left >> 8);
	d->tf.nsect[0] = 0; /* neither C/D nor I/O: data to the device */
	d->tf.status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
	d->phase = PH_PIO_OUT;
	d->irq = true;
}

static void rc_done(struct ata_cmd *c)
{
	struct ata_dev *d = c->dev;
	pthread_mutex_lock(&d->lock);
	d->rc_busy = false;
	if (d->rc_stale) {
		d->rc_stale = false;
		unlock_notify(d, d->queued);
		return;
	}
	bool err = c->tf.status & ATA_ST_ERR;
	if (err)
		d->split_left = 0;
	if (d->rc_kind == RC_CMD || err) {
		if (d->rc_kind == RC_BLOCK) { /* the block's own registers stay the guest's */
			d->tf.status = c->tf.status;
			d->tf.error = c->tf.error;
		} else {
			d->tf = c->tf;
		}
		d->phase = PH_IDLE;
		d->irq = true;
	} else if (d->rc_kind == RC_PACKET) {
		if (!c->write && c->xfer) {
			d->buf_len = (uint32_t)c->xfer;
			d->buf_pos = 0;
			packet_chunk(d);
		} else {
			finish_ok(d, true);
			d->tf.nsect[0] = ATAPI_IR_IO | ATAPI_IR_COD;
		}
	} else if (!d->rc_write) { /* a block read: the guest takes it */
		data_phase(d, PH_PIO_IN, d->block * ATA_SECTOR);
		d->irq = true;
	} else { /* a block written */
		d->lba += d->block;
		d->left -= d->block;
		d->block = block_of(d);
		if (d->left) {
			data_phase(d, PH_PIO_OUT, d->block * ATA_SECTOR);
			d->irq = true;
		} else {
			finish_ok(d, true);
		}
	}
	unlock_notify(d, false);
}

void ata_poll(struct ata_dev *d, struct disk_aio *q)
{
	pthread_mutex_lock(&d->lock);
	if (!d->queued || d->rc_busy) {
		pthread_mutex_unlock(&d->lock);
		return;
	}
	d->queued = false;
	d->rc_busy = true;
	struct ata_cmd *c = &d->rc;
	memset(&c->tf, 0, sizeof(c->tf));
	c->iov = NULL;
	c->niov = 0;
	c->write = false;
	if (d->rc_kind == RC_BLOCK) { /* one DRQ block as READ/WRITE SECTORS EXT */
		c->tf.command = d->rc_write ? ATA_CMD_WRITE_EXT : ATA_CMD_READ_EXT;
		for (int i = 0; i < 6; i++) {
			uint8_t b = (uint8_t)(d->lba >> (8 * i));
			uint8_t *r[3] = { c->tf.lbal, c->tf.lbam, c->tf.lbah };
			r[i % 3][i / 3] = b;
		}
		c->tf.nsect[0] = (uint8_t)d->block;
		d->biov = (struct iovec){ d->buf, d->block * ATA_SECTOR };
		c->iov = &d->biov;
		c->niov = 1;
	} else if (d->rc_kind == RC_PACKET) {
		c->tf = d->tf;
		memcpy(c->packet, d->packet, ATAPI_PACKET_LEN);
		c->write = atapi_data_out(d->packet[0]);
		/* a data-out packet carries what its PIO data phase took (rc_write), else nothing */
		d->biov = (struct iovec){ d->buf, c->write ? (d->rc_write ? d->buf_len : 0) : atapi_pio_len(d->packet) };
		if (d->split_left) { /* the next piece as a READ(10) */
			uint32_t n = d->split_left < ATAPI_PIO_BLOCKS ? d->split_left : ATAPI_PIO_BLOCKS;
			uint8_t p[ATAPI_PACKET_LEN] = { 0x28, 0, (uint8_t)(d->split_lba >> 24), (uint8_t)(d->split_lba >> 16),
							(uint8_t)(d->split_lba >> 8), (uint8_t)d->split_lba, 0,
							(uint8_t)(n >> 8), (uint8_t)n };
			memcpy(c->packet, p, sizeof(p));
			d->split_lba += n;
			d->split_left -= n;
			d->biov.iov_len = n * 2048;
		}
		c->iov = &d->biov;
		c->niov = 1;
	} else {
		c->tf = d->tf;
	}
	c->done = rc_done;
	pthread_mutex_unlock(&d->lock);
	ata_submit(d, q, c);
}

void ata_reg_write(struct ata_dev *d, enum ata_reg reg, uint8_t v)
{
	pthread_mutex_lock(&d->lock);
	struct ata_tf *tf = &d->tf;
	bool kick = false;
	d->ctl &= (uint8_t)~ATA_CTL_HOB;
	if (reg == ATA_R_CMD && v == ATA_CMD_DEVICE_RESET && d->kind == ATA_CDROM) {
		/* DEVICE RESET needs no I/O and is taken even while BSY: a hung packet command's way out */
		uint8_t dev = tf->device;
		ata_reset_locked(d, false); /* marks a command in flight stale */
		tf->device = dev & ATA_DEV_DEV;
		tf->error = 0x01;
		unlock_notify(d, false);
		scsi_target_reset(d->t);
		return;
	}
	if (d->phase == PH_IO) { /* BSY: the device takes no other writes */
		unlock_notify(d, false);
		return;
	}
	uint8_t *r = reg == ATA_R_FEAT ? tf->feat : reg == ATA_R_NSECT ? tf->nsect : reg == ATA_R_LBAL ? tf->lbal
		   : reg == ATA_R_LBAM ? tf->lbam : reg == ATA_R_LBAH ? tf->lbah : NULL;
	if (r) {
		r[1] = r[0];
		r[0] = v;
	} else if (reg == ATA_R_DEVICE) {
		tf->device = v;
	} else if (reg == ATA_R_CMD) {
		tf->command = v;
		d->irq = false;
		kick = start_cmd(d);
	}
	unlock_notify(d, kick);
}

uint8_t ata_reg_read(struct ata_dev *d, enum ata_reg reg)
{
	pthread_mutex_lock(&d->lock);
	struct ata_tf *tf = &d->tf;
	int h = d->ctl & ATA_CTL_HOB ? 1 : 0;
	uint8_t v = 0;
	switch (reg) {
	case ATA_R_FEAT: v = tf->error; break;
	case ATA_R_NSECT: v = tf->nsect[h]; break;
	case ATA_R_LBAL: v = tf->lbal[h]; break;
	case ATA_R_LBAM: v = tf->lbam[h]; break;
	case ATA_R_LBAH: v = tf->lbah[h]; break;
	case ATA_R_DEVICE: v = tf->device; break;
	case ATA_R_CMD:
		v = tf->status;
		d->irq = false;
		break;
	default: break;
	}
	unlock_notify(d, false);
	return v;
}

uint8_t ata_altstatus(struct ata_dev *d)
{
	pthread_mutex_lock(&d->lock);
	uint8_t v = d->tf.status;
	pthread_mutex_unlock(&d->lock);
	return v;
}

bool ata_irq_pending(struct ata_dev *d)
{
	pthread_mutex_lock(&d->lock);
	bool v = d->irq;
	pthread_mutex_unlock(&d->lock);
	return v;
}

void ata_ctl_write(struct ata_dev *d, uint8_t v)
{
	pthread_mutex_lock(&d->lock);
	uint8_t old = d->ctl;
	d->ctl = v;
	if (v & ATA_CTL_SRST) {
		d->tf.status = ATA_ST_BSY; /* held in reset */
	} else if (old & ATA_CTL_SRST) {
		ata_reset_locked(d, false);
		d->ctl = v;
	}
	unlock_notify(d, false);
	if ((old & ATA_CTL_SRST) && !(v & ATA_CTL_SRST) && d->t)
		scsi_target_reset(d->t);
}

/* the end of what the guest read: next chunk, next block, or the command's end */
static bool in_drained(struct ata_dev *d)
{
	if (d->rc_kind == RC_PACKET) {
		if (d->buf_pos < d->buf_len) {
			packet_chunk(d);
		} else if (d->split_left) {
			return queue(d, RC_PACKET);
		} else {
			finish_ok(d, true);
			d->tf.nsect[0] = ATAPI_IR_IO | ATAPI_IR_COD;
		}
		return false;
	}
	if (d->rc_kind == RC_DATA) {
		finish_ok(d, false);
		return false;
	}
	d->lba += d->block;
	d->left -= d->block;
	d->block = block_of(d);
	if (d->left)
		return queue(d, RC_BLOCK);
	finish_ok(d, false);
	return false;
}

size_t ata_pio_in(struct ata_dev *d, void *buf, size_t len)
{
	pthread_mutex_lock(&d->lock);
	bool kick = false;
	size_t n = 0;
	if (d->phase == PH_PIO_IN) {
		uint32_t end = d->rc_kind == RC_PACKET ? d->chunk_end : d->buf_len;
		n = end - d->buf_pos < len ? end - d->buf_pos : len;
		memcpy(buf, d->buf + d->buf_pos, n);
		d->buf_pos += (uint32_t)n;
		if (d->buf_pos == end)
			kick = in_drained(d);
	}
	unlock_notify(d, kick);
	return n;
}

size_t ata_pio_out(struct ata_dev *d, const void *buf, size_t len)
{
	pthread_mutex_lock(&d->lock);
	bool kick = false;
	size_t n = 0;
	if (d->phase == PH_PIO_OUT || d->phase == PH_PACKET) {
		uint32_t end = d->phase == PH_PIO_OUT && d->rc_kind == RC_PACKET ? d->chunk_end : d->buf_len;
		n = end - d->buf_pos < len ? end - d->buf_pos : len;
		memcpy(d->buf + d->buf_pos, buf, n);
		d->buf_pos += (uint32_t)n;
		if (d->phase == PH_PIO_OUT && d->rc_kind == RC_PACKET) { /* a packet's data-out chunk */
			if (d->buf_pos == d->buf_len)
				kick = queue(d, RC_PACKET);
			else if (d->buf_pos == d->chunk_end)
				packet_out_chunk(d);
		} else if (d->buf_pos < d->buf_len) {
			/* more to come */
		} else if (d->phase == PH_PIO_OUT) {
			kick = queue(d, RC_BLOCK);
		} else {
			memcpy(d->packet, d->buf, ATAPI_PACKET_LEN);
			uint32_t lba, n;
			if (!(d->tf.feat[0] & 1) && atapi_read_range(d->packet, &lba, &n) && n > ATAPI_PIO_BLOCKS &&
			    lba + (uint64_t)n <= UINT32_MAX) { /* past the medium's end: the first piece fails */
				d->split_lba = lba;
				d->split_left = n;
			}
			uint32_t out = d->tf.feat[0] & 1 ? 0 : atapi_out_len(d->packet);
			d->rc_write = out > 0;
			if (d->tf.feat[0] & 1) {
				d->phase = PH_DMA_WAIT;
				d->tf.status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ;
			} else if (out) { /* its data first, in chunks of the byte count limit */
				d->buf_len = out < d->buf_cap ? out : (uint32_t)d->buf_cap;
				d->buf_pos = 0;
				packet_out_chunk(d);
			} else {
				kick = queue(d, RC_PACKET);
			}
		}
	}
	unlock_notify(d, kick);
	return n;
}

bool ata_dma_pending(struct ata_dev *d, bool *write)
{
	pthread_mutex_lock(&d->lock);
	bool p = d->phase == PH_DMA_WAIT;
	if (write)
		*write = d->kind == ATA_CDROM ? atapi_data_out(d->packet[0])
			 : d->tf.command == ATA_CMD_DSM || ata_is_write(d->tf.command);
	pthread_mutex_unlock(&d->lock);
	return p;
}

static void dma_done(struct ata_cmd *c)
{
	struct ata_dev *d = c->dev;
	pthread_mutex_lock(&d->lock);
	d->rc_busy = false;
	bool stale = d->rc_stale;
	if (stale) {
		d->rc_stale = false;
	} else {
		d->tf = c->tf;
		d->phase = PH_IDLE;
		d->irq = true;
	}
	unlock_notify(d, stale && d->queued);
	if (d->hooks && d->hooks->dma_done)
		d->hooks->dma_done(d->opaque, stale ? -ECANCELED : (c->tf.status & ATA_ST_ERR) ? -EIO : 0, c->xfer);
}

void ata_dma_start(struct ata_dev *d, struct disk_aio *q, const struct iovec *iov, int niov)
{
	pthread_mutex_lock(&d->lock);
	if (d->phase != PH_DMA_WAIT || d->rc_busy) {
		pthread_mutex_unlock(&d->lock);
		if (d->hooks && d->hooks->dma_done)
			d->hooks->dma_done(d->opaque, -EINVAL, 0);
		return;
	}
	struct ata_cmd *c = &d->rc;
	c->tf = d->tf;
	memcpy(c->packet, d->packet, ATAPI_PACKET_LEN);
	c->write = d->kind == ATA_CDROM ? atapi_data_out(d->packet[0]) : false;
	c->iov = iov;
	c->niov = niov;
	c->done = dma_done;
	d->phase = PH_IO;
	d->tf.status = ATA_ST_BSY;
	d->rc_busy = true;
	pthread_mutex_unlock(&d->lock);
	ata_submit(d, q, c);
}
