/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interrupt lines and the other VM services a device model may call. Devices hold these small
 * objects and never know whether they end in KVM_IRQ_LINE, irqfd, or a unit-test recorder. */
#ifndef KVMINI_IRQ_H
#define KVMINI_IRQ_H
#include <stdint.h>

/* Services a VM offers its devices. Any hook may be NULL in a unit test that does not need it. */
struct vm_hooks {
	/* level-triggered line (ISA IRQ / IOAPIC pin): level 0 or 1 */
	int (*set_irq)(void *opaque, unsigned gsi, int level);
	/* one MSI message, delivered now */
	int (*signal_msi)(void *opaque, uint64_t addr, uint32_t data);
	/* route an eventfd to an MSI message: returns a route handle >= 0 to pass to msi_unroute */
	int (*msi_irqfd)(void *opaque, int efd, uint64_t addr, uint32_t data);
	int (*msi_unroute)(void *opaque, int efd, int handle);
	/* a guest write of len bytes at addr (pio when is_pio) signals efd instead of exiting;
	 * datamatch < 0: any value. assign 0 removes it. */
	int (*ioeventfd)(void *opaque, uint64_t addr, unsigned len, int is_pio, int64_t datamatch, int efd,
			 int assign);
	/* the guest asked to power off (reason VM_STOP_POWEROFF) or reset (VM_STOP_RESET) */
	void (*request_stop)(void *opaque, int reason);
	/* Device memory the guest reaches without exits (a framebuffer BAR): maps size bytes of host
	 * memory at hva (page-aligned) as guest-physical [gpa, gpa + size). handle < 0 takes a new
	 * slot, else moves that one; size 0 removes it. VM_RAM_LOG_DIRTY keeps a dirty page log.
	 * Returns the handle (>= 0) or -errno. */
	int (*map_ram)(void *opaque, int handle, uint64_t gpa, uint64_t size, void *hva, unsigned flags);
	/* ORs the pages written since the last call into bitmap (bit i: page i of the slot, 4 KiB
	 * pages, 64-bit words) and starts a new log. -ENOENT for a slot without a log. */
	int (*get_dirty)(void *opaque, int handle, uint64_t *bitmap);
};

#define VM_RAM_LOG_DIRTY 1u
#define VM_PAGE_SIZE 4096u

enum vm_stop_reason {
	VM_STOP_NONE = 0,
	VM_STOP_POWEROFF, /* guest powered off: exit status 0 */
	VM_STOP_RESET, /* guest reset (or triple fault): rebuild the VM unless --no-reboot */
	VM_STOP_USER, /* console escape or signal */
	VM_STOP_ERROR, /* internal error: exit status 1 */
	VM_STOP_GUEST_EXIT, /* the guest wrote its exit status (devices/debug_exit.h) */
};

struct irq_line {
	const struct vm_hooks *hooks;
	void *opaque;
	unsigned gsi;
};

static inline void irq_set(const struct irq_line *l, int level)
{
	if (l->hooks && l->hooks->set_irq)
		l->hooks->set_irq(l->opaque, l->gsi, level);
}
static inline void irq_raise(const struct irq_line *l) { irq_set(l, 1); }
static inline void irq_lower(const struct irq_line *l) { irq_set(l, 0); }
static inline void irq_pulse(const struct irq_line *l)
{
	irq_set(l, 1);
	irq_set(l, 0);
}

#endif
