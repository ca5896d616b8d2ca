// SPDX-License-Identifier: GPL-2.0-or-later
/* Exit reason names and the console's --stats line. */
#include "stats.h"

#include <linux/kvm.h>

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

void stats_print_console(FILE *f, uint64_t written, uint64_t dropped)
{
	fprintf(f, "serial: %llu bytes written, %llu dropped%s\n", (unsigned long long)written,
		(unsigned long long)dropped, dropped ? " (the output was not read fast enough)" : "");
}
