// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk with many requests in flight, against a fake disk_aio backend defined here (it takes
 * the place of devices/disk/aio.c at link time): requests are held until the test releases them,
 * in any order, so out-of-order completion, batching, the per-kick budget, and reset / destroy
 * with requests in flight can be checked deterministically on the real I/O thread. */
#include "blk_test.h"
#include "devices/disk/aio.h"

#include <pthread.h>
#include <sys/eventfd.h>

#define FA_MAX 1024
#define REQS 0x300000ULL /* request i: header + 512 data bytes at REQS + i * 0x1000, status at +0x800 */

struct disk_aio {
	pthread_mutex_t m;
	int efd;
	struct disk_req *held[FA_MAX]; /* submitted and held, by submission number */
	unsigned rel[FA_MAX], nrel; /* released submission numbers, in release order */
	unsigned nsub, batch, max_batch, batches, inflight;
};

/* what the test sets and reads (one device per test) */
static struct disk_aio *fa;
static int fa_hold = 1; /* 1: hold requests until released; 0: complete inside submit */
static unsigned fa_done;

static int fa_run(struct disk_req *r)
{
	switch (r->op) {
	case DISK_OP_READ: return disk_readv(r->disk, r->off, r->iov, r->niov);
	case DISK_OP_WRITE: return disk_writev(r->disk, r->off, r->iov, r->niov);
	case DISK_OP_FLUSH: return disk_flush(r->disk);
	case DISK_OP_DISCARD: return disk_discard(r->disk, r->off, r->len);
	case DISK_OP_WRITE_ZEROES: return disk_write_zeroes(r->disk, r->off, r->len, r->may_unmap);
	}
	return -EINVAL;
}

static void fa_finish(struct disk_aio *q, struct disk_req *r)
{
	int ret = fa_run(r);
	pthread_mutex_lock(&q->m);
	q->inflight--;
	fa_done++;
	pthread_mutex_unlock(&q->m);
	r->done(r, ret);
}

int disk_aio_create(struct disk_aio **out, unsigned depth)
{
	struct disk_aio *q = calloc(1, sizeof(*q));
	ck_assert_ptr_nonnull(q);
	pthread_mutex_init(&q->m, NULL);
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(q->efd, 0);
	__atomic_store_n(&fa, q, __ATOMIC_RELEASE); /* made on the I/O thread at DRIVER_OK */
	*out = q;
	return 0;
}

int disk_aio_fd(const struct disk_aio *q) { return q->efd; }

void disk_aio_submit(struct disk_aio *q, struct disk *d, struct disk_req *r)
{
	r->disk = d;
	pthread_mutex_lock(&q->m);
	ck_assert_uint_lt(q->nsub, FA_MAX);
	q->inflight++;
	q->batch++;
	int hold = fa_hold;
	if (hold)
		q->held[q->nsub] = r;
	q->nsub++;
	pthread_mutex_unlock(&q->m);
	if (!hold)
		fa_finish(q, r);
}

void disk_aio_kick(struct disk_aio *q)
{
	pthread_mutex_lock(&q->m);
	if (q->batch)
		q->batches++;
	if (q->batch > q->max_batch)
		q->max_batch = q->batch;
	q->batch = 0;
	pthread_mutex_unlock(&q->m);
}

/* Takes out the released requests (all held ones when all), in release order. */
static unsigned fa_take(struct disk_aio *q, struct disk_req **out, int all)
{
	unsigned n = 0;
	pthread_mutex_lock(&q->m);
	for (unsigned i = 0; i < q->nrel; i++)
		if (q->held[q->rel[i]]) {
			out[n++] = q->held[q->rel[i]];
			q->held[q->rel[i]] = NULL;
		}
	q->nrel = 0;
	for (unsigned i = 0; all && i < q->nsub; i++)
		if (q->held[i]) {
			out[n++] = q->held[i];
			q->held[i] = NULL;
		}
	pthread_mutex_unlock(&q->m);
	return n;
}

unsigned disk_aio_complete(struct disk_aio *q)
{
	static struct disk_req *r[FA_MAX];
	uint64_t v;
	if (read(q->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		ck_abort_msg("eventfd read");
	unsigned n = fa_take(q, r, 0);
	for (unsigned i = 0; i < n; i++)
		fa_finish(q, r[i]);
	return n;
}

unsigned disk_aio_drain(struct disk_aio *q)
{
	static struct disk_req *r[FA_MAX];
	unsigned n = fa_take(q, r, 1);
	for (unsigned i = 0; i < n; i++)
		fa_finish(q, r[i]);
	return n;
}

void disk_aio_destroy(struct disk_aio *q)
{
	if (!q)
		return;
	disk_aio_drain(q);
	close(q->efd);
	pthread_mutex_destroy(&q->m);
	free(q);
	fa = NULL;
}

unsigned disk_aio_inflight(const struct disk_aio *q) { return q->inflight; }
const char *disk_aio_backend(const struct disk_aio *q) { return "fake"; }

static void fa_release(const unsigned *seq, unsigned n)
{
	pthread_mutex_lock(&fa->m);
	for (unsigned i = 0; i < n; i++)
		fa->rel[fa->nrel++] = seq[i];
	pthread_mutex_unlock(&fa->m);
	uint64_t one = 1;
	ck_assert_int_eq(write(fa->efd, &one, sizeof(one)), 8);
}

static unsigned fa_get(unsigned *field)
{
	pthread_mutex_lock(&fa->m);
	unsigned v = *field;
	pthread_mutex_unlock(&fa->m);
	return v;
}

static void fa_wait_submitted(unsigned n)
{
	for (int i = 0; i < 5000 && !__atomic_load_n(&fa, __ATOMIC_ACQUIRE); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_ptr_nonnull(fa);
	for (int i = 0; i < 5000 && fa_get(&fa->nsub) < n; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_uint_eq(fa_get(&fa->nsub), n);
}

static void wait_used_n(struct bctx *c, uint16_t n)
{
	for (int i = 0; i < 5000 && tused_idx(&c->r) != n; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_uint_eq(tused_idx(&c->r), n);
}

/* Request i (head 2i): a write of one sector (header and data in one descriptor), or a flush. */
static void post(struct bctx *c, unsigned i, uint32_t type)
{
	uint64_t base = REQS + i * 0x1000ULL;
	tw32(&c->ram, base, type);
	tw32(&c->ram, base + 4, 0);
	tw64(&c->ram, base + 8, 100 + i);
	memset(c->ram.buf + base + 16, (int)(0x40 + i), 512);
	c->ram.buf[base + 0x800] = 0xaa;
	uint32_t len = type == VIRTIO_BLK_T_OUT ? 16 + 512 : 16;
	tdesc(&c->r, 2 * i, base, len, VIRTQ_DESC_F_NEXT, (uint16_t)(2 * i + 1));
	tdesc(&c->r, 2 * i + 1, base + 0x800, 1, VIRTQ_DESC_F_WRITE, 0);
	tavail_stage(&c->r, (uint16_t)(2 * i)); /* the caller publishes: a batch appears at once */
}

/* A device with n writes submitted and held in the fake disk. */
static void setup_held(struct bctx *c, unsigned n)
{
	fa_hold = 1;
	bsetup(c, 0, 1);
	for (unsigned i = 0; i < n; i++)
		post(c, i, VIRTIO_BLK_T_OUT);
	tavail_publish(&c->r);
	mdrv_kick(&c->bus, BASE, 0);
	fa_wait_submitted(n);
}

START_TEST(out_of_order_completions)
{
	struct bctx c;
	fa_hold = 1;
	bsetup(&c, 0, 1);
	enum { N = 32 };
	for (unsigned i = 0; i < N; i++)
		post(&c, i, VIRTIO_BLK_T_OUT);
	tavail_publish(&c.r);
	mdrv_kick(&c.bus, BASE, 0);
	fa_wait_submitted(N);
	ck_assert_uint_eq(fa_get(&fa->inflight), N); /* all in flight at once */
	ck_assert_uint_eq(fa_get(&fa->max_batch), N); /* one submission for the kick's batch */
	ck_assert_uint_eq(tused_idx(&c.r), 0);
	int irqs = c.rec.raises[GSI];
	unsigned order[N];
	for (unsigned i = 0; i < N; i++)
		order[i] = N - 1 - i; /* last submitted finishes first */
	fa_release(order, N);
	wait_used_n(&c, N);
	for (unsigned k = 0; k < N; k++) {
		unsigned i = order[k];
		ck_assert_uint_eq(tused_id(&c.r, (uint16_t)k), 2 * i);
		ck_assert_uint_eq(tused_len(&c.r, (uint16_t)k), 1);
		ck_assert_uint_eq(c.ram.buf[REQS + i * 0x1000ULL + 0x800], VIRTIO_BLK_S_OK);
		uint8_t f[512];
		file_read(&c, (100 + i) * 512ULL, f, sizeof(f));
		ck_assert(!memcmp(f, c.ram.buf + REQS + i * 0x1000ULL + 16, sizeof(f)));
	}
	ck_assert_int_eq(c.rec.raises[GSI], irqs + 1); /* one interrupt for the batch of completions */
	bfree(&c);
}
END_TEST

START_TEST(budget_requeues)
{
	struct bctx c;
	fa_hold = 0;
	bsetup_ex(&c, 0, 1, 4);
	for (unsigned i = 0; i < 10; i++)
		post(&c, i, VIRTIO_BLK_T_FLUSH);
	tavail_publish(&c.r);
	mdrv_kick(&c.bus, BASE, 0); /* one guest kick for all ten */
	wait_used_n(&c, 10);
	ck_assert_uint_eq(fa_get(&fa->max_batch), 4);
	ck_assert_uint_eq(fa_get(&fa->batches), 3); /* 4 + 4 + 2: the queue requeued itself twice */
	for (unsigned k = 0; k < 10; k++)
		ck_assert_uint_eq(tused_id(&c.r, (uint16_t)k), 2 * k);
	bfree(&c);
}
END_TEST

START_TEST(reset_with_requests_in_flight)
{
	struct bctx c;
	setup_held(&c, 8);
	/* Linux's virtio-mmio: write 0 and go straight on, same ring memory */
	mw32(&c.bus, BASE + 0x70, 0);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x70), 0);
	brestart(&c);
	fa_hold = 0;
	/* the device side drains the old requests; none may land in the new ring */
	for (int i = 0; i < 5000 && fa_get(&fa->inflight); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	ck_assert_uint_eq(fa_get(&fa->inflight), 0);
	ck_assert_uint_eq(tused_idx(&c.r), 0);
	ck_assert_uint_eq(c.ram.buf[REQS + 0x800], 0xaa);
	ck_assert_uint_eq(breq(&c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, NULL), VIRTIO_BLK_S_OK);
	ck_assert_uint_eq(tused_idx(&c.r), 1);
	ck_assert(!(mr32(&c.bus, BASE + 0x70) & VIRTIO_STATUS_NEEDS_RESET));
	bfree(&c);
}
END_TEST

START_TEST(destroy_with_requests_in_flight)
{
	struct bctx c;
	fa_done = 0;
	setup_held(&c, 8);
	ck_assert_uint_eq(fa_done, 0);
	bfree(&c); /* drains: every request ends in its done callback, then the contexts go */
	ck_assert_ptr_null(fa);
	ck_assert_uint_eq(fa_done, 8);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtio-blk-aio");
	TCase *t = tcase_create("aio");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, out_of_order_completions);
	tcase_add_test(t, budget_requeues);
	tcase_add_test(t, reset_with_requests_in_flight);
	tcase_add_test(t, destroy_with_requests_in_flight);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
