/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small blocking QMP client for the virsh-like verbs: connects to a VM's control socket, reads the
 * greeting, negotiates (qmp_capabilities), runs one command at a time with a timeout, and waits for
 * events. Every wait has a deadline, so a VMM that stops answering never hangs a verb. Events that
 * arrive while a command's answer is awaited are kept (a bounded queue, oldest dropped) for a later
 * qmpc_wait_event. Timeouts are in milliseconds; a negative one means no limit. */
#ifndef KVMINI_QMP_CLIENT_H
#define KVMINI_QMP_CLIENT_H
#include <json-c/json.h>
#include <stddef.h>

#define QMPC_MAX_EVENTS 32
#define QMPC_MAX_LINE (1024 * 1024) /* one incoming message; a longer one is a protocol error */

struct qmp_client {
	int fd;
	char *buf; /* received bytes not yet parsed */
	size_t len, cap;
	int eof; /* the server closed the connection */
	json_object *events[QMPC_MAX_EVENTS]; /* queued, oldest first */
	unsigned nev;
	json_object *greeting; /* the "QMP" member of the greeting */
	long next_id;
};

/* An error answer: QMP's class ("GenericError", "CommandNotFound", ...) and description. */
struct qmpc_error {
	char cls[64];
	char desc[256];
};

/* Connects to the socket at path, reads the greeting and negotiates, all within timeout_ms.
 * 0, or -errno: -ENOENT/-ECONNREFUSED (nobody listens), -EACCES, -ETIMEDOUT, -EPROTO (not QMP).
 * qmpc_close is safe after a failure. */
int qmpc_connect(struct qmp_client *c, const char *path, int timeout_ms);
/* The same for the VM called name, at <runtime dir>/<name>.qmp (vmm/paths.h). */
int qmpc_connect_vm(struct qmp_client *c, const char *name, int timeout_ms);
void qmpc_close(struct qmp_client *c);

/* Runs cmd with args (owned, may be NULL) and waits for its answer. 0 with *ret set to the "return"
 * value (owned by the caller; ret may be NULL to drop it), -EREMOTEIO with *err filled for an error
 * answer (err may be NULL), -ETIMEDOUT, -ECONNRESET when the server closed first, other -errno. */
int qmpc_execute(struct qmp_client *c, const char *cmd, json_object *args, int timeout_ms, json_object **ret,
		 struct qmpc_error *err);

/* Waits for the event called name (queued ones first; others are dropped while waiting). 0 with
 * *data set to its "data" member or NULL (owned by the caller; data may be NULL to drop it),
 * -ETIMEDOUT, -ECONNRESET when the connection ends first. */
int qmpc_wait_event(struct qmp_client *c, const char *name, int timeout_ms, json_object **data);

/* Waits until the server closes the connection (the VMM exits), discarding what it sends: 0 or
 * -ETIMEDOUT. */
int qmpc_wait_close(struct qmp_client *c, int timeout_ms);

/* Milliseconds on CLOCK_MONOTONIC, and what is left until a deadline (-1 for none: no limit). */
long long qmpc_now_ms(void);
int qmpc_left_ms(long long deadline);

#endif
