// SPDX-License-Identifier: GPL-2.0-or-later
/* The migration stream (vmm/migrate_stream.h) over fake RAM: a stream written as the source does
 * (header, board, ram sections in two rounds, state) reads back into another RAM buffer
 * identically, later copies of a page win, zero pages clear; a truncated, corrupt, reordered,
 * foreign-sized or out-of-RAM stream is refused with its reason; the board check can refuse.
 * Also gmem's dirty marking (vmm/gmem.h) and the migration URI. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/gmem.h"
#include "vmm/migrate.h"
#include "vmm/migrate_stream.h"

#define PAGES 64u
#define RAM (PAGES * SNAP_PAGE)

struct src {
	const uint8_t *p;
	size_t len, pos, chunk;
};

/* a reader that hands out at most chunk bytes a call, as a socket may */
static ssize_t rd(void *opaque, void *buf, size_t len)
{
	struct src *s = opaque;
	size_t n = s->len - s->pos;
	if (n > len)
		n = len;
	if (n > s->chunk)
		n = s->chunk;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static int refuse_board;
static int board_ok(void *opaque, const struct snap_board *b, char *why, size_t whylen)
{
	ck_assert_uint_eq(b->cpus, 2);
	ck_assert_str_eq(b->kernel, "/k");
	if (refuse_board) {
		snprintf(why, whylen, "no");
		return -EINVAL;
	}
	return 0;
}

/* A stream of ram: round 0 every non-zero page, round 1 pages 3 (changed) and 5 (now zero). */
static uint8_t *make(uint8_t *ram, uint64_t ram_size, size_t *len)
{
	struct state_writer w;
	state_writer_init(&w);
	mig_put_header(&w, ram_size, MIG_FLAG_RUN);
	struct snap_board b = { .mem = 16ull << 20, .cpus = 2, .kernel = "/k" };
	state_begin(&w, SNAP_MACHINE_ID, 0, SNAP_MACHINE_VERSION);
	snap_board_put(&w, &b);
	state_end(&w);
	uint64_t idx[PAGES];
	for (unsigned i = 0; i < PAGES; i++)
		idx[i] = i;
	ck_assert_uint_eq(mig_put_pages(&w, 0, ram, idx, PAGES, 1), 3); /* pages 1, 3, 5 */
	memset(ram + 3 * SNAP_PAGE, 0x77, SNAP_PAGE);
	memset(ram + 5 * SNAP_PAGE, 0, SNAP_PAGE);
	uint64_t again[] = { 3, 5 };
	ck_assert_uint_eq(mig_put_pages(&w, 1, ram, again, 2, 0), 2);
	mig_put_state(&w, "inner", 5);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	const uint8_t *p = state_writer_data(&w, len);
	uint8_t *out = malloc(*len);
	memcpy(out, p, *len);
	state_writer_free(&w);
	return out;
}

static int receive(const uint8_t *s, size_t len, uint8_t *ram, char *why, struct mig_in *in)
{
	struct src src = { .p = s, .len = len, .chunk = 777 };
	*in = (struct mig_in){ .read = rd, .opaque = &src, .ram = ram, .ram_size = RAM, .board_ok = board_ok };
	return mig_receive(in, why, 200);
}

static uint8_t *source_ram(void)
{
	uint8_t *ram = calloc(1, RAM);
	memset(ram + 1 * SNAP_PAGE, 0x11, SNAP_PAGE);
	memset(ram + 3 * SNAP_PAGE, 0x33, SNAP_PAGE);
	memset(ram + 5 * SNAP_PAGE, 0x55, SNAP_PAGE);
	return ram;
}

START_TEST(round_trip)
{
	uint8_t *ram = source_ram(), *dst = malloc(RAM);
	memset(dst, 0, RAM);
	memset(dst + 5 * SNAP_PAGE, 0xee, SNAP_PAGE); /* the zero page must clear it */
	size_t len;
	uint8_t *s = make(ram, RAM, &len);
	char why[200] = "";
	struct mig_in in;
	ck_assert_int_eq(receive(s, len, dst, why, &in), 0);
	ck_assert_msg(!memcmp(ram, dst, RAM), "the target's RAM is the source's");
	ck_assert_uint_eq(in.flags, MIG_FLAG_RUN);
	ck_assert_uint_eq(in.pages, 5);
	ck_assert_uint_eq(in.bytes, len);
	ck_assert_uint_eq(in.state_len, 5);
	ck_assert(!memcmp(in.state, "inner", 5));
	free(in.state);
	free(s);
	free(ram);
	free(dst);
}
END_TEST

START_TEST(refused)
{
	uint8_t *ram = source_ram(), *dst = calloc(1, RAM);
	size_t len;
	uint8_t *s = make(ram, RAM, &len);
	char why[200];
	struct mig_in in;
	/* truncated anywhere: refused, nothing kept */
	for (size_t cut = 0; cut < len; cut += len / 23 + 1) {
		ck_assert_int_eq(receive(s, cut, dst, why, &in), -EBADMSG);
		ck_assert_ptr_null(in.state);
	}
	ck_assert_int_eq(receive(s, len - 1, dst, why, &in), -EBADMSG);
	ck_assert_str_eq(why, "the migration stream ended early (the source went away?)");
	/* a flipped byte in a page: only the CRC sees it */
	s[len - 2000] ^= 1;
	ck_assert_int_eq(receive(s, len, dst, why, &in), -EBADMSG);
	ck_assert_str_eq(why, "migration stream: checksum mismatch (corrupt)");
	s[len - 2000] ^= 1;
	/* another RAM size */
	struct src src = { .p = s, .len = len, .chunk = 4096 };
	in = (struct mig_in){ .read = rd, .opaque = &src, .ram = dst, .ram_size = RAM * 2 };
	ck_assert_int_eq(mig_receive(&in, why, sizeof(why)), -EINVAL);
	ck_assert_msg(strstr(why, "the same --mem is needed"), "%s", why);
	/* the board check */
	refuse_board = 1;
	ck_assert_int_eq(receive(s, len, dst, why, &in), -EINVAL);
	ck_assert_str_eq(why, "no");
	refuse_board = 0;
	/* not a stream at all */
	ck_assert_int_eq(receive((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, dst, why, &in), -EBADMSG);
	ck_assert_str_eq(why, "migration stream: not a kvmini migration (no KVMSTATE header)");
	free(s);
	/* a page outside RAM: the section is refused before anything of it lands */
	struct state_writer w;
	state_writer_init(&w);
	mig_put_header(&w, RAM, 0);
	struct snap_board b = { .mem = 16ull << 20, .cpus = 2, .kernel = "/k" };
	state_begin(&w, SNAP_MACHINE_ID, 0, SNAP_MACHINE_VERSION);
	snap_board_put(&w, &b);
	state_end(&w);
	uint8_t *big = calloc(1, RAM + SNAP_PAGE);
	memset(big + RAM, 1, SNAP_PAGE);
	uint64_t idx = PAGES;
	mig_put_pages(&w, 0, big, &idx, 1, 0);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	const uint8_t *p = state_writer_data(&w, &len);
	ck_assert_int_eq(receive(p, len, dst, why, &in), -EBADMSG);
	ck_assert_str_eq(why, "migration stream: a page outside RAM or of an unknown kind");
	state_writer_free(&w);
	/* sections out of order: ram before the board */
	state_writer_init(&w);
	mig_put_header(&w, RAM, 0);
	idx = 1;
	mig_put_pages(&w, 0, ram, &idx, 1, 0);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	p = state_writer_data(&w, &len);
	ck_assert_int_eq(receive(p, len, dst, why, &in), -EBADMSG);
	ck_assert_str_eq(why, "migration stream: sections out of order or of an unknown kind");
	state_writer_free(&w);
	free(big);
	free(ram);
	free(dst);
}
END_TEST

START_TEST(dirty_marks)
{
	static uint8_t lo[8 * GMEM_PAGE], hi[4 * GMEM_PAGE];
	struct gmem m = { 0 };
	ck_assert_int_eq(gmem_add(&m, 0, sizeof(lo), lo), 0);
	ck_assert_int_eq(gmem_add(&m, 1ull << 32, sizeof(hi), hi), 0);
	uint64_t bm[1] = { 0 };
	ck_assert_ptr_nonnull(gmem_ptr(&m, 0x1000, 1)); /* not logging: nothing marked */
	gmem_log_set(&m, bm);
	ck_assert_ptr_nonnull(gmem_ptr_ro(&m, 0x0, 0x3000));
	ck_assert_uint_eq(bm[0], 0);
	ck_assert_ptr_nonnull(gmem_ptr(&m, 0x1fff, 2)); /* pages 1 and 2 */
	ck_assert_int_eq(gmem_write32(&m, (1ull << 32) + 0x1000, 7), 0); /* the high region's page 1: bit 9 */
	gmem_mark(&m, 0x7000, 0x1000); /* page 7 */
	gmem_mark(&m, 0x8000, 1); /* outside RAM: ignored */
	uint32_t v;
	ck_assert_int_eq(gmem_read32(&m, 0x5000, &v), 0); /* reads mark nothing */
	ck_assert_uint_eq(bm[0], (1u << 1) | (1u << 2) | (1u << 7) | (1u << 9));
	gmem_log_set(&m, NULL);
	ck_assert_int_eq(gmem_write32(&m, 0, 1), 0);
	ck_assert_uint_eq(bm[0] & 1, 0);
}
END_TEST

START_TEST(uri)
{
	char h[64], p[16];
	const char *why = NULL;
	ck_assert_int_eq(mig_parse_uri("tcp:10.0.0.2:4444", h, sizeof(h), p, sizeof(p), &why), 0);
	ck_assert_str_eq(h, "10.0.0.2");
	ck_assert_str_eq(p, "4444");
	ck_assert_int_eq(mig_parse_uri("tcp:[::1]:5", h, sizeof(h), p, sizeof(p), &why), 0);
	ck_assert_str_eq(h, "::1");
	ck_assert_int_eq(mig_parse_uri("tcp::7", h, sizeof(h), p, sizeof(p), &why), 0);
	ck_assert_str_eq(h, "0.0.0.0");
	ck_assert_int_eq(mig_parse_uri("unix:/x", h, sizeof(h), p, sizeof(p), &why), -EINVAL);
	ck_assert_int_eq(mig_parse_uri("tcp:h:0", h, sizeof(h), p, sizeof(p), &why), -EINVAL);
	ck_assert_int_eq(mig_parse_uri("tcp:h:70000", h, sizeof(h), p, sizeof(p), &why), -EINVAL);
	ck_assert_int_eq(mig_parse_uri("tcp:h", h, sizeof(h), p, sizeof(p), &why), -EINVAL);
	ck_assert_str_eq(mig_status_name(MIG_COMPLETED), "completed");
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("migrate_stream");
	TCase *tc = tcase_create("stream");
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, dirty_marks);
	tcase_add_test(tc, uri);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
