// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini run`: see run.h. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "machine.h"
#include "vmfiles.h"

int run_vm(const struct run_opts *o)
{
	if (!o->named && !o->qmp && !o->pidfile)
		return machine_run(o, NULL);
	struct vm_files f = { .lock_fd = -1 };
	int status = o->named ? vmfiles_claim(&f, o->name, o->definition) : 0;
	if (status)
		return status;
	struct daemon_state d = { .ready_fd = -1, .log_fd = -1 };
	int log_fd = -1;
	if (o->daemonize) {
		/* an anonymous daemon (--qmp only) has no N.log: its messages go nowhere, as QEMU's */
		const char *log = o->named ? f.log : "/dev/null";
		log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (o->named ? O_TRUNC : 0), 0600);
		if (log_fd < 0) {
			kv_err(-errno, "%s", log);
			vmfiles_release(&f);
			return 1;
		}
		int ret = daemon_detach(&d, log_fd, &status);
		if (ret == 1)
			return status; /* the parent: the files are the child's now */
		if (ret < 0) {
			kv_err(ret, "--daemonize: fork");
			close(log_fd);
			vmfiles_release(&f);
			return 1;
		}
	}
	status = 1;
	/* after detaching: the pid files hold the daemon's pid */
	bool pidfile = false;
	if ((!o->named || !vmfiles_write_pid(&f)) && (!o->pidfile || !vmfiles_pidfile(o->pidfile))) {
		pidfile = o->pidfile;
		struct machine_env env = { .name = o->named ? o->name : NULL,
					   .qmp_path = o->named ? f.qmp : NULL,
					   .qmp_extra = o->qmp,
					   .console_path = o->named ? f.console : NULL,
					   .daemon = &d };
		status = machine_run(o, &env);
	}
	if (pidfile)
		unlink(o->pidfile);
	vmfiles_release(&f);
	if (log_fd >= 0)
		close(log_fd);
	return status;
}
