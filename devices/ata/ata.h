/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ATA/ATAPI command core shared by the IDE (PIIX) and AHCI controllers: one device (a disk on
 * the disk layer, or a packet CD-ROM whose CDBs go to a one-LUN SCSI target, devices/scsi/scsi.h)
 * with its task file, IDENTIFY data, transfer mode, write cache, multiple count and power mode.
 * No controller code and no guest addresses here: data moves through host iovecs the controller
 * mapped through vmm/gmem.h's checked accessor, disk I/O through the controller's disk_aio.
 *
 * Two ways in:
 *  - AHCI (and IDE bus-master DMA underneath): ata_submit() runs a whole command, registers from
 *    the H2D FIS in c->tf, the mapped PRDT in c->iov, the ATAPI packet in c->packet. It is called on
 *    the controller's I/O thread and ends in exactly one c->done on that thread (at once, or from
 *    disk_aio_complete()). c->tf then holds the D2H result registers (status, error, count, LBA);
 *    c->proto says whether the command was PIO (AHCI sends a PIO Setup FIS with the final status),
 *    DMA, non-data or NCQ (a Set Device Bits FIS for c->tag). Non-NCQ commands run one at a time per
 *    device; NCQ commands (READ/WRITE FPDMA QUEUED, ata_ncq_decode) may be in flight together.
 *  - IDE PIO: the task-file register interface. ata_reg_write/ata_reg_read (the command block at
 *    0x1F1-0x1F7), ata_ctl_write/ata_altstatus (0x3F6), ata_pio_in/ata_pio_out (the data port,
 *    any length: rep insw/outsw batches). These run on the vCPU thread and never do I/O: when a
 *    command needs the disk, the core calls hooks->kick and the controller's I/O thread calls
 *    ata_poll(), which submits it; completions update the registers and call hooks->irq. A DMA
 *    command written to the command register waits (status DRQ) until the bus master starts:
 *    ata_dma_pending() says so, ata_dma_start() runs it with the PRD iovecs on the I/O thread and
 *    ends in hooks->dma_done. Both devices of a channel get every task-file write (as on the
 *    cable); the controller sends command, data and reads to the selected one (device bit 4).
 *
 * Errors: an aborted command sets ERR in status and ABRT in error; out-of-range LBAs give IDNF,
 * read failures UNC, write failures ABRT. An ATAPI device aborts ATA commands it lacks (IDENTIFY
 * DEVICE first) with the packet signature in the task file (count 1, LBA 01/14/EB), an ATA disk
 * aborts IDENTIFY PACKET DEVICE and PACKET. A PACKET command that ends in CHECK CONDITION sets
 * ERR with the sense key in error bits 7-4 (and ABRT); the sense stays in the target for the
 * guest's REQUEST SENSE (the target has autosense off).
 *
 * PIO packets (register path): data-in goes through a 256 KiB bounce in DRQ chunks of the byte
 * count limit (LBA mid/high; 0 means 0xFFFE; odd limits give even chunks but the last); a READ(10)
 * or READ(12) larger than the bounce runs as READ(10) pieces behind one data phase. Other data-in
 * commands get up to 64 KiB (their allocation length). Data-out packets (MODE SELECT, WRITE
 * BUFFER, writes a CD-ROM refuses anyway) take their CDB's length (at most the bounce) in DRQ
 * chunks of the byte count limit (interrupt reason 0: to the device) before the target runs them.
 * With ata_submit (AHCI, IDE DMA) the PRDT carries both directions.
 * READ VERIFY checks the range only (the disk layer has no verify).
 *
 * Locking: one mutex per device for the register state, never held across disk or SCSI I/O. */
#ifndef KVMINI_ATA_H
#define KVMINI_ATA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/disk/aio.h"
#include "devices/scsi/scsi.h"

/* status register */
#define ATA_ST_BSY 0x80
#define ATA_ST_DRDY 0x40
#define ATA_ST_DF 0x20
#define ATA_ST_DSC 0x10
#define ATA_ST_DRQ 0x08
#define ATA_ST_ERR 0x01
/* error register */
#define ATA_ER_ICRC 0x80
#define ATA_ER_UNC 0x40
#define ATA_ER_IDNF 0x10
#define ATA_ER_ABRT 0x04
/* device control register */
#define ATA_CTL_NIEN 0x02
#define ATA_CTL_SRST 0x04
#define ATA_CTL_HOB 0x80
/* device register */
#define ATA_DEV_LBA 0x40
#define ATA_DEV_DEV 0x10

/* command block registers (offsets from 0x1F0; 1 is error/features, 7 status/command) */
enum ata_reg { ATA_R_DATA, ATA_R_FEAT, ATA_R_NSECT, ATA_R_LBAL, ATA_R_LBAM, ATA_R_LBAH, ATA_R_DEVICE, ATA_R_CMD };

#define ATA_SECTOR 512u
#define ATA_MAX_MULTI 16u   /* IDENTIFY word 47: sectors per DRQ block in READ/WRITE MULTIPLE */
#define ATA_DSM_MAX_BLOCKS 8u /* IDENTIFY word 105: 512-byte range blocks per DSM TRIM */
#define ATAPI_PACKET_LEN 12u
#define ATA_NCQ_DEPTH 32u

/* The task file: [0] the current value, [1] the previous one (HOB: the LBA48 high bytes). */
struct ata_tf {
	uint8_t feat[2], nsect[2], lbal[2], lbam[2], lbah[2];
	uint8_t device, command;
	uint8_t status, error; /* results */
};

enum ata_proto {
	ATA_PROTO_NONE,    /* not run (invalid opcode: aborted) */
	ATA_PROTO_NODATA,
	ATA_PROTO_PIO_IN,
	ATA_PROTO_PIO_OUT,
	ATA_PROTO_DMA,
	ATA_PROTO_NCQ,
	ATA_PROTO_PACKET_PIO,
	ATA_PROTO_PACKET_DMA,
};

enum ata_kind { ATA_DISK, ATA_CDROM };

struct ata_dev;
struct ata_cmd;
typedef void (*ata_done_fn)(struct ata_cmd *c);

struct ata_cmd {
	/* --- filled by the controller --- */
	struct ata_tf tf;                  /* in: H2D registers; out: D2H registers */
	uint8_t packet[ATAPI_PACKET_LEN];  /* PACKET: the CDB */
	const struct iovec *iov;           /* the data buffer (PRDT mapped), either direction */
	int niov;
	bool write;                        /* iov carries data to the device (AHCI W, BM direction) */
	ata_done_fn done;
	void *opaque;
	/* --- results, valid in done --- */
	enum ata_proto proto;
	unsigned tag;  /* NCQ */
	uint64_t xfer; /* bytes moved to/from iov */
	/* --- private to the core --- */
	struct ata_dev *dev;
	struct disk_aio *q;
	struct disk_req dr;
	struct scsi_req sr;
	uint64_t lba, nsect; /* range of a read/write/verify, in sectors */
	bool flush_after, in_submit, finished;
	unsigned step;             /* DSM: range entries done */
	uint8_t *dsm;              /* DSM: the range list */
	size_t dsm_len;
	struct iovec *siov;        /* slice of iov for the disk */
	int nsiov;
	struct iovec inl[4];
};

/* Decoded READ/WRITE FPDMA QUEUED (ACS-3 13.6): tag in count bits 7-3, sectors in features
 * (0 = 65536), LBA48 in the LBA registers, FUA in device bit 7. */
struct ata_ncq {
	unsigned tag;
	bool write, fua;
	uint64_t lba;
	uint32_t nsect;
};
/* 0, or -EINVAL when tf is not an NCQ read/write. */
int ata_ncq_decode(const struct ata_tf *tf, struct ata_ncq *out);

/* What the controller gives the register path (IDE): irq drives INTRQ (already masked by nIEN),
 * kick asks for ata_poll() on the I/O thread; both are called with the device's lock held (so
 * line changes keep their order) and must not call into the core. dma_done ends ata_dma_start
 * (err 0, -EIO for a failed command, -EINVAL nothing pending, -ECANCELED reset meanwhile; bytes
 * moved), called without the lock. */
struct ata_hooks {
	void (*irq)(void *opaque, bool level);
	void (*kick)(void *opaque);
	void (*dma_done)(void *opaque, int err, uint64_t bytes);
};

struct ata_dev_opts {
	enum ata_kind kind;
	bool discard;   /* DSM TRIM, IDENTIFY word 169 */
	bool sata;      /* IDENTIFY words 76-79 (SATA, NCQ depth 32), word 93 0 (AHCI) */
	const char *serial, *model; /* up to 20 / 40 chars; NULL: derived defaults */
	const struct ata_hooks *hooks; /* NULL for AHCI (no register path) */
	void *opaque;
};

/* A disk needs d; a CD-ROM may start empty. The device owns d (closed on destroy); after a
 * failure (-EINVAL, -ENOMEM) the caller still does. */
int ata_dev_create(struct ata_dev **out, struct disk *d, const struct ata_dev_opts *o);
/* What the device is (fixed at creation): a disk or an ATAPI CD-ROM. */
enum ata_kind ata_dev_kind(const struct ata_dev *d);
/* No command may be in flight. */
void ata_dev_destroy(struct ata_dev *d);
/* The CD-ROM's SCSI target (medium changes go there: scsi_lun_insert/eject on LUN 0); NULL on a disk. */
struct scsi_target *ata_dev_target(struct ata_dev *d);
/* The image the device reads and writes: a disk's, a CD-ROM's medium (NULL when empty). The device
 * keeps it (snapshots flush it and give it internal snapshots). */
struct disk *ata_dev_disk(struct ata_dev *d);
/* Another controller takes the device over (IDE's per-boot controller on devices that live for the
 * whole run; NULL: none). No command may be in flight; the line counts as low for the new hooks. */
void ata_dev_set_hooks(struct ata_dev *d, const struct ata_hooks *hooks, void *opaque);
/* The IDENTIFY (PACKET) DEVICE data as the device answers it now (256 words, little-endian). */
void ata_identify(struct ata_dev *d, uint8_t out[512]);
/* Hardware or software reset (SRST, COMRESET): signature in the task file, modes to defaults
 * (write cache kept unless a power-on). Commands in flight finish: the register path drops its
 * result (ata_dma_start's dma_done says -ECANCELED), ata_submit callers get theirs in done. */
void ata_dev_reset(struct ata_dev *d, bool power_on);

/* AHCI / DMA: run c (see the top). q is the I/O thread's disk_aio. */
void ata_submit(struct ata_dev *d, struct disk_aio *q, struct ata_cmd *c);

/* IDE register path (see the top). */
uint8_t ata_reg_read(struct ata_dev *d, enum ata_reg reg); /* reading status clears INTRQ */
void ata_reg_write(struct ata_dev *d, enum ata_reg reg, uint8_t v);
uint8_t ata_altstatus(struct ata_dev *d);
void ata_ctl_write(struct ata_dev *d, uint8_t v);
size_t ata_pio_in(struct ata_dev *d, void *buf, size_t len);        /* bytes given (0 without DRQ) */
size_t ata_pio_out(struct ata_dev *d, const void *buf, size_t len); /* bytes taken */
bool ata_dma_pending(struct ata_dev *d, bool *write);
void ata_dma_start(struct ata_dev *d, struct disk_aio *q, const struct iovec *iov, int niov);
void ata_poll(struct ata_dev *d, struct disk_aio *q);
bool ata_irq_pending(struct ata_dev *d);

/* Saved state (vmm/state.h). Precondition: nothing in flight (ata_poll'd and disk_aio drained);
 * a PIO data phase or a DMA command waiting for the bus master is saved with its data. */
struct state_writer;
struct state_reader;
int ata_dev_state_save(const struct ata_dev *d, struct state_writer *w);
int ata_dev_state_load(struct ata_dev *d, struct state_reader *r, uint32_t version);
extern const struct state_ops ata_dev_state_ops; /* id "ata-dev", version 1 */

#endif
