/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --daemonize: fork + setsid with a readiness pipe. The parent stays until the child says it is
 * ready (VM built, vCPUs started, control socket listening) and then exits 0; if the child dies
 * first, the parent prints what the child reported (its error line) and exits with its status.
 * Until ready the child's messages go through the pipe; from then on to the log file. */
#ifndef KVMINI_DAEMON_H
#define KVMINI_DAEMON_H

struct daemon_state {
	int ready_fd; /* the child's end of the pipe, -1 once ready (or when not detached) */
	int log_fd; /* where stderr goes after ready (borrowed) */
};

/* In the child: returns 0 with d set up. In the parent: returns 1 and the exit status in *status
 * (the parent must then exit without touching what the child now owns). -errno if fork failed. */
int daemon_detach(struct daemon_state *d, int log_fd, int *status);
/* The child is ready: tells the parent and moves stderr to the log. No-op if not detached. */
void daemon_ready(struct daemon_state *d);

#endif
