/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU's isa-debug-exit (`--exit-device[=PORT][,iosize=N]`): a guest write of V to the port range
 * ends the VM, and kvmini exits with status (V << 1) | 1, so a test guest tells its script whether
 * it passed (kvm-unit-tests write to 0xF4). Only the written bytes count, so V is at most
 * 0xffffffff and the process status keeps its low 8 bits, as with QEMU.
 *
 * Stateless: nothing the guest can read or set survives between writes (reads return all-ones),
 * so it has no saved state; a snapshot's board records the option and a restore recreates it. */
#ifndef KVMINI_DEBUG_EXIT_H
#define KVMINI_DEBUG_EXIT_H
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/irq.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_IOSIZE 4

struct debug_exit;

/* Registers [port, port + iosize) (iosize 1..4) on pio; a write calls hooks->request_stop with
 * VM_STOP_GUEST_EXIT. -EINVAL bad iosize, -EEXIST the range is taken, -ENOMEM. */
int debug_exit_create(struct debug_exit **out, struct bus *pio, uint16_t port, unsigned iosize,
		      const struct vm_hooks *hooks, void *hooks_opaque);
void debug_exit_destroy(struct debug_exit *d);
/* The status the process exits with ((V << 1) | 1), or -1 if the guest has not written. */
int debug_exit_status(const struct debug_exit *d);

/* --exit-device's value ("" or NULL: the defaults): PORT (0..0xffff, C notation) and/or
 * iosize=1..4, e.g. "0xf4", "0x501,iosize=2", "iosize=1". 0 or -EINVAL. */
int debug_exit_parse(const char *s, uint16_t *port, unsigned *iosize);

#endif
