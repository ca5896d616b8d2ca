/* SPDX-License-Identifier: GPL-2.0-or-later */
/* 8250/16550A UART (the guest's console): registers on the PIO bus, output handed to a transmit
 * hook that must not block (the VMM's is a bounded buffer the main loop drains), input pushed by
 * the main loop into a 4 KiB RX FIFO. Thread-safe: vCPU threads and the main loop both call in. */
#ifndef KVMINI_SERIAL_H
#define KVMINI_SERIAL_H
#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/irq.h"

#define SERIAL_RX_FIFO 4096

struct serial;

struct serial_config {
	uint16_t base; /* LAYOUT_COM1 */
	struct irq_line irq; /* LAYOUT_COM1_IRQ; level follows the pending enabled interrupt */
	/* transmitted bytes, in order (vCPU thread, no UART lock held); must return without waiting
	 * for I/O. NULL discards output. */
	void (*tx)(void *opaque, const uint8_t *buf, size_t n);
	void *tx_opaque;
	/* optional: called (from a vCPU thread, no lock held) when the guest emptied the RX FIFO after a
	 * serial_rx() could not take everything, so the main loop can resume reading its input */
	void (*rx_ready)(void *opaque);
	void *rx_ready_opaque;
};

/* Registers 8 ports at cfg->base on pio. */
int serial_create(struct serial **out, struct bus *pio, const struct serial_config *cfg);
void serial_destroy(struct serial *s);
/* Queues up to n received bytes; returns how many were taken (the caller retries the rest later). */
size_t serial_rx(struct serial *s, const uint8_t *buf, size_t n);
/* Free space in the RX FIFO (bytes). */
size_t serial_rx_room(struct serial *s);

/* Saved state (vmm/state.h): registers, divisor, pending interrupt conditions and the RX FIFO's
 * bytes. Load re-drives the interrupt line to what the registers say; the main loop's input is
 * not part of it (it keeps reading its own fd). */
struct state_writer;
struct state_reader;
int serial_state_save(const struct serial *s, struct state_writer *w);
int serial_state_load(struct serial *s, struct state_reader *r, uint32_t version);
extern const struct state_ops serial_state_ops; /* id "serial" */

#endif
