/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GDB stub's target on KVM: registers (KVM_GET/SET_REGS, SREGS, FPU, the KERNEL_GS_BASE MSR),
 * guest-virtual memory through the vCPU's page tables (vmm/guest_vaddr.h), debug registers and
 * single step (KVM_SET_GUEST_DEBUG), and run control through the vCPU pause (vmm/vcpu.h). A debug
 * exit parks every vCPU and signals the stub's thread through an eventfd; the vCPU never waits. */
#ifndef KVMINI_GDB_KVM_H
#define KVMINI_GDB_KVM_H
#include <pthread.h>

#include "gdb.h"
#include "vcpu.h"
#include "vm.h"

struct gdb_kvm {
	pthread_mutex_t lock; /* vs, vm and hw: the stub's thread against a VM rebuild */
	struct vcpus *vs;     /* this incarnation's vCPUs, NULL between two */
	struct vm *vm;
	struct gdb_hwdebug hw; /* what the debugger set last, applied to a rebuilt VM too */
	int efd;	       /* eventfd: a vCPU stopped on a debug exit */
	/* the first debug exit since the last resume (under ev_lock, taken by vCPU threads) */
	pthread_mutex_t ev_lock;
	int ev_pending;
	unsigned ev_cpu;
	uint64_t ev_dr6;
};

extern const struct gdb_target_ops gdb_kvm_ops;

int gdb_kvm_init(struct gdb_kvm *k);
void gdb_kvm_fini(struct gdb_kvm *k);
/* A new incarnation's vCPUs (before they start): the debug state goes onto them. */
int gdb_kvm_attach(struct gdb_kvm *k, struct vcpus *vs, struct vm *vm);
void gdb_kvm_detach(struct gdb_kvm *k);
/* Whether the host's KVM is PVM, whose instruction emulator never fires data breakpoints. */
int gdb_kvm_is_pvm(struct gdb_kvm *k);
/* After efd fired: parks every vCPU, returns 1 with the vCPU and DR6 of the debug exit (0: none
 * pending, e.g. a Ctrl-C came first). Stub thread only. */
int gdb_kvm_take_stop(struct gdb_kvm *k, unsigned *cpu, uint64_t *dr6);

#endif
