// SPDX-License-Identifier: GPL-2.0-or-later
/* virsh's snapshot verbs on kvmini's internal snapshots: snapshot-create, snapshot-create-as,
 * snapshot-list, snapshot-info, snapshot-revert, snapshot-delete. A snapshot of a live domain is
 * the VMM's save (memory and device state, __org.kvmini_snapshot-save) plus an internal qcow2
 * snapshot of the same name in each writable image, taken by the VMM while the guest is paused
 * and its images flushed, so the disks match the memory. A domain with a writable raw (or NBD)
 * disk is refused, as libvirt refuses internal snapshots of raw disks; there are no disk-only or
 * external snapshots. Revert stops the domain if it runs, applies each image's internal snapshot
 * and continues the saved guest (`kvmini run --restore`), running or paused as it was saved
 * unless --running or --paused says otherwise. Metadata: tools/virsh_snap.h. */
#include "tools/virsh_snap.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "devices/disk/qcow2.h"
#include "vmm/log.h"

#define SNAP_SAVE_TIMEOUT_MS (10 * 60 * 1000) /* several GiB of RAM to a slow disk */

struct snap_args {
	const char *dom, *snap, *file, *description;
	int current, running, paused;
};

/* NAME [SNAPNAME|XMLFILE] and the options verb allows ("dnCrp": --description, --name and
 * --snapshotname, --current, --running, --paused). 0, 1 after --help, 2 after a usage error. */
static int parse_args(int argc, char **argv, const char *allowed, struct snap_args *a)
{
	static const struct option lo[] = {
		{ "description", required_argument, NULL, 'd' }, { "name", required_argument, NULL, 'n' },
		{ "snapshotname", required_argument, NULL, 'n' }, { "current", no_argument, NULL, 'C' },
		{ "running", no_argument, NULL, 'r' },	     { "paused", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },	     { NULL, 0, NULL, 0 },
	};
	memset(a, 0, sizeof(*a));
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == 'h') {
			virsh_help(argv[0], stdout);
			return 1;
		}
		if (c == ':' || c == '?' || !strchr(allowed, c))
			return virsh_usage_error(argv[0], c == ':' ? "'%s' needs a value" : "unknown option '%s'",
						 argv[optind - 1]);
		if (c == 'd')
			a->description = optarg;
		else if (c == 'n')
			a->snap = optarg;
		else if (c == 'C')
			a->current = 1;
		else if (c == 'r')
			a->running = 1;
		else
			a->paused = 1;
	}
	int n = argc - optind;
	if (n < 1)
		return virsh_usage_error(argv[0], "the domain NAME is missing");
	a->dom = argv[optind];
	if (n > 2 || (n == 2 && a->snap))
		return virsh_usage_error(argv[0], "too many arguments");
	if (n == 2)
		a->snap = argv[optind + 1];
	if (a->running && a->paused)
		return virsh_usage_error(argv[0], "--running and --paused are mutually exclusive");
	return 0;
}

/* The domain a verb names: defined, live, or a transient one that is gone but left snapshots
 * (they can still be listed, reverted to and deleted). 0, or 1 after the reason. */
static int find_domain(struct vdom *v, struct snapstore *s, const char *name)
{
	if (vdom_init(v, name) || snapstore_open(s, v->name))
		return 1;
	struct snap_def *all;
	unsigned n = 0;
	if (!v->defined && !v->live && (snapstore_list(s, &all, &n) || (snapstore_free_all(all, n), !n))) {
		kv_log("%s: no such domain", name);
		return 1;
	}
	return 0;
}

/* The snapshot a verb names: SNAPNAME, or the current one with --current. */
static int named_snap(struct snap_args *a, const struct snapstore *s, char *cur, const char *verb)
{
	snapstore_current(s, cur);
	if (a->snap && a->current)
		return virsh_usage_error(verb, "a snapshot name and --current are mutually exclusive");
	if (a->current || (!a->snap && !strcmp(verb, "snapshot-info"))) {
		if (!cur[0]) {
			kv_log("%s: the domain has no current snapshot", a->dom);
			return 1;
		}
		a->snap = cur;
	}
	if (!a->snap)
		return virsh_usage_error(verb, "the snapshot name is missing");
	return 0;
}

/* Takes snapshot d (its name chosen) of the live domain v: the VMM's save into the snapshot's
 * directory with internal image snapshots, then the definition. 0, or 1 after the reason. */
static int take(struct vdom *v, const struct snapstore *s, struct snap_def *d)
{
	char dir[VIRSH_PATH], st[64];
	snapstore_path(s, d->name, NULL, dir);
	if (mkdir(dir, 0700) < 0) {
		if (errno == EEXIST)
			kv_log("%s: operation failed: domain snapshot '%s' already exists", v->name, d->name);
		else
			kv_err(-errno, "%s", dir);
		return 1;
	}
	struct qmp_client c;
	json_object *ret = NULL;
	int r = vdom_connect(v, &c, VIRSH_QMP_TIMEOUT_MS);
	if (!r && (r = vdom_qmp_status(&c, st, sizeof(st))))
		kv_err(r, "%s: query-status", v->name);
	if (!r && strcmp(st, "running") && strcmp(st, "paused")) {
		kv_log("%s: domain is not running (it is %s)", v->name, vdom_state_name(st));
		r = -EINVAL;
	}
	if (!r) {
		json_object *args = json_object_new_object();
		json_object_object_add(args, "dir", json_object_new_string(dir));
		json_object_object_add(args, "internal", json_object_new_string(d->name));
		struct qmpc_error e;
		r = qmpc_execute(&c, "__org.kvmini_snapshot-save", args, SNAP_SAVE_TIMEOUT_MS, &ret, &e);
		if (r == -EREMOTEIO)
			kv_log("%s: %s", v->name, e.desc);
		else if (r)
			kv_err(r, "%s: snapshot", v->name);
	}
	qmpc_close(&c);
	json_object *disks;
	if (!r && ret && json_object_object_get_ex(ret, "disks", &disks)) {
		size_t n = json_object_array_length(disks);
		for (size_t i = 0; i < n && d->ndisks < SNAPDEF_MAX_DISKS; i++)
			if (!(d->disks[d->ndisks++] = strdup(json_object_get_string(json_object_array_get_idx(disks, i)))))
				r = -ENOMEM;
	}
	json_object_put(ret);
	if (!r) {
		snprintf(d->state, sizeof(d->state), "%.15s", st);
		snapstore_current(s, d->parent);
		d->creation = (int64_t)time(NULL);
		r = snapstore_write(s, d);
	}
	if (!r)
		r = snapstore_set_current(s, d->name);
	if (r) {
		snapstore_remove(s, d->name); /* the images' snapshots stay only with a complete save */
		return 1;
	}
	printf("Domain snapshot %s created\n", d->name);
	return 0;
}

/* the shared part of snapshot-create and snapshot-create-as */
static int create(const char *dom, struct snap_def *d)
{
	struct vdom v;
	struct snapstore s;
	if (find_domain(&v, &s, dom))
		return 1;
	if (!v.live) {
		/* kvmini's snapshots hold the guest's memory: there is none to save */
		kv_log("%s: domain is not running (kvmini snapshots a live domain's memory and disks)", v.name);
		return 1;
	}
	if (!d->name[0]) /* libvirt's default name: the creation time */
		snprintf(d->name, sizeof(d->name), "%lld", (long long)time(NULL));
	return take(&v, &s, d);
}

int virsh_snapshot_create(int argc, char **argv)
{
	struct snap_args a;
	int r = parse_args(argc, argv, "", &a);
	if (r)
		return r == 1 ? 0 : r;
	struct snap_def d;
	memset(&d, 0, sizeof(d));
	if (a.snap) { /* the second argument is the XML file */
		char *buf, err[300];
		size_t len;
		if ((r = text_read_file(a.snap, 1 << 20, &buf, &len))) {
			kv_err(r, "%s", a.snap);
			return 1;
		}
		r = snapdef_parse(buf, len, &d, err, sizeof(err));
		free(buf);
		if (r) {
			kv_log("%s: %s", a.snap, err);
			return 1;
		}
		d.ndisks = 0; /* the VMM says which images it snapshotted */
		for (unsigned i = 0; i < SNAPDEF_MAX_DISKS; i++) {
			free(d.disks[i]);
			d.disks[i] = NULL;
		}
		d.parent[0] = d.state[0] = 0;
	}
	r = create(a.dom, &d);
	snapdef_free(&d);
	return r;
}

int virsh_snapshot_create_as(int argc, char **argv)
{
	struct snap_args a;
	int r = parse_args(argc, argv, "dn", &a);
	if (r)
		return r == 1 ? 0 : r;
	struct snap_def d;
	memset(&d, 0, sizeof(d));
	const char *why;
	if (a.snap && kv_name_check(a.snap, &why) < 0)
		return virsh_usage_error(argv[0], "snapshot name '%s': %s", a.snap, why);
	if (a.snap)
		snprintf(d.name, sizeof(d.name), "%s", a.snap);
	if (a.description && !(d.description = strdup(a.description)))
		return 1;
	r = create(a.dom, &d);
	snapdef_free(&d);
	return r;
}

int virsh_snapshot_list(int argc, char **argv)
{
	struct snap_args a;
	int r = parse_args(argc, argv, "", &a);
	if (r)
		return r == 1 ? 0 : r;
	if (a.snap)
		return virsh_usage_error(argv[0], "one domain NAME only");
	struct vdom v;
	struct snapstore s;
	struct snap_def *all;
	unsigned n;
	if (find_domain(&v, &s, a.dom) || snapstore_list(&s, &all, &n))
		return 1;
	const char **cells = calloc((n + 1) * 3, sizeof(*cells));
	char(*when)[40] = calloc(n + 1, sizeof(*when));
	if (!cells || !when) {
		free(cells);
		free(when);
		snapstore_free_all(all, n);
		return 1;
	}
	cells[0] = "Name";
	cells[1] = "Creation Time";
	cells[2] = "State";
	for (unsigned i = 0; i < n; i++) {
		time_t t = (time_t)all[i].creation;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(when[i], sizeof(when[i]), "%Y-%m-%d %H:%M:%S %z", &tm);
		cells[3 * (i + 1)] = all[i].name;
		cells[3 * (i + 1) + 1] = when[i];
		cells[3 * (i + 1) + 2] = all[i].state[0] ? all[i].state : "running";
	}
	virsh_print_table(stdout, cells, n + 1, 3);
	printf("\n");
	free(cells);
	free(when);
	snapstore_free_all(all, n);
	return 0;
}

/* What info, revert and delete share: their arguments, the domain, the snapshot's definition. */
struct snap_cmd {
	struct snap_args a;
	struct vdom v;
	struct snapstore s;
	char cur[KV_NAME_MAX + 1];
	struct snap_def d;
};

/* -1 with c ready (c->d to free), else the verb's exit status */
static int snap_cmd_open(struct snap_cmd *c, int argc, char **argv, const char *allowed)
{
	int r = parse_args(argc, argv, allowed, &c->a);
	if (r)
		return r == 1 ? 0 : r;
	if (find_domain(&c->v, &c->s, c->a.dom))
		return 1;
	if ((r = named_snap(&c->a, &c->s, c->cur, argv[0])))
		return r;
	return snapstore_read(&c->s, c->a.snap, &c->d) ? 1 : -1;
}

/* Children (direct) and descendants of snap among all[0..n). */
static void family(const struct snap_def *all, unsigned n, const char *snap, unsigned *children, unsigned *desc)
{
	for (unsigned i = 0; i < n; i++) {
		if (strcmp(all[i].parent, snap))
			continue;
		unsigned c, d;
		(*children)++;
		c = d = 0;
		family(all, n, all[i].name, &c, &d);
		*desc += 1 + d;
	}
}

int virsh_snapshot_info(int argc, char **argv)
{
	struct snap_cmd c;
	int r = snap_cmd_open(&c, argc, argv, "nC");
	if (r >= 0)
		return r;
	struct snap_def *all;
	unsigned n;
	if (snapstore_list(&c.s, &all, &n)) {
		snapdef_free(&c.d);
		return 1;
	}
	unsigned children = 0, desc = 0;
	family(all, n, c.d.name, &children, &desc);
	printf("%-15s %s\n", "Name:", c.d.name);
	printf("%-15s %s\n", "Domain:", c.v.name);
	printf("%-15s %s\n", "Current:", strcmp(c.cur, c.d.name) ? "no" : "yes");
	printf("%-15s %s\n", "State:", c.d.state[0] ? c.d.state : "running");
	printf("%-15s %s\n", "Location:", "internal");
	printf("%-15s %s\n", "Parent:", c.d.parent[0] ? c.d.parent : "-");
	printf("%-15s %u\n", "Children:", children);
	printf("%-15s %u\n", "Descendants:", desc);
	printf("%-15s %s\n\n", "Metadata:", "yes");
	snapdef_free(&c.d);
	snapstore_free_all(all, n);
	return 0;
}

/* Applies (or deletes) the internal snapshot name in each image of d, opened here (the domain is
 * not running). 0, or -errno after a line naming the image. */
static int images_do(const char *dom, const struct snap_def *d, int apply)
{
	for (unsigned i = 0; i < d->ndisks; i++) {
		struct disk_opts o = { .format = DISK_FMT_QCOW2 };
		struct disk *k;
		const char *why = NULL;
		int r = d->disks[i][0] == '/' ? disk_open(&k, d->disks[i], &o, &why) : -EINVAL;
		if (!r) {
			r = apply ? qcow2_snapshot_apply(k, d->name) : qcow2_snapshot_delete(k, d->name);
			disk_close(k);
			if (r == -ENOENT && !apply)
				r = 0; /* gone already: what delete wants */
			why = r == -ENOENT ? "the image has no internal snapshot of that name" : NULL;
		}
		if (r) {
			kv_log("%s: %s: internal snapshot %s: %s", dom, d->disks[i], d->name, why ? why : strerror(-r));
			return r;
		}
	}
	return 0;
}

int virsh_snapshot_revert(int argc, char **argv)
{
	struct snap_cmd c;
	int r = snap_cmd_open(&c, argc, argv, "nCrp");
	if (r >= 0)
		return r;
	char dir[VIRSH_PATH];
	r = 0;
	int paused = c.a.paused || (!c.a.running && !strcmp(c.d.state, "paused"));
	/* the domain as it is now goes: libvirt's revert discards it too */
	if (c.v.live && vdom_destroy(&c.v))
		r = 1;
	if (!r && images_do(c.v.name, &c.d, 1))
		r = 1;
	snapstore_path(&c.s, c.d.name, NULL, dir);
	char *av[12];
	int k = 0;
	av[k++] = "kvmini";
	av[k++] = "run";
	av[k++] = "--restore";
	av[k++] = dir;
	av[k++] = "--name";
	av[k++] = c.v.name;
	if (c.v.defined) {
		av[k++] = "--definition";
		av[k++] = c.v.def_path;
	}
	if (paused)
		av[k++] = "--paused";
	av[k++] = "--daemonize";
	av[k] = NULL;
	if (!r && (r = virsh_run_vmm(av)) < 0)
		kv_err(r, "%s: cannot run its VMM", c.v.name);
	if (!r)
		r = snapstore_set_current(&c.s, c.d.name);
	snapdef_free(&c.d);
	return r ? 1 : 0; /* virsh says nothing when it worked */
}

int virsh_snapshot_delete(int argc, char **argv)
{
	struct snap_cmd c;
	int r = snap_cmd_open(&c, argc, argv, "nC");
	if (r >= 0)
		return r;
	struct snap_def *all;
	unsigned n;
	if (c.v.live) { /* its images are open (and locked) in the VMM: it deletes the snapshots */
		struct qmp_client q;
		json_object *args = json_object_new_object();
		json_object_object_add(args, "name", json_object_new_string(c.d.name));
		struct qmpc_error e;
		if ((r = vdom_connect(&c.v, &q, VIRSH_QMP_TIMEOUT_MS)) == 0) {
			r = qmpc_execute(&q, "__org.kvmini_disk-snapshot-delete", args, SNAP_SAVE_TIMEOUT_MS, NULL, &e);
			args = NULL;
			if (r == -EREMOTEIO)
				kv_log("%s: %s", c.v.name, e.desc);
			else if (r)
				kv_err(r, "%s: snapshot-delete", c.v.name);
		}
		json_object_put(args);
		qmpc_close(&q);
	} else {
		r = images_do(c.v.name, &c.d, 0);
	}
	/* children hang from this one's parent now, and the current snapshot moves up, as libvirt's */
	if (!r && !snapstore_list(&c.s, &all, &n)) {
		for (unsigned i = 0; i < n && !r; i++)
			if (!strcmp(all[i].parent, c.d.name)) {
				strcpy(all[i].parent, c.d.parent);
				r = snapstore_write(&c.s, &all[i]);
			}
		snapstore_free_all(all, n);
	}
	if (!r && !strcmp(c.cur, c.d.name))
		r = snapstore_set_current(&c.s, c.d.parent);
	if (!r)
		r = snapstore_remove(&c.s, c.d.name);
	if (!r)
		printf("Domain snapshot %s deleted\n", c.d.name);
	snapdef_free(&c.d);
	return r ? 1 : 0;
}
