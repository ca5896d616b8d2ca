/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIIX3 IDE function (8086:7010, class 01.01, prog-if 0x80: both channels in compatibility
 * mode, bus master capable) at 00:01.1 beside the PIIX3 ISA bridge: two channels on the legacy
 * ports (0x1F0-0x1F7 + 0x3F6 on ISA IRQ 14, 0x170-0x177 + 0x376 on IRQ 15), master and slave
 * on each, the IDE timing registers (0x40-0x43, channel decode enable in bit 15) and the
 * bus-master DMA registers in BAR4 (per channel: command, status, PRD table address).
 *
 * The devices are ATA core devices (devices/ata/ata.h) the caller made and keeps: they may live
 * longer than one controller (a guest reset builds a new board). The controller takes their
 * hooks over and gives them back (NULL) on destroy.
 *
 * Threads: the port handlers run on vCPU threads and never do I/O (the core's register path);
 * PIO data moves a whole rep insw/outsw batch per call (bus_ops.rep). Disk I/O and DMA run on
 * the controller's own I/O thread: it reads the PRD table through the checked guest-memory
 * accessor (32-bit entries: address, byte count with 0 = 64 KiB, EOT in bit 31 of the second
 * dword), maps it to iovecs and hands them to ata_dma_start. A table without EOT within 64 KiB
 * of entries or an entry outside RAM fails the command: BM status error and interrupt bits, the
 * device aborts it. Completion clears BM active; the device's interrupt sets the BM interrupt
 * bit. */
#ifndef KVMINI_IDE_H
#define KVMINI_IDE_H
#include <stdbool.h>

#include "devices/ata/ata.h"
#include "devices/pci.h"
#include "vmm/bus.h"
#include "vmm/gmem.h"
#include "vmm/irq.h"

#define IDE_CHANNELS 2
#define IDE_UNITS 4 /* channel * 2 + unit: hda, hdb, hdc, hdd */
#define IDE_FN 1    /* PCI function, beside the ISA bridge (function 0) */

/* bus master registers (BAR4, per channel at 0 and 8) */
#define IDE_BM_CMD 0
#define IDE_BM_STATUS 2
#define IDE_BM_PRD 4
#define IDE_BM_CMD_START 0x01
#define IDE_BM_CMD_READ 0x08 /* the bus master writes memory (a device read) */
#define IDE_BM_ST_ACTIVE 0x01
#define IDE_BM_ST_ERR 0x02
#define IDE_BM_ST_INT 0x04
#define IDE_BM_ST_DMA0 0x20 /* drive 0/1 DMA capable: the guest's scratch bits */
#define IDE_BM_ST_DMA1 0x40
#define IDE_PRD_EOT 0x80000000u
#define IDE_PRD_MAX 8192u /* entries in a 64 KiB table */

struct ide;

struct ide_env {
	struct bus *pio;     /* the legacy ports go here (NULL: none, tests call ide_port_*) */
	const struct gmem *mem;
	struct irq_line irq[IDE_CHANNELS]; /* ISA IRQ 14 and 15 */
};

/* dev[channel * 2 + unit], NULL where no device is. Channels with a device get their decode
 * enable bit set (a directly booted kernel finds them as firmware left them). Starts the I/O
 * thread. The function is not plugged: ide_pci gives it to pci_host_add_fn(slot 1, fn 1). */
int ide_create(struct ide **out, const struct ide_env *env, struct ata_dev *const dev[IDE_UNITS]);
/* Stops the I/O thread, lets what is in flight finish, gives the devices' hooks back. NULL is ok. */
void ide_destroy(struct ide *c);
struct pci_dev *ide_pci(struct ide *c);

/* The legacy ports as the bus calls them (channel 0/1): the command block (offset 0-7), the
 * control block (0x3F6/0x376: offset 0). For tests and the fuzz target. */
extern const struct bus_ops ide_cmd_ops, ide_ctl_ops;
/* rep insw/outsw on the data port (offset 0): the whole batch at once (bus_set_rep) */
unsigned ide_cmd_rep(void *ch, uint64_t off, void *data, unsigned size, unsigned count, int is_write);
void *ide_channel(struct ide *c, unsigned ch); /* the opaque those ops take */

/* Saved state: the I/O thread stopped and every device drained (pause), then started again. */
int ide_pause(struct ide *c);
void ide_resume(struct ide *c);
/* Payload version 1: config space (pci.h), per channel u8 selected unit, u8 BM command, u8 BM
 * status, u32 PRD table address, bool INTRQ per unit. The devices are saved by their own
 * ata_dev_state_ops sections (after this one). Precondition: ide_pause. */
struct state_writer;
struct state_reader;
int ide_state_save(const struct ide *c, struct state_writer *w);
int ide_state_load(struct ide *c, struct state_reader *r, uint32_t version);
extern const struct state_ops ide_state_ops; /* id "piix3-ide" */

#endif
