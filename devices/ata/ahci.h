/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An ICH9 AHCI controller (PCI 8086:2922, class 01.06.01) with six SATA ports, each holding one
 * device of the ATA core (ata.h: a disk or an ATAPI CD-ROM) or nothing. ABAR (BAR5, 4 KiB memory)
 * holds the HBA and port registers, BAR4 the index/data pair (I/O, index at 0x10, data at 0x14).
 * Interrupts: plain MSI (devices/msi.h) when the guest enables it, else INTx.
 *
 * Threads: vCPUs only touch registers (one mutex, never held across I/O); commands run on the
 * controller's I/O thread (devices/iothread.h): a CI write rings its doorbell, the thread reads
 * the command header, the command FIS, the ATAPI packet and the PRDT from guest RAM through the
 * checked accessor (vmm/gmem.h), maps the PRDT as iovecs and hands the command to the ATA core
 * (ata_submit) on one disk_aio. NCQ commands (READ/WRITE FPDMA QUEUED) are in flight together;
 * other commands run one at a time per port. Results go back as D2H, PIO Setup or Set Device Bits
 * FISes into the port's received-FIS area, PxTFD, PxIS and the interrupt.
 *
 * Hostile input: a command header, FIS or PRDT that does not hold up (FIS length or type, RAM out
 * of range) fails that command as the device would (PxTFD ERR/ABRT, PxIS.TFES) and the port stops
 * taking commands until the guest restarts it (PxCMD.ST 0, then 1), as on hardware; an NCQ tag
 * already in flight or different from its slot does the same. CI written while ST is 0 is ignored.
 * Clearing ST, a COMRESET (PxSCTL.DET 1) or an HBA reset drop the results of what is in flight
 * (the disk requests finish, their slots stay busy until then, PxCMD.CR stays set meanwhile). */
#ifndef KVMINI_AHCI_H
#define KVMINI_AHCI_H
#include "devices/ata/ata.h"
#include "devices/pci.h"
#include "vmm/gmem.h"
#include "vmm/irq.h"

#define AHCI_PORTS 6u
#define AHCI_SLOTS 32u
#define AHCI_ABAR_SIZE 0x1000u

struct ahci;

struct ahci_opts {
	const struct gmem *mem;
	const struct vm_hooks *hooks; /* MSI delivery (signal_msi); INTx comes from the PCI host */
	void *hooks_opaque;
	const char *name; /* for logs and the I/O thread */
};

/* devs[i]: the device on port i or NULL; they stay the caller's (destroy them after the
 * controller). Starts the I/O thread. Plug ahci_pci() into a PCI host afterwards. */
int ahci_create(struct ahci **out, struct ata_dev *const devs[AHCI_PORTS], const struct ahci_opts *o);
/* Stops the thread after finishing what is in flight. NULL is fine. */
void ahci_destroy(struct ahci *h);
struct pci_dev *ahci_pci(struct ahci *h);
/* Saving: pause stops the I/O thread and completes every command in flight (their FISes are
 * written); resume starts it again and picks up what the guest issued meanwhile. */
void ahci_pause(struct ahci *h);
void ahci_resume(struct ahci *h);
/* While paused: runs the engine once on the calling thread (takes what the guest issued) and
 * completes everything it started (fuzzing and tests: deterministic, no thread). */
void ahci_poll(struct ahci *h);
/* Most commands the controller had with the ATA core at once (tests, --stats). */
unsigned ahci_peak_inflight(struct ahci *h);

/* Saved state (vmm/state.h), paused: config space, HBA and per-port registers, the engine's
 * stopped/failed marks, then each present device's ata-dev payload. */
struct state_writer;
struct state_reader;
int ahci_state_save(const struct ahci *h, struct state_writer *w);
int ahci_state_load(struct ahci *h, struct state_reader *r, uint32_t version);
extern const struct state_ops ahci_state_ops; /* id "ahci", version 1 */

#endif
