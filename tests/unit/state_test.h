/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the device state tests: save a device's payload through its state_ops, load one into
 * a device, and the two refusal checks every device gets: every truncation (and one byte too many)
 * is refused with -EBADMSG, and a payload with any byte changed either loads or leaves the device
 * exactly as it was. "As it was" is what the device saves again, compared byte for byte (but the
 * last `live_tail` bytes, which may be a running clock). */
#ifndef KVMINI_STATE_TEST_H
#define KVMINI_STATE_TEST_H
#include <errno.h>

#include "unit.h"
#include "vmm/state.h"

/* The payload obj saves, in a malloc'd buffer (the caller frees it). */
static inline uint8_t *st_save(const struct state_ops *ops, const void *obj, size_t *len)
{
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, ops->id, 0, ops->version);
	ck_assert_int_eq(ops->save(obj, &w), 0);
	state_end(&w);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	size_t n;
	const uint8_t *b = state_writer_data(&w, &n);
	struct state_stream s;
	struct state_section sec;
	ck_assert_int_eq(state_open(&s, b, n, NULL, 0), 0);
	ck_assert_int_eq(state_next(&s, &sec), 1);
	*len = sec.r.len;
	uint8_t *p = malloc(sec.r.len + 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, sec.r.p, sec.r.len);
	state_writer_free(&w);
	return p;
}

static inline int st_load(const struct state_ops *ops, void *obj, const uint8_t *p, size_t len)
{
	struct state_reader r;
	state_reader_init(&r, p, len);
	return ops->load(obj, &r, ops->version);
}

static inline void st_assert_same(const struct state_ops *ops, const void *obj, const uint8_t *want, size_t len,
				  size_t live_tail, const char *what, size_t at)
{
	size_t n;
	uint8_t *now = st_save(ops, obj, &n);
	ck_assert_msg(n == len && !memcmp(now, want, len - live_tail), "%s: %s changed the device (byte %zu)",
		      ops->id, what, at);
	free(now);
}

/* Truncations and an extra byte: -EBADMSG, device unchanged. */
static inline void st_check_short(const struct state_ops *ops, void *obj, const uint8_t *p, size_t len,
				  size_t live_tail)
{
	size_t blen;
	uint8_t *base = st_save(ops, obj, &blen);
	for (size_t k = 0; k < len; k++) {
		uint8_t *cut = malloc(k ? k : 1); /* exact size: ASan sees a read beyond */
		memcpy(cut, p, k);
		ck_assert_msg(st_load(ops, obj, cut, k) == -EBADMSG, "%s: %zu of %zu bytes not refused", ops->id, k,
			      len);
		free(cut);
		st_assert_same(ops, obj, base, blen, live_tail, "a short load", k);
	}
	uint8_t *more = malloc(len + 1);
	memcpy(more, p, len);
	more[len] = 0;
	ck_assert_int_eq(st_load(ops, obj, more, len + 1), -EBADMSG);
	st_assert_same(ops, obj, base, blen, live_tail, "a long load", len);
	free(more);
	free(base);
}

/* Every byte set to 0xff, 0x80 and flipped: a refused load leaves the device as it was. Returns how
 * many were refused, so a test can insist its validation did something. The device ends loaded
 * with p. */
static inline unsigned st_check_mutations(const struct state_ops *ops, void *obj, const uint8_t *p, size_t len,
					  size_t live_tail)
{
	static const int how[3] = { 0xff, 0x80, -1 };
	uint8_t *m = malloc(len ? len : 1);
	unsigned refused = 0;
	ck_assert_int_eq(st_load(ops, obj, p, len), 0);
	size_t blen;
	uint8_t *base = st_save(ops, obj, &blen);
	for (size_t i = 0; i < len; i++) {
		for (int h = 0; h < 3; h++) {
			memcpy(m, p, len);
			m[i] = how[h] < 0 ? (uint8_t)~m[i] : (uint8_t)how[h];
			if (m[i] == p[i])
				continue;
			int r = st_load(ops, obj, m, len);
			if (r == 0) { /* accepted: put the baseline back */
				ck_assert_int_eq(st_load(ops, obj, p, len), 0);
				continue;
			}
			ck_assert_msg(r == -EINVAL || r == -EBADMSG, "%s: byte %zu: %d", ops->id, i, r);
			refused++;
			st_assert_same(ops, obj, base, blen, live_tail, "a refused load", i);
		}
	}
	free(base);
	free(m);
	return refused;
}

#endif
