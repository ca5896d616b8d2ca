/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A vCPU's whole architectural state as KVM holds it: read it out of a stopped vCPU, check that it
 * fits a host, and write it back into a fresh vCPU in the order KVM needs (CPUID, TSC frequency,
 * registers, XSAVE, XCRs, special registers, MSRs, MP state, LAPIC, TSC deadline, events, debug
 * registers). Each piece KVM may lack is gated on its capability; `have` records what was saved, so
 * a restore never silently leaves a piece at its reset value. The stream encoding is vmm/state_kvm.h.
 *
 * Measured on a PVM host (kvm_pvm, 6.18; tests/unit/test_cpu_state.c): every capability above is
 * there (XSAVE2 says 4096 bytes) except KVM_CAP_TSC_CONTROL, so the TSC cannot be scaled: a state
 * from a host whose rate differs by more than KVM's 250 ppm is refused. KVM_GET_CPUID2 does not
 * return what KVM_SET_CPUID2 set: leaves 1, 7 and 0xd come back with the host's feature bits (what
 * the guest reads there); setting that table again reads back the same, so it is what is saved,
 * and the fit check accepts the bits the target vCPU reports. All 40 MSRs of the index list read
 * and write back (ARCH_CAPABILITIES, the KVM PV MSRs included). An emulated OUT or MMIO write is
 * complete when it exits, an IN is not (its value is lost without the completing KVM_RUN). */
#ifndef KVMINI_VCPU_STATE_H
#define KVMINI_VCPU_STATE_H
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#define VCPU_ST_MAX_CPUID 256 /* KVM_MAX_CPUID_ENTRIES */
#define VCPU_ST_MAX_MSRS 512
#define VCPU_ST_XSAVE_MAX 16384 /* an AMX host's XSAVE area is 11008 bytes */
#define VCPU_ST_XSAVE_MIN 4096 /* struct kvm_xsave, what KVM_GET_XSAVE fills */
#define MSR_IA32_TSC_DEADLINE 0x6e0u /* written after the LAPIC (its timer mode gates the write) */
#define MSR_IA32_TSC 0x10u

/* Pieces of the state, one bit each in vcpu_state.have; the order is the restore order. */
enum vcpu_st_piece {
	VCPU_ST_CPUID,
	VCPU_ST_TSC_KHZ,
	VCPU_ST_REGS,
	VCPU_ST_XSAVE, /* KVM_GET_XSAVE2 or KVM_GET_XSAVE */
	VCPU_ST_FPU, /* legacy x87/SSE only: a host without KVM_CAP_XSAVE */
	VCPU_ST_XCRS,
	VCPU_ST_SREGS,
	VCPU_ST_SREGS2, /* instead of SREGS where KVM_CAP_SREGS2 exists (carries the PDPTRs) */
	VCPU_ST_MSRS,
	VCPU_ST_MP_STATE,
	VCPU_ST_LAPIC,
	VCPU_ST_TSC_DEADLINE,
	VCPU_ST_EVENTS,
	VCPU_ST_DEBUGREGS,
	VCPU_ST_NPIECES
};
#define VCPU_ST_BIT(p) (1u << (p))
/* a restore refuses a state without these (the rest depend on what the saving host offered) */
#define VCPU_ST_REQUIRED                                                                                   \
	(VCPU_ST_BIT(VCPU_ST_CPUID) | VCPU_ST_BIT(VCPU_ST_REGS) | VCPU_ST_BIT(VCPU_ST_MSRS) |                  \
	 VCPU_ST_BIT(VCPU_ST_MP_STATE) | VCPU_ST_BIT(VCPU_ST_LAPIC))

const char *vcpu_st_piece_name(enum vcpu_st_piece p);

/* What this host's KVM offers, probed once from the /dev/kvm fd (no vCPU needed). */
struct vcpu_host {
	int xsave, xcrs, sregs2, tsc_control, get_tsc_khz, vcpu_events, debugregs, mp_state, tsc_deadline;
	uint32_t xsave_size; /* bytes KVM_GET_XSAVE2 fills (KVM_CAP_XSAVE2), 4096 with KVM_GET_XSAVE only */
	int xsave2;
	uint32_t nmsrs;
	uint32_t msrs[VCPU_ST_MAX_MSRS]; /* KVM_GET_MSR_INDEX_LIST */
	uint32_t ncpuid;
	struct kvm_cpuid_entry2 cpuid[VCPU_ST_MAX_CPUID]; /* KVM_GET_SUPPORTED_CPUID */
};

struct vcpu_state {
	uint32_t have; /* VCPU_ST_BIT()s of the pieces below that hold saved values */
	uint32_t ncpuid;
	struct kvm_cpuid_entry2 cpuid[VCPU_ST_MAX_CPUID]; /* what KVM_GET_CPUID2 returned */
	uint32_t tsc_khz;
	struct kvm_regs regs;
	uint32_t xsave_len; /* bytes of xsave that are meaningful */
	_Alignas(64) uint8_t xsave_bytes[VCPU_ST_XSAVE_MAX]; /* struct kvm_xsave, possibly longer */
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	struct kvm_sregs sregs;
	struct kvm_sregs2 sregs2;
	uint32_t nmsrs; /* TSC deadline not among them */
	struct kvm_msr_entry msrs[VCPU_ST_MAX_MSRS];
	struct kvm_mp_state mp_state;
	struct kvm_lapic_state lapic;
	uint64_t tsc_deadline;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
};

/* Fills *h from the /dev/kvm fd. 0, or -errno with a reason in why. */
int vcpu_host_probe(int kvm_fd, struct vcpu_host *h, char *why, size_t whylen);

struct kvm_run;
/*
 * Reads every piece of a vCPU that is not running (its thread is out of KVM_RUN and stays out).
 * The last exit (port or MMIO) is completed first with one KVM_RUN under immediate_exit, as the KVM
 * API requires before state is read (otherwise an OUT would repeat or an IN lose its value): run is
 * the vCPU's mapped kvm_run, or NULL if it has never run. Pieces whose capability the host lacks are
 * left out of st->have. 0, or -errno with a reason.
 */
int vcpu_state_save(int vcpu_fd, struct kvm_run *run, const struct vcpu_host *h, struct vcpu_state *st,
		    char *why, size_t whylen);

/* The vCPU a state goes into, as KVM reports it before the restore. */
struct vcpu_target {
	uint32_t tsc_khz; /* KVM_GET_TSC_KHZ, 0 if unknown */
	uint32_t ncpuid;
	/* KVM_GET_CPUID2 after vcpus_create's KVM_SET_CPUID2. On a PVM host it is not what was set:
	 * leaves 1, 7 and 0xd come back with the host's own feature bits, which is what the guest
	 * reads there (measured) */
	struct kvm_cpuid_entry2 cpuid[VCPU_ST_MAX_CPUID];
};

/* Fills *t from a vCPU fd. 0 or -errno. */
int vcpu_target_read(int vcpu_fd, const struct vcpu_host *h, struct vcpu_target *t);

/* No ioctls: does st fit host h and the vCPU t (NULL: judge by h alone)? Refuses a state without a
 * required piece, a piece the host cannot take, an XSAVE area larger than the host's or with
 * components it lacks, CPUID features neither KVM_GET_SUPPORTED_CPUID nor the target vCPU offers,
 * an MSR outside the index list, a TSC frequency the host cannot provide. 0, or -EINVAL/-ENOTSUP
 * and why. */
int vcpu_state_fits(const struct vcpu_host *h, const struct vcpu_target *t, const struct vcpu_state *st,
		    char *why, size_t whylen);

/* Writes st into a vCPU that has not run yet, after checking it with vcpu_state_fits (at the vCPU's
 * own TSC rate): a refused state touches nothing. 0, or -errno and why (after an ioctl failed the
 * vCPU is half-restored and must not run). */
int vcpu_state_restore(int vcpu_fd, const struct vcpu_host *h, const struct vcpu_state *st, char *why,
		       size_t whylen);

#endif
