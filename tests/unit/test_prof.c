// SPDX-License-Identifier: GPL-2.0-or-later
/* The exit profiler's parts: histogram maths on synthetic data, the record ring (drops counted),
 * the KVM binary-stats parser on a hand-made layout and on the real fd, the trace file written by
 * the writer and read back, and truncated or corrupt traces refused with one line. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <math.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/hist.h"
#include "vmm/kvmstats.h"
#include "vmm/prof.h"
#include "vmm/prof_thread.h"
#include "vmm/trace.h"

static struct hist *hist_new(void)
{
	struct hist *h = calloc(1, sizeof(*h));
	ck_assert_ptr_nonnull(h);
	return h;
}

START_TEST(hist_exact_below_64)
{
	struct hist *h = hist_new();
	for (uint64_t v = 1; v <= 50; v++)
		hist_add(h, v);
	ck_assert_uint_eq(h->count, 50);
	ck_assert_uint_eq(h->min, 1);
	ck_assert_uint_eq(h->max, 50);
	ck_assert_uint_eq(hist_percentile(h, 50), 25);
	ck_assert_uint_eq(hist_percentile(h, 90), 45);
	ck_assert_uint_eq(hist_percentile(h, 99), 50);
	ck_assert_uint_eq(hist_percentile(h, 0), 1);
	ck_assert_uint_eq(hist_percentile(h, 100), 50);
	ck_assert(fabs(hist_mean(h) - 25.5) < 1e-9);
	/* population stddev of 1..50: sqrt((50^2 - 1) / 12) */
	ck_assert(fabs(hist_stddev(h) - sqrt((2500.0 - 1) / 12)) < 1e-6);
	free(h);
}
END_TEST

START_TEST(hist_uniform_within_bucket_error)
{
	struct hist *h = hist_new();
	for (uint64_t v = 1; v <= 100000; v++)
		hist_add(h, v);
	static const double ps[] = { 50, 90, 99, 99.9 };
	for (unsigned i = 0; i < 4; i++) {
		double want = ps[i] * 1000, got = (double)hist_percentile(h, ps[i]);
		/* reported is the bucket's top: never below the true value, at most 1/32 above */
		ck_assert_msg(got >= want && got <= want * (1 + 1.0 / 32) + 1, "p%g: %g for %g", ps[i], got, want);
	}
	ck_assert(fabs(hist_mean(h) - 50000.5) < 1e-6);
	free(h);
}
END_TEST

START_TEST(hist_buckets_tile_the_range)
{
	uint64_t prev_hi = 0;
	for (unsigned i = 0; i < HIST_BUCKETS - 1; i++) {
		uint64_t lo, hi;
		hist_bucket_range(i, &lo, &hi);
		ck_assert_uint_eq(hist_index(lo), i);
		ck_assert_uint_eq(hist_index(hi), i);
		if (i)
			ck_assert_uint_eq(lo, prev_hi + 1);
		prev_hi = hi;
	}
	ck_assert_uint_eq(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
}
END_TEST

START_TEST(hist_bimodal_and_merge)
{
	struct hist *a = hist_new(), *b = hist_new();
	for (int i = 0; i < 990; i++)
		hist_add(a, 1000);
	for (int i = 0; i < 10; i++)
		hist_add(b, 1000000);
	hist_merge(a, b);
	ck_assert_uint_eq(a->count, 1000);
	ck_assert_uint_eq(a->max, 1000000);
	uint64_t p50 = hist_percentile(a, 50), p99 = hist_percentile(a, 99), p999 = hist_percentile(a, 99.9);
	ck_assert(p50 >= 1000 && p50 < 1040);
	ck_assert(p99 >= 1000 && p99 < 1040); /* the 990th value is still the fast mode */
	ck_assert_uint_eq(p999, 1000000);
	/* .hgrm: the header, a last line at percentile 1 with the total count */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_int_eq(hist_write_hgrm(f, a, 1.0), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "       Value     Percentile TotalCount 1/(1-Percentile)"));
	ck_assert_ptr_nonnull(strstr(text, " 1000000.000 1.000000000000       1000\n"));
	ck_assert_ptr_nonnull(strstr(text, "#[Max     =  1000000.000, Total count    =         1000]"));
	free(text);
	free(a);
	free(b);
}
END_TEST

START_TEST(ring_drops_when_full)
{
	struct prof p;
	ck_assert_int_eq(prof_create(&p, 1, 1000000, 8), 0);
	for (uint64_t i = 0; i < 10; i++) {
		struct exit_rec r = { .tsc = i };
		prof_push(&p.v[0].ring, &r);
	}
	ck_assert_uint_eq(p.v[0].ring.dropped, 2);
	struct exit_rec out[16];
	ck_assert_uint_eq(prof_drain(&p.v[0], out, 16), 8);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(out[i].tsc, i);
	ck_assert_uint_eq(prof_drain(&p.v[0], out, 16), 0);
	prof_destroy(&p);
	ck_assert_int_eq(prof_create(&p, 1, 0, 6), -EINVAL); /* not a power of two */
}
END_TEST

START_TEST(reset_clears_at_the_next_exit)
{
	struct prof p;
	ck_assert_int_eq(prof_create(&p, 1, 1000000, 0), 0);
	struct prof_exit e = { .t_enter = 100, .t_exit = 200, .t_done = 250, .reason = KVM_EXIT_IO, .bus = 1, .dev = 3 };
	prof_exit(&p, &p.v[0], &e);
	struct prof_vcpu *copy = calloc(1, sizeof(*copy));
	prof_vcpu_read(&p, &p.v[0], copy);
	ck_assert_uint_eq(copy->reason[KVM_EXIT_IO].count, 1);
	ck_assert_uint_eq(copy->pio[3].sum, 50);
	ck_assert_uint_eq(copy->guest_cycles, 100);
	prof_reset(&p);
	prof_vcpu_read(&p, &p.v[0], copy);
	ck_assert_uint_eq(copy->reason[KVM_EXIT_IO].count, 0); /* not acknowledged yet: no exit since */
	prof_exit(&p, &p.v[0], &e);
	prof_vcpu_read(&p, &p.v[0], copy);
	ck_assert_uint_eq(copy->reason[KVM_EXIT_IO].count, 1);
	ck_assert_uint_eq(copy->pio[3].count, 1);
	free(copy);
	prof_destroy(&p);
}
END_TEST

/* a stats "file" in KVM's layout: header, id, descriptors, data */
static int fake_stats_fd(int corrupt)
{
	int fd = memfd_create("kvmstats", 0);
	ck_assert_int_ge(fd, 0);
	const uint32_t name_size = 48;
	struct kvm_stats_header h = { .flags = 0, .name_size = name_size, .num_desc = 3 };
	h.id_offset = sizeof(h);
	h.desc_offset = h.id_offset + name_size;
	size_t dsize = sizeof(struct kvm_stats_desc) + name_size;
	h.data_offset = h.desc_offset + 3 * dsize;
	uint8_t buf[1024] = { 0 };
	memcpy(buf, &h, sizeof(h));
	strcpy((char *)buf + h.id_offset, "kvm-1/vcpu-0");
	static const char *const names[] = { "exits", "mmio_exits", "halt_wait_hist" };
	static const uint16_t sizes[] = { 1, 1, 4 };
	uint32_t off = 0;
	for (int i = 0; i < 3; i++) {
		struct kvm_stats_desc d = { .flags = i == 2 ? KVM_STATS_TYPE_LOG_HIST : 0, .size = sizes[i], .offset = off };
		memcpy(buf + h.desc_offset + i * dsize, &d, sizeof(d));
		strcpy((char *)buf + h.desc_offset + i * dsize + sizeof(d), names[i]);
		off += sizes[i] * 8;
	}
	uint64_t data[6] = { 1234, 56, 7, 8, 9, 10 };
	memcpy(buf + h.data_offset, data, sizeof(data));
	size_t len = h.data_offset + sizeof(data);
	if (corrupt) /* the descriptors point past the end */
		len = h.desc_offset + dsize;
	ck_assert_int_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	return fd;
}

START_TEST(kvmstats_hand_made)
{
	struct kvmstats s;
	char why[128] = "";
	ck_assert_int_eq(kvmstats_open(&s, fake_stats_fd(0), why, sizeof(why)), 0);
	ck_assert_str_eq(s.id, "kvm-1/vcpu-0");
	ck_assert_uint_eq(s.n, 3);
	uint64_t v = 0;
	ck_assert_int_eq(kvmstats_get(&s, "mmio_exits", &v), 0);
	ck_assert_uint_eq(v, 56);
	ck_assert_int_eq(kvmstats_get(&s, "io_exits", &v), -ENOENT);
	struct kvm_exit_counts c;
	ck_assert_int_eq(kvmstats_exit_counts(&s, &c), 0);
	ck_assert_uint_eq(c.exits, 1234);
	ck_assert_uint_eq(c.hist_n, 4);
	ck_assert_uint_eq(c.halt_wait_hist[3], 10);
	kvmstats_close(&s);
	ck_assert_int_eq(kvmstats_open(&s, fake_stats_fd(1), why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "id or descriptors past the end");
}
END_TEST

START_TEST(kvmstats_real_fd)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		UNIT_SKIP("kvmstats_real_fd", "no /dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ck_assert_int_ge(vm, 0);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	ck_assert_int_ge(vcpu, 0);
	struct kvmstats s;
	char why[128] = "";
	int ret = kvmstats_open_ioctl(&s, vcpu, why, sizeof(why));
	if (ret == -ENOTTY || ret == -EINVAL) {
		close(vcpu);
		close(vm);
		close(kvm);
		UNIT_SKIP("kvmstats_real_fd", "this KVM has no KVM_GET_STATS_FD (%s)", why);
	}
	ck_assert_int_eq(ret, 0);
	ck_assert_ptr_nonnull(strstr(s.id, "vcpu-0"));
	const struct kvmstats_desc *d = kvmstats_find(&s, "halt_wait_hist");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->flags & KVM_STATS_TYPE_MASK, KVM_STATS_TYPE_LOG_HIST);
	struct kvm_exit_counts c;
	ck_assert_int_eq(kvmstats_exit_counts(&s, &c), 0);
	ck_assert_uint_eq(c.exits, 0); /* never ran */
	ck_assert_uint_gt(c.hist_n, 0);
	kvmstats_close(&s);
	close(vcpu);
	close(vm);
	close(kvm);
}
END_TEST

static void noop(void *o, uint64_t off, void *data, unsigned size) {}
static void noopw(void *o, uint64_t off, const void *data, unsigned size) {}
static const struct bus_ops nops = { noop, noopw };

/* Writes a trace of 3 records on vCPU 1 (one a marker) through the writer; returns its path. */
static void write_trace(const char *path, uint64_t max)
{
	struct prof p;
	struct bus pio, mmio;
	bus_init(&pio, "pio");
	bus_init(&mmio, "mmio");
	int sid = bus_register(&pio, 0x3f8, 8, &nops, NULL, "serial");
	ck_assert_int_ge(sid, 0);
	ck_assert_int_ge(bus_register(&mmio, 0xd0000000, 0x1000, &nops, NULL, "virtio-mmio0"), 0);
	ck_assert_int_eq(prof_create(&p, 2, 2000000, 16), 0);
	struct prof_thread t;
	ck_assert_int_eq(prof_thread_start(&t, &p, &pio, &mmio, path, max, 0), 0);
	struct prof_exit e = { .t_enter = p.start_tsc, .t_exit = p.start_tsc + 2000, .t_done = p.start_tsc + 2400,
			       .reason = KVM_EXIT_IO, .bus = 1, .dev = sid, .addr = 0x3f8, .size = 1, .count = 1, .write = 1 };
	prof_exit(&p, &p.v[1], &e);
	e.addr = PROF_MARK_PORT;
	e.dev = STATS_UNCLAIMED;
	e.mark = 0xabc;
	e.size = 4;
	prof_exit(&p, &p.v[1], &e);
	e = (struct prof_exit){ .t_enter = e.t_done, .t_exit = e.t_done + 100, .t_done = e.t_done + 300,
				.reason = KVM_EXIT_MMIO, .bus = 2, .dev = 0, .addr = 0xd0000070, .size = 4, .count = 1 };
	prof_exit(&p, &p.v[1], &e);
	ck_assert_int_eq(prof_thread_stop(&t), 0);
	prof_destroy(&p);
	bus_destroy(&pio);
	bus_destroy(&mmio);
}

/* A fresh temp file (path is its mkstemp template) holding write_trace's trace. */
static void new_trace(char *path)
{
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_trace(path, 1 << 20);
}

START_TEST(trace_round_trip)
{
	char path[] = "/tmp/kvmini-trace-XXXXXX";
	new_trace(path);
	struct trace t;
	char why[160] = "";
	ck_assert_msg(trace_load(&t, path, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(t.h.nvcpus, 2);
	ck_assert_uint_eq(t.h.tsc_khz, 2000000);
	ck_assert_uint_eq(t.nrec[0], 0);
	ck_assert_uint_eq(t.nrec[1], 3);
	const struct exit_rec *r = t.rec[1];
	ck_assert_uint_eq(r[0].reason, KVM_EXIT_IO);
	ck_assert_uint_eq(r[0].addr, 0x3f8);
	ck_assert_uint_eq(r[0].guest, 2000);
	ck_assert_uint_eq(r[0].handle, 400);
	ck_assert_uint_eq(r[0].flags, PROF_F_WRITE);
	ck_assert_str_eq(trace_name_of(&t, 1, r[0].dev, NULL), "serial");
	ck_assert_uint_eq(r[1].flags, PROF_F_WRITE | PROF_F_MARK);
	ck_assert_uint_eq(r[1].addr, 0xabc);
	ck_assert_uint_eq(r[1].dev, PROF_DEV_NONE);
	ck_assert_uint_eq(r[2].reason, KVM_EXIT_MMIO);
	ck_assert_uint_eq(r[2].flags, 0);
	ck_assert_str_eq(trace_name_of(&t, 2, r[2].dev, NULL), "virtio-mmio0");
	ck_assert(fabs(trace_ns(&t, r[0].tsc) - 1000.0) < 1e-6); /* 2000 cycles at 2 GHz */
	ck_assert_uint_eq(t.cut, 0);
	trace_free(&t);

	/* a cap below the first chunk: records counted as cut, the file still well-formed */
	write_trace(path, 64);
	ck_assert_int_eq(trace_load(&t, path, why, sizeof(why)), 0);
	ck_assert_uint_eq(t.nrec[1], 0);
	ck_assert_uint_eq(t.cut, 3);
	trace_free(&t);
	unlink(path);
}
END_TEST

START_TEST(trace_corrupt_is_one_line)
{
	char path[] = "/tmp/kvmini-trace-XXXXXX";
	new_trace(path);
	struct trace t;
	char why[160];
	FILE *f = fopen(path, "rb");
	static uint8_t buf[4096];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ck_assert_uint_gt(len, 64 + 16 + 96);
	/* every cut-short length is refused, with a reason and no newline */
	for (size_t l = 0; l < len; l++) {
		why[0] = 0;
		ck_assert_int_eq(trace_parse(&t, buf, l, why, sizeof(why)), -EINVAL);
		ck_assert(why[0] && !strchr(why, '\n'));
	}
	ck_assert_int_eq(trace_parse(&t, buf, len, why, sizeof(why)), 0);
	trace_free(&t);
	buf[0] = 'X';
	ck_assert_int_eq(trace_parse(&t, buf, len, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "not a kvmini trace"));
	buf[0] = 'K';
	/* an empty chunk after records (found by fuzz_trace: the records were freed twice) */
	static uint8_t two[8192];
	size_t first = 64 + 16 + 3 * 32;
	memcpy(two, buf, first);
	struct trace_chunk empty = { TRACE_CHUNK_RECORDS, 1, 0, 0 };
	memcpy(two + first, &empty, sizeof(empty));
	memcpy(two + first + sizeof(empty), buf + first, len - first);
	ck_assert_int_eq(trace_parse(&t, two, len + sizeof(empty), why, sizeof(why)), 0);
	ck_assert_uint_eq(t.nrec[1], 3);
	trace_free(&t);
	uint32_t big = 5000; /* a chunk claiming more records than the file has */
	memcpy(buf + 64 + 8, &big, 4);
	ck_assert_int_eq(trace_parse(&t, buf, len, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "truncated in a chunk of records at byte 64"));
	unlink(path);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("prof");
	TCase *tc = tcase_create("prof");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, hist_exact_below_64);
	tcase_add_test(tc, hist_uniform_within_bucket_error);
	tcase_add_test(tc, hist_buckets_tile_the_range);
	tcase_add_test(tc, hist_bimodal_and_merge);
	tcase_add_test(tc, ring_drops_when_full);
	tcase_add_test(tc, reset_clears_at_the_next_exit);
	tcase_add_test(tc, kvmstats_hand_made);
	tcase_add_test(tc, kvmstats_real_fd);
	tcase_add_test(tc, trace_round_trip);
	tcase_add_test(tc, trace_corrupt_is_one_line);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
