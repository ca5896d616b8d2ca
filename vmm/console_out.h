/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Console output that never makes a vCPU wait: the UART hands transmitted bytes to a bounded buffer
 * (console_out_put: memory only, any thread), and the main loop drains it to a non-blocking fd as
 * fast as the fd takes it. When the buffer is full, new bytes are dropped and counted; a reader
 * that stops reading (a pty nobody opened, a stopped pipe) costs output, never the guest's progress. */
#ifndef KVMINI_CONSOLE_OUT_H
#define KVMINI_CONSOLE_OUT_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_OUT_SIZE (256 * 1024)

struct console_out {
	pthread_mutex_t lock;
	uint8_t *buf;
	size_t cap;
	size_t head, len; /* under lock; only the drainer moves head, so it writes from buf unlocked */
	uint64_t written, dropped; /* under lock */
	int fd;
	int wake_efd; /* readable once the buffer went from empty to non-empty */
	int err_logged;
};

/* Output to fd (which the caller makes non-blocking) through a buffer of cap bytes. */
int console_out_init(struct console_out *co, int fd, size_t cap);
void console_out_destroy(struct console_out *co);
/* Buffers buf[0..n) if it fits, else drops and counts it whole; never waits for I/O. opaque is the
 * console_out (the signature of the UART's transmit hook). */
void console_out_put(void *opaque, const uint8_t *buf, size_t n);
/* The eventfd to poll for "data arrived"; console_out_drain() consumes its wake-ups. */
static inline int console_out_wake_fd(const struct console_out *co) { return co->wake_efd; }
/* Writes what the fd takes without blocking. 0: buffer empty; 1: bytes remain (fd full: wait for
 * it to become writable); -errno: the fd failed, what was buffered is dropped (logged once). */
int console_out_drain(struct console_out *co);
/* At exit: writes what is left, waiting for the fd at most budget_ms in all and giving up after
 * idle_ms without progress. Returns 0 when everything went out, else 1 (left bytes count as dropped). */
int console_out_flush(struct console_out *co, int budget_ms, int idle_ms);
void console_out_counts(struct console_out *co, uint64_t *written, uint64_t *dropped);

#endif
