// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the SCSI target's CDB path. A target with a 1 MiB raw disk (discard on), a 1 MiB
 * qcow2 disk, a CD-ROM and an empty CD-ROM (LUNs 0-3; other numbers are absent LUNs) runs the
 * commands the input describes: per command a LUN byte, a CDB (length and bytes), data-in and
 * data-out buffer sizes split over up to three iovecs each, data-out bytes, and now and then a
 * host-side eject or insert. Besides the sanitizers, the harness aborts on a broken contract:
 * done not called exactly once, more data moved than the buffers hold, sense without CHECK
 * CONDITION, a wrong residual, data-in written past what data_in_xfer says. */
#include "fuzz.h"

#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/disk/aio.h"
#include "devices/disk/disk.h"
#include "devices/scsi/scsi.h"

#define DISK_BYTES (1u << 20)
#define BUF_MAX 0x11000u /* a bit more than 32 blocks of 2048 */

struct fz_scsi {
	struct scsi_target *t;
	struct disk_aio *q;
	struct disk *spare; /* the CD-ROM's medium while ejected */
	int done;
};

static struct disk *open_disk(enum disk_format f, bool ro) { return fz_disk("scsi", f, DISK_BYTES, ro); }

static struct fz_scsi *the_target(void)
{
	static struct fz_scsi s;
	if (s.t)
		return &s;
	struct scsi_target_opts to = { .autosense = false, .id = 1 };
	struct scsi_lun_opts disk = { .type = SCSI_LUN_DISK, .discard = true };
	struct scsi_lun_opts q2 = { .type = SCSI_LUN_DISK };
	struct scsi_lun_opts cd = { .type = SCSI_LUN_CDROM };
	if (scsi_target_create(&s.t, &to) || scsi_target_add_lun(s.t, 0, open_disk(DISK_FMT_RAW, false), &disk) ||
	    scsi_target_add_lun(s.t, 1, open_disk(DISK_FMT_QCOW2, false), &q2) ||
	    scsi_target_add_lun(s.t, 2, open_disk(DISK_FMT_RAW, true), &cd) ||
	    scsi_target_add_lun(s.t, 3, NULL, &cd) || disk_aio_create(&s.q, 16))
		fz_die("cannot build the target");
	return &s;
}

static void on_done(struct scsi_req *r) { ((struct fz_scsi *)r->opaque)->done++; }

static void medium_op(struct fz_scsi *s, uint8_t op, bool force)
{
	if (op == 1 && !s->spare) {
		if (scsi_lun_eject(s->t, 2, force, &s->spare))
			s->spare = NULL;
	} else if (op == 2 && s->spare) {
		if (!scsi_lun_insert(s->t, 2, s->spare))
			s->spare = NULL;
	} else if (op == 3) {
		scsi_target_reset(s->t);
	}
}

static void one_command(struct fz_scsi *s, struct fz *f)
{
	static uint8_t din[BUF_MAX], dout[BUF_MAX];
	struct scsi_req r;
	struct iovec iv[3], ov[3];
	memset(&r, 0, sizeof(r));
	uint8_t sel = (uint8_t)fz_take(f, 1);
	medium_op(s, sel >> 6, sel & 0x08);
	r.lun = sel & 7;
	r.cdb_len = (unsigned)fz_take(f, 1) % (SCSI_CDB_MAX + 2);
	size_t got;
	const uint8_t *c = fz_bytes(f, r.cdb_len < SCSI_CDB_MAX ? r.cdb_len : SCSI_CDB_MAX, &got);
	memcpy(r.cdb, c, got);
	size_t in_len = (size_t)fz_take(f, 3) % BUF_MAX, out_len = (size_t)fz_take(f, 3) % BUF_MAX;
	bool has_in = fz_take(f, 1) & 1, has_out = fz_take(f, 1) & 1;
	if (has_in) {
		r.ndin = fz_split(f, din, in_len, iv);
		r.din = iv;
	}
	if (has_out) {
		r.ndout = fz_split(f, dout, out_len, ov);
		r.dout = ov;
		memset(dout, 0, out_len);
		const uint8_t *p = fz_bytes(f, out_len, &got);
		memcpy(dout, p, got);
	}
	memset(din, 0xa5, BUF_MAX);
	r.done = on_done;
	r.opaque = s;
	s->done = 0;
	scsi_submit(s->t, s->q, &r);
	disk_aio_kick(s->q);
	for (int spins = 0; !s->done; spins++) {
		struct pollfd p = { disk_aio_fd(s->q), POLLIN, 0 };
		if (p.fd < 0 || spins > 100 || poll(&p, 1, 1000) < 0)
			fz_die("request never completed");
		disk_aio_complete(s->q);
	}
	if (s->done != 1)
		fz_die("done called more than once");
	uint64_t isz = has_in ? in_len : 0, osz = has_out ? out_len : 0;
	if (r.data_in_xfer > isz || r.data_out_xfer > osz)
		fz_die("moved more than the buffers hold");
	if (r.residual != (isz - r.data_in_xfer) + (osz - r.data_out_xfer))
		fz_die("residual");
	if ((r.status == SCSI_STATUS_CHECK_CONDITION) != (r.sense_len == SCSI_SENSE_LEN) ||
	    (r.sense_len && (r.sense[0] != 0x70 || r.sense[7] != 10)))
		fz_die("sense");
	if (r.response == SCSI_RESP_OVERRUN && (r.data_in_xfer || r.data_out_xfer))
		fz_die("overrun moved data");
	for (size_t i = r.data_in_xfer; i < isz; i++)
		if (din[i] != 0xa5 && r.status == SCSI_STATUS_GOOD)
			fz_die("data-in written past data_in_xfer");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct fz_scsi *s = the_target();
	for (unsigned i = 0; i < 8 && f.n; i++)
		one_command(s, &f);
	return 0;
}
