/* SPDX-License-Identifier: GPL-2.0-or-later */
/* i8042 keyboard controller, just enough for Linux: self-test, command byte, port enable/disable,
 * interface tests and the reset line (command 0xFE). No keyboard or mouse is attached: keyboard
 * writes are answered with a quick NAK and the AUX port fails its tests, so probing takes no time. */
#ifndef KVMINI_I8042_H
#define KVMINI_I8042_H

#include "vmm/bus.h"
#include "vmm/irq.h"

struct i8042;

/* Registers ports 0x60 and 0x64 (not 0x61: the in-kernel PIT owns it). kbd_irq is ISA IRQ 1 (level
 * follows "output buffer full with interrupts enabled"); hooks->request_stop gets VM_STOP_RESET. */
int i8042_create(struct i8042 **out, struct bus *pio, const struct irq_line *kbd_irq,
		 const struct vm_hooks *hooks, void *hooks_opaque);
void i8042_destroy(struct i8042 *k);

/* Saved state (vmm/state.h): command byte, output port, the unread output byte and the command
 * waiting for its data byte. Load re-drives IRQ 1. */
struct state_writer;
struct state_reader;
int i8042_state_save(const struct i8042 *k, struct state_writer *w);
int i8042_state_load(struct i8042 *k, struct state_reader *r, uint32_t version);
extern const struct state_ops i8042_state_ops; /* id "i8042" */

#endif
