// SPDX-License-Identifier: GPL-2.0-or-later
/* disk_aio: the io_uring backend against the synchronous one on raw and qcow2 (random mixes
 * checked against a reference buffer and by qemu-img), requests really in flight together,
 * out-of-order completion, flush ordering, pinned qcow2 clusters, and the fallback. */
#include "unit.h"
#include "disk_test.h"
#include "devices/disk/aio.h"
#include "devices/disk/qcow2.h"

#include <poll.h>
#include <pthread.h>

#define MiB (1024 * 1024ull)
#define SLOT (64 * 1024ull) /* one qcow2 cluster: requests of a batch never share one */
#define NSLOT 96
#define DSIZE (NSLOT * SLOT)

struct treq {
	struct disk_req r;
	struct iovec v[2];
	uint8_t *mem;
	int ret, order; /* order: 1-based position among completions, 0 = not yet */
	int *counter;
};

static void tdone(struct disk_req *r, int ret)
{
	struct treq *t = (struct treq *)r;
	ck_assert_int_eq(t->order, 0); /* exactly one done per submit */
	t->ret = ret;
	t->order = ++*t->counter;
}

static struct disk_aio *mk_aio(bool sync, unsigned depth)
{
	struct disk_aio *q;
	if (sync)
		setenv("KVMINI_AIO", "sync", 1);
	ck_assert_int_eq(disk_aio_create(&q, depth), 0);
	unsetenv("KVMINI_AIO");
	ck_assert_str_eq(disk_aio_backend(q), sync ? "sync" : "io_uring");
	return q;
}

static struct disk *open_opts(const char *p, enum disk_format f, enum disk_cache c)
{
	struct disk_opts o = { .format = f, .cache = c };
	struct disk *d = NULL;
	const char *why = NULL;
	ck_assert_int_eq(disk_open(&d, p, &o, &why), 0);
	return d;
}

static void prep(struct treq *t, int *counter, enum disk_op op, uint64_t off, uint64_t len,
                 size_t mis)
{
	memset(t, 0, sizeof(*t));
	t->counter = counter;
	t->r.op = op;
	t->r.off = off;
	t->r.len = len;
	t->r.done = tdone;
	if (op == DISK_OP_READ || op == DISK_OP_WRITE) {
		/* two pieces; mis > 0 leaves the buffer unaligned (O_DIRECT bounces it) */
		t->mem = malloc(len + 4096 + mis);
		size_t a = (len / 2 + 511) & ~511ull;
		if (a > len)
			a = len;
		t->v[0] = (struct iovec){ t->mem + mis, a };
		t->v[1] = (struct iovec){ t->mem + mis + a, len - a };
		t->r.iov = t->v;
		t->r.niov = 2;
	}
}

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* The same random batches on (a, qa) and (b, qb); every read is checked against ref. */
static void mix(struct disk *a, struct disk_aio *qa, struct disk *b, struct disk_aio *qb,
                uint8_t *ref, int batches, uint64_t seed)
{
	int ca = 0, cb = 0;
	for (int n = 0; n < batches; n++) {
		struct treq ta[12], tb[12];
		int slots[12], k = 0;
		for (int i = 0; i < 12; i++) { /* distinct slots */
			int s = (int)(rnd(&seed) % NSLOT), dup = 0;
			for (int j = 0; j < k; j++)
				dup |= slots[j] == s;
			if (!dup)
				slots[k++] = s;
		}
		for (int i = 0; i < k; i++) {
			uint64_t base = (uint64_t)slots[i] * SLOT, x = rnd(&seed) % 100;
			uint64_t len = (1 + rnd(&seed) % (SLOT / 512)) * 512;
			uint64_t off = base + (rnd(&seed) % ((SLOT - len) / 512 + 1)) * 512;
			enum disk_op op = x < 40 ? DISK_OP_READ : x < 80 ? DISK_OP_WRITE
			                        : x < 88 ? DISK_OP_WRITE_ZEROES : x < 94 ? DISK_OP_DISCARD
			                                                         : DISK_OP_FLUSH;
			if (op == DISK_OP_DISCARD) /* whole clusters: both formats then read zeros */
				off = base, len = SLOT;
			size_t mis = rnd(&seed) % 3 == 0 ? 8 : 0;
			prep(&ta[i], &ca, op, off, len, mis);
			prep(&tb[i], &cb, op, off, len, 0);
			ta[i].r.may_unmap = tb[i].r.may_unmap = rnd(&seed) & 1;
			if (op == DISK_OP_WRITE) {
				dt_pattern(ta[i].mem + mis, len, rnd(&seed));
				memcpy(tb[i].mem, ta[i].mem + mis, len);
				memcpy(ref + off, tb[i].mem, len);
			} else if (op == DISK_OP_WRITE_ZEROES || op == DISK_OP_DISCARD) {
				memset(ref + off, 0, len);
			}
		}
		/* ref already holds this batch's writes: reads only touch their own slots */
		for (int i = 0; i < k; i++) {
			disk_aio_submit(qa, a, &ta[i].r);
			disk_aio_submit(qb, b, &tb[i].r);
		}
		disk_aio_kick(qa);
		disk_aio_kick(qb);
		disk_aio_drain(qa);
		disk_aio_drain(qb);
		ck_assert_uint_eq(disk_aio_inflight(qa), 0);
		for (int i = 0; i < k; i++) {
			ck_assert_int_ne(ta[i].order, 0);
			ck_assert_int_ne(tb[i].order, 0);
			ck_assert_int_eq(ta[i].ret, 0);
			ck_assert_int_eq(tb[i].ret, 0);
			if (ta[i].r.op == DISK_OP_READ) {
				size_t mis = (size_t)((uint8_t *)ta[i].v[0].iov_base - ta[i].mem);
				ck_assert_int_eq(memcmp(ta[i].mem + mis, ref + ta[i].r.off, ta[i].r.len), 0);
				ck_assert_int_eq(memcmp(tb[i].mem, ref + tb[i].r.off, tb[i].r.len), 0);
			}
			free(ta[i].mem);
			free(tb[i].mem);
		}
	}
}

static void assert_contents(struct disk *d, const uint8_t *ref)
{
	uint8_t *buf = malloc(DSIZE);
	ck_assert_int_eq(disk_read(d, 0, buf, DSIZE), 0);
	ck_assert_int_eq(memcmp(buf, ref, DSIZE), 0);
	free(buf);
}

static void run_mix(enum disk_format f, enum disk_cache cache)
{
	char pa[128], pb[128], pr[128], cmd[512];
	const char *fmt = f == DISK_FMT_RAW ? "raw" : "qcow2";
	ck_assert_int_eq(dt_create(dt_path(pa, "a.img"), f, DSIZE, 0, NULL, 0), 0);
	ck_assert_int_eq(dt_create(dt_path(pb, "b.img"), f, DSIZE, 0, NULL, 0), 0);
	struct disk *a = open_opts(pa, f, cache), *b = open_opts(pb, f, DISK_CACHE_UNSAFE);
	struct disk_aio *qa = mk_aio(false, 32), *qb = mk_aio(true, 32);
	uint8_t *ref = calloc(1, DSIZE);
	mix(a, qa, b, qb, ref, 60, f * 31 + cache);
	/* overwrites in place are what qcow2 sends to the ring; raw sends everything */
	ck_assert_uint_gt(disk_aio_peak(qa), 1);
	ck_assert_uint_eq(disk_aio_peak(qb), 0);
	disk_aio_destroy(qa);
	disk_aio_destroy(qb);
	assert_contents(a, ref);
	assert_contents(b, ref);
	disk_close(a);
	disk_close(b);
	int fd = open(dt_path(pr, "ref.raw"), O_WRONLY | O_CREAT, 0644);
	ck_assert_int_eq(write(fd, ref, DSIZE), (ssize_t)DSIZE);
	close(fd);
	free(ref);
	/* the peer tool agrees: a clean image, holding exactly the reference */
	if (f == DISK_FMT_QCOW2) {
		snprintf(cmd, sizeof(cmd), "qemu-img check -q '%s'", pa);
		ck_assert_int_eq(system(cmd), 0);
	}
	snprintf(cmd, sizeof(cmd), "qemu-img compare -q -f %s -F raw '%s' '%s'", fmt, pa, pr);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(mix_raw) { run_mix(DISK_FMT_RAW, DISK_CACHE_UNSAFE); }
END_TEST
START_TEST(mix_raw_direct) { run_mix(DISK_FMT_RAW, DISK_CACHE_NONE); }
END_TEST
START_TEST(mix_qcow2) { run_mix(DISK_FMT_QCOW2, DISK_CACHE_WRITEBACK); }
END_TEST
START_TEST(mix_qcow2_direct) { run_mix(DISK_FMT_QCOW2, DISK_CACHE_NONE); }
END_TEST

/* Sixteen reads go to the kernel in one kick, are all in flight, and signal the eventfd. */
START_TEST(many_in_flight)
{
	char p[128];
	ck_assert_int_eq(dt_create(dt_path(p, "r.raw"), DISK_FMT_RAW, MiB, 0, NULL, 0), 0);
	struct disk *d = open_opts(p, DISK_FMT_RAW, DISK_CACHE_WRITEBACK);
	struct disk_aio *q = mk_aio(false, 8); /* fewer slots than requests: the rest wait inside */
	int c = 0;
	struct treq t[16];
	for (int i = 0; i < 16; i++)
		prep(&t[i], &c, DISK_OP_READ, (uint64_t)i * 4096, 4096, 0);
	for (int i = 0; i < 16; i++)
		disk_aio_submit(q, d, &t[i].r);
	ck_assert_int_eq(c, 0); /* nothing completes before the kick */
	ck_assert_uint_eq(disk_aio_inflight(q), 16);
	disk_aio_kick(q);
	struct pollfd pf = { .fd = disk_aio_fd(q), .events = POLLIN };
	ck_assert_int_ge(pf.fd, 0);
	unsigned got = 0;
	while (got < 16) {
		ck_assert_int_eq(poll(&pf, 1, 5000), 1);
		got += disk_aio_complete(q);
	}
	ck_assert_uint_eq(disk_aio_inflight(q), 0);
	ck_assert_uint_eq(disk_aio_peak(q), 8);
	for (int i = 0; i < 16; i++) {
		ck_assert_int_eq(t[i].ret, 0);
		free(t[i].mem);
	}
	disk_aio_destroy(q);
	disk_close(d);
}
END_TEST

/* A qcow2 read of an unallocated cluster completes inside submit, before an earlier read that
 * went to the ring; a flush waits for the write before it, not for a later read. */
START_TEST(out_of_order_and_flush)
{
	char p[128];
	ck_assert_int_eq(dt_create(dt_path(p, "q.qcow2"), DISK_FMT_QCOW2, MiB, 0, NULL, 0), 0);
	/* unsafe: a flush has no fsync to wait for, so only the hold-back can delay it */
	struct disk *d = open_opts(p, DISK_FMT_QCOW2, DISK_CACHE_UNSAFE);
	uint8_t pat[4096];
	dt_pattern(pat, sizeof(pat), 5);
	ck_assert_int_eq(disk_write(d, 0, pat, sizeof(pat)), 0);
	struct disk_aio *q = mk_aio(false, 16);
	int c = 0;
	struct treq t[5];
	prep(&t[0], &c, DISK_OP_READ, 0, 4096, 0);         /* allocated: the ring */
	prep(&t[1], &c, DISK_OP_READ, 512 * 1024, 4096, 0); /* unallocated: zeros, at once */
	prep(&t[2], &c, DISK_OP_WRITE, 8192, 4096, 0);       /* in place: the ring */
	prep(&t[3], &c, DISK_OP_FLUSH, 0, 0, 0);
	prep(&t[4], &c, DISK_OP_READ, 4096, 4096, 0);
	dt_pattern(t[2].mem, 4096, 9);
	for (int i = 0; i < 5; i++)
		disk_aio_submit(q, d, &t[i].r);
	ck_assert_int_eq(t[1].order, 1);
	ck_assert_int_eq(t[0].order, 0);
	ck_assert_int_eq(t[3].order, 0); /* held: the write is not done */
	disk_aio_kick(q);
	disk_aio_drain(q);
	ck_assert_int_gt(t[3].order, t[2].order);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(t[i].ret, 0);
	ck_assert_int_eq(memcmp(t[0].mem, pat, 4096), 0);
	uint8_t z[4096] = { 0 }, back[4096];
	ck_assert_int_eq(memcmp(t[1].mem, z, 4096), 0);
	ck_assert_int_eq(memcmp(t[4].mem, z, 4096), 0);
	ck_assert_int_eq(disk_read(d, 8192, back, 4096), 0);
	ck_assert_int_eq(memcmp(back, t[2].mem, 4096), 0);
	for (int i = 0; i < 5; i++)
		free(t[i].mem);
	disk_aio_destroy(q);
	disk_close(d);
}
END_TEST

/* A cluster discarded and freed while a read of it is queued is not reused before that read. */
START_TEST(qcow2_pinned_cluster_not_reused)
{
	char p[128];
	ck_assert_int_eq(dt_create(dt_path(p, "q.qcow2"), DISK_FMT_QCOW2, MiB, 0, NULL, 0), 0);
	struct disk *d = open_opts(p, DISK_FMT_QCOW2, DISK_CACHE_WRITEBACK);
	uint8_t old[SLOT], neu[SLOT];
	dt_pattern(old, SLOT, 1);
	dt_pattern(neu, SLOT, 2);
	ck_assert_int_eq(disk_write(d, 0, old, SLOT), 0);
	struct disk_aio *q = mk_aio(false, 4);
	int c = 0;
	struct treq t;
	prep(&t, &c, DISK_OP_READ, 0, SLOT, 0);
	disk_aio_submit(q, d, &t.r); /* mapped and pinned, not yet in the kernel */
	ck_assert_int_eq(disk_discard(d, 0, SLOT), 0);
	ck_assert_int_eq(disk_flush(d), 0); /* applies deferred frees */
	ck_assert_int_eq(disk_write(d, SLOT, neu, SLOT), 0); /* allocates a cluster */
	disk_aio_kick(q);
	disk_aio_drain(q);
	ck_assert_int_eq(t.ret, 0);
	ck_assert_int_eq(memcmp(t.mem, old, SLOT), 0);
	free(t.mem);
	disk_aio_destroy(q);
	struct qcow2_check_result res;
	ck_assert_int_eq(disk_flush(d), 0);
	ck_assert_int_eq(qcow2_check(d, 0, &res), 0);
	ck_assert_uint_eq(res.corruptions + res.leaks, 0);
	disk_close(d);
}
END_TEST

static void *snap_thread(void *arg)
{
	return (void *)(intptr_t)qcow2_snapshot_create(arg, "s1");
}

/* A snapshot waits for data I/O in flight to the clusters it will share. */
START_TEST(qcow2_snapshot_waits)
{
	char p[128];
	ck_assert_int_eq(dt_create(dt_path(p, "q.qcow2"), DISK_FMT_QCOW2, MiB, 0, NULL, 0), 0);
	struct disk *d = open_opts(p, DISK_FMT_QCOW2, DISK_CACHE_UNSAFE);
	uint8_t buf[4096] = { 1 };
	ck_assert_int_eq(disk_write(d, 0, buf, sizeof(buf)), 0);
	struct disk_aio *q = mk_aio(false, 4);
	int c = 0;
	struct treq t;
	prep(&t, &c, DISK_OP_WRITE, 0, 4096, 0);
	memset(t.mem, 7, 4096);
	disk_aio_submit(q, d, &t.r);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, snap_thread, d), 0);
	usleep(100 * 1000);
	void *ret;
	ck_assert_int_eq(pthread_tryjoin_np(th, &ret), EBUSY);
	disk_aio_kick(q);
	disk_aio_drain(q);
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	struct qcow2_info info;
	ck_assert_int_eq((int)(intptr_t)ret, 0);
	ck_assert_int_eq(qcow2_get_info(d, &info), 0);
	ck_assert_int_eq(info.nb_snapshots, 1);
	free(t.mem);
	disk_aio_destroy(q);
	disk_close(d);
}
END_TEST

/* A read that meets the end of the file (shorter than the disk) gets the rest as zeros, after
 * the short transfer before it, buffered and O_DIRECT. */
START_TEST(read_past_eof_zeros)
{
	char p[128];
	for (int direct = 0; direct < 2; direct++) {
		ck_assert_int_eq(dt_create(dt_path(p, "r.raw"), DISK_FMT_RAW, MiB, 0, NULL, 0), 0);
		struct disk *d = open_opts(p, DISK_FMT_RAW, direct ? DISK_CACHE_NONE : DISK_CACHE_UNSAFE);
		uint8_t pat[8192];
		dt_pattern(pat, sizeof(pat), 4);
		ck_assert_int_eq(disk_write(d, 0, pat, sizeof(pat)), 0);
		ck_assert_int_eq(truncate(p, 6000), 0); /* behind the disk's back */
		struct disk_aio *q = mk_aio(false, 4);
		int c = 0;
		struct treq t;
		prep(&t, &c, DISK_OP_READ, 4096, 8192, 0);
		memset(t.mem, 0xff, 8192);
		disk_aio_submit(q, d, &t.r);
		disk_aio_kick(q);
		disk_aio_drain(q);
		ck_assert_int_eq(t.ret, 0);
		ck_assert_int_eq(memcmp(t.mem, pat + 4096, 6000 - 4096), 0);
		for (size_t i = 6000 - 4096; i < 8192; i++)
			ck_assert_uint_eq(t.mem[i], 0);
		free(t.mem);
		disk_aio_destroy(q);
		disk_close(d);
	}
}
END_TEST

/* KVMINI_AIO=sync: every request done inside submit (the fd never wakes), checks as on the ring. */
START_TEST(sync_fallback)
{
	char p[128];
	ck_assert_int_eq(dt_create(dt_path(p, "r.raw"), DISK_FMT_RAW, MiB, 0, NULL, 0), 0);
	struct disk *d = open_opts(p, DISK_FMT_RAW, DISK_CACHE_UNSAFE);
	for (int sync = 1; sync >= 0; sync--) {
		struct disk_aio *q = mk_aio(sync, 4);
		ck_assert_int_ge(disk_aio_fd(q), 0);
		ck_assert_str_eq(disk_aio_backend(q), sync ? "sync" : "io_uring");
		int c = 0;
		struct treq t[3];
		prep(&t[0], &c, DISK_OP_WRITE, 4096, 4096, 0);
		prep(&t[1], &c, DISK_OP_READ, MiB - 512, 4096, 0); /* past the end */
		prep(&t[2], &c, DISK_OP_DISCARD, 0, 2 * MiB, 0);
		for (int i = 0; i < 3; i++)
			disk_aio_submit(q, d, &t[i].r);
		ck_assert_int_eq(t[0].order == 1, sync);
		ck_assert_int_eq(disk_aio_inflight(q), sync ? 0 : 1);
		disk_aio_kick(q);
		disk_aio_drain(q);
		struct pollfd pf = { .fd = disk_aio_fd(q), .events = POLLIN };
		if (sync) /* nothing ever wakes it (the ring may leave a stale count after a drain) */
			ck_assert_int_eq(poll(&pf, 1, 0), 0);
		ck_assert_int_eq(t[0].ret, 0);
		ck_assert_int_eq(t[1].ret, -EINVAL);
		ck_assert_int_eq(t[2].ret, -EINVAL);
		for (int i = 0; i < 3; i++)
			free(t[i].mem);
		disk_aio_destroy(q);
	}
	disk_close(d);
	d = dt_open(p, DISK_FMT_RAW, true);
	struct disk_aio *q = mk_aio(false, 4);
	int c = 0;
	struct treq t;
	prep(&t, &c, DISK_OP_WRITE, 0, 512, 0);
	disk_aio_submit(q, d, &t.r);
	ck_assert_int_eq(t.ret, -EROFS);
	free(t.mem);
	disk_aio_destroy(q);
	disk_close(d);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("disk_aio");
	TCase *t = tcase_create("disk_aio");
	tcase_add_checked_fixture(t, dt_setup, dt_teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, mix_raw);
	tcase_add_test(t, mix_raw_direct);
	tcase_add_test(t, mix_qcow2);
	tcase_add_test(t, mix_qcow2_direct);
	tcase_add_test(t, many_in_flight);
	tcase_add_test(t, out_of_order_and_flush);
	tcase_add_test(t, qcow2_pinned_cluster_not_reused);
	tcase_add_test(t, qcow2_snapshot_waits);
	tcase_add_test(t, read_past_eof_zeros);
	tcase_add_test(t, sync_fallback);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
