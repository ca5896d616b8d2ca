// SPDX-License-Identifier: GPL-2.0-or-later
/* The verbs that drive a live VMM over QMP: shutdown (the power button, then wait for the VMM to
 * exit), reboot (CONTRACT8's sequence: the guest shuts down into a paused VM, which is reset and
 * resumed), destroy (quit, else SIGTERM then SIGKILL of the lock's holder), suspend, resume. Each
 * wait has a deadline, and a VMM that goes away meanwhile (another client destroyed it) ends the
 * verb with a clear line, never a hang. */
#include "tools/virsh.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

/* The live domain called name, with a negotiated connection: 0, or 1 after the reason was printed. */
static int open_live(const char *name, struct vdom *d, struct qmp_client *c)
{
	if (vdom_lookup(d, name) || vdom_require_live(d))
		return 1;
	int ret = qmpc_connect(c, d->qmp_path, VIRSH_QMP_TIMEOUT_MS);
	if (!ret)
		return 0;
	qmpc_close(c);
	vdom_refresh(d);
	if (!d->live) /* it stopped meanwhile */
		return vdom_require_live(d), 1;
	kv_err(ret, "%s: cannot talk to its VMM on %s", d->name, d->qmp_path);
	return 1;
}

/* Runs one command; prints the failure. 0 or -errno (-ECONNRESET: the VMM went away). */
static int run(struct vdom *d, struct qmp_client *c, const char *cmd, json_object *args)
{
	struct qmpc_error e;
	int ret = qmpc_execute(c, cmd, args, VIRSH_QMP_TIMEOUT_MS, NULL, &e);
	if (ret == -EREMOTEIO)
		kv_log("%s: %s: %s", d->name, cmd, e.desc);
	else if (ret == -ECONNRESET)
		kv_log("%s: the domain stopped before it took %s", d->name, cmd);
	else if (ret)
		kv_err(ret, "%s: %s", d->name, cmd);
	return ret;
}

static json_object *action(const char *key, const char *value)
{
	json_object *a = json_object_new_object();
	if (a)
		json_object_object_add(a, key, json_object_new_string(value));
	return a;
}

/* NAME [--timeout S]: 0 with the values, 1 after --help, 2 after a usage error. */
static int name_timeout_args(int argc, char **argv, const char **name, int *secs)
{
	static const struct option lo[] = { { "timeout", required_argument, NULL, 't' },
					    { "help", no_argument, NULL, 'h' },
					    { NULL, 0, NULL, 0 } };
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == 'h') {
			virsh_help(argv[0], stdout);
			return 1;
		}
		if (c != 't')
			return virsh_usage_error(argv[0], c == ':' ? "'%s' needs a value" : "unknown option '%s'",
						 argv[optind - 1]);
		char *end;
		errno = 0;
		long v = strtol(optarg, &end, 10);
		if (errno || end == optarg || *end || v <= 0 || v > INT_MAX / 1000)
			return virsh_usage_error(argv[0], "--timeout: '%s' is not a number of seconds", optarg);
		*secs = (int)v;
	}
	if (optind != argc - 1)
		return virsh_usage_error(argv[0], optind >= argc ? "NAME is missing" : "one NAME only");
	*name = argv[optind];
	return 0;
}

/* The verbs' common start: NAME (with --timeout S when secs is given), the domain live and
 * connected. -1 when ready, else the exit status. */
static int live_args(int argc, char **argv, struct vdom *d, struct qmp_client *c, int *secs, const char **name)
{
	int r = secs ? name_timeout_args(argc, argv, name, secs) : virsh_name_arg(argc, argv, name);
	if (r)
		return r == 1 ? 0 : r;
	return open_live(*name, d, c) ? 1 : -1;
}

int virsh_shutdown(int argc, char **argv)
{
	const char *name;
	int secs = -1;
	struct vdom d;
	struct qmp_client c;
	int r = live_args(argc, argv, &d, &c, &secs, &name);
	if (r >= 0)
		return r;
	long long deadline = secs < 0 ? -1 : qmpc_now_ms() + secs * 1000LL;
	r = run(&d, &c, "system_powerdown", NULL);
	if (r) {
		qmpc_close(&c);
		return 1;
	}
	printf("Domain '%s' is being shutdown\n\n", name);
	fflush(stdout);
	/* the VMM closes its socket as it exits, then its lock goes with the process */
	r = qmpc_wait_close(&c, qmpc_left_ms(deadline));
	qmpc_close(&c);
	if (!r)
		r = vdom_wait_gone(&d, qmpc_left_ms(deadline));
	if (r == -ETIMEDOUT) {
		kv_log("%s: still running after %d s: the guest did not power off (the domain is left running)",
		       name, secs);
		return 1;
	}
	if (r) {
		kv_err(r, "%s: waiting for the shutdown", name);
		return 1;
	}
	return 0;
}

int virsh_reboot(int argc, char **argv)
{
	const char *name;
	int secs = 300;
	struct vdom d;
	struct qmp_client c;
	int r = live_args(argc, argv, &d, &c, &secs, &name);
	if (r >= 0)
		return r;
	/* the guest's poweroff then pauses the VM instead of ending it (QEMU's -no-shutdown) */
	if ((r = run(&d, &c, "set-action", action("shutdown", "pause"))) ||
	    (r = run(&d, &c, "system_powerdown", NULL))) {
		if (r != -ECONNRESET)
			run(&d, &c, "set-action", action("shutdown", "poweroff"));
		qmpc_close(&c);
		return 1;
	}
	r = qmpc_wait_event(&c, "SHUTDOWN", secs * 1000, NULL);
	if (r) {
		if (r == -ETIMEDOUT) {
			kv_log("%s: the guest did not shut down within %d s (the domain is left running)", name, secs);
			run(&d, &c, "set-action", action("shutdown", "poweroff"));
		} else {
			kv_log("%s: the domain stopped during the reboot", name);
		}
		qmpc_close(&c);
		return 1;
	}
	r = run(&d, &c, "system_reset", NULL);
	if (!r)
		r = run(&d, &c, "cont", NULL);
	if (r != -ECONNRESET && run(&d, &c, "set-action", action("shutdown", "poweroff")) && !r)
		r = -EIO;
	qmpc_close(&c);
	if (r)
		return 1;
	printf("Domain '%s' is being rebooted\n\n", name);
	return 0;
}

/* SIGTERM, then SIGKILL, to the pid of N.pid while it holds the name's lock. 0 once gone. */
static int kill_holder(struct vdom *d)
{
	static const int sigs[] = { SIGTERM, SIGKILL };
	for (size_t i = 0; i < 2; i++) {
		vdom_refresh(d);
		if (!d->live)
			return 0;
		/* N.pid may be stale or gone: signal it only if that process holds the lock file */
		if (!d->pid || !vdom_pid_has_file(d->pid, d->lock_path))
			return vdom_wait_gone(d, 3000);
		if (kill(d->pid, sigs[i]) < 0 && errno != ESRCH)
			return -errno;
		if (!vdom_wait_gone(d, 3000)) {
			vdom_clean_stale(d); /* a killed VMM leaves its socket and files behind */
			return 0;
		}
	}
	return -ETIMEDOUT;
}

int vdom_destroy(struct vdom *d)
{
	struct qmp_client c;
	int r;
	if (qmpc_connect(&c, d->qmp_path, 2000) == 0) {
		r = qmpc_execute(&c, "quit", NULL, 2000, NULL, NULL);
		if (!r || r == -ECONNRESET) /* it may close before it answers */
			qmpc_wait_close(&c, 3000);
	}
	qmpc_close(&c);
	r = vdom_wait_gone(d, 3000);
	if (r)
		r = kill_holder(d);
	if (r)
		kv_err(r, "%s: its VMM (pid %d) does not stop", d->name, (int)d->pid);
	return r;
}

int virsh_destroy(int argc, char **argv)
{
	struct vdom d;
	int r = virsh_domain_arg(argc, argv, &d, 1);
	if (r >= 0)
		return r;
	const char *name = d.name;
	if (vdom_destroy(&d))
		return 1;
	printf("Domain '%s' destroyed\n\n", name);
	return 0;
}

/* suspend and resume: stop/cont, checked against the run state first */
static int pause_or_run(int argc, char **argv, int pause)
{
	const char *name;
	struct vdom d;
	struct qmp_client c;
	int r = live_args(argc, argv, &d, &c, NULL, &name);
	if (r >= 0)
		return r;
	char st[64];
	if ((r = vdom_qmp_status(&c, st, sizeof(st)))) {
		kv_err(r, "%s: query-status", name);
	} else if (!pause && strcmp(st, "paused")) {
		kv_log("%s: domain is not paused (it is %s)", name, vdom_state_name(st));
		r = -EINVAL;
	} else if (pause && strcmp(st, "running") && strcmp(st, "paused")) {
		kv_log("%s: domain is not running (it is %s)", name, vdom_state_name(st));
		r = -EINVAL;
	} else {
		r = run(&d, &c, pause ? "stop" : "cont", NULL);
	}
	qmpc_close(&c);
	if (r)
		return 1;
	printf("Domain '%s' %s\n\n", name, pause ? "suspended" : "resumed");
	return 0;
}

int virsh_suspend(int argc, char **argv)
{
	return pause_or_run(argc, argv, 1);
}

int virsh_resume(int argc, char **argv)
{
	return pause_or_run(argc, argv, 0);
}
