// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: what `kvmini run --restore` reads before anything runs (vmm/snapshot.c): the state
 * stream opened as it is, then again with its CRC made right so mutations reach the "machine"
 * section's parser and the vm/cpu sections after it. Invariant: a board the parser accepted
 * encodes again into a payload that parses back to the same board, and there is one parsed vCPU
 * state per vCPU (abort otherwise). Seeds in
 * tests/fuzz/corpus/fuzz_snapshot/: "board" and "bare" (mkseeds.py: machine sections alone) and
 * "ticker", the state file of a real snapshot of the ticker guest (64M, one vCPU). */
#include "fuzz.h"

#include <zlib.h>

#include "vmm/snapshot.h"

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_round_trip(const struct snap_board *b)
{
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, SNAP_MACHINE_ID, 0, SNAP_MACHINE_VERSION);
	snap_board_put(&w, b);
	state_end(&w);
	if (state_writer_finish(&w))
		abort();
	size_t len;
	const uint8_t *p = state_writer_data(&w, &len);
	struct state_stream s;
	struct state_section sec;
	char why[200];
	struct snap_board c;
	if (state_open(&s, p, len, why, sizeof(why)) || state_next(&s, &sec) != 1 ||
	    snap_board_get(&c, &sec.r, sec.version, why, sizeof(why)))
		abort();
	int same = c.mem == b->mem && c.cpus == b->cpus && c.cpu_host == b->cpu_host && c.ndevs == b->ndevs &&
		   c.nnets == b->nnets && same_str(c.kernel, b->kernel) && same_str(c.initrd, b->initrd) &&
		   same_str(c.append, b->append);
	for (unsigned i = 0; same && i < c.ndevs; i++)
		same = same_str(c.dev_opt[i], b->dev_opt[i]) && same_str(c.dev_val[i], b->dev_val[i]);
	for (unsigned i = 0; same && i < c.nnets; i++)
		same = same_str(c.nets[i], b->nets[i]);
	if (!same)
		abort();
	snap_board_free(&c);
	state_writer_free(&w);
}

static void one(const uint8_t *data, size_t size)
{
	struct snap_image img;
	memset(&img, 0, sizeof(img));
	img.buf = (uint8_t *)data;
	img.len = size;
	char why[200];
	if (!snap_image_parse(&img, why, sizeof(why))) {
		check_round_trip(&img.board);
		struct run_opts o;
		memset(&o, 0, sizeof(o));
		if (snap_image_opts(&img, &o, why, sizeof(why)) || o.mem != img.board.mem || o.nnets != img.board.nnets)
			abort();
		if (img.ncpu != img.board.cpus || !img.vm)
			abort();
		for (unsigned i = 0; i < img.ncpu; i++)
			if (!img.cpu[i])
				abort();
	}
	img.buf = NULL; /* the fuzzer's */
	snap_image_free(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one(data, size);
	if (size >= STATE_MIN_SIZE) {
		uint8_t *fixed = malloc(size);
		if (!fixed)
			return 0;
		memcpy(fixed, data, size);
		le_put32(fixed, size - 4, (uint32_t)crc32(0, fixed, (uInt)(size - 4)));
		one(fixed, size);
		free(fixed);
	}
	return 0;
}
