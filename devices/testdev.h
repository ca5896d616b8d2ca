/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU's pc-testdev, as kvm-unit-tests' x86 tests use it: a 32-bit scratch register at I/O ports
 * 0xE0-0xE3 (reads give back what was written), 24 interrupt lines at 0x2000-0x2017 (a write of V
 * sets GSI port - 0x2000 to level V != 0; reads give the level), with which the ioapic, apic and
 * eventinj tests raise IOAPIC pins, and 64 KiB of memory behind MMIO exits at 0xFF000000 (the
 * emulator test's "ioram": every access goes through the instruction emulator). QEMU's flush-page
 * port (0xE4) is not there. kvmini adds it for multiboot kernels only. The scratch value, the line
 * levels and the memory are saved state (testdev_state_ops); a load re-drives the lines. No KVM
 * here: unit tests drive it through buses and an interrupt recorder. */
#ifndef KVMINI_TESTDEV_H
#define KVMINI_TESTDEV_H
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/irq.h"
#include "vmm/state.h"

#define TESTDEV_SCRATCH_PORT 0xe0
#define TESTDEV_IRQ_PORT 0x2000
#define TESTDEV_IRQS 24
#define TESTDEV_IORAM 0xff000000ULL
#define TESTDEV_IORAM_LEN 0x10000u

struct testdev;

/* Registers both port ranges on pio and the memory on mmio; lines go to hooks->set_irq. -EEXIST a
 * range is taken, -ENOMEM. */
int testdev_create(struct testdev **out, struct bus *pio, struct bus *mmio, const struct vm_hooks *hooks,
		   void *hooks_opaque);
void testdev_destroy(struct testdev *t);

extern const struct state_ops testdev_state_ops; /* id "pc-testdev" */

#endif
