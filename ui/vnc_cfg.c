// SPDX-License-Identifier: GPL-2.0-or-later
/* --vnc parsing: the address part up to the first comma, then key=value options. */
#include "vnc_cfg.h"

#include "vmm/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_addr(struct vnc_cfg *c, const char *a, size_t n, char *err, size_t errlen)
{
	if (n >= 5 && !strncmp(a, "unix:", 5)) {
		if (n == 5 || n - 5 >= VNC_PATH_MAX)
			return kv_fail(err, errlen, "--vnc: unix:PATH needs a path of 1..%d bytes", VNC_PATH_MAX - 1);
		c->kind = VNC_UNIX;
		memcpy(c->path, a + 5, n - 5);
		c->path[n - 5] = 0;
		return 0;
	}
	const char *colon = NULL; /* the last ':' outside brackets */
	const char *h = a, *he;
	if (n && a[0] == '[') {
		const char *close = memchr(a, ']', n);
		if (!close || close + 1 >= a + n || close[1] != ':')
			return kv_fail(err, errlen, "--vnc: expected [IPV6]:N");
		h = a + 1;
		he = close;
		colon = close + 1;
	} else {
		for (const char *p = a; p < a + n; p++)
			if (*p == ':')
				colon = p;
		if (!colon)
			return kv_fail(err, errlen, "--vnc: expected :N, HOST:N or unix:PATH");
		he = colon;
		if (memchr(a, ':', (size_t)(colon - a)))
			return kv_fail(err, errlen, "--vnc: an IPv6 address goes in brackets: [ADDR]:N");
	}
	const char *num = colon + 1, *end = a + n;
	unsigned long d = 0;
	if (num == end || end - num > 5)
		return kv_fail(err, errlen, "--vnc: the display number after ':' is missing or too long");
	for (const char *p = num; p < end; p++) {
		if (*p < '0' || *p > '9')
			return kv_fail(err, errlen, "--vnc: display number '%.*s' is not a number", (int)(end - num), num);
		d = d * 10 + (unsigned long)(*p - '0');
	}
	if (d > 65535 - VNC_PORT_BASE)
		return kv_fail(err, errlen, "--vnc: display %lu: the port 5900+N must be at most 65535", d);
	size_t hl = (size_t)(he - h);
	if (hl >= VNC_HOST_MAX)
		return kv_fail(err, errlen, "--vnc: host name too long");
	c->kind = VNC_TCP;
	c->display = (unsigned)d;
	if (hl) {
		memcpy(c->host, h, hl);
		c->host[hl] = 0;
	} else {
		strcpy(c->host, "127.0.0.1"); /* not QEMU's all-interfaces default: see --help */
	}
	return 0;
}

int vnc_cfg_parse(struct vnc_cfg *c, const char *spec, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	const char *comma = strchr(spec, ',');
	size_t n = comma ? (size_t)(comma - spec) : strlen(spec);
	int ret = parse_addr(c, spec, n, err, errlen);
	if (ret)
		return ret;
	while (comma) {
		const char *opt = comma + 1;
		comma = strchr(opt, ',');
		size_t len = comma ? (size_t)(comma - opt) : strlen(opt);
		const char *eq = memchr(opt, '=', len);
		size_t kl = eq ? (size_t)(eq - opt) : len;
		const char *val = eq ? eq + 1 : "";
		size_t vl = eq ? len - kl - 1 : 0;
#define IS(k) (kl == strlen(k) && !strncmp(opt, k, kl))
#define VAL(v) (vl == strlen(v) && !strncmp(val, v, vl))
		if (IS("password") && (VAL("on") || VAL("off"))) {
			c->password = VAL("on");
		} else if (IS("password-file") && vl && vl < sizeof(c->password_file)) {
			memcpy(c->password_file, val, vl);
			c->password_file[vl] = 0;
			c->password = 1;
		} else if (IS("pointer") && (VAL("tablet") || VAL("ps2"))) {
			c->pointer_ps2 = VAL("ps2");
		} else {
			return kv_fail(err, errlen, "--vnc: unknown option '%.*s' (password=on|off, password-file=FILE, "
				    "pointer=tablet|ps2)", (int)(len > 64 ? 64 : len), opt);
		}
#undef IS
#undef VAL
	}
	return 0;
}
