// SPDX-License-Identifier: GPL-2.0-or-later
/* --daemonize: see daemon.h. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define READY_MARK '\0' /* messages are text, so a NUL byte cannot be part of one */
#define PARENT_BUF 8192 /* of the child's messages before ready: a few lines at most */

static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		buf += w;
		n -= (size_t)w;
	}
}

/* The parent's side: relays what the child says until it is ready or gone. */
static int parent_wait(pid_t child, int rfd, int log_fd)
{
	char buf[PARENT_BUF];
	size_t len = 0;
	int ready = 0;
	for (;;) {
		char chunk[512];
		ssize_t n = read(rfd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		char *mark = memchr(chunk, READY_MARK, (size_t)n);
		size_t take = mark ? (size_t)(mark - chunk) : (size_t)n;
		if (take > sizeof(buf) - len)
			take = sizeof(buf) - len;
		memcpy(buf + len, chunk, take);
		len += take;
		if (mark) {
			ready = 1;
			break;
		}
	}
	close(rfd);
	/* the log gets the child's early messages too (e.g. which pty the serial is on) */
	write_all(log_fd, buf, len);
	if (ready)
		return 0;
	write_all(STDERR_FILENO, buf, len);
	int st;
	while (waitpid(child, &st, 0) < 0) {
		if (errno != EINTR)
			return 1;
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st) ? WEXITSTATUS(st) : 1; /* gone before ready is a failure */
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
}

int daemon_detach(struct daemon_state *d, int log_fd, int *status)
{
	d->ready_fd = -1;
	d->log_fd = log_fd;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid > 0) {
		close(p[1]);
		*status = parent_wait(pid, p[0], log_fd);
		return 1;
	}
	close(p[0]);
	setsid(); /* no controlling terminal: the user's hang-up or Ctrl-C no longer reaches the VM */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	dup2(log_fd, STDOUT_FILENO);
	dup2(p[1], STDERR_FILENO);
	d->ready_fd = p[1];
	return 0;
}

void daemon_ready(struct daemon_state *d)
{
	if (d->ready_fd < 0)
		return;
	char mark = READY_MARK;
	write_all(d->ready_fd, &mark, 1);
	dup2(d->log_fd, STDERR_FILENO); /* also drops stderr's copy of the pipe */
	close(d->ready_fd);
	d->ready_fd = -1;
}
