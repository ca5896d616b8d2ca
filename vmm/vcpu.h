/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vCPUs: one thread each, looping on KVM_RUN and dispatching port and MMIO exits to the buses;
 * pausing parks every thread outside KVM_RUN until resumed (QMP stop/cont). */
#ifndef KVMINI_VCPU_H
#define KVMINI_VCPU_H
#include <linux/kvm.h>
#include <pthread.h>

#include "firmware/boot.h"
#include "prof.h"
#include "stats.h"
#include "vm.h"

struct vcpus;
struct vcpu {
	struct vm *vm;
	struct vcpus *vcpus;
	unsigned idx;
	int fd;
	struct kvm_run *run;
	pthread_t thread; /* with started: under vcpus.lock (the stop kick reads them from any thread) */
	int started;
	int tid; /* the thread's id once it runs (query-cpus-fast), atomic */
	struct prof *prof; /* the exit profiler (--stats, --trace), NULL when off */
	struct prof_vcpu *pv; /* this vCPU's part of it */
	struct vcpu_stats stats;
	int hold; /* the debugger keeps this one parked while another steps (under vcpus.lock) */
};

struct vcpus {
	struct vcpu *v;
	unsigned n; /* vCPUs created (the last may lack a run area after a failed create) */
	struct vm *vm;
	pthread_mutex_t lock; /* orders the kick against thread start and join; guards the pause state */
	pthread_cond_t cond; /* pause state changes: a thread parked or left, a resume, a stop */
	int pause_req; /* threads park before their next KVM_RUN */
	unsigned nactive; /* threads started and not yet finished */
	unsigned nparked; /* threads waiting in the pause */
	/* KVM_EXIT_DEBUG (the GDB stub, vmm/gdb_kvm.c): called on the vCPU's thread, must not block */
	void (*on_debug)(void *opaque, struct vcpu *v);
	void *debug_opaque;
};

struct cpuid_cfg;
/* Creates n vCPUs with their CPUID set from the policy cfg; prof (NULL: off) records their exits. */
int vcpus_create(struct vcpus *vs, struct vm *vm, unsigned n, const struct cpuid_cfg *cfg, struct prof *prof,
		 const char **why);
/* Puts the boot vCPU into 64-bit mode (multiboot: 32-bit protected mode) at the entry point.
 * APs wait for INIT/SIPI in KVM. */
int vcpu_boot_setup(struct vcpu *v, const struct boot_entry *e);
/* Starts every thread; they run until the VM's stop reason is set. */
int vcpus_start(struct vcpus *vs);
/* Stops running guest code: every vCPU thread leaves KVM_RUN and waits. Returns once none is in
 * KVM_RUN (or the VM is stopping, whose threads finish instead). Idempotent; before vcpus_start it
 * makes the threads park before their first KVM_RUN. Main-loop thread only (it waits for the vCPUs,
 * which never wait for it). */
void vcpus_pause(struct vcpus *vs);
/* Lets paused vCPUs run again; a no-op when not paused. */
void vcpus_resume(struct vcpus *vs);
/* The same, but only vCPU `only` runs (the others stay parked) unless only is -1 (the debugger's
 * single step). */
void vcpus_resume_only(struct vcpus *vs, int only);
/* Asks every vCPU to park, without waiting: from any thread, a vCPU's own included. */
void vcpus_pause_async(struct vcpus *vs);
int vcpus_paused(struct vcpus *vs);
/* Joins the threads (after vm_request_stop); their counters may be read then. */
void vcpus_join(struct vcpus *vs);
/* Joins the threads (after vm_request_stop) and closes the vCPUs. */
void vcpus_destroy(struct vcpus *vs);

#endif
