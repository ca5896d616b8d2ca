// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: 9P2000.L messages from a hostile guest, straight into the server (devices/9p) on
 * a scratch directory. Input: a flags byte (bit 0: read-only share; bit 1: no Tversion/Tattach
 * from the harness first; bit 2: the harness sets each message's size field to its length), then
 * messages as le16 length + bytes. Besides the sanitizers, the harness aborts if anything outside
 * the share changed: the directory above it and a file next to it are checked after every input.
 * The share is made again every 256 inputs so what the fuzzer creates does not pile up. */
#include "fuzz.h"

#include <sys/stat.h>

#include "devices/9p/p9.h"
#include "devices/9p/p9_wire.h"

struct scratch {
	char top[64], share[80], secret[96];
	struct stat top_st, secret_st;
	unsigned runs;
};

static void sh(const char *fmt, const char *arg)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), fmt, arg, arg, arg, arg);
	if (system(cmd))
		fz_die(cmd);
}

/* share/{f, d/g, up -> .., abs -> /etc}, outside/secret */
static void fill(struct scratch *s)
{
	sh("rm -rf %s/share && mkdir -p %s/share/d && echo data >%s/share/f && echo g >%s/share/d/g", s->top);
	sh("ln -s .. %s/share/up && ln -s /etc %s/share/abs", s->top);
	if (stat(s->top, &s->top_st) || stat(s->secret, &s->secret_st))
		fz_die("stat");
}

static struct scratch *scratch(void)
{
	static struct scratch s;
	if (!s.top[0]) {
		snprintf(s.top, sizeof(s.top), "/tmp/kvmini-fuzz-9p-%d", getpid());
		snprintf(s.share, sizeof(s.share), "%s/share", s.top);
		snprintf(s.secret, sizeof(s.secret), "%s/outside/secret", s.top);
		sh("rm -rf %s && mkdir -p %s/outside && echo secret >%s/outside/secret", s.top);
		fill(&s);
	}
	return &s;
}

static void check_outside(const struct scratch *s)
{
	struct stat a, b;
	if (stat(s->top, &a) || stat(s->secret, &b) || a.st_mtim.tv_nsec != s->top_st.st_mtim.tv_nsec ||
	    a.st_mtim.tv_sec != s->top_st.st_mtim.tv_sec || b.st_size != s->secret_st.st_size ||
	    b.st_mtim.tv_nsec != s->secret_st.st_mtim.tv_nsec || b.st_mode != s->secret_st.st_mode ||
	    b.st_uid != s->secret_st.st_uid)
		fz_die("a file outside the share changed");
}

static void send(struct p9_server *srv, uint8_t *msg, size_t len, int fix, uint8_t *out)
{
	if (fix && len >= 4)
		le_put32(msg, 0, (uint32_t)len);
	size_t n = p9_server_handle(srv, msg, len, out, P9_MAX_MSIZE);
	if (n < P9_HDR || n > P9_MAX_MSIZE || le_get32(out, 0) != n)
		fz_die("a reply with a bad frame");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *msg, *out;
	struct scratch *s = scratch();
	struct fz f = { data, size };
	if (!msg && (!(msg = malloc(P9_MAX_MSIZE)) || !(out = malloc(P9_MAX_MSIZE))))
		fz_die("malloc");
	if (++s->runs % 256 == 0)
		fill(s);
	unsigned flags = (unsigned)fz_take(&f, 1);
	struct p9_server *srv;
	if (p9_server_create(&srv, s->share, flags & 1))
		fz_die("p9_server_create");
	if (!(flags & 2)) { /* a session, so that the fuzzer's requests start with fid 0 at the root */
		struct p9_out o = { msg, P9_MAX_MSIZE, P9_HDR, 0 };
		msg[4] = P9_TVERSION;
		le_put16(msg, 5, 0xffff);
		p9_put32(&o, 65536);
		p9_putstr(&o, "9P2000.L");
		send(srv, msg, o.off, 1, out);
		o = (struct p9_out){ msg, P9_MAX_MSIZE, P9_HDR, 0 };
		msg[4] = P9_TATTACH;
		p9_put32(&o, 0);
		p9_put32(&o, P9_NOFID);
		p9_putstr(&o, "");
		p9_putstr(&o, "");
		p9_put32(&o, 0);
		send(srv, msg, o.off, 1, out);
	}
	while (f.n) {
		size_t len = (size_t)fz_take(&f, 2), got;
		const uint8_t *p = fz_bytes(&f, len, &got);
		memcpy(msg, p, got);
		send(srv, msg, got, flags & 4, out);
	}
	p9_server_destroy(srv);
	check_outside(s);
	return 0;
}
