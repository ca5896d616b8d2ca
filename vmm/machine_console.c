// SPDX-License-Identifier: GPL-2.0-or-later
#include "machine_console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "stats.h"

#define RETRY_MS 100 /* how often an output that cannot be polled is tried again */
#define RX_RETRY_MS 10 /* how soon input the UART's FIFO turned away is offered again */
#define FLUSH_MS 2000 /* at exit, at most this long to write what is buffered ... */
#define FLUSH_IDLE_MS 200 /* ... giving up once the output took nothing for this long */

static int open_pty(struct machine_console *mc)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0) {
		kv_err(-errno, "--serial pty");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	const char *pts = ptsname(fd);
	snprintf(mc->pty_name, sizeof(mc->pty_name), "%s", pts ? pts : "");
	kv_log("serial console on %s", mc->pty_name);
	mc->in_fd = mc->out_fd = fd;
	return 0;
}

void mconsole_init(struct machine_console *mc)
{
	memset(mc, 0, sizeof(*mc));
	mc->in_fd = mc->out_fd = -1;
	mc->con.in_fd = mc->con.out_fd = -1;
	mc->copy_fd = -1;
	mc->ep = -1;
}

static int open_copy(struct machine_console *mc, const char *path)
{
	mc->copy_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0600);
	if (mc->copy_fd < 0) {
		kv_err(-errno, "%s", path);
		return -1;
	}
	int r = console_out_init(&mc->copy, mc->copy_fd, CONSOLE_OUT_SIZE);
	if (r) {
		kv_err(r, "console copy buffer");
		return -1;
	}
	mc->has_copy = 1;
	return 0;
}

void mconsole_describe(const struct machine_console *mc, const struct run_opts *o, char *buf, size_t len)
{
	switch (mc->mode) {
	case SERIAL_STDIO:
		snprintf(buf, len, "stdio");
		break;
	case SERIAL_FILE:
		snprintf(buf, len, "file:%s", o->serial_path);
		break;
	case SERIAL_PTY:
		snprintf(buf, len, "pty:%s", mc->pty_name);
		break;
	case SERIAL_NONE:
		snprintf(buf, len, "null");
		break;
	}
}

int mconsole_open(struct machine_console *mc, const struct run_opts *o, const char *copy_path)
{
	mconsole_init(mc);
	mc->mode = o->serial;
	if (copy_path && open_copy(mc, copy_path))
		return -1;
	switch (o->serial) {
	case SERIAL_STDIO:
		mc->in_fd = STDIN_FILENO;
		if (console_open(&mc->con, STDIN_FILENO) < 0)
			return -1;
		/* stdout may be shared with the user's shell: console_restore puts its flags back */
		if (console_nonblock(&mc->con, STDOUT_FILENO) == 0)
			mc->out_fd = STDOUT_FILENO;
		break;
	case SERIAL_FILE:
		/* opened blocking (a fifo waits for its reader here), written non-blocking */
		mc->out_fd = open(o->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (mc->out_fd < 0) {
			kv_err(-errno, "--serial file:%s", o->serial_path);
			return -1;
		}
		fcntl(mc->out_fd, F_SETFL, fcntl(mc->out_fd, F_GETFL) | O_NONBLOCK);
		break;
	case SERIAL_PTY:
		if (open_pty(mc))
			return -1;
		break;
	case SERIAL_NONE:
		break;
	}
	if (mc->out_fd < 0)
		return 0;
	int r = console_out_init(&mc->out, mc->out_fd, CONSOLE_OUT_SIZE);
	if (r) {
		kv_err(r, "serial output buffer");
		return -1;
	}
	mc->has_out = 1;
	return 0;
}

void mconsole_finish(struct machine_console *mc)
{
	if (mc->has_copy)
		console_out_flush(&mc->copy, FLUSH_MS, FLUSH_IDLE_MS);
	if (mc->has_out)
		console_out_flush(&mc->out, FLUSH_MS, FLUSH_IDLE_MS);
	console_restore(&mc->con);
}

void mconsole_close(struct machine_console *mc)
{
	mconsole_finish(mc);
	if (mc->has_out)
		console_out_destroy(&mc->out);
	mc->has_out = 0;
	if (mc->has_copy)
		console_out_destroy(&mc->copy);
	mc->has_copy = 0;
	if (mc->copy_fd >= 0)
		close(mc->copy_fd);
	mc->copy_fd = -1;
	if (mc->out_fd >= 0 && mc->out_fd != STDOUT_FILENO)
		close(mc->out_fd);
	mc->in_fd = mc->out_fd = -1;
}

/* The UART's transmit hook when there is a copy: both buffers take the bytes (memory only). */
static void tx_both(void *opaque, const uint8_t *buf, size_t n)
{
	struct machine_console *mc = opaque;
	if (mc->has_out)
		console_out_put(&mc->out, buf, n);
	console_out_put(&mc->copy, buf, n);
}

void mconsole_serial_config(struct machine_console *mc, struct serial_config *sc)
{
	if (mc->has_copy) {
		sc->tx = tx_both;
		sc->tx_opaque = mc;
		return;
	}
	sc->tx = mc->has_out ? console_out_put : NULL;
	sc->tx_opaque = mc->has_out ? &mc->out : NULL;
}

void mconsole_print_stats(struct machine_console *mc, FILE *f)
{
	if (!mc->has_out)
		return;
	uint64_t written, dropped;
	console_out_counts(&mc->out, &written, &dropped);
	stats_print_console(f, written, dropped);
}

/* ---- main loop ---- */

/* Brings fd's registration from *have to want; 0 or -1 (*have unchanged then). */
static int set_watch(int ep, int fd, uint32_t *have, uint32_t want)
{
	if (want == *have)
		return 0;
	struct epoll_event ev = { .events = want, .data.fd = fd };
	int op = !*have ? EPOLL_CTL_ADD : !want ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	if (epoll_ctl(ep, op, fd, &ev) < 0 && op != EPOLL_CTL_DEL)
		return -1;
	*have = want;
	return 0;
}

void mconsole_loop_begin(struct machine_console *mc, int ep)
{
	mc->ep = ep;
	if (mc->has_copy) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = console_out_wake_fd(&mc->copy) };
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	}
	mc->in_ev = mc->out_ev = 0;
	mc->in_open = mc->in_fd >= 0;
	mc->rx_len = mc->rx_off = 0;
	if (mc->has_out) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = console_out_wake_fd(&mc->out) };
		epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
		mc->out_pending = 1; /* whatever the last incarnation left */
	}
}

static void drain(struct machine_console *mc)
{
	uint64_t w0, w1, d;
	console_out_counts(&mc->out, &w0, &d);
	int r = console_out_drain(&mc->out);
	console_out_counts(&mc->out, &w1, &d);
	mc->out_moved = w1 != w0;
	mc->out_pending = r == 1;
	if (r == 0)
		mc->out_timed = 0; /* next time, try polling the fd again */
}

int mconsole_prepare(struct machine_console *mc)
{
	/* read more input only when the previous piece went into the UART */
	uint32_t want_in = mc->in_open && mc->rx_off == mc->rx_len ? EPOLLIN : 0;
	uint32_t want_out = mc->out_pending && !mc->out_timed ? EPOLLOUT : 0;
	if (mc->in_fd >= 0 && mc->in_fd == mc->out_fd) {
		if (set_watch(mc->ep, mc->in_fd, &mc->in_ev, want_in | want_out) < 0) {
			mc->in_open = 0;
			mc->out_timed = 1;
		}
	} else {
		if (mc->in_fd >= 0 && set_watch(mc->ep, mc->in_fd, &mc->in_ev, want_in) < 0)
			mc->in_open = 0; /* e.g. /dev/null cannot be polled: no input then */
		if (mc->out_fd >= 0 && set_watch(mc->ep, mc->out_fd, &mc->out_ev, want_out) < 0)
			mc->out_timed = 1; /* a regular file: writes do not wait anyway */
	}
	int t = -1;
	/* blocked output is also retried on a timer: a pty whose reader just opened it may take data
	 * again without ever reporting EPOLLOUT */
	if (mc->out_pending)
		t = mc->out_timed && mc->out_moved ? 0 : RETRY_MS; /* a file stops only at the drain budget */
	if (mc->rx_off < mc->rx_len)
		t = RX_RETRY_MS;
	return t;
}

/* Returns 1 when the user asked to quit. */
static int input(struct machine_console *mc)
{
	uint8_t raw[sizeof(mc->rx)];
	ssize_t n = read(mc->in_fd, raw, sizeof(raw));
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			mc->in_open = 0; /* EOF on stdin: the guest keeps running without input */
		return 0;
	}
	size_t k;
	enum console_action act = CONSOLE_NONE;
	if (mc->mode == SERIAL_STDIO) {
		act = console_filter(&mc->con, raw, (size_t)n, mc->rx, &k);
	} else {
		memcpy(mc->rx, raw, (size_t)n);
		k = (size_t)n;
	}
	mc->rx_len = k;
	mc->rx_off = 0;
	if (act == CONSOLE_HELP && write(STDERR_FILENO, console_help(), strlen(console_help())) < 0) {
		/* nowhere to report a failing stderr */
	}
	return act == CONSOLE_QUIT;
}

int mconsole_event(struct machine_console *mc, int fd, uint32_t events)
{
	int quit = 0;
	if (mc->has_copy && fd == console_out_wake_fd(&mc->copy)) {
		console_out_drain(&mc->copy); /* a regular file: takes everything */
		return 0;
	}
	if (mc->has_out && fd == console_out_wake_fd(&mc->out)) {
		drain(mc);
		return 0;
	}
	uint32_t have = (fd == mc->in_fd ? mc->in_ev : 0) | (fd == mc->out_fd ? mc->out_ev : 0);
	uint32_t bad = events & (EPOLLHUP | EPOLLERR);
	if (fd == mc->in_fd && (have & EPOLLIN) && (events & EPOLLIN || bad))
		quit = input(mc);
	if (fd == mc->out_fd && (have & EPOLLOUT)) {
		if (bad && !(events & EPOLLOUT))
			mc->out_timed = 1; /* a pty whose reader left reports hang-up for good: do not spin */
		drain(mc);
	}
	return quit;
}

void mconsole_after(struct machine_console *mc, struct serial *s)
{
	if (mc->has_copy)
		console_out_drain(&mc->copy);
	if (mc->out_pending)
		drain(mc);
	if (mc->rx_off < mc->rx_len)
		mc->rx_off += serial_rx(s, mc->rx + mc->rx_off, mc->rx_len - mc->rx_off);
}
