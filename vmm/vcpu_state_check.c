// SPDX-License-Identifier: GPL-2.0-or-later
/* Does a saved vCPU state fit this host? Pure checks against the probed struct vcpu_host, run
 * before any ioctl so that a state from a bigger or different host is refused with one reason
 * rather than half-applied (or, worse, applied with pieces KVM silently reset). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vcpu_state.h"

/* CPUID bits KVM changes at run time (OSXSAVE, OSPKE, the APIC-enabled bit) or that the policy
 * sets on purpose (HTT: "EBX[23:16] is valid"); the supported table need not show them. */
#define L1_ECX_OSXSAVE (1u << 27)
#define L1_EDX_APIC (1u << 9)
#define L1_EDX_HTT (1u << 28)
#define L7_ECX_OSPKE (1u << 4)

enum reg { EAX, EBX, ECX, EDX };
static const struct {
	uint32_t fn, index;
	enum reg reg;
	uint32_t dynamic;
} feature_words[] = {
	{ 1, 0, ECX, L1_ECX_OSXSAVE },
	{ 1, 0, EDX, L1_EDX_APIC | L1_EDX_HTT },
	{ 7, 0, EBX, 0 },
	{ 7, 0, ECX, L7_ECX_OSPKE },
	{ 7, 0, EDX, 0 },
	{ 0xd, 0, EAX, 0 }, /* XSAVE components */
	{ 0xd, 1, EAX, 0 },
	{ 0x80000001, 0, ECX, 0 },
	{ 0x80000001, 0, EDX, 0 },
};

static const struct kvm_cpuid_entry2 *find_leaf(const struct kvm_cpuid_entry2 *e, uint32_t n, uint32_t fn,
						 uint32_t index)
{
	for (uint32_t i = 0; i < n; i++) {
		int indexed = e[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		if (e[i].function == fn && (!indexed || e[i].index == index))
			return &e[i];
	}
	return NULL;
}

static uint32_t reg_of(const struct kvm_cpuid_entry2 *e, enum reg r)
{
	return r == EAX ? e->eax : r == EBX ? e->ebx : r == ECX ? e->ecx : e->edx;
}

static int check_cpuid(const struct vcpu_host *h, const struct vcpu_target *t, const struct vcpu_state *st,
		       char *why, size_t whylen)
{
	static const char regname[][4] = { "eax", "ebx", "ecx", "edx" };
	for (size_t i = 0; i < sizeof(feature_words) / sizeof(feature_words[0]); i++) {
		const struct kvm_cpuid_entry2 *s =
			find_leaf(st->cpuid, st->ncpuid, feature_words[i].fn, feature_words[i].index);
		if (!s)
			continue;
		enum reg r = feature_words[i].reg;
		const struct kvm_cpuid_entry2 *hs = find_leaf(h->cpuid, h->ncpuid, s->function, s->index);
		const struct kvm_cpuid_entry2 *ts = t ? find_leaf(t->cpuid, t->ncpuid, s->function, s->index) : NULL;
		uint32_t offered = (hs ? reg_of(hs, r) : 0) | (ts ? reg_of(ts, r) : 0);
		uint32_t extra = reg_of(s, r) & ~feature_words[i].dynamic & ~offered;
		if (extra) {
			snprintf(why, whylen, "CPUID %#x.%u %s: the guest has features this host lacks (%#x)",
				 s->function, s->index, regname[feature_words[i].reg], extra);
			return -ENOTSUP;
		}
	}
	return 0;
}

static uint64_t host_xcr0(const struct vcpu_host *h)
{
	const struct kvm_cpuid_entry2 *d = find_leaf(h->cpuid, h->ncpuid, 0xd, 0);
	return d ? d->eax | (uint64_t)d->edx << 32 : 3; /* x87 and SSE */
}

static int check_xsave(const struct vcpu_host *h, const struct vcpu_state *st, char *why, size_t whylen)
{
	if (st->xsave_len < VCPU_ST_XSAVE_MIN || st->xsave_len > VCPU_ST_XSAVE_MAX) {
		snprintf(why, whylen, "XSAVE area of %u bytes: not a size KVM uses", st->xsave_len);
		return -EINVAL;
	}
	if (st->xsave_len > h->xsave_size) {
		snprintf(why, whylen, "XSAVE area of %u bytes is larger than this host's %u", st->xsave_len,
			 h->xsave_size);
		return -ENOTSUP;
	}
	uint64_t bv;
	memcpy(&bv, st->xsave_bytes + 512, sizeof(bv)); /* XSTATE_BV in the XSAVE header */
	if (bv & ~host_xcr0(h)) {
		snprintf(why, whylen, "XSAVE area holds components this host lacks (%#llx)",
			 (unsigned long long)(bv & ~host_xcr0(h)));
		return -ENOTSUP;
	}
	return 0;
}

static int check_xcrs(const struct vcpu_host *h, const struct vcpu_state *st, char *why, size_t whylen)
{
	if (st->xcrs.nr_xcrs > KVM_MAX_XCRS) {
		snprintf(why, whylen, "%u XCRs: more than KVM's %u", st->xcrs.nr_xcrs, KVM_MAX_XCRS);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < st->xcrs.nr_xcrs; i++) {
		uint64_t v = st->xcrs.xcrs[i].value;
		if (st->xcrs.xcrs[i].xcr == 0 && (v & ~host_xcr0(h))) {
			snprintf(why, whylen, "XCR0 %#llx enables components this host lacks", (unsigned long long)v);
			return -ENOTSUP;
		}
	}
	return 0;
}

static int check_msrs(const struct vcpu_host *h, const struct vcpu_state *st, char *why, size_t whylen)
{
	if (st->nmsrs > VCPU_ST_MAX_MSRS) {
		snprintf(why, whylen, "%u MSRs: more than kvmini's %u", st->nmsrs, VCPU_ST_MAX_MSRS);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < st->nmsrs; i++) {
		uint32_t idx = st->msrs[i].index;
		uint32_t j = 0;
		while (j < h->nmsrs && h->msrs[j] != idx)
			j++;
		if (j == h->nmsrs || idx == MSR_IA32_TSC_DEADLINE) {
			snprintf(why, whylen, "MSR %#x: this host's KVM does not save or restore it", idx);
			return -ENOTSUP;
		}
	}
	return 0;
}

/* Without TSC scaling KVM can only give the host's own rate (within its 250 ppm tolerance): a
 * faster rate it "accepts" by catching up in jumps, a slower one it refuses. */
static int check_tsc_khz(const struct vcpu_host *h, uint32_t saved, uint32_t host, char *why, size_t whylen)
{
	if (!host || saved == host || h->tsc_control)
		return 0;
	uint64_t diff = saved > host ? saved - host : host - saved;
	if (diff * 1000000 <= (uint64_t)host * 250)
		return 0;
	snprintf(why, whylen, "TSC at %u kHz in the state, %u kHz here, and this host's KVM cannot scale it",
		 saved, host);
	return -ENOTSUP;
}

#define EVENTS_KNOWN                                                                                       \
	(KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR | KVM_VCPUEVENT_VALID_SHADOW |     \
	 KVM_VCPUEVENT_VALID_SMM)

int vcpu_state_fits(const struct vcpu_host *h, const struct vcpu_target *t, const struct vcpu_state *st,
		    char *why, size_t whylen)
{
	uint32_t have = st->have;
	for (int p = 0; p < VCPU_ST_NPIECES; p++) {
		if ((VCPU_ST_REQUIRED & VCPU_ST_BIT(p)) && !(have & VCPU_ST_BIT(p))) {
			snprintf(why, whylen, "vCPU state lacks its %s", vcpu_st_piece_name((enum vcpu_st_piece)p));
			return -EINVAL;
		}
	}
	if (have >> VCPU_ST_NPIECES) {
		snprintf(why, whylen, "vCPU state has unknown pieces (%#x)", have);
		return -EINVAL;
	}
	int sregs = !!(have & VCPU_ST_BIT(VCPU_ST_SREGS)) + !!(have & VCPU_ST_BIT(VCPU_ST_SREGS2));
	int fpu = !!(have & VCPU_ST_BIT(VCPU_ST_XSAVE)) + !!(have & VCPU_ST_BIT(VCPU_ST_FPU));
	if (sregs != 1 || fpu != 1) {
		snprintf(why, whylen, "vCPU state needs exactly one of %s", sregs != 1 ? "sregs and sregs2" : "XSAVE and FPU");
		return -EINVAL;
	}
	/* a piece this host's KVM cannot take back would be left at its reset value */
	const struct {
		enum vcpu_st_piece p;
		int host_has;
	} gated[] = {
		{ VCPU_ST_TSC_KHZ, h->get_tsc_khz }, { VCPU_ST_XSAVE, h->xsave },
		{ VCPU_ST_XCRS, h->xcrs },	     { VCPU_ST_MP_STATE, h->mp_state },
		{ VCPU_ST_TSC_DEADLINE, h->tsc_deadline }, { VCPU_ST_EVENTS, h->vcpu_events },
		{ VCPU_ST_DEBUGREGS, h->debugregs },
	};
	for (size_t i = 0; i < sizeof(gated) / sizeof(gated[0]); i++) {
		if ((have & VCPU_ST_BIT(gated[i].p)) && !gated[i].host_has) {
			snprintf(why, whylen, "this host's KVM cannot restore the %s", vcpu_st_piece_name(gated[i].p));
			return -ENOTSUP;
		}
	}
	if (st->ncpuid == 0 || st->ncpuid > VCPU_ST_MAX_CPUID) {
		snprintf(why, whylen, "%u CPUID entries: not 1..%u", st->ncpuid, VCPU_ST_MAX_CPUID);
		return -EINVAL;
	}
	int ret = check_cpuid(h, t, st, why, whylen);
	if (!ret && (have & VCPU_ST_BIT(VCPU_ST_XSAVE)))
		ret = check_xsave(h, st, why, whylen);
	if (!ret && (have & VCPU_ST_BIT(VCPU_ST_XCRS)))
		ret = check_xcrs(h, st, why, whylen);
	if (!ret)
		ret = check_msrs(h, st, why, whylen);
	if (!ret && (have & VCPU_ST_BIT(VCPU_ST_TSC_KHZ)))
		ret = check_tsc_khz(h, st->tsc_khz, t ? t->tsc_khz : 0, why, whylen);
	if (!ret && (have & VCPU_ST_BIT(VCPU_ST_EVENTS)) && (st->events.flags & ~EVENTS_KNOWN)) {
		snprintf(why, whylen, "vCPU events with flags kvmini does not restore (%#x)", st->events.flags);
		ret = -ENOTSUP;
	}
	return ret;
}
