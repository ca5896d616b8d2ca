/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the ATA core: the device structure and what its files (identify, exec, regs, state)
 * share. Not for controllers: they use ata.h. */
#ifndef KVMINI_ATA_INT_H
#define KVMINI_ATA_INT_H
#include <pthread.h>

#include "devices/ata/ata.h"

/* opcodes the core treats one by one (the read/write/verify family is a table in ata_exec.c) */
#define ATA_CMD_DSM 0x06
#define ATA_CMD_DEVICE_RESET 0x08
#define ATA_CMD_READ 0x20
#define ATA_CMD_READ_EXT 0x24
#define ATA_CMD_WRITE 0x30
#define ATA_CMD_WRITE_EXT 0x34
#define ATA_CMD_READ_FPDMA 0x60
#define ATA_CMD_WRITE_FPDMA 0x61
#define ATA_CMD_DIAGNOSTIC 0x90
#define ATA_CMD_PACKET 0xa0
#define ATA_CMD_IDENTIFY_PACKET 0xa1
#define ATA_CMD_SET_MULTIPLE 0xc6
#define ATA_CMD_STANDBY_NOW 0xe0
#define ATA_CMD_IDLE_NOW 0xe1
#define ATA_CMD_STANDBY 0xe2
#define ATA_CMD_IDLE 0xe3
#define ATA_CMD_CHECK_POWER 0xe5
#define ATA_CMD_SLEEP 0xe6
#define ATA_CMD_FLUSH 0xe7
#define ATA_CMD_FLUSH_EXT 0xea
#define ATA_CMD_IDENTIFY 0xec
#define ATA_CMD_SET_FEATURES 0xef

/* SET FEATURES subcommands */
#define ATA_SF_XFER_MODE 0x03
#define ATA_SF_WCACHE_ON 0x02
#define ATA_SF_WCACHE_OFF 0x82

/* ATAPI interrupt reason (count register): C/D and I/O bits */
#define ATAPI_IR_COD 0x01
#define ATAPI_IR_IO 0x02

/* what the register path is doing */
enum ata_phase {
	PH_IDLE,
	PH_IO,        /* BSY: a command or block queued for ata_poll or in flight */
	PH_PIO_IN,    /* DRQ: the guest reads buf[buf_pos..buf_len) */
	PH_PIO_OUT,   /* DRQ: the guest writes buf[buf_pos..buf_len) */
	PH_PACKET,    /* DRQ: the guest writes the 12-byte packet into buf */
	PH_DMA_WAIT,  /* DRQ: a DMA command waits for ata_dma_start */
	PH_MAX = PH_DMA_WAIT,
};

enum ata_rc_kind { RC_BLOCK, RC_CMD, RC_PACKET, RC_DATA, RC_MAX = RC_DATA };

enum ata_power { PWR_ACTIVE, PWR_IDLE, PWR_STANDBY, PWR_SLEEP, PWR_MAX = PWR_SLEEP };

#define ATAPI_PIO_BUF (256u << 10) /* bounce for a PIO packet command's data */
#define ATAPI_PIO_BLOCKS (ATAPI_PIO_BUF / 2048u)
#define ATA_PIO_BUF (ATA_MAX_MULTI * ATA_SECTOR)

struct ata_dev {
	pthread_mutex_t lock;
	enum ata_kind kind;
	bool discard, sata;
	struct disk *disk;         /* ATA_DISK */
	uint64_t nsectors;
	struct scsi_target *t;     /* ATA_CDROM: one CD-ROM LUN 0 */
	char serial[21], model[41];
	const struct ata_hooks *hooks;
	void *opaque;
	/* registers */
	struct ata_tf tf;
	uint8_t ctl;
	bool irq;
	/* settings */
	uint8_t pio_mode;  /* 0..4 */
	uint8_t dma_mode;  /* 0 none, 0x20|n MWDMA n, 0x40|n UDMA n (SET FEATURES 03 codes) */
	uint8_t multi;     /* sectors per DRQ block in READ/WRITE MULTIPLE, 0 = disabled */
	bool wce;
	uint8_t power;     /* enum ata_rc_kind { RC_BLOCK, RC_CMD, RC_PACKET, RC_DATA, RC_MAX = RC_DATA };

enum ata_power */
	/* the register path's command */
	uint8_t phase;     /* enum ata_phase */
	bool queued;       /* rc waits for ata_poll */
	bool rc_write, rc_multi; /* PIO: data-out; READ/WRITE MULTIPLE */
	uint64_t lba, left; /* PIO: next sector, sectors still to move */
	uint32_t block;    /* PIO: sectors in the current DRQ block */
	uint16_t bcl;      /* PACKET PIO: byte count limit */
	uint32_t chunk_end; /* PACKET PIO: end of the current DRQ chunk in buf */
	uint32_t split_lba, split_left; /* PACKET PIO: a READ too big for buf, in pieces (blocks) */
	uint32_t buf_len, buf_pos;
	uint8_t *buf;      /* ATA_PIO_BUF (disk) or ATAPI_PIO_BUF (CD-ROM) bytes */
	size_t buf_cap;
	struct iovec biov;
	uint8_t rc_kind;   /* enum ata_rc_kind: what rc runs */
	uint8_t packet[ATAPI_PACKET_LEN];
	bool rc_busy;      /* rc is in ata_submit */
	bool rc_stale;     /* a reset came meanwhile: drop its result */
	bool irq_line;     /* what hooks->irq was last told */
	struct ata_cmd rc;
	unsigned busy;     /* ata_submit commands in flight (NCQ: several) */
};

/* ata_identify.c */
void ata_put_string(uint16_t *w, const char *s, unsigned nwords);
void ata_set_signature(struct ata_dev *d);
void ata_identify_locked(struct ata_dev *d, uint8_t out[512]);
void ata_reset_locked(struct ata_dev *d, bool power_on);
/* ata_exec.c */
int ata_rw_decode(const struct ata_dev *d, const struct ata_tf *tf, uint64_t *lba, uint64_t *nsect);
/* the protocol opcode op runs with on this device (ATA_PROTO_NONE: abort it) */
enum ata_proto ata_proto_of(const struct ata_dev *d, const struct ata_tf *tf);
bool ata_is_multi(uint8_t op);
bool ata_is_write(uint8_t op);
void ata_rw_start(struct ata_cmd *c, uint64_t lba, uint64_t nsect, bool write);
void ata_result_abort(struct ata_tf *tf, const struct ata_dev *d, uint8_t err);
void ata_result_ok(struct ata_tf *tf);
bool atapi_data_out(uint8_t op);
uint32_t atapi_out_len(const uint8_t *cdb);
uint64_t atapi_pio_len(const uint8_t *cdb);
bool atapi_read_range(const uint8_t *cdb, uint32_t *lba, uint32_t *n);

#endif
