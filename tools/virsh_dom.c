// SPDX-License-Identifier: GPL-2.0-or-later
/* Finding a domain for the virsh-like verbs: its files, whether its VMM is live (the flock on
 * <rundir>/N.lock, as CONTRACT8 says), the VMM's pid and run state, waiting for it to go, and the
 * atomic file writes that keep a definition whole. */
#include "tools/virsh.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/log.h"

int vdom_lock_held(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	/* a shared try-lock held for an instant: it fails only while the VMM holds its exclusive one */
	int held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

int vdom_pid_has_file(pid_t pid, const char *path)
{
	struct stat want, st;
	char dir[64], fdp[352];
	if (pid <= 0 || stat(path, &want) < 0)
		return 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int found = 0;
	for (struct dirent *e; !found && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(fdp, sizeof(fdp), "%s/%s", dir, e->d_name);
		found = stat(fdp, &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino;
	}
	closedir(d);
	return found;
}

static pid_t read_pid(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *end;
	long v = strtol(buf, &end, 10);
	return v > 0 && v < (1L << 22) && (*end == 0 || *end == '\n') ? (pid_t)v : 0;
}

void vdom_refresh(struct vdom *d)
{
	d->defined = access(d->def_path, F_OK) == 0;
	d->live = vdom_lock_held(d->lock_path);
	d->pid = d->live ? read_pid(d->pid_path) : 0;
}

int vdom_init(struct vdom *d, const char *name)
{
	const char *why = NULL;
	memset(d, 0, sizeof(*d));
	int ret = kv_name_check(name, &why);
	if (ret) {
		kv_log("%s: %s", name, why);
		return ret;
	}
	strcpy(d->name, name);
	if ((ret = kv_runtime_dir(d->rundir, sizeof(d->rundir), &why))) {
		kv_err(ret, "runtime directory: %s", why ? why : "unusable");
		return ret;
	}
	if ((ret = kv_config_subdir(d->domdir, sizeof(d->domdir), "domains", &why))) {
		kv_err(ret, "config directory: %s", why ? why : "unusable");
		return ret;
	}
	if ((ret = kv_path_join(d->def_path, VIRSH_PATH, d->domdir, name, ".xml")) ||
	    (ret = kv_path_join(d->live_xml, VIRSH_PATH, d->rundir, name, ".xml")) ||
	    (ret = kv_path_join(d->lock_path, VIRSH_PATH, d->rundir, name, ".lock")) ||
	    (ret = kv_path_join(d->pid_path, VIRSH_PATH, d->rundir, name, ".pid")) ||
	    (ret = kv_path_join(d->qmp_path, VIRSH_PATH, d->rundir, name, ".qmp"))) {
		kv_err(ret, "%s", name);
		return ret;
	}
	vdom_refresh(d);
	return 0;
}

int vdom_lookup(struct vdom *d, const char *name)
{
	int ret = vdom_init(d, name);
	if (ret)
		return ret;
	if (!d->defined && !d->live) {
		kv_log("%s: no such domain", name);
		return -ENOENT;
	}
	return 0;
}

const char *vdom_xml(const struct vdom *d)
{
	if (d->live && access(d->live_xml, F_OK) == 0)
		return d->live_xml;
	if (d->defined)
		return d->def_path;
	kv_log("%s: the domain was started without a definition: no XML", d->name);
	return NULL;
}

int vdom_require_live(const struct vdom *d)
{
	if (d->live)
		return 0;
	kv_log("%s: domain is not running", d->name);
	return -ESRCH;
}

int vdom_connect(const struct vdom *d, struct qmp_client *c, int timeout_ms)
{
	int ret = qmpc_connect(c, d->qmp_path, timeout_ms);
	if (ret) {
		qmpc_close(c);
		kv_err(ret, "%s: cannot talk to its VMM on %s", d->name, d->qmp_path);
	}
	return ret;
}

int vdom_qmp_status(struct qmp_client *c, char *buf, size_t len)
{
	json_object *ret = NULL, *st = NULL;
	int r = qmpc_execute(c, "query-status", NULL, VIRSH_QMP_TIMEOUT_MS, &ret, NULL);
	if (!r && (!json_object_object_get_ex(ret, "status", &st) || !json_object_is_type(st, json_type_string)))
		r = -EPROTO;
	if (!r)
		snprintf(buf, len, "%s", json_object_get_string(st));
	json_object_put(ret);
	return r;
}

const char *vdom_state_name(const char *s)
{
	static const char *const map[][2] = {
		{ "running", "running" },	    { "paused", "paused" },
		{ "suspended", "pmsuspended" },	    { "shutdown", "in shutdown" },
		{ "internal-error", "crashed" },    { "guest-panicked", "crashed" },
		{ "io-error", "paused" },	    { "prelaunch", "paused" },
		{ "finish-migrate", "paused" },	    { "inmigrate", "paused" },
		{ "postmigrate", "paused" },	    { "restore-vm", "paused" },
		{ "save-vm", "paused" },	    { "watchdog", "paused" },
		{ "debug", "paused" },		    { "colo", "paused" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(s, map[i][0]))
			return map[i][1];
	return "no state";
}

const char *vdom_state(const struct vdom *d)
{
	if (!d->live)
		return "shut off";
	struct qmp_client c;
	char st[64];
	const char *name = "no state";
	/* a short wait: list must not hang on one VMM that does not answer */
	if (!qmpc_connect(&c, d->qmp_path, 2000) && !vdom_qmp_status(&c, st, sizeof(st)))
		name = vdom_state_name(st);
	qmpc_close(&c);
	return name;
}

int vdom_wait_gone(struct vdom *d, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : qmpc_now_ms() + timeout_ms;
	while (vdom_lock_held(d->lock_path)) {
		if (qmpc_left_ms(deadline) == 0)
			return -ETIMEDOUT;
		usleep(20 * 1000);
	}
	vdom_refresh(d);
	return 0;
}

void vdom_clean_stale(const struct vdom *d)
{
	int fd = open(d->lock_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	/* with the lock no VMM of this name can start meanwhile, so its files are not pulled away */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		unlink(d->qmp_path);
		unlink(d->pid_path);
		unlink(d->live_xml);
	}
	close(fd);
}


void virsh_uuid_str(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
		 u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}
