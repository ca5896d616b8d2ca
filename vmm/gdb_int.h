/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the GDB stub's protocol side (vmm/gdb_session.c and vmm/gdb_cmds.c only). */
#ifndef KVMINI_GDB_INT_H
#define KVMINI_GDB_INT_H
#include "gdb.h"

/* frames and sends one reply (kept for a resend) */
void gdb_reply(struct gdb_session *s, const char *payload, size_t len);
void gdb_reply_str(struct gdb_session *s, const char *str);
void gdb_reply_err(struct gdb_session *s, int err); /* "Exx", xx the errno */
void gdb_reply_status(struct gdb_session *s, int ret); /* "OK" for 0, else as gdb_reply_err */
/* a thread id: -1 all, 0 any (the current), N vCPU N-1; *cpu gets -1 or the vCPU */
int gdb_parse_tid(struct gdb_session *s, const char **p, const char *end, int *cpu);
/* the register, memory, thread and query commands */
void gdb_cmd(struct gdb_session *s, char *buf, size_t len);

#endif
