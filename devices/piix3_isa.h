/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PIIX3 PCI-to-ISA bridge, function 0 of the south bridge at 00:01.0 as on QEMU's `pc`
 * (8086:7000, class 06.01, multi-function header): its chipset registers as firmware and Linux
 * read them (PIRQ route control 0x60-0x63, TOM, the motherboard IRQ/DMA and APIC registers with
 * their reset values) and the edge/level control registers (ELCR) at I/O 0x4D0/0x4D1.
 *
 * Board code reads back what the guest (SeaBIOS) programmed: piix3_isa_pirq() gives the ISA IRQ a
 * PCI interrupt line PIRQA-D is routed to, piix3_isa_elcr() which ISA IRQs are level-triggered;
 * an optional callback says when a route changed. With KVM's in-kernel PIC, the kernel serves
 * 0x4D0/0x4D1 itself (and saves its ELCR with the irqchip): the copy here then only sees what
 * reaches user space. */
#ifndef KVMINI_PIIX3_ISA_H
#define KVMINI_PIIX3_ISA_H
#include <stdint.h>

#include "devices/pci.h"
#include "vmm/bus.h"

#define PIIX3_ISA_SLOT 1
#define PIIX3_ELCR_PORT 0x4d0
#define PIIX3_PIRQ_DISABLED 0x80

struct piix3_isa;

struct piix3_isa_opts {
	/* called after the guest changed PIRQ n's route (irq as piix3_isa_pirq), under the PCI
	 * host's lock: it must not access config space */
	void (*pirq_changed)(void *opaque, unsigned n, int irq);
	void *opaque;
};

/* The function (not plugged yet: piix3_isa_pci gives it to pci_host_add_fn at slot 1, fn 0) and
 * the ELCR ports on pio (NULL: none, for tests). opts may be NULL. */
int piix3_isa_create(struct piix3_isa **out, struct bus *pio, const struct piix3_isa_opts *opts);
void piix3_isa_destroy(struct piix3_isa *b);
struct pci_dev *piix3_isa_pci(struct piix3_isa *b);

/* PIRQ n (0-3 = A-D): the ISA IRQ (3-15) it is routed to, -ENODEV while disabled (bit 7 or an
 * IRQ the chipset cannot route), -EINVAL for n > 3. */
int piix3_isa_pirq(const struct piix3_isa *b, unsigned n);
/* Bit i set: ISA IRQ i is level-triggered (ELCR1 in bits 0-7, ELCR2 in 8-15). */
uint16_t piix3_isa_elcr(const struct piix3_isa *b);

/* Saved state (vmm/state.h): payload version 1 = the config space (pci.h's 256 bytes), u16 ELCR. */
struct state_writer;
struct state_reader;
int piix3_isa_state_save(const struct piix3_isa *b, struct state_writer *w);
int piix3_isa_state_load(struct piix3_isa *b, struct state_reader *r, uint32_t version);
extern const struct state_ops piix3_isa_state_ops; /* id "piix3-isa" */

#endif
