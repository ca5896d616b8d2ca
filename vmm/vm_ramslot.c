// SPDX-License-Identifier: GPL-2.0-or-later
/* Device memory as KVM memory slots: a framebuffer BAR the guest writes at memory speed instead of
 * one exit per store, with KVM's dirty page log telling the display which pages changed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"

static int set_slot(struct vm *vm, int handle, uint64_t gpa, uint64_t size, void *hva, unsigned flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)(VM_DEV_SLOT_BASE + handle),
		.flags = (flags & VM_RAM_LOG_DIRTY) ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

int vm_map_dev_ram(void *opaque, int handle, uint64_t gpa, uint64_t size, void *hva, unsigned flags)
{
	struct vm *vm = opaque;
	if (handle >= VM_MAX_DEV_SLOTS || (size && ((gpa | size | (uintptr_t)hva) & (VM_PAGE_SIZE - 1))))
		return -EINVAL;
	pthread_mutex_lock(&vm->slot_lock);
	int ret = 0;
	if (handle < 0) {
		for (handle = 0; handle < VM_MAX_DEV_SLOTS && vm->dev_slots[handle].size; handle++)
			;
		if (handle == VM_MAX_DEV_SLOTS || !size) {
			ret = handle == VM_MAX_DEV_SLOTS ? -ENOSPC : -EINVAL;
			goto out;
		}
	}
	struct vm_dev_slot *s = &vm->dev_slots[handle];
	/* KVM moves a slot only by deleting it and adding it again */
	if (s->size && (ret = set_slot(vm, handle, s->gpa, 0, s->hva, 0)))
		goto out;
	s->size = 0;
	if (size) {
		if ((ret = set_slot(vm, handle, gpa, size, hva, flags)))
			goto out;
		*s = (struct vm_dev_slot){ gpa, size, hva, flags };
	}
	ret = handle;
out:
	pthread_mutex_unlock(&vm->slot_lock);
	return ret;
}

int vm_get_dirty(void *opaque, int handle, uint64_t *bitmap)
{
	struct vm *vm = opaque;
	if (handle < 0 || handle >= VM_MAX_DEV_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&vm->slot_lock);
	const struct vm_dev_slot *s = &vm->dev_slots[handle];
	int ret = -ENOENT;
	if (s->size && (s->flags & VM_RAM_LOG_DIRTY)) {
		size_t words = (s->size / VM_PAGE_SIZE + 63) / 64;
		uint64_t *log = calloc(words, sizeof(*log));
		struct kvm_dirty_log dl = { .slot = (uint32_t)(VM_DEV_SLOT_BASE + handle), .dirty_bitmap = log };
		ret = !log ? -ENOMEM : ioctl(vm->fd, KVM_GET_DIRTY_LOG, &dl) < 0 ? -errno : 0;
		for (size_t i = 0; !ret && i < words; i++)
			bitmap[i] |= log[i];
		free(log);
	}
	pthread_mutex_unlock(&vm->slot_lock);
	return ret;
}
