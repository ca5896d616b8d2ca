// SPDX-License-Identifier: GPL-2.0-or-later
/* A named VM's control socket: QEMU's QMP commands on the machine (query-status, stop, cont,
 * system_powerdown, system_reset, quit, set-action, query-name, query-cpus-fast, query-chardev,
 * kvmini's __org.kvmini_ extensions), the events, and the decision the main loop takes after each
 * turn (machine_next): what a guest poweroff or reset, or a host request, leads to. Everything here
 * runs on the main loop; handlers only record requests or call non-blocking device entry points. */
#include "machine_priv.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "stats.h"

#ifndef KVMINI_VERSION
#define KVMINI_VERSION "0.1"
#endif

void mqmp_event(struct machine *m, const char *name, json_object *data)
{
	if (m->has_ctl)
		control_event(&m->ctl, name, data);
	else
		json_object_put(data);
}

static void cause_event(struct machine *m, const char *name, int guest, const char *reason)
{
	json_object *d = json_object_new_object();
	json_object_object_add(d, "guest", json_object_new_boolean(guest));
	json_object_object_add(d, "reason", json_object_new_string(reason));
	mqmp_event(m, name, d);
}

void machine_host_quit(struct machine *m, const char *cause)
{
	if (m->host_req == HOST_QUIT)
		return;
	m->host_req = HOST_QUIT;
	m->host_cause = cause;
	vm_request_stop(&m->vm, VM_STOP_USER);
}

/* The guest powered off (or reset under reboot=shutdown). */
static enum loop_next guest_shutdown(struct machine *m, const char *cause)
{
	cause_event(m, "SHUTDOWN", 1, cause);
	if (!m->shutdown_pause)
		return LOOP_EXIT;
	/* the vCPU threads are finishing: the VM stays as it is, with the process, until reset or quit */
	m->state = RS_SHUTDOWN;
	mqmp_event(m, "STOP", NULL);
	return LOOP_CONTINUE;
}

enum loop_next machine_next(struct machine *m)
{
	if (m->host_req == HOST_QUIT) {
		cause_event(m, "SHUTDOWN", 0, m->host_cause);
		return LOOP_EXIT;
	}
	if (m->host_req == HOST_RESET) {
		m->host_req = HOST_NONE;
		cause_event(m, "RESET", 0, m->host_cause);
		m->start_paused = m->state != RS_RUNNING && !m->cont_pending;
		if (m->state != RS_RUNNING && m->cont_pending)
			mqmp_event(m, "RESUME", NULL);
		m->cont_pending = 0;
		return LOOP_REBUILD;
	}
	if (m->state == RS_SHUTDOWN)
		return LOOP_CONTINUE; /* its stop reason was acted on already */
	switch (atomic_load(&m->vm.stop_reason)) {
	case VM_STOP_NONE:
		return LOOP_CONTINUE;
	case VM_STOP_POWEROFF:
		return guest_shutdown(m, "guest-shutdown");
	case VM_STOP_GUEST_EXIT: /* as QEMU's isa-debug-exit: the process ends, whatever the actions say */
		cause_event(m, "SHUTDOWN", 1, "guest-shutdown");
		return LOOP_EXIT;
	case VM_STOP_RESET:
		if (m->reboot_shutdown)
			return guest_shutdown(m, "guest-reset");
		cause_event(m, "RESET", 1, "guest-reset");
		m->start_paused = 0;
		return LOOP_REBUILD;
	default: /* an internal error (reported where it happened) */
		return LOOP_EXIT;
	}
}

/* ---- commands ---- */

static const char *state_name(enum run_state s)
{
	return s == RS_RUNNING ? "running" : s == RS_PAUSED ? "paused" : s == RS_INMIGRATE ? "inmigrate"
	       : s == RS_POSTMIGRATE ? "postmigrate" : "shutdown";
}

static void cmd_query_status(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "running", json_object_new_boolean(m->state == RS_RUNNING));
	json_object_object_add(o, "singlestep", json_object_new_boolean(0));
	json_object_object_add(o, "status", json_object_new_string(state_name(m->state)));
	qmp_return(r, o);
}

static void cmd_query_name(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *o = json_object_new_object();
	if (m->env->name) /* QEMU: {} for a VM without -name */
		json_object_object_add(o, "name", json_object_new_string(m->env->name));
	qmp_return(r, o);
}

static void cmd_stop(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	if (m->state == RS_INMIGRATE)
		mmig_autostart(m, 0);
	if (m->state != RS_RUNNING)
		return; /* as QEMU: stopping a stopped VM succeeds quietly */
	vcpus_pause(&m->vcpus);
	m->state = RS_PAUSED;
	mqmp_event(m, "STOP", NULL);
}

static void cmd_cont(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	if (m->host_req == HOST_RESET) {
		/* system_reset returns before the rebuild; a client that sends cont right after it
		 * (virsh's reboot) means the new incarnation, not the one going away */
		m->cont_pending = 1;
		return;
	}
	if (m->state == RS_SHUTDOWN) {
		qmp_error(r, QMP_ERR_GENERIC, "Resetting the Virtual Machine is required");
		return;
	}
	if (mmig_busy(m) || m->state == RS_POSTMIGRATE) {
		qmp_error(r, QMP_ERR_GENERIC, "a migration is completing: the guest goes on where it ends");
		return;
	}
	if (m->state == RS_INMIGRATE) {
		mmig_autostart(m, 1); /* as QEMU: the guest runs once it has arrived */
		return;
	}
	if (m->state == RS_RUNNING)
		return;
	vcpus_resume(&m->vcpus);
	m->state = RS_RUNNING;
	mqmp_event(m, "RESUME", NULL);
}

static void cmd_system_powerdown(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	if (m->pm)
		acpi_pm_power_button(m->pm);
	mqmp_event(m, "POWERDOWN", NULL);
}

static void cmd_system_reset(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	if (m->host_req != HOST_NONE)
		return; /* a quit or a reset is already on its way */
	m->host_req = HOST_RESET;
	m->host_cause = "host-qmp-system-reset";
	vm_request_stop(&m->vm, VM_STOP_RESET);
}

static void cmd_quit(void *opaque, json_object *args, struct qmp_result *r)
{
	machine_host_quit(opaque, "host-qmp-quit"); /* the answer goes out before the SHUTDOWN event */
}

/* One enum argument of set-action: 0 if absent or valid (*out set), else the error is set. */
static int action_arg(json_object *args, const char *key, const char *yes, const char *no, int *out,
		      struct qmp_result *r)
{
	json_object *v;
	if (!json_object_object_get_ex(args, key, &v))
		return 0;
	const char *s = json_object_get_string(v);
	if (!strcmp(s, yes) || !strcmp(s, no)) {
		*out = !strcmp(s, yes);
		return 0;
	}
	qmp_error(r, QMP_ERR_GENERIC, "Parameter '%s' does not accept value '%.64s'", key, s);
	return -EINVAL;
}

static void cmd_set_action(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	int reboot = m->reboot_shutdown, shutdown = m->shutdown_pause;
	if (action_arg(args, "reboot", "shutdown", "reset", &reboot, r) ||
	    action_arg(args, "shutdown", "pause", "poweroff", &shutdown, r))
		return; /* nothing changes unless every argument is valid */
	m->reboot_shutdown = reboot;
	m->shutdown_pause = shutdown;
}

static void cmd_query_cpus_fast(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *list = json_object_new_array();
	for (unsigned i = 0; i < m->vcpus.n; i++) {
		json_object *c = json_object_new_object(), *props = json_object_new_object();
		char path[64];
		snprintf(path, sizeof(path), "/machine/unattached/device[%u]", i);
		json_object_object_add(c, "cpu-index", json_object_new_int((int)i));
		json_object_object_add(c, "qom-path", json_object_new_string(path));
		json_object_object_add(c, "thread-id",
				       json_object_new_int(__atomic_load_n(&m->vcpus.v[i].tid, __ATOMIC_RELAXED)));
		json_object_object_add(props, "core-id", json_object_new_int(0));
		json_object_object_add(props, "thread-id", json_object_new_int(0));
		json_object_object_add(props, "socket-id", json_object_new_int((int)i));
		json_object_object_add(c, "props", props);
		json_object_object_add(c, "target", json_object_new_string("x86_64"));
		json_object_array_add(list, c);
	}
	qmp_return(r, list);
}

static void cmd_query_chardev(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	char name[600];
	mconsole_describe(&m->console, m->o, name, sizeof(name));
	json_object *c = json_object_new_object();
	json_object_object_add(c, "label", json_object_new_string("serial0"));
	json_object_object_add(c, "filename", json_object_new_string(name));
	json_object_object_add(c, "frontend-open", json_object_new_boolean(1));
	json_object *list = json_object_new_array();
	json_object_array_add(list, c);
	qmp_return(r, list);
}

/* --stats' counters, live: exits by reason per vCPU (only reasons seen). The vCPU threads count
 * without locks; a reading may be a few exits behind. */
static void cmd_query_exits(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *list = json_object_new_array();
	for (unsigned i = 0; i < m->vcpus.n; i++) {
		json_object *c = json_object_new_object(), *ex = json_object_new_object();
		uint64_t total = 0;
		for (unsigned k = 0; k < STATS_REASONS; k++) {
			uint64_t n = __atomic_load_n(&m->vcpus.v[i].stats.reason[k].count, __ATOMIC_RELAXED);
			if (n)
				json_object_object_add(ex, stats_reason_name(k), json_object_new_int64((int64_t)n));
			total += n;
		}
		json_object_object_add(c, "cpu-index", json_object_new_int((int)i));
		json_object_object_add(c, "total", json_object_new_int64((int64_t)total));
		json_object_object_add(c, "exits", ex);
		json_object_array_add(list, c);
	}
	qmp_return(r, list);
}

static void add_bus(json_object *list, struct bus *b)
{
	pthread_rwlock_rdlock(&b->lock);
	for (int i = 0; i < b->nr; i++) {
		const struct bus_range *rg = &b->r[i];
		json_object *d = json_object_new_object();
		const char *name = rg->id >= 0 && rg->id < BUS_MAX_RANGES ? b->names[rg->id] : NULL;
		json_object_object_add(d, "name", json_object_new_string(name ? name : "?"));
		json_object_object_add(d, "bus", json_object_new_string(b->name));
		json_object_object_add(d, "base", json_object_new_int64((int64_t)rg->base));
		json_object_object_add(d, "size", json_object_new_int64((int64_t)rg->len));
		json_object_array_add(list, d);
	}
	pthread_rwlock_unlock(&b->lock);
}

/* What answers on the buses: each registered range with its device's name. */
static void cmd_query_devices(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *list = json_object_new_array();
	if (m->vm.fd >= 0) {
		add_bus(list, &m->vm.pio);
		add_bus(list, &m->vm.mmio);
	}
	qmp_return(r, list);
}

/* Saves the guest into the existing, empty directory "dir" (vmm/snapshot.h); with "internal",
 * each writable (qcow2) image also gets an internal snapshot of that name, listed in the reply's
 * "disks"; "resume" (default true) lets a guest that was running go on, else it stays paused. Runs on the main loop: the
 * guest is stopped for the whole save, which writes all of RAM that is not zero. */
static void cmd_snapshot_save(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *v;
	int resume = 1;
	if (json_object_object_get_ex(args, "resume", &v))
		resume = json_object_get_boolean(v);
	const char *internal = json_object_object_get_ex(args, "internal", &v) ? json_object_get_string(v) : NULL;
	json_object_object_get_ex(args, "dir", &v);
	char why[300] = "";
	json_object *disks = json_object_new_array();
	if (internal && (!internal[0] || strlen(internal) > 255)) {
		qmp_error(r, QMP_ERR_GENERIC, "internal: a snapshot name is 1..255 bytes");
	} else if (msnap_save_internal(m, json_object_get_string(v), resume, internal, disks, why, sizeof(why))) {
		qmp_error(r, QMP_ERR_GENERIC, "%s", why);
	} else {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "disks", disks); /* the images with the internal snapshot */
		qmp_return(r, o);
		return;
	}
	json_object_put(disks);
}

/* Deletes the internal qcow2 snapshot "name" from the running VM's images (virsh snapshot-delete
 * while the domain runs: its images are open and locked here); returns the images' paths. */
static void cmd_disk_snapshot_delete(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *v;
	json_object_object_get_ex(args, "name", &v);
	char why[300] = "";
	json_object *disks = json_object_new_array();
	if (msnap_disk_snapshot_delete(m, json_object_get_string(v), disks, why, sizeof(why))) {
		qmp_error(r, QMP_ERR_GENERIC, "%s", why);
		json_object_put(disks);
		return;
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "disks", disks);
	qmp_return(r, o);
}

static const struct qmp_arg disk_snapshot_delete_args[] = {
	{ "name", json_type_string, 0 },
	{ NULL, 0, 0 },
};

/* The profiler's statistics as `--stats -o FILE.json` writes them; "reset": start them afresh
 * after this reading (kvmini stats NAME --reset). */
static void cmd_query_exit_stats(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *v;
	int reset = json_object_object_get_ex(args, "reset", &v) && json_object_get_boolean(v);
	char why[160];
	json_object *st = mprof_query(&m->prof, &m->vm, reset, why, sizeof(why));
	if (!st)
		qmp_error(r, QMP_ERR_GENERIC, "%s", why);
	else
		qmp_return(r, st);
}

static const struct qmp_arg exit_stats_args[] = {
	{ "reset", json_type_boolean, 1 },
	{ NULL, 0, 0 },
};

static const struct qmp_arg snapshot_args[] = {
	{ "dir", json_type_string, 0 },
	{ "resume", json_type_boolean, 1 },
	{ "internal", json_type_string, 1 },
	{ NULL, 0, 0 },
};

static const struct qmp_arg set_action_args[] = {
	{ "reboot", json_type_string, 1 },
	{ "shutdown", json_type_string, 1 },
	{ NULL, 0, 0 },
};

static const struct mqmp_command commands[] = {
	{ "query-status", NULL, cmd_query_status },
	{ "query-name", NULL, cmd_query_name },
	{ "stop", NULL, cmd_stop },
	{ "cont", NULL, cmd_cont },
	{ "system_powerdown", NULL, cmd_system_powerdown },
	{ "system_reset", NULL, cmd_system_reset },
	{ "quit", NULL, cmd_quit },
	{ "set-action", set_action_args, cmd_set_action },
	{ "query-cpus-fast", NULL, cmd_query_cpus_fast },
	{ "query-chardev", NULL, cmd_query_chardev },
	{ "__org.kvmini_query-exits", NULL, cmd_query_exits },
	{ "__org.kvmini_query-exit-stats", exit_stats_args, cmd_query_exit_stats },
	{ "__org.kvmini_query-devices", NULL, cmd_query_devices },
	{ "__org.kvmini_snapshot-save", snapshot_args, cmd_snapshot_save },
	{ "__org.kvmini_disk-snapshot-delete", disk_snapshot_delete_args, cmd_disk_snapshot_delete },
};

int mqmp_open(struct machine *m)
{
	if (!m->env || (!m->env->qmp_path && !m->env->qmp_extra))
		return 0;
	struct qmp_version ver = { 0, 1, 0, "kvmini " KVMINI_VERSION };
	int ret = qmp_commands_init(&m->cmds, &ver);
	for (size_t i = 0; !ret && i < sizeof(commands) / sizeof(commands[0]); i++)
		ret = qmp_register(&m->cmds, commands[i].name, commands[i].args, commands[i].fn, m);
	for (const struct mqmp_command *c = mqmp_block_commands; !ret && c->name; c++)
		ret = qmp_register(&m->cmds, c->name, c->args, c->fn, m);
	if (!ret)
		ret = mdisplay_qmp_register(&m->display, &m->cmds);
	if (!ret)
		ret = mmig_register(m);
	if (ret) {
		kv_err(ret, "QMP commands");
		qmp_commands_free(&m->cmds);
		return -1;
	}
	/* the named VM's socket, and --qmp PATH beside it (or alone) */
	const char *first = m->env->qmp_path ? m->env->qmp_path : m->env->qmp_extra;
	const char *failed = first;
	ret = control_open(&m->ctl, first, &m->cmds);
	if (!ret && m->env->qmp_path && m->env->qmp_extra)
		ret = control_listen(&m->ctl, failed = m->env->qmp_extra);
	if (ret) {
		kv_err(ret, "%s%s", failed == m->env->qmp_extra ? "--qmp " : "", failed);
		control_close(&m->ctl);
		qmp_commands_free(&m->cmds);
		return -1;
	}
	m->has_ctl = 1;
	return 0;
}

void mqmp_close(struct machine *m)
{
	if (!m->has_ctl)
		return;
	control_close(&m->ctl);
	qmp_commands_free(&m->cmds);
	m->has_ctl = 0;
}

void mqmp_watch(struct machine *m, int ep)
{
	if (m->has_ctl)
		control_watch(&m->ctl, ep);
}

int mqmp_handle(struct machine *m, int fd)
{
	if (!m->has_ctl || fd != control_fd(&m->ctl))
		return 0;
	control_handle(&m->ctl);
	return 1;
}
