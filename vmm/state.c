// SPDX-License-Identifier: GPL-2.0-or-later
/* The state stream (format in state.h): writer, validating reader, and the registry of what a
 * machine saves. Nothing here knows a device; the reader trusts nothing it is given. */
#include "state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "le.h"

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n) { /* zlib takes uInt lengths */
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
		crc = (uint32_t)crc32(crc, p, k);
		p += k;
		n -= k;
	}
	return crc;
}

static bool id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 1 || n > STATE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* ---- writer ---- */

static void w_fail(struct state_writer *w, int err)
{
	if (!w->err)
		w->err = err;
}

static void w_raw(struct state_writer *w, const void *p, size_t n)
{
	if (w->err || !n)
		return;
	if (n > w->cap - w->len) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap - w->len < n) {
			if (cap > SIZE_MAX / 2) {
				w_fail(w, -ENOMEM);
				return;
			}
			cap *= 2;
		}
		uint8_t *b = realloc(w->buf, cap);
		if (!b) {
			w_fail(w, -ENOMEM);
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

/* With a sink: hands out what is buffered. */
static void w_flush(struct state_writer *w)
{
	if (w->err || !w->sink || !w->len)
		return;
	w->crc = crc_update(w->crc, w->buf, w->len);
	int r = w->sink(w->sink_opaque, w->buf, w->len);
	if (r)
		w_fail(w, r < 0 ? r : -EIO);
	w->len = 0;
}

static void w_header(struct state_writer *w)
{
	uint8_t h[STATE_HEADER_SIZE];
	memcpy(h, STATE_MAGIC, 8);
	le_put32(h, 8, STATE_FORMAT_VERSION);
	le_put32(h, 12, 0);
	w_raw(w, h, sizeof(h));
}

void state_writer_init(struct state_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->crc = (uint32_t)crc32(0, NULL, 0);
	w_header(w);
}

void state_writer_init_sink(struct state_writer *w, state_sink_fn sink, void *opaque)
{
	state_writer_init(w);
	w->sink = sink;
	w->sink_opaque = opaque;
	w_flush(w);
}

void state_writer_free(struct state_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

void state_begin(struct state_writer *w, const char *id, uint32_t instance, uint32_t version)
{
	if (w->err)
		return;
	if (w->in_section || w->finished || !id_valid(id)) {
		w_fail(w, -EINVAL);
		return;
	}
	uint8_t h[1 + STATE_ID_MAX + 16];
	size_t n = strlen(id);
	h[0] = (uint8_t)n;
	memcpy(h + 1, id, n);
	le_put32(h, 1 + n, instance);
	le_put32(h, 5 + n, version);
	le_put64(h, 9 + n, 0); /* length, filled in by state_end */
	w->sec_len_off = w->len + 9 + n;
	w_raw(w, h, 17 + n);
	w->in_section = true;
}

void state_end(struct state_writer *w)
{
	if (w->err)
		return;
	if (!w->in_section) {
		w_fail(w, -EINVAL);
		return;
	}
	le_put64(w->buf, w->sec_len_off, w->len - (w->sec_len_off + 8));
	w->in_section = false;
	w_flush(w);
}

void state_put_bytes(struct state_writer *w, const void *p, size_t n)
{
	if (!w->err && !w->in_section)
		w_fail(w, -EINVAL);
	w_raw(w, p, n);
}

void state_put_u8(struct state_writer *w, uint8_t v) { state_put_bytes(w, &v, 1); }

void state_put_u16(struct state_writer *w, uint16_t v)
{
	uint8_t b[2];
	le_put16(b, 0, v);
	state_put_bytes(w, b, 2);
}

void state_put_u32(struct state_writer *w, uint32_t v)
{
	uint8_t b[4];
	le_put32(b, 0, v);
	state_put_bytes(w, b, 4);
}

void state_put_u64(struct state_writer *w, uint64_t v)
{
	uint8_t b[8];
	le_put64(b, 0, v);
	state_put_bytes(w, b, 8);
}

int state_writer_finish(struct state_writer *w)
{
	if (w->err)
		return w->err;
	if (w->in_section || w->finished)
		return w->err = -EINVAL;
	uint8_t end = 0, c[4];
	w_raw(w, &end, 1);
	if (w->sink) {
		w_flush(w);
		le_put32(c, 0, w->crc);
		if (!w->err) {
			int r = w->sink(w->sink_opaque, c, 4);
			if (r)
				w_fail(w, r < 0 ? r : -EIO);
		}
	} else if (!w->err) {
		le_put32(c, 0, crc_update(w->crc, w->buf, w->len));
		w_raw(w, c, 4);
	}
	w->finished = true;
	return w->err;
}

const uint8_t *state_writer_data(const struct state_writer *w, size_t *len)
{
	*len = w->len;
	return w->buf;
}

/* ---- reader ---- */

void state_reader_init(struct state_reader *r, const void *p, size_t len)
{
	*r = (struct state_reader){ .p = p, .len = len };
}

static const uint8_t *r_take(struct state_reader *r, size_t n)
{
	if (r->err)
		return NULL;
	if (n > r->len - r->pos) {
		r->err = -EBADMSG;
		return NULL;
	}
	const uint8_t *p = r->p + r->pos;
	r->pos += n;
	return p;
}

uint8_t state_get_u8(struct state_reader *r)
{
	const uint8_t *p = r_take(r, 1);
	return p ? p[0] : 0;
}

uint16_t state_get_u16(struct state_reader *r)
{
	const uint8_t *p = r_take(r, 2);
	return p ? le_get16(p, 0) : 0;
}

uint32_t state_get_u32(struct state_reader *r)
{
	const uint8_t *p = r_take(r, 4);
	return p ? le_get32(p, 0) : 0;
}

uint64_t state_get_u64(struct state_reader *r)
{
	const uint8_t *p = r_take(r, 8);
	return p ? le_get64(p, 0) : 0;
}

void state_get_bytes(struct state_reader *r, void *dst, size_t n)
{
	const uint8_t *p = r_take(r, n);
	if (p)
		memcpy(dst, p, n);
	else if (n)
		memset(dst, 0, n);
}

const void *state_get_ptr(struct state_reader *r, size_t n) { return r_take(r, n); }

bool state_get_bool(struct state_reader *r)
{
	uint8_t v = state_get_u8(r);
	if (v > 1)
		state_reader_invalid(r);
	return v == 1;
}

int state_reader_done(const struct state_reader *r)
{
	if (r->err)
		return r->err;
	return r->pos == r->len ? 0 : -EBADMSG;
}

void state_reader_invalid(struct state_reader *r)
{
	if (!r->err)
		r->err = -EINVAL;
}

static void say(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t whylen, const char *fmt, ...)
{
	if (!why || !whylen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Parses the section header at s->buf + off (bounds already known to be within [0, end)). */
static int parse_section(const uint8_t *b, size_t end, size_t *off, struct state_section *sec)
{
	size_t o = *off;
	size_t n = b[o];
	if (n > STATE_ID_MAX || end - o < 1 + n + 16)
		return -EBADMSG;
	memcpy(sec->id, b + o + 1, n);
	sec->id[n] = 0;
	if (!id_valid(sec->id))
		return -EBADMSG;
	sec->instance = le_get32(b, o + 1 + n);
	sec->version = le_get32(b, o + 5 + n);
	uint64_t len = le_get64(b, o + 9 + n);
	o += 17 + n;
	if (len > end - o)
		return -EBADMSG;
	state_reader_init(&sec->r, b + o, (size_t)len);
	*off = o + (size_t)len;
	return 0;
}

int state_open(struct state_stream *s, const void *buf, size_t len, char *why, size_t whylen)
{
	const uint8_t *b = buf;
	memset(s, 0, sizeof(*s));
	if (len < STATE_MIN_SIZE) {
		say(why, whylen, "state stream truncated (%zu bytes)", len);
		return -EBADMSG;
	}
	if (memcmp(b, STATE_MAGIC, 8)) {
		say(why, whylen, "not a kvmini state stream (bad magic)");
		return -EBADMSG;
	}
	uint32_t ver = le_get32(b, 8), flags = le_get32(b, 12);
	if (ver != STATE_FORMAT_VERSION) {
		say(why, whylen, "state stream format version %u, this kvmini reads %u", ver, STATE_FORMAT_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (flags) {
		say(why, whylen, "state stream has unknown flags 0x%x", flags);
		return -EPROTONOSUPPORT;
	}
	size_t end = len - 4;
	if (crc_update((uint32_t)crc32(0, NULL, 0), b, end) != le_get32(b, end)) {
		say(why, whylen, "state stream checksum mismatch (corrupt or truncated)");
		return -EBADMSG;
	}
	/* the CRC only says the bytes are what a writer wrote; the framing is still checked */
	size_t off = STATE_HEADER_SIZE;
	unsigned n = 0;
	struct state_section sec;
	while (off < end && b[off]) {
		if (parse_section(b, end, &off, &sec)) {
			say(why, whylen, "state stream section %u is malformed", n);
			return -EBADMSG;
		}
		n++;
	}
	if (off + 1 != end) {
		say(why, whylen, "state stream has no end marker where its checksum starts");
		return -EBADMSG;
	}
	*s = (struct state_stream){ .buf = b, .len = end - 1, .next = STATE_HEADER_SIZE, .nsections = n };
	return 0;
}

int state_next(struct state_stream *s, struct state_section *sec)
{
	if (!s->buf || s->next >= s->len)
		return 0;
	/* state_open checked every header; a failure here means the buffer changed under us */
	if (parse_section(s->buf, s->len, &s->next, sec)) {
		s->next = s->len;
		return 0;
	}
	return 1;
}

void state_rewind(struct state_stream *s) { s->next = STATE_HEADER_SIZE; }

/* ---- registry ---- */

void state_registry_init(struct state_registry *g) { memset(g, 0, sizeof(*g)); }

void state_registry_free(struct state_registry *g)
{
	free(g->e);
	memset(g, 0, sizeof(*g));
}

static long find_entry(const struct state_registry *g, const char *id, uint32_t instance)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->e[i].instance == instance && !strcmp(g->e[i].ops->id, id))
			return (long)i;
	return -1;
}

int state_registry_add(struct state_registry *g, const struct state_ops *ops, uint32_t instance, void *obj)
{
	if (!ops || !id_valid(ops->id) || !ops->save || !ops->load || ops->min_version > ops->version)
		return -EINVAL;
	if (find_entry(g, ops->id, instance) >= 0)
		return -EEXIST;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct state_entry *e = realloc(g->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		g->e = e;
		g->cap = cap;
	}
	g->e[g->n++] = (struct state_entry){ .ops = ops, .instance = instance, .obj = obj };
	return 0;
}

int state_registry_save(const struct state_registry *g, struct state_writer *w)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct state_entry *e = &g->e[i];
		state_begin(w, e->ops->id, e->instance, e->ops->version);
		int r = e->ops->save(e->obj, w);
		if (r)
			return r;
		state_end(w);
		if (w->err)
			return w->err;
	}
	return 0;
}

static bool skipped(const char *const *skip, const char *id)
{
	for (; skip && *skip; skip++)
		if (!strcmp(*skip, id))
			return true;
	return false;
}

int state_registry_load(const struct state_registry *g, struct state_stream *s, const char *const *skip,
			char *why, size_t whylen)
{
	struct state_section sec;
	size_t *where = calloc(g->n ? g->n : 1, sizeof(*where)); /* offset of each entry's section + 1 */
	if (!where)
		return -ENOMEM;
	int r = 0;
	state_rewind(s);
	while (!r && state_next(s, &sec)) {
		if (skipped(skip, sec.id))
			continue;
		long i = find_entry(g, sec.id, sec.instance);
		const struct state_ops *ops = i >= 0 ? g->e[i].ops : NULL;
		if (!ops) {
			say(why, whylen, "state stream has a section %s.%u this machine does not have", sec.id, sec.instance);
			r = -EBADMSG;
		} else if (where[i]) {
			say(why, whylen, "state stream has section %s.%u twice", sec.id, sec.instance);
			r = -EBADMSG;
		} else if (sec.version < ops->min_version || sec.version > ops->version) {
			say(why, whylen, "state section %s.%u has version %u, this kvmini reads %u..%u", sec.id,
			    sec.instance, sec.version, ops->min_version, ops->version);
			r = -EPROTONOSUPPORT;
		} else {
			where[i] = (size_t)(sec.r.p - s->buf) + 1;
		}
	}
	for (size_t i = 0; !r && i < g->n; i++) {
		if (!where[i]) {
			say(why, whylen, "state stream has no section %s.%u", g->e[i].ops->id, g->e[i].instance);
			r = -EBADMSG;
		}
	}
	/* every entry has its section: load them in registration order */
	for (size_t i = 0; !r && i < g->n; i++) {
		const struct state_entry *e = &g->e[i];
		/* re-walk to the section (a handful of sections: no index needed) */
		state_rewind(s);
		while (state_next(s, &sec) && (size_t)(sec.r.p - s->buf) + 1 != where[i])
			;
		r = e->ops->load(e->obj, &sec.r, sec.version);
		if (!r)
			r = state_reader_done(&sec.r); /* a load must consume its payload exactly */
		if (r)
			say(why, whylen, "state section %s.%u: %s", e->ops->id, e->instance,
			    r == -EBADMSG ? "payload malformed" : r == -EINVAL ? "invalid values" : strerror(-r));
	}
	free(where);
	return r;
}
