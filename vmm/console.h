/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The user's terminal as the guest console: raw mode and a non-blocking output fd (both restored
 * on every exit path, crashes included) and the Ctrl-A escape keys, filtered out of the byte stream
 * sent to the guest. */
#ifndef KVMINI_CONSOLE_H
#define KVMINI_CONSOLE_H
#include <stddef.h>
#include <stdint.h>
#include <termios.h>

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A */

enum console_action { CONSOLE_NONE, CONSOLE_QUIT, CONSOLE_HELP };

struct console {
	int in_fd;
	int is_tty;
	int raw; /* terminal currently in raw mode */
	struct termios saved;
	int in_escape; /* the previous byte was Ctrl-A */
	int out_fd; /* made non-blocking by console_nonblock, -1 if none */
	int out_flags; /* its file status flags before */
};

/* Puts in_fd into raw mode when it is a terminal, and arranges for it to be restored at exit and on
 * fatal signals. */
int console_open(struct console *c, int in_fd);
/* Makes fd (the guest's output) non-blocking; its flags come back with the terminal, at exit and on
 * fatal signals too, since the open file may be shared with the user's shell. */
int console_nonblock(struct console *c, int fd);
void console_restore(struct console *c);
/* Copies the bytes meant for the guest from in to out (out has room for n) and returns the first
 * escape action met; input after a quit is dropped. */
enum console_action console_filter(struct console *c, const uint8_t *in, size_t n, uint8_t *out, size_t *nout);
const char *console_help(void);

#endif
