/* SPDX-License-Identifier: GPL-2.0-or-later */
/* i8042 keyboard controller, just enough for Linux: self-test, command byte, port enable/disable,
 * interface tests and the reset line (command 0xFE). Without input attached (no display) keyboard
 * writes are answered with a quick NAK and the AUX port fails its tests, so probing takes no time.
 * With i8042_attach_input a PS/2 keyboard (IRQ 1, its set 2 codes translated to set 1 while the
 * command byte's XLATE bit is set) and a PS/2 mouse on the AUX port (IRQ 12) answer instead. */
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
/* Plugs the keyboard and the mouse (before the vCPUs run); aux_irq is ISA IRQ 12. */
int i8042_attach_input(struct i8042 *k, const struct irq_line *aux_irq);
/* From the user interface (any thread): a key by XT number (devices/ps2.h), a relative motion. */
void i8042_key(struct i8042 *k, unsigned xt, int down);
void i8042_mouse(struct i8042 *k, int dx, int dy, int dz, unsigned buttons);

/* Saved state (vmm/state.h): command byte, output port, the unread output byte and the command
 * waiting for its data byte; version 2 adds the translation's pending break prefix and, with input
 * attached, the keyboard's and mouse's state. Load re-drives IRQs 1 and 12. */
struct state_writer;
struct state_reader;
int i8042_state_save(const struct i8042 *k, struct state_writer *w);
int i8042_state_load(struct i8042 *k, struct state_reader *r, uint32_t version);
extern const struct state_ops i8042_state_ops; /* id "i8042" */

#endif
