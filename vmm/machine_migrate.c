// SPDX-License-Identifier: GPL-2.0-or-later
/* Live migration in the machine (vmm/migrate.h has the machinery): QMP's migrate, query-migrate,
 * migrate-set-parameters, query-migrate-parameters, migrate_cancel and migrate-incoming, the
 * MIGRATION events, the source's stop-and-copy on the main loop (pause, drain, flush, state) and
 * its outcome (exit after "completed", resume after a failure or cancel), and the target's side:
 * `--incoming tcp:HOST:PORT` (or `defer` and migrate-incoming) builds the board without booting
 * it, waits in "inmigrate", and restores what arrived. */
#include "machine_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "firmware/layout.h"
#include "log.h"
#include "machine_mig.h"
#include "migrate_stream.h"
#include "snapshot.h"
#include "vm_state.h"


void mmig_wake(void *opaque)
{
	struct machine *m = opaque;
	uint64_t one = 1;
	if (write(m->mig->efd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the loop is awake already */
	}
}

void mmig_event(struct machine *m, enum mig_status st)
{
	if (m->mig->said == st)
		return;
	m->mig->said = st;
	json_object *d = json_object_new_object();
	json_object_object_add(d, "status", json_object_new_string(mig_status_name(st == MIG_DEVICE ? MIG_ACTIVE : st)));
	mqmp_event(m, "MIGRATION", d);
}

int mmig_open(struct machine *m)
{
	struct machine_mig *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	m->mig = g;
	g->lfd = -1;
	g->downtime_ms = MIG_DEFAULT_DOWNTIME_MS;
	g->bandwidth = MIG_DEFAULT_BANDWIDTH;
	g->dst.lfd = g->dst.sock = -1;
	g->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (g->efd < 0 || g->tfd < 0)
		return -errno;
	const char *uri = m->o->incoming;
	if (!uri)
		return 0;
	m->incoming = 1;
	if (!strcmp(uri, "defer"))
		return 0;
	char why[300];
	int ret = mig_listen(uri, &g->lfd, why, sizeof(why));
	if (ret) {
		kv_log("--incoming %s: %s", uri, why);
		return ret;
	}
	snprintf(g->uri, sizeof(g->uri), "%s", uri);
	return 0;
}

void mmig_watch(struct machine *m, int ep)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = m->mig->efd };
	epoll_ctl(ep, EPOLL_CTL_ADD, m->mig->efd, &ev);
	ev.data.fd = m->mig->tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, m->mig->tfd, &ev);
}

int mmig_busy(struct machine *m)
{
	return m->mig && m->mig->stopped;
}

void mmig_autostart(struct machine *m, int run)
{
	m->mig->autostart = run ? 1 : -1;
}

/* ---- target ---- */

static int board_ok(void *opaque, const struct snap_board *b, char *why, size_t whylen)
{
	struct machine *m = opaque;
	const struct run_opts *o = m->o;
	const char *what = NULL;
	unsigned there = 0, here = 0;
	if (b->cpus != o->cpus)
		what = "vCPUs", there = b->cpus, here = o->cpus;
	else if (b->ndevs != o->ndevargs)
		what = "device options (--disk, --cdrom, ...)", there = b->ndevs, here = o->ndevargs;
	else if (b->nnets != o->nnets)
		what = "NICs", there = b->nnets, here = o->nnets;
	else if (b->cpu_host != (uint32_t)o->cpu_host)
		what = "--cpu host", there = b->cpu_host, here = (unsigned)o->cpu_host;
	else if (!b->kernel != !o->kernel)
		what = "firmware boots (no --kernel)", there = !b->kernel, here = !o->kernel;
	if (!what)
		return 0;
	snprintf(why, whylen, "the source's board differs: %s %u there, %u here (the target needs the source's options)",
		 what, there, here);
	return -EINVAL;
}

int mmig_start_incoming(struct machine *m)
{
	struct machine_mig *g = m->mig;
	if (!m->incoming || g->lfd < 0 || g->dst.started)
		return 0;
	struct mig_in in = {
		.ram = m->vm.mem.r[0].hva,
		.ram_size = m->vm.mem.ram_size,
		.board_ok = board_ok,
		.board_opaque = m,
	};
	int ret = mig_dst_start(&g->dst, g->lfd, &in, mmig_wake, m);
	if (ret) {
		kv_err(ret, "--incoming: thread");
		return ret;
	}
	g->lfd = -1;
	kv_log("waiting for an incoming migration on %s", g->uri);
	return 0;
}

/* The stream arrived: check the state, restore it, run. */
static void incoming_done(struct machine *m)
{
	struct machine_mig *g = m->mig;
	struct mig_dst *d = &g->dst;
	pthread_join(d->thread, NULL);
	d->started = 0;
	char why[300];
	int ret = d->ret;
	snprintf(why, sizeof(why), "%s", d->why);
	struct snap_image img;
	memset(&img, 0, sizeof(img));
	if (!ret) {
		img.buf = d->in.state;
		img.len = d->in.state_len;
		d->in.state = NULL;
		char w[240];
		if ((ret = snap_image_parse(&img, w, sizeof(w))))
			snprintf(why, sizeof(why), "the device state: %s", w);
		else
			ret = msnap_restore_image(m, &img, VM_CLOCK_ADVANCE, why, sizeof(why));
	}
	if (ret) {
		if (d->sock >= 0)
			mig_dst_answer(d, why);
		snap_image_free(&img);
		kv_log("--incoming %s: %s", g->uri, why);
		mmig_event(m, MIG_FAILED);
		vm_request_stop(&m->vm, VM_STOP_ERROR); /* exit 1: nothing ran */
		return;
	}
	snap_image_free(&img);
	m->incoming = 0; /* a later reset boots the kernel */
	int run = (d->in.flags & MIG_FLAG_RUN) ? g->autostart >= 0 : g->autostart > 0;
	if (run) {
		vcpus_resume(&m->vcpus);
		m->state = RS_RUNNING;
		mqmp_event(m, "RESUME", NULL);
	} else {
		m->state = RS_PAUSED;
	}
	mig_dst_answer(d, NULL);
	mmig_event(m, MIG_COMPLETED);
	kv_log("migration from %s received: %llu MiB in %lld ms, the guest %s", d->peer,
	       (unsigned long long)(d->in.bytes >> 20), d->t1 - d->t0, run ? "runs" : "is paused");
}

/* ---- source ---- */

/* On the main loop, when the migration thread asks: the guest stops for the last pages. */
int mmig_src_stop(void *opaque, uint8_t **state, size_t *len, char *why, size_t whylen)
{
	struct machine *m = opaque;
	struct machine_mig *g = m->mig;
	if (m->state == RS_SHUTDOWN || m->host_req != HOST_NONE || atomic_load(&m->vm.stop_reason) != VM_STOP_NONE) {
		snprintf(why, whylen, "the VM is stopping");
		return -EINVAL;
	}
	g->was_running = m->state == RS_RUNNING;
	if (g->was_running) {
		vcpus_pause(&m->vcpus);
		m->state = RS_PAUSED;
		mqmp_event(m, "STOP", NULL);
	}
	g->stopped = 1;
	struct msnap_paused *p = &g->paused;
	int ret = msnap_pause(m, p, why, whylen); /* virtio, IDE and AHCI drained: nothing lands later */
	if (!ret)
		ret = msnap_flush(m, why, whylen);
	for (unsigned i = 0; !ret && i < p->nvd; i++)
		virtio_dev_mark_rings(p->vd[i]);
	if (!ret && m->fw.on) /* the shadow RAM: its BIOS slots are not in KVM's dirty log */
		gmem_mark(&m->vm.mem, LAYOUT_SHADOW, LAYOUT_HIMEM - LAYOUT_SHADOW);
	if (!ret)
		ret = msnap_state(m, state, len, why, whylen);
	return ret; /* a failure is undone by src_finish, with the rest */
}

static void src_finish(struct machine *m)
{
	struct machine_mig *g = m->mig;
	mig_src_join(&g->src);
	struct mig_stats st;
	mig_src_stats(&g->src, &st);
	if (st.status == MIG_COMPLETED) {
		mmig_event(m, MIG_COMPLETED);
		kv_log("migration to %s completed: %llu MiB sent in %llu ms, downtime %llu ms; this VM exits", g->uri,
		       (unsigned long long)(st.transferred >> 20), (unsigned long long)st.total_time_ms,
		       (unsigned long long)st.downtime_ms);
		/* "postmigrate" for a moment, so that a client polling query-migrate sees the end */
		m->state = RS_POSTMIGRATE;
		struct itimerspec its = { .it_value = { 1, 0 } };
		if (timerfd_settime(g->tfd, 0, &its, NULL) < 0)
			machine_host_quit(m, "host-qmp-quit");
		return;
	}
	if (g->stopped) {
		msnap_resume(m, &g->paused);
		if (g->was_running) {
			vcpus_resume(&m->vcpus);
			m->state = RS_RUNNING;
			mqmp_event(m, "RESUME", NULL);
		}
		g->stopped = 0;
	}
	mmig_event(m, st.status);
	kv_log("migration to %s %s: %s; the VM goes on here", g->uri, st.status == MIG_CANCELLED ? "cancelled" : "failed",
	       st.error[0] ? st.error : "unknown error");
}

int mmig_handle(struct machine *m, int fd)
{
	struct machine_mig *g = m->mig;
	if (g && fd == g->tfd) {
		uint64_t n;
		if (read(fd, &n, sizeof(n)) == sizeof(n))
			machine_host_quit(m, "host-qmp-quit"); /* the guest runs on the target */
		return 1;
	}
	if (!g || fd != g->efd)
		return 0;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing new */
	}
	if (g->dst.started && atomic_load(&g->dst.done))
		incoming_done(m);
	if (g->src.started) {
		mig_src_serve_stop(&g->src);
		struct mig_stats st;
		mig_src_stats(&g->src, &st);
		if (mig_src_finished(&g->src))
			src_finish(m);
		else
			mmig_event(m, st.status);
	}
	return 1;
}

void mmig_teardown(struct machine *m)
{
	struct machine_mig *g = m->mig;
	if (!g)
		return;
	if (g->src.started) {
		mig_src_cancel(&g->src);
		mig_src_join(&g->src);
		g->stopped = 0;
	}
	gmem_log_set(&m->vm.mem, NULL);
	if (g->dst.started) {
		mig_dst_stop(&g->dst);
		if (m->incoming)
			kv_log("--incoming %s: stopped before a migration came", g->uri);
	}
}

void mmig_close(struct machine *m)
{
	struct machine_mig *g = m->mig;
	if (!g)
		return;
	mig_src_free(&g->src);
	mig_dst_stop(&g->dst);
	if (g->lfd >= 0)
		close(g->lfd);
	if (g->efd >= 0)
		close(g->efd);
	if (g->tfd >= 0)
		close(g->tfd);
	free(g);
	m->mig = NULL;
}
