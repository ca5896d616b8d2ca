/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI: a host bridge on config mechanism #1 (0xCF8/0xCFC), bus 0 only, and the device-side helpers a
 * PCI device model uses (config space, BARs the guest may move, capabilities, INTx). */
#ifndef KVMINI_PCI_H
#define KVMINI_PCI_H
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/irq.h"

#define PCI_MAX_SLOTS 32
#define PCI_MAX_FNS 8
#define PCI_CFG_SIZE 256
#define PCI_NUM_BARS 6

struct pci_bar {
	uint64_t size; /* power of two; 0 = unused */
	int is_io; /* I/O space BAR (kept on the PIO bus) */
	int is64; /* 64-bit memory BAR: occupies this and the next slot */
	uint64_t addr; /* current guest address; mapped while decoding is enabled in the command register */
	int mapped;
	const struct bus_ops *ops;
	void *opaque;
	/* optional (memory BARs): told after the BAR was mapped at addr (mapped 1) or unmapped (0),
	 * under the host's lock, e.g. to put device memory there as a KVM memory slot */
	void (*on_map)(void *opaque, uint64_t addr, int mapped);
};

struct pci_dev {
	const char *name;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE]; /* bits the guest may write; everything else is read-only */
	struct pci_bar bar[PCI_NUM_BARS];
	unsigned slot; /* set by pci_host_add */
	unsigned fn; /* function number, set by pci_host_add(_fn) */
	struct irq_line intx; /* INTA#, set by pci_host_add (GSI LAYOUT_PCI_IRQ_BASE + slot % 8) */
	/* optional: called after the guest wrote config space (e.g. MSI-X enable, command register) */
	void (*cfg_written)(struct pci_dev *d, unsigned off, unsigned size);
	void *opaque; /* the device model owning this function */
	struct pci_host *host;
	/* capability list bookkeeping (pci_dev_add_cap) */
	uint8_t cap_last; /* offset of the last capability, 0 if none */
	uint16_t cap_next; /* where the next capability goes */
};

struct pci_host;

/* Registers 0xCF8..0xCFF on pio and the host bridge itself at slot 0. BARs are placed in
 * [LAYOUT_PCI_MMIO, +LAYOUT_PCI_MMIO_SIZE) and registered on mmio (I/O BARs from 0xc000 on pio).
 * 0xCF8..0xCFB is CONFIG_ADDRESS for dword accesses; a byte access at 0xCF9 is the reset control
 * register (bit 2 set → request_stop(VM_STOP_RESET)), so acpi_pm must not claim 0xCF9 as well.
 * I/O BARs are decoded only inside the window [0xc000, 0x10000), which the host claims on pio and
 * dispatches itself: a guest moving an I/O BAR never (un)registers on the pio bus it is called from.
 * Locking: config space is accessed under the host's mutex, which is held while BARs are remapped on
 * mmio and while cfg_written runs; BAR handlers must not access config space through the host. */
int pci_host_create(struct pci_host **out, struct bus *pio, struct bus *mmio, const struct vm_hooks *hooks,
		    void *hooks_opaque);
void pci_host_destroy(struct pci_host *h);
/* Plugs d into the next free slot, assigns and maps its BARs, wires INTx (interrupt pin 1, line
 * LAYOUT_PCI_IRQ_BASE + slot % 8), enables I/O and memory decoding as firmware would. -ENOSPC when
 * the slots or the BAR windows are full. cfg_written is not called for these changes. */
int pci_host_add(struct pci_host *h, struct pci_dev *d);
/* Plugs d at slot/fn (a board's fixed place, e.g. the PIIX3 at 00:01.x), otherwise as
 * pci_host_add. Function 0 must be there before the others, and its header type byte (0x0e)
 * have bit 7 set by its owner for a guest to look at them. -EEXIST taken (or no function 0),
 * -EINVAL slot 0 or out of range, -ENOSPC. */
int pci_host_add_fn(struct pci_host *h, struct pci_dev *d, unsigned slot, unsigned fn);

/* Fills vendor/device/class/revision/subsystem ids and a header type 0 with writable command,
 * latency and interrupt-line bytes. Call it first: it clears cfg, wmask, BARs and capabilities
 * (revision is 0: set cfg[0x08] afterwards if needed). */
void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device, uint32_t class_code,
		  uint16_t subsys_vendor, uint16_t subsys_id);
/* Declares BAR idx before pci_host_add. -EINVAL for a bad index or size that is not a power of two
 * (memory BARs: 16 bytes to 2 GiB, or 4 EiB if is64; I/O BARs: 4..256 bytes). */
int pci_dev_set_bar(struct pci_dev *d, int idx, uint64_t size, int is_io, int is64, const struct bus_ops *ops,
		    void *opaque);
/* Sets BAR idx's on_map (after pci_dev_set_bar, before pci_host_add). */
void pci_dev_set_bar_on_map(struct pci_dev *d, int idx, void (*on_map)(void *opaque, uint64_t addr, int mapped));
/* Appends a capability (bytes from cap[0] = id; cap[1] is overwritten with the next pointer) and
 * returns its config-space offset, or -ENOSPC. wmask bytes for it start read-only. */
int pci_dev_add_cap(struct pci_dev *d, const void *cap, unsigned len);

/* The host bridge is an i440FX (8086:1237, subsystem 1af4:1100 as QEMU's, which SeaBIOS checks):
 * its PAM registers 0x59..0x5F decide, per segment of 0xC0000..0xFFFFF, whether reads and writes go
 * to RAM or to the BIOS ROM / PCI (bit 0 of a nibble: reads from RAM, bit 1: writes to RAM; PAM0
 * bits 5:4 is the 0xF0000 segment, then two 16 KiB segments per register from 0xC0000 on). fn runs
 * with the seven bytes whenever the guest writes one of them, when set, and after a state load
 * (under the host's lock: it must not access config space through the host). */
#define PCI_PAM_REG 0x59
#define PCI_PAM_COUNT 7
typedef void (*pci_pam_fn)(void *opaque, const uint8_t pam[PCI_PAM_COUNT]);
void pci_host_set_pam_hook(struct pci_host *h, pci_pam_fn fn, void *opaque);

/* ---- saved state (vmm/state.h) ---- */
struct state_writer;
struct state_reader;
/* A function's config space as the guest left it (256 bytes), inside its owner's section. */
void pci_dev_state_save(const struct pci_dev *d, struct state_writer *w);
/* Reads one back. apply 0 only checks it: every read-only bit must be what this function has
 * (so a stream from a differently built device is refused) and each BAR what a guest could have
 * programmed. apply 1 (after a check passed) installs it and maps the BARs where it says, under
 * the host's lock; cfg_written is not called (the owner brings its own state in line). 0, -EINVAL,
 * -EBADMSG. */
int pci_dev_state_load(struct pci_dev *d, struct state_reader *r, int apply);
/* The host: CONFIG_ADDRESS, the reset control register and the host bridge's config space. */
int pci_host_state_save(const struct pci_host *h, struct state_writer *w);
int pci_host_state_load(struct pci_host *h, struct state_reader *r, uint32_t version);
extern const struct state_ops pci_host_state_ops; /* id "pci-host" */

#endif
