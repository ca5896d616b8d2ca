// SPDX-License-Identifier: GPL-2.0-or-later
/* The NBD disk against a real server (nbdkit, else qemu-nbd) serving a scratch file on a Unix
 * socket: reads, writes, flush, trim and zeroing through the synchronous calls and through disk_aio
 * (both backends), checked in the file itself; many requests in flight at once; a server killed
 * with requests pending fails them with -EIO, and everything after; a drain gives a silent server
 * up; closing never waits for one; read-only exports; the URIs
 * kvmini refuses. Every wait is bounded. */
#include "unit.h"
#include "disk_test.h"
#include "devices/disk/aio.h"
#include "vmm/machine_disk.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define MiB (1024 * 1024ull)
#define DSIZE (4 * MiB)
#define NREQ 256

struct srv {
	pid_t pid;
	char sock[96], file[96], uri[160];
};

static bool have(const char *tool)
{
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The scratch file with a known pattern, served read-write (or not); false if no server exists. */
static bool srv_start(struct srv *s, bool ro)
{
	bool kit = have("nbdkit");
	if (!kit && !have("qemu-nbd"))
		return false;
	dt_path(s->sock, "nbd.sock");
	dt_path(s->file, "served.img");
	char pidf[96];
	dt_path(pidf, "nbd.pid");
	unlink(pidf);
	int fd = open(s->file, O_CREAT | O_TRUNC | O_RDWR, 0600);
	ck_assert_int_ge(fd, 0);
	uint8_t *b = malloc(DSIZE);
	dt_pattern(b, DSIZE, 1);
	ck_assert_int_eq(pwrite(fd, b, DSIZE, 0), (ssize_t)DSIZE);
	free(b);
	close(fd);
	snprintf(s->uri, sizeof(s->uri), "nbd+unix:///?socket=%s", s->sock);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		char f[120];
		snprintf(f, sizeof(f), "file=%s", s->file);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		if (kit)
			execlp("nbdkit", "nbdkit", "--exit-with-parent", "-f", "-U", s->sock, "-P", pidf,
			       ro ? "-r" : "-n", "file", f, (char *)NULL);
		else
			execlp("qemu-nbd", "qemu-nbd", "-f", "raw", "-k", s->sock, "--pid-file", pidf, "-t",
			       "-e", "8", "--discard=unmap", ro ? "-r" : "-n", s->file, (char *)NULL);
		_exit(127);
	}
	/* both write the pid file once they listen */
	for (int64_t end = now_ms() + 10000; access(pidf, F_OK); usleep(10000))
		ck_assert_msg(now_ms() < end, "the NBD server did not start");
	return true;
}

static void srv_stop(struct srv *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

/* SIGSTOP takes effect when the server is next scheduled: wait until it is stopped. */
static void srv_pause(const struct srv *s)
{
	char path[64], st[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)s->pid);
	kill(s->pid, SIGSTOP);
	for (int64_t end = now_ms() + 5000;; usleep(1000)) {
		FILE *f = fopen(path, "r");
		ck_assert_ptr_nonnull(f);
		size_t n = fread(st, 1, sizeof(st) - 1, f);
		fclose(f);
		st[n] = 0;
		const char *paren = strrchr(st, ')'); /* "pid (comm) STATE ..." */
		if (paren && paren[1] == ' ' && paren[2] == 'T')
			return;
		ck_assert_msg(now_ms() < end, "the NBD server did not stop");
	}
}

static struct disk *open_uri(const char *uri, bool ro)
{
	struct disk_opts o = { .read_only = ro };
	struct disk *d = NULL;
	const char *why = NULL;
	int r = disk_open(&d, uri, &o, &why);
	ck_assert_msg(r == 0, "open %s: %s", uri, why ? why : strerror(-r));
	return d;
}

static void file_read(const struct srv *s, void *buf, size_t len, uint64_t off)
{
	int fd = open(s->file, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static bool all_zero(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

#define SKIP_NO_SERVER(name, s, ro)                                                       \
	do {                                                                                  \
		if (!srv_start(s, ro))                                                            \
			UNIT_SKIP(name, "neither nbdkit nor qemu-nbd is installed");                  \
	} while (0)

START_TEST(sync_ops)
{
	struct srv s;
	SKIP_NO_SERVER("nbd/sync_ops", &s, false);
	struct disk *d = open_uri(s.uri, false);
	ck_assert_uint_eq(d->size, DSIZE);
	ck_assert_str_eq(d->format, "raw");
	ck_assert(!d->read_only);
	uint8_t *want = malloc(DSIZE), *got = malloc(DSIZE);
	dt_pattern(want, DSIZE, 1);
	ck_assert_int_eq(disk_read(d, 100 * 1024 + 7, got, 65536), 0);
	ck_assert_mem_eq(got, want + 100 * 1024 + 7, 65536);
	/* two segments, an odd offset: one command each */
	uint8_t w[3000];
	dt_pattern(w, sizeof(w), 99);
	struct iovec v[2] = { { w, 1000 }, { w + 1000, 2000 } };
	ck_assert_int_eq(disk_writev(d, MiB + 3, v, 2), 0);
	ck_assert_int_eq(disk_flush(d), 0);
	file_read(&s, got, sizeof(w), MiB + 3);
	ck_assert_mem_eq(got, w, sizeof(w));
	ck_assert_int_eq(disk_write_zeroes(d, 2 * MiB, 65536, false), 0);
	ck_assert_int_eq(disk_discard(d, 3 * MiB, MiB), 0);
	file_read(&s, got, 65536, 2 * MiB);
	ck_assert(all_zero(got, 65536));
	file_read(&s, got, MiB, 3 * MiB); /* the server punches a hole: zeros */
	ck_assert(all_zero(got, MiB));
	ck_assert_int_eq(disk_read(d, DSIZE - 512, got, 1024), -EINVAL); /* past the end */
	free(want);
	free(got);
	disk_close(d);
	srv_stop(&s);
}
END_TEST

struct treq {
	struct disk_req r;
	struct iovec v[2];
	uint8_t *mem;
	int ret;
	bool done;
};

static void tdone(struct disk_req *r, int ret)
{
	struct treq *t = (struct treq *)r;
	ck_assert(!t->done); /* exactly one done per submit */
	t->ret = ret;
	t->done = true;
}

static void prep(struct treq *t, enum disk_op op, uint64_t off, uint64_t len)
{
	memset(t, 0, sizeof(*t));
	t->r.op = op;
	t->r.off = off;
	t->r.len = len;
	t->r.done = tdone;
	if (op == DISK_OP_READ || op == DISK_OP_WRITE) { /* two pieces: the bounced path */
		t->mem = calloc(1, len);
		t->v[0] = (struct iovec){ t->mem, len / 3 };
		t->v[1] = (struct iovec){ t->mem + len / 3, len - len / 3 };
		t->r.iov = t->v;
		t->r.niov = 2;
	}
}

/* Runs completions as the I/O thread would until all n are done; false after ms. */
static bool wait_all(struct disk_aio *q, struct treq *t, int n, int ms)
{
	int64_t end = now_ms() + ms;
	disk_aio_kick(q);
	for (;;) {
		int left = 0;
		for (int i = 0; i < n; i++)
			left += !t[i].done;
		if (!left)
			return true;
		int64_t rest = end - now_ms();
		if (rest <= 0)
			return false;
		struct pollfd p = { .fd = disk_aio_fd(q), .events = POLLIN };
		if (poll(&p, 1, (int)rest) == 1)
			disk_aio_complete(q);
	}
}

static struct disk_aio *mk_aio(bool sync)
{
	struct disk_aio *q;
	if (sync)
		setenv("KVMINI_AIO", "sync", 1);
	ck_assert_int_eq(disk_aio_create(&q, NREQ), 0);
	unsetenv("KVMINI_AIO");
	return q;
}

/* Both backends: NBD requests are asynchronous either way. */
START_TEST(aio_ops)
{
	struct srv s;
	SKIP_NO_SERVER("nbd/aio_ops", &s, false);
	struct disk *d = open_uri(s.uri, false);
	uint8_t *want = malloc(DSIZE), *got = malloc(DSIZE);
	dt_pattern(want, DSIZE, 1);
	for (int sync = 0; sync <= 1; sync++) {
		struct disk_aio *q = mk_aio(sync);
		struct treq t[5];
		uint64_t woff = MiB + 512 * (uint64_t)sync;
		prep(&t[0], DISK_OP_READ, 12345, 70000);
		prep(&t[1], DISK_OP_WRITE, woff, 40960);
		dt_pattern(t[1].mem, 40960, 7 + sync);
		prep(&t[2], DISK_OP_WRITE_ZEROES, 2 * MiB, 8192);
		prep(&t[3], DISK_OP_DISCARD, 3 * MiB, 65536);
		prep(&t[4], DISK_OP_FLUSH, 0, 0); /* after the three writes (disk_aio holds it) */
		for (int i = 0; i < 5; i++)
			disk_aio_submit(q, d, &t[i].r);
		ck_assert(wait_all(q, t, 5, 10000));
		for (int i = 0; i < 5; i++)
			ck_assert_int_eq(t[i].ret, 0);
		ck_assert_mem_eq(t[0].mem, want + 12345, 70000);
		file_read(&s, got, 40960, woff);
		ck_assert_mem_eq(got, t[1].mem, 40960);
		file_read(&s, got, 8192, 2 * MiB);
		ck_assert(all_zero(got, 8192));
		file_read(&s, got, 65536, 3 * MiB);
		ck_assert(all_zero(got, 65536));
		for (int i = 0; i < 5; i++)
			free(t[i].mem);
		disk_aio_destroy(q);
	}
	free(want);
	free(got);
	disk_close(d);
	srv_stop(&s);
}
END_TEST

/* NREQ writes go out before any reply is read: all of them are in flight together. */
START_TEST(many_in_flight)
{
	struct srv s;
	SKIP_NO_SERVER("nbd/many_in_flight", &s, false);
	struct disk *d = open_uri(s.uri, false);
	struct disk_aio *q = mk_aio(false);
	static struct treq t[NREQ];
	const uint64_t len = 8192;
	for (int i = 0; i < NREQ; i++) {
		prep(&t[i], DISK_OP_WRITE, (uint64_t)i * len * 2, len);
		dt_pattern(t[i].mem, len, 1000 + (uint64_t)i);
		disk_aio_submit(q, d, &t[i].r);
	}
	ck_assert_uint_eq(disk_aio_inflight(q), NREQ);
	ck_assert(wait_all(q, t, NREQ, 20000));
	uint8_t got[8192];
	for (int i = 0; i < NREQ; i++) {
		ck_assert_int_eq(t[i].ret, 0);
		file_read(&s, got, len, (uint64_t)i * len * 2);
		ck_assert_mem_eq(got, t[i].mem, len);
		free(t[i].mem);
	}
	disk_aio_destroy(q);
	disk_close(d);
	srv_stop(&s);
}
END_TEST

/* The server stops answering, then dies: everything pending fails with -EIO, quickly; so does
 * everything after, on both paths. */
START_TEST(server_killed)
{
	struct srv s;
	SKIP_NO_SERVER("nbd/server_killed", &s, false);
	struct disk *d = open_uri(s.uri, false);
	struct disk_aio *q = mk_aio(false);
	static struct treq t[65];
	srv_pause(&s);
	for (int i = 0; i < 64; i++) {
		prep(&t[i], i % 2 ? DISK_OP_READ : DISK_OP_WRITE, (uint64_t)i * 65536, 65536);
		disk_aio_submit(q, d, &t[i].r);
	}
	prep(&t[64], DISK_OP_FLUSH, 0, 0);
	disk_aio_submit(q, d, &t[64].r);
	ck_assert(!wait_all(q, t, 65, 200)); /* a stopped server answers nothing */
	ck_assert_uint_eq(disk_aio_inflight(q), 65);
	int64_t t0 = now_ms();
	srv_stop(&s);
	ck_assert(wait_all(q, t, 65, 5000));
	ck_assert_int_lt(now_ms() - t0, 5000);
	for (int i = 0; i < 65; i++) {
		ck_assert_int_eq(t[i].ret, -EIO);
		free(t[i].mem);
	}
	struct treq later[2];
	prep(&later[0], DISK_OP_READ, 0, 4096);
	prep(&later[1], DISK_OP_FLUSH, 0, 0);
	for (int i = 0; i < 2; i++) {
		disk_aio_submit(q, d, &later[i].r);
		ck_assert(later[i].done); /* refused inside submit: nothing to wait for */
		ck_assert_int_eq(later[i].ret, -EIO);
		free(later[i].mem);
	}
	uint8_t b[512];
	ck_assert_int_eq(disk_read(d, 0, b, sizeof(b)), -EIO);
	ck_assert_int_eq(disk_flush(d), -EIO);
	disk_aio_destroy(q);
	disk_close(d);
}
END_TEST

/* A connection lost while idle is noticed from the fd alone, and the next request fails. */
START_TEST(server_killed_idle)
{
	struct srv s;
	SKIP_NO_SERVER("nbd/server_killed_idle", &s, false);
	struct disk *d = open_uri(s.uri, false);
	struct disk_aio *q = mk_aio(true);
	struct treq t;
	prep(&t, DISK_OP_READ, 0, 4096);
	disk_aio_submit(q, d, &t.r);
	ck_assert(wait_all(q, &t, 1, 5000));
	ck_assert_int_eq(t.ret, 0);
	free(t.mem);
	srv_stop(&s);
	struct pollfd p = { .fd = disk_aio_fd(q), .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	disk_aio_complete(q);
	ck_assert_int_eq(poll(&p, 1, 0), 0); /* the dead socket is no longer watched */
	prep(&t, DISK_OP_WRITE, 0, 4096);
	disk_aio_submit(q, d, &t.r);
	ck_assert(t.done);
	ck_assert_int_eq(t.ret, -EIO);
	free(t.mem);
	disk_aio_destroy(q);
	disk_close(d);
}
END_TEST

/* A drain (device reset) gives up on a server that answers nothing: no hang, -EIO for all. */
START_TEST(drain_stalled_server)
{
	struct srv s;
	SKIP_NO_SERVER("nbd/drain_stalled_server", &s, false);
	struct disk *d = open_uri(s.uri, false);
	struct disk_aio *q = mk_aio(false);
	disk_aio_set_stall(q, 300);
	struct treq t[8];
	srv_pause(&s);
	for (int i = 0; i < 8; i++) {
		prep(&t[i], DISK_OP_READ, (uint64_t)i * 4096, 4096);
		disk_aio_submit(q, d, &t[i].r);
	}
	disk_aio_kick(q);
	int64_t t0 = now_ms();
	ck_assert_uint_eq(disk_aio_drain(q), 8);
	ck_assert_int_lt(now_ms() - t0, 3000);
	for (int i = 0; i < 8; i++) {
		ck_assert(t[i].done);
		ck_assert_int_eq(t[i].ret, -EIO);
		free(t[i].mem);
	}
	disk_aio_destroy(q);
	disk_close(d);
	srv_stop(&s);
}
END_TEST

/* Closing never waits for a server that stopped answering. */
START_TEST(close_stopped_server)
{
	struct srv s;
	SKIP_NO_SERVER("nbd/close_stopped_server", &s, false);
	struct disk *d = open_uri(s.uri, false);
	srv_pause(&s);
	int64_t t0 = now_ms();
	disk_close(d);
	ck_assert_int_lt(now_ms() - t0, 2000);
	srv_stop(&s);
}
END_TEST

START_TEST(read_only_export)
{
	struct srv s;
	SKIP_NO_SERVER("nbd/read_only_export", &s, true);
	struct disk *d = open_uri(s.uri, false);
	ck_assert(d->read_only);
	uint8_t b[4096], want[4096];
	dt_pattern(want, DSIZE < sizeof(want) ? DSIZE : sizeof(want), 1);
	ck_assert_int_eq(disk_write(d, 0, b, sizeof(b)), -EROFS);
	ck_assert_int_eq(disk_discard(d, 0, 4096), -EROFS);
	struct disk_aio *q = mk_aio(false);
	struct treq t[2];
	prep(&t[0], DISK_OP_WRITE, 0, 4096);
	prep(&t[1], DISK_OP_READ, 0, 4096);
	for (int i = 0; i < 2; i++)
		disk_aio_submit(q, d, &t[i].r);
	ck_assert(wait_all(q, t, 2, 5000));
	ck_assert_int_eq(t[0].ret, -EROFS);
	ck_assert_int_eq(t[1].ret, 0);
	ck_assert_mem_eq(t[1].mem, want, 4096);
	file_read(&s, b, sizeof(b), 0);
	ck_assert_mem_eq(b, want, sizeof(b));
	for (int i = 0; i < 2; i++)
		free(t[i].mem);
	disk_aio_destroy(q);
	disk_close(d);
	srv_stop(&s);
}
END_TEST

START_TEST(uris)
{
	static const char *const ok[] = { "nbd://host/export", "nbd://10.0.0.1:10809/",
		                              "nbd://[::1]:10809/e", "nbd+unix:///e?socket=/run/s.sock",
		                              "nbd+unix:///?socket=/s&x=1", NULL };
	static const char *const bad[] = { "nbds://host/e", "nbd+vsock:///1", "nbds+unix:///e?socket=/s",
		                               "http://host/e", "NBD://host/e", "nbd:///e",
		                               "nbd+unix:///e", "nbd+unix://host/e?socket=/s",
		                               "nbd://host/e x", "nbd://host/e\n", NULL };
	const char *why;
	for (int i = 0; ok[i]; i++)
		ck_assert_msg(disk_nbd_uri(ok[i], &why) == 1, "%s", ok[i]);
	ck_assert_int_eq(disk_nbd_uri("/var/lib/disk.img", &why), 0);
	ck_assert_int_eq(disk_nbd_uri("C:disk", &why), 0);
	ck_assert_int_eq(disk_nbd_uri("dir/nbd://x", &why), 0);
	for (int i = 0; bad[i]; i++) {
		why = NULL;
		ck_assert_msg(disk_nbd_uri(bad[i], &why) == -EINVAL, "%s", bad[i]);
		ck_assert_ptr_nonnull(why);
		ck_assert_ptr_null(strchr(why, '\n'));
	}
	/* --disk: one line, and qcow2 is not offered over NBD */
	static struct disk_spec ds;
	char err[256];
	ck_assert_int_eq(disk_spec_parse("nbds://h/e,readonly", &ds, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "unsupported URI"));
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_int_eq(disk_spec_parse("nbd://h/e,format=qcow2", &ds, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(disk_spec_parse("nbd://h:10809/e,readonly", &ds, err, sizeof(err)), 0);
	ck_assert_str_eq(ds.path, "nbd://h:10809/e");
	ck_assert(ds.opts.read_only);
	/* refused by disk_open too, and a socket nobody listens on fails at once */
	struct disk *d = NULL;
	ck_assert_int_eq(disk_open(&d, "nbd+vsock:///1", NULL, &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	char uri[128];
	snprintf(uri, sizeof(uri), "nbd+unix:///?socket=%s/none.sock", dt_dir);
	int64_t t0 = now_ms();
	ck_assert_int_eq(disk_open(&d, uri, NULL, &why), -ENOENT);
	ck_assert_int_lt(now_ms() - t0, 2000);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("nbd");
	TCase *t = tcase_create("nbd");
	tcase_add_checked_fixture(t, dt_setup, dt_teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, sync_ops);
	tcase_add_test(t, aio_ops);
	tcase_add_test(t, many_in_flight);
	tcase_add_test(t, server_killed);
	tcase_add_test(t, server_killed_idle);
	tcase_add_test(t, drain_stalled_server);
	tcase_add_test(t, close_stopped_server);
	tcase_add_test(t, read_only_export);
	tcase_add_test(t, uris);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
