/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Plain PCI MSI (one message, 64-bit address, no per-vector masking) for a function that has no
 * MSI-X table: the capability in config space, the enable bit and the message the guest programmed
 * there, and delivery through the VM's signal_msi hook. Thread-safe: config writes come from vCPUs
 * (under the PCI host's lock), messages from I/O threads. */
#ifndef KVMINI_PCI_MSI_H
#define KVMINI_PCI_MSI_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"
#include "vmm/irq.h"

struct msi {
	pthread_mutex_t lock;
	bool inited;
	unsigned cap; /* config-space offset of the capability */
	bool enabled;
	uint64_t addr;
	uint32_t data;
	const struct vm_hooks *hooks;
	void *opaque;
};

/* Adds the capability to d (enable, address and data guest-writable). 0 or -ENOSPC. */
int msi_init(struct msi *m, struct pci_dev *d, const struct vm_hooks *hooks, void *opaque);
void msi_destroy(struct msi *m);
/* Call from the function's cfg_written (and after its config space was loaded): picks up the
 * enable bit and the message from d's config space. */
void msi_cfg_written(struct msi *m, const struct pci_dev *d, unsigned off, unsigned size);
bool msi_enabled(struct msi *m);
/* Sends the message: 0, -EAGAIN while MSI is disabled, or the hook's error. */
int msi_signal(struct msi *m);

#endif
