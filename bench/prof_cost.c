// SPDX-License-Identifier: GPL-2.0-or-later
/* What the exit profiler adds to one exit, measured on the host without KVM: the same calls the
 * vCPU loop makes per exit when profiling (two TSC reads, the per-reason and per-range histogram
 * updates, and with --trace the ring push, the ring drained by another thread as the writer does),
 * and what it adds when off (nothing but the NULL test). Prints ns per exit for each.
 * usage: prof_cost [N]   Built by bench/pio.sh against build/libkvmini.a. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vmm/prof.h"

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile int stop;

static void *drainer(void *arg)
{
	struct prof_vcpu *pv = arg;
	static struct exit_rec buf[4096];
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		prof_drain(pv, buf, 4096);
	return NULL;
}

static double run(struct prof *p, unsigned long n, int on)
{
	struct prof_vcpu *pv = p ? &p->v[0] : NULL;
	volatile uint64_t sink = 0;
	uint64_t last = prof_now();
	double t0 = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		if (!pv) {
			sink += i; /* the handler's stand-in */
			continue;
		}
		(void)on;
		struct prof_exit e = { .t_enter = last, .reason = 2 };
		e.t_exit = prof_now();
		sink += i;
		e.bus = 1;
		e.dev = (int)(i & 7);
		e.addr = 0x550;
		e.size = 1;
		e.count = 1;
		e.write = 1;
		e.t_done = last = prof_now();
		prof_exit(p, pv, &e);
	}
	return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 2000000;
	struct prof stats, trace;
	if (prof_create(&stats, 1, 0, 0) || prof_create(&trace, 1, 0, 1u << 16))
		return 1;
	double off = run(NULL, n, 0);
	double st = run(&stats, n, 1);
	pthread_t t;
	pthread_create(&t, NULL, drainer, &trace.v[0]);
	double tr = run(&trace, n, 1);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	printf("off_ns %.1f stats_ns %.1f trace_ns %.1f dropped %llu\n", off, st - off, tr - off,
	       (unsigned long long)trace.v[0].ring.dropped);
	prof_destroy(&stats);
	prof_destroy(&trace);
	return 0;
}
