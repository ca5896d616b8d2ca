/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the SCSI target tests: a target with a disk LUN 0 (raw or qcow2 image in a scratch
 * directory) and a CD-ROM LUN 1, and a synchronous `cmd` that submits a CDB with data-in/out
 * buffers and waits for its completion through disk_aio like a transport's I/O thread. */
#ifndef KVMINI_SCSI_TEST_H
#define KVMINI_SCSI_TEST_H
#include <poll.h>

#include "devices/disk/aio.h"
#include "devices/scsi/scsi.h"
#include "tests/unit/disk_test.h"

#define ST_DISK_SIZE (8u << 20)
#define ST_CD_SIZE (4u << 20)

struct st {
	struct scsi_target *t;
	struct disk_aio *q;
	char disk_path[96], cd_path[96];
	int done;
	struct scsi_req r;
};

static struct st st;

static inline void st_done(struct scsi_req *r) { ((struct st *)r->opaque)->done++; }

/* Submits r (CDB, LUN, buffers filled in) as a transport does, without waiting. */
static inline void st_start(struct scsi_req *r)
{
	r->done = st_done;
	r->opaque = &st;
	st.done = 0;
	scsi_submit(st.t, st.q, r);
	disk_aio_kick(st.q);
}

/* Completes disk requests until the submitted command is done (once). */
static inline void st_wait(void)
{
	while (!st.done) {
		struct pollfd p = { disk_aio_fd(st.q), POLLIN, 0 };
		ck_assert_int_ge(p.fd, 0); /* a synchronous context completes inside submit */
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		disk_aio_complete(st.q);
	}
	ck_assert_int_eq(st.done, 1);
}

static inline void st_run(struct scsi_req *r)
{
	st_start(r);
	st_wait();
}

/* Runs one command on LUN lun; din/dout may be NULL. Returns the status (-1 for OVERRUN). */
static inline int st_cmd_lun(unsigned lun, const uint8_t *cdb, unsigned cdb_len, void *din, size_t din_len,
                      const void *dout, size_t dout_len)
{
	struct iovec in = { din, din_len }, out = { (void *)dout, dout_len };
	struct scsi_req *r = &st.r;
	memset(r, 0, sizeof(*r));
	memcpy(r->cdb, cdb, cdb_len);
	r->cdb_len = cdb_len;
	r->lun = lun;
	r->din = din ? &in : NULL;
	r->ndin = din ? 1 : 0;
	r->dout = dout ? &out : NULL;
	r->ndout = dout ? 1 : 0;
	st_run(r);
	if (r->status == SCSI_STATUS_CHECK_CONDITION)
		ck_assert_uint_eq(r->sense_len, SCSI_SENSE_LEN);
	else
		ck_assert_uint_eq(r->sense_len, 0);
	return r->response == SCSI_RESP_OVERRUN ? -1 : r->status;
}

static inline int st_cmd(const uint8_t *cdb, unsigned len, void *din, size_t din_len, const void *dout, size_t dout_len)
{
	return st_cmd_lun(0, cdb, len, din, din_len, dout, dout_len);
}

/* the last command ended in CHECK CONDITION with this key/ASC/ASCQ (fixed format) */
#define ck_sense(key, asc, ascq)                                                     \
	do {                                                                         \
		ck_assert_int_eq(st.r.status, SCSI_STATUS_CHECK_CONDITION);          \
		ck_assert_int_eq(st.r.sense[0], 0x70);                               \
		ck_assert_int_eq(st.r.sense[7], 10);                                 \
		ck_assert_int_eq(st.r.sense[2] & 0xf, key);                          \
		ck_assert_int_eq(st.r.sense[12], asc);                               \
		ck_assert_int_eq(st.r.sense[13], ascq);                              \
	} while (0)

/* call returns CHECK CONDITION with this sense */
#define ck_fails(call, key, asc, ascq)                                      \
	do {                                                                \
		ck_assert_int_eq((call), SCSI_STATUS_CHECK_CONDITION);      \
		ck_sense(key, asc, ascq);                                   \
	} while (0)

static inline uint32_t st_be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline uint16_t st_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint64_t st_be64(const uint8_t *p) { return (uint64_t)st_be32(p) << 32 | st_be32(p + 4); }

/* clears the power-on unit attention of lun, checking it is there */
static inline void st_clear_ua(unsigned lun)
{
	static const uint8_t tur[6] = { 0 };
	ck_assert_int_eq(st_cmd_lun(lun, tur, 6, NULL, 0, NULL, 0), SCSI_STATUS_CHECK_CONDITION);
	ck_sense(SCSI_SK_UNIT_ATTENTION, 0x29, 0x00);
}

/* a target: LUN 0 a disk in `fmt` (read-only if ro, discard if discard), LUN 1 a CD-ROM */
static inline void st_setup_with(enum disk_format fmt, bool ro, bool discard, bool autosense)
{
	dt_setup();
	memset(&st, 0, sizeof(st));
	dt_path(st.disk_path, fmt == DISK_FMT_QCOW2 ? "d.qcow2" : "d.raw");
	dt_path(st.cd_path, "cd.iso");
	ck_assert_int_eq(dt_create(st.disk_path, fmt, ST_DISK_SIZE, 0, NULL, DISK_FMT_AUTO), 0);
	ck_assert_int_eq(dt_create(st.cd_path, DISK_FMT_RAW, ST_CD_SIZE, 0, NULL, DISK_FMT_AUTO), 0);
	struct scsi_target_opts to = { .autosense = autosense, .id = 3 };
	ck_assert_int_eq(scsi_target_create(&st.t, &to), 0);
	struct scsi_lun_opts d = { .type = SCSI_LUN_DISK, .discard = discard, .serial = "SER0" };
	struct scsi_lun_opts c = { .type = SCSI_LUN_CDROM };
	ck_assert_int_eq(scsi_target_add_lun(st.t, 0, dt_open(st.disk_path, fmt, ro), &d), 0);
	ck_assert_int_eq(scsi_target_add_lun(st.t, 1, dt_open(st.cd_path, DISK_FMT_RAW, true), &c), 0);
	ck_assert_int_eq(disk_aio_create(&st.q, 16), 0);
	st_clear_ua(0);
	st_clear_ua(1);
}

static inline void st_setup(void) { st_setup_with(DISK_FMT_RAW, false, true, true); }

/* closes the target (and its images) so the files can be checked on the host */
static inline void st_close(void)
{
	disk_aio_destroy(st.q);
	scsi_target_destroy(st.t);
	st.q = NULL;
	st.t = NULL;
}

static inline void st_teardown(void)
{
	st_close();
	dt_teardown();
}

#endif
