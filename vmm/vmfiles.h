/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run files of a named VM (`kvmini run --name N`, layout in vmm/paths.h): N.lock, flock()ed for
 * the VM's whole life (whoever holds it owns the name), N.pid, N.xml (the definition it runs), and
 * the paths of N.qmp, N.console and N.log. Claiming the name cleans what a killed VM left behind. */
#ifndef KVMINI_VMFILES_H
#define KVMINI_VMFILES_H
#include <limits.h>

struct vm_files {
	char dir[PATH_MAX];
	char lock[PATH_MAX], pid[PATH_MAX], xml[PATH_MAX], qmp[PATH_MAX], console[PATH_MAX], log[PATH_MAX];
	int lock_fd;
	int have_pid, have_xml;
};

/* Takes the name: creates the runtime dir, locks N.lock (never waits), removes a dead VM's N.pid
 * and N.xml, copies definition (may be NULL) to N.xml, truncates N.console. Reports its own error
 * ("kvmini: --name N: a VM of that name is running (pid P)") and returns the exit status (1), or 0. */
int vmfiles_claim(struct vm_files *f, const char *name, const char *definition);
/* Writes N.pid with this process's pid (after detaching). 0 or -errno (reported). */
int vmfiles_write_pid(struct vm_files *f);
/* --pidfile FILE: this process's pid written to path (through a temp file and a rename). 0 or
 * -errno, reported as "kvmini: --pidfile FILE: <why>". */
int vmfiles_pidfile(const char *path);
/* Removes N.pid and N.xml (N.qmp goes with the control socket) and drops the lock. */
void vmfiles_release(struct vm_files *f);

#endif
