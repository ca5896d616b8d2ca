// SPDX-License-Identifier: GPL-2.0-or-later
/* The console output buffer: order across wrap-around, drops counted when full, a reader that
 * stops costs bytes and never blocks the writer, a bounded flush at exit, a dead reader, the UART
 * feeding it from a "vCPU" while nobody reads, and concurrent writers against the drainer. */
#include "unit.h"
#include "devices/serial.h"
#include "firmware/layout.h"
#include "vmm/bus.h"
#include "vmm/console_out.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static uint8_t pat(uint64_t i) { return (uint8_t)(i + (i >> 8)); }

/* a pipe whose write end is non-blocking and holds one page */
static void small_pipe(int p[2])
{
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	ck_assert_int_eq(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	signal(SIGPIPE, SIG_IGN);
}

/* a console_out on a fresh small pipe, and its teardown */
static void open_out(int p[2], struct console_out *co, size_t cap)
{
	small_pipe(p);
	ck_assert_int_eq(console_out_init(co, p[1], cap), 0);
}

static void close_out(int p[2], struct console_out *co)
{
	console_out_destroy(co);
	close(p[0]);
	close(p[1]);
}

static size_t read_all(int fd, uint8_t *buf, size_t max)
{
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (got < max && poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		ssize_t n = read(fd, buf + got, max - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static int64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(order_across_wrap)
{
	int p[2];
	struct console_out co;
	open_out(p, &co, 100);
	struct pollfd w = { .fd = console_out_wake_fd(&co), .events = POLLIN };
	ck_assert_int_eq(poll(&w, 1, 0), 0); /* nothing yet */
	uint64_t sent = 0, recvd = 0;
	for (int round = 0; round < 50; round++) {
		uint8_t b[37], r[64];
		for (unsigned i = 0; i < sizeof(b); i++)
			b[i] = pat(sent + i);
		console_out_put(&co, b, sizeof(b));
		sent += sizeof(b);
		ck_assert_int_eq(poll(&w, 1, 0), 1); /* empty -> non-empty wakes the drainer */
		ck_assert_int_eq(console_out_drain(&co), 0);
		ck_assert_int_eq(poll(&w, 1, 0), 0); /* the drain consumed the wake-up */
		size_t n = read_all(p[0], r, sizeof(r));
		ck_assert_uint_eq(n, sizeof(b));
		for (size_t i = 0; i < n; i++, recvd++)
			ck_assert_uint_eq(r[i], pat(recvd));
	}
	uint64_t wr, dr;
	console_out_counts(&co, &wr, &dr);
	ck_assert_uint_eq(wr, sent);
	ck_assert_uint_eq(dr, 0);
	close_out(p, &co);
}
END_TEST

START_TEST(full_drops_and_counts)
{
	int p[2];
	struct console_out co;
	open_out(p, &co, 1000);
	static uint8_t big[1000];
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = pat(i);
	console_out_put(&co, big, 1000);
	console_out_put(&co, big, 1); /* full: dropped */
	uint64_t wr, dr;
	console_out_counts(&co, &wr, &dr);
	ck_assert_uint_eq(wr, 0);
	ck_assert_uint_eq(dr, 1);
	ck_assert_int_eq(console_out_drain(&co), 0);
	/* nobody reads: the pipe (4096) fills, then the buffer, then bytes are dropped, never waited for */
	int r = 0;
	for (int i = 0; i < 10; i++) {
		console_out_put(&co, big, 600);
		r = console_out_drain(&co);
	}
	ck_assert_int_eq(r, 1);
	console_out_counts(&co, &wr, &dr);
	ck_assert_uint_ge(wr, 4096 - 600); /* the pipe is full (writes up to a page are all-or-nothing) */
	ck_assert_uint_le(wr, 4096);
	ck_assert_uint_gt(dr, 1);
	uint64_t held = 1 + 7000 - wr - dr;
	ck_assert_uint_gt(held, 0);
	ck_assert_uint_le(held, 1000);
	/* what reached the pipe: the first put whole, then 600-byte puts in order */
	uint8_t got[4096];
	ck_assert_uint_eq(read_all(p[0], got, sizeof(got)), wr);
	for (unsigned i = 0; i < wr; i++)
		ck_assert_uint_eq(got[i], i < 1000 ? pat(i) : pat((i - 1000) % 600));
	/* read now: what was held goes out, nothing more is lost */
	ck_assert_int_eq(console_out_drain(&co), 0);
	uint64_t wr2, dr2;
	console_out_counts(&co, &wr2, &dr2);
	ck_assert_uint_eq(wr2, wr + held);
	ck_assert_uint_eq(dr2, dr);
	close_out(p, &co);
}
END_TEST

START_TEST(flush_is_bounded)
{
	int p[2];
	struct console_out co;
	open_out(p, &co, 8192);
	static uint8_t big[8192];
	console_out_put(&co, big, sizeof(big));
	int64_t t0 = ms_now();
	ck_assert_int_eq(console_out_flush(&co, 2000, 100), 1); /* nobody reads */
	int64_t dt = ms_now() - t0;
	ck_assert_int_ge(dt, 100);
	ck_assert_int_lt(dt, 1000); /* gave up after 100 ms without progress, not the whole budget */
	uint64_t wr, dr;
	console_out_counts(&co, &wr, &dr);
	ck_assert_uint_eq(wr, 4096);
	ck_assert_uint_eq(dr, 8192 - 4096);
	/* with a reader, everything goes out */
	uint8_t sink[8192];
	ck_assert_uint_eq(read_all(p[0], sink, sizeof(sink)), 4096);
	console_out_put(&co, big, 3000);
	ck_assert_int_eq(console_out_flush(&co, 2000, 100), 0);
	ck_assert_uint_eq(read_all(p[0], sink, sizeof(sink)), 3000);
	close_out(p, &co);
}
END_TEST

START_TEST(dead_reader)
{
	int p[2];
	small_pipe(p);
	close(p[0]);
	struct console_out co;
	ck_assert_int_eq(console_out_init(&co, p[1], 100), 0);
	console_out_put(&co, (const uint8_t *)"abc", 3);
	ck_assert_int_eq(console_out_drain(&co), -EPIPE);
	uint64_t wr, dr;
	console_out_counts(&co, &wr, &dr);
	ck_assert_uint_eq(wr, 0);
	ck_assert_uint_eq(dr, 3);
	console_out_put(&co, (const uint8_t *)"de", 2); /* still accepted, still lost */
	ck_assert_int_eq(console_out_drain(&co), -EPIPE);
	console_out_counts(&co, &wr, &dr);
	ck_assert_uint_eq(dr, 5);
	console_out_destroy(&co);
	close(p[1]);
}
END_TEST

/* The UART on a "vCPU" writing 1 MiB to an output nobody reads: every OUT returns at once. */
START_TEST(uart_never_waits)
{
	int p[2];
	struct console_out co;
	open_out(p, &co, 65536);
	struct bus pio;
	bus_init(&pio, "pio");
	struct serial *s;
	struct serial_config c = { .base = LAYOUT_COM1, .tx = console_out_put, .tx_opaque = &co };
	ck_assert_int_eq(serial_create(&s, &pio, &c), 0);
	const unsigned total = 1 << 20;
	for (unsigned i = 0; i < total; i++) {
		uint8_t b = pat(i);
		ck_assert_int_ge(bus_access(&pio, LAYOUT_COM1, &b, 1, 1), 0);
		if (i % 4096 == 0)
			console_out_drain(&co); /* the main loop runs now and then */
	}
	ck_assert_int_eq(console_out_flush(&co, 500, 50), 1);
	uint64_t wr, dr;
	console_out_counts(&co, &wr, &dr);
	ck_assert_uint_eq(wr, 4096);
	ck_assert_uint_eq(wr + dr, total);
	uint8_t got[4096];
	ck_assert_uint_eq(read_all(p[0], got, sizeof(got)), 4096);
	for (unsigned i = 0; i < 4096; i++)
		ck_assert_uint_eq(got[i], pat(i));
	serial_destroy(s);
	bus_destroy(&pio);
	close_out(p, &co);
}
END_TEST

/* Two producer threads against the drainer and a reader: every byte is either delivered or counted
 * as dropped, records are never split, and each producer's records arrive in its order. */
struct prod {
	struct console_out *co;
	uint8_t tag;
	unsigned n;
};

static void *producer(void *arg)
{
	struct prod *pr = arg;
	for (unsigned i = 0; i < pr->n; i++) {
		uint8_t rec[4] = { pr->tag, (uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16) };
		console_out_put(pr->co, rec, sizeof(rec));
	}
	return NULL;
}

struct reader {
	int fd;
	uint64_t got;
	int64_t last[2];
	int bad;
};

static void *reader(void *arg)
{
	struct reader *r = arg;
	uint8_t buf[4096];
	size_t have = 0;
	ssize_t n;
	r->last[0] = r->last[1] = -1;
	while ((n = read(r->fd, buf + have, sizeof(buf) - have)) > 0) {
		r->got += (uint64_t)n;
		have += (size_t)n;
		size_t i = 0;
		for (; i + 4 <= have; i += 4) {
			unsigned t = buf[i];
			int64_t seq = buf[i + 1] | buf[i + 2] << 8 | buf[i + 3] << 16;
			if (t > 1 || seq <= r->last[t])
				r->bad++;
			else
				r->last[t] = seq;
		}
		memmove(buf, buf + i, have - i);
		have -= i;
	}
	if (have)
		r->bad++;
	return NULL;
}

START_TEST(concurrent_producers)
{
	int p[2];
	struct console_out co;
	open_out(p, &co, 4096);
	struct reader rd = { .fd = p[0] };
	struct prod a = { &co, 0, 100000 }, b = { &co, 1, 100000 };
	pthread_t ta, tb, tr;
	ck_assert_int_eq(pthread_create(&tr, NULL, reader, &rd), 0);
	ck_assert_int_eq(pthread_create(&ta, NULL, producer, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, producer, &b), 0);
	int done = 0;
	struct pollfd w[2] = { { .fd = console_out_wake_fd(&co), .events = POLLIN }, { .fd = p[1] } };
	for (int joined = 0; !joined;) {
		w[1].events = done == 1 ? POLLOUT : 0;
		poll(w, 2, 10);
		done = console_out_drain(&co);
		if (pthread_tryjoin_np(ta, NULL) == 0) {
			ck_assert_int_eq(pthread_join(tb, NULL), 0);
			joined = 1;
		}
	}
	ck_assert_int_eq(console_out_flush(&co, 2000, 500), 0);
	close(p[1]);
	ck_assert_int_eq(pthread_join(tr, NULL), 0);
	uint64_t wr, dr;
	console_out_counts(&co, &wr, &dr);
	ck_assert_uint_eq(wr, rd.got);
	ck_assert_uint_eq(wr + dr, 800000);
	ck_assert_int_eq(rd.bad, 0);
	console_out_destroy(&co);
	close(p[0]);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("console_out");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, order_across_wrap);
	tcase_add_test(tc, full_drops_and_counts);
	tcase_add_test(tc, flush_is_bounded);
	tcase_add_test(tc, dead_reader);
	tcase_add_test(tc, uart_never_waits);
	tcase_add_test(tc, concurrent_producers);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
