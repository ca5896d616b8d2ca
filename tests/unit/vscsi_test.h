/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-scsi test scaffolding: target 0 (LUN 0 and LUN 2 disks on raw images) and target 3 (LUN 0
 * a CD-ROM) behind a virtio-scsi with two request queues on virtio-mmio, rings in fake RAM, and a
 * driver that builds request chains (header, data-out, response, data-in) of any shape. */
#ifndef KVMINI_TEST_VSCSI_H
#define KVMINI_TEST_VSCSI_H
#include "disk_test.h"
#include "unit.h"
#include "vmmio_drv.h"
#include "devices/scsi/scsi.h"
#include "virtio/queue.h"
#include "virtio/scsi.h"
#include "vmm/le.h"

#include <time.h>

#define VS_BASE 0xd0000000ULL
#define VS_GSI 5
#define VS_RAM (8ULL << 20)
#define VS_QS 128
#define VS_DISK (8u << 20)
#define VS_HDR 0x200000ULL
#define VS_RESP 0x201000ULL
#define VS_DATA 0x210000ULL
#define VS_DATA2 0x220000ULL
#define VS_REQ VIRTIO_SCSI_REQ_HDR(VIRTIO_SCSI_CDB_SIZE)
#define VS_RSP VIRTIO_SCSI_RESP_HDR(VIRTIO_SCSI_SENSE_SIZE)
#define VS_NQ 4 /* ctrl, event, two request queues */

struct vctx {
	struct fake_ram ram;
	struct irq_recorder rec;
	struct bus bus;
	struct scsi_target *t[VIRTIO_SCSI_TARGETS];
	struct virtio_scsi *s;
	struct tring q[VS_NQ];
	uint16_t seen[VS_NQ];
	char d0[96], d2[96], cd[96];
	/* the last response */
	uint32_t sense_len, residual, used;
	uint8_t status, response;
	uint8_t sense[VIRTIO_SCSI_SENSE_SIZE];
};

static inline void vs_targets(struct vctx *c)
{
	dt_setup();
	dt_path(c->d0, "d0.raw");
	dt_path(c->d2, "d2.raw");
	dt_path(c->cd, "cd.iso");
	ck_assert_int_eq(dt_create(c->d0, DISK_FMT_RAW, VS_DISK, 0, NULL, DISK_FMT_AUTO), 0);
	ck_assert_int_eq(dt_create(c->d2, DISK_FMT_RAW, VS_DISK, 0, NULL, DISK_FMT_AUTO), 0);
	ck_assert_int_eq(dt_create(c->cd, DISK_FMT_RAW, 4u << 20, 0, NULL, DISK_FMT_AUTO), 0);
	struct scsi_target_opts t0 = { .autosense = true, .id = 0 }, t3 = { .autosense = true, .id = 3 };
	ck_assert_int_eq(scsi_target_create(&c->t[0], &t0), 0);
	ck_assert_int_eq(scsi_target_create(&c->t[3], &t3), 0);
	struct scsi_lun_opts d = { .type = SCSI_LUN_DISK, .discard = true }, cd = { .type = SCSI_LUN_CDROM };
	ck_assert_int_eq(scsi_target_add_lun(c->t[0], 0, dt_open(c->d0, DISK_FMT_RAW, false), &d), 0);
	ck_assert_int_eq(scsi_target_add_lun(c->t[0], 2, dt_open(c->d2, DISK_FMT_RAW, false), &d), 0);
	ck_assert_int_eq(scsi_target_add_lun(c->t[3], 0, dt_open(c->cd, DISK_FMT_RAW, true), &cd), 0);
}

/* The device (on the targets already in c) and a driver that brought it up. */
static inline void vs_device(struct vctx *c, int iothread)
{
	fake_ram_init(&c->ram, 0, VS_RAM);
	bus_init(&c->bus, "mmio");
	struct virtio_scsi_opts o = { .num_queues = 2, .queue_size = VS_QS, .name = "test-vscsi" };
	ck_assert_int_eq(virtio_scsi_create(&c->s, c->t, &o), 0);
	struct virtio_env env = { .mem = &c->ram.mem, .hooks = &irqrec_hooks, .hooks_opaque = &c->rec,
				  .no_iothread = !iothread };
	ck_assert_int_eq(virtio_mmio_create(virtio_scsi_dev(c->s), &c->bus, VS_BASE, VS_GSI, &env), 0);
	uint64_t f = mdrv_device_features(&c->bus, VS_BASE);
	ck_assert_uint_eq(f & 0xffffff, 1u << VIRTIO_SCSI_F_CHANGE); /* no INOUT, HOTPLUG, T10_PI */
	ck_assert(mdrv_negotiate(&c->bus, VS_BASE, f) & VIRTIO_STATUS_FEATURES_OK);
	for (unsigned i = 0; i < VS_NQ; i++) {
		tring_init(&c->q[i], &c->ram, 0x10000 * (i + 1), VS_QS);
		mdrv_queue(&c->bus, VS_BASE, i, &c->q[i]);
		c->seen[i] = 0;
	}
	mdrv_driver_ok(&c->bus, VS_BASE);
}

static inline void vs_setup(struct vctx *c, int iothread)
{
	memset(c, 0, sizeof(*c));
	vs_targets(c);
	vs_device(c, iothread);
}

static inline void vs_free_device(struct vctx *c)
{
	virtio_scsi_destroy(c->s);
	c->s = NULL;
	bus_destroy(&c->bus);
	fake_ram_free(&c->ram);
}

static inline void vs_free(struct vctx *c)
{
	vs_free_device(c);
	for (unsigned i = 0; i < VIRTIO_SCSI_TARGETS; i++)
		scsi_target_destroy(c->t[i]);
	dt_teardown();
}

/* Waits (briefly, for the I/O thread case) until queue q used n more chains. */
static inline void vs_wait(struct vctx *c, unsigned q, unsigned n)
{
	uint16_t want = (uint16_t)(c->seen[q] + n);
	for (int i = 0; i < 5000 && tused_idx(&c->q[q]) != want; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	ck_assert_uint_eq(tused_idx(&c->q[q]), want);
	c->seen[q] = want;
}

static inline void vs_lun(uint8_t *l, unsigned target, unsigned lun)
{
	memset(l, 0, 8);
	l[0] = 1;
	l[1] = (uint8_t)target;
	l[2] = (uint8_t)(0x40 | lun >> 8);
	l[3] = (uint8_t)lun;
}

/* One chain of any shape on request queue q (2 or 3), at descriptors first..: request header of
 * hdr_len bytes at hdr (LUN bytes and CDB already there), data-out, a response area of rsp_len
 * bytes at rsp, data-in (a zero length leaves a part out). Returns the descriptor count. */
static inline unsigned vs_chain(struct vctx *c, unsigned q, unsigned first, uint64_t hdr, uint32_t hdr_len,
				uint64_t dout, uint32_t dout_len, uint64_t rsp, uint32_t rsp_len, uint64_t din,
				uint32_t din_len)
{
	struct { uint64_t a; uint32_t l; uint16_t f; } d[4] = {
		{ hdr, hdr_len, 0 }, { dout, dout_len, 0 }, { rsp, rsp_len, VIRTQ_DESC_F_WRITE },
		{ din, din_len, VIRTQ_DESC_F_WRITE },
	};
	unsigned n = 0, idx[4];
	for (unsigned i = 0; i < 4; i++)
		if (d[i].l)
			idx[n++] = i;
	for (unsigned k = 0; k < n; k++)
		tdesc(&c->q[q], first + k, d[idx[k]].a, d[idx[k]].l, (uint16_t)(d[idx[k]].f | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
		      (uint16_t)(first + k + 1));
	tavail_stage(&c->q[q], (uint16_t)first);
	return n;
}

/* Publishes what was staged on queue q, kicks it and waits for n answers. */
static inline void vs_go(struct vctx *c, unsigned q, unsigned n)
{
	tavail_publish(&c->q[q]);
	mdrv_kick(&c->bus, VS_BASE, q);
	vs_wait(c, q, n);
}

/* Reads the response at rsp into c (sense: up to sense_max bytes). */
static inline void vs_response(struct vctx *c, uint64_t rsp, unsigned sense_max)
{
	const uint8_t *p = c->ram.buf + rsp;
	c->sense_len = le_get32(p, 0);
	c->residual = le_get32(p, 4);
	c->status = p[10];
	c->response = p[11];
	memcpy(c->sense, p + 12, sense_max < sizeof(c->sense) ? sense_max : sizeof(c->sense));
}

/* A well-formed request on queue 2: CDB to (target, lun), data-out or data-in at data. Returns
 * the virtio response; status, sense and residual are in c. */
static inline uint8_t vs_cmd(struct vctx *c, unsigned target, unsigned lun, const uint8_t *cdb, unsigned cdb_len,
			     uint64_t data, uint32_t len, int data_in)
{
	memset(c->ram.buf + VS_HDR, 0, VS_REQ);
	vs_lun(c->ram.buf + VS_HDR, target, lun);
	le_put64(c->ram.buf + VS_HDR, 8, 0x1234);
	memcpy(c->ram.buf + VS_HDR + 19, cdb, cdb_len);
	memset(c->ram.buf + VS_RESP, 0xaa, VS_RSP);
	vs_chain(c, 2, 0, VS_HDR, VS_REQ, data, data_in ? 0 : len, VS_RESP, VS_RSP, data, data_in ? len : 0);
	vs_go(c, 2, 1);
	c->used = tused_len(&c->q[2], (uint16_t)(c->seen[2] - 1));
	vs_response(c, VS_RESP, VIRTIO_SCSI_SENSE_SIZE);
	return c->response;
}

/* A control request of req_len bytes at VS_HDR, answer of rsp_len bytes at VS_RESP; returns the
 * used length. */
static inline uint32_t vs_ctrl(struct vctx *c, uint32_t req_len, uint32_t rsp_len)
{
	memset(c->ram.buf + VS_RESP, 0xaa, 16);
	tdesc(&c->q[0], 0, VS_HDR, req_len, rsp_len ? VIRTQ_DESC_F_NEXT : 0, 1);
	if (rsp_len)
		tdesc(&c->q[0], 1, VS_RESP, rsp_len, VIRTQ_DESC_F_WRITE, 0);
	tavail(&c->q[0], 0);
	mdrv_kick(&c->bus, VS_BASE, 0);
	vs_wait(c, 0, 1);
	return tused_len(&c->q[0], (uint16_t)(c->seen[0] - 1));
}

/* A TMF: returns its response byte. */
static inline uint8_t vs_tmf(struct vctx *c, uint32_t subtype, unsigned target, unsigned lun, uint64_t tag)
{
	uint8_t *p = c->ram.buf + VS_HDR;
	memset(p, 0, 24);
	le_put32(p, 0, VIRTIO_SCSI_T_TMF);
	le_put32(p, 4, subtype);
	vs_lun(p + 8, target, lun);
	le_put64(p, 16, tag);
	ck_assert_uint_eq(vs_ctrl(c, 24, 1), 1);
	return c->ram.buf[VS_RESP];
}

static inline void vs_file_read(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

#endif
