// SPDX-License-Identifier: GPL-2.0-or-later
/* VM-wide KVM state: in-kernel interrupt controllers, PIT, kvmclock and the routing table, read out
 * of a stopped VM and written into a fresh one. */
#include "vm_state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define KVM_CLOCK_KNOWN (KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)
#define KVM_PIT_KNOWN (KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON)
#define ROUTE_GSI_MAX 4096 /* KVM_MAX_IRQ_ROUTES */

static int fail(char *why, size_t whylen, int err, const char *what)
{
	snprintf(why, whylen, "%s: %s", what, strerror(-err));
	return err;
}

int vm_state_save(struct vm *vm, struct vm_state *st, char *why, size_t whylen)
{
	memset(st, 0, sizeof(*st));
	for (uint32_t id = 0; id < 3; id++) {
		st->chip[id].chip_id = id;
		if (ioctl(vm->fd, KVM_GET_IRQCHIP, &st->chip[id]) < 0)
			return fail(why, whylen, -errno, "KVM_GET_IRQCHIP");
		st->have |= VM_ST_BIT(id);
	}
	if (ioctl(vm->fd, KVM_GET_PIT2, &st->pit) < 0)
		return fail(why, whylen, -errno, "KVM_GET_PIT2");
	st->have |= VM_ST_BIT(VM_ST_PIT2);
	if (ioctl(vm->kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK) > 0) {
		if (ioctl(vm->fd, KVM_GET_CLOCK, &st->clock) < 0)
			return fail(why, whylen, -errno, "KVM_GET_CLOCK");
		st->have |= VM_ST_BIT(VM_ST_CLOCK);
	}
	pthread_mutex_lock(&vm->route_lock);
	st->nroutes = vm->routes->nr;
	memcpy(st->routes, vm->routes->entries, st->nroutes * sizeof(st->routes[0]));
	pthread_mutex_unlock(&vm->route_lock);
	st->have |= VM_ST_BIT(VM_ST_ROUTES);
	return 0;
}

static int check_route(const struct kvm_irq_routing_entry *e, uint32_t i, char *why, size_t whylen)
{
	int ok = e->gsi < ROUTE_GSI_MAX && e->flags == 0;
	if (e->type == KVM_IRQ_ROUTING_IRQCHIP)
		ok = ok && e->u.irqchip.irqchip <= KVM_IRQCHIP_IOAPIC &&
		     e->u.irqchip.pin < (e->u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC ? KVM_IOAPIC_NUM_PINS : 8u);
	else
		ok = ok && e->type == KVM_IRQ_ROUTING_MSI;
	if (!ok) {
		snprintf(why, whylen, "interrupt route %u (gsi %u, type %u): not one kvmini installs", i, e->gsi,
			 e->type);
		return -EINVAL;
	}
	return 0;
}

int vm_state_fits(const struct vm_state *st, char *why, size_t whylen)
{
	if ((st->have & VM_ST_REQUIRED) != VM_ST_REQUIRED || (st->have >> VM_ST_NPIECES)) {
		snprintf(why, whylen, "VM state pieces %#x: needs %#x, knows %#x", st->have, VM_ST_REQUIRED,
			 VM_ST_BIT(VM_ST_NPIECES) - 1);
		return -EINVAL;
	}
	for (uint32_t id = 0; id < 3; id++) {
		if (st->chip[id].chip_id != id) {
			snprintf(why, whylen, "interrupt controller %u saved as chip %u", id, st->chip[id].chip_id);
			return -EINVAL;
		}
	}
	if (st->pit.flags & ~(uint32_t)KVM_PIT_KNOWN) {
		snprintf(why, whylen, "PIT flags %#x: unknown bits", st->pit.flags);
		return -EINVAL;
	}
	if ((st->have & VM_ST_BIT(VM_ST_CLOCK)) && (st->clock.flags & ~(uint32_t)KVM_CLOCK_KNOWN)) {
		snprintf(why, whylen, "kvmclock flags %#x: unknown bits", st->clock.flags);
		return -EINVAL;
	}
	if (st->nroutes > VM_MAX_ROUTES) {
		snprintf(why, whylen, "%u interrupt routes: more than kvmini's %u", st->nroutes, VM_MAX_ROUTES);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < st->nroutes; i++) {
		int ret = check_route(&st->routes[i], i, why, whylen);
		if (ret)
			return ret;
	}
	return 0;
}

/* Saved IRQCHIP routes, then whatever MSI routes the devices hold now. */
static int restore_routes(struct vm *vm, const struct vm_state *st, char *why, size_t whylen)
{
	pthread_mutex_lock(&vm->route_lock);
	struct kvm_irq_routing *rt = vm->routes;
	uint32_t nmsi = 0, n = 0;
	for (uint32_t i = 0; i < st->nroutes; i++)
		n += st->routes[i].type == KVM_IRQ_ROUTING_IRQCHIP;
	for (uint32_t i = 0; i < rt->nr; i++)
		nmsi += rt->entries[i].type == KVM_IRQ_ROUTING_MSI;
	int ret = 0;
	if (n + nmsi > VM_MAX_ROUTES) {
		snprintf(why, whylen, "interrupt routes: %u saved and %u in use exceed %u", n, nmsi, VM_MAX_ROUTES);
		ret = -ENOSPC;
		goto out;
	}
	/* MSI entries first move to the tail (in place, keeping their order), then the saved
	 * IRQCHIP entries fill the front */
	uint32_t w = VM_MAX_ROUTES;
	for (uint32_t i = rt->nr; i-- > 0;) {
		if (rt->entries[i].type == KVM_IRQ_ROUTING_MSI)
			rt->entries[--w] = rt->entries[i];
	}
	memmove(&rt->entries[n], &rt->entries[w], nmsi * sizeof(rt->entries[0]));
	n = 0;
	for (uint32_t i = 0; i < st->nroutes; i++) {
		if (st->routes[i].type == KVM_IRQ_ROUTING_IRQCHIP)
			rt->entries[n++] = st->routes[i];
	}
	rt->nr = n + nmsi;
	if (ioctl(vm->fd, KVM_SET_GSI_ROUTING, rt) < 0)
		ret = fail(why, whylen, -errno, "KVM_SET_GSI_ROUTING");
out:
	pthread_mutex_unlock(&vm->route_lock);
	return ret;
}

int vm_state_restore(struct vm *vm, const struct vm_state *st, char *why, size_t whylen)
{
	int ret = vm_state_fits(st, why, whylen);
	if (ret)
		return ret;
	for (uint32_t id = 0; id < 3; id++) {
		struct kvm_irqchip c = st->chip[id];
		if (ioctl(vm->fd, KVM_SET_IRQCHIP, &c) < 0)
			return fail(why, whylen, -errno, "KVM_SET_IRQCHIP");
	}
	struct kvm_pit_state2 pit = st->pit;
	if (ioctl(vm->fd, KVM_SET_PIT2, &pit) < 0)
		return fail(why, whylen, -errno, "KVM_SET_PIT2");
	return restore_routes(vm, st, why, whylen);
}

int vm_state_restore_clock(struct vm *vm, const struct vm_state *st, enum vm_clock_mode mode, char *why,
			   size_t whylen)
{
	if (!(st->have & VM_ST_BIT(VM_ST_CLOCK)))
		return 0;
	int caps = ioctl(vm->kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_ADJUST_CLOCK);
	if (caps <= 0) {
		snprintf(why, whylen, "this host's KVM cannot set kvmclock (no KVM_CAP_ADJUST_CLOCK)");
		return -ENOTSUP;
	}
	/* KVM_SET_CLOCK reads only the realtime flag: it then adds the wall-clock time since the
	 * stamp (never subtracts); host_tsc is an output only */
	struct kvm_clock_data c = { .clock = st->clock.clock };
	if (mode == VM_CLOCK_ADVANCE && (st->clock.flags & KVM_CLOCK_REALTIME) && (caps & KVM_CLOCK_REALTIME)) {
		c.flags = KVM_CLOCK_REALTIME;
		c.realtime = st->clock.realtime;
	}
	return ioctl(vm->fd, KVM_SET_CLOCK, &c) < 0 ? fail(why, whylen, -errno, "KVM_SET_CLOCK") : 0;
}
