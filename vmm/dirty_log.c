// SPDX-License-Identifier: GPL-2.0-or-later
/* KVM's dirty page log: see dirty_log.h. */
#include "dirty_log.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "firmware/layout.h"
#include "vm.h"

static int set_slot(struct dirty_log *d, int i, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = d->s[i].slot,
		.flags = flags,
		.guest_phys_addr = d->s[i].gpa,
		.memory_size = d->s[i].size,
		.userspace_addr = d->s[i].hva,
	};
	return ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

/* one logged slot: [gpa, gpa + size) of the host mapping at hva, its first page at bit page0 */
static void add_slot(struct dirty_log *d, uint32_t slot, uint64_t gpa, uint64_t size, uintptr_t hva, uint64_t page0)
{
	int i = d->nslots++;
	d->s[i].slot = slot;
	d->s[i].gpa = gpa;
	d->s[i].size = size;
	d->s[i].hva = hva;
	d->s[i].page0 = page0;
	d->s[i].npages = size / GMEM_PAGE;
}

int dirty_log_start(struct dirty_log *d, int vm_fd, const struct gmem *mem, int firmware, const char **why)
{
	memset(d, 0, sizeof(*d));
	d->vm_fd = vm_fd;
	uint64_t most = 0;
	for (int i = 0; i < mem->nr; i++) {
		const struct gmem_region *r = &mem->r[i];
		if (r->page0 % 64 || r->size % GMEM_PAGE) {
			*why = "guest RAM regions not aligned for dirty logging";
			d->nslots = 0;
			return -EINVAL;
		}
		d->npages += r->size / GMEM_PAGE;
		if (firmware && r->gpa == 0 && r->size > LAYOUT_HIMEM) { /* vm.c's split */
			add_slot(d, 0, 0, LAYOUT_VGA, (uintptr_t)r->hva, r->page0);
			add_slot(d, VM_SLOT_HIMEM, LAYOUT_HIMEM, r->size - LAYOUT_HIMEM, (uintptr_t)r->hva + LAYOUT_HIMEM,
				 r->page0 + LAYOUT_HIMEM / GMEM_PAGE);
		} else {
			add_slot(d, (uint32_t)i, r->gpa, r->size, (uintptr_t)r->hva, r->page0);
		}
	}
	for (int i = 0; i < d->nslots; i++)
		most = d->s[i].npages > most ? d->s[i].npages : most;
	int nslots = d->nslots;
	d->nslots = 0; /* none logging yet (dirty_log_stop's count) */
	d->tmp = calloc((most + 63) / 64, 8);
	if (!d->tmp) {
		*why = "out of memory";
		return -ENOMEM;
	}
	if (ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					      .args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE } };
		d->manual = ioctl(vm_fd, KVM_ENABLE_CAP, &cap) == 0;
	}
	for (int i = 0; i < nslots; i++) {
		d->nslots = i + 1;
		int ret = set_slot(d, i, KVM_MEM_LOG_DIRTY_PAGES);
		if (ret) {
			*why = "KVM_SET_USER_MEMORY_REGION (KVM_MEM_LOG_DIRTY_PAGES) failed";
			d->nslots = i;
			dirty_log_stop(d);
			return ret;
		}
	}
	return 0;
}

int dirty_log_fetch(struct dirty_log *d, uint64_t *bitmap)
{
	for (int i = 0; i < d->nslots; i++) {
		uint64_t words = (d->s[i].npages + 63) / 64;
		memset(d->tmp, 0, words * 8);
		struct kvm_dirty_log log = { .slot = d->s[i].slot, .dirty_bitmap = d->tmp };
		if (ioctl(d->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
			return -errno;
		uint64_t *out = bitmap + d->s[i].page0 / 64;
		for (uint64_t w = 0; w < words; w++)
			out[w] |= d->tmp[w];
	}
	return 0;
}

int dirty_log_clear(struct dirty_log *d, const uint64_t *bitmap, uint64_t word, uint64_t nwords)
{
	if (!d->manual)
		return 0;
	for (int i = 0; i < d->nslots; i++) {
		uint64_t lo = d->s[i].page0 / 64, hi = lo + (d->s[i].npages + 63) / 64;
		uint64_t a = word > lo ? word : lo, b = word + nwords < hi ? word + nwords : hi;
		if (a >= b)
			continue;
		uint64_t first = (a - lo) * 64, n = (b - a) * 64;
		if (first + n > d->s[i].npages) /* the slot's end need not be a multiple of 64 */
			n = d->s[i].npages - first;
		struct kvm_clear_dirty_log c = {
			.slot = d->s[i].slot,
			.num_pages = (uint32_t)n,
			.first_page = first,
			.dirty_bitmap = (void *)(bitmap + a),
		};
		if (ioctl(d->vm_fd, KVM_CLEAR_DIRTY_LOG, &c) < 0)
			return -errno;
	}
	return 0;
}

void dirty_log_stop(struct dirty_log *d)
{
	for (int i = 0; i < d->nslots; i++)
		(void)set_slot(d, i, 0); /* a failure leaves logging on: slower, not wrong */
	d->nslots = 0;
	free(d->tmp);
	d->tmp = NULL;
}
