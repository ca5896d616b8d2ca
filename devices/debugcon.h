/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The firmware's debug port (I/O 0x402, QEMU's isa-debugcon as SeaBIOS uses it): every byte written
 * goes to a sink (the --bios-log buffer; never I/O on the vCPU thread), and the port watches the
 * lines for SeaBIOS's "No bootable device", which it reports once through on_fail (SeaBIOS would
 * otherwise wait and reboot forever). A read returns 0xe9, as QEMU's. */
#ifndef KVMINI_DEBUGCON_H
#define KVMINI_DEBUGCON_H
#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"

#define DEBUGCON_PORT 0x402
#define DEBUGCON_LINE_MAX 160

struct debugcon_cfg {
	void (*sink)(void *opaque, const uint8_t *buf, size_t n); /* may be NULL: bytes are dropped */
	void *sink_opaque;
	void (*on_fail)(void *opaque, const char *line); /* the firmware found nothing to boot */
	void *fail_opaque;
};

struct debugcon;
int debugcon_create(struct debugcon **out, struct bus *pio, const struct debugcon_cfg *cfg);
void debugcon_destroy(struct debugcon *d);
/* One byte from the guest (what the port handler calls). */
void debugcon_put(struct debugcon *d, uint8_t c);

/* Saved state: the line being assembled (so the watch goes on where it was). */
struct state_writer;
struct state_reader;
int debugcon_state_save(const struct debugcon *d, struct state_writer *w);
int debugcon_state_load(struct debugcon *d, struct state_reader *r, uint32_t version);
extern const struct state_ops debugcon_state_ops; /* id "debugcon" */

#endif
