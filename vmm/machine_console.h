/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --serial: where COM1 goes (the terminal, a pty, a file, nowhere), kept for the whole run, and its
 * part of the main loop: input read from the user into the UART a FIFO's worth at a time, output
 * drained from the console buffer to the fd as the fd takes it. No vCPU ever waits on either. */
#ifndef KVMINI_MACHINE_CONSOLE_H
#define KVMINI_MACHINE_CONSOLE_H
#include <stdint.h>
#include <stdio.h>

#include "console.h"
#include "console_out.h"
#include "devices/serial.h"
#include "options.h"

struct machine_console {
	enum serial_mode mode;
	struct console con;
	int in_fd, out_fd; /* -1 when none; the pty uses one fd for both */
	int has_out; /* out is set up */
	struct console_out out;
	int has_copy; /* every byte also goes to copy (a named VM's <rundir>/N.console) */
	struct console_out copy;
	int copy_fd;
	char pty_name[64]; /* the pty's slave path, for query-chardev */
	/* main-loop state (one loop per VM incarnation) */
	int ep;
	uint32_t in_ev, out_ev; /* epoll events registered for in_fd / out_fd */
	int in_open; /* input still readable */
	int out_pending; /* the fd took less than the buffer held */
	int out_timed; /* wait for the fd by retrying (not pollable, or a pty that reports hang-up) */
	int out_moved; /* the last drain wrote something */
	uint8_t rx[4096]; /* input not yet taken by the UART */
	size_t rx_len, rx_off;
};

/* A console with nothing open (what mconsole_close expects if mconsole_open was never reached). */
void mconsole_init(struct machine_console *mc);
/* Opens the backend (raw terminal, pty, file) and the output buffer, and copy_path (appended to;
 * NULL for none); reports its own errors. */
int mconsole_open(struct machine_console *mc, const struct run_opts *o, const char *copy_path);
/* QEMU's chardev "filename" of the backend: "pty:/dev/pts/N", "stdio", "file:PATH", "null". */
void mconsole_describe(const struct machine_console *mc, const struct run_opts *o, char *buf, size_t len);
/* End of the run (no vCPU left to write): writes out what is buffered in bounded time, then
 * restores the terminal and the output fd's flags. Counters stay readable until close. */
void mconsole_finish(struct machine_console *mc);
/* mconsole_finish if not done yet, then frees and closes everything. */
void mconsole_close(struct machine_console *mc);
/* Fills the UART's transmit hook. */
void mconsole_serial_config(struct machine_console *mc, struct serial_config *sc);

/* The main loop's side: begin registers with epoll instance ep; before each epoll_wait call
 * prepare (returns the timeout it needs, -1 for none); hand every event whose data.fd is not the
 * caller's to event (returns 1 when the user asked to quit); after the events, call after. */
void mconsole_loop_begin(struct machine_console *mc, int ep);
int mconsole_prepare(struct machine_console *mc);
int mconsole_event(struct machine_console *mc, int fd, uint32_t events);
void mconsole_after(struct machine_console *mc, struct serial *s);
/* --stats: bytes written and dropped. */
void mconsole_print_stats(struct machine_console *mc, FILE *f);

#endif
