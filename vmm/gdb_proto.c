// SPDX-License-Identifier: GPL-2.0-or-later
/* GDB remote serial protocol framing: see gdb_proto.h. */
#include "gdb_proto.h"

#include <errno.h>
#include <string.h>

enum { ST_IDLE, ST_DATA, ST_SUM1, ST_SUM2 };

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->st = ST_IDLE;
	rx->len = 0;
	rx->sum = rx->got = 0;
	rx->over = 0;
	rx->buf[0] = 0;
}

int gdb_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum gdb_rx_ev gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	switch (rx->st) {
	case ST_IDLE:
		if (c == '$') {
			rx->st = ST_DATA;
			rx->len = 0;
			rx->sum = 0;
			rx->over = 0;
			return GDB_RX_NONE;
		}
		return c == 0x03 ? GDB_RX_INTR : c == '+' ? GDB_RX_ACK : c == '-' ? GDB_RX_NAK : GDB_RX_NONE;
	case ST_DATA:
		if (c == '#') {
			rx->st = ST_SUM1;
			return GDB_RX_NONE;
		}
		if (c == '$') { /* a new packet before the old one ended: the old one was garbage */
			rx->len = 0;
			rx->sum = 0;
			rx->over = 0;
			return GDB_RX_NONE;
		}
		rx->sum = (uint8_t)(rx->sum + c);
		if (rx->len < GDB_PKT_MAX)
			rx->buf[rx->len++] = c;
		else
			rx->over = 1;
		return GDB_RX_NONE;
	case ST_SUM1: {
		int hi = gdb_hexval(c);
		rx->st = hi < 0 ? ST_IDLE : ST_SUM2;
		rx->got = (uint8_t)(hi < 0 ? 0 : hi);
		return hi < 0 ? GDB_RX_BADSUM : GDB_RX_NONE;
	}
	default: {
		rx->st = ST_IDLE;
		int lo = gdb_hexval(c);
		rx->buf[rx->len] = 0;
		if (lo < 0)
			return GDB_RX_BADSUM;
		if ((uint8_t)(rx->got << 4 | lo) != rx->sum)
			return GDB_RX_BADSUM;
		return rx->over ? GDB_RX_OVERSIZE : GDB_RX_PACKET;
	}
	}
}

size_t gdb_frame(const void *payload, size_t len, uint8_t *out, size_t cap)
{
	const uint8_t *p = payload;
	size_t o = 0;
	uint8_t sum = 0;
	if (cap < 4)
		return 0;
	out[o++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		int esc = c == '$' || c == '#' || c == '}' || c == '*';
		if (o + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[o++] = '}';
			sum = (uint8_t)(sum + '}');
			c ^= 0x20;
		}
		out[o++] = c;
		sum = (uint8_t)(sum + c);
	}
	static const char hex[] = "0123456789abcdef";
	out[o++] = '#';
	out[o++] = (uint8_t)hex[sum >> 4];
	out[o++] = (uint8_t)hex[sum & 15];
	return o;
}

long gdb_unescape(uint8_t *buf, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '}') {
			if (++i == len)
				return -EINVAL;
			buf[o++] = buf[i] ^ 0x20;
		} else {
			buf[o++] = buf[i];
		}
	}
	return (long)o;
}

int gdb_hex_decode(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = gdb_hexval((unsigned char)s[2 * i]), lo = gdb_hexval((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void gdb_hex_encode(const void *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = in;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = 0;
}

int gdb_parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int n = 0;
	while (s < end && gdb_hexval((unsigned char)*s) >= 0) {
		if (++n > 16)
			return -EINVAL;
		x = x << 4 | (uint64_t)gdb_hexval((unsigned char)*s++);
	}
	if (!n)
		return -EINVAL;
	*v = x;
	*p = s;
	return 0;
}
