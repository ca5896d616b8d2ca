// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-scsi over virtio-mmio with real descriptor chains in fake RAM, in front of SCSI targets
 * on raw images: config space, INQUIRY/READ/WRITE with the data checked in the image, several
 * targets and LUNs, BAD_TARGET for every malformed LUN field, task management, hostile chains
 * (short headers, no room for the response, both data directions, cdb_size/sense_size as the
 * driver set them), many requests in flight on two queues, the event queue (medium-change events,
 * AN subscriptions, events kept and missed) and save -> restore round trips. */
#include "vscsi_test.h"
#include "state_test.h"
#include "virtio/scsi_priv.h"

static const uint8_t inquiry[6] = { 0x12, 0, 0, 0, 96, 0 };
static const uint8_t tur[6] = { 0 };

static void rw10(uint8_t *cdb, uint8_t op, uint32_t lba, uint16_t blocks)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	cdb[2] = (uint8_t)(lba >> 24), cdb[3] = (uint8_t)(lba >> 16), cdb[4] = (uint8_t)(lba >> 8), cdb[5] = (uint8_t)lba;
	cdb[7] = (uint8_t)(blocks >> 8), cdb[8] = (uint8_t)blocks;
}

/* the power-on unit attention every LUN reports once */
static void clear_ua(struct vctx *c, unsigned target, unsigned lun)
{
	ck_assert_uint_eq(vs_cmd(c, target, lun, tur, 6, 0, 0, 0), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c->status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(c->sense_len, SCSI_SENSE_LEN);
	ck_assert_uint_eq(c->sense[2] & 0xf, SCSI_SK_UNIT_ATTENTION);
	ck_assert_uint_eq(c->sense[12], 0x29);
}

START_TEST(config_space)
{
	static struct vctx c;
	vs_setup(&c, 0);
	ck_assert_uint_eq(mr32(&c.bus, VS_BASE + 0x08), VIRTIO_ID_SCSI);
	const uint64_t cfg = VS_BASE + 0x100;
	ck_assert_uint_eq(mr32(&c.bus, cfg + 0), 2); /* num_queues */
	ck_assert_uint_eq(mr32(&c.bus, cfg + 4), VS_QS - 2); /* seg_max */
	ck_assert_uint_eq(mr32(&c.bus, cfg + 8), 0xffff);
	ck_assert_uint_eq(mr32(&c.bus, cfg + 20), 96);
	ck_assert_uint_eq(mr32(&c.bus, cfg + 24), 32);
	ck_assert_uint_eq(mr32(&c.bus, cfg + 28), 7 << 16); /* max_channel 0, max_target 7 */
	ck_assert_uint_eq(mr32(&c.bus, cfg + 32), 16383);
	mw32(&c.bus, cfg + 20, 40);
	mw32(&c.bus, cfg + 0, 9); /* read-only field: ignored */
	ck_assert_uint_eq(mr32(&c.bus, cfg + 20), 40);
	ck_assert_uint_eq(mr32(&c.bus, cfg + 0), 2);
	/* a reset puts the default back (§5.6.4) */
	mw32(&c.bus, VS_BASE + 0x70, 0);
	ck_assert_uint_eq(mr32(&c.bus, cfg + 20), 96);
	vs_free(&c);
}
END_TEST

static void inquiry_read_write(int iothread)
{
	static struct vctx c;
	vs_setup(&c, iothread);
	uint8_t *in = c.ram.buf + VS_DATA2;
	ck_assert_uint_eq(vs_cmd(&c, 0, 0, inquiry, 6, VS_DATA2, 96, 1), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_GOOD);
	ck_assert_uint_eq(c.sense_len, 0);
	ck_assert_uint_eq(in[0], 0x00); /* a disk */
	ck_assert_uint_eq(c.used, VS_RSP + 96 - c.residual);
	clear_ua(&c, 0, 0);
	uint8_t cdb[10];
	dt_pattern(c.ram.buf + VS_DATA, 8192, 5);
	rw10(cdb, 0x2a, 10, 16);
	ck_assert_uint_eq(vs_cmd(&c, 0, 0, cdb, 10, VS_DATA, 8192, 0), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_GOOD);
	ck_assert_uint_eq(c.residual, 0);
	ck_assert_uint_eq(c.used, VS_RSP);
	static uint8_t f[8192];
	vs_file_read(c.d0, 10 * 512, f, sizeof(f));
	ck_assert_mem_eq(f, c.ram.buf + VS_DATA, sizeof(f));
	rw10(cdb, 0x28, 10, 16);
	memset(in, 0, 8192 + 512);
	ck_assert_uint_eq(vs_cmd(&c, 0, 0, cdb, 10, VS_DATA2, 8192 + 512, 1), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_GOOD);
	ck_assert_uint_eq(c.residual, 512); /* the buffer's extra block */
	ck_assert_uint_eq(c.used, VS_RSP + 8192);
	ck_assert_mem_eq(in, f, sizeof(f));
	/* past the end: CHECK CONDITION, LBA OUT OF RANGE, in the response's sense */
	rw10(cdb, 0x28, VS_DISK / 512 - 1, 2);
	ck_assert_uint_eq(vs_cmd(&c, 0, 0, cdb, 10, VS_DATA2, 1024, 1), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(c.sense_len, 18);
	ck_assert_uint_eq(c.sense[12], 0x21);
	vs_free(&c);
}

START_TEST(inquiry_read_write_inline) { inquiry_read_write(0); }
END_TEST

START_TEST(inquiry_read_write_iothread) { inquiry_read_write(1); }
END_TEST

START_TEST(targets_and_luns)
{
	static struct vctx c;
	vs_setup(&c, 0);
	uint8_t *in = c.ram.buf + VS_DATA2;
	ck_assert_uint_eq(vs_cmd(&c, 0, 2, inquiry, 6, VS_DATA2, 96, 1), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(in[0], 0x00);
	ck_assert_uint_eq(vs_cmd(&c, 0, 5, inquiry, 6, VS_DATA2, 96, 1), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(in[0], 0x7f); /* no LUN 5: the target says so */
	ck_assert_uint_eq(vs_cmd(&c, 3, 0, inquiry, 6, VS_DATA2, 96, 1), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(in[0], 0x05); /* CD-ROM */
	for (unsigned t = 0; t < 200; t += 1) /* every empty slot and every id past max_target */
		if (t != 0 && t != 3) {
			in[0] = 0x55;
			ck_assert_uint_eq(vs_cmd(&c, t, 0, inquiry, 6, VS_DATA2, 96, 1), VIRTIO_SCSI_S_BAD_TARGET);
			ck_assert_uint_eq(in[0], 0x55);
			ck_assert_uint_eq(c.used, VS_RSP);
		}
	/* garbage in the LUN field: bad first byte, a level or address method we do not take */
	static const uint8_t bad[][4] = { { 0, 0, 0x40, 0 }, { 2, 0, 0x40, 0 }, { 0xff, 0, 0, 0 }, { 1, 0, 0x01, 0 },
					  { 1, 0, 0x80, 0 }, { 1, 0, 0xc0, 0 } };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(c.ram.buf + VS_HDR, 0, VS_REQ);
		memcpy(c.ram.buf + VS_HDR, bad[i], 4);
		memcpy(c.ram.buf + VS_HDR + 19, inquiry, 6);
		vs_chain(&c, 2, 0, VS_HDR, VS_REQ, 0, 0, VS_RESP, VS_RSP, VS_DATA2, 96);
		vs_go(&c, 2, 1);
		vs_response(&c, VS_RESP, 0);
		ck_assert_msg(c.response == VIRTIO_SCSI_S_BAD_TARGET, "LUN field %u", i);
	}
	/* peripheral addressing (byte 2 = 0) reaches the same LUN as flat */
	memset(c.ram.buf + VS_HDR, 0, VS_REQ);
	c.ram.buf[VS_HDR] = 1, c.ram.buf[VS_HDR + 3] = 2;
	memcpy(c.ram.buf + VS_HDR + 19, inquiry, 6);
	vs_chain(&c, 2, 0, VS_HDR, VS_REQ, 0, 0, VS_RESP, VS_RSP, VS_DATA2, 96);
	vs_go(&c, 2, 1);
	vs_response(&c, VS_RESP, 0);
	ck_assert_uint_eq(c.response, VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_GOOD);
	/* writes to LUN 2 land in its own image only */
	clear_ua(&c, 0, 2);
	uint8_t cdb[10];
	rw10(cdb, 0x2a, 0, 1);
	memset(c.ram.buf + VS_DATA, 0x5a, 512);
	ck_assert_uint_eq(vs_cmd(&c, 0, 2, cdb, 10, VS_DATA, 512, 0), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_GOOD);
	uint8_t f0[512], f2[512];
	vs_file_read(c.d0, 0, f0, 512);
	vs_file_read(c.d2, 0, f2, 512);
	ck_assert_mem_eq(f2, c.ram.buf + VS_DATA, 512);
	ck_assert_uint_eq(f0[0], 0);
	/* the CD-ROM is read-only whatever the guest sends */
	clear_ua(&c, 3, 0);
	ck_assert_uint_eq(vs_cmd(&c, 3, 0, cdb, 10, VS_DATA, 2048, 0), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_CHECK_CONDITION);
	vs_free(&c);
}
END_TEST

START_TEST(hostile_chains)
{
	static struct vctx c;
	vs_setup(&c, 0);
	clear_ua(&c, 0, 0);
	uint8_t cdb[10];
	/* header one byte short: FAILURE, nothing reaches the disk */
	memset(c.ram.buf + VS_HDR, 0, VS_REQ);
	vs_lun(c.ram.buf + VS_HDR, 0, 0);
	rw10(cdb, 0x2a, 0, 1);
	memcpy(c.ram.buf + VS_HDR + 19, cdb, 10);
	memset(c.ram.buf + VS_DATA, 0x77, 512);
	vs_chain(&c, 2, 0, VS_HDR, VS_REQ - 1, 0, 0, VS_RESP, VS_RSP, 0, 0);
	vs_go(&c, 2, 1);
	vs_response(&c, VS_RESP, 0);
	ck_assert_uint_eq(c.response, VIRTIO_SCSI_S_FAILURE);
	/* response area one byte short, or none: the chain comes back with nothing written */
	memset(c.ram.buf + VS_RESP, 0xaa, VS_RSP);
	vs_chain(&c, 2, 0, VS_HDR, VS_REQ, VS_DATA, 512, VS_RESP, VS_RSP - 1, 0, 0);
	vs_chain(&c, 2, 4, VS_HDR, VS_REQ, VS_DATA, 512, 0, 0, 0, 0);
	vs_chain(&c, 2, 8, VS_HDR, 3, 0, 0, 0, 0, 0, 0);
	vs_go(&c, 2, 3);
	for (unsigned k = 1; k <= 3; k++)
		ck_assert_uint_eq(tused_len(&c.q[2], (uint16_t)(c.seen[2] - k)), 0);
	ck_assert_uint_eq(c.ram.buf[VS_RESP], 0xaa);
	uint8_t f[512];
	vs_file_read(c.d0, 0, f, 512);
	ck_assert_uint_eq(f[0], 0); /* none of those wrote */
	/* both directions (INOUT not offered): FAILURE */
	vs_chain(&c, 2, 0, VS_HDR, VS_REQ, VS_DATA, 512, VS_RESP, VS_RSP, VS_DATA2, 512);
	vs_go(&c, 2, 1);
	vs_response(&c, VS_RESP, 0);
	ck_assert_uint_eq(c.response, VIRTIO_SCSI_S_FAILURE);
	/* a WRITE with a data-in buffer, a READ with a data-out one: OVERRUN, nothing done */
	ck_assert_uint_eq(vs_cmd(&c, 0, 0, cdb, 10, VS_DATA, 512, 1), VIRTIO_SCSI_S_OVERRUN);
	rw10(cdb, 0x28, 0, 1);
	ck_assert_uint_eq(vs_cmd(&c, 0, 0, cdb, 10, VS_DATA, 512, 0), VIRTIO_SCSI_S_OVERRUN);
	vs_file_read(c.d0, 0, f, 512);
	ck_assert_uint_eq(f[0], 0);
	/* an unknown opcode: ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE */
	static const uint8_t junk[6] = { 0xff };
	ck_assert_uint_eq(vs_cmd(&c, 0, 0, junk, 6, 0, 0, 0), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(c.sense[2] & 0xf, SCSI_SK_ILLEGAL_REQUEST);
	ck_assert_uint_eq(c.sense[12], 0x20);
	vs_free(&c);
}
END_TEST

/* The driver's cdb_size and sense_size decide where the data starts and how much sense comes. */
START_TEST(cdb_and_sense_size)
{
	static struct vctx c;
	vs_setup(&c, 0);
	clear_ua(&c, 0, 0);
	mw32(&c.bus, VS_BASE + 0x100 + 20, 8);  /* sense_size */
	mw32(&c.bus, VS_BASE + 0x100 + 24, 12); /* cdb_size */
	const uint32_t req = VIRTIO_SCSI_REQ_HDR(12), rsp = VIRTIO_SCSI_RESP_HDR(8);
	uint8_t cdb[10];
	rw10(cdb, 0x2a, 4, 1);
	memset(c.ram.buf + VS_HDR, 0, 64);
	vs_lun(c.ram.buf + VS_HDR, 0, 0);
	memcpy(c.ram.buf + VS_HDR + 19, cdb, 10);
	dt_pattern(c.ram.buf + VS_HDR + req, 512, 9); /* data-out right after the 31-byte header */
	vs_chain(&c, 2, 0, VS_HDR, req + 512, 0, 0, VS_RESP, rsp, 0, 0);
	vs_go(&c, 2, 1);
	vs_response(&c, VS_RESP, 8);
	ck_assert_uint_eq(c.response, VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_GOOD);
	uint8_t f[512];
	vs_file_read(c.d0, 4 * 512, f, 512);
	ck_assert_mem_eq(f, c.ram.buf + VS_HDR + req, 512);
	/* an error's 18 bytes of sense cut to 8 */
	static const uint8_t junk[6] = { 0xff };
	memcpy(c.ram.buf + VS_HDR + 19, junk, 6);
	memset(c.ram.buf + VS_RESP, 0xaa, 64);
	vs_chain(&c, 2, 0, VS_HDR, req, 0, 0, VS_RESP, rsp, 0, 0);
	vs_go(&c, 2, 1);
	vs_response(&c, VS_RESP, 8);
	ck_assert_uint_eq(c.status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(c.sense_len, 8);
	ck_assert_uint_eq(c.sense[2] & 0xf, SCSI_SK_ILLEGAL_REQUEST);
	ck_assert_uint_eq(c.ram.buf[VS_RESP + rsp], 0xaa); /* nothing past the response */
	ck_assert_uint_eq(tused_len(&c.q[2], (uint16_t)(c.seen[2] - 1)), rsp);
	/* cdb_size 6: a 10-byte READ does not fit (ILLEGAL REQUEST, INVALID FIELD IN CDB) */
	mw32(&c.bus, VS_BASE + 0x100 + 24, 6);
	rw10(cdb, 0x28, 0, 1);
	memcpy(c.ram.buf + VS_HDR + 19, cdb, 10);
	vs_chain(&c, 2, 0, VS_HDR, VIRTIO_SCSI_REQ_HDR(6), 0, 0, VS_RESP, rsp, VS_DATA2, 512);
	vs_go(&c, 2, 1);
	vs_response(&c, VS_RESP, 8);
	ck_assert_uint_eq(c.status, SCSI_STATUS_CHECK_CONDITION);
	ck_assert_uint_eq(c.sense[2] & 0xf, SCSI_SK_ILLEGAL_REQUEST);
	/* an absurd sense_size: no chain has room for the response, each comes back unanswered */
	mw32(&c.bus, VS_BASE + 0x100 + 20, 0xffffffff);
	vs_chain(&c, 2, 0, VS_HDR, 64, 0, 0, VS_RESP, 4096, 0, 0);
	vs_go(&c, 2, 1);
	ck_assert_uint_eq(tused_len(&c.q[2], (uint16_t)(c.seen[2] - 1)), 0);
	vs_free(&c);
}
END_TEST

START_TEST(task_management)
{
	static struct vctx c;
	vs_setup(&c, 1);
	clear_ua(&c, 0, 0);
	clear_ua(&c, 0, 2);
	ck_assert_uint_eq(vs_tmf(&c, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 0, 0, 0), VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	clear_ua(&c, 0, 0); /* the reset's unit attention, on that LUN only */
	ck_assert_uint_eq(vs_cmd(&c, 0, 2, tur, 6, 0, 0, 0), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.status, SCSI_STATUS_GOOD);
	ck_assert_uint_eq(vs_tmf(&c, VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET, 0, 0, 0), VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	clear_ua(&c, 0, 0);
	clear_ua(&c, 0, 2);
	ck_assert_uint_eq(vs_tmf(&c, VIRTIO_SCSI_T_TMF_ABORT_TASK, 0, 0, 0x1234), VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	ck_assert_uint_eq(vs_tmf(&c, VIRTIO_SCSI_T_TMF_ABORT_TASK_SET, 0, 2, 0), VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	ck_assert_uint_eq(vs_tmf(&c, VIRTIO_SCSI_T_TMF_QUERY_TASK, 0, 0, 0x1234), VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	ck_assert_uint_eq(vs_tmf(&c, VIRTIO_SCSI_T_TMF_CLEAR_ACA, 0, 0, 0), VIRTIO_SCSI_S_FUNCTION_REJECTED);
	ck_assert_uint_eq(vs_tmf(&c, 99, 0, 0, 0), VIRTIO_SCSI_S_FUNCTION_REJECTED);
	ck_assert_uint_eq(vs_tmf(&c, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 1, 0, 0), VIRTIO_SCSI_S_BAD_TARGET);
	ck_assert_uint_eq(vs_tmf(&c, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 0, 9, 0), VIRTIO_SCSI_S_INCORRECT_LUN);
	ck_assert_uint_eq(vs_cmd(&c, 0, 2, tur, 6, 0, 0, 0), VIRTIO_SCSI_S_OK); /* no reset reached LUN 2 */
	ck_assert_uint_eq(c.status, SCSI_STATUS_GOOD);
	/* asynchronous notification: nothing supported, answered OK with no events */
	uint8_t *p = c.ram.buf + VS_HDR;
	for (uint32_t type = VIRTIO_SCSI_T_AN_QUERY; type <= VIRTIO_SCSI_T_AN_SUBSCRIBE; type++) {
		le_put32(p, 0, type);
		vs_lun(p + 4, 0, 0);
		le_put32(p, 12, 0x7e); /* every class */
		ck_assert_uint_eq(vs_ctrl(&c, 16, 5), 5);
		ck_assert_uint_eq(le_get32(c.ram.buf + VS_RESP, 0), 0);
		ck_assert_uint_eq(c.ram.buf[VS_RESP + 4], VIRTIO_SCSI_S_OK);
	}
	/* short and unknown control requests: FAILURE when there is room to say so, else nothing */
	le_put32(p, 0, VIRTIO_SCSI_T_TMF);
	ck_assert_uint_eq(vs_ctrl(&c, 10, 1), 1);
	ck_assert_uint_eq(c.ram.buf[VS_RESP], VIRTIO_SCSI_S_FAILURE);
	ck_assert_uint_eq(vs_ctrl(&c, 24, 0), 0);
	le_put32(p, 0, 77);
	ck_assert_uint_eq(vs_ctrl(&c, 24, 16), 0);
	ck_assert_uint_eq(vs_ctrl(&c, 2, 16), 0);
	ck_assert_uint_eq(c.ram.buf[VS_RESP], 0xaa);
	/* the device still works */
	ck_assert_uint_eq(vs_cmd(&c, 3, 0, inquiry, 6, VS_DATA2, 96, 1), VIRTIO_SCSI_S_OK);
	vs_free(&c);
}
END_TEST

/* 40 writes on each request queue published at once, then read back the same way. */
#define NREQ 40
#define AREA(q, i) (0x300000ULL + ((q) - 2) * 0x60000ULL + (i) * 0x2000ULL)

static void batch(struct vctx *c, uint8_t op)
{
	for (unsigned q = 2; q <= 3; q++) {
		for (unsigned i = 0; i < NREQ; i++) {
			uint64_t a = AREA(q, i);
			uint8_t *h = c->ram.buf + a;
			memset(h, 0, VS_REQ);
			vs_lun(h, 0, q == 2 ? 0 : 2);
			le_put64(h, 8, i);
			rw10(h + 19, op, 8 * i, 8);
			int in = op == 0x28;
			vs_chain(c, q, 3 * i, a, VS_REQ, a + 0x1000, in ? 0 : 4096, a + 0x100, VS_RSP, a + 0x1000, in ? 4096 : 0);
		}
		tavail_publish(&c->q[q]);
		mdrv_kick(&c->bus, VS_BASE, q);
	}
	for (unsigned q = 2; q <= 3; q++) {
		vs_wait(c, q, NREQ);
		for (unsigned i = 0; i < NREQ; i++) {
			vs_response(c, AREA(q, i) + 0x100, 0);
			ck_assert_uint_eq(c->response, VIRTIO_SCSI_S_OK);
			ck_assert_uint_eq(c->status, SCSI_STATUS_GOOD);
		}
	}
}

START_TEST(many_in_flight)
{
	static struct vctx c;
	vs_setup(&c, 1);
	clear_ua(&c, 0, 0);
	clear_ua(&c, 0, 2);
	for (unsigned q = 2; q <= 3; q++)
		for (unsigned i = 0; i < NREQ; i++)
			dt_pattern(c.ram.buf + AREA(q, i) + 0x1000, 4096, q * 1000 + i);
	batch(&c, 0x2a);
	static uint8_t f[4096], want[4096];
	for (unsigned q = 2; q <= 3; q++)
		for (unsigned i = 0; i < NREQ; i++) {
			vs_file_read(q == 2 ? c.d0 : c.d2, 4096ULL * i, f, 4096);
			dt_pattern(want, 4096, q * 1000 + i);
			ck_assert_mem_eq(f, want, 4096);
			memset(c.ram.buf + AREA(q, i) + 0x1000, 0, 4096);
		}
	batch(&c, 0x28);
	for (unsigned q = 2; q <= 3; q++)
		for (unsigned i = 0; i < NREQ; i++) {
			dt_pattern(want, 4096, q * 1000 + i);
			ck_assert_mem_eq(c.ram.buf + AREA(q, i) + 0x1000, want, 4096);
		}
	vs_free(&c);
}
END_TEST

/* Save with the registry (device + targets), load into a fresh device on the same targets (shared
 * storage): the driver's sense_size and a pending unit attention survive, and the queue goes on
 * with the next descriptor. */
START_TEST(state_round_trip)
{
	static struct vctx a, b;
	vs_setup(&a, 1);
	clear_ua(&a, 0, 0);
	mw32(&a.bus, VS_BASE + 0x100 + 20, 64);
	ck_assert_uint_eq(vs_tmf(&a, VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET, 0, 0, 0), VIRTIO_SCSI_S_FUNCTION_COMPLETE);
	ck_assert_int_eq(virtio_dev_pause(virtio_scsi_dev(a.s)), 0);
	struct state_registry g;
	state_registry_init(&g);
	ck_assert_int_eq(virtio_scsi_state_register(a.s, &g, 1), 0);
	struct state_writer w;
	state_writer_init(&w);
	ck_assert_int_eq(state_registry_save(&g, &w), 0);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	state_registry_free(&g);
	size_t n;
	uint8_t *p = st_save(&virtio_state_ops, virtio_scsi_dev(a.s), &n);
	/* what the target machine gets: RAM and the driver's view of the rings as of the save */
	uint8_t *ram = malloc(VS_RAM);
	ck_assert_ptr_nonnull(ram);
	memcpy(ram, a.ram.buf, VS_RAM);
	struct tring rings[VS_NQ];
	uint16_t seen[VS_NQ];
	memcpy(rings, a.q, sizeof(rings));
	memcpy(seen, a.seen, sizeof(seen));
	/* the source goes on meanwhile and consumes the unit attention */
	virtio_dev_resume(virtio_scsi_dev(a.s));
	clear_ua(&a, 0, 0);

	memcpy(b.t, a.t, sizeof(b.t));
	vs_device(&b, 1);
	ck_assert_int_eq(virtio_dev_pause(virtio_scsi_dev(b.s)), 0);
	memcpy(b.ram.buf, ram, VS_RAM);
	free(ram);
	for (unsigned i = 0; i < VS_NQ; i++) {
		b.q[i] = rings[i];
		b.q[i].ram = &b.ram;
	}
	memcpy(b.seen, seen, sizeof(b.seen));
	state_registry_init(&g);
	ck_assert_int_eq(virtio_scsi_state_register(b.s, &g, 1), 0);
	size_t sl;
	const uint8_t *sb = state_writer_data(&w, &sl);
	struct state_stream ss;
	ck_assert_int_eq(state_open(&ss, sb, sl, NULL, 0), 0);
	char why[128];
	ck_assert_int_eq(state_registry_load(&g, &ss, NULL, why, sizeof(why)), 0);
	state_registry_free(&g);
	state_writer_free(&w);
	virtio_dev_resume(virtio_scsi_dev(b.s));
	ck_assert_uint_eq(mr32(&b.bus, VS_BASE + 0x100 + 20), 64);
	ck_assert_uint_eq(mr32(&b.bus, VS_BASE + 0x70), mr32(&a.bus, VS_BASE + 0x70));
	clear_ua(&b, 0, 0); /* the reset's unit attention, back from the saved target */
	ck_assert_uint_eq(b.seen[2], (uint16_t)(seen[2] + 1)); /* the next descriptor, not a fresh ring */
	ck_assert_uint_eq(tused_id(&b.q[2], seen[2]), 0);

	/* another set of targets (the payload's last byte), and every truncation: refused */
	uint8_t *bad = malloc(n);
	memcpy(bad, p, n);
	bad[n - 4] ^= 0x02; /* before the counts of subscriptions and events and the missed flag */
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_scsi_dev(b.s), bad, n), -EINVAL);
	free(bad);
	ck_assert_int_eq(virtio_dev_pause(virtio_scsi_dev(b.s)), 0);
	st_check_short(&virtio_state_ops, virtio_scsi_dev(b.s), p, n, 0);
	free(p);
	vs_free_device(&b);
	vs_free(&a);
}
END_TEST

#define EVBUF 0x400000ULL

/* Offers n event buffers of len bytes (16 apart) on the event queue at descriptors first... */
static void ev_offer(struct vctx *c, unsigned first, unsigned n, uint32_t len)
{
	for (unsigned i = 0; i < n; i++) {
		memset(c->ram.buf + EVBUF + 16 * (first + i), 0xee, 16);
		tdesc(&c->q[1], first + i, EVBUF + 16 * (first + i), len, VIRTQ_DESC_F_WRITE, 0);
		tavail_stage(&c->q[1], (uint16_t)(first + i));
	}
	tavail_publish(&c->q[1]);
	mdrv_kick(&c->bus, VS_BASE, 1);
}

/* The event in buffer i: type, LUN bytes 1 and 3, reason. */
static void ev_is(struct vctx *c, unsigned i, uint32_t type, unsigned target, unsigned lun, uint32_t reason)
{
	const uint8_t *e = c->ram.buf + EVBUF + 16 * i;
	ck_assert_uint_eq(le_get32(e, 0), type);
	ck_assert_uint_eq(e[0 + 4], 1);
	ck_assert_uint_eq(e[1 + 4], target);
	ck_assert_uint_eq(e[3 + 4], lun);
	ck_assert_uint_eq(le_get32(e, 12), reason);
}

static uint32_t an(struct vctx *c, uint32_t type, unsigned target, unsigned lun, uint32_t classes)
{
	uint8_t *p = c->ram.buf + VS_HDR;
	le_put32(p, 0, type);
	vs_lun(p + 4, target, lun);
	le_put32(p, 12, classes);
	ck_assert_uint_eq(vs_ctrl(c, 16, 5), 5);
	ck_assert_uint_eq(c->ram.buf[VS_RESP + 4], VIRTIO_SCSI_S_OK);
	return le_get32(c->ram.buf + VS_RESP, 0);
}

static void change(struct vctx *c)
{
	struct disk *old;
	ck_assert_int_eq(scsi_lun_eject(c->t[3], 0, true, &old), 0);
	disk_close(old);
	virtio_scsi_medium_changed(c->s, 3, 0);
	ck_assert_int_eq(scsi_lun_insert(c->t[3], 0, dt_open(c->cd, DISK_FMT_RAW, true)), 0);
	virtio_scsi_medium_changed(c->s, 3, 0);
}

START_TEST(events)
{
	static struct vctx c;
	vs_setup(&c, 0);
	/* AN: the CD-ROM has the media class, a disk none; a subscription is remembered */
	ck_assert_uint_eq(an(&c, VIRTIO_SCSI_T_AN_QUERY, 3, 0, 0x7e), 0x10);
	ck_assert_uint_eq(an(&c, VIRTIO_SCSI_T_AN_QUERY, 0, 0, 0x7e), 0);
	ck_assert_uint_eq(an(&c, VIRTIO_SCSI_T_AN_SUBSCRIBE, 0, 2, 0x10), 0);
	ck_assert_uint_eq(an(&c, VIRTIO_SCSI_T_AN_SUBSCRIBE, 3, 0, 0x12), 0x10);
	/* a medium change with no event buffer: kept; a buffer too short: handed back empty */
	struct disk *old;
	ck_assert_int_eq(scsi_lun_eject(c.t[3], 0, true, &old), 0);
	disk_close(old);
	virtio_scsi_medium_changed(c.s, 3, 0);
	ck_assert_uint_eq(tused_idx(&c.q[1]), 0);
	ev_offer(&c, 0, 1, 8);
	vs_wait(&c, 1, 1);
	ck_assert_uint_eq(tused_len(&c.q[1], 0), 0);
	ev_offer(&c, 1, 3, 16);
	vs_wait(&c, 1, 2); /* two events, the third buffer stays */
	ck_assert_uint_eq(tused_len(&c.q[1], 1), 16);
	ev_is(&c, 1, VIRTIO_SCSI_T_PARAM_CHANGE, 3, 0, 0x28);
	ev_is(&c, 2, VIRTIO_SCSI_T_ASYNC_NOTIFY, 3, 0, 0x10);
	/* the guest sees the medium gone: NOT READY, MEDIUM NOT PRESENT */
	ck_assert_uint_eq(vs_cmd(&c, 3, 0, tur, 6, 0, 0, 0), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.sense[2] & 0xf, SCSI_SK_UNIT_ATTENTION); /* the power-on one first */
	ck_assert_uint_eq(vs_cmd(&c, 3, 0, tur, 6, 0, 0, 0), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.sense[2] & 0xf, SCSI_SK_NOT_READY);
	ck_assert_uint_eq(c.sense[12], 0x3a);
	/* the insertion takes the buffer left over; then the unit attention */
	ck_assert_int_eq(scsi_lun_insert(c.t[3], 0, dt_open(c.cd, DISK_FMT_RAW, true)), 0);
	virtio_scsi_medium_changed(c.s, 3, 0);
	vs_wait(&c, 1, 1);
	ev_is(&c, 3, VIRTIO_SCSI_T_PARAM_CHANGE, 3, 0, 0x28);
	ck_assert_uint_eq(vs_cmd(&c, 3, 0, tur, 6, 0, 0, 0), VIRTIO_SCSI_S_OK);
	ck_assert_uint_eq(c.sense[2] & 0xf, SCSI_SK_UNIT_ATTENTION);
	ck_assert_uint_eq(c.sense[12], 0x28);
	/* more events than are kept: 16 arrive, the first says some were missed, none is left */
	for (int i = 0; i < 9; i++)
		change(&c);
	ev_offer(&c, 4, 17, 16);
	vs_wait(&c, 1, 16);
	ev_is(&c, 4, VIRTIO_SCSI_T_ASYNC_NOTIFY | VIRTIO_SCSI_T_EVENTS_MISSED, 3, 0, 0x10);
	ev_is(&c, 5, VIRTIO_SCSI_T_PARAM_CHANGE, 3, 0, 0x28);
	ev_is(&c, 19, VIRTIO_SCSI_T_PARAM_CHANGE, 3, 0, 0x28); /* the 16th kept; the rest were dropped */
	ck_assert_uint_eq(c.ram.buf[EVBUF + 16 * 20], 0xee); /* the 17th buffer waits */
	/* a pending event and the subscription survive a save -> restore */
	change(&c); /* four events: one into the waiting buffer, three kept */
	vs_wait(&c, 1, 1);
	ck_assert_int_eq(virtio_dev_pause(virtio_scsi_dev(c.s)), 0);
	size_t n;
	uint8_t *p = st_save(&virtio_state_ops, virtio_scsi_dev(c.s), &n);
	change(&c); /* paused: nothing delivered, more kept */
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_scsi_dev(c.s), p, n), 0);
	virtio_dev_resume(virtio_scsi_dev(c.s));
	ev_offer(&c, 21, 2, 16);
	vs_wait(&c, 1, 2); /* the saved ones, in order */
	ev_is(&c, 21, VIRTIO_SCSI_T_ASYNC_NOTIFY, 3, 0, 0x10);
	ev_is(&c, 22, VIRTIO_SCSI_T_PARAM_CHANGE, 3, 0, 0x28);
	ck_assert_uint_eq(an(&c, VIRTIO_SCSI_T_AN_QUERY, 3, 0, 0x10), 0x10);
	/* a device reset forgets both */
	change(&c);
	mw32(&c.bus, VS_BASE + 0x70, 0);
	ck_assert_uint_eq(c.s->nev + c.s->nan, 0);
	/* a damaged count is refused */
	p[n - 35] = 200; /* the event count: before three events of 11 bytes and the missed flag */
	ck_assert_int_ne(st_load(&virtio_state_ops, virtio_scsi_dev(c.s), p, n), 0);
	free(p);
	vs_free(&c);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtio_scsi");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, config_space);
	tcase_add_test(t, inquiry_read_write_inline);
	tcase_add_test(t, inquiry_read_write_iothread);
	tcase_add_test(t, targets_and_luns);
	tcase_add_test(t, hostile_chains);
	tcase_add_test(t, cdb_and_sense_size);
	tcase_add_test(t, task_management);
	tcase_add_test(t, many_in_flight);
	tcase_add_test(t, state_round_trip);
	tcase_add_test(t, events);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
