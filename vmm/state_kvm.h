/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "cpu" and "vm" sections of the state stream (vmm/state.h): one vCPU's KVM state (instance =
 * vCPU index) and the VM's (instance 0). Both payloads, version 1, are
 *
 *   u32 have          bit p set: piece p follows (vcpu_st_piece / vm_st_piece, in that order)
 *   per piece, in bit order:
 *     u32 length L    checked against the piece's type: fixed sizes exactly, counts in range
 *     L   body
 *
 * cpu bodies: CPUID u32 n + n * struct kvm_cpuid_entry2 (40 bytes, 1 <= n <= 256); TSC_KHZ u32;
 * REGS struct kvm_regs; XSAVE the raw area (4096..16384 bytes, KVM's own layout: the legacy region,
 * the header with XSTATE_BV at 512, components at CPUID 0xd offsets); FPU struct kvm_fpu; XCRS
 * struct kvm_xcrs; SREGS struct kvm_sregs; SREGS2 struct kvm_sregs2; MSRS u32 n + n * (u32 index,
 * u64 value), n <= 512; MP_STATE u32; LAPIC the 1024-byte register page; TSC_DEADLINE u64; EVENTS
 * struct kvm_vcpu_events; DEBUGREGS struct kvm_debugregs.
 * vm bodies: PIC_MASTER, PIC_SLAVE, IOAPIC the 512-byte union of struct kvm_irqchip for that chip;
 * PIT2 struct kvm_pit_state2; CLOCK u64 clock, u32 flags, u64 realtime, u64 host_tsc; ROUTES u32 n +
 * n * (u32 gsi, type, flags, a, b, c) with a, b = irqchip, pin (IRQCHIP) or a, b, c = address_lo,
 * address_hi, data (MSI), n <= VM_MAX_ROUTES.
 * Structs are the x86-64 KVM ABI's, little-endian, as <linux/kvm.h> defines them.
 *
 * A load only parses: it refuses a payload that is short, long, or has a piece of the wrong size
 * (-EBADMSG) or an unknown piece or a count out of range (-EINVAL), with one line in why. Whether
 * the state fits this host is vcpu_state_fits / vm_state_fits, which vcpu_state_restore and
 * vm_state_restore also run.
 */
#ifndef KVMINI_STATE_KVM_H
#define KVMINI_STATE_KVM_H
#include "state.h"
#include "vcpu_state.h"
#include "vm_state.h"

#define STATE_CPU_ID "cpu"
#define STATE_CPU_VERSION 1u
#define STATE_VM_ID "vm"
#define STATE_VM_VERSION 1u

/* Payloads only (the caller opens the section). */
void state_cpu_put(struct state_writer *w, const struct vcpu_state *st);
int state_cpu_get(struct vcpu_state *st, struct state_reader *r, uint32_t version, char *why, size_t whylen);
void state_vm_put(struct state_writer *w, const struct vm_state *st);
int state_vm_get(struct vm_state *st, struct state_reader *r, uint32_t version, char *why, size_t whylen);

/* The same as registry entries (obj: struct vcpu_state / struct vm_state), for a machine that keeps
 * the parsed states and applies them to KVM itself, after the devices' sections. */
extern const struct state_ops state_cpu_ops, state_vm_ops;

#endif
