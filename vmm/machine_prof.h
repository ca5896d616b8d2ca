/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exit profiler in the machine: created with each VM incarnation when any profiler option is
 * given (--stats, -o, --stats-interval, --trace, --boot-trace), its reports at the incarnation's end. */
#ifndef KVMINI_MACHINE_PROF_H
#define KVMINI_MACHINE_PROF_H
#include <json-c/json.h>
#include <stdint.h>

#include "boot_trace.h"
#include "options.h"
#include "prof.h"
#include "prof_thread.h"
#include "vm.h"

struct vcpus;
struct serial_config;

struct machine_prof {
	const struct prof_opts *o;
	int report; /* --stats: the table at the end */
	int on; /* created for this incarnation */
	struct prof prof;
	struct prof_thread thread;
	struct boot_trace boot;
	uint64_t vmm_start_tsc; /* the process's start (the first incarnation's) */
};

void mprof_init(struct machine_prof *mp, const struct run_opts *o);
/* Before the vCPUs: the profiler for n of them (NULL when off: pass it to vcpus_create). */
struct prof *mprof_create(struct machine_prof *mp, unsigned n);
/* --boot-trace: wraps the UART's transmit hook. */
void mprof_serial_hook(struct machine_prof *mp, struct serial_config *sc);
/* After vcpus_create: the TSC frequency and KVM's statistics of each vCPU. */
void mprof_vcpus_created(struct machine_prof *mp, struct vcpus *vs);
/* After vcpus_start: the writer/interval thread. -1 when the trace cannot be written. */
int mprof_start(struct machine_prof *mp, struct vm *vm);
/* After the vCPUs are joined: the trace finished, the reports printed and written, the profiler
 * freed. */
void mprof_finish(struct machine_prof *mp, struct vm *vm);

/* QMP __org.kvmini_query-exit-stats: the statistics now (NULL with a reason in why when the VM
 * runs without the profiler), then, with reset, counters started afresh. */
json_object *mprof_query(struct machine_prof *mp, struct vm *vm, int reset, char *why, size_t whylen);

#endif
