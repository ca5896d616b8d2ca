/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket: a unix-socket listener (mode 0600) whose clients each speak their own QMP
 * session (vmm/qmp.h), several at once. It lives in the main loop and never blocks it: sockets are
 * non-blocking, each client's output is bounded, and a client that stops reading is dropped, never
 * waited for. Everything runs on the thread that calls control_handle (the main loop); a vCPU or
 * I/O thread that wants an event sent wakes the main loop, which calls control_event.
 *
 * How the machine uses it (kept out of vmm/machine.c on purpose; the caller owns its epoll set):
 *     struct qmp_commands cmds;          qmp_commands_init(&cmds, &ver); qmp_register(&cmds, ...);
 *     struct control ctl;                control_open(&ctl, "/run/kvmini/NAME.sock", &cmds);
 *     control_watch(&ctl, ep);           adds one fd, control_fd(&ctl), to the caller's epoll set
 *     loop: if (evs[i].data.fd == control_fd(&ctl)) control_handle(&ctl);
 *     on a state change:                 control_event(&ctl, "STOP", NULL);
 *     at exit:                           control_close(&ctl); qmp_commands_free(&cmds);
 * Command handlers run inside control_handle, on the main loop, so they may touch main-loop state. */
#ifndef KVMINI_CONTROL_H
#define KVMINI_CONTROL_H
#include <stddef.h>

#include "qmp.h"

#define CONTROL_MAX_CLIENTS 16
#define CONTROL_MAX_LISTENERS 2 /* a named VM's <rundir>/N.qmp and a --qmp PATH */
#define CONTROL_OUT_CAP (256 * 1024) /* bytes queued for one client before it counts as not reading */

struct control_client;

struct control {
	int lfd[CONTROL_MAX_LISTENERS]; /* the listening sockets, nlisten of them */
	int nlisten;
	int ep; /* the inner epoll set (listeners and clients): the one fd the caller polls */
	char path[CONTROL_MAX_LISTENERS][108];
	const struct qmp_commands *cmds;
	struct control_client *clients;
	int nclients;
	/* limits, adjustable after control_open (out_cap applies to clients that come later) */
	int max_clients; /* connections beyond it are closed at once */
	size_t out_cap;
	size_t max_msg; /* per QMP message, 0: QMP_MAX_MSG_DEFAULT */
	unsigned long dropped; /* clients dropped for not reading */
};

/* Listens on path (mode 0600, set before the socket appears). A socket file left by a dead process
 * (nobody accepts on it) is removed first; a live one gives -EADDRINUSE, anything else at path
 * -EEXIST; both are left alone. Two processes racing for one path need a lock of the caller's.
 * Returns 0 or -errno; control_close is safe after a failure. */
int control_open(struct control *c, const char *path, const struct qmp_commands *cmds);
/* One more listening socket on an open control, same rules as control_open's (clients of every
 * socket share the commands and get the events). 0 or -errno (-ENOSPC beyond
 * CONTROL_MAX_LISTENERS); the control stays usable after a failure. */
int control_listen(struct control *c, const char *path);
/* Drops every client, closes the listeners and removes their socket files. */
void control_close(struct control *c);
static inline int control_fd(const struct control *c) { return c->ep; }
/* Adds control_fd to the caller's epoll set ep (EPOLLIN, data.fd = control_fd). */
int control_watch(struct control *c, int ep);
/* Serves what is ready: new connections, input (QMP commands run here), pending output. Never
 * blocks; bounded work per call (level-triggered: what is left makes control_fd ready again). */
void control_handle(struct control *c);
/* Sends an event to every negotiated client; takes ownership of data (may be NULL). */
void control_event(struct control *c, const char *name, json_object *data);

#endif
