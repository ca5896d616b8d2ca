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

/* The fixed-size pieces: where they live in the state, and how big they are. NULL: variable. */
static void *cpu_field(const struct vcpu_state *cst, int p, size_t *size)
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

static uint32_t cpu_piece_len(const struct vcpu_state *st, int p)
{
	size_t size;
	if (cpu_field(st, p, &size))
		return (uint32_t)size;
	switch (p) {
	case VCPU_ST_CPUID: return 4 + st->ncpuid * (uint32_t)CPUID_ENTRY_SIZE;
	case VCPU_ST_XSAVE: return st->xsave_len;
	default: return 4 + st->nmsrs * MSR_REC_SIZE; /* VCPU_ST_MSRS */
	}
}

void state_cpu_put(struct state_writer *w, const struct vcpu_state *st)
{
	uint32_t have = st->have & (VCPU_ST_BIT(VCPU_ST_NPIECES) - 1);
	state_put_u32(w, have);
	for (int p = 0; p < VCPU_ST_NPIECES; p++) {
		if (!(have & VCPU_ST_BIT(p)))
			continue;
		state_put_u32(w, cpu_piece_len(st, p));
		size_t size;
		const void *f = cpu_field(st, p, &size);
		if (f) {
			state_put_bytes(w, f, size);
		} else if (p == VCPU_ST_CPUID) {
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
}

static int bad(char *why, size_t whylen, int err, const char *sec, const char *piece, uint32_t len)
{
	snprintf(why, whylen, "%s state: %s of %u bytes: %s", sec, piece, len,
		 err == -EBADMSG ? "not the size its count or type gives" : "out of range");
	return err;
}

static int truncated(char *why, size_t whylen, const char *sec)
{
	snprintf(why, whylen, "%s state: truncated", sec);
	return -EBADMSG;
}

static int get_end(struct state_reader *r, const char *sec, char *why, size_t whylen)
{
	int ret = state_reader_done(r);
	if (ret && r->err)
		return truncated(why, whylen, sec);
	if (ret)
		snprintf(why, whylen, "%s state: bytes after the last piece", sec);
	return ret;
}

static int cpu_get_var(struct vcpu_state *st, struct state_reader *r, int p, uint32_t len, char *why,
		       size_t whylen)
{
	const char *name = vcpu_st_piece_name((enum vcpu_st_piece)p);
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
	if (p == VCPU_ST_CPUID) {
		if (n < 1 || n > VCPU_ST_MAX_CPUID)
			return bad(why, whylen, -EINVAL, "vCPU", name, len);
		if (len != 4 + n * CPUID_ENTRY_SIZE)
			return bad(why, whylen, -EBADMSG, "vCPU", name, len);
		st->ncpuid = n;
		state_get_bytes(r, st->cpuid, n * CPUID_ENTRY_SIZE);
		return 0;
	}
	if (n > VCPU_ST_MAX_MSRS)
		return bad(why, whylen, -EINVAL, "vCPU", name, len);
	if (len != 4 + n * MSR_REC_SIZE)
		return bad(why, whylen, -EBADMSG, "vCPU", name, len);
	st->nmsrs = n;
	for (uint32_t i = 0; i < n; i++) {
		st->msrs[i] = (struct kvm_msr_entry){ .index = state_get_u32(r) };
		st->msrs[i].data = state_get_u64(r);
	}
	return 0;
}

static int check_pieces(uint32_t have, unsigned npieces, const char *sec, char *why, size_t whylen)
{
	if (!(have >> npieces))
		return 0;
	snprintf(why, whylen, "%s state: unknown pieces %#x", sec, have >> npieces << npieces);
	return -EINVAL;
}

static int check_version(uint32_t version, uint32_t mine, const char *sec, char *why, size_t whylen)
{
	if (version == mine)
		return 0;
	snprintf(why, whylen, "%s state: section version %u, this kvmini reads %u", sec, version, mine);
	return -EPROTONOSUPPORT;
}

int state_cpu_get(struct vcpu_state *st, struct state_reader *r, uint32_t version, char *why, size_t whylen)
{
	memset(st, 0, sizeof(*st));
	int ret = check_version(version, STATE_CPU_VERSION, "vCPU", why, whylen);
	uint32_t have = state_get_u32(r);
	if (!ret)
		ret = check_pieces(have, VCPU_ST_NPIECES, "vCPU", why, whylen);
	for (int p = 0; !ret && p < VCPU_ST_NPIECES; p++) {
		if (!(have & VCPU_ST_BIT(p)))
			continue;
		uint32_t len = state_get_u32(r);
		if (r->err || len > state_reader_left(r)) {
			ret = truncated(why, whylen, "vCPU");
			break;
		}
		size_t size;
		void *f = cpu_field(st, p, &size);
		if (f && len != size)
			ret = bad(why, whylen, -EBADMSG, "vCPU", vcpu_st_piece_name((enum vcpu_st_piece)p), len);
		else if (f)
			state_get_bytes(r, f, size);
		else
			ret = cpu_get_var(st, r, p, len, why, whylen);
		st->have |= VCPU_ST_BIT(p);
	}
	return ret ? ret : get_end(r, "vCPU", why, whylen);
}

/* ---- vm ---- */

static void *vm_field(const struct vm_state *cst, int p, size_t *size)
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

static const char *const vm_piece_names[VM_ST_NPIECES] = { "PIC master", "PIC slave", "IOAPIC",
							    "PIT",	  "kvmclock",  "interrupt routes" };

void state_vm_put(struct state_writer *w, const struct vm_state *st)
{
	uint32_t have = st->have & (VM_ST_BIT(VM_ST_NPIECES) - 1);
	state_put_u32(w, have);
	for (int p = 0; p < VM_ST_NPIECES; p++) {
		if (!(have & VM_ST_BIT(p)))
			continue;
		size_t size;
		const void *f = vm_field(st, p, &size);
		if (f) {
			state_put_u32(w, (uint32_t)size);
			state_put_bytes(w, f, size);
		} else if (p == VM_ST_CLOCK) {
			state_put_u32(w, CLOCK_SIZE);
			state_put_u64(w, st->clock.clock);
			state_put_u32(w, st->clock.flags);
			state_put_u64(w, st->clock.realtime);
			state_put_u64(w, st->clock.host_tsc);
		} else {
			state_put_u32(w, 4 + st->nroutes * ROUTE_REC_SIZE);
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
	}
}

static int vm_get_routes(struct vm_state *st, struct state_reader *r, uint32_t len, char *why, size_t whylen)
{
	const char *name = vm_piece_names[VM_ST_ROUTES];
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

int state_vm_get(struct vm_state *st, struct state_reader *r, uint32_t version, char *why, size_t whylen)
{
	memset(st, 0, sizeof(*st));
	for (uint32_t id = 0; id < 3; id++)
		st->chip[id].chip_id = id;
	int ret = check_version(version, STATE_VM_VERSION, "VM", why, whylen);
	uint32_t have = state_get_u32(r);
	if (!ret)
		ret = check_pieces(have, VM_ST_NPIECES, "VM", why, whylen);
	for (int p = 0; !ret && p < VM_ST_NPIECES; p++) {
		if (!(have & VM_ST_BIT(p)))
			continue;
		uint32_t len = state_get_u32(r);
		if (r->err || len > state_reader_left(r)) {
			ret = truncated(why, whylen, "VM");
			break;
		}
		size_t size;
		void *f = vm_field(st, p, &size);
		if (p == VM_ST_ROUTES) {
			ret = vm_get_routes(st, r, len, why, whylen);
		} else if (len != (f ? size : CLOCK_SIZE)) {
			ret = bad(why, whylen, -EBADMSG, "VM", vm_piece_names[p], len);
		} else if (f) {
			state_get_bytes(r, f, size);
		} else {
			st->clock.clock = state_get_u64(r);
			st->clock.flags = state_get_u32(r);
			st->clock.realtime = state_get_u64(r);
			st->clock.host_tsc = state_get_u64(r);
		}
		st->have |= VM_ST_BIT(p);
	}
	return ret ? ret : get_end(r, "VM", why, whylen);
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
