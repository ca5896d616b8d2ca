/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vCPUs: one thread each, looping on KVM_RUN and dispatching port and MMIO exits to the buses. */
#ifndef KVMINI_VCPU_H
#define KVMINI_VCPU_H
#include <linux/kvm.h>
#include <pthread.h>

#include "firmware/boot.h"
#include "stats.h"
#include "vm.h"

struct vcpu {
	struct vm *vm;
	unsigned idx;
	int fd;
	struct kvm_run *run;
	pthread_t thread; /* with started: under vcpus.lock (the stop kick reads them from any thread) */
	int started;
	int timing; /* measure handling time per exit (--stats) */
	struct vcpu_stats stats;
};

struct vcpus {
	struct vcpu *v;
	unsigned n; /* vCPUs created (the last may lack a run area after a failed create) */
	struct vm *vm;
	pthread_mutex_t lock; /* orders the kick against thread start and join */
};

struct cpuid_cfg;
/* Creates n vCPUs with their CPUID set from the policy cfg. */
int vcpus_create(struct vcpus *vs, struct vm *vm, unsigned n, const struct cpuid_cfg *cfg, int timing,
		 const char **why);
/* Puts the boot vCPU into 64-bit mode at the firmware's entry point. APs wait for INIT/SIPI in KVM. */
int vcpu_boot_setup(struct vcpu *v, const struct boot_entry *e);
/* Starts every thread; they run until the VM's stop reason is set. */
int vcpus_start(struct vcpus *vs);
/* Joins the threads (after vm_request_stop); their counters may be read then. */
void vcpus_join(struct vcpus *vs);
/* Joins the threads (after vm_request_stop) and closes the vCPUs. */
void vcpus_destroy(struct vcpus *vs);

#endif
