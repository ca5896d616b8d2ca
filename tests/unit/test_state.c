// SPDX-License-Identifier: GPL-2.0-or-later
/* The state stream (vmm/state.c): round trips, the sink writer, a reader that refuses truncation at
 * every byte, bit flips, foreign magic/version and huge lengths, and the registry's matching. */
#include "unit.h"
#include "vmm/le.h"
#include "vmm/state.h"

#include <errno.h>
#include <zlib.h>

/* a stream with two sections: "alpha".0 = {u8 1, u16 0x0203, u32, u64, "xyz"}, "beta".7 = {} */
static void build(struct state_writer *w)
{
	state_writer_init(w);
	state_begin(w, "alpha", 0, 3);
	state_put_u8(w, 1);
	state_put_u16(w, 0x0203);
	state_put_u32(w, 0x04050607);
	state_put_u64(w, 0x08090a0b0c0d0e0fULL);
	state_put_bytes(w, "xyz", 3);
	state_end(w);
	state_begin(w, "beta", 7, 1);
	state_end(w);
	ck_assert_int_eq(state_writer_finish(w), 0);
}

START_TEST(round_trip)
{
	struct state_writer w;
	build(&w);
	size_t n;
	const uint8_t *b = state_writer_data(&w, &n);
	/* header 16, alpha: 1+5+16+18, beta: 1+4+16+0, end 1, crc 4 */
	ck_assert_uint_eq(n, 16 + 40 + 21 + 1 + 4);
	ck_assert_mem_eq(b, "KVMSTATE", 8);
	ck_assert_uint_eq(le_get32(b, 8), 1);
	ck_assert_uint_eq(le_get32(b, n - 4), (uint32_t)crc32(0, b, (uInt)(n - 4)));

	struct state_stream s;
	char why[128] = "";
	ck_assert_int_eq(state_open(&s, b, n, why, sizeof(why)), 0);
	ck_assert_uint_eq(s.nsections, 2);
	struct state_section sec;
	ck_assert_int_eq(state_next(&s, &sec), 1);
	ck_assert_str_eq(sec.id, "alpha");
	ck_assert_uint_eq(sec.instance, 0);
	ck_assert_uint_eq(sec.version, 3);
	ck_assert_uint_eq(state_get_u8(&sec.r), 1);
	ck_assert_uint_eq(state_get_u16(&sec.r), 0x0203);
	ck_assert_uint_eq(state_get_u32(&sec.r), 0x04050607);
	ck_assert_uint_eq(state_get_u64(&sec.r), 0x08090a0b0c0d0e0fULL);
	ck_assert_int_eq(state_reader_done(&sec.r), -EBADMSG); /* "xyz" not read yet */
	char xyz[3];
	state_get_bytes(&sec.r, xyz, 3);
	ck_assert_mem_eq(xyz, "xyz", 3);
	ck_assert_int_eq(state_reader_done(&sec.r), 0);
	/* reading past the end: zeros, and the error sticks */
	ck_assert_uint_eq(state_get_u32(&sec.r), 0);
	ck_assert_int_eq(state_reader_done(&sec.r), -EBADMSG);
	ck_assert_int_eq(state_next(&s, &sec), 1);
	ck_assert_str_eq(sec.id, "beta");
	ck_assert_uint_eq(sec.instance, 7);
	ck_assert_uint_eq(state_reader_left(&sec.r), 0);
	ck_assert_int_eq(state_next(&s, &sec), 0);
	state_rewind(&s);
	ck_assert_int_eq(state_next(&s, &sec), 1);
	ck_assert_str_eq(sec.id, "alpha");
	state_writer_free(&w);
}
END_TEST

START_TEST(overrun_does_not_read_past_section)
{
	struct state_writer w;
	build(&w);
	size_t n;
	const uint8_t *b = state_writer_data(&w, &n);
	struct state_stream s;
	ck_assert_int_eq(state_open(&s, b, n, NULL, 0), 0);
	struct state_section sec;
	state_next(&s, &sec);
	uint8_t big[64];
	memset(big, 0xaa, sizeof(big));
	state_get_bytes(&sec.r, big, 19); /* one more than the payload: none of it is taken */
	ck_assert_uint_eq(big[0], 0);
	ck_assert_uint_eq(big[18], 0);
	ck_assert_uint_eq(big[19], 0xaa);
	ck_assert_int_eq(state_reader_done(&sec.r), -EBADMSG);
	ck_assert_uint_eq(state_get_u8(&sec.r), 0);
	/* a bool other than 0/1 is an invalid value, not a short one */
	uint8_t two = 2;
	struct state_reader r;
	state_reader_init(&r, &two, 1);
	state_get_bool(&r);
	ck_assert_int_eq(state_reader_done(&r), -EINVAL);
	state_writer_free(&w);
}
END_TEST

START_TEST(truncated_at_every_byte)
{
	struct state_writer w;
	build(&w);
	size_t n;
	const uint8_t *b = state_writer_data(&w, &n);
	for (size_t k = 0; k < n; k++) {
		uint8_t *copy = malloc(k ? k : 1); /* exact size, so ASan sees any read beyond */
		memcpy(copy, b, k);
		struct state_stream s;
		char why[128] = "";
		ck_assert_int_ne(state_open(&s, copy, k, why, sizeof(why)), 0);
		ck_assert_msg(why[0], "no reason at length %zu", k);
		ck_assert_int_eq(state_next(&s, &(struct state_section){ 0 }), 0);
		free(copy);
	}
	state_writer_free(&w);
}
END_TEST

START_TEST(every_bit_flip_refused)
{
	struct state_writer w;
	build(&w);
	size_t n;
	const uint8_t *b = state_writer_data(&w, &n);
	uint8_t *copy = malloc(n);
	for (size_t i = 0; i < n * 8; i++) {
		memcpy(copy, b, n);
		copy[i / 8] ^= (uint8_t)(1u << (i % 8));
		struct state_stream s;
		char why[128] = "";
		ck_assert_int_ne(state_open(&s, copy, n, why, sizeof(why)), 0);
		ck_assert(why[0]);
	}
	free(copy);
	state_writer_free(&w);
}
END_TEST

/* rewrites the CRC after an edit, so the framing checks behind it are what is tested */
static void reseal(uint8_t *b, size_t n) { le_put32(b, n - 4, (uint32_t)crc32(0, b, (uInt)(n - 4))); }

static int open_why(uint8_t *b, size_t n, char *why)
{
	struct state_stream s;
	why[0] = 0;
	return state_open(&s, b, n, why, 128);
}

START_TEST(magic_version_flags_lengths)
{
	struct state_writer w;
	build(&w);
	size_t n;
	const uint8_t *orig = state_writer_data(&w, &n);
	uint8_t *b = malloc(n);
	char why[128];

	memcpy(b, orig, n);
	b[0] = 'Q';
	reseal(b, n);
	ck_assert_int_eq(open_why(b, n, why), -EBADMSG);
	ck_assert_str_eq(why, "not a kvmini state stream (bad magic)");

	memcpy(b, orig, n);
	le_put32(b, 8, 2);
	reseal(b, n);
	ck_assert_int_eq(open_why(b, n, why), -EPROTONOSUPPORT);
	ck_assert_str_eq(why, "state stream format version 2, this kvmini reads 1");

	memcpy(b, orig, n);
	le_put32(b, 12, 1);
	reseal(b, n);
	ck_assert_int_eq(open_why(b, n, why), -EPROTONOSUPPORT);

	/* section length: huge, one too many, all ones */
	const uint64_t lens[] = { UINT64_MAX, 1ULL << 62, 19, (uint64_t)n };
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memcpy(b, orig, n);
		le_put64(b, 16 + 1 + 5 + 8, lens[i]);
		reseal(b, n);
		ck_assert_int_eq(open_why(b, n, why), -EBADMSG);
		ck_assert_str_eq(why, lens[i] == 19 ? "state stream section 1 is malformed"
						    : "state stream section 0 is malformed");
	}
	/* a shorter length leaves bytes that do not parse as the next section's header */
	memcpy(b, orig, n);
	le_put64(b, 16 + 1 + 5 + 8, 17);
	reseal(b, n);
	ck_assert_int_eq(open_why(b, n, why), -EBADMSG);

	/* id: too long, not in the alphabet */
	memcpy(b, orig, n);
	b[16] = STATE_ID_MAX + 1;
	reseal(b, n);
	ck_assert_int_eq(open_why(b, n, why), -EBADMSG);
	memcpy(b, orig, n);
	b[17] = 'A';
	reseal(b, n);
	ck_assert_int_eq(open_why(b, n, why), -EBADMSG);

	/* end marker missing: the last section runs into the CRC */
	memcpy(b, orig, n);
	b[n - 5] = 3;
	reseal(b, n);
	ck_assert_int_eq(open_why(b, n, why), -EBADMSG);

	/* bytes after the end marker */
	uint8_t *longer = malloc(n + 1);
	memcpy(longer, orig, n - 4);
	longer[n - 4] = 0;
	reseal(longer, n + 1);
	ck_assert_int_eq(open_why(longer, n + 1, why), -EBADMSG);
	ck_assert_str_eq(why, "state stream has no end marker where its checksum starts");
	free(longer);
	free(b);
	state_writer_free(&w);
}
END_TEST

struct sink_buf {
	uint8_t b[4096];
	size_t n;
	int calls, fail_at;
};

static int sink(void *o, const void *p, size_t n)
{
	struct sink_buf *s = o;
	if (++s->calls == s->fail_at || n > sizeof(s->b) - s->n)
		return -ENOSPC;
	memcpy(s->b + s->n, p, n);
	s->n += n;
	return 0;
}

START_TEST(sink_writer_same_bytes)
{
	struct state_writer mem, sw;
	build(&mem);
	size_t n;
	const uint8_t *b = state_writer_data(&mem, &n);
	struct sink_buf sb = { .n = 0 };
	state_writer_init_sink(&sw, sink, &sb);
	state_begin(&sw, "alpha", 0, 3);
	state_put_u8(&sw, 1);
	state_put_u16(&sw, 0x0203);
	state_put_u32(&sw, 0x04050607);
	state_put_u64(&sw, 0x08090a0b0c0d0e0fULL);
	state_put_bytes(&sw, "xyz", 3);
	state_end(&sw);
	ck_assert_uint_eq(sw.len, 0); /* nothing held after a section */
	state_begin(&sw, "beta", 7, 1);
	state_end(&sw);
	ck_assert_int_eq(state_writer_finish(&sw), 0);
	ck_assert_uint_eq(sb.n, n);
	ck_assert_mem_eq(sb.b, b, n);
	state_writer_free(&sw);

	/* a sink error sticks and is what finish returns */
	struct sink_buf bad = { .fail_at = 2 };
	state_writer_init_sink(&sw, sink, &bad);
	state_begin(&sw, "alpha", 0, 1);
	state_put_u32(&sw, 1);
	state_end(&sw);
	state_begin(&sw, "beta", 0, 1);
	ck_assert_int_eq(state_writer_finish(&sw), -ENOSPC);
	state_writer_free(&sw);
	state_writer_free(&mem);
}
END_TEST

START_TEST(writer_misuse_sticks)
{
	struct state_writer w;
	state_writer_init(&w);
	state_put_u8(&w, 1); /* outside a section */
	ck_assert_int_eq(state_writer_err(&w), -EINVAL);
	state_writer_free(&w);

	const char *bad[] = { "", "Upper", "sp ace", "0123456789012345678901234567890123" };
	for (unsigned i = 0; i < 4; i++) {
		state_writer_init(&w);
		state_begin(&w, bad[i], 0, 1);
		ck_assert_int_eq(state_writer_finish(&w), -EINVAL);
		state_writer_free(&w);
	}
	state_writer_init(&w);
	state_begin(&w, "a", 0, 1);
	state_begin(&w, "b", 0, 1); /* nested */
	ck_assert_int_eq(state_writer_err(&w), -EINVAL);
	state_writer_free(&w);
	state_writer_init(&w);
	state_begin(&w, "a", 0, 1);
	ck_assert_int_eq(state_writer_finish(&w), -EINVAL); /* section left open */
	state_writer_free(&w);
}
END_TEST

/* ---- registry ---- */

struct thing {
	uint32_t v;
	int loads;
};

static int thing_save(const void *o, struct state_writer *w)
{
	state_put_u32(w, ((const struct thing *)o)->v);
	return 0;
}

static int thing_load(void *o, struct state_reader *r, uint32_t version)
{
	struct thing *t = o;
	uint32_t v = state_get_u32(r);
	if (version >= 2)
		state_get_u8(r); /* version 2 carries one more byte */
	int e = state_reader_done(r);
	if (e)
		return e;
	if (v == 0xdead)
		return -EINVAL;
	t->v = v;
	t->loads++;
	return 0;
}

static const struct state_ops thing_ops = { "thing", 1, 1, thing_save, thing_load };
static const struct state_ops other_ops = { "other", 1, 1, thing_save, thing_load };

static size_t save_things(struct state_writer *w, struct thing *t, unsigned n, const uint8_t **b)
{
	struct state_registry g;
	state_registry_init(&g);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(state_registry_add(&g, &thing_ops, i, &t[i]), 0);
	state_writer_init(w);
	ck_assert_int_eq(state_registry_save(&g, w), 0);
	ck_assert_int_eq(state_writer_finish(w), 0);
	state_registry_free(&g);
	size_t len;
	*b = state_writer_data(w, &len);
	return len;
}

START_TEST(registry_round_trip_and_refusals)
{
	struct thing src[3] = { { 10, 0 }, { 11, 0 }, { 12, 0 } }, dst[3] = { { 0, 0 } };
	struct state_writer w;
	const uint8_t *b;
	size_t n = save_things(&w, src, 3, &b);
	struct state_stream s;
	char why[128];
	ck_assert_int_eq(state_open(&s, b, n, why, sizeof(why)), 0);

	struct state_registry g;
	state_registry_init(&g);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(state_registry_add(&g, &thing_ops, i, &dst[i]), 0);
	ck_assert_int_eq(state_registry_add(&g, &thing_ops, 1, &dst[1]), -EEXIST);
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), 0);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(dst[i].v, 10 + i);

	/* a machine with a device the stream lacks: nothing is loaded */
	struct thing extra = { 0, 0 };
	memset(dst, 0, sizeof(dst));
	ck_assert_int_eq(state_registry_add(&g, &other_ops, 0, &extra), 0);
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "state stream has no section other.0");
	ck_assert_int_eq(dst[0].loads + dst[1].loads + dst[2].loads, 0);
	state_registry_free(&g);

	/* a stream with a device the machine lacks */
	state_registry_init(&g);
	ck_assert_int_eq(state_registry_add(&g, &thing_ops, 0, &dst[0]), 0);
	ck_assert_int_eq(state_registry_add(&g, &thing_ops, 1, &dst[1]), 0);
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "state stream has a section thing.2 this machine does not have");
	ck_assert_int_eq(dst[0].loads + dst[1].loads, 0);
	state_registry_free(&g);
	state_writer_free(&w);

	/* sections another part of the machine takes (vCPUs, RAM) are skipped by id */
	state_writer_init(&w);
	state_begin(&w, "thing", 0, 1);
	state_put_u32(&w, 42);
	state_end(&w);
	state_begin(&w, "cpu", 0, 1);
	state_put_u64(&w, 1);
	state_end(&w);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	b = state_writer_data(&w, &n);
	ck_assert_int_eq(state_open(&s, b, n, why, sizeof(why)), 0);
	state_registry_init(&g);
	ck_assert_int_eq(state_registry_add(&g, &thing_ops, 0, &dst[0]), 0);
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "state stream has a section cpu.0 this machine does not have");
	static const char *const skip[] = { "ram", "cpu", NULL };
	ck_assert_int_eq(state_registry_load(&g, &s, skip, why, sizeof(why)), 0);
	ck_assert_uint_eq(dst[0].v, 42);
	state_registry_free(&g);
	state_writer_free(&w);
}
END_TEST

START_TEST(registry_versions_duplicates_bad_values)
{
	struct thing src[1] = { { 0xdead, 0 } }, dst = { 7, 0 };
	struct state_writer w;
	const uint8_t *b;
	size_t n = save_things(&w, src, 1, &b);
	struct state_stream s;
	char why[128];
	ck_assert_int_eq(state_open(&s, b, n, why, sizeof(why)), 0);
	struct state_registry g;
	state_registry_init(&g);
	ck_assert_int_eq(state_registry_add(&g, &thing_ops, 0, &dst), 0);
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "state section thing.0: invalid values");
	ck_assert_uint_eq(dst.v, 7);
	state_registry_free(&g);
	state_writer_free(&w);

	/* version 2 section for a reader of 1..1, then the same under a reader of 1..2 */
	state_writer_init(&w);
	state_begin(&w, "thing", 0, 2);
	state_put_u32(&w, 5);
	state_put_u8(&w, 0);
	state_end(&w);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	b = state_writer_data(&w, &n);
	ck_assert_int_eq(state_open(&s, b, n, why, sizeof(why)), 0);
	state_registry_init(&g);
	ck_assert_int_eq(state_registry_add(&g, &thing_ops, 0, &dst), 0);
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), -EPROTONOSUPPORT);
	ck_assert_str_eq(why, "state section thing.0 has version 2, this kvmini reads 1..1");
	state_registry_free(&g);
	static const struct state_ops thing2 = { "thing", 2, 1, thing_save, thing_load };
	state_registry_init(&g);
	ck_assert_int_eq(state_registry_add(&g, &thing2, 0, &dst), 0);
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), 0);
	ck_assert_uint_eq(dst.v, 5);
	state_registry_free(&g);
	state_writer_free(&w);

	/* the same section twice */
	state_writer_init(&w);
	for (int i = 0; i < 2; i++) {
		state_begin(&w, "thing", 0, 1);
		state_put_u32(&w, 5);
		state_end(&w);
	}
	ck_assert_int_eq(state_writer_finish(&w), 0);
	b = state_writer_data(&w, &n);
	ck_assert_int_eq(state_open(&s, b, n, why, sizeof(why)), 0);
	state_registry_init(&g);
	ck_assert_int_eq(state_registry_add(&g, &thing_ops, 0, &dst), 0);
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "state stream has section thing.0 twice");
	/* a payload longer than the load reads */
	state_writer_free(&w);
	state_writer_init(&w);
	state_begin(&w, "thing", 0, 1);
	state_put_u64(&w, 5);
	state_end(&w);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	b = state_writer_data(&w, &n);
	ck_assert_int_eq(state_open(&s, b, n, why, sizeof(why)), 0);
	ck_assert_int_eq(state_registry_load(&g, &s, NULL, why, sizeof(why)), -EBADMSG);
	ck_assert_str_eq(why, "state section thing.0: payload malformed");
	state_registry_free(&g);
	state_writer_free(&w);

	state_registry_init(&g);
	static const struct state_ops bad_id = { "Bad", 1, 1, thing_save, thing_load };
	static const struct state_ops bad_ver = { "ok", 1, 2, thing_save, thing_load };
	ck_assert_int_eq(state_registry_add(&g, &bad_id, 0, &dst), -EINVAL);
	ck_assert_int_eq(state_registry_add(&g, &bad_ver, 0, &dst), -EINVAL);
	state_registry_free(&g);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("state");
	TCase *t = tcase_create("stream");
	tcase_add_test(t, round_trip);
	tcase_add_test(t, overrun_does_not_read_past_section);
	tcase_add_test(t, truncated_at_every_byte);
	tcase_add_test(t, every_bit_flip_refused);
	tcase_add_test(t, magic_version_flags_lengths);
	tcase_add_test(t, sink_writer_same_bytes);
	tcase_add_test(t, writer_misuse_sticks);
	tcase_add_test(t, registry_round_trip_and_refusals);
	tcase_add_test(t, registry_versions_duplicates_bad_values);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
