// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk over a raw temp file, driven through the virtio-mmio transport with real descriptor
 * chains in fake RAM: data round trips, flush, GET_ID, zeroes, and every bad request answered
 * with a status instead of a crash; register accesses (mmio and pci) that return while a request is
 * stuck inside the disk, and a reset meanwhile, finished at once (mmio) or once drained (pci). */
#include "blk_test.h"
#include "devices/pci.h"

#include <pthread.h>

static void rw_roundtrip(int iothread)
{
	struct bctx c;
	bsetup(&c, 0, iothread);
	uint32_t used = 0;
	for (unsigned i = 0; i < 2048; i++)
		c.ram.buf[DATA + i] = (uint8_t)(i * 7 + 1);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_OUT, 5, DATA, 2048, 0, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 1);
	uint8_t f[2048];
	file_read(&c, 5 * 512, f, sizeof(f));
	ck_assert(!memcmp(f, c.ram.buf + DATA, sizeof(f)));
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_IN, 5, DATA2, 2048, 1, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 2049);
	ck_assert(!memcmp(c.ram.buf + DATA2, c.ram.buf + DATA, 2048));
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, &used), VIRTIO_BLK_S_OK);
	ck_assert_int_ge(c.rec.raises[GSI], 1);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x60) & 1, 1);
	mw32(&c.bus, BASE + 0x64, 1);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x60), 0);
	bfree(&c);
}

START_TEST(write_read_flush) { rw_roundtrip(0); }
END_TEST

START_TEST(write_read_on_iothread) { rw_roundtrip(1); }
END_TEST

START_TEST(get_id_and_config)
{
	struct bctx c;
	bsetup(&c, 0, 0);
	uint32_t used = 0;
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_GET_ID, 0, DATA, 20, 1, &used), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(used, 21);
	ck_assert(!memcmp(c.ram.buf + DATA, "kvmini-serial-012345", 20)); /* 20 bytes, no NUL */
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x100), 2048); /* capacity lo */
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x104), 0);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x10c), VIRTIO_BLK_SEG_MAX);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x114), 512);
	bfree(&c);
}
END_TEST

START_TEST(bad_requests)
{
	struct bctx c;
	bsetup(&c, 0, 0);
	uint8_t before[1024], after[1024];
	file_read(&c, 2046 * 512, before, sizeof(before));
	/* past the end, straddling the end, absurd sector, not a multiple of 512 */
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_OUT, 2047, DATA, 1024, 0, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_IN, 2048, DATA, 512, 1, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_IN, UINT64_MAX / 256, DATA, 512, 1, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_OUT, 0, DATA, 100, 0, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, 77, 0, DATA, 512, 1, NULL), VIRTIO_BLK_S_UNSUPP);
	file_read(&c, 2046 * 512, after, sizeof(after));
	ck_assert(!memcmp(before, after, sizeof(after)));

	/* header too short */
	tdesc(&c.r, 0, HDR, 8, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&c.r, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	tavail(&c.r, 0);
	mdrv_kick(&c.bus, BASE, 0);
	wait_used(&c);
	ck_assert_uint_eq(c.ram.buf[STATUS], VIRTIO_BLK_S_IOERR);

	/* status descriptor not writable: nothing to answer into, but used and no crash */
	c.ram.buf[STATUS] = 0xaa;
	tw32(&c.ram, HDR, VIRTIO_BLK_T_IN);
	tdesc(&c.r, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&c.r, 1, STATUS, 1, 0, 0);
	tavail(&c.r, 0);
	mdrv_kick(&c.bus, BASE, 0);
	wait_used(&c);
	ck_assert_uint_eq(tused_len(&c.r, (uint16_t)(c.seen_used - 1)), 0);
	ck_assert_uint_eq(c.ram.buf[STATUS], 0xaa);
	ck_assert(!(mr32(&c.bus, BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET));
	bfree(&c);
}
END_TEST

START_TEST(read_only_disk)
{
	struct bctx c;
	bsetup(&c, 1, 0);
	uint8_t before[1024], after[1024];
	file_read(&c, 3 * 512, before, sizeof(before));
	memset(c.ram.buf + DATA, 0x11, 1024);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_OUT, 3, DATA, 1024, 0, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 3, DATA, 16, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	file_read(&c, 3 * 512, after, sizeof(after));
	ck_assert(!memcmp(before, after, sizeof(after)));
	ck_assert_uint_eq(after[0], 0xee);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_IN, 3, DATA2, 512, 1, NULL), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(c.ram.buf[DATA2], 0xee);
	bfree(&c);
}
END_TEST

static void put_range(struct bctx *c, uint64_t sector, uint32_t num, uint32_t flags)
{
	tw64(&c->ram, DATA, sector);
	tw32(&c->ram, DATA + 8, num);
	tw32(&c->ram, DATA + 12, flags);
}

START_TEST(write_zeroes_and_discard)
{
	struct bctx c;
	bsetup(&c, 0, 0);
	put_range(&c, 3, 1, 0);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_OK);
	uint8_t f[512], z[512] = { 0 };
	file_read(&c, 3 * 512, f, sizeof(f));
	ck_assert(!memcmp(f, z, sizeof(z)));
	put_range(&c, 8, 8, 1); /* may unmap */
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_WRITE_ZEROES, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_OK);
	put_range(&c, 8, 8, 0);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_OK);
	put_range(&c, 8, 8, 1); /* unmap flag on discard */
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_UNSUPP);
	put_range(&c, 2047, 2, 0);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 0, DATA, 16, 0, NULL), VIRTIO_BLK_S_IOERR);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_DISCARD, 0, DATA, 12, 0, NULL), VIRTIO_BLK_S_IOERR);
	bfree(&c);
}
END_TEST

START_TEST(hostile_chain_needs_reset)
{
	struct bctx c;
	bsetup(&c, 0, 0);
	tdesc(&c.r, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&c.r, 1, STATUS, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1); /* loops on itself */
	tavail(&c.r, 0);
	mdrv_kick(&c.bus, BASE, 0);
	ck_assert(mr32(&c.bus, BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET);
	ck_assert(mr32(&c.bus, BASE + 0x60) & 2); /* config change interrupt */
	ck_assert_uint_eq(tused_idx(&c.r), 0);
	mdrv_kick(&c.bus, BASE, 0); /* ignored now */
	/* the driver resets and starts over: works again */
	brestart(&c);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x60), 0);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
	bfree(&c);
}
END_TEST

/* ---- a vCPU never waits for the disk: a disk whose writes block until the test lets them go ---- */

struct bdisk {
	struct disk d;
	pthread_mutex_t m;
	pthread_cond_t cv;
	int entered, release;
};

static void deadline(struct timespec *t, int s)
{
	clock_gettime(CLOCK_REALTIME, t);
	t->tv_sec += s;
}

static int bd_writev(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len)
{
	struct bdisk *b = (struct bdisk *)d;
	struct timespec until;
	deadline(&until, 10); /* never hang the test for good */
	pthread_mutex_lock(&b->m);
	b->entered++;
	pthread_cond_broadcast(&b->cv);
	while (!b->release && pthread_cond_timedwait(&b->cv, &b->m, &until) == 0)
		;
	pthread_mutex_unlock(&b->m);
	return 0;
}
static int bd_readv(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len) { return 0; }
static int bd_flush(struct disk *d) { return 0; }
static void bd_close(struct disk *d) {}
static const struct disk_ops bd_ops = { .readv = bd_readv, .writev = bd_writev, .flush = bd_flush, .close = bd_close };

static void bd_init(struct bdisk *b)
{
	memset(b, 0, sizeof(*b));
	b->d = (struct disk){ .ops = &bd_ops, .format = "raw", .size = DISK_BYTES };
	pthread_mutex_init(&b->m, NULL);
	pthread_cond_init(&b->cv, NULL);
}

static void bd_wait_entered(struct bdisk *b)
{
	struct timespec until;
	deadline(&until, 5);
	pthread_mutex_lock(&b->m);
	while (!b->entered && pthread_cond_timedwait(&b->cv, &b->m, &until) == 0)
		;
	int e = b->entered;
	pthread_mutex_unlock(&b->m);
	ck_assert_int_eq(e, 1);
}

static void bd_release(struct bdisk *b)
{
	pthread_mutex_lock(&b->m);
	b->release = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->m);
}

/* Runs fn(arg) on another thread (a vCPU) and fails the test if it does not return within 2 s. */
static void within_2s(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, fn, arg), 0);
	struct timespec until;
	deadline(&until, 2);
	ck_assert_msg(pthread_timedjoin_np(t, NULL, &until) == 0, "a register access waited for the disk");
}

/* one write request at descriptors 0..1 (header + one sector of data, status) */
static void post_write(struct tring *r, struct fake_ram *ram)
{
	tw32(ram, HDR, VIRTIO_BLK_T_OUT);
	tw64(ram, HDR + 8, 1);
	ram->buf[STATUS] = 0xaa;
	tdesc(r, 0, HDR, 16 + 512, VIRTQ_DESC_F_NEXT, 1);
	tdesc(r, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	tavail(r, 0);
}

struct mmio_job {
	struct bus *bus;
	uint32_t isr, qmax, status;
};

static void *mmio_regs(void *arg)
{
	struct mmio_job *j = arg;
	j->isr = mr32(j->bus, BASE + 0x60);
	j->qmax = mr32(j->bus, BASE + 0x34);
	mw32(j->bus, BASE + 0x30, 0); /* QueueSel */
	mw32(j->bus, BASE + 0x70, 0); /* reset, as Linux's virtio-mmio driver does it: no waiting */
	j->status = mr32(j->bus, BASE + 0x70);
	return NULL;
}

START_TEST(mmio_registers_while_disk_blocks)
{
	struct bctx c;
	struct bdisk bd;
	bd_init(&bd);
	bsetup_disk(&c, 0, 1, 0, &bd.d);
	post_write(&c.r, &c.ram);
	mdrv_kick(&c.bus, BASE, 0);
	bd_wait_entered(&bd); /* the I/O thread is inside the disk, in handle_queue */
	struct mmio_job j = { .bus = &c.bus, .status = 0xff };
	within_2s(mmio_regs, &j);
	ck_assert_uint_eq(j.qmax, 64);
	ck_assert_uint_eq(j.isr, 0);
	ck_assert_uint_eq(j.status, 0); /* the reset is done for the driver at once */
	/* the driver programs a fresh ring (same memory) while the old request still blocks */
	brestart(&c);
	bd_release(&bd);
	/* the old request finishes into nothing; a new one is answered in the new ring */
	post_write(&c.r, &c.ram);
	mdrv_kick(&c.bus, BASE, 0);
	wait_used(&c);
	ck_assert_uint_eq(tused_idx(&c.r), 1);
	ck_assert_uint_eq(c.ram.buf[STATUS], VIRTIO_BLK_S_OK);
	bfree(&c);
}
END_TEST

/* ---- the same over virtio-pci: common config through BAR 0 ---- */

static void pbar(struct pci_dev *d, uint64_t off, void *v, unsigned size, int write)
{
	if (write)
		d->bar[0].ops->write(d->bar[0].opaque, off, v, size);
	else
		d->bar[0].ops->read(d->bar[0].opaque, off, v, size);
}
static void pw8(struct pci_dev *d, uint64_t off, uint8_t v) { pbar(d, off, &v, 1, 1); }
static void pw16(struct pci_dev *d, uint64_t off, uint16_t v) { pbar(d, off, &v, 2, 1); }
static void pw32(struct pci_dev *d, uint64_t off, uint32_t v) { pbar(d, off, &v, 4, 1); }
static void pw64(struct pci_dev *d, uint64_t off, uint64_t v) { pbar(d, off, &v, 8, 1); }
static uint8_t pr8(struct pci_dev *d, uint64_t off)
{
	uint8_t v = 0;
	pbar(d, off, &v, 1, 0);
	return v;
}
static uint16_t pr16(struct pci_dev *d, uint64_t off)
{
	uint16_t v = 0;
	pbar(d, off, &v, 2, 0);
	return v;
}

struct pci_job {
	struct pci_dev *d;
	uint8_t status_before, status_after_reset;
	uint16_t qsize;
};

static void *pci_regs(void *arg)
{
	struct pci_job *j = arg;
	j->status_before = pr8(j->d, 0x14);
	j->qsize = pr16(j->d, 0x18);
	pw8(j->d, 0x14, 0); /* Linux's virtio-pci: write 0, then poll until status reads 0 */
	j->status_after_reset = pr8(j->d, 0x14);
	return NULL;
}

START_TEST(pci_registers_while_disk_blocks)
{
	struct fake_ram ram;
	struct bdisk bd;
	struct virtio_blk *blk;
	struct tring r;
	fake_ram_init(&ram, 0, RAM);
	bd_init(&bd);
	struct virtio_blk_opts bo = { .queue_size = 64 };
	ck_assert_int_eq(virtio_blk_create(&blk, &bd.d, &bo), 0);
	struct virtio_env env = { .mem = &ram.mem };
	ck_assert_int_eq(virtio_pci_create(virtio_blk_dev(blk), NULL, &env), 0);
	struct pci_dev *d = virtio_pci_dev(virtio_blk_dev(blk));
	pw8(d, 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	pw32(d, 0x08, 1);
	pw32(d, 0x0c, 1); /* VERSION_1 */
	pw8(d, 0x14, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	tring_init(&r, &ram, 0x10000, 64);
	pw16(d, 0x16, 0);
	pw16(d, 0x18, 64);
	pw64(d, 0x20, r.desc);
	pw64(d, 0x28, r.avail);
	pw64(d, 0x30, r.used);
	pw16(d, 0x1c, 1);
	uint8_t ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	pw8(d, 0x14, ok);
	post_write(&r, &ram);
	pw16(d, 0x3000, 0); /* notify queue 0 (no ioeventfd here) */
	bd_wait_entered(&bd);
	struct pci_job j = { .d = d };
	within_2s(pci_regs, &j);
	ck_assert_uint_eq(j.status_before, ok);
	ck_assert_uint_eq(j.qsize, 64);
	ck_assert_uint_ne(j.status_after_reset, 0); /* not finished: a request is still in the disk */
	bd_release(&bd);
	int i;
	for (i = 0; i < 5000 && pr8(d, 0x14); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_uint_eq(pr8(d, 0x14), 0); /* finished once the request drained */
	ck_assert_uint_eq(tused_idx(&r), 0); /* and its answer went nowhere */
	virtio_blk_destroy(blk);
	fake_ram_free(&ram);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtio-blk");
	TCase *t = tcase_create("blk");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, write_read_flush);
	tcase_add_test(t, write_read_on_iothread);
	tcase_add_test(t, get_id_and_config);
	tcase_add_test(t, bad_requests);
	tcase_add_test(t, read_only_disk);
	tcase_add_test(t, write_zeroes_and_discard);
	tcase_add_test(t, hostile_chain_needs_reset);
	tcase_add_test(t, mmio_registers_while_disk_blocks);
	tcase_add_test(t, pci_registers_while_disk_blocks);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
