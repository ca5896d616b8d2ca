// SPDX-License-Identifier: GPL-2.0-or-later
/* The GDB stub's protocol side (vmm/gdb_proto.c, vmm/gdb_session.c, vmm/gdb_cmds.c, vmm/gdb_regs.c)
 * against a fake two-vCPU target: framing, checksums, escapes, acks and resends, bad and oversize
 * packets, the register layout of g/p/G/P, memory m/M/X, breakpoint slots and the DR7 they make,
 * threads, run control and stop replies, the target description. */
#include "unit.h"
#include "vmm/gdb.h"

#include <errno.h>

#define MEMBASE 0x1000u
#define MEMSIZE 0x2000u

struct fake {
	struct gdb_regs r[2];
	uint8_t mem[MEMSIZE];
	int resumes, last_step, interrupts, detached, killed;
	struct gdb_hwdebug hw;
	char out[65536];
	size_t outlen;
};

static unsigned f_ncpus(void *t)
{
	return 2;
}
static int f_get(void *t, unsigned cpu, struct gdb_regs *r)
{
	struct fake *f = t;
	ck_assert_uint_lt(cpu, 2);
	*r = f->r[cpu];
	return 0;
}
static int f_set(void *t, unsigned cpu, const struct gdb_regs *r)
{
	struct fake *f = t;
	ck_assert_uint_lt(cpu, 2);
	f->r[cpu] = *r;
	return 0;
}
static long f_read(void *t, unsigned cpu, uint64_t va, void *buf, size_t len)
{
	struct fake *f = t;
	if (va < MEMBASE || va >= MEMBASE + MEMSIZE)
		return -EFAULT;
	size_t n = MEMBASE + MEMSIZE - va < len ? MEMBASE + MEMSIZE - va : len;
	memcpy(buf, f->mem + (va - MEMBASE), n);
	return (long)n;
}
static int f_write(void *t, unsigned cpu, uint64_t va, const void *buf, size_t len)
{
	struct fake *f = t;
	if (va < MEMBASE || va + len > MEMBASE + MEMSIZE)
		return -EFAULT;
	memcpy(f->mem + (va - MEMBASE), buf, len);
	return 0;
}
static int f_resume(void *t, const struct gdb_hwdebug *d, int step)
{
	struct fake *f = t;
	f->resumes++;
	f->last_step = step;
	f->hw = *d;
	return 0;
}
static void f_interrupt(void *t)
{
	((struct fake *)t)->interrupts++;
}
static void f_detach(void *t)
{
	((struct fake *)t)->detached++;
}
static void f_kill(void *t)
{
	((struct fake *)t)->killed++;
}
static const struct gdb_target_ops fops = { f_ncpus, f_get, f_set, f_read, f_write, f_resume, f_interrupt, f_detach, f_kill };

static int f_send(void *o, const void *buf, size_t len)
{
	struct fake *f = o;
	ck_assert_uint_lt(f->outlen + len, sizeof(f->out));
	memcpy(f->out + f->outlen, buf, len);
	f->outlen += len;
	f->out[f->outlen] = 0;
	return 0;
}

static struct fake F;
static struct gdb_session S;

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	for (unsigned i = 0; i < MEMSIZE; i++)
		F.mem[i] = (uint8_t)i;
	F.r[0].rip = 0x1122334455667788ULL;
	F.r[0].gpr[GDB_RSP] = 0xabcdef;
	F.r[1].rip = 0x2000;
	gdb_session_init(&S, &fops, &F, f_send, &F);
}

static void feed(const char *raw)
{
	gdb_session_input(&S, raw, strlen(raw));
}

/* sends one packet, returns the payload of the one reply (checked: acked, framed, checksum) */
static const char *xchg(const char *payload)
{
	static char reply[GDB_PKT_MAX + 1];
	uint8_t frame[2 * GDB_PKT_MAX + 8];
	size_t n = gdb_frame(payload, strlen(payload), frame, sizeof(frame));
	ck_assert_uint_gt(n, 0);
	F.outlen = 0;
	F.out[0] = 0;
	int acked = !S.noack;
	gdb_session_input(&S, frame, n);
	const char *p = F.out;
	if (acked) {
		ck_assert_msg(*p == '+', "no ack for %s: %s", payload, F.out);
		p++;
	}
	if (!*p)
		return NULL; /* no reply (resume) */
	ck_assert_msg(*p == '$', "reply to %.20s: %.40s", payload, F.out);
	const char *h = strrchr(p, '#');
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(strlen(h), 3);
	unsigned sum = 0;
	for (const char *c = p + 1; c < h; c++)
		sum = (sum + (unsigned char)*c) & 0xff;
	ck_assert_uint_eq(sum, (unsigned)strtoul(h + 1, NULL, 16));
	size_t len = (size_t)(h - p - 1);
	memcpy(reply, p + 1, len);
	reply[len] = 0;
	return reply;
}

START_TEST(framing)
{
	uint8_t out[64];
	size_t n = gdb_frame("a$#}*b", 6, out, sizeof(out));
	out[n] = 0;
	/* a } 04 } 03 } 5d } 0a b: the checksum counts the escaped bytes */
	ck_assert_str_eq((char *)out, "$a}\x04}\x03}]}\nb#25");
	ck_assert_uint_eq(gdb_frame("abc", 3, out, 6), 0); /* does not fit */
	uint8_t esc[] = "x}\x04}]";
	ck_assert_int_eq(gdb_unescape(esc, 5), 3);
	ck_assert_mem_eq(esc, "x$}", 3);
	uint8_t bad[] = "ab}";
	ck_assert_int_eq(gdb_unescape(bad, 3), -EINVAL);
	struct gdb_rx rx;
	gdb_rx_init(&rx);
	const char *pkt = "junk$g#67";
	enum gdb_rx_ev ev = GDB_RX_NONE;
	for (const char *c = pkt; *c; c++)
		ev = gdb_rx_byte(&rx, (uint8_t)*c);
	ck_assert_int_eq(ev, GDB_RX_PACKET);
	ck_assert_str_eq((char *)rx.buf, "g");
	for (const char *c = "$g#68"; *c; c++)
		ev = gdb_rx_byte(&rx, (uint8_t)*c);
	ck_assert_int_eq(ev, GDB_RX_BADSUM);
	for (const char *c = "$g#6z"; *c; c++)
		ev = gdb_rx_byte(&rx, (uint8_t)*c);
	ck_assert_int_eq(ev, GDB_RX_BADSUM);
	ck_assert_int_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_INTR);
	ck_assert_int_eq(gdb_rx_byte(&rx, '-'), GDB_RX_NAK);
	uint64_t v;
	const char *h = "ffffffffffffffff1", *e = h + strlen(h);
	ck_assert_int_eq(gdb_parse_hex(&h, e, &v), -EINVAL); /* 17 digits */
	h = "1f,";
	ck_assert_int_eq(gdb_parse_hex(&h, h + 3, &v), 0);
	ck_assert_uint_eq(v, 0x1f);
	ck_assert_int_eq(*h, ',');
}
END_TEST

START_TEST(acks_and_errors)
{
	F.outlen = 0;
	feed("$g#00"); /* bad checksum: a NAK, no reply */
	ck_assert_str_eq(F.out, "-");
	ck_assert_str_eq(xchg("?"), "T05thread:1;");
	F.outlen = 0;
	feed("-"); /* resend of the last reply */
	ck_assert_str_eq(F.out, "$T05thread:1;#d7");
	/* an oversize packet is taken (a resend would be no shorter) and answered with an error */
	static char big[GDB_PKT_MAX + 16];
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ck_assert_str_eq(xchg(big), "E5a");
	ck_assert_str_eq(xchg("m1000"), "E16"); /* no length */
	ck_assert_str_eq(xchg("mzz,4"), "E16");
	ck_assert_str_eq(xchg("Hx1"), "E16");
	ck_assert_str_eq(xchg("Z1,1000"), "E16");
	ck_assert_str_eq(xchg("vCont;t"), "E16");
	ck_assert_str_eq(xchg("qFooBar"), ""); /* unknown: empty */
	ck_assert_str_eq(xchg("vMustReplyEmpty"), "");
	ck_assert_str_eq(xchg("QStartNoAckMode"), "OK");
	ck_assert(S.noack);
	ck_assert_str_eq(xchg("?"), "T05thread:1;"); /* no '+' now: xchg checks */
	F.outlen = 0;
	feed("$g#00"); /* no NAK either */
	ck_assert_uint_eq(F.outlen, 0);
}
END_TEST

START_TEST(registers)
{
	ck_assert_uint_eq(gdb_regs_bytes(), 608);
	const char *g = xchg("g");
	ck_assert_uint_eq(strlen(g), 2 * 608);
	/* rsp is gdb's register 7, rip 16, at byte 128 */
	ck_assert(!strncmp(g + 7 * 16, "efcdab0000000000", 16));
	ck_assert(!strncmp(g + 128 * 2, "8877665544332211", 16));
	ck_assert_str_eq(xchg("p10"), "8877665544332211");
	ck_assert_str_eq(xchg("p11"), "00000000"); /* eflags: 32 bits */
	ck_assert_str_eq(xchg("p42"), "E16");
	ck_assert_str_eq(xchg("P10=0100000000000000"), "OK");
	ck_assert_uint_eq(F.r[0].rip, 1);
	ck_assert_str_eq(xchg("P10=01"), "E16"); /* wrong size */
	/* G: the g image with cr3 (register 62, at byte 576) changed */
	char img[2 * 608 + 2];
	img[0] = 'G';
	strcpy(img + 1, xchg("g"));
	memcpy(img + 1 + 2 * 576, "00f0000000000000", 16);
	ck_assert_str_eq(xchg(img), "OK");
	ck_assert_uint_eq(F.r[0].cr[GDB_CR3], 0xf000);
	img[strlen(img) - 1] = 0;
	ck_assert_str_eq(xchg(img), "E16");
	/* Hg2: vCPU 1's registers */
	ck_assert_str_eq(xchg("Hg2"), "OK");
	ck_assert_str_eq(xchg("p10"), "0020000000000000");
	ck_assert_str_eq(xchg("Hg3"), "E16");
	ck_assert_str_eq(xchg("qC"), "QC2");
}
END_TEST

START_TEST(memory)
{
	ck_assert_str_eq(xchg("m1010,4"), "10111213");
	ck_assert_str_eq(xchg("m2ffe,4"), "feff"); /* cut at the end of memory */
	ck_assert_str_eq(xchg("m3000,4"), "E0e");
	ck_assert_str_eq(xchg("m1000,0"), "");
	ck_assert_uint_eq(strlen(xchg("m1000,ffffff")), (GDB_PKT_MAX - 8) / 2 * 2); /* what one reply holds */
	ck_assert_str_eq(xchg("M1000,2:abcd"), "OK");
	ck_assert_uint_eq(F.mem[0], 0xab);
	ck_assert_uint_eq(F.mem[1], 0xcd);
	ck_assert_str_eq(xchg("M1000,2:abc"), "E16");
	ck_assert_str_eq(xchg("M1000,2:abcx"), "E16");
	ck_assert_str_eq(xchg("M2fff,2:abcd"), "E0e");
	/* X: binary; the frame escapes '#' as "}\x03", the stub undoes it */
	uint8_t frame[64];
	const char x[] = "X1004,3:a#b";
	size_t n = gdb_frame(x, sizeof(x) - 1, frame, sizeof(frame));
	F.outlen = 0;
	gdb_session_input(&S, frame, n);
	ck_assert_str_eq(F.out, "+$OK#9a");
	ck_assert_mem_eq(F.mem + 4, "a#b", 3);
	ck_assert_str_eq(xchg("X1004,2:a"), "E16"); /* length mismatch */
}
END_TEST

START_TEST(breakpoints)
{
	struct gdb_hwdebug d;
	ck_assert_str_eq(xchg("Z1,1100,1"), "OK");
	ck_assert_str_eq(xchg("Z0,1200,1"), "OK"); /* software: a hardware slot */
	ck_assert_str_eq(xchg("Z2,1300,4"), "OK");
	ck_assert_str_eq(xchg("Z4,1308,8"), "OK");
	ck_assert_str_eq(xchg("Z3,1310,2"), "E1c"); /* all four slots used */
	ck_assert_str_eq(xchg("Z1,1100,1"), "OK"); /* already there */
	gdb_hwdebug_build(S.bp, &d);
	ck_assert_uint_eq(d.dr[0], 0x1100);
	ck_assert_uint_eq(d.dr[2], 0x1300);
	/* L0-3 G0-3, LE GE, bit 10; slot 2 R/W 01 LEN 11, slot 3 R/W 11 LEN 10 */
	ck_assert_uint_eq(d.dr7, 0xbd0007ffULL);
	ck_assert_str_eq(xchg("z0,1200,1"), "OK");
	ck_assert_str_eq(xchg("Z3,1310,2"), "OK");
	ck_assert_str_eq(xchg("Z2,1301,4"), "E16"); /* unaligned */
	ck_assert_str_eq(xchg("Z2,1300,3"), "E16");
	ck_assert_str_eq(xchg("Z5,1300,4"), ""); /* not a type */
	ck_assert_str_eq(xchg("z1,1100,1"), "OK");
	ck_assert_str_eq(xchg("z2,1300,4"), "OK");
	ck_assert_str_eq(xchg("z4,1308,8"), "OK");
	gdb_hwdebug_build(S.bp, &d);
	ck_assert_uint_eq(d.dr[1], 0x1310);
	ck_assert_uint_eq(d.dr7, 0x0070070cULL); /* slot 1 only: R/W 11 LEN 01 */
	S.no_data_bp = 1; /* a PVM host: watchpoints refused, breakpoints not */
	ck_assert_str_eq(xchg("Z2,1400,4"), "E5f");
	ck_assert_str_eq(xchg("Z1,1400,1"), "OK");
}
END_TEST

START_TEST(run_control)
{
	ck_assert_str_eq(xchg("qSupported:multiprocess+;hwbreak+;swbreak+"),
			 "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;vContSupported+;hwbreak+");
	ck_assert_str_eq(xchg("vCont?"), "vCont;c;C;s;S");
	ck_assert_str_eq(xchg("Z1,1100,1"), "OK");
	ck_assert_ptr_null(xchg("c")); /* no reply until it stops */
	ck_assert_int_eq(F.resumes, 1);
	ck_assert_int_eq(F.last_step, -1);
	ck_assert_uint_eq(F.hw.dr[0], 0x1100);
	ck_assert_ptr_null(xchg("g")); /* ignored while running (gdb waits for the stop) */
	F.outlen = 0;
	gdb_session_stopped(&S, 1, 0x1, GDB_SIGTRAP);
	ck_assert_str_eq(F.out, "$T05thread:2;hwbreak:;#31");
	ck_assert_str_eq(xchg("qC"), "QC2");
	/* vCont;s:1;c: vCPU 0 steps alone */
	ck_assert_ptr_null(xchg("vCont;s:1;c"));
	ck_assert_int_eq(F.last_step, 0);
	F.outlen = 0;
	gdb_session_stopped(&S, 0, GDB_DR6_BS, GDB_SIGTRAP);
	ck_assert_str_eq(F.out, "$T05thread:1;#d7");
	/* Ctrl-C: ignored while stopped, an interrupt and a SIGINT stop while running */
	feed("\x03");
	ck_assert_int_eq(F.interrupts, 0);
	ck_assert_ptr_null(xchg("c2000"));
	ck_assert_uint_eq(F.r[0].rip, 0x2000);
	F.outlen = 0;
	feed("\x03");
	ck_assert_int_eq(F.interrupts, 1);
	ck_assert_str_eq(F.out, "$T02thread:1;#d4");
	gdb_session_stopped(&S, 0, 1, GDB_SIGTRAP); /* a late stop after the interrupt: no reply */
	/* a watchpoint's stop names its address */
	ck_assert_str_eq(xchg("Z2,1300,4"), "OK");
	ck_assert_ptr_null(xchg("s"));
	ck_assert_int_eq(F.last_step, 0);
	F.outlen = 0;
	gdb_session_stopped(&S, 0, 0x2, GDB_SIGTRAP);
	ck_assert_str_eq(F.out, "$T05thread:1;watch:1300;#27");
	ck_assert_str_eq(xchg("Hc2"), "OK");
	ck_assert_ptr_null(xchg("S05"));
	ck_assert_int_eq(F.last_step, 1);
	gdb_session_stopped(&S, 1, GDB_DR6_BS, GDB_SIGTRAP);
	ck_assert_str_eq(xchg("D"), "OK");
	ck_assert_int_eq(F.detached, 1);
	ck_assert(S.ended);
}
END_TEST

START_TEST(threads_and_kill)
{
	ck_assert_str_eq(xchg("qfThreadInfo"), "m1,2");
	ck_assert_str_eq(xchg("qsThreadInfo"), "l");
	ck_assert_str_eq(xchg("T2"), "OK");
	ck_assert_str_eq(xchg("T3"), "E03");
	ck_assert_str_eq(xchg("qThreadExtraInfo,2"), "764350552031"); /* "vCPU 1" */
	ck_assert_str_eq(xchg("qAttached"), "1");
	ck_assert_str_eq(xchg("Hc-1"), "OK");
	ck_assert_str_eq(xchg("Hg0"), "OK");
	ck_assert_ptr_null(xchg("k"));
	ck_assert_int_eq(F.killed, 1);
	ck_assert_int_eq(gdb_session_input(&S, "$?#3f", 5), 1); /* ended: nothing more */
}
END_TEST

START_TEST(target_xml)
{
	char want[8192], got[8192];
	int len = gdb_target_xml(want, sizeof(want));
	ck_assert_int_gt(len, 1000);
	ck_assert_ptr_nonnull(strstr(want, "<architecture>i386:x86-64</architecture>"));
	ck_assert_ptr_nonnull(strstr(want, "<feature name=\"org.gnu.gdb.i386.segments\">\n"
					   "<reg name=\"fs_base\" bitsize=\"64\" type=\"int64\" regnum=\"57\"/>"));
	ck_assert_ptr_nonnull(strstr(want, "<reg name=\"efer\" bitsize=\"64\" type=\"int64\" regnum=\"65\"/>"));
	ck_assert_int_eq(gdb_target_xml(want, 100), -ENOSPC);
	gdb_target_xml(want, sizeof(want));
	/* read in 0x200-byte pieces: m while more follows, l for the last */
	size_t o = 0;
	for (;;) {
		char q[64];
		snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,200", o);
		const char *r = xchg(q);
		ck_assert(r[0] == 'm' || r[0] == 'l');
		memcpy(got + o, r + 1, strlen(r + 1));
		o += strlen(r + 1);
		if (r[0] == 'l')
			break;
		ck_assert_uint_eq(strlen(r + 1), 0x200);
	}
	ck_assert_uint_eq(o, (size_t)len);
	ck_assert_mem_eq(got, want, o);
	ck_assert_str_eq(xchg("qXfer:features:read:other.xml:0,10"), "E02");
	ck_assert_str_eq(xchg("qXfer:features:read:target.xml:0"), "E16");
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("gdb_proto");
	TCase *tc = tcase_create("session");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, framing);
	tcase_add_test(tc, acks_and_errors);
	tcase_add_test(tc, registers);
	tcase_add_test(tc, memory);
	tcase_add_test(tc, breakpoints);
	tcase_add_test(tc, run_control);
	tcase_add_test(tc, threads_and_kill);
	tcase_add_test(tc, target_xml);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
