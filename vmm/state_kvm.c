// SPDX-License-Identifier: GPL-2.0-or-later
/* The "cpu" and "vm" sections (layout in state_kvm.h): encoding vcpu_state / vm_state into the
 * state stream and parsing them back, every length checked before a byte is copied. */
#include "state_kvm.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CPUID_ENTRY_SIZE sizeof(struct kvm_cpuid_entry2)
#define MSR_REC_SIZE 12u /* u32 index, u64 value */
#define ROUTE_REC_SIZE 24u
#define CLOCK_SIZE 28u

static int bad(char *why, size_t whylen, int err, const char *sec, const char *piece, uint32_t len)
{
	snprintf(why, whylen, "%s state: %s of %u bytes: %s", sec, piece, len,
		 err == -EBADMSG ? "not the size its count or type gives" : "out of range");
	return err;
}

/* ---- the framing both sections share: have, then a length before each piece ---- */

/* What differs between the sections. field() gives a fixed-size piece's place in the state (NULL
 * for a variable one, which the var_* functions handle). */
struct kind {
	const char *name; /* for messages: "vCPU", "VM" */
	uint32_t version;
	int npieces;
	const char *(*piece_name)(int p);
	void *(*field)(const void *st, int p, size_t *size);
	uint32_t (*var_len)(const void *st, int p);
	void (*var_put)(struct state_writer *w, const void *st, int p);
	int (*var_get)(void *st, struct state_reader *r, int p, uint32_t len, char *why, size_t whylen);
};

static void put_pieces(const struct kind *k, struct state_writer *w, const void *st, uint32_t have)
{
	have &= (1u << k->npieces) - 1;
	state_put_u32(w, have);
	for (int p = 0; p < k->npieces; p++) {
		if (!(have & (1u << p)))
			continue;
		size_t size;
		const void *f = k->field(st, p, &size);
		state_put_u32(w, f ? (uint32_t)size : k->var_len(st, p));
		if (f)
			state_put_bytes(w, f, size);
		else
			k->var_put(w, st, p);
	}
}

static int truncated(char *why, size_t whylen, const char *sec)
{
	snprintf(why, whylen, "%s state: truncated", sec);
	return -EBADMSG;
}

static int get_pieces(const struct kind *k, void *st, uint32_t *have_out, struct state_reader *r,
		      uint32_t version, char *why, size_t whylen)
{
	if (version != k->version) {
		snprintf(why, whylen, "%s state: section version %u, this kvmini reads %u", k->name, version,
			 k->version);
		return -EPROTONOSUPPORT;
	}
	uint32_t have = state_get_u32(r);
	if (!r->err && (have >> k->npieces)) {
		snprintf(why, whylen, "%s state: unknown pieces %#x", k->name, have >> k->npieces << k->npieces);
		return -EINVAL;
	}
	for (int p = 0; !r->err && p < k->npieces; p++) {
		if (!(have & (1u << p)))
			continue;
		uint32_t len = state_get_u32(r);
		if (r->err || len > state_reader_left(r))
			return truncated(why, whylen, k->name);
		size_t size;
		void *f = k->field(st, p, &size);
		int ret = 0;
		if (f && len != size)
			ret = bad(why, whylen, -EBADMSG, k->name, k->piece_name(p), len);
		else if (f)
			state_get_bytes(r, f, size);
		else
			ret = k->var_get(st, r, p, len, why, whylen);
		if (ret)
			return ret;
		*have_out |= 1u << p;
	}
	int ret = state_reader_done(r);
	if (ret && r->err)
		return truncated(why, whylen, k->name);
	if (ret)
		snprintf(why, whylen, "%s state: bytes after the last piece", k->name);
	return ret;
}

/* ---- cpu ---- */

static void *cpu_field(const void *cst, int p, size_t *size)
{
	struct vcpu_state *st = (struct vcpu_state *)cst;
#define F(x) (*size = sizeof(st->x), (void *)&st->x)
	switch (p) {
	case VCPU_ST_TSC_KHZ: return F(tsc_khz);
	case VCPU_ST_REGS: return F(regs);
	case VCPU_ST_FPU: return F(fpu);
	case VCPU_ST_XCRS: return F(xcrs);
	case VCPU_ST_SREGS: return F(sregs);
	case VCPU_ST_SREGS2: return F(sregs2);
	case VCPU_ST_MP_STATE: return F(mp_state.mp_state);
	case VCPU_ST_LAPIC: return F(lapic);
	case VCPU_ST_TSC_DEADLINE: return F(tsc_deadline);
	case VCPU_ST_EVENTS: return F(events);
	case VCPU_ST_DEBUGREGS: return F(debugregs);
	default: return NULL;
	}
#undef F
}

static uint32_t cpu_var_len(const void *cst, int p)
{
	const struct vcpu_state *st = cst;
	switch (p) {
	case VCPU_ST_CPUID: return 4 + st->ncpuid * (uint32_t)CPUID_ENTRY_SIZE;
	case VCPU_ST_XSAVE: return st->xsave_len;
	default: return 4 + st->nmsrs * MSR_REC_SIZE; /* VCPU_ST_MSRS */
	}
}

static void cpu_var_put(struct state_writer *w, const void *cst, int p)
{
	const struct vcpu_state *st = cst;
	if (p == VCPU_ST_CPUID) {
		state_put_u32(w, st->ncpuid);
		state_put_bytes(w, st->cpuid, st->ncpuid * CPUID_ENTRY_SIZE);
	} else if (p == VCPU_ST_XSAVE) {
		state_put_bytes(w, st->xsave_bytes, st->xsave_len);
	} else {
		state_put_u32(w, st->nmsrs);
		for (uint32_t i = 0; i < st->nmsrs; i++) {
			state_put_u32(w, st->msrs[i].index);
			state_put_u64(w, st->msrs[i].data);
		}
	}
}

static const char *cpu_piece_name(int p) { return vcpu_st_piece_name((enum vcpu_st_piece)p); }

static int cpu_var_get(void *vst, struct state_reader *r, int p, uint32_t len, char *why, size_t whylen)
{
	struct vcpu_state *st = vst;
	const char *name = cpu_piece_name(p);
	if (p == VCPU_ST_XSAVE) {
		if (len < VCPU_ST_XSAVE_MIN || len > VCPU_ST_XSAVE_MAX)
			return bad(why, whylen, -EINVAL, "vCPU", name, len);
		st->xsave_len = len;
		state_get_bytes(r, st->xsave_bytes, len);
		return 0;
	}
	if (len < 4)
		return bad(why, whylen, -EBADMSG, "vCPU", name, len);
	uint32_t n = state_get_u32(r);
	uint32_t max = p == VCPU_ST_CPUID ? VCPU_ST_MAX_CPUID : VCPU_ST_MAX_MSRS;
	uint32_t rec = p == VCPU_ST_CPUID ? (uint32_t)CPUID_ENTRY_SIZE : MSR_REC_SIZE;
	if ((p == VCPU_ST_CPUID && n < 1) || n > max)
		return bad(why, whylen, -EINVAL, "vCPU", name, len);
	if (len != 4 + n * rec)
		return bad(why, whylen, -EBADMSG, "vCPU", name, len);
	if (p == VCPU_ST_CPUID) {
		st->ncpuid = n;
		state_get_bytes(r, st->cpuid, n * CPUID_ENTRY_SIZE);
		return 0;
	}
	st->nmsrs = n;
	for (uint32_t i = 0; i < n; i++) {
		st->msrs[i] = (struct kvm_msr_entry){ .index = state_get_u32(r) };
		st->msrs[i].data = state_get_u64(r);
	}
	return 0;
}

static const struct kind cpu_kind = { "vCPU",	   STATE_CPU_VERSION, VCPU_ST_NPIECES, cpu_piece_name,
				      cpu_field, cpu_var_len,	      cpu_var_put,     cpu_var_get };

void state_cpu_put(struct state_writer *w, const struct vcpu_state *st)
{
	put_pieces(&cpu_kind, w, st, st->have);
}

int state_cpu_get(struct vcpu_state *st, struct state_reader *r, uint32_t version, char *why, size_t whylen)
{
	memset(st, 0, sizeof(*st));
	return get_pieces(&cpu_kind, st, &st->have, r, version, why, whylen);
}

/* ---- vm ---- */

static void *vm_field(const void *cst, int p, size_t *size)
{
	struct vm_state *st = (struct vm_state *)cst;
	if (p <= VM_ST_IOAPIC) {
		*size = sizeof(st->chip[p].chip);
		return &st->chip[p].chip;
	}
	if (p == VM_ST_PIT2) {
		*size = sizeof(st->pit);
		return &st->pit;
	}
	return NULL;
}

static const char *vm_piece_name(int p)
{
	static const char *const names[VM_ST_NPIECES] = { "PIC master", "PIC slave", "IOAPIC",
							  "PIT",	"kvmclock",  "interrupt routes" };
	return names[p];
}

static uint32_t vm_var_len(const void *cst, int p)
{
	const struct vm_state *st = cst;
	return p == VM_ST_CLOCK ? CLOCK_SIZE : 4 + st->nroutes * ROUTE_REC_SIZE;
}

static void vm_var_put(struct state_writer *w, const void *cst, int p)
{
	const struct vm_state *st = cst;
	if (p == VM_ST_CLOCK) {
		state_put_u64(w, st->clock.clock);
		state_put_u32(w, st->clock.flags);
		state_put_u64(w, st->clock.realtime);
		state_put_u64(w, st->clock.host_tsc);
		return;
	}
	state_put_u32(w, st->nroutes);
	for (uint32_t i = 0; i < st->nroutes; i++) {
		const struct kvm_irq_routing_entry *e = &st->routes[i];
		int msi = e->type == KVM_IRQ_ROUTING_MSI;
		state_put_u32(w, e->gsi);
		state_put_u32(w, e->type);
		state_put_u32(w, e->flags);
		state_put_u32(w, msi ? e->u.msi.address_lo : e->u.irqchip.irqchip);
		state_put_u32(w, msi ? e->u.msi.address_hi : e->u.irqchip.pin);
		state_put_u32(w, msi ? e->u.msi.data : 0);
	}
}

static int vm_var_get(void *vst, struct state_reader *r, int p, uint32_t len, char *why, size_t whylen)
{
	struct vm_state *st = vst;
	const char *name = vm_piece_name(p);
	if (p == VM_ST_CLOCK) {
		if (len != CLOCK_SIZE)
			return bad(why, whylen, -EBADMSG, "VM", name, len);
		st->clock.clock = state_get_u64(r);
		st->clock.flags = state_get_u32(r);
		st->clock.realtime = state_get_u64(r);
		st->clock.host_tsc = state_get_u64(r);
		return 0;
	}
	if (len < 4)
		return bad(why, whylen, -EBADMSG, "VM", name, len);
	uint32_t n = state_get_u32(r);
	if (n > VM_MAX_ROUTES)
		return bad(why, whylen, -EINVAL, "VM", name, len);
	if (len != 4 + n * ROUTE_REC_SIZE)
		return bad(why, whylen, -EBADMSG, "VM", name, len);
	st->nroutes = n;
	for (uint32_t i = 0; i < n; i++) {
		struct kvm_irq_routing_entry *e = &st->routes[i];
		*e = (struct kvm_irq_routing_entry){ .gsi = state_get_u32(r) };
		e->type = state_get_u32(r);
		e->flags = state_get_u32(r);
		uint32_t a = state_get_u32(r), b = state_get_u32(r), c = state_get_u32(r);
		if (e->type == KVM_IRQ_ROUTING_MSI)
			e->u.msi = (struct kvm_irq_routing_msi){ .address_lo = a, .address_hi = b, .data = c };
		else
			e->u.irqchip = (struct kvm_irq_routing_irqchip){ .irqchip = a, .pin = b };
	}
	return 0;
}

static const struct kind vm_kind = { "VM",	   STATE_VM_VERSION, VM_ST_NPIECES, vm_piece_name,
				     vm_field, vm_var_len,	     vm_var_put,    vm_var_get };

void state_vm_put(struct state_writer *w, const struct vm_state *st)
{
	put_pieces(&vm_kind, w, st, st->have);
}

int state_vm_get(struct vm_state *st, struct state_reader *r, uint32_t version, char *why, size_t whylen)
{
	memset(st, 0, sizeof(*st));
	for (uint32_t id = 0; id < 3; id++)
		st->chip[id].chip_id = id;
	return get_pieces(&vm_kind, st, &st->have, r, version, why, whylen);
}

/* ---- registry adapters ---- */

static int cpu_save(const void *obj, struct state_writer *w)
{
	state_cpu_put(w, obj);
	return state_writer_err(w);
}

static int cpu_load(void *obj, struct state_reader *r, uint32_t version)
{
	char why[160];
	return state_cpu_get(obj, r, version, why, sizeof(why));
}

static int vm_save(const void *obj, struct state_writer *w)
{
	state_vm_put(w, obj);
	return state_writer_err(w);
}

static int vm_load(void *obj, struct state_reader *r, uint32_t version)
{
	char why[160];
	return state_vm_get(obj, r, version, why, sizeof(why));
}

const struct state_ops state_cpu_ops = { STATE_CPU_ID, STATE_CPU_VERSION, STATE_CPU_VERSION, cpu_save, cpu_load };
const struct state_ops state_vm_ops = { STATE_VM_ID, STATE_VM_VERSION, STATE_VM_VERSION, vm_save, vm_load };
