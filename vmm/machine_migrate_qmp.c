// SPDX-License-Identifier: GPL-2.0-or-later
/* The migration's QMP commands (QEMU's names and units): migrate {uri}, query-migrate,
 * migrate-set-parameters / query-migrate-parameters {downtime-limit (ms), max-bandwidth
 * (bytes/s)}, migrate_cancel, migrate-incoming {uri} (after `--incoming defer`). migrate takes
 * kvmini's "__org.kvmini_offline": stop the guest first and send everything once (cold
 * migration); the guest then runs on the target. */
#include "machine_mig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static int64_t arg_int(json_object *args, const char *key, int64_t dflt)
{
	json_object *v;
	return json_object_object_get_ex(args, key, &v) ? json_object_get_int64(v) : dflt;
}

static void cmd_migrate(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	struct machine_mig *g = m->mig;
	json_object *v;
	json_object_object_get_ex(args, "uri", &v);
	const char *uri = json_object_get_string(v);
	int offline = 0;
	if (json_object_object_get_ex(args, "__org.kvmini_offline", &v))
		offline = json_object_get_boolean(v);
	if (g->src.started) {
		qmp_error(r, QMP_ERR_GENERIC, "There's a migration process in progress");
		return;
	}
	if (m->state == RS_INMIGRATE || m->state == RS_SHUTDOWN || m->host_req != HOST_NONE) {
		qmp_error(r, QMP_ERR_GENERIC, "the guest is %s", m->state == RS_INMIGRATE ? "still coming in" : "stopping");
		return;
	}
	if (m->o->rootfs_share) { /* the board carries neither the root share nor its initramfs */
		qmp_error(r, QMP_ERR_GENERIC, "a VM run with --rootfs-share cannot migrate");
		return;
	}
	struct mig_src_cfg cfg = {
		.vm_fd = m->vm.fd,
		.mem = &m->vm.mem,
		.firmware = m->fw.on,
		.offline = offline || m->state != RS_RUNNING,
		.run_on_target = offline || m->state == RS_RUNNING,
		.downtime_ms = g->downtime_ms,
		.bandwidth = g->bandwidth,
	};
	const char *why = NULL;
	if (mig_parse_uri(uri, cfg.host, sizeof(cfg.host), cfg.port, sizeof(cfg.port), &why)) {
		qmp_error(r, QMP_ERR_GENERIC, "%.64s: %s", uri, why);
		return;
	}
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, SNAP_MACHINE_ID, 0, SNAP_MACHINE_VERSION); /* the payload is cut out below */
	int ret = msnap_board(m, &w);
	size_t len;
	const uint8_t *p = state_writer_data(&w, &len);
	size_t hdr = STATE_HEADER_SIZE + 1 + strlen(SNAP_MACHINE_ID) + 16;
	cfg.board = p + hdr;
	cfg.board_len = len - hdr;
	struct mig_src_ops ops = { .stop = mmig_src_stop, .wake = mmig_wake, .opaque = m };
	if (!ret)
		ret = mig_src_start(&g->src, &cfg, &ops);
	state_writer_free(&w);
	if (ret) {
		qmp_error(r, QMP_ERR_GENERIC, "cannot start the migration: %s", strerror(-ret));
		return;
	}
	snprintf(g->uri, sizeof(g->uri), "%s", uri);
	g->said = MIG_NONE;
	mmig_event(m, MIG_SETUP);
	kv_log("migrating to %s (%s)", uri, cfg.offline ? "offline: the guest is stopped" : "live");
}

static void cmd_migrate_cancel(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	if (m->mig->src.started)
		mig_src_cancel(&m->mig->src);
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void cmd_query_migrate(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	struct machine_mig *g = m->mig;
	json_object *o = json_object_new_object();
	if (m->state == RS_INMIGRATE || g->dst.started) {
		json_object_object_add(o, "status", json_object_new_string(g->dst.started ? "active" : "setup"));
		qmp_return(r, o);
		return;
	}
	struct mig_stats st;
	mig_src_stats(&g->src, &st);
	if (st.status == MIG_NONE) {
		qmp_return(r, o); /* as QEMU: {} before any migration */
		return;
	}
	int end = st.status == MIG_COMPLETED || st.status == MIG_FAILED || st.status == MIG_CANCELLED;
	json_object_object_add(o, "status", json_object_new_string(mig_status_name(st.status)));
	add_u64(o, "total-time", st.total_time_ms);
	add_u64(o, "setup-time", st.setup_time_ms);
	if (st.status == MIG_COMPLETED)
		add_u64(o, "downtime", st.downtime_ms);
	else if (!end)
		add_u64(o, "expected-downtime", st.expected_downtime_ms);
	if (st.error[0] && (st.status == MIG_FAILED || st.status == MIG_CANCELLED))
		json_object_object_add(o, "error-desc", json_object_new_string(st.error));
	json_object *ram = json_object_new_object();
	add_u64(ram, "transferred", st.transferred);
	add_u64(ram, "remaining", st.remaining);
	add_u64(ram, "total", st.total);
	add_u64(ram, "duplicate", st.duplicate);
	add_u64(ram, "normal", st.normal);
	add_u64(ram, "normal-bytes", st.normal * SNAP_PAGE);
	add_u64(ram, "dirty-sync-count", st.dirty_sync_count);
	add_u64(ram, "page-size", SNAP_PAGE);
	json_object_object_add(ram, "mbps", json_object_new_double(st.mbps));
	json_object_object_add(o, "ram", ram);
	qmp_return(r, o);
}

static void cmd_set_params(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	struct machine_mig *g = m->mig;
	int64_t dl = arg_int(args, "downtime-limit", (int64_t)g->downtime_ms);
	int64_t bw = arg_int(args, "max-bandwidth", (int64_t)g->bandwidth);
	if (dl < 0 || dl > 2000000) {
		qmp_error(r, QMP_ERR_GENERIC, "Parameter 'downtime_limit' expects an integer in the range of 0 to 2000000 milliseconds");
		return;
	}
	if (bw < 0) {
		qmp_error(r, QMP_ERR_GENERIC, "Parameter 'max_bandwidth' expects an integer in the range of 0 to 2^64-1 bytes/second");
		return;
	}
	g->downtime_ms = (uint64_t)dl;
	g->bandwidth = (uint64_t)bw;
	if (g->src.started) { /* a running migration takes them from its next step */
		atomic_store(&g->src.downtime_ms, g->downtime_ms);
		atomic_store(&g->src.bandwidth, g->bandwidth);
	}
}

static void cmd_query_params(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	json_object *o = json_object_new_object();
	add_u64(o, "downtime-limit", m->mig->downtime_ms);
	add_u64(o, "max-bandwidth", m->mig->bandwidth);
	qmp_return(r, o);
}

static void cmd_migrate_incoming(void *opaque, json_object *args, struct qmp_result *r)
{
	struct machine *m = opaque;
	struct machine_mig *g = m->mig;
	json_object *v;
	json_object_object_get_ex(args, "uri", &v);
	const char *uri = json_object_get_string(v);
	if (m->state != RS_INMIGRATE || g->dst.started || g->lfd >= 0) {
		qmp_error(r, QMP_ERR_GENERIC, "The incoming migration has already been started (or -incoming defer was not given)");
		return;
	}
	char why[300];
	if (mig_listen(uri, &g->lfd, why, sizeof(why))) {
		qmp_error(r, QMP_ERR_GENERIC, "%.64s: %s", uri, why);
		return;
	}
	snprintf(g->uri, sizeof(g->uri), "%s", uri);
	if (mmig_start_incoming(m))
		qmp_error(r, QMP_ERR_GENERIC, "cannot start the incoming migration");
}

static const struct qmp_arg migrate_args[] = {
	{ "uri", json_type_string, 0 },
	{ "detach", json_type_boolean, 1 },
	{ "__org.kvmini_offline", json_type_boolean, 1 },
	{ NULL, 0, 0 },
};
static const struct qmp_arg uri_args[] = {
	{ "uri", json_type_string, 0 },
	{ NULL, 0, 0 },
};
static const struct qmp_arg param_args[] = {
	{ "downtime-limit", json_type_int, 1 },
	{ "max-bandwidth", json_type_int, 1 },
	{ NULL, 0, 0 },
};

int mmig_register(struct machine *m)
{
	static const struct {
		const char *name;
		const struct qmp_arg *args;
		qmp_handler fn;
	} cmds[] = {
		{ "migrate", migrate_args, cmd_migrate },
		{ "migrate_cancel", NULL, cmd_migrate_cancel },
		{ "query-migrate", NULL, cmd_query_migrate },
		{ "migrate-set-parameters", param_args, cmd_set_params },
		{ "query-migrate-parameters", NULL, cmd_query_params },
		{ "migrate-incoming", uri_args, cmd_migrate_incoming },
	};
	int ret = 0;
	for (size_t i = 0; !ret && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		ret = qmp_register(&m->cmds, cmds[i].name, cmds[i].args, cmds[i].fn, m);
	return ret;
}
