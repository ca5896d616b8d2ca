/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The board kvmini builds for `kvmini run`: a PC without a BIOS (COM1, i8042, RTC, ACPI PM, a PCI
 * host bridge and virtio devices), the kernel loaded directly, and the loop that runs it until the
 * guest powers off. A guest reset rebuilds the whole VM from the same options. */
#ifndef KVMINI_MACHINE_H
#define KVMINI_MACHINE_H

#include "options.h"

struct daemon_state;
/* What a named VM adds (vmm/run.c); machine_run takes NULL for an anonymous one. */
struct machine_env {
	const char *name; /* NULL: an anonymous VM with a --qmp socket */
	const char *qmp_path; /* the QMP control socket, for the whole process (NULL: none) */
	const char *qmp_extra; /* --qmp PATH: another (or the only) control socket */
	const char *console_path; /* every byte of COM1 output is appended here too */
	struct daemon_state *daemon; /* told once the VM runs and the socket listens */
};

/* Returns the process exit status: 0 poweroff (or reboot with --no-reboot, or Ctrl-A x, or QMP
 * quit), 1 error, 2 usage, 128+N when stopped by signal N. Reports its own errors. */
int machine_run(const struct run_opts *o, const struct machine_env *env);

#endif
