/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 9P2000.L on the wire: message types and bounds-checked readers/writers. A reader never reads past
 * its message and a writer never past its buffer; either sets a sticky error instead. */
#ifndef KVMINI_DEVICES_P9_WIRE_H
#define KVMINI_DEVICES_P9_WIRE_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vmm/le.h"

enum {
	P9_TLERROR = 6, P9_RLERROR, P9_TSTATFS = 8, P9_TLOPEN = 12, P9_TLCREATE = 14, P9_TSYMLINK = 16,
	P9_TMKNOD = 18, P9_TRENAME = 20, P9_TREADLINK = 22, P9_TGETATTR = 24, P9_TSETATTR = 26,
	P9_TXATTRWALK = 30, P9_TXATTRCREATE = 32, P9_TREADDIR = 40, P9_TFSYNC = 50, P9_TLOCK = 52,
	P9_TGETLOCK = 54, P9_TLINK = 70, P9_TMKDIR = 72, P9_TRENAMEAT = 74, P9_TUNLINKAT = 76,
	P9_TVERSION = 100, P9_TAUTH = 102, P9_TATTACH = 104, P9_TFLUSH = 108, P9_TWALK = 110,
	P9_TREAD = 116, P9_TWRITE = 118, P9_TCLUNK = 120, P9_TREMOVE = 122,
};

#define P9_HDR 7 /* size[4] type[1] tag[2] */
#define P9_NOTAG 0xffff
#define P9_NOFID 0xffffffffu
#define P9_NONUNAME 0xffffffffu
#define P9_MAXWELEM 16
#define P9_QID_SIZE 13
#define P9_QTDIR 0x80
#define P9_QTSYMLINK 0x02
#define P9_GETATTR_BASIC 0x7ffull
#define P9_AT_REMOVEDIR 0x200
/* Tsetattr valid bits */
#define P9_ATTR_MODE 0x1
#define P9_ATTR_UID 0x2
#define P9_ATTR_GID 0x4
#define P9_ATTR_SIZE 0x8
#define P9_ATTR_ATIME 0x10
#define P9_ATTR_MTIME 0x20
#define P9_ATTR_ATIME_SET 0x80
#define P9_ATTR_MTIME_SET 0x100
#define P9_LOCK_SUCCESS 0
#define P9_LOCK_TYPE_UNLCK 2

struct p9_in {
	const uint8_t *p;
	size_t len, off;
	int err; /* read past the end */
};

struct p9_out {
	uint8_t *p;
	size_t cap, off;
	int err; /* did not fit */
};

static inline const uint8_t *p9_take(struct p9_in *m, size_t n)
{
	if (m->err || n > m->len - m->off) {
		m->err = 1;
		return NULL;
	}
	m->off += n;
	return m->p + m->off - n;
}

static inline uint8_t p9_u8(struct p9_in *m)
{
	const uint8_t *b = p9_take(m, 1);
	return b ? b[0] : 0;
}

static inline uint16_t p9_u16(struct p9_in *m)
{
	const uint8_t *b = p9_take(m, 2);
	return b ? le_get16(b, 0) : 0;
}

static inline uint32_t p9_u32(struct p9_in *m)
{
	const uint8_t *b = p9_take(m, 4);
	return b ? le_get32(b, 0) : 0;
}

static inline uint64_t p9_u64(struct p9_in *m)
{
	const uint8_t *b = p9_take(m, 8);
	return b ? le_get64(b, 0) : 0;
}

/* A string: copied NUL-terminated into buf (cap bytes); longer than cap - 1 or holding a NUL
 * byte sets err (the guest may not smuggle a shorter name past a check). */
static inline void p9_str(struct p9_in *m, char *buf, size_t cap)
{
	uint16_t n = p9_u16(m);
	const uint8_t *b = p9_take(m, n);
	buf[0] = 0;
	if (!b)
		return;
	if (n >= cap || memchr(b, 0, n)) {
		m->err = 1;
		return;
	}
	memcpy(buf, b, n);
	buf[n] = 0;
}

static inline uint8_t *p9_room(struct p9_out *o, size_t n)
{
	if (o->err || n > o->cap - o->off) {
		o->err = 1;
		return NULL;
	}
	o->off += n;
	return o->p + o->off - n;
}

static inline void p9_put8(struct p9_out *o, uint8_t v)
{
	uint8_t *b = p9_room(o, 1);
	if (b)
		b[0] = v;
}

static inline void p9_put16(struct p9_out *o, uint16_t v)
{
	uint8_t *b = p9_room(o, 2);
	if (b)
		le_put16(b, 0, v);
}

static inline void p9_put32(struct p9_out *o, uint32_t v)
{
	uint8_t *b = p9_room(o, 4);
	if (b)
		le_put32(b, 0, v);
}

static inline void p9_put64(struct p9_out *o, uint64_t v)
{
	uint8_t *b = p9_room(o, 8);
	if (b)
		le_put64(b, 0, v);
}

static inline void p9_putstr(struct p9_out *o, const char *s)
{
	size_t n = strlen(s);
	if (n > 0xffff) {
		o->err = 1;
		return;
	}
	p9_put16(o, (uint16_t)n);
	uint8_t *b = p9_room(o, n);
	if (b)
		memcpy(b, s, n);
}

#endif
