/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The profiler's own thread: drains the vCPUs' rings into the trace file (--trace) every few
 * milliseconds and prints a JSON line of the statistics every --stats-interval. It never holds
 * anything a vCPU waits for; a full ring drops records (counted), a full file cuts them (counted,
 * said once). */
#ifndef KVMINI_PROF_THREAD_H
#define KVMINI_PROF_THREAD_H
#include <pthread.h>
#include <stdio.h>

#include "bus.h"
#include "prof.h"

struct prof_thread {
	struct prof *p;
	const struct bus *pio, *mmio;
	FILE *trace; /* NULL without --trace */
	const char *trace_path;
	uint64_t trace_max, trace_bytes, cut;
	uint64_t *written; /* per vCPU */
	unsigned interval_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop, started;
};

/* Opens the trace (writes its header) and starts the thread if there is work for one. -errno with
 * one line logged. */
int prof_thread_start(struct prof_thread *t, struct prof *p, const struct bus *pio, const struct bus *mmio,
		      const char *trace_path, uint64_t trace_max, unsigned interval_ms);
/* After the vCPUs stopped: the last records, the end chunk, the file closed, the thread joined. */
int prof_thread_stop(struct prof_thread *t);

#endif
