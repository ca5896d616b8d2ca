// SPDX-License-Identifier: GPL-2.0-or-later
/* vCPU state through the KVM API: probing what the host offers, reading every piece out of a
 * stopped vCPU, writing it back in restore order. The host-fit checks are in vcpu_state_check.c. */
#include "vcpu_state.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cpuid.h"

static const char *const piece_names[VCPU_ST_NPIECES] = {
	[VCPU_ST_CPUID] = "CPUID",
	[VCPU_ST_TSC_KHZ] = "TSC frequency",
	[VCPU_ST_REGS] = "registers",
	[VCPU_ST_XSAVE] = "XSAVE area",
	[VCPU_ST_FPU] = "FPU",
	[VCPU_ST_XCRS] = "XCRs",
	[VCPU_ST_SREGS] = "special registers",
	[VCPU_ST_SREGS2] = "special registers (sregs2)",
	[VCPU_ST_MSRS] = "MSRs",
	[VCPU_ST_MP_STATE] = "MP state",
	[VCPU_ST_LAPIC] = "LAPIC",
	[VCPU_ST_TSC_DEADLINE] = "TSC deadline",
	[VCPU_ST_EVENTS] = "vCPU events",
	[VCPU_ST_DEBUGREGS] = "debug registers",
};

const char *vcpu_st_piece_name(enum vcpu_st_piece p)
{
	return (unsigned)p < VCPU_ST_NPIECES ? piece_names[p] : "?";
}

static int fail(char *why, size_t whylen, int err, const char *what)
{
	snprintf(why, whylen, "%s: %s", what, strerror(-err));
	return err;
}

int vcpu_host_probe(int kvm_fd, struct vcpu_host *h, char *why, size_t whylen)
{
	memset(h, 0, sizeof(*h));
#define CAP(c) (ioctl(kvm_fd, KVM_CHECK_EXTENSION, (c)) > 0)
	h->xsave = CAP(KVM_CAP_XSAVE);
	h->xcrs = CAP(KVM_CAP_XCRS);
	h->sregs2 = CAP(KVM_CAP_SREGS2);
	h->tsc_control = CAP(KVM_CAP_TSC_CONTROL);
	h->get_tsc_khz = CAP(KVM_CAP_GET_TSC_KHZ);
	h->vcpu_events = CAP(KVM_CAP_VCPU_EVENTS);
	h->debugregs = CAP(KVM_CAP_DEBUGREGS);
	h->mp_state = CAP(KVM_CAP_MP_STATE);
	h->tsc_deadline = CAP(KVM_CAP_TSC_DEADLINE_TIMER);
#undef CAP
	int xs2 = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	h->xsave2 = h->xsave && xs2 >= (int)VCPU_ST_XSAVE_MIN;
	h->xsave_size = h->xsave2 ? (uint32_t)xs2 : VCPU_ST_XSAVE_MIN;
	if (h->xsave_size > VCPU_ST_XSAVE_MAX) {
		snprintf(why, whylen, "this host's XSAVE area (%u bytes) exceeds kvmini's %u", h->xsave_size,
			 VCPU_ST_XSAVE_MAX);
		return -ENOTSUP;
	}

	struct kvm_msr_list *ml = calloc(1, sizeof(*ml) + VCPU_ST_MAX_MSRS * sizeof(ml->indices[0]));
	if (!ml)
		return fail(why, whylen, -ENOMEM, "MSR index list");
	ml->nmsrs = VCPU_ST_MAX_MSRS;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, ml) < 0) {
		int err = errno;
		free(ml);
		return fail(why, whylen, -err,
			    err == E2BIG ? "KVM_GET_MSR_INDEX_LIST (more MSRs than kvmini keeps)"
					 : "KVM_GET_MSR_INDEX_LIST");
	}
	h->nmsrs = ml->nmsrs;
	memcpy(h->msrs, ml->indices, h->nmsrs * sizeof(h->msrs[0]));
	free(ml);

	struct kvm_cpuid2 *sup = NULL;
	int ret = cpuid_get_supported(kvm_fd, &sup);
	if (ret)
		return fail(why, whylen, ret, "KVM_GET_SUPPORTED_CPUID");
	if (sup->nent > VCPU_ST_MAX_CPUID) {
		free(sup);
		snprintf(why, whylen, "KVM_GET_SUPPORTED_CPUID: more than %u entries", VCPU_ST_MAX_CPUID);
		return -E2BIG;
	}
	h->ncpuid = sup->nent;
	memcpy(h->cpuid, sup->entries, sup->nent * sizeof(sup->entries[0]));
	free(sup);
	return 0;
}

/* KVM_GET_MSRS or KVM_SET_MSRS on n entries (read back into out, if not NULL). Returns how many
 * KVM handled (it stops at the first it refuses), or -errno. */
static int msrs_ioctl(int fd, unsigned long req, const struct kvm_msr_entry *in, uint32_t n,
		      struct kvm_msr_entry *out)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(*in));
	if (!m)
		return -ENOMEM;
	m->nmsrs = n;
	memcpy(m->entries, in, n * sizeof(*in));
	int got = ioctl(fd, req, m);
	int ret = got < 0 ? -errno : got;
	if (out && got > 0)
		memcpy(out, m->entries, (size_t)got * sizeof(*in));
	free(m);
	return ret;
}

/* KVM_GET_MSRS answers how many it read, stopping at the first MSR it refuses: drop that one and
 * ask again, so the set kept is the one this vCPU reads (the TSC deadline goes separately). */
static int save_msrs(int fd, const struct vcpu_host *h, struct vcpu_state *st)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < h->nmsrs; i++) {
		if (h->msrs[i] != MSR_IA32_TSC_DEADLINE)
			st->msrs[n++] = (struct kvm_msr_entry){ .index = h->msrs[i] };
	}
	for (;;) {
		int got = msrs_ioctl(fd, KVM_GET_MSRS, st->msrs, n, st->msrs);
		if (got < 0)
			return got;
		if ((uint32_t)got >= n)
			break;
		memmove(&st->msrs[got], &st->msrs[got + 1], (n - (uint32_t)got - 1) * sizeof(st->msrs[0]));
		n--;
	}
	st->nmsrs = n;
	return 0;
}

static int get_msr(int fd, uint32_t index, uint64_t *val)
{
	struct kvm_msr_entry e = { .index = index };
	int got = msrs_ioctl(fd, KVM_GET_MSRS, &e, 1, &e);
	if (got < 0)
		return got;
	if (got != 1)
		return -EIO;
	*val = e.data;
	return 0;
}

/* 0, or -errno and why (naming the MSR KVM stopped at). */
static int set_msrs(int fd, const struct kvm_msr_entry *e, uint32_t n, char *why, size_t whylen)
{
	int got = msrs_ioctl(fd, KVM_SET_MSRS, e, n, NULL);
	if (got < 0)
		return fail(why, whylen, got, "KVM_SET_MSRS");
	if ((uint32_t)got < n) {
		snprintf(why, whylen, "KVM_SET_MSRS: this host refuses MSR %#x = %#llx", e[got].index,
			 (unsigned long long)e[got].data);
		return -EINVAL;
	}
	return 0;
}

/* The API says exits for I/O and MMIO are complete only once KVM_RUN is entered again; with
 * immediate_exit set it finishes them and returns EINTR without running guest code. */
static int complete_exit(int fd, struct kvm_run *run)
{
	if (!run)
		return 0;
	uint8_t old = __atomic_load_n(&run->immediate_exit, __ATOMIC_SEQ_CST);
	__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	int ret = ioctl(fd, KVM_RUN, 0) < 0 ? -errno : 0;
	__atomic_store_n(&run->immediate_exit, old, __ATOMIC_SEQ_CST);
	return ret == -EINTR ? 0 : ret == 0 ? -EIO : ret;
}

/* KVM_SET_CPUID2 of the n entries in, or (in NULL) KVM_GET_CPUID2 into out and *nout. 0 or -errno. */
static int cpuid_ioctl(int fd, const struct kvm_cpuid_entry2 *in, uint32_t n, struct kvm_cpuid_entry2 *out,
		       uint32_t *nout)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + VCPU_ST_MAX_CPUID * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = in ? n : VCPU_ST_MAX_CPUID;
	if (in)
		memcpy(c->entries, in, n * sizeof(*in));
	int ret = ioctl(fd, in ? KVM_SET_CPUID2 : KVM_GET_CPUID2, c) < 0 ? -errno : 0;
	if (!in && !ret) {
		*nout = c->nent;
		memcpy(out, c->entries, c->nent * sizeof(*out));
	}
	free(c);
	return ret;
}

int vcpu_target_read(int fd, const struct vcpu_host *h, struct vcpu_target *t)
{
	int khz = h->get_tsc_khz ? ioctl(fd, KVM_GET_TSC_KHZ, 0) : 0;
	t->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	return cpuid_ioctl(fd, NULL, 0, t->cpuid, &t->ncpuid);
}

#define GET(piece, req, field, what)                                                                        \
	do {                                                                                               \
		if (ioctl(fd, req, field) < 0)                                                             \
			return fail(why, whylen, -errno, what);                                            \
		st->have |= VCPU_ST_BIT(piece);                                                            \
	} while (0)

int vcpu_state_save(int fd, struct kvm_run *run, const struct vcpu_host *h, struct vcpu_state *st, char *why,
		    size_t whylen)
{
	memset(st, 0, sizeof(*st));
	int ret = complete_exit(fd, run);
	if (ret)
		return fail(why, whylen, ret, "KVM_RUN to complete the last exit");

	ret = cpuid_ioctl(fd, NULL, 0, st->cpuid, &st->ncpuid);
	if (ret)
		return fail(why, whylen, ret, "KVM_GET_CPUID2");
	st->have |= VCPU_ST_BIT(VCPU_ST_CPUID);

	if (h->get_tsc_khz) {
		int khz = ioctl(fd, KVM_GET_TSC_KHZ, 0);
		if (khz <= 0)
			return fail(why, whylen, khz < 0 ? -errno : -EIO, "KVM_GET_TSC_KHZ");
		st->tsc_khz = (uint32_t)khz;
		st->have |= VCPU_ST_BIT(VCPU_ST_TSC_KHZ);
	}
	GET(VCPU_ST_REGS, KVM_GET_REGS, &st->regs, "KVM_GET_REGS");
	if (h->xsave) {
		st->xsave_len = h->xsave_size;
		if (h->xsave2)
			GET(VCPU_ST_XSAVE, KVM_GET_XSAVE2, st->xsave_bytes, "KVM_GET_XSAVE2");
		else
			GET(VCPU_ST_XSAVE, KVM_GET_XSAVE, st->xsave_bytes, "KVM_GET_XSAVE");
	} else {
		GET(VCPU_ST_FPU, KVM_GET_FPU, &st->fpu, "KVM_GET_FPU");
	}
	if (h->xcrs)
		GET(VCPU_ST_XCRS, KVM_GET_XCRS, &st->xcrs, "KVM_GET_XCRS");
	if (h->sregs2)
		GET(VCPU_ST_SREGS2, KVM_GET_SREGS2, &st->sregs2, "KVM_GET_SREGS2");
	else
		GET(VCPU_ST_SREGS, KVM_GET_SREGS, &st->sregs, "KVM_GET_SREGS");
	ret = save_msrs(fd, h, st);
	if (ret)
		return fail(why, whylen, ret, "KVM_GET_MSRS");
	st->have |= VCPU_ST_BIT(VCPU_ST_MSRS);
	if (h->mp_state)
		GET(VCPU_ST_MP_STATE, KVM_GET_MP_STATE, &st->mp_state, "KVM_GET_MP_STATE");
	GET(VCPU_ST_LAPIC, KVM_GET_LAPIC, &st->lapic, "KVM_GET_LAPIC");
	if (h->tsc_deadline) {
		ret = get_msr(fd, MSR_IA32_TSC_DEADLINE, &st->tsc_deadline);
		if (ret)
			return fail(why, whylen, ret, "KVM_GET_MSRS (TSC deadline)");
		st->have |= VCPU_ST_BIT(VCPU_ST_TSC_DEADLINE);
	}
	if (h->vcpu_events)
		GET(VCPU_ST_EVENTS, KVM_GET_VCPU_EVENTS, &st->events, "KVM_GET_VCPU_EVENTS");
	if (h->debugregs)
		GET(VCPU_ST_DEBUGREGS, KVM_GET_DEBUGREGS, &st->debugregs, "KVM_GET_DEBUGREGS");
	return 0;
}

/* sregs2 saved, host without KVM_SET_SREGS2: the same registers minus the PDPTRs (KVM reloads
 * them from CR3) and the pending-interrupt bitmap (the vCPU events carry that). */
static void sregs_from_sregs2(struct kvm_sregs *s, const struct kvm_sregs2 *s2)
{
	memset(s, 0, sizeof(*s));
	s->cs = s2->cs, s->ds = s2->ds, s->es = s2->es, s->fs = s2->fs, s->gs = s2->gs, s->ss = s2->ss;
	s->tr = s2->tr, s->ldt = s2->ldt, s->gdt = s2->gdt, s->idt = s2->idt;
	s->cr0 = s2->cr0, s->cr2 = s2->cr2, s->cr3 = s2->cr3, s->cr4 = s2->cr4, s->cr8 = s2->cr8;
	s->efer = s2->efer;
	s->apic_base = s2->apic_base;
}

/* KVM_SET_FPU fills the legacy area but leaves XSTATE_BV alone: on an XSAVE host the x87/SSE
 * registers it set are then reloaded as their init values (measured: XMM registers read back zero,
 * through KVM_GET_XSAVE even before the vCPU runs). So there the FPU goes in through the XSAVE
 * area: its legacy region in FXSAVE layout, with both components marked in use. */
static int set_fpu_by_xsave(int fd, const struct vcpu_host *h, const struct kvm_fpu *f)
{
	_Alignas(64) uint8_t xb[VCPU_ST_XSAVE_MAX];
	memset(xb, 0, sizeof(xb));
	if (ioctl(fd, h->xsave2 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, xb) < 0)
		return -errno;
	memcpy(xb + 0, &f->fcw, 2);
	memcpy(xb + 2, &f->fsw, 2);
	xb[4] = f->ftwx; /* the abridged tag word, as in struct kvm_fpu */
	memcpy(xb + 6, &f->last_opcode, 2);
	memcpy(xb + 8, &f->last_ip, 8);
	memcpy(xb + 16, &f->last_dp, 8);
	memcpy(xb + 24, &f->mxcsr, 4); /* MXCSR_MASK at 28 stays the host's */
	memcpy(xb + 32, f->fpr, sizeof(f->fpr));
	memcpy(xb + 160, f->xmm, sizeof(f->xmm));
	xb[512] |= 3; /* XSTATE_BV: x87, SSE */
	return ioctl(fd, KVM_SET_XSAVE, xb) < 0 ? -errno : 0;
}

#define SET(piece, req, field, what)                                                                        \
	do {                                                                                               \
		if ((st->have & VCPU_ST_BIT(piece)) && ioctl(fd, req, field) < 0)                          \
			return fail(why, whylen, -errno, what);                                            \
	} while (0)

int vcpu_state_restore(int fd, const struct vcpu_host *h, const struct vcpu_state *st, char *why, size_t whylen)
{
	struct vcpu_target *t = malloc(sizeof(*t));
	if (!t)
		return fail(why, whylen, -ENOMEM, "vCPU state");
	int ret = vcpu_target_read(fd, h, t);
	if (!ret)
		ret = vcpu_state_fits(h, t, st, why, whylen);
	else
		fail(why, whylen, ret, "KVM_GET_CPUID2 of the target vCPU");
	uint32_t cur_khz = t->tsc_khz;
	free(t);
	if (ret)
		return ret;
	ret = cpuid_ioctl(fd, st->cpuid, st->ncpuid, NULL, NULL);
	if (ret)
		return fail(why, whylen, ret, "KVM_SET_CPUID2");
	if ((st->have & VCPU_ST_BIT(VCPU_ST_TSC_KHZ)) && h->get_tsc_khz) {
		/* same rate: nothing to scale (and a host without TSC scaling refuses lower rates) */
		if (cur_khz != st->tsc_khz && ioctl(fd, KVM_SET_TSC_KHZ, (unsigned long)st->tsc_khz) < 0)
			return fail(why, whylen, -errno, "KVM_SET_TSC_KHZ");
	}
	SET(VCPU_ST_REGS, KVM_SET_REGS, &st->regs, "KVM_SET_REGS");
	if (st->have & VCPU_ST_BIT(VCPU_ST_XSAVE)) {
		/* KVM_SET_XSAVE reads the host's whole area: a shorter saved one is zero-padded */
		static_assert(sizeof(st->xsave_bytes) >= sizeof(struct kvm_xsave), "xsave buffer");
		_Alignas(64) uint8_t xb[VCPU_ST_XSAVE_MAX];
		memset(xb, 0, sizeof(xb));
		memcpy(xb, st->xsave_bytes, st->xsave_len);
		if (ioctl(fd, KVM_SET_XSAVE, xb) < 0)
			return fail(why, whylen, -errno, "KVM_SET_XSAVE");
	}
	if ((st->have & VCPU_ST_BIT(VCPU_ST_FPU)) && h->xsave) {
		ret = set_fpu_by_xsave(fd, h, &st->fpu);
		if (ret)
			return fail(why, whylen, ret, "KVM_SET_XSAVE (the FPU)");
	} else {
		SET(VCPU_ST_FPU, KVM_SET_FPU, &st->fpu, "KVM_SET_FPU");
	}
	SET(VCPU_ST_XCRS, KVM_SET_XCRS, &st->xcrs, "KVM_SET_XCRS");
	SET(VCPU_ST_SREGS, KVM_SET_SREGS, &st->sregs, "KVM_SET_SREGS");
	if ((st->have & VCPU_ST_BIT(VCPU_ST_SREGS2)) && h->sregs2) {
		SET(VCPU_ST_SREGS2, KVM_SET_SREGS2, &st->sregs2, "KVM_SET_SREGS2");
	} else if (st->have & VCPU_ST_BIT(VCPU_ST_SREGS2)) {
		struct kvm_sregs s;
		sregs_from_sregs2(&s, &st->sregs2);
		if (ioctl(fd, KVM_SET_SREGS, &s) < 0)
			return fail(why, whylen, -errno, "KVM_SET_SREGS");
	}
	ret = (st->have & VCPU_ST_BIT(VCPU_ST_MSRS)) ? set_msrs(fd, st->msrs, st->nmsrs, why, whylen) : 0;
	if (ret)
		return ret;
	SET(VCPU_ST_MP_STATE, KVM_SET_MP_STATE, &st->mp_state, "KVM_SET_MP_STATE");
	SET(VCPU_ST_LAPIC, KVM_SET_LAPIC, &st->lapic, "KVM_SET_LAPIC");
	if (st->have & VCPU_ST_BIT(VCPU_ST_TSC_DEADLINE)) {
		struct kvm_msr_entry e = { .index = MSR_IA32_TSC_DEADLINE, .data = st->tsc_deadline };
		ret = set_msrs(fd, &e, 1, why, whylen);
		if (ret)
			return ret;
	}
	SET(VCPU_ST_EVENTS, KVM_SET_VCPU_EVENTS, &st->events, "KVM_SET_VCPU_EVENTS");
	SET(VCPU_ST_DEBUGREGS, KVM_SET_DEBUGREGS, &st->debugregs, "KVM_SET_DEBUGREGS");
	return 0;
}
