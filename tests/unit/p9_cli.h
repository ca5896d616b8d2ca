/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny 9P2000.L client for the 9p unit tests: builds T-messages with devices/9p/p9_wire.h's
 * writer, hands them to a server (directly, or through a caller's transport) and parses replies. */
#ifndef KVMINI_TEST_P9_CLI_H
#define KVMINI_TEST_P9_CLI_H
#include <errno.h>
#include <stdarg.h>

#include "unit.h"
#include "devices/9p/p9.h"
#include "devices/9p/p9_wire.h"

#define CLI_BUF (P9_MAX_MSIZE)

struct cli {
	struct p9_server *s;
	/* NULL: straight to s; else the caller's transport */
	size_t (*xfer)(void *opaque, const uint8_t *in, size_t inlen, uint8_t *out, size_t cap);
	void *opaque;
	uint8_t *req, *rep;
	size_t replen;
	struct p9_out m;
	struct p9_in r; /* the reply's body */
	uint16_t tag;
};

static inline void cli_init(struct cli *c, struct p9_server *s)
{
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->req = malloc(CLI_BUF);
	c->rep = malloc(CLI_BUF);
	ck_assert(c->req && c->rep);
}

static inline void cli_free(struct cli *c)
{
	free(c->req);
	free(c->rep);
}

static inline void cli_begin(struct cli *c, uint8_t type)
{
	c->m = (struct p9_out){ c->req, CLI_BUF, P9_HDR, 0 };
	c->req[4] = type;
	le_put16(c->req, 5, ++c->tag);
}

/* Sends raw bytes (len of req); checks the reply's framing; 0 or -errno of an Rlerror. */
static inline int cli_raw(struct cli *c, size_t len)
{
	c->replen = c->xfer ? c->xfer(c->opaque, c->req, len, c->rep, CLI_BUF)
			    : p9_server_handle(c->s, c->req, len, c->rep, CLI_BUF);
	ck_assert_uint_ge(c->replen, P9_HDR);
	ck_assert_uint_eq(le_get32(c->rep, 0), c->replen);
	c->r = (struct p9_in){ c->rep, c->replen, P9_HDR, 0 };
	if (c->rep[4] == P9_RLERROR && c->replen == P9_HDR + 4)
		return -(int)le_get32(c->rep, P9_HDR);
	ck_assert_uint_eq(c->rep[4], c->req[4] + 1);
	ck_assert_uint_eq(le_get16(c->rep, 5), le_get16(c->req, 5));
	return 0;
}

static inline int cli_send(struct cli *c)
{
	ck_assert(!c->m.err);
	le_put32(c->req, 0, (uint32_t)c->m.off);
	return cli_raw(c, c->m.off);
}

static inline int t_version(struct cli *c, uint32_t msize, const char *ver)
{
	cli_begin(c, P9_TVERSION);
	p9_put32(&c->m, msize);
	p9_putstr(&c->m, ver);
	return cli_send(c);
}

static inline int t_attach(struct cli *c, uint32_t fid)
{
	cli_begin(c, P9_TATTACH);
	p9_put32(&c->m, fid);
	p9_put32(&c->m, P9_NOFID);
	p9_putstr(&c->m, "root");
	p9_putstr(&c->m, "");
	p9_put32(&c->m, 0);
	return cli_send(c);
}

/* names NULL-terminated; the number of qids, or -errno */
static inline int t_walk(struct cli *c, uint32_t fid, uint32_t newfid, ...)
{
	va_list ap;
	const char *n, *names[32];
	uint16_t k = 0;
	va_start(ap, newfid);
	while ((n = va_arg(ap, const char *)))
		names[k++] = n;
	va_end(ap);
	cli_begin(c, P9_TWALK);
	p9_put32(&c->m, fid);
	p9_put32(&c->m, newfid);
	p9_put16(&c->m, k);
	for (unsigned i = 0; i < k; i++)
		p9_putstr(&c->m, names[i]);
	int r = cli_send(c);
	return r ? r : p9_u16(&c->r);
}

static inline int t_fid_u32(struct cli *c, uint8_t type, uint32_t fid, uint32_t v)
{
	cli_begin(c, type);
	p9_put32(&c->m, fid);
	p9_put32(&c->m, v);
	return cli_send(c);
}

static inline int t_lopen(struct cli *c, uint32_t fid, uint32_t flags) { return t_fid_u32(c, P9_TLOPEN, fid, flags); }

static inline int t_clunk(struct cli *c, uint32_t fid)
{
	cli_begin(c, P9_TCLUNK);
	p9_put32(&c->m, fid);
	return cli_send(c);
}

/* bytes read into buf, or -errno */
static inline int t_read(struct cli *c, uint32_t fid, uint64_t off, uint32_t count, void *buf)
{
	cli_begin(c, P9_TREAD);
	p9_put32(&c->m, fid);
	p9_put64(&c->m, off);
	p9_put32(&c->m, count);
	int r = cli_send(c);
	if (r)
		return r;
	uint32_t n = p9_u32(&c->r);
	const uint8_t *d = p9_take(&c->r, n);
	ck_assert_ptr_nonnull(d);
	memcpy(buf, d, n);
	return (int)n;
}

static inline int t_write(struct cli *c, uint32_t fid, uint64_t off, const void *buf, uint32_t n)
{
	cli_begin(c, P9_TWRITE);
	p9_put32(&c->m, fid);
	p9_put64(&c->m, off);
	p9_put32(&c->m, n);
	memcpy(p9_room(&c->m, n), buf, n);
	int r = cli_send(c);
	return r ? r : (int)p9_u32(&c->r);
}

static inline int t_lcreate(struct cli *c, uint32_t fid, const char *name, uint32_t flags, uint32_t mode)
{
	cli_begin(c, P9_TLCREATE);
	p9_put32(&c->m, fid);
	p9_putstr(&c->m, name);
	p9_put32(&c->m, flags);
	p9_put32(&c->m, mode);
	p9_put32(&c->m, 0);
	return cli_send(c);
}

static inline int t_mkdir(struct cli *c, uint32_t dfid, const char *name, uint32_t mode)
{
	cli_begin(c, P9_TMKDIR);
	p9_put32(&c->m, dfid);
	p9_putstr(&c->m, name);
	p9_put32(&c->m, mode);
	p9_put32(&c->m, 0);
	return cli_send(c);
}

static inline int t_symlink(struct cli *c, uint32_t dfid, const char *name, const char *target)
{
	cli_begin(c, P9_TSYMLINK);
	p9_put32(&c->m, dfid);
	p9_putstr(&c->m, name);
	p9_putstr(&c->m, target);
	p9_put32(&c->m, 0);
	return cli_send(c);
}

static inline int t_unlinkat(struct cli *c, uint32_t dfid, const char *name, uint32_t flags)
{
	cli_begin(c, P9_TUNLINKAT);
	p9_put32(&c->m, dfid);
	p9_putstr(&c->m, name);
	p9_put32(&c->m, flags);
	return cli_send(c);
}

static inline int t_renameat(struct cli *c, uint32_t ofid, const char *oname, uint32_t nfid, const char *nname)
{
	cli_begin(c, P9_TRENAMEAT);
	p9_put32(&c->m, ofid);
	p9_putstr(&c->m, oname);
	p9_put32(&c->m, nfid);
	p9_putstr(&c->m, nname);
	return cli_send(c);
}

/* Tsetattr of the mode and/or size (valid bits P9_ATTR_MODE, P9_ATTR_SIZE) */
static inline int t_setattr(struct cli *c, uint32_t fid, uint32_t valid, uint32_t mode, uint64_t size)
{
	cli_begin(c, P9_TSETATTR);
	p9_put32(&c->m, fid);
	p9_put32(&c->m, valid);
	p9_put32(&c->m, mode);
	p9_put32(&c->m, 0);
	p9_put32(&c->m, 0);
	p9_put64(&c->m, size);
	for (int i = 0; i < 4; i++)
		p9_put64(&c->m, 0);
	return cli_send(c);
}

/* mode and size from Tgetattr */
static inline int t_getattr(struct cli *c, uint32_t fid, uint32_t *mode, uint64_t *size)
{
	cli_begin(c, P9_TGETATTR);
	p9_put32(&c->m, fid);
	p9_put64(&c->m, P9_GETATTR_BASIC);
	int r = cli_send(c);
	if (r)
		return r;
	p9_take(&c->r, 8 + P9_QID_SIZE);
	*mode = p9_u32(&c->r);
	p9_take(&c->r, 4 + 4 + 8 + 8);
	*size = p9_u64(&c->r);
	ck_assert(!c->r.err);
	return 0;
}

#endif
