/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --boot-trace: the boot's milestones as the VMM sees them, TSC-stamped: VMM start, first KVM_RUN,
 * the first console byte, the kernel banner ("Linux version"), init's first output (the line after
 * the kernel's "Run ... as init process", or a "KVMINI-INIT" line), poweroff. The console part
 * watches the UART's output on the vCPU thread (a line buffer, no allocation) and passes it on. */
#ifndef KVMINI_BOOT_TRACE_H
#define KVMINI_BOOT_TRACE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum boot_event { BT_VMM_START, BT_FIRST_RUN, BT_FIRST_BYTE, BT_BANNER, BT_INIT, BT_POWEROFF, BT_N };

struct boot_trace {
	uint64_t t[BT_N]; /* TSC, 0: not seen */
	char line[256];
	size_t len;
	int after_run_init; /* the last line was "Run ... as init process" */
	void (*tx)(void *opaque, const uint8_t *buf, size_t n); /* the console's hook, called after */
	void *tx_opaque;
};

void boot_trace_init(struct boot_trace *b, uint64_t start_tsc);
/* The UART hook: stamps what these bytes show, then hands them on. opaque is the boot_trace. */
void boot_trace_tx(void *opaque, const uint8_t *buf, size_t n);
/* Stamps one event unless already stamped. */
void boot_trace_mark(struct boot_trace *b, enum boot_event e, uint64_t tsc);
void boot_trace_print(FILE *f, const struct boot_trace *b, uint64_t tsc_khz);

#endif
