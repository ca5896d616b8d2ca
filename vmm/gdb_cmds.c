// SPDX-License-Identifier: GPL-2.0-or-later
/* The GDB stub's register, memory, thread and query commands (g G p P m M X H T q Q): each
 * checks its arguments and answers one reply. See gdb.h. */
#include "gdb_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* the most bytes one m reply carries: two hex digits each */
#define MEM_MAX ((GDB_PKT_MAX - 8) / 2)

int gdb_parse_tid(struct gdb_session *s, const char **p, const char *end, int *cpu)
{
	if (end - *p >= 2 && (*p)[0] == '-' && (*p)[1] == '1') {
		*p += 2;
		*cpu = -1;
		return 0;
	}
	uint64_t tid;
	if (gdb_parse_hex(p, end, &tid))
		return -EINVAL;
	if (tid == 0) {
		*cpu = (int)s->cur_g;
		return 0;
	}
	if (tid > s->ops->ncpus(s->t))
		return -ESRCH;
	*cpu = (int)(tid - 1);
	return 0;
}

static void cmd_g(struct gdb_session *s)
{
	struct gdb_regs r;
	int ret = s->ops->get_regs(s->t, s->cur_g, &r);
	if (ret) {
		gdb_reply_err(s, ret);
		return;
	}
	size_t o = 0;
	for (unsigned i = 0; i < GDB_NREGS; i++) {
		gdb_hex_encode(gdb_reg_ptr(&r, i), gdb_reg_size(i), s->reply + o);
		o += 2 * gdb_reg_size(i);
	}
	gdb_reply(s, s->reply, o);
}

/* G: every register, in order, as many bytes as g gives */
static void cmd_G(struct gdb_session *s, const char *p, const char *end)
{
	struct gdb_regs r;
	if ((size_t)(end - p) != 2 * gdb_regs_bytes()) {
		gdb_reply_err(s, EINVAL);
		return;
	}
	int ret = s->ops->get_regs(s->t, s->cur_g, &r);
	for (unsigned i = 0; i < GDB_NREGS && !ret; i++) {
		ret = gdb_hex_decode(p, gdb_reg_size(i), gdb_reg_ptr(&r, i));
		p += 2 * gdb_reg_size(i);
	}
	if (!ret)
		ret = s->ops->set_regs(s->t, s->cur_g, &r);
	gdb_reply_status(s, ret);
}

/* p N, P N=VALUE */
static void cmd_p(struct gdb_session *s, const char *p, const char *end, int write)
{
	uint64_t n;
	struct gdb_regs r;
	if (gdb_parse_hex(&p, end, &n) || n >= GDB_NREGS || (write ? p == end || *p++ != '=' : p != end)) {
		gdb_reply_err(s, EINVAL);
		return;
	}
	unsigned size = gdb_reg_size((unsigned)n);
	int ret = s->ops->get_regs(s->t, s->cur_g, &r);
	if (!ret && !write) {
		gdb_hex_encode(gdb_reg_ptr(&r, (unsigned)n), size, s->reply);
		gdb_reply(s, s->reply, 2 * size);
		return;
	}
	if (!ret)
		ret = (size_t)(end - p) == 2 * size ? gdb_hex_decode(p, size, gdb_reg_ptr(&r, (unsigned)n)) : -EINVAL;
	if (!ret)
		ret = s->ops->set_regs(s->t, s->cur_g, &r);
	gdb_reply_status(s, ret);
}

/* ADDR,LEN then (for M and X) ':' */
static int parse_addr_len(const char **p, const char *end, uint64_t *addr, uint64_t *len, int colon)
{
	if (gdb_parse_hex(p, end, addr) || *p == end || *(*p)++ != ',' || gdb_parse_hex(p, end, len))
		return -EINVAL;
	if (colon ? *p == end || *(*p)++ != ':' : *p != end)
		return -EINVAL;
	return 0;
}

static void cmd_m(struct gdb_session *s, const char *p, const char *end)
{
	uint64_t addr, len;
	uint8_t data[MEM_MAX];
	if (parse_addr_len(&p, end, &addr, &len, 0)) {
		gdb_reply_err(s, EINVAL);
		return;
	}
	if (len > MEM_MAX) /* gdb asks again for the rest */
		len = MEM_MAX;
	long n = len ? s->ops->read_mem(s->t, s->cur_g, addr, data, (size_t)len) : 0;
	if (n < 0 || (len && !n)) {
		gdb_reply_err(s, n < 0 ? (int)n : EFAULT);
		return;
	}
	gdb_hex_encode(data, (size_t)n, s->reply);
	gdb_reply(s, s->reply, 2 * (size_t)n);
}

/* M ADDR,LEN:HEX and X ADDR,LEN:BINARY (escaped) */
static void cmd_M(struct gdb_session *s, char *buf, const char *end, int binary)
{
	const char *p = buf + 1;
	uint64_t addr, len;
	uint8_t data[GDB_PKT_MAX];
	int ret = parse_addr_len(&p, end, &addr, &len, 1);
	if (!ret && binary) {
		size_t raw = (size_t)(end - p);
		memcpy(data, p, raw);
		long n = gdb_unescape(data, raw);
		ret = n < 0 || (uint64_t)n != len ? -EINVAL : 0;
	} else if (!ret) {
		ret = (uint64_t)(end - p) != 2 * len ? -EINVAL : gdb_hex_decode(p, (size_t)len, data);
	}
	if (!ret && len)
		ret = s->ops->write_mem(s->t, s->cur_g, addr, data, (size_t)len);
	gdb_reply_status(s, ret);
}

/* Hg TID, Hc TID */
static void cmd_H(struct gdb_session *s, const char *p, const char *end)
{
	int cpu;
	char op = p < end ? *p++ : 0;
	if ((op != 'g' && op != 'c') || gdb_parse_tid(s, &p, end, &cpu) || p != end) {
		gdb_reply_err(s, EINVAL);
		return;
	}
	if (op == 'g')
		s->cur_g = cpu < 0 ? s->cur_g : (unsigned)cpu; /* -1 for registers means any */
	else
		s->cur_c = cpu;
	gdb_reply_str(s, "OK");
}

static void cmd_T(struct gdb_session *s, const char *p, const char *end)
{
	int cpu;
	if (gdb_parse_tid(s, &p, end, &cpu) || p != end || cpu < 0)
		gdb_reply_err(s, ESRCH);
	else
		gdb_reply_str(s, "OK");
}

static int prefix(const char *buf, size_t len, const char *pre)
{
	size_t n = strlen(pre);
	return len >= n && !memcmp(buf, pre, n);
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static void cmd_xfer(struct gdb_session *s, const char *p, const char *end)
{
	static const char annex[] = "target.xml:";
	uint64_t off, len;
	if (!prefix(p, (size_t)(end - p), annex)) {
		gdb_reply_err(s, ENOENT);
		return;
	}
	p += sizeof(annex) - 1;
	if (parse_addr_len(&p, end, &off, &len, 0) || s->xml_len < 0) {
		gdb_reply_err(s, EINVAL);
		return;
	}
	size_t total = (size_t)s->xml_len;
	if (len > GDB_PKT_MAX / 2 - 1) /* escapes may double it in the frame */
		len = GDB_PKT_MAX / 2 - 1;
	size_t n = off >= total ? 0 : total - off < len ? total - (size_t)off : (size_t)len;
	s->reply[0] = n && off + n < total ? 'm' : 'l';
	if (n)
		memcpy(s->reply + 1, s->xml + off, n);
	gdb_reply(s, s->reply, n + 1);
}

static void cmd_q(struct gdb_session *s, const char *buf, size_t len)
{
	const char *end = buf + len;
	unsigned ncpus = s->ops->ncpus(s->t);
	if (prefix(buf, len, "qSupported")) {
		/* gdb's own features: hwbreak+ means it takes the hwbreak stop reason */
		s->hwbreak = memmem(buf, len, "hwbreak+", 8) != NULL;
		snprintf(s->reply, sizeof(s->reply),
			 "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;vContSupported+;hwbreak+", GDB_PKT_MAX);
		gdb_reply_str(s, s->reply);
	} else if (prefix(buf, len, "qXfer:features:read:")) {
		cmd_xfer(s, buf + 20, end);
	} else if (prefix(buf, len, "qXfer:")) {
		gdb_reply(s, "", 0);
	} else if (len == 2 && buf[1] == 'C') {
		snprintf(s->reply, sizeof(s->reply), "QC%x", s->cur_g + 1);
		gdb_reply_str(s, s->reply);
	} else if (prefix(buf, len, "qfThreadInfo")) {
		size_t o = 0;
		s->reply[o++] = 'm';
		for (unsigned i = 0; i < ncpus && o < sizeof(s->reply) - 12; i++)
			o += (size_t)snprintf(s->reply + o, sizeof(s->reply) - o, "%s%x", i ? "," : "", i + 1);
		gdb_reply(s, s->reply, o);
	} else if (prefix(buf, len, "qsThreadInfo")) {
		gdb_reply_str(s, "l");
	} else if (prefix(buf, len, "qThreadExtraInfo,")) {
		const char *p = buf + 17;
		int cpu;
		char name[32];
		if (gdb_parse_tid(s, &p, end, &cpu) || p != end || cpu < 0) {
			gdb_reply_err(s, ESRCH);
			return;
		}
		int n = snprintf(name, sizeof(name), "vCPU %d", cpu);
		gdb_hex_encode(name, (size_t)n, s->reply);
		gdb_reply(s, s->reply, 2 * (size_t)n);
	} else if (prefix(buf, len, "qAttached")) {
		gdb_reply_str(s, "1"); /* attached to a running VM: gdb detaches on quit, never kills */
	} else {
		gdb_reply(s, "", 0);
	}
}

void gdb_cmd(struct gdb_session *s, char *buf, size_t len)
{
	const char *end = buf + len;
	switch (buf[0]) {
	case 'g':
		if (len == 1)
			cmd_g(s);
		else
			gdb_reply_err(s, EINVAL);
		return;
	case 'G':
		cmd_G(s, buf + 1, end);
		return;
	case 'p':
	case 'P':
		cmd_p(s, buf + 1, end, buf[0] == 'P');
		return;
	case 'm':
		cmd_m(s, buf + 1, end);
		return;
	case 'M':
	case 'X':
		cmd_M(s, buf, end, buf[0] == 'X');
		return;
	case 'H':
		cmd_H(s, buf + 1, end);
		return;
	case 'T':
		cmd_T(s, buf + 1, end);
		return;
	case 'q':
		cmd_q(s, buf, len);
		return;
	case 'Q':
		if (len == 15 && !memcmp(buf, "QStartNoAckMode", 15)) {
			gdb_reply_str(s, "OK"); /* still acked by gdb; everything after is not */
			s->noack = 1;
			return;
		}
		gdb_reply(s, "", 0);
		return;
	default:
		gdb_reply(s, "", 0);
	}
}
