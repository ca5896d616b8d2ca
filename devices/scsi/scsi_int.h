/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the SCSI target: LUN and target structs, big-endian field helpers, sense codes and the
 * command handlers each command-set file (spc.c, sbc.c, mmc.c) provides to the dispatcher. */
#ifndef KVMINI_SCSI_INT_H
#define KVMINI_SCSI_INT_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/scsi/scsi.h"

/* unit attention conditions, reported in this order */
#define UA_RESET 1u         /* 29/00 POWER ON, RESET, OR BUS DEVICE RESET OCCURRED */
#define UA_MEDIUM_CHANGE 2u /* 28/00 NOT READY TO READY CHANGE, MEDIUM MAY HAVE CHANGED */
#define UA_ALL (UA_RESET | UA_MEDIUM_CHANGE)

/* GET EVENT STATUS NOTIFICATION media event codes (MMC) */
#define MEV_NONE 0
#define MEV_EJECT_REQUEST 1
#define MEV_NEW_MEDIA 2
#define MEV_MEDIA_REMOVAL 3

#define DISK_BLOCK 512u
#define CD_BLOCK 2048u
#define MAX_XFER_BLOCKS 0x10000u /* VPD B0: largest READ/WRITE the target takes in one command */
#define MAX_WS_BLOCKS 0x400000u  /* VPD B0: largest WRITE SAME */
#define MAX_UNMAP_BLOCKS 0x400000u
#define MAX_UNMAP_DESC 256u

struct scsi_lun {
	struct scsi_target *t;
	unsigned lun;
	enum scsi_lun_type type;
	struct disk *disk; /* NULL: no medium (CD-ROM) */
	bool discard;
	uint32_t block;    /* bytes per logical block */
	uint64_t nblocks;  /* of the present medium */
	char serial[21];
	uint64_t wwn;
	/* state (under t->lock) */
	unsigned ua;          /* UA_* pending */
	bool sense_valid;     /* kept sense for REQUEST SENSE (no autosense) */
	uint8_t sense[SCSI_SENSE_LEN];
	bool tray_open, locked;
	bool wce;             /* mode page 08: write cache enabled */
	uint8_t media_event;  /* MEV_* not yet reported by GESN */
	unsigned inflight;
};

struct scsi_target {
	pthread_mutex_t lock;
	bool autosense;
	uint32_t id;
	char vendor[9], product[17];
	struct scsi_lun **luns; /* sorted by number */
	unsigned nluns;
};

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be24(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }
static inline uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }
static inline uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be24(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 16); put_be16(p + 1, (uint16_t)v); }
static inline void put_be32(uint8_t *p, uint32_t v) { put_be16(p, (uint16_t)(v >> 16)); put_be16(p + 2, (uint16_t)v); }
static inline void put_be64(uint8_t *p, uint64_t v) { put_be32(p, (uint32_t)(v >> 32)); put_be32(p + 4, (uint32_t)v); }

/* sense codes as key << 16 | ASC << 8 | ASCQ */
#define SENSE(k, asc, ascq) ((uint32_t)(k) << 16 | (uint32_t)(asc) << 8 | (ascq))
#define S_INVALID_OPCODE SENSE(SCSI_SK_ILLEGAL_REQUEST, 0x20, 0x00)
#define S_LBA_OUT_OF_RANGE SENSE(SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00)
#define S_INVALID_FIELD SENSE(SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00)
#define S_LUN_NOT_SUPPORTED SENSE(SCSI_SK_ILLEGAL_REQUEST, 0x25, 0x00)
#define S_INVALID_PARAM SENSE(SCSI_SK_ILLEGAL_REQUEST, 0x26, 0x00)
#define S_PARAM_LIST_LENGTH SENSE(SCSI_SK_ILLEGAL_REQUEST, 0x1a, 0x00)
#define S_SAVING_NOT_SUPPORTED SENSE(SCSI_SK_ILLEGAL_REQUEST, 0x39, 0x00)
#define S_REMOVAL_PREVENTED SENSE(SCSI_SK_ILLEGAL_REQUEST, 0x53, 0x02)
#define S_INCOMPATIBLE_MEDIUM SENSE(SCSI_SK_ILLEGAL_REQUEST, 0x30, 0x00)
#define S_NO_MEDIUM SENSE(SCSI_SK_NOT_READY, 0x3a, 0x00)
#define S_NO_MEDIUM_TRAY_OPEN SENSE(SCSI_SK_NOT_READY, 0x3a, 0x02)
#define S_NO_MEDIUM_TRAY_CLOSED SENSE(SCSI_SK_NOT_READY, 0x3a, 0x01)
#define S_UA_RESET SENSE(SCSI_SK_UNIT_ATTENTION, 0x29, 0x00)
#define S_UA_MEDIUM_CHANGE SENSE(SCSI_SK_UNIT_ATTENTION, 0x28, 0x00)
#define S_WRITE_PROTECTED SENSE(SCSI_SK_DATA_PROTECT, 0x27, 0x00)
#define S_SPACE_ALLOC_FAILED SENSE(SCSI_SK_DATA_PROTECT, 0x27, 0x07)
#define S_READ_ERROR SENSE(SCSI_SK_MEDIUM_ERROR, 0x11, 0x00)
#define S_WRITE_ERROR SENSE(SCSI_SK_MEDIUM_ERROR, 0x0c, 0x00)
#define S_MISCOMPARE SENSE(SCSI_SK_MISCOMPARE, 0x1d, 0x00)
#define S_NO_SENSE 0u

/* target.c: finishing a request */
void scsi_fill_sense(uint8_t *s, uint32_t code);
void scsi_check(struct scsi_req *r, uint32_t code); /* CHECK CONDITION, then done */
void scsi_good(struct scsi_req *r);                 /* GOOD, then done */
/* sends min(len, alloc, data-in size) bytes of buf, then GOOD */
void scsi_reply(struct scsi_req *r, const void *buf, uint64_t len, uint64_t alloc);
/* the data-out parameter list of len bytes into buf (len <= its size), or OVERRUN and done: -1 */
int scsi_take_out(struct scsi_req *r, void *buf, uint64_t len);
void scsi_overrun(struct scsi_req *r);
void scsi_busy(struct scsi_req *r);
uint32_t scsi_medium_sense(const struct scsi_lun *l); /* NOT READY code if no medium, else 0 */

/* spc.c */
void spc_inquiry(struct scsi_req *r);
void spc_inquiry_absent(struct scsi_req *r);
void spc_mode_sense(struct scsi_req *r);
void spc_mode_select(struct scsi_req *r);

/* sbc.c: media access, disks and CD-ROMs */
void sbc_rw(struct scsi_req *r);
void sbc_verify(struct scsi_req *r);
void sbc_sync_cache(struct scsi_req *r);
void sbc_write_same(struct scsi_req *r);
void sbc_unmap(struct scsi_req *r);
void sbc_read_capacity10(struct scsi_req *r);
void sbc_read_capacity16(struct scsi_req *r);

/* mmc.c */
void mmc_read_toc(struct scsi_req *r);
void mmc_disc_info(struct scsi_req *r);
void mmc_get_configuration(struct scsi_req *r);
void mmc_event_status(struct scsi_req *r);
unsigned mmc_cap_page(const struct scsi_lun *l, uint8_t *p); /* mode page 2A, returns its size */

#endif
