/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini run` around the machine: a named VM first takes its name (vmm/vmfiles.h), detaches if
 * asked (vmm/daemon.h), then runs the machine with its control socket and console copy, and
 * removes its run files at the end. */
#ifndef KVMINI_RUN_H
#define KVMINI_RUN_H

#include "options.h"

/* Returns the process exit status (machine_run's, or 1 when the name is taken). */
int run_vm(const struct run_opts *o);

#endif
