/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Exit counters per vCPU, always kept (no sharing between vCPUs on the hot path; QMP reads them
 * live). Times, histograms and the --stats reports are the profiler's (vmm/prof.h). */
#ifndef KVMINI_STATS_H
#define KVMINI_STATS_H
#include <stdint.h>
#include <stdio.h>

#include "bus.h"

#define STATS_REASONS 64 /* KVM_EXIT_* values are below this */
#define STATS_UNCLAIMED BUS_MAX_RANGES /* slot for accesses no device claimed */

struct stat_ctr {
	uint64_t count;
};

struct vcpu_stats {
	struct stat_ctr reason[STATS_REASONS];
	struct stat_ctr pio[BUS_MAX_RANGES + 1];
	struct stat_ctr mmio[BUS_MAX_RANGES + 1];
	uint64_t unclaimed_pio_last, unclaimed_mmio_last; /* last unclaimed address, a debugging hint */
};

const char *stats_reason_name(unsigned reason);
/* The console's line: bytes the output took, and bytes dropped because it did not read them. */
void stats_print_console(FILE *f, uint64_t written, uint64_t dropped);

#endif
