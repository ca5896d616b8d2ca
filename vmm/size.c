// SPDX-License-Identifier: GPL-2.0-or-later
#include "size.h"

#include <errno.h>
#include <stdio.h>

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;
	if (!s || *s < '0' || *s > '9')
		return -EINVAL; /* no sign, no leading space: "-1" must not wrap to 16 EiB */
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	unsigned shift = 0;
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	case 't': case 'T': shift = 40; p++; break;
	default: break;
	}
	if (*p == 'B' || *p == 'b')
		p++;
	if (*p)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

const char *size_human(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	while (u < 6 && v >= (1ull << (10 * (u + 1))))
		u++;
	if (u == 0) {
		snprintf(buf, len, "%llu B", (unsigned long long)v);
		return buf;
	}
	/* three significant digits, like qemu-img, without floating-point rounding surprises */
	uint64_t whole = v >> (10 * u), rem = v & ((1ull << (10 * u)) - 1);
	uint64_t frac = ((rem >> (10 * (u - 1))) * 100) >> 10; /* no overflow */
	if (frac == 0)
		snprintf(buf, len, "%llu %s", (unsigned long long)whole, units[u]);
	else if (frac % 10 == 0)
		snprintf(buf, len, "%llu.%llu %s", (unsigned long long)whole,
		         (unsigned long long)(frac / 10), units[u]);
	else
		snprintf(buf, len, "%llu.%02llu %s", (unsigned long long)whole,
		         (unsigned long long)frac, units[u]);
	return buf;
}
