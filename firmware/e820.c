// SPDX-License-Identifier: GPL-2.0-or-later
#include "e820.h"

#include <errno.h>

#include "layout.h"

static int e820_add(struct e820_entry *out, unsigned max, unsigned *n, uint64_t addr, uint64_t end,
		    uint32_t type)
{
	if (end <= addr)
		return 0;
	if (*n >= max)
		return -ENOSPC;
	/* insertion keeps the table sorted; the kernel sanitizes it anyway, but boot loaders
	 * and humans reading dmesg expect order */
	unsigned i = *n;
	while (i > 0 && out[i - 1].addr > addr) {
		out[i] = out[i - 1];
		i--;
	}
	out[i] = (struct e820_entry){ .addr = addr, .size = end - addr, .type = type };
	(*n)++;
	return 0;
}

int e820_build(const struct gmem *m, struct e820_entry *out, unsigned max)
{
	const uint64_t rsv_lo = LAYOUT_MPTABLE, rsv_hi = LAYOUT_HIMEM;
	unsigned n = 0;
	int low = 0, err;

	if (m->nr <= 0)
		return -EINVAL;
	for (int i = 0; i < m->nr; i++) {
		uint64_t a = m->r[i].gpa, e = a + m->r[i].size;
		/* the part below the reserved area, then the part above it */
		err = e820_add(out, max, &n, a, e < rsv_lo ? e : rsv_lo, E820_RAM);
		if (err)
			return err;
		err = e820_add(out, max, &n, a > rsv_hi ? a : rsv_hi, e, E820_RAM);
		if (err)
			return err;
		if (a < rsv_hi)
			low = 1;
	}
	if (low) {
		err = e820_add(out, max, &n, rsv_lo, rsv_hi, E820_RESERVED);
		if (err)
			return err;
	}
	return (int)n;
}
