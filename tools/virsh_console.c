// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini console NAME`: attaches the terminal to a live domain's serial pty (found with QMP's
 * query-chardev), as virsh does. The terminal is raw while attached and restored on every way out:
 * Ctrl-] (detach), the VM ending, an error, or SIGTERM/SIGINT/SIGHUP/SIGQUIT, which are taken
 * through a signalfd in the same poll loop so that no handler has to reach the saved settings.
 * Without a terminal on stdin (a script, the tests) it copies the console until stdin sends Ctrl-]
 * or the VM ends; stdin's end alone does not detach. */
#include "tools/virsh.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/log.h"

#define ESCAPE_CHAR 0x1d /* Ctrl-] */

/* The pty of the domain's serial (label serial0, else the first pty) into path. 0 or -errno. */
static int find_pty(struct vdom *d, char *path, size_t len)
{
	struct qmp_client c;
	if (vdom_connect(d, &c, VIRSH_QMP_TIMEOUT_MS))
		return -EIO;
	json_object *ret = NULL;
	struct qmpc_error e;
	int r = qmpc_execute(&c, "query-chardev", NULL, VIRSH_QMP_TIMEOUT_MS, &ret, &e);
	qmpc_close(&c);
	if (r) {
		if (r == -EREMOTEIO)
			kv_log("%s: query-chardev: %s", d->name, e.desc);
		else
			kv_err(r, "%s: query-chardev", d->name);
		return r;
	}
	r = -ENOENT;
	size_t n = json_object_is_type(ret, json_type_array) ? json_object_array_length(ret) : 0;
	for (int pass = 0; pass < 2 && r; pass++) {
		for (size_t i = 0; i < n && r; i++) {
			json_object *ch = json_object_array_get_idx(ret, i), *label = NULL, *file = NULL;
			json_object_object_get_ex(ch, "label", &label);
			json_object_object_get_ex(ch, "filename", &file);
			const char *f = file ? json_object_get_string(file) : "";
			if (strncmp(f, "pty:", 4) || (pass == 0 && (!label || strcmp(json_object_get_string(label), "serial0"))))
				continue;
			if (snprintf(path, len, "%s", f + 4) < (int)len)
				r = 0;
		}
	}
	json_object_put(ret);
	if (r)
		kv_log("%s: the domain has no serial console on a pty", d->name);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			poll(&pf, 1, 1000);
			continue;
		}
		if (w <= 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies between the terminal and the pty until detach, the VM's end or a signal: 0 or -errno. */
static int relay(int pty, int sfd)
{
	int in_open = 1;
	char buf[4096];
	for (;;) {
		struct pollfd p[3] = { { .fd = pty, .events = POLLIN }, { .fd = sfd, .events = POLLIN },
				       { .fd = in_open ? 0 : -1, .events = POLLIN } };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents)
			return 0; /* a signal: restore and go */
		if (p[0].revents) {
			ssize_t n = read(pty, buf, sizeof(buf));
			if (n > 0 && write_all(1, buf, (size_t)n))
				return 0; /* nobody reads our output any more */
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
				return 0; /* EIO: the VMM closed its side, the VM is gone */
		}
		if (p[2].revents) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) {
				in_open = 0;
				continue;
			}
			if (n < 0)
				continue;
			char *esc = memchr(buf, ESCAPE_CHAR, (size_t)n);
			size_t keep = esc ? (size_t)(esc - buf) : (size_t)n;
			if (keep && write_all(pty, buf, keep))
				return 0;
			if (esc)
				return 0;
		}
	}
}

int virsh_console(int argc, char **argv)
{
	struct vdom d;
	int r = virsh_domain_arg(argc, argv, &d, 1);
	if (r >= 0)
		return r;
	const char *name = d.name;
	char path[256];
	if (find_pty(&d, path, sizeof(path)))
		return 1;
	int pty = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (pty < 0) {
		kv_err(-errno, "%s: %s", name, path);
		return 1;
	}
	/* the pty's own line discipline must pass bytes through untouched, both ways */
	struct termios pt;
	if (tcgetattr(pty, &pt) == 0) {
		cfmakeraw(&pt);
		tcsetattr(pty, TCSANOW, &pt);
	}
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, &old);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0) {
		r = -errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(pty);
		kv_err(r, "console: signalfd");
		return 1;
	}
	struct termios saved, raw;
	int tty = isatty(0) && tcgetattr(0, &saved) == 0;
	fprintf(stderr, "Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n", name);
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSAFLUSH, &raw);
	}
	r = relay(pty, sfd);
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	close(sfd);
	close(pty);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r) {
		kv_err(r, "%s: console", name);
		return 1;
	}
	return 0;
}
