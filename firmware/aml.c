// SPDX-License-Identifier: GPL-2.0-or-later
#include "aml.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"

/* opcodes, ACPI 6 section 20 */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_STRING 0x0d
#define AML_QWORD 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT 0x5b
#define AML_DEVICE 0x82
#define AML_ROOT 0x5c
#define AML_PARENT 0x5e
#define AML_DUAL_NAME 0x2e
#define AML_MULTI_NAME 0x2f

static void set_err(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
}

int aml_finish(const struct aml *a)
{
	if (a->err)
		return a->err;
	if (a->depth)
		return -EINVAL;
	return a->len > INT32_MAX ? -ENOSPC : (int)a->len;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->cap - a->len) {
		set_err(a, -ENOSPC);
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static int name_char(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
}

void aml_namestring(struct aml *a, const char *path)
{
	uint8_t segs[255][4];
	unsigned n = 0;
	const char *p = path;
	if (*p == '\\')
		aml_byte(a, AML_ROOT), p++;
	else
		while (*p == '^')
			aml_byte(a, AML_PARENT), p++;
	while (*p) {
		size_t l = strcspn(p, ".");
		if (l == 0 || l > 4 || n == 255 || !name_char(p[0], 1)) {
			set_err(a, -EINVAL);
			return;
		}
		memset(segs[n], '_', 4);
		for (size_t i = 0; i < l; i++) {
			if (!name_char(p[i], 0)) {
				set_err(a, -EINVAL);
				return;
			}
			segs[n][i] = (uint8_t)p[i];
		}
		n++;
		p += l;
		if (*p == '.' && !*++p) {
			set_err(a, -EINVAL); /* trailing dot */
			return;
		}
	}
	if (n == 0)
		aml_byte(a, AML_ZERO); /* NullName */
	else if (n == 2)
		aml_byte(a, AML_DUAL_NAME);
	else if (n > 2)
		aml_byte(a, AML_MULTI_NAME), aml_byte(a, (uint8_t)n);
	aml_bytes(a, segs, (size_t)n * 4);
}

void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t b[9];
	size_t n;
	if (v <= 1) {
		aml_byte(a, v ? AML_ONE : AML_ZERO);
		return;
	}
	if (v <= 0xff)
		b[0] = AML_BYTE, n = 1;
	else if (v <= 0xffff)
		b[0] = AML_WORD, n = 2;
	else if (v <= 0xffffffff)
		b[0] = AML_DWORD, n = 4;
	else
		b[0] = AML_QWORD, n = 8;
	for (size_t i = 0; i < n; i++)
		b[1 + i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n + 1);
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING);
	aml_bytes(a, s, strlen(s) + 1);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void aml_eisaid(struct aml *a, const char *id)
{
	if (strlen(id) != 7) {
		set_err(a, -EINVAL);
		return;
	}
	uint32_t v = 0;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			set_err(a, -EINVAL);
			return;
		}
		v |= (uint32_t)(id[i] - 0x40) << (26 - 5 * i); /* three 5-bit letters */
	}
	for (int i = 3; i < 7; i++) {
		int h = hexval(id[i]);
		if (h < 0) {
			set_err(a, -EINVAL);
			return;
		}
		v |= (uint32_t)h << (4 * (6 - i));
	}
	/* stored big-endian: "PNP0A03" is the bytes 41 d0 0a 03 */
	uint8_t b[5] = { AML_DWORD, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			 (uint8_t)v };
	aml_bytes(a, b, sizeof(b));
}

static void pkg_begin(struct aml *a)
{
	if (a->depth >= AML_MAX_DEPTH) {
		set_err(a, -EINVAL);
		return;
	}
	a->open[a->depth++] = a->len;
	aml_byte(a, 0); /* one byte reserved; aml_end widens it when needed */
}

void aml_end(struct aml *a)
{
	if (a->depth <= 0) {
		set_err(a, -EINVAL);
		return;
	}
	size_t at = a->open[--a->depth];
	if (a->err)
		return;
	size_t body = a->len - at - 1;
	/* PkgLength counts its own bytes: 1 byte up to 63, else 2-4 bytes with 4+8k bits */
	size_t n = body + 1 <= 0x3f ? 1 : body + 2 <= 0xfff ? 2 : body + 3 <= 0xfffff ? 3 : 4;
	if (n == 4 && body + 4 > 0xfffffff) {
		set_err(a, -ENOSPC);
		return;
	}
	if (n - 1 > a->cap - a->len) {
		set_err(a, -ENOSPC);
		return;
	}
	memmove(a->buf + at + n, a->buf + at + 1, body);
	a->len += n - 1;
	size_t total = body + n;
	if (n == 1) {
		a->buf[at] = (uint8_t)total;
		return;
	}
	a->buf[at] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
	for (size_t i = 1; i < n; i++)
		a->buf[at + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

void aml_buffer(struct aml *a, const uint8_t *data, size_t n)
{
	aml_byte(a, AML_BUFFER);
	pkg_begin(a);
	aml_integer(a, n);
	aml_bytes(a, data, n);
	aml_end(a);
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME);
	aml_namestring(a, path);
}

void aml_scope_begin(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE);
	pkg_begin(a);
	aml_namestring(a, path);
}

void aml_device_begin(struct aml *a, const char *path)
{
	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	pkg_begin(a);
	aml_namestring(a, path);
}

void aml_package_begin(struct aml *a, unsigned nelems)
{
	if (nelems > 255) {
		set_err(a, -EINVAL); /* VarPackage would be needed */
		return;
	}
	aml_byte(a, AML_PACKAGE);
	pkg_begin(a);
	aml_byte(a, (uint8_t)nelems);
}

/* resource descriptors, ACPI 6 section 6.4 */
#define RES_IO 0x47
#define RES_END 0x79
#define RES_MEM32_FIXED 0x86
#define RES_DWORD 0x87
#define RES_WORD 0x88
#define RES_EXT_IRQ 0x89
#define RES_TYPE_MEM 0
#define RES_TYPE_IO 1
#define RES_TYPE_BUS 2
#define RES_GEN_FIXED 0x0c /* producer, positive decode, min and max fixed */

static void res_word(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	uint8_t d[16] = { RES_WORD, 13, 0, type, RES_GEN_FIXED, tflags };
	le_put16(d, 6, 0); /* granularity */
	le_put16(d, 8, min);
	le_put16(d, 10, max);
	le_put16(d, 12, 0); /* translation offset */
	le_put16(d, 14, (uint16_t)(max - min + 1));
	aml_bytes(a, d, sizeof(d));
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	res_word(a, RES_TYPE_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	res_word(a, RES_TYPE_IO, 0x03, min, max); /* ISA and non-ISA ranges */
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	uint8_t d[8] = { RES_IO, 0x01 /* 16-bit decode */ };
	le_put16(d, 2, base);
	le_put16(d, 4, base);
	d[6] = 1; /* alignment */
	d[7] = len;
	aml_bytes(a, d, sizeof(d));
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	uint8_t d[26] = { RES_DWORD, 23, 0, RES_TYPE_MEM, RES_GEN_FIXED, 0x01 /* RW, uncached */ };
	le_put32(d, 6, 0);
	le_put32(d, 10, min);
	le_put32(d, 14, max);
	le_put32(d, 18, 0);
	le_put32(d, 22, max - min + 1);
	aml_bytes(a, d, sizeof(d));
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	uint8_t d[12] = { RES_MEM32_FIXED, 9, 0, 0x01 /* read/write */ };
	le_put32(d, 4, base);
	le_put32(d, 8, len);
	aml_bytes(a, d, sizeof(d));
}

void aml_res_irq(struct aml *a, uint32_t gsi, int level, int active_low)
{
	/* consumer, exclusive; bit 1 = edge, bit 2 = active low */
	uint8_t flags = (uint8_t)(0x01 | (level ? 0 : 0x02) | (active_low ? 0x04 : 0));
	uint8_t d[9] = { RES_EXT_IRQ, 6, 0, flags, 1 };
	le_put32(d, 5, gsi);
	aml_bytes(a, d, sizeof(d));
}

void aml_res_end(struct aml *a)
{
	uint8_t d[2] = { RES_END, 0 }; /* checksum 0: "treat as correct" */
	aml_bytes(a, d, sizeof(d));
}
