// SPDX-License-Identifier: GPL-2.0-or-later
/* Scatter-gather helpers over struct iovec (see iov.h). */
#include "iov.h"

#include <stdint.h>
#include <string.h>

size_t iov_size(const struct iovec *iov, int n)
{
	size_t s = 0;
	for (int i = 0; i < n; i++)
		s += iov[i].iov_len;
	return s;
}

static void iov_walk(const struct iovec *iov, int n, size_t skip, size_t len,
                     void (*fn)(void *seg, void *ctx, size_t l), void *ctx)
{
	for (int i = 0; i < n && len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t l = iov[i].iov_len - skip;
		if (l > len)
			l = len;
		fn((char *)iov[i].iov_base + skip, ctx, l);
		skip = 0;
		len -= l;
	}
}

static void cp_out(void *seg, void *ctx, size_t l)
{
	char **p = ctx;
	memcpy(*p, seg, l);
	*p += l;
}

static void cp_in(void *seg, void *ctx, size_t l)
{
	const char **p = ctx;
	memcpy(seg, *p, l);
	*p += l;
}

static void zero_seg(void *seg, void *ctx, size_t l)
{
	memset(seg, 0, l);
}

void iov_to_buf(const struct iovec *iov, int n, size_t skip, void *buf, size_t len)
{
	char *p = buf;
	iov_walk(iov, n, skip, len, cp_out, &p);
}

void iov_from_buf(const struct iovec *iov, int n, size_t skip, const void *buf, size_t len)
{
	const char *p = buf;
	iov_walk(iov, n, skip, len, cp_in, &p);
}

void iov_zero(const struct iovec *iov, int n, size_t skip, size_t len)
{
	iov_walk(iov, n, skip, len, zero_seg, NULL);
}

struct slice_ctx {
	struct iovec *out;
	int k;
};

static void add_seg(void *seg, void *ctx, size_t l)
{
	struct slice_ctx *c = ctx;
	c->out[c->k++] = (struct iovec){ seg, l };
}

int iov_slice(const struct iovec *iov, int n, size_t skip, size_t len, struct iovec *out)
{
	struct slice_ctx c = { out, 0 };
	iov_walk(iov, n, skip, len, add_seg, &c);
	return c.k;
}
