// SPDX-License-Identifier: GPL-2.0-or-later
/* One debugger connection: acks, resends, dispatch of packets to the command handlers
 * (vmm/gdb_cmds.c), run control and stop replies, breakpoint slots. See gdb.h. */
#include "gdb.h"
#include "gdb_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *t,
		      int (*send)(void *opaque, const void *buf, size_t len), void *send_opaque)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->t = t;
	s->send = send;
	s->send_opaque = send_opaque;
	s->cur_c = -1;
	s->stop_sig = GDB_SIGTRAP;
	gdb_rx_init(&s->rx);
	s->xml_len = gdb_target_xml(s->xml, sizeof(s->xml));
}

void gdb_reply(struct gdb_session *s, const char *payload, size_t len)
{
	size_t n = gdb_frame(payload, len, s->last, sizeof(s->last));
	if (!n) /* a reply never outgrows the buffer; were it to, an error is what gdb gets */
		n = gdb_frame("E01", 3, s->last, sizeof(s->last));
	s->last_len = n;
	s->send(s->send_opaque, s->last, n);
}

void gdb_reply_str(struct gdb_session *s, const char *str)
{
	gdb_reply(s, str, strlen(str));
}

void gdb_reply_err(struct gdb_session *s, int err)
{
	char e[8];
	snprintf(e, sizeof(e), "E%02x", (unsigned)(err < 0 ? -err : err) & 0xff);
	gdb_reply_str(s, e);
}

void gdb_reply_status(struct gdb_session *s, int ret)
{
	if (ret)
		gdb_reply_err(s, ret);
	else
		gdb_reply_str(s, "OK");
}

static void stop_reply(struct gdb_session *s)
{
	char r[96];
	int n = snprintf(r, sizeof(r), "T%02xthread:%x;", (unsigned)s->stop_sig & 0xff, s->stop_cpu + 1);
	for (unsigned i = 0; i < GDB_NSLOTS && s->stop_sig == GDB_SIGTRAP; i++) {
		const struct gdb_bp *b = &s->bp[i];
		if (!(s->stop_dr6 & (1ULL << i)) || !b->used)
			continue;
		if (b->type >= GDB_WP_WRITE) {
			static const char *const kind[] = { "watch", "rwatch", "awatch" };
			snprintf(r + n, sizeof(r) - (size_t)n, "%s:%llx;", kind[b->type - GDB_WP_WRITE],
				 (unsigned long long)b->addr);
		} else if (s->hwbreak) {
			snprintf(r + n, sizeof(r) - (size_t)n, "hwbreak:;");
		}
		break;
	}
	gdb_reply_str(s, r);
}

void gdb_session_stopped(struct gdb_session *s, unsigned cpu, uint64_t dr6, int sig)
{
	if (!s->running || s->ended)
		return;
	s->running = 0;
	s->stop_cpu = cpu;
	s->stop_dr6 = dr6;
	s->stop_sig = sig;
	s->cur_g = cpu; /* gdb takes the reporting thread as the current one */
	stop_reply(s);
}

void gdb_hwdebug_build(const struct gdb_bp *bp, struct gdb_hwdebug *d)
{
	memset(d, 0, sizeof(*d));
	for (unsigned i = 0; i < GDB_NSLOTS; i++) {
		if (!bp[i].used)
			continue;
		/* R/W: 00 execute, 01 write, 11 read or write (x86 has no read-only breakpoint);
		 * LEN: 00 1 byte, 01 2, 11 4, 10 8; execute breakpoints are 1 byte */
		unsigned rw = bp[i].type == GDB_WP_WRITE ? 1 : bp[i].type >= GDB_WP_READ ? 3 : 0;
		unsigned len = rw == 0 ? 0 : bp[i].len == 2 ? 1 : bp[i].len == 4 ? 3 : bp[i].len == 8 ? 2 : 0;
		d->dr[i] = bp[i].addr;
		d->dr7 |= 3ULL << (2 * i); /* L and G */
		d->dr7 |= (uint64_t)(rw | len << 2) << (16 + 4 * i);
	}
	if (d->dr7)
		d->dr7 |= 0x700; /* LE, GE (exact data breakpoints) and the reserved bit 10 */
}

/* Z/z TYPE,ADDR,KIND */
static void cmd_bp(struct gdb_session *s, const char *p, const char *end, int insert)
{
	uint64_t type, addr, kind;
	if (gdb_parse_hex(&p, end, &type) || p == end || *p++ != ',' || gdb_parse_hex(&p, end, &addr) || p == end ||
	    *p++ != ',' || gdb_parse_hex(&p, end, &kind) || (p != end && *p != ';')) {
		gdb_reply_err(s, EINVAL);
		return;
	}
	if (type > GDB_WP_ACCESS) {
		gdb_reply(s, "", 0); /* not a kind gdb may expect: unsupported */
		return;
	}
	if (type >= GDB_WP_WRITE && s->no_data_bp) {
		/* refused rather than set and silent: gdb says so, and software watchpoints
		 * (set can-use-hw-watchpoints 0) single-step instead */
		gdb_reply_err(s, EOPNOTSUPP);
		return;
	}
	unsigned len = type >= GDB_WP_WRITE ? (unsigned)kind : 1;
	if (type >= GDB_WP_WRITE && (kind > 8 || (kind & (kind - 1)) || !kind || (addr & (kind - 1)))) {
		gdb_reply_err(s, EINVAL); /* a debug register watches 1, 2, 4 or 8 aligned bytes */
		return;
	}
	int slot = -1, freeslot = -1;
	for (int i = 0; i < GDB_NSLOTS; i++) {
		struct gdb_bp *b = &s->bp[i];
		if (b->used && b->type == (enum gdb_bp_type)type && b->addr == addr && b->len == len)
			slot = i;
		else if (!b->used && freeslot < 0)
			freeslot = i;
	}
	if (!insert) {
		if (slot >= 0)
			s->bp[slot].used = 0;
		gdb_reply_str(s, "OK");
		return;
	}
	if (slot < 0) {
		if (freeslot < 0) {
			gdb_reply_err(s, ENOSPC); /* all four debug registers in use */
			return;
		}
		s->bp[freeslot] = (struct gdb_bp){ 1, (enum gdb_bp_type)type, addr, len };
	}
	gdb_reply_str(s, "OK");
}

/* Resumes the target; step: the vCPU to step or -1. An optional ADDR sets its rip first. */
static void do_resume(struct gdb_session *s, int step, const char *p, const char *end)
{
	if (p < end) {
		uint64_t addr;
		struct gdb_regs r;
		unsigned cpu = step >= 0 ? (unsigned)step : s->cur_g;
		if (gdb_parse_hex(&p, end, &addr) || p != end || s->ops->get_regs(s->t, cpu, &r)) {
			gdb_reply_err(s, EINVAL);
			return;
		}
		r.rip = addr;
		if (s->ops->set_regs(s->t, cpu, &r)) {
			gdb_reply_err(s, EIO);
			return;
		}
	}
	struct gdb_hwdebug d;
	gdb_hwdebug_build(s->bp, &d);
	int ret = s->ops->resume(s->t, &d, step);
	if (ret) {
		gdb_reply_err(s, ret);
		return;
	}
	s->running = 1; /* the stop reply comes with gdb_session_stopped */
}

/* c [ADDR], s [ADDR], C SIG[;ADDR], S SIG[;ADDR]: the signal is dropped (a VM has no signals) */
static void cmd_resume(struct gdb_session *s, char op, const char *p, const char *end)
{
	if (op == 'C' || op == 'S') {
		uint64_t sig;
		if (gdb_parse_hex(&p, end, &sig)) {
			gdb_reply_err(s, EINVAL);
			return;
		}
		if (p < end && *p++ != ';') {
			gdb_reply_err(s, EINVAL);
			return;
		}
	}
	int step = op == 's' || op == 'S' ? (s->cur_c >= 0 ? s->cur_c : (int)s->cur_g) : -1;
	do_resume(s, step, p, end);
}

/* vCont;ACTION[:TID]...: a step action steps its thread alone, else any continue runs all */
static void cmd_vcont(struct gdb_session *s, const char *p, const char *end)
{
	int step = -1, cont = 0;
	while (p < end) {
		if (*p++ != ';' || p == end) {
			gdb_reply_err(s, EINVAL);
			return;
		}
		char a = *p++;
		if (a == 'C' || a == 'S') {
			uint64_t sig;
			if (gdb_parse_hex(&p, end, &sig)) {
				gdb_reply_err(s, EINVAL);
				return;
			}
		} else if (a != 'c' && a != 's') {
			gdb_reply_err(s, EINVAL); /* t, r: not offered in vCont? */
			return;
		}
		int tid = -1;
		if (p < end && *p == ':') {
			p++;
			if (gdb_parse_tid(s, &p, end, &tid)) {
				gdb_reply_err(s, EINVAL);
				return;
			}
		}
		if ((a == 's' || a == 'S') && step < 0)
			step = tid >= 0 ? tid : (int)s->cur_g;
		else if (a == 'c' || a == 'C')
			cont = 1;
	}
	if (step < 0 && !cont) {
		gdb_reply_err(s, EINVAL);
		return;
	}
	do_resume(s, step, end, end);
}

/* one packet's payload, NUL-terminated at buf[len] */
static void dispatch(struct gdb_session *s, char *buf, size_t len)
{
	const char *p = buf + 1, *end = buf + len;
	if (!len) {
		gdb_reply(s, "", 0);
		return;
	}
	switch (buf[0]) {
	case '?':
		stop_reply(s);
		return;
	case 'c':
	case 'C':
	case 's':
	case 'S':
		cmd_resume(s, buf[0], p, end);
		return;
	case 'Z':
	case 'z':
		cmd_bp(s, p, end, buf[0] == 'Z');
		return;
	case 'D':
		memset(s->bp, 0, sizeof(s->bp));
		gdb_reply_str(s, "OK");
		s->ops->detach(s->t);
		s->ended = 1;
		return;
	case 'k':
		s->ended = 1;
		s->ops->kill(s->t);
		return;
	case 'v':
		if (len >= 5 && !memcmp(buf, "vCont", 5)) {
			if (len == 6 && buf[5] == '?')
				gdb_reply_str(s, "vCont;c;C;s;S");
			else
				cmd_vcont(s, buf + 5, end);
			return;
		}
		gdb_reply(s, "", 0);
		return;
	default:
		gdb_cmd(s, buf, len);
	}
}

int gdb_session_input(struct gdb_session *s, const void *data, size_t n)
{
	const uint8_t *b = data;
	for (size_t i = 0; i < n && !s->ended; i++) {
		switch (gdb_rx_byte(&s->rx, b[i])) {
		case GDB_RX_PACKET:
			if (!s->noack)
				s->send(s->send_opaque, "+", 1);
			if (!s->running)
				dispatch(s, (char *)s->rx.buf, s->rx.len);
			break;
		case GDB_RX_OVERSIZE:
			if (!s->noack) /* a resend would be as long: take it and say it was too long */
				s->send(s->send_opaque, "+", 1);
			if (!s->running)
				gdb_reply_err(s, EMSGSIZE);
			break;
		case GDB_RX_BADSUM:
			if (!s->noack)
				s->send(s->send_opaque, "-", 1);
			break;
		case GDB_RX_NAK:
			if (!s->noack && s->last_len)
				s->send(s->send_opaque, s->last, s->last_len);
			break;
		case GDB_RX_INTR:
			if (s->running) {
				s->ops->interrupt(s->t);
				gdb_session_stopped(s, s->cur_g, 0, GDB_SIGINT);
			}
			break;
		default:
			break;
		}
	}
	return s->ended;
}
