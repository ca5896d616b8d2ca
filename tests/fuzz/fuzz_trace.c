// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the exit trace reader (vmm/trace.c), what `kvmini trace FILE` parses. Invariants:
 * a refused trace says why on one line; an accepted one has a record count per vCPU that matches
 * the records kept, names with no NUL inside, and every record's label lookup stays in bounds.
 * Seeds in tests/fuzz/corpus/fuzz_trace/ (mkseeds.py: a two-vCPU trace with a marker and names). */
#include "fuzz.h"

#include "vmm/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace t;
	char why[256] = "";
	if (trace_parse(&t, data, size, why, sizeof(why))) {
		if (!why[0] || strchr(why, '\n'))
			abort();
		return 0;
	}
	uint64_t sum = 0;
	for (uint32_t v = 0; v < t.h.nvcpus; v++) {
		for (uint64_t i = 0; i < t.nrec[v]; i++) {
			const struct exit_rec *r = &t.rec[v][i];
			sum += r->tsc;
			int bus = r->reason == 2 ? 1 : r->reason == 6 ? 2 : 0;
			const char *n = bus ? trace_name_of(&t, bus, r->dev, NULL) : NULL;
			if (n && strlen(n) >= sizeof(t.names[0].name))
				abort();
		}
	}
	for (unsigned i = 0; i < t.nnames; i++)
		if (!t.names[i].name[0])
			abort();
	(void)sum;
	trace_free(&t);
	return 0;
}
