// SPDX-License-Identifier: GPL-2.0-or-later
/* The migration stream's sections and its reader (format in migrate_stream.h). */
#include "migrate_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "le.h"

#define SMALL_MAX (64u * 1024u) /* the header and machine sections */

void mig_put_header(struct state_writer *w, uint64_t ram_size, uint32_t flags)
{
	state_begin(w, MIG_SEC_HEADER, 0, MIG_VERSION);
	state_put_u64(w, ram_size);
	state_put_u32(w, SNAP_PAGE);
	state_put_u32(w, flags);
	state_end(w);
}

int mig_page_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;
	for (unsigned i = 0; i < SNAP_PAGE / 8; i++)
		if (q[i])
			return 0;
	return 1;
}

unsigned mig_put_pages(struct state_writer *w, uint32_t round, const uint8_t *ram, const uint64_t *idx, unsigned n,
		       int skip_zero)
{
	unsigned kinds[MIG_BATCH_PAGES], count = 0;
	if (n > MIG_BATCH_PAGES)
		n = MIG_BATCH_PAGES;
	for (unsigned i = 0; i < n; i++) {
		/* the guest may be writing the page: what is copied is checked, not what was looked at */
		kinds[i] = mig_page_zero(ram + idx[i] * SNAP_PAGE) ? MIG_PAGE_ZERO : MIG_PAGE_DATA;
		count += !(skip_zero && kinds[i] == MIG_PAGE_ZERO);
	}
	if (!count)
		return 0;
	state_begin(w, MIG_SEC_RAM, round, MIG_VERSION);
	state_put_u32(w, count);
	for (unsigned i = 0; i < n; i++) {
		if (skip_zero && kinds[i] == MIG_PAGE_ZERO)
			continue;
		state_put_u64(w, idx[i]);
		state_put_u32(w, kinds[i]);
		if (kinds[i] == MIG_PAGE_DATA)
			state_put_bytes(w, ram + idx[i] * SNAP_PAGE, SNAP_PAGE);
	}
	state_end(w);
	return count;
}

void mig_put_state(struct state_writer *w, const void *state, size_t len)
{
	state_begin(w, MIG_SEC_STATE, 0, MIG_VERSION);
	state_put_bytes(w, state, len);
	state_end(w);
}

/* ---- reader ---- */

struct rd {
	struct mig_in *in;
	uint32_t crc;
	char *why;
	size_t whylen;
};

/* Exactly n bytes into buf (counted in the CRC), or -errno with why. */
static int get(struct rd *r, void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;
	while (got < n) {
		ssize_t k = r->in->read(r->in->opaque, p + got, n - got);
		if (k == 0) {
			snprintf(r->why, r->whylen, "the migration stream ended early (the source went away?)");
			return -EBADMSG;
		}
		if (k < 0) {
			snprintf(r->why, r->whylen, "reading the migration stream: %s", strerror((int)-k));
			return (int)k;
		}
		got += (size_t)k;
	}
	r->crc = (uint32_t)crc32(r->crc, p, (uInt)n);
	r->in->bytes += n;
	return 0;
}

static int bad(struct rd *r, int err, const char *what)
{
	snprintf(r->why, r->whylen, "migration stream: %s", what);
	return err;
}

static int apply_ram(struct rd *r, struct state_reader *s)
{
	uint32_t n = state_get_u32(s);
	if (!n || n > MIG_BATCH_PAGES)
		return bad(r, -EBADMSG, "a ram section with a bad page count");
	uint64_t pages = r->in->ram_size / SNAP_PAGE;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t idx = state_get_u64(s);
		uint32_t kind = state_get_u32(s);
		if (s->err || idx >= pages || kind > MIG_PAGE_DATA)
			return bad(r, -EBADMSG, "a page outside RAM or of an unknown kind");
		uint8_t *dst = r->in->ram + idx * SNAP_PAGE;
		if (kind == MIG_PAGE_ZERO) {
			memset(dst, 0, SNAP_PAGE);
		} else {
			const void *src = state_get_ptr(s, SNAP_PAGE);
			if (!src)
				return bad(r, -EBADMSG, "a ram section shorter than its pages");
			memcpy(dst, src, SNAP_PAGE);
		}
		r->in->pages++;
	}
	if (state_reader_done(s))
		return bad(r, -EBADMSG, "a ram section longer than its pages");
	return 0;
}

static int check_header(struct rd *r, struct state_reader *s, uint32_t version)
{
	if (version != MIG_VERSION)
		return bad(r, -EPROTONOSUPPORT, "another version of the migration section");
	uint64_t size = state_get_u64(s);
	uint32_t page = state_get_u32(s), flags = state_get_u32(s);
	if (state_reader_done(s) || page != SNAP_PAGE || flags & ~MIG_FLAG_RUN)
		return bad(r, -EBADMSG, "a bad migration section");
	if (size != r->in->ram_size) {
		snprintf(r->why, r->whylen, "the source's guest has %llu MiB of RAM, this one %llu MiB (the same --mem is needed)",
			 (unsigned long long)(size >> 20), (unsigned long long)(r->in->ram_size >> 20));
		return -EINVAL;
	}
	r->in->flags = flags;
	return 0;
}

static int check_board(struct rd *r, struct state_reader *s, uint32_t version)
{
	struct snap_board b;
	char w[200];
	int ret = snap_board_get(&b, s, version, w, sizeof(w));
	if (ret)
		return bad(r, ret, w);
	ret = r->in->board_ok ? r->in->board_ok(r->in->board_opaque, &b, r->why, r->whylen) : 0;
	snap_board_free(&b);
	return ret;
}

int mig_receive(struct mig_in *in, char *why, size_t whylen)
{
	struct rd r = { .in = in, .crc = (uint32_t)crc32(0, NULL, 0), .why = why, .whylen = whylen };
	uint8_t h[STATE_HEADER_SIZE + 8];
	uint8_t *buf = NULL;
	in->state = NULL;
	in->state_len = 0;
	int ret = get(&r, h, STATE_HEADER_SIZE);
	if (ret)
		return ret;
	if (memcmp(h, STATE_MAGIC, 8))
		return bad(&r, -EBADMSG, "not a kvmini migration (no KVMSTATE header)");
	if (le_get32(h, 8) != STATE_FORMAT_VERSION || le_get32(h, 12))
		return bad(&r, -EPROTONOSUPPORT, "another version of the state format");
	unsigned nsec = 0;
	for (;;) {
		uint8_t idlen;
		char id[STATE_ID_MAX + 1];
		if ((ret = get(&r, &idlen, 1)))
			break;
		if (!idlen)
			break;
		if (idlen > STATE_ID_MAX) {
			ret = bad(&r, -EBADMSG, "a section with a bad id");
			break;
		}
		if ((ret = get(&r, id, idlen)) || (ret = get(&r, h, 16)))
			break;
		id[idlen] = 0;
		uint32_t version = le_get32(h, 4);
		uint64_t len = le_get64(h, 8);
		/* the order is fixed: migration, machine, ram..., state, end */
		int is_ram = !strcmp(id, MIG_SEC_RAM);
		const char *want = nsec == 0 ? MIG_SEC_HEADER : nsec == 1 ? SNAP_MACHINE_ID : NULL;
		uint64_t max = is_ram ? MIG_RAM_MAX : !strcmp(id, MIG_SEC_STATE) ? SNAP_STATE_MAX : SMALL_MAX;
		if (want ? strcmp(id, want) : (!is_ram && strcmp(id, MIG_SEC_STATE)) || in->state) {
			ret = bad(&r, -EBADMSG, "sections out of order or of an unknown kind");
			break;
		}
		if (len > max) {
			ret = bad(&r, -EBADMSG, "a section too long for its kind");
			break;
		}
		uint8_t *nb = realloc(buf, len ? len : 1);
		if (!nb) {
			ret = bad(&r, -ENOMEM, "out of memory");
			break;
		}
		buf = nb;
		if ((ret = get(&r, buf, len)))
			break;
		struct state_reader s;
		state_reader_init(&s, buf, len);
		if (nsec == 0)
			ret = check_header(&r, &s, version);
		else if (nsec == 1)
			ret = check_board(&r, &s, version);
		else if (version != MIG_VERSION)
			ret = bad(&r, -EPROTONOSUPPORT, "another version of a ram or state section");
		else if (is_ram)
			ret = apply_ram(&r, &s);
		else if (!len)
			ret = bad(&r, -EBADMSG, "an empty state section");
		else {
			in->state = buf; /* kept: checked whole once the CRC matched */
			in->state_len = len;
			buf = NULL;
		}
		if (ret)
			break;
		nsec++;
	}
	free(buf);
	if (!ret && !in->state)
		ret = bad(&r, -EBADMSG, nsec < 2 ? "no board in the stream" : "no device state in the stream");
	if (!ret) {
		uint32_t want = r.crc;
		if ((ret = get(&r, h, 4)) == 0 && le_get32(h, 0) != want)
			ret = bad(&r, -EBADMSG, "checksum mismatch (corrupt)");
	}
	if (ret) {
		free(in->state);
		in->state = NULL;
		in->state_len = 0;
	}
	return ret;
}
