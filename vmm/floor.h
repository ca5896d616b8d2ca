/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The floor of a PIO exit round trip: a bare KVM_RUN loop, no devices, no irqchip, one 2 MiB slot,
 * one vCPU in 64-bit mode (kvmini's entry state) running
 *     mov $PORT,%dx; mov $N,%ecx; 1: out %al,(%dx); dec %ecx; jnz 1b; hlt
 * timed around the run loop only. For `kvmini bench exits` and bench/pio.sh (bench/floor.c). */
#ifndef KVMINI_FLOOR_H
#define KVMINI_FLOOR_H
#include <stdint.h>

struct floor_result {
	unsigned long exits, other;
	double total_ns, ns_per_exit;
	uint64_t tsc_khz; /* the vCPU's (KVM_GET_TSC_KHZ), 0 if unknown */
};

/* 0, or -errno with the failing step in *why. */
int kvm_floor_pio(const char *kvm_path, unsigned long n, unsigned port, struct floor_result *r, const char **why);

#endif
