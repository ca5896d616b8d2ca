/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MSI-X emulation for a PCI function: the capability in config space, the vector table and PBA
 * in a BAR, per-vector and function masking with pending bits, and one irqfd per vector, routed
 * when the vector first fires and re-routed only when it fires with a changed message (so table
 * writes never rebuild GSI routing themselves); signal_msi when the VM has no irqfd. Thread-safe:
 * vCPUs program the table while I/O threads signal. */
#ifndef KVMINI_PCI_MSIX_H
#define KVMINI_PCI_MSIX_H
#include <pthread.h>
#include <stdint.h>

#include "devices/pci.h"
#include "vmm/irq.h"

#define MSIX_MAX_VECTORS 128

struct msix_vec {
	uint32_t addr_lo, addr_hi, data, ctrl; /* the guest's table entry; ctrl bit 0 = masked */
	int efd; /* irqfd, -1 without hooks->msi_irqfd */
	int route; /* msi_irqfd handle while routed, else -1 */
	uint64_t r_addr; /* message the route was made for */
	uint32_t r_data;
};

struct msix {
	pthread_mutex_t lock;
	int inited;
	unsigned nvec;
	unsigned cap; /* config-space offset of the capability */
	uint64_t pba_rel; /* PBA offset relative to the table */
	int enabled, fmask; /* from the message control register */
	struct msix_vec v[MSIX_MAX_VECTORS];
	uint64_t pending[MSIX_MAX_VECTORS / 64];
	const struct vm_hooks *hooks;
	void *opaque;
};

/* Adds the capability to d (table at table_off, PBA at pba_off, both in BAR bar) and makes the
 * enable/function-mask bits guest-writable. All vectors start masked. */
int msix_init(struct msix *m, struct pci_dev *d, unsigned nvec, int bar, uint32_t table_off, uint32_t pba_off,
	      const struct vm_hooks *hooks, void *opaque);
void msix_destroy(struct msix *m);
static inline int msix_enabled(struct msix *m) { return __atomic_load_n(&m->enabled, __ATOMIC_ACQUIRE); }
/* Fires vector vec now, or marks it pending while masked. No-op when MSI-X is disabled. */
void msix_signal(struct msix *m, unsigned vec);
/* Call from the device's cfg_written: picks up enable / function mask changes. */
void msix_cfg_written(struct msix *m, struct pci_dev *d, unsigned off, unsigned size);
/* BAR accesses, off relative to the table start (the PBA lives at pba_off - table_off). */
void msix_mmio_read(struct msix *m, uint64_t off, void *data, unsigned size);
void msix_mmio_write(struct msix *m, uint64_t off, const void *data, unsigned size);
/* Pending bit of vec (tests). */
int msix_pending(struct msix *m, unsigned vec);

/* Saved state (vmm/state.h), inside the owning function's section after its config space: the
 * vector table (addresses, data, masks) and the pending bits. Enable and function mask are config
 * space, read back from d at load. apply 0 only checks (same vector count, values the table could
 * hold); apply 1 installs it, drops stale routes, and delivers what is pending on a live vector. */
struct state_writer;
struct state_reader;
void msix_state_save(const struct msix *m, struct state_writer *w);
int msix_state_load(struct msix *m, const struct pci_dev *d, struct state_reader *r, int apply);

#endif
