// SPDX-License-Identifier: GPL-2.0-or-later
/* The boot timeline: milestones from the console stream and the VMM's own events. */
#include "boot_trace.h"

#include <string.h>

#include "prof.h"

void boot_trace_init(struct boot_trace *b, uint64_t start_tsc)
{
	memset(b, 0, sizeof(*b));
	b->t[BT_VMM_START] = start_tsc;
}

void boot_trace_mark(struct boot_trace *b, enum boot_event e, uint64_t tsc)
{
	if (!__atomic_load_n(&b->t[e], __ATOMIC_RELAXED))
		__atomic_store_n(&b->t[e], tsc, __ATOMIC_RELAXED);
}

static void line_done(struct boot_trace *b, uint64_t now)
{
	b->line[b->len] = 0;
	if (strstr(b->line, "Linux version "))
		boot_trace_mark(b, BT_BANNER, now);
	int run_init = strstr(b->line, "Run ") && strstr(b->line, " as init process");
	if (!run_init && b->len && (b->after_run_init || strstr(b->line, "KVMINI-INIT")))
		boot_trace_mark(b, BT_INIT, now);
	if (b->len)
		b->after_run_init = run_init;
	b->len = 0;
}

void boot_trace_tx(void *opaque, const uint8_t *buf, size_t n)
{
	struct boot_trace *b = opaque;
	if (n && !__atomic_load_n(&b->t[BT_FIRST_BYTE], __ATOMIC_RELAXED))
		boot_trace_mark(b, BT_FIRST_BYTE, prof_now());
	if (!b->t[BT_INIT]) {
		for (size_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				line_done(b, prof_now());
				if (b->t[BT_INIT])
					break;
			} else if (b->len < sizeof(b->line) - 1) {
				b->line[b->len++] = (char)buf[i];
			}
		}
	}
	if (b->tx)
		b->tx(b->tx_opaque, buf, n);
}

void boot_trace_print(FILE *f, const struct boot_trace *b, uint64_t tsc_khz)
{
	static const char *const names[BT_N] = {
		[BT_VMM_START] = "VMM start",
		[BT_FIRST_RUN] = "first KVM_RUN",
		[BT_FIRST_BYTE] = "first console byte",
		[BT_BANNER] = "kernel banner (Linux version)",
		[BT_INIT] = "init's first output",
		[BT_POWEROFF] = "poweroff (the VM stopped)",
	};
	fprintf(f, "boot timeline (ms since the VMM started, and since the previous milestone):\n");
	uint64_t prev = b->t[BT_VMM_START];
	for (int e = 0; e < BT_N; e++) {
		uint64_t t = __atomic_load_n(&b->t[e], __ATOMIC_RELAXED);
		if (!t) {
			fprintf(f, "  %10s %10s  %s: not seen\n", "-", "-", names[e]);
			continue;
		}
		double at = (double)(t - b->t[BT_VMM_START]) / (double)tsc_khz;
		double d = (double)(int64_t)(t - prev) / (double)tsc_khz;
		fprintf(f, "  %10.1f %+10.1f  %s\n", at, d, names[e]);
		prev = t;
	}
}
