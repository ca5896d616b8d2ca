/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GDB stub's protocol side: one debugger connection (a session) that parses packets, answers
 * them against a small target interface (registers, guest-virtual memory, debug registers, run
 * control of the vCPUs) and reports stops. No sockets and no KVM here: vmm/gdb_stub.c feeds the
 * bytes, vmm/gdb_kvm.c is the target, the unit tests use a fake one. Threads are vCPUs: thread
 * id N is vCPU N-1. Breakpoints of every kind use the four debug-register slots (Z0 too: this
 * host cannot execute int3 in guest kernel mode, so a software breakpoint becomes a hardware one). */
#ifndef KVMINI_GDB_H
#define KVMINI_GDB_H
#include <stddef.h>
#include <stdint.h>

#include "gdb_proto.h"
#include "gdb_regs.h"

#define GDB_NSLOTS 4
#define GDB_SIGINT 2
#define GDB_SIGTRAP 5
#define GDB_DR6_BS (1ULL << 14) /* single step */

/* the debug registers every vCPU gets (dr7 0: none) */
struct gdb_hwdebug {
	uint64_t dr[GDB_NSLOTS];
	uint64_t dr7;
};

struct gdb_target_ops {
	unsigned (*ncpus)(void *t);
	int (*get_regs)(void *t, unsigned cpu, struct gdb_regs *r);
	int (*set_regs)(void *t, unsigned cpu, const struct gdb_regs *r);
	/* guest-virtual; bytes read (fewer at an unmapped page) or -errno */
	long (*read_mem)(void *t, unsigned cpu, uint64_t va, void *buf, size_t len);
	int (*write_mem)(void *t, unsigned cpu, uint64_t va, const void *buf, size_t len);
	/* sets d on every vCPU and lets them run: step >= 0 single-steps that vCPU alone (the others
	 * stay stopped), -1 runs all. The target calls gdb_session_stopped when they stop. */
	int (*resume)(void *t, const struct gdb_hwdebug *d, int step);
	/* stops every vCPU (Ctrl-C); returns once none runs */
	void (*interrupt)(void *t);
	void (*detach)(void *t); /* debug state off, the guest runs on */
	void (*kill)(void *t);	 /* ends the VM */
};

enum gdb_bp_type { GDB_BP_SW, GDB_BP_HW, GDB_WP_WRITE, GDB_WP_READ, GDB_WP_ACCESS };

struct gdb_bp {
	int used;
	enum gdb_bp_type type;
	uint64_t addr;
	unsigned len;
};

struct gdb_session {
	const struct gdb_target_ops *ops;
	void *t;
	int (*send)(void *opaque, const void *buf, size_t len);
	void *send_opaque;
	struct gdb_rx rx;
	int noack;	 /* QStartNoAckMode done */
	int hwbreak;	 /* gdb takes the hwbreak stop reason */
	int no_data_bp;	 /* the host never fires data breakpoints (PVM): Z2-Z4 are refused */
	int running;	 /* vCPUs run; only Ctrl-C is read */
	int ended;	 /* detached or killed */
	unsigned cur_g; /* the vCPU of register and memory commands (Hg) */
	int cur_c;	 /* Hc: the vCPU to step, -1 any */
	unsigned stop_cpu;
	int stop_sig;
	uint64_t stop_dr6;
	struct gdb_bp bp[GDB_NSLOTS];
	size_t last_len; /* the last frame, for a resend on '-' */
	uint8_t last[2 * GDB_PKT_MAX + 8];
	char reply[GDB_PKT_MAX + 1];
	char xml[8192];
	int xml_len;
};

/* A session starts with the target stopped (the stub stops the VM when gdb connects). */
void gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *t,
		      int (*send)(void *opaque, const void *buf, size_t len), void *send_opaque);
/* Feeds bytes from the debugger; returns 1 once the session ended (D or k), else 0. */
int gdb_session_input(struct gdb_session *s, const void *buf, size_t n);
/* The target stopped on its own (breakpoint, step): the stop reply goes out if gdb waits for one.
 * dr6 says why (0: no debug exit, e.g. an interrupt), sig is the signal number gdb sees. */
void gdb_session_stopped(struct gdb_session *s, unsigned cpu, uint64_t dr6, int sig);
/* DR0-3 and DR7 for the slots in use */
void gdb_hwdebug_build(const struct gdb_bp *bp, struct gdb_hwdebug *d);

#endif
