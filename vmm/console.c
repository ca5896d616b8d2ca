// SPDX-License-Identifier: GPL-2.0-or-later
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The one piece of process-wide state: a fatal-signal handler cannot be handed a pointer, and the
 * terminal must come back even when kvmini crashes. */
static struct {
	int fd;
	int active;
	struct termios saved;
	int out_fd; /* >= 0 while its flags need restoring */
	int out_flags;
	int installed;
} term_guard = { -1, 0, { 0 }, -1, 0, 0 };

static void term_guard_restore(void)
{
	if (term_guard.active)
		tcsetattr(term_guard.fd, TCSAFLUSH, &term_guard.saved);
	if (term_guard.out_fd >= 0)
		fcntl(term_guard.out_fd, F_SETFL, term_guard.out_flags);
}

static void fatal_signal(int sig)
{
	term_guard_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void term_guard_install(void)
{
	if (term_guard.installed)
		return;
	term_guard.installed = 1;
	atexit(term_guard_restore);
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], fatal_signal);
}

int console_open(struct console *c, int in_fd)
{
	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	c->out_fd = -1;
	c->is_tty = isatty(in_fd);
	if (!c->is_tty)
		return 0;
	if (tcgetattr(in_fd, &c->saved) < 0)
		return -errno;
	struct termios raw = c->saved;
	cfmakeraw(&raw);
	/* keep output post-processing: the guest sends \r\n itself, and kvmini's own lines use \r\n */
	raw.c_oflag = c->saved.c_oflag;
	term_guard.fd = in_fd;
	term_guard.saved = c->saved;
	term_guard.active = 1;
	term_guard_install();
	if (tcsetattr(in_fd, TCSAFLUSH, &raw) < 0)
		return -errno;
	c->raw = 1;
	return 0;
}

int console_nonblock(struct console *c, int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	c->out_fd = fd;
	c->out_flags = fl;
	term_guard.out_flags = fl;
	term_guard.out_fd = fd;
	term_guard_install();
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

void console_restore(struct console *c)
{
	if (c->out_fd >= 0) {
		fcntl(c->out_fd, F_SETFL, c->out_flags);
		c->out_fd = -1;
		term_guard.out_fd = -1;
	}
	if (!c->raw)
		return;
	tcsetattr(c->in_fd, TCSAFLUSH, &c->saved);
	c->raw = 0;
	term_guard.active = 0;
}

enum console_action console_filter(struct console *c, const uint8_t *in, size_t n, uint8_t *out, size_t *nout)
{
	enum console_action act = CONSOLE_NONE;
	size_t k = 0;
	for (size_t i = 0; i < n && act != CONSOLE_QUIT; i++) {
		uint8_t b = in[i];
		if (!c->in_escape) {
			if (b == CONSOLE_ESCAPE)
				c->in_escape = 1;
			else
				out[k++] = b;
			continue;
		}
		c->in_escape = 0;
		switch (b) {
		case 'x':
		case 'X':
			act = CONSOLE_QUIT;
			break;
		case 'a':
		case CONSOLE_ESCAPE:
			out[k++] = CONSOLE_ESCAPE;
			break;
		case 'h':
		case 'H':
		case '?':
			act = CONSOLE_HELP;
			break;
		default: /* unknown escapes are swallowed, as qemu does */
			break;
		}
	}
	*nout = k;
	return act;
}

const char *console_help(void)
{
	return "Ctrl-A x  quit (the guest is stopped)\r\n"
	       "Ctrl-A a  send Ctrl-A to the guest\r\n"
	       "Ctrl-A h  this help\r\n";
}
