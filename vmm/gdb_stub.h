/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GDB stub (--gdb tcp:[HOST]:PORT, --gdb-wait): a thread that listens for one debugger at a
 * time, feeds its bytes to the protocol session (vmm/gdb.h) and waits for the vCPUs' debug stops
 * (vmm/gdb_kvm.h). The VM stops when a debugger connects and runs on when it detaches or goes.
 * The socket is only ever touched by this thread: no vCPU waits for it. */
#ifndef KVMINI_GDB_STUB_H
#define KVMINI_GDB_STUB_H
#include <stddef.h>
#include <stdint.h>

#include "vcpu.h"
#include "vm.h"

struct gdb_stub;

/* Parses tcp:[HOST]:PORT (QEMU's -gdb syntax; HOST defaults to 127.0.0.1, only loopback unless
 * given). host gets at least hostlen bytes; -EINVAL for anything else. */
int gdb_addr_parse(const char *spec, char *host, size_t hostlen, uint16_t *port);
/* Listens on spec and starts the thread; wait: the vCPUs stay parked until the debugger resumes
 * them (--gdb-wait). On failure *why says what. */
int gdb_stub_open(struct gdb_stub **out, const char *spec, int wait, const char **why);
/* A new incarnation's vCPUs, before vcpus_start: they get the debugger's breakpoints, and are
 * parked (vcpus_pause) while the debugger holds the VM or --gdb-wait still waits. */
int gdb_stub_attach(struct gdb_stub *g, struct vcpus *vs, struct vm *vm);
/* Before the incarnation's vCPUs are destroyed (they have stopped). */
void gdb_stub_detach(struct gdb_stub *g);
void gdb_stub_close(struct gdb_stub *g);

#endif
