// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATA core's device: creation, reset and signature, and the IDENTIFY DEVICE / IDENTIFY PACKET
 * DEVICE data. Word layout per ATA8-ACS / ACS-3 7.12 and 7.13; the words Linux's libata reads are
 * all filled: 0 (ATA/ATAPI, device type, packet size), 47/59 (multiple), 49 (LBA, DMA, IORDY),
 * 53 (words 64-70 and 88 valid), 60-61 and 100-103 (LBA28 and LBA48 sizes), 63/64/88 (MWDMA, PIO,
 * UDMA supported and selected), 75/76 (SATA, NCQ), 80 (major version), 82-87 (feature sets:
 * write cache, flush, flush ext, LBA48), 93 (PATA cable), 105/169 (DSM TRIM), 106 (sector
 * size), 255 (checksum). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ata/ata_int.h"
#include "vmm/le.h"

/* ATA strings: space padded, two characters per word, the first in the high byte */
void ata_put_string(uint16_t *w, const char *s, unsigned nwords)
{
	size_t n = strlen(s);
	for (unsigned i = 0; i < nwords * 2; i++) {
		uint8_t c = i < n ? (uint8_t)s[i] : ' ';
		if (i % 2 == 0)
			w[i / 2] = (uint16_t)(c << 8);
		else
			w[i / 2] |= c;
	}
}

/* after reset or diagnostic: count 1, LBA 01, mid/high 00/00 (ATA) or 14/EB (packet device) */
void ata_set_signature(struct ata_dev *d)
{
	struct ata_tf *tf = &d->tf;
	for (int i = 0; i < 2; i++) {
		tf->nsect[i] = 1;
		tf->lbal[i] = 1;
		tf->lbam[i] = d->kind == ATA_CDROM ? 0x14 : 0;
		tf->lbah[i] = d->kind == ATA_CDROM ? 0xeb : 0;
	}
	tf->device &= ATA_DEV_DEV;
}

static void modes(const struct ata_dev *d, uint16_t *w)
{
	w[53] = 0x0006; /* words 64-70 and 88 valid */
	w[62] = 0;
	w[63] = 0x0007; /* MWDMA 0-2 */
	if ((d->dma_mode & 0xf8) == 0x20)
		w[63] |= (uint16_t)(0x100 << (d->dma_mode & 7));
	w[64] = 0x0003; /* PIO 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[88] = 0x003f; /* UDMA 0-5 */
	if ((d->dma_mode & 0xf8) == 0x40)
		w[88] |= (uint16_t)(0x100 << (d->dma_mode & 7));
	w[93] = d->sata ? 0 : 0x6001; /* PATA: master passed, 80-conductor cable (bit 13) */
	if (d->sata) {
		w[76] = (1u << 1) | (1u << 2); /* Gen1, Gen2 */
		if (d->kind == ATA_DISK) {
			w[75] = ATA_NCQ_DEPTH - 1;
			w[76] |= 1u << 8; /* NCQ */
		}
	}
}

static void identify_disk(const struct ata_dev *d, uint16_t *w)
{
	uint64_t n = d->nsectors;
	uint64_t cyl = n / (16 * 63);
	if (cyl > 16383)
		cyl = 16383;
	w[0] = 0x0040;
	w[1] = (uint16_t)cyl;
	w[3] = 16;
	w[6] = 63;
	w[47] = 0x8000 | ATA_MAX_MULTI;
	w[49] = (1u << 11) | (1u << 9) | (1u << 8); /* IORDY, LBA, DMA */
	w[50] = 0x4000;
	w[51] = w[52] = 0x0200;
	w[53] = 0x0001; /* words 54-58 valid */
	w[54] = (uint16_t)cyl;
	w[55] = 16;
	w[56] = 63;
	uint32_t chs = (uint32_t)(cyl * 16 * 63);
	w[57] = (uint16_t)chs;
	w[58] = (uint16_t)(chs >> 16);
	w[59] = d->multi ? (uint16_t)(0x100 | d->multi) : 0;
	uint32_t n28 = n > 0x0fffffff ? 0x0fffffff : (uint32_t)n;
	w[60] = (uint16_t)n28;
	w[61] = (uint16_t)(n28 >> 16);
	modes(d, w);
	w[53] |= 0x0001;
	w[80] = 0x01f0; /* ATA/ATAPI-4 .. ATA8-ACS */
	w[82] = (1u << 14) | (1u << 5) | (1u << 3); /* NOP, write cache, power management */
	w[83] = 0x4000 | (1u << 13) | (1u << 12) | (1u << 10); /* FLUSH EXT, FLUSH, LBA48 */
	w[84] = 0x4000;
	w[85] = (uint16_t)((1u << 14) | (d->wce ? 1u << 5 : 0) | (1u << 3));
	w[86] = (1u << 13) | (1u << 12) | (1u << 10);
	w[87] = 0x4000;
	for (int i = 0; i < 4; i++)
		w[100 + i] = (uint16_t)(n >> (16 * i));
	w[106] = 0x4000; /* valid; one 512-byte logical sector per physical sector */
	if (d->discard) {
		w[105] = ATA_DSM_MAX_BLOCKS;
		w[169] = 0x0001; /* DSM TRIM */
	}
}

static void identify_packet(const struct ata_dev *d, uint16_t *w)
{
	/* ATAPI, CD-ROM (5), removable, DRQ within 50 us, 12-byte packets */
	w[0] = (2u << 14) | (5u << 8) | (1u << 7) | (2u << 5);
	w[49] = (1u << 11) | (1u << 9) | (1u << 8);
	w[50] = 0x4000;
	modes(d, w);
	w[80] = 0x01f0;
	w[82] = (1u << 14) | (1u << 9) | (1u << 4); /* NOP, DEVICE RESET, PACKET */
	w[83] = 0x4000;
	w[84] = 0x4000;
	w[85] = w[82];
	w[87] = 0x4000;
}

void ata_identify_locked(struct ata_dev *d, uint8_t out[512])
{
	uint16_t w[256] = { 0 };
	if (d->kind == ATA_DISK)
		identify_disk(d, w);
	else
		identify_packet(d, w);
	ata_put_string(w + 10, d->serial, 10);
	ata_put_string(w + 23, "1.0", 4);
	ata_put_string(w + 27, d->model, 20);
	w[255] = 0x00a5;
	for (int i = 0; i < 256; i++)
		le_put16(out, 2 * (size_t)i, w[i]);
	uint8_t sum = 0;
	for (int i = 0; i < 511; i++)
		sum = (uint8_t)(sum + out[i]);
	out[511] = (uint8_t)-sum; /* all 512 bytes sum to 0 */
}

void ata_identify(struct ata_dev *d, uint8_t out[512])
{
	pthread_mutex_lock(&d->lock);
	ata_identify_locked(d, out);
	pthread_mutex_unlock(&d->lock);
}

static void reset_locked(struct ata_dev *d, bool power_on)
{
	if (d->rc_busy)
		d->rc_stale = true; /* its completion must not touch the registers */
	memset(&d->tf, 0, sizeof(d->tf));
	ata_set_signature(d);
	d->tf.status = d->kind == ATA_CDROM ? 0 : ATA_ST_DRDY | ATA_ST_DSC;
	d->tf.error = 0x01; /* diagnostic passed */
	d->irq = false;
	d->phase = PH_IDLE;
	d->queued = false;
	d->buf_len = d->buf_pos = 0;
	d->split_left = 0;
	d->multi = 0;
	d->pio_mode = 4;
	d->dma_mode = 0;
	d->power = PWR_ACTIVE;
	if (power_on)
		d->wce = true;
}

void ata_reset_locked(struct ata_dev *d, bool power_on) { reset_locked(d, power_on); }

void ata_dev_reset(struct ata_dev *d, bool power_on)
{
	pthread_mutex_lock(&d->lock);
	reset_locked(d, power_on);
	if (d->irq_line && d->hooks && d->hooks->irq)
		d->hooks->irq(d->opaque, false);
	d->irq_line = false;
	pthread_mutex_unlock(&d->lock);
	if (d->t)
		scsi_target_reset(d->t);
}

int ata_dev_create(struct ata_dev **out, struct disk *disk, const struct ata_dev_opts *o)
{
	if (o->kind == ATA_DISK && (!disk || disk->size < ATA_SECTOR))
		return -EINVAL;
	struct ata_dev *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->kind = o->kind;
	d->discard = o->discard && o->kind == ATA_DISK;
	d->sata = o->sata;
	d->hooks = o->hooks;
	d->opaque = o->opaque;
	d->buf_cap = o->kind == ATA_CDROM ? ATAPI_PIO_BUF : ATA_PIO_BUF;
	d->buf = malloc(d->buf_cap);
	int e = d->buf ? 0 : -ENOMEM;
	if (!e && o->kind == ATA_CDROM) {
		struct scsi_target_opts to = { .autosense = false, .product = "KVMINI DVD-ROM" };
		struct scsi_lun_opts lo = { .type = SCSI_LUN_CDROM };
		e = scsi_target_create(&d->t, &to);
		if (!e) {
			e = scsi_target_add_lun(d->t, 0, disk, &lo); /* the target owns disk now */
		}
	}
	if (e) {
		if (d->t)
			scsi_target_destroy(d->t);
		free(d->buf);
		free(d);
		return e;
	}
	if (o->kind == ATA_DISK) {
		d->disk = disk;
		d->nsectors = disk->size / ATA_SECTOR;
	}
	snprintf(d->serial, sizeof(d->serial), "%s", o->serial ? o->serial : "KVMINI-ATA-0001");
	snprintf(d->model, sizeof(d->model), "%s",
		 o->model ? o->model : o->kind == ATA_DISK ? "KVMINI HARDDISK" : "KVMINI DVD-ROM");
	pthread_mutex_init(&d->lock, NULL);
	reset_locked(d, true);
	*out = d;
	return 0;
}

void ata_dev_destroy(struct ata_dev *d)
{
	if (!d)
		return;
	if (d->t)
		scsi_target_destroy(d->t);
	if (d->disk)
		disk_close(d->disk);
	pthread_mutex_destroy(&d->lock);
	free(d->rc.siov);
	free(d->buf);
	free(d);
}

struct scsi_target *ata_dev_target(struct ata_dev *d) { return d->t; }

struct disk *ata_dev_disk(struct ata_dev *d)
{
	return d->t ? scsi_lun_disk(d->t, 0) : d->disk;
}

void ata_dev_set_hooks(struct ata_dev *d, const struct ata_hooks *hooks, void *opaque)
{
	pthread_mutex_lock(&d->lock);
	d->hooks = hooks;
	d->opaque = opaque;
	d->irq_line = false;
	pthread_mutex_unlock(&d->lock);
}

enum ata_kind ata_dev_kind(const struct ata_dev *d)
{
	return d->kind;
}
