/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VM: its KVM handle, guest RAM, the two buses, the interrupt routing table and the services
 * (struct vm_hooks) its devices call. What devices plug in is decided in machine.c. */
#ifndef KVMINI_VM_H
#define KVMINI_VM_H
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bus.h"
#include "gmem.h"
#include "irq.h"
#include "kvm.h"

enum hugepages_mode { HUGEPAGES_OFF, HUGEPAGES_THP, HUGEPAGES_HUGETLB };

struct vm_mem_cfg {
	uint64_t size;
	int ksm; /* MADV_MERGEABLE: off by default, KSM is a side channel between guests */
	enum hugepages_mode hugepages;
	/* a snapshot's memory file (vmm/snapshot.h): RAM is a private mapping of it, pages load on first
	 * touch and writes never reach the file; NULL: anonymous RAM */
	const char *ram_file;
	/* firmware boot (vmm/bios.h): the KVM slots of low RAM leave 0xA0000-0xFFFFF out (the VGA
	 * window, the BIOS and its shadow RAM); the guest's RAM (gmem) still spans it */
	int firmware;
};

/* KVM memory slots: RAM regions use 0..GMEM_MAX_REGIONS-1; with firmware, low RAM from 1 MiB on
 * has VM_SLOT_HIMEM, the BIOS VM_SLOT_BIOS and its shadow segments the slots after it */
#define VM_SLOT_HIMEM 8
#define VM_SLOT_BIOS 9

#define VM_MAX_ROUTES 1024
#define VM_MAX_DEV_SLOTS 8 /* KVM memory slots for device memory (map_ram), after the RAM slots */
/* after the BIOS's slots (VM_SLOT_BIOS + 1 + its 13 shadow segments: vmm/bios.c checks): at 16,
 * the framebuffer's slot took the 0xD8000 segment's and SeaBIOS died remapping it under PAM */
#define VM_DEV_SLOT_BASE 24

struct vm_dev_slot {
	uint64_t gpa, size; /* size 0: free */
	void *hva;
	unsigned flags;
};

struct vm {
	struct kvm *kvm;
	int fd;
	struct gmem mem;
	void *ram; /* one host mapping: low RAM, then (if any) RAM relocated above 4 GiB */
	uint64_t ram_map_size;
	struct bus pio, mmio;
	struct vm_hooks hooks; /* opaque is this vm */

	pthread_mutex_t route_lock;
	struct kvm_irq_routing *routes; /* room for VM_MAX_ROUTES entries */
	uint32_t next_gsi;

	pthread_mutex_t slot_lock;
	struct vm_dev_slot dev_slots[VM_MAX_DEV_SLOTS]; /* handle i is KVM slot VM_DEV_SLOT_BASE + i */

	atomic_int stop_reason; /* first enum vm_stop_reason wins */
	int stop_efd; /* written when a stop is requested, wakes the main loop */
	void (*on_stop)(void *opaque); /* kicks the vCPUs (set by the vCPU layer) */
	void *on_stop_opaque;
};

int vm_create(struct vm *vm, struct kvm *kvm, const struct vm_mem_cfg *mc, const char **why);
void vm_destroy(struct vm *vm);
/* vm_hooks.map_ram and .get_dirty (vmm/vm_ramslot.c) */
int vm_map_dev_ram(void *opaque, int handle, uint64_t gpa, uint64_t size, void *hva, unsigned flags);
int vm_get_dirty(void *opaque, int handle, uint64_t *bitmap);
/* First caller's reason sticks; later requests are ignored. */
void vm_request_stop(struct vm *vm, int reason);

#endif
