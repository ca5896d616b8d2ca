// SPDX-License-Identifier: GPL-2.0-or-later
#include "stats.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

const char *stats_reason_name(unsigned r)
{
	static const char *const names[] = {
		[KVM_EXIT_UNKNOWN] = "unknown",
		[KVM_EXIT_EXCEPTION] = "exception",
		[KVM_EXIT_IO] = "io",
		[KVM_EXIT_HYPERCALL] = "hypercall",
		[KVM_EXIT_DEBUG] = "debug",
		[KVM_EXIT_HLT] = "hlt",
		[KVM_EXIT_MMIO] = "mmio",
		[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
		[KVM_EXIT_SHUTDOWN] = "shutdown",
		[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
		[KVM_EXIT_INTR] = "intr",
		[KVM_EXIT_SET_TPR] = "set_tpr",
		[KVM_EXIT_TPR_ACCESS] = "tpr_access",
		[KVM_EXIT_NMI] = "nmi",
		[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
		[KVM_EXIT_SYSTEM_EVENT] = "system_event",
		[KVM_EXIT_IOAPIC_EOI] = "ioapic_eoi",
		[KVM_EXIT_X86_RDMSR] = "rdmsr",
		[KVM_EXIT_X86_WRMSR] = "wrmsr",
	};
	if (r < sizeof(names) / sizeof(names[0]) && names[r])
		return names[r];
	return "other";
}

struct row {
	const char *kind;
	const char *name;
	uint64_t addr;
	struct stat_ctr c;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->c.count != y->c.count)
		return x->c.count < y->c.count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void print_one(FILE *f, const char *title, const struct vcpu_stats *s, const struct bus *pio,
		      const struct bus *mmio)
{
	struct row rows[STATS_REASONS + 2 * (BUS_MAX_RANGES + 1)];
	size_t n = 0;
	uint64_t total = 0, total_ns = 0;
	for (unsigned r = 0; r < STATS_REASONS; r++) {
		if (!s->reason[r].count)
			continue;
		total += s->reason[r].count;
		total_ns += s->reason[r].ns;
		rows[n++] = (struct row){ "exit", stats_reason_name(r), r, s->reason[r] };
	}
	for (int bi = 0; bi < 2; bi++) {
		const struct bus *b = bi ? mmio : pio;
		const struct stat_ctr *c = bi ? s->mmio : s->pio;
		for (int id = 0; id <= BUS_MAX_RANGES; id++) {
			if (!c[id].count)
				continue;
			int unclaimed = id == STATS_UNCLAIMED;
			rows[n++] = (struct row){ b->name, unclaimed ? "(unclaimed)" : (b->names[id] ? b->names[id] : "?"),
						  unclaimed ? 0 : b->bases[id], c[id] };
		}
	}
	qsort(rows, n, sizeof(rows[0]), row_cmp);
	fprintf(f, "%s: %llu exits, %.3f ms handling in the VMM\n", title, (unsigned long long)total,
		(double)total_ns / 1e6);
	fprintf(f, "  %-5s %-20s %-12s %12s %12s %10s\n", "kind", "name", "address", "count", "total us", "avg ns");
	for (size_t i = 0; i < n; i++) {
		char addr[24] = "";
		if (strcmp(rows[i].kind, "exit"))
			snprintf(addr, sizeof(addr), "%#llx", (unsigned long long)rows[i].addr);
		fprintf(f, "  %-5s %-20s %-12s %12llu %12.1f %10llu\n", rows[i].kind, rows[i].name, addr,
			(unsigned long long)rows[i].c.count, (double)rows[i].c.ns / 1e3,
			(unsigned long long)(rows[i].c.count ? rows[i].c.ns / rows[i].c.count : 0));
	}
}

static void ctr_add(struct stat_ctr *a, const struct stat_ctr *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		a[i].count += b[i].count;
		a[i].ns += b[i].ns;
	}
}

void stats_print(FILE *f, const struct vcpu_stats *per_vcpu, unsigned nvcpus, const struct bus *pio,
		 const struct bus *mmio)
{
	struct vcpu_stats *sum = calloc(1, sizeof(*sum));
	if (!sum)
		return;
	for (unsigned v = 0; v < nvcpus; v++) {
		char title[32];
		snprintf(title, sizeof(title), "vcpu%u", v);
		print_one(f, title, &per_vcpu[v], pio, mmio);
		ctr_add(sum->reason, per_vcpu[v].reason, STATS_REASONS);
		ctr_add(sum->pio, per_vcpu[v].pio, BUS_MAX_RANGES + 1);
		ctr_add(sum->mmio, per_vcpu[v].mmio, BUS_MAX_RANGES + 1);
	}
	print_one(f, "total", sum, pio, mmio);
	free(sum);
}

void stats_print_console(FILE *f, uint64_t written, uint64_t dropped)
{
	fprintf(f, "serial: %llu bytes written, %llu dropped%s\n", (unsigned long long)written,
		(unsigned long long)dropped, dropped ? " (the output was not read fast enough)" : "");
}
