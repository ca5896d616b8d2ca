// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATA core's command engine: ata_submit() decodes a task file, checks it (opcode for this
 * device kind, LBA28/LBA48/CHS range, count, buffer size) and runs it on the disk layer through
 * the caller's disk_aio, or hands an ATAPI packet to the CD-ROM's SCSI target. AHCI calls it for
 * every command, the IDE register path for each PIO block, non-data command and DMA transfer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ata/ata_int.h"
#include "devices/iov.h"
#include "vmm/le.h"

#define F_LBA48 0x01
#define F_WRITE 0x02
#define F_MULTI 0x04
#define F_DMA 0x08
#define F_VERIFY 0x10

static const struct {
	uint8_t op, f;
} rw_ops[] = {
	{ 0x20, 0 }, { 0x21, 0 }, { 0x24, F_LBA48 }, { 0x30, F_WRITE }, { 0x31, F_WRITE },
	{ 0x34, F_WRITE | F_LBA48 }, { 0xc4, F_MULTI }, { 0x29, F_MULTI | F_LBA48 }, { 0xc5, F_MULTI | F_WRITE },
	{ 0x39, F_MULTI | F_WRITE | F_LBA48 }, { 0xc8, F_DMA }, { 0xc9, F_DMA }, { 0x25, F_DMA | F_LBA48 },
	{ 0xca, F_DMA | F_WRITE }, { 0xcb, F_DMA | F_WRITE }, { 0x35, F_DMA | F_WRITE | F_LBA48 },
	{ 0x40, F_VERIFY }, { 0x41, F_VERIFY }, { 0x42, F_VERIFY | F_LBA48 },
};

static int rw_flags(uint8_t op)
{
	for (size_t i = 0; i < sizeof(rw_ops) / sizeof(rw_ops[0]); i++)
		if (rw_ops[i].op == op)
			return rw_ops[i].f;
	return -1;
}

bool ata_is_multi(uint8_t op) { return rw_flags(op) > 0 && (rw_flags(op) & F_MULTI); }
bool ata_is_write(uint8_t op) { return rw_flags(op) > 0 && (rw_flags(op) & F_WRITE); }

/* sectors [*lba, *lba + *nsect) of a read/write/verify: 0, -ERANGE past the end (or a CHS
 * address that does not exist), -EINVAL not such a command */
int ata_rw_decode(const struct ata_dev *d, const struct ata_tf *tf, uint64_t *lba, uint64_t *nsect)
{
	int f = rw_flags(tf->command);
	if (f < 0)
		return -EINVAL;
	if (f & F_LBA48) {
		*lba = (uint64_t)tf->lbah[1] << 40 | (uint64_t)tf->lbam[1] << 32 | (uint64_t)tf->lbal[1] << 24 |
		       (uint64_t)tf->lbah[0] << 16 | (uint64_t)tf->lbam[0] << 8 | tf->lbal[0];
		*nsect = (uint64_t)tf->nsect[1] << 8 | tf->nsect[0];
		if (!*nsect)
			*nsect = 65536;
	} else {
		if (tf->device & ATA_DEV_LBA) {
			*lba = (uint64_t)(tf->device & 0xf) << 24 | (uint64_t)tf->lbah[0] << 16 |
			       (uint64_t)tf->lbam[0] << 8 | tf->lbal[0];
		} else { /* CHS on the 16-head, 63-sector geometry of IDENTIFY words 1-6 */
			unsigned cyl = (unsigned)tf->lbah[0] << 8 | tf->lbam[0], head = tf->device & 0xf;
			unsigned sec = tf->lbal[0];
			if (sec < 1 || sec > 63)
				return -ERANGE;
			*lba = ((uint64_t)cyl * 16 + head) * 63 + sec - 1;
		}
		*nsect = tf->nsect[0] ? tf->nsect[0] : 256;
	}
	if (*lba >= d->nsectors || *nsect > d->nsectors - *lba)
		return -ERANGE;
	return 0;
}

int ata_ncq_decode(const struct ata_tf *tf, struct ata_ncq *out)
{
	if (tf->command != ATA_CMD_READ_FPDMA && tf->command != ATA_CMD_WRITE_FPDMA)
		return -EINVAL;
	out->write = tf->command == ATA_CMD_WRITE_FPDMA;
	out->tag = tf->nsect[0] >> 3;
	out->fua = tf->device & 0x80;
	out->nsect = (uint32_t)tf->feat[1] << 8 | tf->feat[0];
	if (!out->nsect)
		out->nsect = 65536;
	out->lba = (uint64_t)tf->lbah[1] << 40 | (uint64_t)tf->lbam[1] << 32 | (uint64_t)tf->lbal[1] << 24 |
		   (uint64_t)tf->lbah[0] << 16 | (uint64_t)tf->lbam[0] << 8 | tf->lbal[0];
	return 0;
}

enum ata_proto ata_proto_of(const struct ata_dev *d, const struct ata_tf *tf)
{
	uint8_t op = tf->command;
	switch (op) {
	case ATA_CMD_CHECK_POWER: case ATA_CMD_STANDBY_NOW: case ATA_CMD_IDLE_NOW: case ATA_CMD_SLEEP:
	case ATA_CMD_SET_FEATURES: case ATA_CMD_DIAGNOSTIC:
		return ATA_PROTO_NODATA; /* both kinds */
	default:
		break;
	}
	if (d->kind == ATA_CDROM) {
		if (op == ATA_CMD_IDENTIFY_PACKET)
			return ATA_PROTO_PIO_IN;
		if (op == ATA_CMD_PACKET)
			return tf->feat[0] & 1 ? ATA_PROTO_PACKET_DMA : ATA_PROTO_PACKET_PIO;
		if (op == ATA_CMD_DEVICE_RESET)
			return ATA_PROTO_NODATA;
		return ATA_PROTO_NONE;
	}
	int f = rw_flags(op);
	if (f >= 0)
		return f & F_VERIFY ? ATA_PROTO_NODATA : f & F_DMA ? ATA_PROTO_DMA
		       : f & F_WRITE ? ATA_PROTO_PIO_OUT : ATA_PROTO_PIO_IN;
	switch (op) {
	case ATA_CMD_IDENTIFY:
		return ATA_PROTO_PIO_IN;
	case ATA_CMD_FLUSH: case ATA_CMD_FLUSH_EXT: case ATA_CMD_SET_MULTIPLE:
	case ATA_CMD_STANDBY: case ATA_CMD_IDLE:
		return ATA_PROTO_NODATA;
	case ATA_CMD_DSM:
		return d->discard ? ATA_PROTO_DMA : ATA_PROTO_NONE;
	case ATA_CMD_READ_FPDMA: case ATA_CMD_WRITE_FPDMA:
		return d->sata ? ATA_PROTO_NCQ : ATA_PROTO_NONE;
	default:
		return ATA_PROTO_NONE;
	}
}

void ata_result_ok(struct ata_tf *tf)
{
	tf->status = ATA_ST_DRDY | ATA_ST_DSC;
	tf->error = 0;
}

void ata_result_abort(struct ata_tf *tf, const struct ata_dev *d, uint8_t err)
{
	tf->status = ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_ERR;
	tf->error = err;
	if (d->kind == ATA_CDROM && tf->command != ATA_CMD_PACKET) { /* the packet signature (ACS-3 7.12) */
		tf->nsect[0] = 1;
		tf->lbal[0] = 1;
		tf->lbam[0] = 0x14;
		tf->lbah[0] = 0xeb;
	}
}

static void complete(struct ata_cmd *c)
{
	struct ata_dev *d = c->dev;
	free(c->siov);
	c->siov = NULL;
	free(c->dsm);
	c->dsm = NULL;
	pthread_mutex_lock(&d->lock);
	d->busy--;
	pthread_mutex_unlock(&d->lock);
	c->done(c);
}

static void fail(struct ata_cmd *c, uint8_t err)
{
	ata_result_abort(&c->tf, c->dev, err);
	complete(c);
}

static void ok(struct ata_cmd *c)
{
	ata_result_ok(&c->tf);
	complete(c);
}

static void rw_done(struct disk_req *r, int ret)
{
	struct ata_cmd *c = r->opaque;
	if (ret) {
		fail(c, r->op == DISK_OP_READ ? ATA_ER_UNC : ATA_ER_ABRT);
		return;
	}
	if (r->op != DISK_OP_FLUSH)
		c->xfer = r->len;
	if (c->flush_after) {
		c->flush_after = false;
		memset(&c->dr, 0, sizeof(c->dr));
		c->dr = (struct disk_req){ .op = DISK_OP_FLUSH, .done = rw_done, .opaque = c };
		disk_aio_submit(c->q, c->dev->disk, &c->dr);
		return;
	}
	ok(c);
}

/* reads or writes sectors [lba, lba + nsect) between the disk and c->iov (checked by the caller) */
void ata_rw_start(struct ata_cmd *c, uint64_t lba, uint64_t nsect, bool write)
{
	size_t len = nsect * ATA_SECTOR;
	const struct iovec *v = c->iov;
	int n = c->niov;
	if (iov_size(c->iov, c->niov) != len) {
		struct iovec *s = c->inl;
		if (c->niov > (int)(sizeof(c->inl) / sizeof(c->inl[0])) &&
		    !(s = c->siov = malloc(sizeof(*s) * (size_t)c->niov))) {
			fail(c, ATA_ER_ABRT);
			return;
		}
		n = iov_slice(c->iov, c->niov, 0, len, s);
		v = s;
	}
	c->lba = lba;
	c->nsect = nsect;
	c->dr = (struct disk_req){ .op = write ? DISK_OP_WRITE : DISK_OP_READ, .off = lba * ATA_SECTOR, .iov = v,
				   .niov = n, .len = len, .done = rw_done, .opaque = c };
	disk_aio_submit(c->q, c->dev->disk, &c->dr);
}

static void dsm_next(struct disk_req *r, int ret);

/* DATA SET MANAGEMENT / TRIM: the range list (8-byte entries: LBA 47-0, count 63-48) one entry
 * at a time; an entry past the end aborts the rest */
static void dsm_step(struct ata_cmd *c)
{
	struct ata_dev *d = c->dev;
	while (c->step < c->dsm_len / 8) {
		uint64_t e = le_get64(c->dsm, 8 * (size_t)c->step++);
		uint64_t lba = e & 0xffffffffffffULL, n = e >> 48;
		if (!n)
			continue;
		if (lba >= d->nsectors || n > d->nsectors - lba) {
			fail(c, ATA_ER_ABRT);
			return;
		}
		c->dr = (struct disk_req){ .op = DISK_OP_DISCARD, .off = lba * ATA_SECTOR, .len = n * ATA_SECTOR,
					   .done = dsm_next, .opaque = c };
		disk_aio_submit(c->q, d->disk, &c->dr);
		return;
	}
	c->xfer = c->dsm_len;
	ok(c);
}

static void dsm_next(struct disk_req *r, int ret)
{
	struct ata_cmd *c = r->opaque;
	if (ret) {
		fail(c, ATA_ER_ABRT);
		return;
	}
	dsm_step(c);
}

static void dsm_start(struct ata_cmd *c)
{
	uint32_t blocks = (uint32_t)c->tf.nsect[1] << 8 | c->tf.nsect[0];
	size_t len = (size_t)blocks * ATA_SECTOR;
	if (!(c->tf.feat[0] & 1) || !blocks || blocks > ATA_DSM_MAX_BLOCKS || iov_size(c->iov, c->niov) < len ||
	    !(c->dsm = malloc(len))) {
		fail(c, ATA_ER_ABRT);
		return;
	}
	iov_to_buf(c->iov, c->niov, 0, c->dsm, len);
	c->dsm_len = len;
	c->step = 0;
	dsm_step(c);
}

static void packet_done(struct scsi_req *r)
{
	struct ata_cmd *c = r->opaque;
	c->xfer = r->data_in_xfer + r->data_out_xfer;
	if (r->response == SCSI_RESP_OVERRUN)
		ata_result_abort(&c->tf, c->dev, SCSI_SK_ILLEGAL_REQUEST << 4 | ATA_ER_ABRT);
	else if (r->status == SCSI_STATUS_CHECK_CONDITION)
		ata_result_abort(&c->tf, c->dev, (uint8_t)((r->sense[2] & 0xf) << 4 | ATA_ER_ABRT));
	else if (r->status != SCSI_STATUS_GOOD)
		ata_result_abort(&c->tf, c->dev, SCSI_SK_NOT_READY << 4 | ATA_ER_ABRT);
	else
		ata_result_ok(&c->tf);
	c->tf.nsect[0] = ATAPI_IR_IO | ATAPI_IR_COD; /* interrupt reason: I/O, C/D: the command is over */
	complete(c);
}

static void packet_start(struct ata_cmd *c)
{
	struct scsi_req *r = &c->sr;
	memset(r, 0, sizeof(*r));
	memcpy(r->cdb, c->packet, ATAPI_PACKET_LEN);
	r->cdb_len = ATAPI_PACKET_LEN;
	if (c->write) {
		r->dout = c->iov;
		r->ndout = c->niov;
	} else {
		r->din = c->iov;
		r->ndin = c->niov;
	}
	r->done = packet_done;
	r->opaque = c;
	scsi_submit(c->dev->t, c->q, r);
}

static bool xfer_mode_ok(uint8_t m)
{
	return m <= 0x01 || (m >= 0x08 && m <= 0x0c) || (m >= 0x20 && m <= 0x22) || (m >= 0x40 && m <= 0x45);
}

/* SET FEATURES, SET MULTIPLE, power and diagnostic commands: no data, no disk I/O; 0 or an error
 * register value to abort with */
static uint8_t settings(struct ata_dev *d, struct ata_tf *tf)
{
	uint8_t n = tf->nsect[0];
	switch (tf->command) {
	case ATA_CMD_SET_FEATURES:
		if (tf->feat[0] == ATA_SF_XFER_MODE && xfer_mode_ok(n)) {
			if (n < 0x20)
				d->pio_mode = n >= 0x08 ? n & 7 : 4;
			else
				d->dma_mode = n;
		} else if ((tf->feat[0] == ATA_SF_WCACHE_ON || tf->feat[0] == ATA_SF_WCACHE_OFF) && d->kind == ATA_DISK) {
			d->wce = tf->feat[0] == ATA_SF_WCACHE_ON;
		} else {
			return ATA_ER_ABRT;
		}
		return 0;
	case ATA_CMD_SET_MULTIPLE: /* SET MULTIPLE MODE: 0 disables, else a power of two up to word 47 */
		if (n > ATA_MAX_MULTI || (n & (n - 1)))
			return ATA_ER_ABRT;
		d->multi = n;
		return 0;
	case ATA_CMD_CHECK_POWER:
		tf->nsect[0] = d->power == PWR_STANDBY ? 0x00 : d->power == PWR_IDLE ? 0x80 : 0xff;
		return 0;
	case ATA_CMD_IDLE: case ATA_CMD_IDLE_NOW:
		d->power = PWR_IDLE;
		return 0;
	case ATA_CMD_STANDBY: case ATA_CMD_STANDBY_NOW:
		d->power = PWR_STANDBY;
		return 0;
	case ATA_CMD_SLEEP:
		d->power = PWR_SLEEP;
		return 0;
	default:
		return ATA_ER_ABRT;
	}
}

/* EXECUTE DEVICE DIAGNOSTIC, DEVICE RESET: signature, error 01 (passed), ATAPI status 0 */
static void diag(struct ata_dev *d, struct ata_tf *tf)
{
	tf->nsect[0] = 1;
	tf->lbal[0] = 1;
	tf->lbam[0] = d->kind == ATA_CDROM ? 0x14 : 0;
	tf->lbah[0] = d->kind == ATA_CDROM ? 0xeb : 0;
	tf->device &= ATA_DEV_DEV;
	tf->status = d->kind == ATA_CDROM ? 0 : ATA_ST_DRDY | ATA_ST_DSC;
	tf->error = 0x01;
}

static void start_rw(struct ata_cmd *c)
{
	struct ata_dev *d = c->dev;
	uint64_t lba, n;
	int e = ata_rw_decode(d, &c->tf, &lba, &n);
	if (e) {
		fail(c, e == -ERANGE ? ATA_ER_IDNF : ATA_ER_ABRT);
		return;
	}
	bool multi = ata_is_multi(c->tf.command);
	pthread_mutex_lock(&d->lock);
	bool no_multi = multi && !d->multi;
	c->flush_after = ata_is_write(c->tf.command) && !d->wce;
	d->power = PWR_ACTIVE;
	pthread_mutex_unlock(&d->lock);
	if (no_multi) {
		fail(c, ATA_ER_ABRT);
		return;
	}
	if (rw_flags(c->tf.command) & F_VERIFY) {
		ok(c);
		return;
	}
	if (iov_size(c->iov, c->niov) < n * ATA_SECTOR) { /* the PRDT is short: nothing is moved */
		fail(c, ATA_ER_ABRT);
		return;
	}
	ata_rw_start(c, lba, n, ata_is_write(c->tf.command));
}

static void start_ncq(struct ata_cmd *c)
{
	struct ata_dev *d = c->dev;
	struct ata_ncq q;
	ata_ncq_decode(&c->tf, &q);
	c->tag = q.tag;
	if (q.lba >= d->nsectors || q.nsect > d->nsectors - q.lba) {
		fail(c, ATA_ER_IDNF);
		return;
	}
	if (iov_size(c->iov, c->niov) < (uint64_t)q.nsect * ATA_SECTOR) {
		fail(c, ATA_ER_ABRT);
		return;
	}
	pthread_mutex_lock(&d->lock);
	c->flush_after = q.write && (q.fua || !d->wce);
	d->power = PWR_ACTIVE;
	pthread_mutex_unlock(&d->lock);
	ata_rw_start(c, q.lba, q.nsect, q.write);
}

static void identify(struct ata_cmd *c)
{
	uint8_t id[512];
	if (iov_size(c->iov, c->niov) < sizeof(id)) {
		fail(c, ATA_ER_ABRT);
		return;
	}
	ata_identify(c->dev, id);
	iov_from_buf(c->iov, c->niov, 0, id, sizeof(id));
	c->xfer = sizeof(id);
	ok(c);
}

void ata_submit(struct ata_dev *d, struct disk_aio *q, struct ata_cmd *c)
{
	c->dev = d;
	c->q = q;
	c->xfer = 0;
	c->tag = 0;
	c->flush_after = false;
	c->siov = NULL;
	c->dsm = NULL;
	c->proto = ata_proto_of(d, &c->tf);
	pthread_mutex_lock(&d->lock);
	d->busy++;
	bool asleep = d->power == PWR_SLEEP;
	pthread_mutex_unlock(&d->lock);
	uint8_t op = c->tf.command;
	if (c->proto == ATA_PROTO_NONE || (asleep && op != ATA_CMD_DEVICE_RESET)) { /* only a reset wakes from SLEEP */
		fail(c, ATA_ER_ABRT);
		return;
	}
	switch (c->proto) {
	case ATA_PROTO_PACKET_PIO:
	case ATA_PROTO_PACKET_DMA:
		packet_start(c);
		return;
	case ATA_PROTO_NCQ:
		start_ncq(c);
		return;
	default:
		break;
	}
	if (op == ATA_CMD_IDENTIFY || op == ATA_CMD_IDENTIFY_PACKET) {
		identify(c);
	} else if (op == ATA_CMD_DSM) {
		dsm_start(c);
	} else if (rw_flags(op) >= 0) {
		start_rw(c);
	} else if (op == ATA_CMD_FLUSH || op == ATA_CMD_FLUSH_EXT) {
		c->dr = (struct disk_req){ .op = DISK_OP_FLUSH, .done = rw_done, .opaque = c };
		disk_aio_submit(q, d->disk, &c->dr);
	} else if (op == ATA_CMD_DIAGNOSTIC || op == ATA_CMD_DEVICE_RESET) {
		pthread_mutex_lock(&d->lock);
		d->power = PWR_ACTIVE;
		pthread_mutex_unlock(&d->lock);
		if (op == ATA_CMD_DEVICE_RESET && d->t)
			scsi_target_reset(d->t);
		diag(d, &c->tf);
		complete(c);
	} else {
		pthread_mutex_lock(&d->lock);
		uint8_t err = settings(d, &c->tf);
		pthread_mutex_unlock(&d->lock);
		if (err)
			fail(c, err);
		else
			ok(c);
	}
}

/* ---- ATAPI helpers for the PIO register path ---- */

/* CDBs that carry data to the device (a CD-ROM refuses them, but their direction is fixed) */
bool atapi_data_out(uint8_t op)
{
	switch (op) {
	case 0x0a: case 0x2a: case 0xaa: case 0x2e: case 0x15: case 0x55: case 0x3b:
		return true;
	default:
		return false;
	}
}

/* the bytes a data-out CDB carries (parameter list or blocks of 2048 bytes); 0 for others */
uint32_t atapi_out_len(const uint8_t *cdb)
{
	uint64_t n;
	switch (cdb[0]) {
	case 0x15: n = cdb[4]; break;                                                /* MODE SELECT(6) */
	case 0x55: n = (uint32_t)cdb[7] << 8 | cdb[8]; break;                        /* MODE SELECT(10) */
	case 0x3b: n = (uint32_t)cdb[6] << 16 | (uint32_t)cdb[7] << 8 | cdb[8]; break; /* WRITE BUFFER */
	case 0x0a: n = (cdb[4] ? cdb[4] : 256u) * 2048ull; break;                     /* WRITE(6) */
	case 0x2a: case 0x2e: n = ((uint32_t)cdb[7] << 8 | cdb[8]) * 2048ull; break;   /* WRITE(10), W&V */
	case 0xaa:
		n = ((uint32_t)cdb[6] << 24 | (uint32_t)cdb[7] << 16 | (uint32_t)cdb[8] << 8 | cdb[9]) * 2048ull;
		break;
	default: n = 0; break;
	}
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* READ(10) and READ(12): their block range (the PIO path splits large ones to fit its bounce) */
bool atapi_read_range(const uint8_t *cdb, uint32_t *lba, uint32_t *n)
{
	if (cdb[0] != 0x28 && cdb[0] != 0xa8)
		return false;
	*lba = (uint32_t)cdb[2] << 24 | (uint32_t)cdb[3] << 16 | (uint32_t)cdb[4] << 8 | cdb[5];
	*n = cdb[0] == 0x28 ? (uint32_t)(cdb[7] << 8 | cdb[8])
			    : (uint32_t)cdb[6] << 24 | (uint32_t)cdb[7] << 16 | (uint32_t)cdb[8] << 8 | cdb[9];
	return true;
}

/* the bounce a PIO data-in packet needs: READ(10/12) blocks of 2048 bytes, else the largest
 * allocation length (16 bits) */
uint64_t atapi_pio_len(const uint8_t *cdb)
{
	uint32_t lba, blocks;
	uint64_t n = atapi_read_range(cdb, &lba, &blocks) ? (uint64_t)blocks * 2048 : 65536;
	return n < ATAPI_PIO_BUF ? n : ATAPI_PIO_BUF;
}
