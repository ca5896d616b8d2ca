// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: what `kvmini run --incoming` reads from the network (vmm/migrate_stream.c), into
 * 64 pages of fake RAM, handed out in pieces of the sizes the input's first byte says (a socket
 * splits as it likes). Then again with the trailing CRC made right, so mutations get past the
 * checksum into the sections. Invariants: a stream accepted has a state section within bounds;
 * every page index applied was in RAM (ASan sees the rest); a refused stream keeps nothing. Seeds
 * in tests/fuzz/corpus/fuzz_migration/ (mkseeds.py): a whole stream of two rounds and a bare one. */
#include "fuzz.h"

#include <zlib.h>

#include "vmm/migrate_stream.h"

#define PAGES 64u

struct src {
	const uint8_t *p;
	size_t len, pos, chunk;
};

static ssize_t rd(void *opaque, void *buf, size_t len)
{
	struct src *s = opaque;
	size_t n = s->len - s->pos;
	n = n < len ? n : len;
	n = n < s->chunk ? n : s->chunk;
	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static void one(const uint8_t *data, size_t size, size_t chunk)
{
	static uint8_t *ram;
	if (!ram && !(ram = malloc(PAGES * SNAP_PAGE)))
		abort();
	struct src s = { .p = data, .len = size, .chunk = chunk };
	struct mig_in in = { .read = rd, .opaque = &s, .ram = ram, .ram_size = PAGES * SNAP_PAGE };
	char why[200];
	int ret = mig_receive(&in, why, sizeof(why));
	if (ret && in.state)
		abort();
	if (!ret && (!in.state || !in.state_len || in.state_len > SNAP_STATE_MAX || in.bytes > size))
		abort();
	free(in.state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = data[0] ? data[0] : 4096;
	data++, size--;
	one(data, size, chunk);
	if (size >= STATE_MIN_SIZE) {
		uint8_t *fixed = malloc(size);
		if (!fixed)
			return 0;
		memcpy(fixed, data, size);
		le_put32(fixed, size - 4, (uint32_t)crc32(0, fixed, (uInt)(size - 4)));
		one(fixed, size, chunk);
		free(fixed);
	}
	return 0;
}
