/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VM-wide state KVM holds for kvmini: the in-kernel PICs and IOAPIC, the PIT, kvmclock and the
 * interrupt routing table vm.c installed. Read from a VM whose vCPUs are stopped, checked without
 * ioctls, written into a fresh VM. The stream encoding is vmm/state_kvm.h. */
#ifndef KVMINI_VM_STATE_H
#define KVMINI_VM_STATE_H
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "vm.h"

enum vm_st_piece {
	VM_ST_PIC_MASTER, /* KVM_IRQCHIP_PIC_MASTER: the bit is the chip id */
	VM_ST_PIC_SLAVE,
	VM_ST_IOAPIC,
	VM_ST_PIT2,
	VM_ST_CLOCK, /* kvmclock: needs KVM_CAP_ADJUST_CLOCK */
	VM_ST_ROUTES,
	VM_ST_NPIECES
};
#define VM_ST_BIT(p) (1u << (p))
#define VM_ST_REQUIRED                                                                                     \
	(VM_ST_BIT(VM_ST_PIC_MASTER) | VM_ST_BIT(VM_ST_PIC_SLAVE) | VM_ST_BIT(VM_ST_IOAPIC) |                  \
	 VM_ST_BIT(VM_ST_PIT2) | VM_ST_BIT(VM_ST_ROUTES))

struct vm_state {
	uint32_t have; /* VM_ST_BIT()s */
	struct kvm_irqchip chip[3]; /* indexed by chip id */
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock; /* flags say whether realtime and host_tsc are valid */
	uint32_t nroutes;
	struct kvm_irq_routing_entry routes[VM_MAX_ROUTES];
};

/* How kvmclock continues after a restore. */
enum vm_clock_mode {
	/* from the saved value, advanced by the wall-clock time that passed since the save when the
	 * source said its realtime stamp is valid (KVM_CLOCK_REALTIME): a migrated guest's clock keeps
	 * pace with the world, and never goes backwards (KVM only ever adds) */
	VM_CLOCK_ADVANCE,
	/* from the saved value exactly: the guest does not see the time it spent stopped */
	VM_CLOCK_CONTINUE,
};

/* Reads the state of a VM whose vCPUs are out of KVM_RUN. 0, or -errno and why. */
int vm_state_save(struct vm *vm, struct vm_state *st, char *why, size_t whylen);

/* No ioctls: chip ids, PIT flags, clock flags and every routing entry (type, irqchip, pin, gsi)
 * within what KVM and kvmini's table take. 0, or -EINVAL and why. */
int vm_state_fits(const struct vm_state *st, char *why, size_t whylen);

/*
 * Writes the interrupt controllers, the PIT and the routes of st into a fresh VM (vm_create done,
 * no vCPU run yet), after vm_state_fits; before the vCPUs' states (their LAPICs then meet the
 * IOAPIC they were saved with). The routing table's IRQCHIP entries are replaced by the saved
 * ones; MSI entries already in vm->routes stay, because each belongs to an irqfd a device
 * (devices/msix.c) owns and re-creates when its state is loaded; the saved MSI entries are
 * validated but not installed. 0, or -errno and why.
 */
int vm_state_restore(struct vm *vm, const struct vm_state *st, char *why, size_t whylen);

/* Sets kvmclock from st (a no-op without a saved clock): last, after every vCPU's state and just
 * before the vCPUs run, so that VM_CLOCK_ADVANCE counts the whole time the guest was stopped.
 * 0, or -errno and why. */
int vm_state_restore_clock(struct vm *vm, const struct vm_state *st, enum vm_clock_mode mode, char *why,
			   size_t whylen);

#endif
