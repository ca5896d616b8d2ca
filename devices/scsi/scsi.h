/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A userspace SCSI target: logical units (SBC disks, MMC CD-ROMs) on the shared disk layer, for
 * every transport that carries CDBs (virtio-scsi, ATAPI on IDE/AHCI). Transport-neutral: it sees
 * CDB bytes and host iovecs, never guest addresses (the transport maps guest memory through
 * vmm/gmem.h's checked accessor first) and never /dev/kvm.
 *
 * Requests: the transport fills a struct scsi_req (CDB, LUN, data-in and data-out iovecs, done)
 * and calls scsi_submit() on its own thread with its own disk_aio (aio.h); it calls
 * disk_aio_kick() after a batch of submits and disk_aio_complete() when the aio fd is readable,
 * as virtio-blk does. Every submit ends in exactly one `done` call on that thread: at once for
 * commands without disk I/O (INQUIRY, MODE SENSE, errors...), from disk_aio_complete() for reads,
 * writes, flushes and discards. Nothing blocks on the disk. Multi-step commands (WRITE SAME with
 * data, UNMAP with several descriptors, a write followed by its FUA flush) kick their own
 * follow-up steps.
 *
 * Data transfer rules:
 *  - A command that transfers a length the CDB fixes (READ/WRITE/VERIFY with BYTCHK, WRITE SAME,
 *    UNMAP, MODE SELECT) needs buffers of at least that size in its direction; when they are
 *    smaller (a data-direction mismatch gives size 0) the request ends with response
 *    SCSI_RESP_OVERRUN and nothing is done (virtio-scsi: VIRTIO_SCSI_S_OVERRUN).
 *  - A command returning emulated data sends min(allocation length, data, data-in size) bytes.
 *  - Buffers beyond what the command uses are left alone; residual = (data-in size - data_in_xfer)
 *    + (data-out size - data_out_xfer), which for one-directional commands is SCSI's residual.
 *  - CDB length: the CDB must be at least as long as its opcode's group needs (a 10-byte opcode
 *    in a 6-byte CDB is ILLEGAL REQUEST / INVALID FIELD IN CDB); extra bytes are ignored.
 *
 * Errors: CHECK CONDITION with fixed-format sense (18 bytes) in the request. The target keeps the
 * sense for a later REQUEST SENSE only when the transport has no autosense (ATAPI); with autosense
 * (virtio-scsi) it travels in the response only. Unit attentions (power on/reset, medium changed)
 * are reported once per LUN by the first command that is not INQUIRY, REPORT LUNS, REQUEST SENSE
 * (nor, on a CD-ROM, GET CONFIGURATION / GET EVENT STATUS NOTIFICATION). A LUN number with no
 * LUN answers INQUIRY with peripheral 0x7F and everything else with LOGICAL UNIT NOT SUPPORTED;
 * REPORT LUNS works on any LUN number.
 *
 * Limits (VPD 0xB0): READ/WRITE at most 65536 blocks per command, WRITE SAME 4 Mi blocks, UNMAP 256
 * descriptors of at most 4 Mi blocks; VERIFY with BYTCHK compares at most 2048 blocks. Beyond them:
 * INVALID FIELD IN CDB (or IN PARAMETER LIST). Out of host memory: status BUSY.
 * Disk errors: EROFS/EPERM -> DATA PROTECT/WRITE PROTECTED, ENOSPC -> SPACE ALLOCATION FAILED,
 * others -> MEDIUM ERROR (UNRECOVERED READ ERROR / WRITE ERROR).
 *
 * Plugging in a transport: virtio-scsi sets autosense, decodes its 8-byte LUN field into `lun`,
 * maps the device-readable descriptors after its header to dout and the device-writable ones after
 * its response header to din, and copies status, sense, residual and OVERRUN into its response.
 * ATAPI leaves autosense off (the guest sends REQUEST SENSE after an error; the sense key also
 * goes into the ATA error register), passes its 12-byte packet as a 12-byte CDB and the PIO/DMA
 * buffer as din or dout by the command's direction.
 *
 * Threads: the target's state has one mutex, held only for bookkeeping, never across I/O; several
 * transport threads (one per virtio queue) and a control thread (QMP medium change) may call in.
 */
#ifndef KVMINI_SCSI_H
#define KVMINI_SCSI_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/disk/aio.h"

#define SCSI_CDB_MAX 32u
#define SCSI_SENSE_LEN 18u /* fixed format */
#define SCSI_LUN_MAX 16384u /* LUN numbers 0..16383 (flat space addressing in REPORT LUNS) */

/* SAM status codes */
#define SCSI_STATUS_GOOD 0x00
#define SCSI_STATUS_CHECK_CONDITION 0x02
#define SCSI_STATUS_BUSY 0x08

/* sense keys */
#define SCSI_SK_NO_SENSE 0x0
#define SCSI_SK_NOT_READY 0x2
#define SCSI_SK_MEDIUM_ERROR 0x3
#define SCSI_SK_HARDWARE_ERROR 0x4
#define SCSI_SK_ILLEGAL_REQUEST 0x5
#define SCSI_SK_UNIT_ATTENTION 0x6
#define SCSI_SK_DATA_PROTECT 0x7
#define SCSI_SK_ABORTED_COMMAND 0xb
#define SCSI_SK_MISCOMPARE 0xe

enum scsi_response {
	SCSI_RESP_OK,      /* status (and sense) say how the command went */
	SCSI_RESP_OVERRUN, /* the buffers are smaller than the CDB's transfer: nothing done */
};

struct scsi_req;
struct scsi_lun;
typedef void (*scsi_done_fn)(struct scsi_req *r);

struct scsi_req {
	/* --- filled by the transport --- */
	uint8_t cdb[SCSI_CDB_MAX];
	unsigned cdb_len;        /* bytes of cdb that are valid (virtio-scsi: its cdb_size) */
	unsigned lun;            /* decoded LUN number (the transport parses its addressing) */
	const struct iovec *din; /* data-in: target -> initiator (guest reads) */
	int ndin;
	const struct iovec *dout; /* data-out: initiator -> target (guest writes) */
	int ndout;
	scsi_done_fn done;
	void *opaque; /* the transport's */
	/* --- results, valid in done --- */
	enum scsi_response response;
	uint8_t status;
	uint8_t sense[SCSI_SENSE_LEN];
	unsigned sense_len; /* 18 with CHECK CONDITION, else 0 */
	uint64_t data_in_xfer, data_out_xfer;
	uint64_t residual;
	/* --- private to the target (r must stay valid until done) --- */
	struct scsi_lun *l;
	struct disk *disk;
	struct disk_aio *q;
	struct disk_req dr;
	uint64_t din_size, dout_size;
	int (*step)(struct scsi_req *r); /* next disk operation into dr: 1, finished 0, -errno */
	uint64_t pos, end;                /* byte range still to do (multi-step commands) */
	unsigned nstep;                   /* steps done (unmap descriptors...) */
	bool write_cmd, flush_after, in_submit, sync_done;
	int sync_ret;
	uint8_t *bounce; /* WRITE SAME block, VERIFY compare, UNMAP list */
	struct iovec *siov; /* slices of din/dout for disk I/O */
	int nsiov;
	struct iovec inl[4];
};

enum scsi_lun_type { SCSI_LUN_DISK, SCSI_LUN_CDROM };

struct scsi_lun_opts {
	enum scsi_lun_type type;
	bool discard;       /* UNMAP / WRITE SAME(UNMAP) reach disk_discard/write_zeroes; LBPME set */
	const char *serial; /* VPD 0x80, up to 20 printable chars; NULL: derived from the LUN */
	uint64_t wwn;       /* VPD 0x83 NAA identifier; 0: derived from the target id and the LUN */
};

struct scsi_target_opts {
	bool autosense; /* the transport returns sense with every response (virtio-scsi) */
	uint32_t id;    /* distinguishes targets in derived serials / WWNs */
	const char *vendor, *product; /* INQUIRY; NULL: "KVMINI", "QEMU HARDDISK"-like defaults */
};

struct scsi_target;

int scsi_target_create(struct scsi_target **out, const struct scsi_target_opts *o);
/* Frees the target and closes every LUN's disk. No request may be in flight. */
void scsi_target_destroy(struct scsi_target *t);
/* Adds LUN number lun (< SCSI_LUN_MAX). The target owns d (closed on destroy or host eject).
 * A disk needs d; a CD-ROM may start empty (d NULL). A CD-ROM is always read-only: a writable d is
 * still never written. -EEXIST, -EINVAL (bad number, disk without d, size below one block). */
int scsi_target_add_lun(struct scsi_target *t, unsigned lun, struct disk *d, const struct scsi_lun_opts *o);
bool scsi_target_has_lun(struct scsi_target *t, unsigned lun);
/* The medium of LUN lun (the target still owns it), NULL without the LUN or a medium: for the
 * host's own use of the images (flush and internal snapshots while the controller is paused). */
struct disk *scsi_lun_disk(struct scsi_target *t, unsigned lun);

/* A bus/target reset: every LUN reports POWER ON, RESET OR BUS DEVICE RESET once and drops its
 * pending sense and medium lock (requests in flight finish normally; a transport aborts its own). */
void scsi_target_reset(struct scsi_target *t);
void scsi_lun_reset(struct scsi_target *t, unsigned lun);

/* Host-side medium change on a CD-ROM (CLI/QMP): insert puts d in and closes the tray (unit
 * attention MEDIUM MAY HAVE CHANGED, a NewMedia event); eject takes the medium out and hands the
 * disk back in *old (NULL if none) for the caller to close. -ENODEV no such LUN, -ENOTTY not a
 * CD-ROM, -EBUSY requests in flight on it, -EPERM the guest locked it (PREVENT) and !force,
 * -EEXIST insert with a medium present (eject first). A refused eject of a locked medium also
 * tells the guest (an EJECT REQUEST media event), as a real drive's eject button does. */
int scsi_lun_insert(struct scsi_target *t, unsigned lun, struct disk *d);
int scsi_lun_eject(struct scsi_target *t, unsigned lun, bool force, struct disk **old);
/* Opens or closes a CD-ROM's tray, the medium staying where it is (QMP blockdev-open-tray /
 * -close-tray): opening a locked tray needs force (-EPERM, the guest is asked as by eject);
 * closing it over a medium is a medium change (unit attention, NewMedia). */
int scsi_lun_tray(struct scsi_target *t, unsigned lun, bool open, bool force);
/* The LUN's enum scsi_lun_type, or -ENODEV. */
int scsi_lun_type_of(struct scsi_target *t, unsigned lun);
/* What the guest sees: medium present, tray open, medium locked. -ENODEV without the LUN. */
int scsi_lun_medium(struct scsi_target *t, unsigned lun, bool *present, bool *tray_open, bool *locked);

/* Runs r (see the top of this file). q is the calling thread's disk_aio. */
void scsi_submit(struct scsi_target *t, struct disk_aio *q, struct scsi_req *r);

/* Saved state (vmm/state.h conventions). Precondition: no request in flight (drain first).
 * The target's payload holds each LUN's number, type and state; a load into a target configured
 * with other LUNs (numbers, types, medium presence) is refused with -EINVAL, changing nothing. */
struct state_writer;
struct state_reader;
int scsi_lun_state_save(const struct scsi_lun *l, struct state_writer *w);
int scsi_lun_state_load(struct scsi_lun *l, struct state_reader *r, uint32_t version);
int scsi_target_state_save(const struct scsi_target *t, struct state_writer *w);
int scsi_target_state_load(struct scsi_target *t, struct state_reader *r, uint32_t version);
struct scsi_lun *scsi_target_lun(struct scsi_target *t, unsigned lun);
extern const struct state_ops scsi_target_state_ops; /* id "scsi-target", version 1 */

#endif
