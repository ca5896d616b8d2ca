// SPDX-License-Identifier: GPL-2.0-or-later
/* SCSI target, SBC side, on raw and qcow2 images: READ/WRITE(6/10/12/16) checked in the image on
 * the host (qemu-img compare/check for qcow2), READ CAPACITY(10/16), VERIFY, SYNCHRONIZE CACHE,
 * WRITE SAME with and without UNMAP, UNMAP (holes punched in raw, qcow2 still clean), write
 * protection, LBA ranges and overflow, zero-length transfers and buffers that do not fit. */
#include <sys/stat.h>

#include "tests/unit/scsi_test.h"
#include "tests/unit/unit.h"

#define NBLK (ST_DISK_SIZE / 512u)

static uint8_t ref[ST_DISK_SIZE]; /* what the image must hold */

static bool is_qcow2(void) { return strstr(st.disk_path, ".qcow2") != NULL; }

static void setup_raw(void) { st_setup_with(DISK_FMT_RAW, false, true, true); memset(ref, 0, sizeof(ref)); }
static void setup_qcow2(void) { st_setup_with(DISK_FMT_QCOW2, false, true, true); memset(ref, 0, sizeof(ref)); }

/* READ or WRITE with opcode op (0x08 0x28 0xa8 0x88 or the writes) of n blocks at lba */
static int rw(uint8_t op, uint64_t lba, uint32_t n, uint8_t flags, void *buf, size_t len)
{
	uint8_t c[16] = { op };
	unsigned cl;
	if (op < 0x20) {
		c[1] = (uint8_t)(lba >> 16 & 0x1f);
		c[2] = (uint8_t)(lba >> 8);
		c[3] = (uint8_t)lba;
		c[4] = (uint8_t)n;
		cl = 6;
	} else if (op < 0x80) {
		c[1] = flags;
		for (int i = 0; i < 4; i++)
			c[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
		c[7] = (uint8_t)(n >> 8);
		c[8] = (uint8_t)n;
		cl = 10;
	} else if (op >= 0xa0) {
		c[1] = flags;
		for (int i = 0; i < 4; i++) {
			c[2 + i] = (uint8_t)(lba >> (24 - 8 * i));
			c[6 + i] = (uint8_t)(n >> (24 - 8 * i));
		}
		cl = 12;
	} else {
		c[1] = flags;
		for (int i = 0; i < 8; i++)
			c[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
		for (int i = 0; i < 4; i++)
			c[10 + i] = (uint8_t)(n >> (24 - 8 * i));
		cl = 16;
	}
	bool write = op == 0x0a || op == 0x2a || op == 0xaa || op == 0x8a;
	return st_cmd(c, cl, write ? NULL : buf, write ? 0 : len, write ? buf : NULL, write ? len : 0);
}

static void write_ref(uint8_t op, uint64_t lba, uint32_t n, uint8_t flags, uint64_t seed)
{
	size_t len = (size_t)(n ? n : 256) * 512;
	uint8_t *b = malloc(len);
	dt_pattern(b, len, seed);
	ck_assert_int_eq(rw(op, lba, n, flags, b, len), 0);
	ck_assert_uint_eq(st.r.data_out_xfer, len);
	ck_assert_uint_eq(st.r.residual, 0);
	memcpy(ref + lba * 512, b, len);
	free(b);
}

static void read_check(uint8_t op, uint64_t lba, uint32_t n)
{
	size_t len = (size_t)(n ? n : 256) * 512;
	uint8_t *b = malloc(len + 512);
	memset(b, 0xee, len + 512);
	ck_assert_int_eq(rw(op, lba, n, 0, b, len + 512), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, len);
	ck_assert_uint_eq(st.r.residual, 512);
	ck_assert(!memcmp(b, ref + lba * 512, len));
	ck_assert_int_eq(b[len], 0xee);
	free(b);
}

/* closes the target and checks the image against ref on the host */
static void verify_image(void)
{
	st_close();
	char p[96], cmd[300];
	if (!is_qcow2()) {
		int fd = open(st.disk_path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		uint8_t *b = malloc(ST_DISK_SIZE);
		ck_assert_int_eq(pread(fd, b, ST_DISK_SIZE, 0), ST_DISK_SIZE);
		close(fd);
		ck_assert(!memcmp(b, ref, ST_DISK_SIZE));
		free(b);
		return;
	}
	dt_path(p, "ref.raw");
	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_eq(pwrite(fd, ref, ST_DISK_SIZE, 0), ST_DISK_SIZE);
	close(fd);
	snprintf(cmd, sizeof(cmd), "qemu-img check -q '%s'", st.disk_path);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "qemu-img compare -q -f qcow2 -F raw '%s' '%s'", st.disk_path, p);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(read_write_all_opcodes)
{
	write_ref(0x0a, 1, 1, 0, 1);
	write_ref(0x0a, 0x1000, 0, 0, 2); /* 0 blocks in a 6-byte CDB means 256 */
	write_ref(0x2a, 100, 8, 0, 3);
	write_ref(0x2a, 200, 8, 0x08, 4); /* FUA */
	write_ref(0xaa, 2000, 16, 0, 5);
	write_ref(0x8a, NBLK - 4, 4, 0x08, 6); /* the last blocks */
	read_check(0x08, 1, 1);
	read_check(0x08, 0x1000, 0);
	read_check(0x28, 100, 16);
	read_check(0xa8, 2000, 16);
	read_check(0x88, NBLK - 4, 4);
	read_check(0x28, 0, 1);
	verify_image();
}
END_TEST

/* several commands in flight at once on one disk_aio, each completing on its own */
START_TEST(many_in_flight)
{
	enum { N = 8 };
	static struct scsi_req rq[N];
	static uint8_t data[N][8192];
	struct iovec iov[N];
	st.done = 0;
	for (int i = 0; i < N; i++) {
		dt_pattern(data[i], sizeof(data[i]), 100 + i);
		memcpy(ref + (64 + 16 * i) * 512, data[i], sizeof(data[i]));
		memset(&rq[i], 0, sizeof(rq[i]));
		uint8_t c[10] = { 0x2a, 0, 0, 0, 0, (uint8_t)(64 + 16 * i), 0, 0, 16, 0 };
		memcpy(rq[i].cdb, c, 10);
		rq[i].cdb_len = 10;
		iov[i] = (struct iovec){ data[i], sizeof(data[i]) };
		rq[i].dout = &iov[i];
		rq[i].ndout = 1;
		rq[i].done = st_done;
		rq[i].opaque = &st;
		scsi_submit(st.t, st.q, &rq[i]);
	}
	disk_aio_kick(st.q); /* one batch */
	if (strcmp(disk_aio_backend(st.q), "sync"))
		ck_assert_int_lt(st.done, N); /* io_uring: still in flight after submit */
	while (st.done < N) {
		struct pollfd p = { disk_aio_fd(st.q), POLLIN, 0 };
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		disk_aio_complete(st.q);
	}
	ck_assert_int_eq(st.done, N);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(rq[i].status, 0);
	read_check(0x28, 64, 16 * N);
	verify_image();
}
END_TEST

START_TEST(write_cache_off)
{
	/* MODE SELECT WCE=0: writes then flush before completing (exercises the flush step) */
	uint8_t p[4 + 20] = { 0, 0, 0, 0, 0x08, 0x12 };
	uint8_t c[6] = { 0x15, 0x10, 0, 0, sizeof(p), 0 };
	ck_assert_int_eq(st_cmd(c, 6, NULL, 0, p, sizeof(p)), 0);
	write_ref(0x2a, 50, 4, 0, 7);
	write_ref(0x8a, 60, 2, 0, 8);
	read_check(0x28, 50, 12);
	verify_image();
}
END_TEST

START_TEST(read_capacity)
{
	uint8_t c10[10] = { 0x25 }, b[32];
	ck_assert_int_eq(st_cmd(c10, 10, b, 8, NULL, 0), 0);
	ck_assert_uint_eq(st_be32(b), NBLK - 1);
	ck_assert_uint_eq(st_be32(b + 4), 512);
	c10[5] = 1; /* an LBA without PMI */
	ck_fails(st_cmd(c10, 10, b, 8, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	uint8_t c16[16] = { 0x9e, 0x10 };
	c16[13] = 32;
	memset(b, 0xee, sizeof(b));
	ck_assert_int_eq(st_cmd(c16, 16, b, sizeof(b), NULL, 0), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 32);
	ck_assert_uint_eq(st_be64(b), NBLK - 1);
	ck_assert_uint_eq(st_be32(b + 8), 512);
	ck_assert_int_eq(b[14] & 0x80, 0x80); /* LBPME: discard is on */
	ck_assert_int_eq(b[31], 0);
	c16[13] = 12; /* short allocation length */
	ck_assert_int_eq(st_cmd(c16, 16, b, sizeof(b), NULL, 0), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 12);
}
END_TEST

START_TEST(read_capacity_no_discard)
{
	st_teardown();
	st_setup_with(DISK_FMT_RAW, true, false, true);
	uint8_t c16[16] = { 0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32 }, b[32];
	ck_assert_int_eq(st_cmd(c16, 16, b, sizeof(b), NULL, 0), 0);
	ck_assert_int_eq(b[14] & 0x80, 0);
}
END_TEST

START_TEST(ranges)
{
	uint8_t b[4096];
	/* past the end, straddling it, LBA + length wrapping around 2^64 */
	ck_fails(rw(0x28, NBLK, 1, 0, b, 512), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	ck_fails(rw(0x2a, NBLK - 1, 2, 0, b, 1024), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	ck_fails(rw(0x88, UINT64_MAX, 2, 0, b, 1024), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	ck_fails(rw(0x8a, UINT64_MAX - 1, 8, 0, b, 4096), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	ck_fails(rw(0x88, 1ull << 55, 0, 0, b, 0), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	ck_fails(rw(0x08, 0x1fffff, 1, 0, b, 512), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	/* zero-length transfers move nothing and succeed */
	ck_assert_int_eq(rw(0x28, 0, 0, 0, b, sizeof(b)), 0);
	ck_assert_uint_eq(st.r.data_in_xfer, 0);
	ck_assert_uint_eq(st.r.residual, sizeof(b));
	ck_assert_int_eq(rw(0x8a, NBLK - 1, 0, 0, b, 0), 0);
	/* more blocks than one command may move, protection fields */
	ck_fails(rw(0xa8, 0, 0x10001, 0, b, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	ck_fails(rw(0x28, 0, 1, 0x20, b, 512), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	verify_image(); /* nothing was written */
}
END_TEST

START_TEST(buffers_that_do_not_fit)
{
	uint8_t b[4096];
	memset(b, 0xee, sizeof(b));
	/* data-in one byte short, data in the wrong direction: OVERRUN, nothing moved */
	ck_assert_int_eq(rw(0x28, 0, 8, 0, b, 4095), -1);
	ck_assert_int_eq(b[0], 0xee);
	ck_assert_uint_eq(st.r.data_in_xfer, 0);
	uint8_t c[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	ck_assert_int_eq(st_cmd(c, 10, NULL, 0, b, 512), -1);
	c[0] = 0x2a;
	ck_assert_int_eq(st_cmd(c, 10, b, 512, NULL, 0), -1);
	/* a bigger buffer than the transfer: the rest stays and counts as residual */
	dt_pattern(b, sizeof(b), 9);
	ck_assert_int_eq(st_cmd(c, 10, NULL, 0, b, sizeof(b)), 0);
	ck_assert_uint_eq(st.r.data_out_xfer, 512);
	ck_assert_uint_eq(st.r.residual, sizeof(b) - 512);
	memcpy(ref, b, 512);
	/* a no-data command with buffers of both kinds */
	uint8_t tur[6] = { 0 };
	ck_assert_int_eq(st_cmd(tur, 6, b, 100, b, 200), 0);
	ck_assert_uint_eq(st.r.residual, 300);
	/* a scattered data-in buffer */
	uint8_t x[3][300];
	struct iovec iov[3] = { { x[0], 100 }, { x[1], 300 }, { x[2], 112 } };
	struct scsi_req *r = &st.r;
	memset(r, 0, sizeof(*r));
	uint8_t rd[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	memcpy(r->cdb, rd, 10);
	r->cdb_len = 10;
	r->din = iov;
	r->ndin = 3;
	st_run(r);
	ck_assert_int_eq(r->status, 0);
	ck_assert(!memcmp(x[0], ref, 100) && !memcmp(x[1], ref + 100, 300) && !memcmp(x[2], ref + 400, 112));
	verify_image();
}
END_TEST

START_TEST(write_protected)
{
	st_teardown();
	st_setup_with(DISK_FMT_RAW, true, false, true);
	uint8_t b[512] = { 1 };
	ck_fails(rw(0x2a, 0, 1, 0, b, 512), SCSI_SK_DATA_PROTECT, 0x27, 0x00);
	uint8_t ws[10] = { 0x41, 0, 0, 0, 0, 0, 0, 0, 4, 0 };
	ck_fails(st_cmd(ws, 10, NULL, 0, b, 512), SCSI_SK_DATA_PROTECT, 0x27, 0x00);
	ck_assert_int_eq(rw(0x28, 0, 1, 0, b, 512), 0);
	ck_assert_int_eq(b[0], 0);
	uint8_t sync[10] = { 0x35 };
	ck_assert_int_eq(st_cmd(sync, 10, NULL, 0, NULL, 0), 0);
}
END_TEST

START_TEST(verify_cmd)
{
	write_ref(0x2a, 10, 4, 0, 11);
	uint8_t c[10] = { 0x2f, 0, 0, 0, 0, 10, 0, 0, 4, 0 };
	ck_assert_int_eq(st_cmd(c, 10, NULL, 0, NULL, 0), 0);
	c[1] = 0x02; /* BYTCHK 1: compare with the data-out buffer */
	ck_assert_int_eq(st_cmd(c, 10, NULL, 0, ref + 10 * 512, 2048), 0);
	ck_assert_uint_eq(st.r.data_out_xfer, 2048);
	uint8_t b[2048];
	memcpy(b, ref + 10 * 512, sizeof(b));
	b[2047] ^= 1;
	ck_fails(st_cmd(c, 10, NULL, 0, b, sizeof(b)), SCSI_SK_MISCOMPARE, 0x1d, 0x00);
	ck_assert_int_eq(st_cmd(c, 10, NULL, 0, b, 2047), -1);
	c[1] = 0x04; /* BYTCHK 2: reserved */
	ck_fails(st_cmd(c, 10, NULL, 0, b, sizeof(b)), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	uint8_t c16[16] = { 0x8f };
	c16[9] = (uint8_t)(NBLK - 1);
	c16[8] = (uint8_t)((NBLK - 1) >> 8);
	c16[13] = 2;
	ck_fails(st_cmd(c16, 16, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	uint8_t c12[12] = { 0xaf, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	ck_assert_int_eq(st_cmd(c12, 12, NULL, 0, NULL, 0), 0);
}
END_TEST

START_TEST(synchronize_cache)
{
	uint8_t c10[10] = { 0x35 }, c16[16] = { 0x91 };
	ck_assert_int_eq(st_cmd(c10, 10, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(st_cmd(c16, 16, NULL, 0, NULL, 0), 0);
	c16[2] = 0x80; /* LBA 2^63 */
	ck_fails(st_cmd(c16, 16, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	c10[5] = 1; /* LBA 1, 0xffff blocks: past the end */
	c10[7] = c10[8] = 0xff;
	ck_fails(st_cmd(c10, 10, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
}
END_TEST

static uint64_t allocated(void)
{
	struct stat s;
	ck_assert_int_eq(stat(st.disk_path, &s), 0);
	return (uint64_t)s.st_blocks * 512;
}

START_TEST(write_same)
{
	uint8_t blk[512];
	dt_pattern(blk, sizeof(blk), 21);
	/* 300 blocks of one pattern: more than one write chunk */
	uint8_t c16[16] = { 0x93 };
	c16[9] = 40;
	c16[12] = 300 >> 8;
	c16[13] = 300 & 0xff;
	ck_assert_int_eq(st_cmd(c16, 16, NULL, 0, blk, sizeof(blk)), 0);
	ck_assert_uint_eq(st.r.data_out_xfer, 512);
	for (unsigned i = 0; i < 300; i++)
		memcpy(ref + (40 + i) * 512, blk, 512);
	read_check(0x28, 40, 256);
	read_check(0x28, 296, 44);
	/* zeros with UNMAP over a written megabyte: zeroed, and a raw image gives the space back */
	write_ref(0xaa, 4096, 2048, 0, 22);
	uint64_t before = allocated();
	uint8_t zero[512] = { 0 };
	uint8_t c10[10] = { 0x41, 0x08, 0, 0, 0x10, 0, 0, 0x08, 0, 0 }; /* LBA 4096, 2048 blocks */
	ck_assert_int_eq(st_cmd(c10, 10, NULL, 0, zero, sizeof(zero)), 0);
	memset(ref + 4096 * 512, 0, 2048 * 512);
	read_check(0xa8, 4096, 2048);
	if (!is_qcow2())
		ck_assert_uint_le(allocated() + (1u << 20), before);
	/* NDOB: zeros without a data-out buffer; without UNMAP, data stays allocated */
	write_ref(0x2a, 8000, 8, 0, 23);
	c16[1] = 0x01;
	c16[9] = (uint8_t)(8000 & 0xff);
	c16[8] = (uint8_t)(8000 >> 8);
	c16[12] = 0;
	c16[13] = 4;
	ck_assert_int_eq(st_cmd(c16, 16, NULL, 0, NULL, 0), 0);
	memset(ref + 8000 * 512, 0, 4 * 512);
	read_check(0x28, 8000, 8);
	/* errors: 0 blocks (WSNZ), ANCHOR, no data-out block, past the end */
	c16[13] = 0;
	ck_fails(st_cmd(c16, 16, NULL, 0, NULL, 0), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	c16[13] = 1;
	c16[1] = 0x10;
	ck_fails(st_cmd(c16, 16, NULL, 0, blk, 512), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	c10[1] = 0;
	ck_assert_int_eq(st_cmd(c10, 10, NULL, 0, blk, 511), -1);
	c10[2] = 0xff;
	ck_fails(st_cmd(c10, 10, NULL, 0, blk, 512), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	verify_image();
}
END_TEST

static void put_desc(uint8_t *d, uint64_t lba, uint32_t n)
{
	memset(d, 0, 16);
	for (int i = 0; i < 8; i++)
		d[i] = (uint8_t)(lba >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		d[8 + i] = (uint8_t)(n >> (24 - 8 * i));
}

static int unmap(const uint8_t *list, unsigned len, unsigned plen)
{
	uint8_t c[10] = { 0x42, 0, 0, 0, 0, 0, 0, (uint8_t)(plen >> 8), (uint8_t)plen, 0 };
	return st_cmd(c, 10, NULL, 0, list, len);
}

START_TEST(unmap_cmd)
{
	write_ref(0xaa, 2048, 4096, 0, 31); /* 2 MiB at 1 MiB */
	uint64_t before = allocated();
	uint8_t l[8 + 3 * 16] = { 0, 6 + 48, 0, 48 };
	put_desc(l + 8, 2048, 2048);
	put_desc(l + 24, 5000, 0); /* an empty descriptor is no error */
	put_desc(l + 40, 4096, 2048);
	/* a bad descriptor refuses the whole list before anything is discarded */
	put_desc(l + 24, NBLK - 1, 2);
	ck_fails(unmap(l, sizeof(l), sizeof(l)), SCSI_SK_ILLEGAL_REQUEST, 0x21, 0x00);
	read_check(0xa8, 2048, 4096);
	put_desc(l + 24, 5000, 0);
	ck_assert_int_eq(unmap(l, sizeof(l), sizeof(l)), 0);
	ck_assert_uint_eq(st.r.data_out_xfer, sizeof(l));
	memset(ref + 2048 * 512, 0, 4096 * 512);
	read_check(0xa8, 2048, 4096); /* unmapped blocks read as zeros on both formats */
	if (!is_qcow2())
		ck_assert_uint_le(allocated() + (2u << 20), before);
	/* parameter list errors */
	ck_assert_int_eq(unmap(l, sizeof(l), 0), 0);
	ck_fails(unmap(l, sizeof(l), 6), SCSI_SK_ILLEGAL_REQUEST, 0x1a, 0x00);
	ck_assert_int_eq(unmap(l, 20, sizeof(l)), -1);
	uint8_t c[10] = { 0x42, 0x01, 0, 0, 0, 0, 0, 0, 24, 0 };
	ck_fails(st_cmd(c, 10, NULL, 0, l, sizeof(l)), SCSI_SK_ILLEGAL_REQUEST, 0x24, 0x00);
	size_t big = 8 + 257 * 16;
	uint8_t *m = calloc(1, big);
	m[2] = (uint8_t)((257 * 16) >> 8);
	m[3] = (uint8_t)(257 * 16);
	ck_fails(unmap(m, (unsigned)big, (unsigned)big), SCSI_SK_ILLEGAL_REQUEST, 0x26, 0x00);
	free(m);
	verify_image();	if (is_qcow2()) { /* everything written was unmapped: qemu-img sees no data cluster left */
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "qemu-img map --output=json '%s' | grep -q '\"data\": true'", st.disk_path);
		ck_assert_int_ne(system(cmd), 0);
		snprintf(cmd, sizeof(cmd), "qemu-img map --output=json '%s' | grep -q '\"data\": false'", st.disk_path);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

START_TEST(start_stop_prevent_on_disk)
{
	uint8_t ssu[6] = { 0x1b, 0, 0, 0, 0x02, 0 }, pr[6] = { 0x1e, 0, 0, 0, 1, 0 }, tur[6] = { 0 };
	ck_assert_int_eq(st_cmd(pr, 6, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(st_cmd(ssu, 6, NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(st_cmd(tur, 6, NULL, 0, NULL, 0), 0); /* a disk is never ejected */
	struct disk *old;
	ck_assert_int_eq(scsi_lun_eject(st.t, 0, true, &old), -ENOTTY);
	ck_assert_int_eq(scsi_lun_eject(st.t, 9, true, &old), -ENODEV);
}
END_TEST

static void add_tests(TCase *t)
{
	tcase_add_test(t, read_write_all_opcodes);
	tcase_add_test(t, many_in_flight);
	tcase_add_test(t, write_cache_off);
	tcase_add_test(t, ranges);
	tcase_add_test(t, buffers_that_do_not_fit);
	tcase_add_test(t, write_same);
	tcase_add_test(t, unmap_cmd);
	tcase_add_test(t, verify_cmd);
}

Suite *make_suite(void)
{
	Suite *s = suite_create("scsi_sbc");
	TCase *raw = tcase_create("raw");
	tcase_add_checked_fixture(raw, setup_raw, st_teardown);
	add_tests(raw);
	tcase_add_test(raw, read_capacity);
	tcase_add_test(raw, read_capacity_no_discard);
	tcase_add_test(raw, write_protected);
	tcase_add_test(raw, synchronize_cache);
	tcase_add_test(raw, start_stop_prevent_on_disk);
	suite_add_tcase(s, raw);
	TCase *q = tcase_create("qcow2");
	tcase_add_checked_fixture(q, setup_qcow2, st_teardown);
	tcase_add_test(q, read_capacity);
	add_tests(q);
	tcase_set_timeout(q, 30);
	suite_add_tcase(s, q);
	return s;
}

UNIT_MAIN
