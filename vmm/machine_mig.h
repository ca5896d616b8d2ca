/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the machine's migration (vmm/machine_migrate.c and its QMP commands in
 * vmm/machine_migrate_qmp.c): what a machine keeps of its migrations, both ends. */
#ifndef KVMINI_MACHINE_MIG_H
#define KVMINI_MACHINE_MIG_H
#include "machine_priv.h"
#include "migrate.h"

struct machine_mig {
	int efd; /* the threads wake the main loop */
	int tfd; /* the source exits when it fires (after "completed") */
	uint64_t downtime_ms, bandwidth; /* migrate-set-parameters */
	struct mig_src src;
	char uri[300];
	enum mig_status said; /* the last MIGRATION event */
	int stopped; /* the source's devices are paused for the last step */
	struct msnap_paused paused; /* which */
	int was_running;
	/* target */
	int lfd;
	struct mig_dst dst;
	int autostart; /* cont/stop while inmigrate */
};

/* The threads' wake-up (opaque: the machine). */
void mmig_wake(void *opaque);
/* A MIGRATION event, once per status. */
void mmig_event(struct machine *m, enum mig_status st);
/* The source's stop-and-copy step (struct mig_src_ops.stop; opaque: the machine). */
int mmig_src_stop(void *opaque, uint8_t **state, size_t *len, char *why, size_t whylen);

#endif
