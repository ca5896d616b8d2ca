// SPDX-License-Identifier: GPL-2.0-or-later
/* The profiler's life in one VM incarnation. */
#include "machine_prof.h"

#include <stdio.h>
#include <string.h>

#include "devices/serial.h"
#include "log.h"
#include "prof_report.h"
#include "vcpu.h"

#define RING_RECORDS (1u << 16) /* 2 MiB per vCPU: ~20 ms of the fastest exit loop between drains */

void mprof_init(struct machine_prof *mp, const struct run_opts *o)
{
	memset(mp, 0, sizeof(*mp));
	mp->o = &o->prof;
	mp->report = o->stats;
	mp->vmm_start_tsc = prof_now();
}

struct prof *mprof_create(struct machine_prof *mp, unsigned n)
{
	if (!mp->o->on)
		return NULL;
	int ret = prof_create(&mp->prof, n, 0, mp->o->trace ? RING_RECORDS : 0);
	if (ret) {
		kv_err(ret, "exit profiler");
		return NULL;
	}
	mp->on = 1;
	return &mp->prof;
}

void mprof_serial_hook(struct machine_prof *mp, struct serial_config *sc)
{
	if (!mp->o->boot_trace)
		return;
	boot_trace_init(&mp->boot, mp->vmm_start_tsc); /* each incarnation anew */
	mp->boot.tx = sc->tx;
	mp->boot.tx_opaque = sc->tx_opaque;
	sc->tx = boot_trace_tx;
	sc->tx_opaque = &mp->boot;
}

void mprof_vcpus_created(struct machine_prof *mp, struct vcpus *vs)
{
	if (!mp->on || !vs->n)
		return;
	mp->prof.tsc_khz = prof_tsc_khz(vs->v[0].fd);
	for (unsigned i = 0; i < vs->n && i < mp->prof.n; i++)
		if (vs->v[i].fd >= 0)
			prof_attach_kvm(&mp->prof, i, vs->v[i].fd); /* without: "no binary statistics" */
}

int mprof_start(struct machine_prof *mp, struct vm *vm)
{
	if (!mp->on)
		return 0;
	return prof_thread_start(&mp->thread, &mp->prof, &vm->pio, &vm->mmio, mp->o->trace, mp->o->trace_max,
				 mp->o->interval_ms)
		       ? -1
		       : 0;
}

void mprof_finish(struct machine_prof *mp, struct vm *vm)
{
	if (!mp->on)
		return;
	prof_thread_stop(&mp->thread);
	struct prof_view w;
	if ((mp->report || mp->o->nout) && !prof_view_take(&w, &mp->prof, &vm->pio, &vm->mmio)) {
		if (mp->report)
			prof_print_table(stderr, &w);
		for (unsigned i = 0; i < mp->o->nout; i++) {
			int ret = prof_write_file(mp->o->out[i], &w);
			if (ret)
				kv_err(ret, "--stats-output %s", mp->o->out[i]);
		}
		prof_view_free(&w);
	}
	if (mp->o->boot_trace) {
		boot_trace_mark(&mp->boot, BT_FIRST_RUN, mp->prof.n ? mp->prof.v[0].first_tsc : 0);
		boot_trace_mark(&mp->boot, BT_POWEROFF, prof_now());
		boot_trace_print(stderr, &mp->boot, mp->prof.tsc_khz);
	}
	prof_destroy(&mp->prof);
	mp->on = 0;
}

json_object *mprof_query(struct machine_prof *mp, struct vm *vm, int reset, char *why, size_t whylen)
{
	if (!mp->on) {
		snprintf(why, whylen, "the VM runs without the exit profiler (start it with --stats)");
		return NULL;
	}
	struct prof_view w;
	if (prof_view_take(&w, &mp->prof, &vm->pio, &vm->mmio)) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	json_object *j = prof_view_json(&w);
	json_object_object_add(j, "seconds", json_object_new_double(prof_ns(&w, w.wall_cycles) / 1e9));
	prof_view_free(&w);
	if (reset)
		prof_reset(&mp->prof);
	return j;
}
