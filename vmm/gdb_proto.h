/* SPDX-License-Identifier: GPL-2.0-or-later */
/* GDB remote serial protocol, the byte level: packet framing ($data#cs), checksums, the '}'
 * escape of binary data, acks and the Ctrl-C byte, and hex helpers. No I/O: the stub feeds bytes
 * in and writes what gdb_frame builds. */
#ifndef KVMINI_GDB_PROTO_H
#define KVMINI_GDB_PROTO_H
#include <stddef.h>
#include <stdint.h>

/* the largest packet payload accepted and sent (qSupported says PacketSize=4000, hex) */
#define GDB_PKT_MAX 0x4000

enum gdb_rx_ev {
	GDB_RX_NONE,	 /* byte consumed, nothing complete */
	GDB_RX_PACKET,	 /* a packet with a good checksum is in buf[0..len) */
	GDB_RX_BADSUM,	 /* a packet ended with a wrong or malformed checksum */
	GDB_RX_OVERSIZE, /* a packet longer than GDB_PKT_MAX ended (its data is dropped) */
	GDB_RX_INTR,	 /* 0x03 outside a packet: the user pressed Ctrl-C */
	GDB_RX_ACK,	 /* '+' */
	GDB_RX_NAK,	 /* '-': resend the last packet */
};

struct gdb_rx {
	int st; /* where in a packet the parser is */
	size_t len;
	uint8_t sum, got;
	int over; /* the packet outgrew buf */
	uint8_t buf[GDB_PKT_MAX + 1]; /* NUL-terminated payload, escapes not yet undone */
};

void gdb_rx_init(struct gdb_rx *rx);
/* Feeds one byte. Bytes between packets other than + - 0x03 are ignored (line noise). */
enum gdb_rx_ev gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/* Builds "$payload#cs" into out (cap bytes), escaping $ # } * as '}' c^0x20. Returns its length,
 * or 0 when it does not fit. */
size_t gdb_frame(const void *payload, size_t len, uint8_t *out, size_t cap);
/* Undoes the '}' escape in place; returns the new length or -EINVAL for a trailing '}'. */
long gdb_unescape(uint8_t *buf, size_t len);

int gdb_hexval(int c); /* 0..15, -1 for a non-hex character */
/* Decodes 2n hex digits into n bytes; -EINVAL on a non-hex digit. */
int gdb_hex_decode(const char *s, size_t n, uint8_t *out);
/* Encodes n bytes as 2n lower-case hex digits plus a NUL. */
void gdb_hex_encode(const void *in, size_t n, char *out);
/* Parses 1..16 hex digits at *p (up to end); advances *p. -EINVAL without a digit or beyond 64 bits. */
int gdb_parse_hex(const char **p, const char *end, uint64_t *v);

#endif
