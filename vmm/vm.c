// SPDX-License-Identifier: GPL-2.0-or-later
#include "vm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/layout.h"
#include "log.h"

#define HUGE_2M (2ULL << 20)

static int vm_map_ram(struct vm *vm, const struct vm_mem_cfg *mc, const char **why)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uint64_t len = mc->size;
	if (mc->hugepages == HUGEPAGES_HUGETLB) {
		flags |= MAP_HUGETLB;
		len = (len + HUGE_2M - 1) & ~(HUGE_2M - 1);
	} else if (mc->hugepages == HUGEPAGES_THP) {
		len += HUGE_2M; /* room to align the start for transparent huge pages */
	}
	int fd = -1;
	if (mc->ram_file) {
		struct stat st;
		fd = open(mc->ram_file, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size < mc->size) {
			int err = fd < 0 ? errno : EINVAL;
			if (fd >= 0)
				close(fd);
			*why = "cannot open the snapshot's memory file (or it is smaller than RAM)";
			return -err;
		}
		flags = MAP_PRIVATE | MAP_NORESERVE; /* copy on write: the file stays the snapshot's */
		len = mc->size;
	}
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (fd >= 0)
		close(fd); /* the mapping holds the file */
	if (p == MAP_FAILED) {
		int err = errno;
		*why = mc->hugepages == HUGEPAGES_HUGETLB ? "cannot map hugetlbfs pages (are enough reserved in "
							    "/proc/sys/vm/nr_hugepages?)"
							  : "cannot map guest memory";
		return -err;
	}
	vm->ram = p;
	vm->ram_map_size = len;
	uint8_t *base = p;
	if (mc->hugepages == HUGEPAGES_THP && !mc->ram_file) {
		base = (uint8_t *)(((uintptr_t)p + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
		if (madvise(base, mc->size, MADV_HUGEPAGE) < 0) {
			*why = "madvise(MADV_HUGEPAGE) failed (transparent huge pages disabled?)";
			return -errno;
		}
	}
	if (mc->ksm && madvise(base, mc->size, MADV_MERGEABLE) < 0) {
		*why = "madvise(MADV_MERGEABLE) failed (kernel without KSM?)";
		return -errno;
	}
	/* RAM that would overlap the 32-bit PCI hole lives above 4 GiB instead */
	uint64_t lo = mc->size < LAYOUT_PCI_HOLE ? mc->size : LAYOUT_PCI_HOLE;
	int ret = gmem_add(&vm->mem, 0, lo, base);
	if (!ret && mc->size > lo)
		ret = gmem_add(&vm->mem, LAYOUT_4G, mc->size - lo, base + lo);
	if (ret) {
		*why = "bad memory layout";
		return ret;
	}
	for (int i = 0; i < vm->mem.nr; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = (uint32_t)i,
			.guest_phys_addr = vm->mem.r[i].gpa,
			.memory_size = vm->mem.r[i].size,
			.userspace_addr = (uintptr_t)vm->mem.r[i].hva,
		};
		int split = mc->firmware && r.guest_phys_addr == 0 && r.memory_size > LAYOUT_HIMEM;
		if (split)
			r.memory_size = LAYOUT_VGA; /* the rest from 1 MiB on, below */
		if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
			*why = "KVM_SET_USER_MEMORY_REGION failed";
			return -errno;
		}
		if (split) {
			r = (struct kvm_userspace_memory_region){
				.slot = VM_SLOT_HIMEM,
				.guest_phys_addr = LAYOUT_HIMEM,
				.memory_size = vm->mem.r[i].size - LAYOUT_HIMEM,
				.userspace_addr = (uintptr_t)vm->mem.r[i].hva + LAYOUT_HIMEM,
			};
			if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
				*why = "KVM_SET_USER_MEMORY_REGION failed";
				return -errno;
			}
		}
	}
	return 0;
}

/* KVM_SET_GSI_ROUTING replaces the whole table, so it starts with what KVM would route by itself:
 * ISA lines to both PICs and the IOAPIC, lines 16..23 to the IOAPIC only. */
static void vm_default_routes(struct vm *vm)
{
	struct kvm_irq_routing *rt = vm->routes;
	for (uint32_t gsi = 0; gsi < 24; gsi++) {
		if (gsi < 16) {
			rt->entries[rt->nr++] = (struct kvm_irq_routing_entry){
				.gsi = gsi,
				.type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
					       .pin = gsi % 8 },
			};
		}
		rt->entries[rt->nr++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi },
		};
	}
	vm->next_gsi = 24;
}

static int hook_set_irq(void *opaque, unsigned gsi, int level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level l = { .irq = gsi, .level = (uint32_t)level };
	return ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

static int hook_signal_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;
	struct kvm_msi msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data };
	return ioctl(vm->fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

/* Returns the GSI used as the handle. */
static int hook_msi_irqfd(void *opaque, int efd, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;
	int ret;
	pthread_mutex_lock(&vm->route_lock);
	struct kvm_irq_routing *rt = vm->routes;
	if (rt->nr >= VM_MAX_ROUTES) {
		ret = -ENOSPC;
		goto out;
	}
	/* reuse the lowest free MSI gsi so re-routing a vector does not exhaust the table */
	uint32_t gsi = 24;
	for (;;) {
		uint32_t i;
		for (i = 0; i < rt->nr && rt->entries[i].gsi != gsi; i++)
			;
		if (i == rt->nr)
			break;
		gsi++;
	}
	rt->entries[rt->nr] = (struct kvm_irq_routing_entry){
		.gsi = gsi,
		.type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data },
	};
	rt->nr++;
	if (ioctl(vm->fd, KVM_SET_GSI_ROUTING, rt) < 0) {
		ret = -errno;
		rt->nr--;
		goto out;
	}
	struct kvm_irqfd irqfd = { .fd = (uint32_t)efd, .gsi = gsi };
	if (ioctl(vm->fd, KVM_IRQFD, &irqfd) < 0) {
		ret = -errno;
		rt->nr--;
		ioctl(vm->fd, KVM_SET_GSI_ROUTING, rt);
		goto out;
	}
	ret = (int)gsi;
out:
	pthread_mutex_unlock(&vm->route_lock);
	return ret;
}

static int hook_msi_unroute(void *opaque, int efd, int handle)
{
	struct vm *vm = opaque;
	struct kvm_irqfd irqfd = { .fd = (uint32_t)efd, .gsi = (uint32_t)handle, .flags = KVM_IRQFD_FLAG_DEASSIGN };
	int ret = ioctl(vm->fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
	pthread_mutex_lock(&vm->route_lock);
	struct kvm_irq_routing *rt = vm->routes;
	for (uint32_t i = 0; i < rt->nr; i++) {
		if (rt->entries[i].gsi == (uint32_t)handle && rt->entries[i].type == KVM_IRQ_ROUTING_MSI) {
			rt->entries[i] = rt->entries[--rt->nr];
			if (ioctl(vm->fd, KVM_SET_GSI_ROUTING, rt) < 0 && !ret)
				ret = -errno;
			break;
		}
	}
	pthread_mutex_unlock(&vm->route_lock);
	return ret;
}

static int hook_ioeventfd(void *opaque, uint64_t addr, unsigned len, int is_pio, int64_t datamatch, int efd,
			  int assign)
{
	struct vm *vm = opaque;
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = len,
		.fd = efd,
		.flags = (is_pio ? KVM_IOEVENTFD_FLAG_PIO : 0) | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};
	if (datamatch >= 0) {
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
		io.datamatch = (uint64_t)datamatch;
	}
	return ioctl(vm->fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

static void hook_request_stop(void *opaque, int reason)
{
	vm_request_stop(opaque, reason);
}

void vm_request_stop(struct vm *vm, int reason)
{
	int none = VM_STOP_NONE;
	if (!atomic_compare_exchange_strong(&vm->stop_reason, &none, reason))
		return;
	uint64_t one = 1;
	if (write(vm->stop_efd, &one, sizeof(one)) < 0) {
		/* an eventfd only fails to take a write when its counter is saturated: already woken */
	}
	if (vm->on_stop)
		vm->on_stop(vm->on_stop_opaque);
}

int vm_create(struct vm *vm, struct kvm *kvm, const struct vm_mem_cfg *mc, const char **why)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm = kvm;
	vm->fd = -1;
	vm->stop_efd = -1;
	bus_init(&vm->pio, "pio");
	bus_init(&vm->mmio, "mmio");
	pthread_mutex_init(&vm->route_lock, NULL);
	atomic_init(&vm->stop_reason, VM_STOP_NONE);
	vm->hooks = (struct vm_hooks){
		.set_irq = hook_set_irq,
		.signal_msi = hook_signal_msi,
		.msi_irqfd = hook_msi_irqfd,
		.msi_unroute = hook_msi_unroute,
		.ioeventfd = hook_ioeventfd,
		.request_stop = hook_request_stop,
		.map_ram = vm_map_dev_ram,
		.get_dirty = vm_get_dirty,
	};
	pthread_mutex_init(&vm->slot_lock, NULL);
	int ret;
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->routes = calloc(1, sizeof(*vm->routes) + VM_MAX_ROUTES * sizeof(vm->routes->entries[0]));
	if (vm->stop_efd < 0 || !vm->routes) {
		*why = "out of resources";
		return -ENOMEM;
	}
	vm->fd = ioctl(kvm->fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		*why = "KVM_CREATE_VM failed";
		return -errno;
	}
	/* Intel hosts need these three pages outside RAM; harmless elsewhere */
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS) < 0) {
		*why = "KVM_SET_TSS_ADDR failed";
		return -errno;
	}
	uint64_t ident = LAYOUT_KVM_IDENTITY;
	if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0 && errno != EINVAL && errno != ENOTTY) {
		*why = "KVM_SET_IDENTITY_MAP_ADDR failed";
		return -errno;
	}
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		*why = "KVM_CREATE_IRQCHIP failed";
		return -errno;
	}
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
		*why = "KVM_CREATE_PIT2 failed";
		return -errno;
	}
	vm_default_routes(vm);
	if (ioctl(vm->fd, KVM_SET_GSI_ROUTING, vm->routes) < 0) {
		*why = "KVM_SET_GSI_ROUTING failed";
		return -errno;
	}
	ret = vm_map_ram(vm, mc, why);
	if (ret)
		return ret;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->ram)
		munmap(vm->ram, vm->ram_map_size);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	free(vm->routes);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->route_lock);
	pthread_mutex_destroy(&vm->slot_lock);
	vm->fd = -1;
	vm->ram = NULL;
	vm->stop_efd = -1;
	vm->routes = NULL;
}
