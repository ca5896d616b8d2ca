// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini run`: see run.h. */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "machine.h"
#include "vmfiles.h"

int run_vm(const struct run_opts *o)
{
	if (!o->named)
		return machine_run(o, NULL);
	struct vm_files f;
	int status = vmfiles_claim(&f, o->name, o->definition);
	if (status)
		return status;
	struct daemon_state d = { .ready_fd = -1, .log_fd = -1 };
	int log_fd = -1;
	if (o->daemonize) {
		log_fd = open(f.log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
		if (log_fd < 0) {
			kv_err(-errno, "%s", f.log);
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
	if (!vmfiles_write_pid(&f)) {
		struct machine_env env = { .name = o->name, .qmp_path = f.qmp, .console_path = f.console, .daemon = &d };
		status = machine_run(o, &env);
	}
	vmfiles_release(&f);
	if (log_fd >= 0)
		close(log_fd);
	return status;
}
