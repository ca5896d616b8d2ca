// SPDX-License-Identifier: GPL-2.0-or-later
/* The virsh verbs that talk to a live VMM, run in the test process against a fake VMM: the real
 * control server (vmm/control.c + vmm/qmp.c) on <rundir>/vm1.qmp, served by a thread, with QMP
 * commands that act on a pretend run state, and the name's lock held as CONTRACT8's VMM holds it.
 * Checked: list/domstate output and exit codes, suspend/resume, shutdown waiting for the exit or
 * giving up at --timeout with the VM left running, reboot's exact command sequence, destroy by quit
 * and by signal when the VMM does not answer (then its files are cleaned), usage errors, and console
 * relaying both ways until Ctrl-]. */
#include "unit.h"
#include "tools/virsh.h"
#include "vmm/control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static char top[64], run[128], cfg[128];

/* the fake VMM */
struct fakevm {
	char qmp[200], lock[200], pid[200];
	struct qmp_commands cmds;
	struct control ctl;
	int lockfd, stop[2];
	pthread_t thr;
	int started;
	pthread_mutex_t mu;
	char log[1024]; /* the commands that ran, space-separated */
	char status[32];
	char on_shutdown[16]; /* set-action shutdown=: "poweroff" or "pause" */
	int guest_acpi; /* the guest reacts to the power button */
	char pty[64]; /* query-chardev's serial0 */
	atomic_int button, exiting;
};

static struct fakevm vm;

static void logc(const char *s)
{
	pthread_mutex_lock(&vm.mu);
	strncat(vm.log, s, sizeof(vm.log) - strlen(vm.log) - 2);
	strcat(vm.log, " ");
	pthread_mutex_unlock(&vm.mu);
}

static void h_status(void *o, json_object *a, struct qmp_result *r)
{
	json_object *s = json_object_new_object();
	json_object_object_add(s, "running", json_object_new_boolean(!strcmp(vm.status, "running")));
	json_object_object_add(s, "singlestep", json_object_new_boolean(0));
	json_object_object_add(s, "status", json_object_new_string(vm.status));
	qmp_return(r, s);
}

static void h_stop(void *o, json_object *a, struct qmp_result *r)
{
	logc("stop");
	strcpy(vm.status, "paused");
}

static void h_cont(void *o, json_object *a, struct qmp_result *r)
{
	logc("cont");
	strcpy(vm.status, "running");
}

static void h_powerdown(void *o, json_object *a, struct qmp_result *r)
{
	logc("system_powerdown");
	if (vm.guest_acpi)
		vm.button = 1; /* the guest powers off a little later, from the main loop */
}

static void h_reset(void *o, json_object *a, struct qmp_result *r)
{
	logc("system_reset");
	if (strcmp(vm.status, "running"))
		strcpy(vm.status, "paused");
}

static void h_quit(void *o, json_object *a, struct qmp_result *r)
{
	logc("quit");
	vm.exiting = 1;
}

static void h_action(void *o, json_object *a, struct qmp_result *r)
{
	json_object *v = NULL;
	char s[64];
	if (json_object_object_get_ex(a, "shutdown", &v)) {
		snprintf(vm.on_shutdown, sizeof(vm.on_shutdown), "%s", json_object_get_string(v));
		snprintf(s, sizeof(s), "set-action(shutdown=%s)", vm.on_shutdown);
		logc(s);
	}
}

static void h_chardev(void *o, json_object *a, struct qmp_result *r)
{
	json_object *l = json_object_new_array(), *c = json_object_new_object();
	char f[80];
	snprintf(f, sizeof(f), "pty:%s", vm.pty);
	json_object_object_add(c, "label", json_object_new_string("serial0"));
	json_object_object_add(c, "filename", json_object_new_string(f));
	json_object_object_add(c, "frontend-open", json_object_new_boolean(1));
	json_object_array_add(l, c);
	qmp_return(r, l);
}

static const struct qmp_arg action_args[] = { { "shutdown", json_type_string, 1 },
					      { "reboot", json_type_string, 1 },
					      { NULL, 0, 0 } };

/* what the VMM does at exit: socket, pid file, then the lock with the process */
static void vm_exit(void)
{
	control_close(&vm.ctl);
	unlink(vm.pid);
	close(vm.lockfd);
	vm.lockfd = -1;
}

static void *serve(void *arg)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = control_fd(&vm.ctl), .events = POLLIN }, { .fd = vm.stop[0], .events = POLLIN } };
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			break;
		control_handle(&vm.ctl);
		if (vm.button) {
			vm.button = 0;
			control_event(&vm.ctl, "POWERDOWN", NULL);
			json_object *d = json_object_new_object();
			json_object_object_add(d, "guest", json_object_new_boolean(1));
			json_object_object_add(d, "reason", json_object_new_string("guest-shutdown"));
			control_event(&vm.ctl, "SHUTDOWN", d);
			if (!strcmp(vm.on_shutdown, "pause"))
				strcpy(vm.status, "shutdown");
			else
				vm.exiting = 1;
		}
		if (vm.exiting)
			break;
	}
	if (vm.lockfd >= 0)
		vm_exit();
	return NULL;
}

static void vm_start(void)
{
	memset(&vm, 0, sizeof(vm));
	pthread_mutex_init(&vm.mu, NULL);
	snprintf(vm.qmp, sizeof(vm.qmp), "%s/vm1.qmp", run);
	snprintf(vm.lock, sizeof(vm.lock), "%s/vm1.lock", run);
	snprintf(vm.pid, sizeof(vm.pid), "%s/vm1.pid", run);
	strcpy(vm.status, "running");
	strcpy(vm.on_shutdown, "poweroff");
	vm.guest_acpi = 1;
	vm.lockfd = open(vm.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(vm.lockfd, 0);
	ck_assert_int_eq(flock(vm.lockfd, LOCK_EX | LOCK_NB), 0);
	FILE *f = fopen(vm.pid, "w");
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	struct qmp_version v = { 7, 2, 0, "fake" };
	ck_assert_int_eq(qmp_commands_init(&vm.cmds, &v), 0);
	qmp_register(&vm.cmds, "query-status", NULL, h_status, NULL);
	qmp_register(&vm.cmds, "stop", NULL, h_stop, NULL);
	qmp_register(&vm.cmds, "cont", NULL, h_cont, NULL);
	qmp_register(&vm.cmds, "system_powerdown", NULL, h_powerdown, NULL);
	qmp_register(&vm.cmds, "system_reset", NULL, h_reset, NULL);
	qmp_register(&vm.cmds, "quit", NULL, h_quit, NULL);
	qmp_register(&vm.cmds, "set-action", action_args, h_action, NULL);
	qmp_register(&vm.cmds, "query-chardev", NULL, h_chardev, NULL);
	ck_assert_int_eq(control_open(&vm.ctl, vm.qmp, &vm.cmds), 0);
	ck_assert_int_eq(pipe(vm.stop), 0);
	ck_assert_int_eq(pthread_create(&vm.thr, NULL, serve, NULL), 0);
	vm.started = 1;
}

static void setup(void)
{
	strcpy(top, "/tmp/kvmini-vctl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(run, sizeof(run), "%s/run", top);
	snprintf(cfg, sizeof(cfg), "%s/cfg", top);
	setenv("KVMINI_RUNTIME_DIR", run, 1);
	setenv("KVMINI_CONFIG_DIR", cfg, 1);
	char d[200];
	ck_assert_int_eq(kv_runtime_dir(d, sizeof(d), NULL), 0);
	ck_assert_int_eq(kv_config_subdir(d, sizeof(d), "domains", NULL), 0);
	vm_start();
}

static void teardown(void)
{
	if (vm.started) {
		ck_assert_int_eq(write(vm.stop[1], "x", 1), 1);
		pthread_join(vm.thr, NULL);
		close(vm.stop[0]);
		close(vm.stop[1]);
		qmp_commands_free(&vm.cmds);
	}
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

static char out[8192], err[4096];

/* Runs a verb with stdout and stderr captured into out and err; returns its exit status. */
static int verb(int (*fn)(int, char **), const char *a0, const char *a1, const char *a2, const char *a3)
{
	char *argv[5] = { (char *)a0, (char *)a1, (char *)a2, (char *)a3, NULL };
	int argc = a1 ? a2 ? a3 ? 4 : 3 : 2 : 1;
	fflush(stdout);
	fflush(stderr);
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so = dup(1), se = dup(2);
	dup2(fileno(fo), 1);
	dup2(fileno(fe), 2);
	int rc = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	rewind(fo);
	rewind(fe);
	out[fread(out, 1, sizeof(out) - 1, fo)] = 0;
	err[fread(err, 1, sizeof(err) - 1, fe)] = 0;
	fclose(fo);
	fclose(fe);
	return rc;
}

static void define_file(const char *name)
{
	char p[300];
	snprintf(p, sizeof(p), "%s/domains/%s.xml", cfg, name);
	FILE *f = fopen(p, "w");
	fputs("<domain type='kvm'/>\n", f);
	fclose(f);
}

START_TEST(list_and_domstate)
{
	define_file("def1");
	char p[300], want[512];
	snprintf(p, sizeof(p), "%s/old1.lock", run); /* a stale lock file: nobody holds it */
	close(open(p, O_RDWR | O_CREAT, 0600));
	int pid = (int)getpid(), w = snprintf(NULL, 0, "%d", pid);
	ck_assert_int_eq(verb(virsh_list, "list", NULL, NULL, NULL), 0);
	snprintf(want, sizeof(want), " %-*s   Name   State\n%.*s\n %d   vm1    running\n\n", w, "Id", w + 3 + 7 + 10,
		 "----------------------------------------", pid);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(verb(virsh_list, "list", "--all", NULL, NULL), 0);
	snprintf(want, sizeof(want), " %-*s   Name   State\n%.*s\n %d   vm1    running\n %-*s   def1   shut off\n\n", w,
		 "Id", w + 3 + 7 + 11, "----------------------------------------", pid, w, "-");
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(verb(virsh_list, "list", "--name", "--all", NULL), 0);
	ck_assert_str_eq(out, "vm1\ndef1\n\n");
	ck_assert_int_eq(verb(virsh_domstate, "domstate", "vm1", NULL, NULL), 0);
	ck_assert_str_eq(out, "running\n\n");
	ck_assert_int_eq(verb(virsh_domstate, "domstate", "def1", NULL, NULL), 0);
	ck_assert_str_eq(out, "shut off\n\n");
	ck_assert_int_eq(verb(virsh_domstate, "domstate", "old1", NULL, NULL), 1);
	ck_assert_str_eq(err, "kvmini: old1: no such domain\n");
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(suspend_resume)
{
	ck_assert_int_eq(verb(virsh_suspend, "suspend", "vm1", NULL, NULL), 0);
	ck_assert_str_eq(out, "Domain 'vm1' suspended\n\n");
	ck_assert_str_eq(vm.status, "paused");
	ck_assert_int_eq(verb(virsh_domstate, "domstate", "vm1", NULL, NULL), 0);
	ck_assert_str_eq(out, "paused\n\n");
	ck_assert_int_eq(verb(virsh_resume, "resume", "vm1", NULL, NULL), 0);
	ck_assert_str_eq(out, "Domain 'vm1' resumed\n\n");
	ck_assert_str_eq(vm.status, "running");
	ck_assert_int_eq(verb(virsh_resume, "resume", "vm1", NULL, NULL), 1);
	ck_assert_str_eq(err, "kvmini: vm1: domain is not paused (it is running)\n");
	ck_assert_str_eq(vm.log, "stop cont ");
	define_file("def1");
	ck_assert_int_eq(verb(virsh_suspend, "suspend", "def1", NULL, NULL), 1);
	ck_assert_str_eq(err, "kvmini: def1: domain is not running\n");
}
END_TEST

START_TEST(shutdown_waits_for_exit)
{
	ck_assert_int_eq(verb(virsh_shutdown, "shutdown", "vm1", "--timeout", "5"), 0);
	ck_assert_str_eq(out, "Domain 'vm1' is being shutdown\n\n");
	ck_assert_int_eq(vdom_lock_held(vm.lock), 0);
	ck_assert_int_eq(access(vm.qmp, F_OK), -1);
	/* it is gone now: nothing left to shut down */
	ck_assert_int_eq(verb(virsh_shutdown, "shutdown", "vm1", NULL, NULL), 1);
	ck_assert_str_eq(err, "kvmini: vm1: no such domain\n");
}
END_TEST

START_TEST(shutdown_timeout_leaves_it_running)
{
	vm.guest_acpi = 0; /* a guest that ignores the button */
	long long t0 = qmpc_now_ms();
	ck_assert_int_eq(verb(virsh_shutdown, "shutdown", "vm1", "--timeout", "1"), 1);
	long long took = qmpc_now_ms() - t0;
	ck_assert_msg(took >= 950 && took < 3000, "took %lld ms", took);
	ck_assert_ptr_nonnull(strstr(err, "kvmini: vm1: still running after 1 s"));
	ck_assert_int_eq(vdom_lock_held(vm.lock), 1);
	ck_assert_int_eq(verb(virsh_domstate, "domstate", "vm1", NULL, NULL), 0);
	ck_assert_str_eq(out, "running\n\n");
}
END_TEST

START_TEST(reboot_sequence)
{
	ck_assert_int_eq(verb(virsh_reboot, "reboot", "vm1", NULL, NULL), 0);
	ck_assert_str_eq(out, "Domain 'vm1' is being rebooted\n\n");
	ck_assert_str_eq(vm.log, "set-action(shutdown=pause) system_powerdown system_reset cont "
				 "set-action(shutdown=poweroff) ");
	ck_assert_str_eq(vm.status, "running");
	ck_assert_int_eq(vdom_lock_held(vm.lock), 1);
	/* a guest that ignores the button: the action is put back and the VM left running */
	vm.guest_acpi = 0;
	vm.log[0] = 0;
	ck_assert_int_eq(verb(virsh_reboot, "reboot", "vm1", "--timeout", "1"), 1);
	ck_assert_str_eq(vm.log, "set-action(shutdown=pause) system_powerdown set-action(shutdown=poweroff) ");
	ck_assert_ptr_nonnull(strstr(err, "did not shut down within 1 s"));
}
END_TEST

START_TEST(destroy_by_quit)
{
	ck_assert_int_eq(verb(virsh_destroy, "destroy", "vm1", NULL, NULL), 0);
	ck_assert_str_eq(out, "Domain 'vm1' destroyed\n\n");
	ck_assert_str_eq(vm.log, "quit ");
	ck_assert_int_eq(vdom_lock_held(vm.lock), 0);
	ck_assert_int_eq(verb(virsh_destroy, "destroy", "vm1", NULL, NULL), 1);
}
END_TEST

/* a VMM that holds its lock but has no working socket: destroy signals it */
START_TEST(destroy_by_signal)
{
	char lock[200], pidf[200], qmp[200];
	snprintf(lock, sizeof(lock), "%s/vm2.lock", run);
	snprintf(pidf, sizeof(pidf), "%s/vm2.pid", run);
	snprintf(qmp, sizeof(qmp), "%s/vm2.qmp", run);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL); /* not the test runner's handler, which ends the whole group */
		int fd = open(lock, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	FILE *f = fopen(pidf, "w");
	fprintf(f, "%d\n", (int)pid);
	fclose(f);
	close(open(qmp, O_RDWR | O_CREAT, 0600)); /* not a socket: nobody answers */
	ck_assert_int_eq(verb(virsh_destroy, "destroy", "vm2", NULL, NULL), 0);
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	ck_assert_int_eq(access(qmp, F_OK), -1); /* what the killed VMM left is cleaned */
	ck_assert_int_eq(access(pidf, F_OK), -1);
	/* a stale pid file naming a process that does not hold the lock is never signalled */
	ck_assert_int_eq(vdom_pid_has_file(getppid(), lock), 0);
}
END_TEST

START_TEST(usage_errors)
{
	ck_assert_int_eq(verb(virsh_shutdown, "shutdown", NULL, NULL, NULL), 2);
	ck_assert_str_eq(err, "kvmini: shutdown: NAME is missing (try 'kvmini shutdown --help')\n");
	ck_assert_int_eq(verb(virsh_shutdown, "shutdown", "vm1", "--timeout", "soon"), 2);
	ck_assert_int_eq(verb(virsh_list, "list", "--bogus", NULL, NULL), 2);
	ck_assert_int_eq(verb(virsh_destroy, "destroy", "a", "b", NULL), 2);
	ck_assert_int_eq(verb(virsh_list, "list", "--help", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Usage: kvmini list [--all] [--name]"));
	ck_assert_int_eq(verb(virsh_console, "console", "--help", NULL, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, "Usage: kvmini console NAME"));
	ck_assert_str_eq(vm.log, ""); /* none of them reached the VM */
}
END_TEST

START_TEST(console_relays)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(m, 0);
	ck_assert_int_eq(grantpt(m), 0);
	ck_assert_int_eq(unlockpt(m), 0);
	snprintf(vm.pty, sizeof(vm.pty), "%s", ptsname(m));
	/* the VMM keeps its pty raw */
	int s = open(vm.pty, O_RDWR | O_NOCTTY);
	struct termios t;
	ck_assert_int_eq(tcgetattr(s, &t), 0);
	cfmakeraw(&t);
	ck_assert_int_eq(tcsetattr(s, TCSANOW, &t), 0);
	ck_assert_int_eq(write(m, "TICK 1\r\n", 8), 8);
	/* stdin: a keystroke, then Ctrl-] and what must not be sent */
	int in[2];
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(write(in[1], "k\x1dnot this", 10), 10);
	close(in[1]);
	int si = dup(0);
	dup2(in[0], 0);
	close(in[0]);
	int rc = verb(virsh_console, "console", "vm1", NULL, NULL);
	dup2(si, 0);
	close(si);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, "TICK 1\r\n");
	ck_assert_ptr_nonnull(strstr(err, "Connected to domain 'vm1'\nEscape character is ^]"));
	char buf[32] = "";
	struct pollfd p = { .fd = m, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 1000), 1);
	ck_assert_int_eq(read(m, buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], 'k');
	close(s);
	close(m);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virsh_ctl");
	TCase *t = tcase_create("ctl");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, list_and_domstate);
	tcase_add_test(t, suspend_resume);
	tcase_add_test(t, shutdown_waits_for_exit);
	tcase_add_test(t, shutdown_timeout_leaves_it_running);
	tcase_add_test(t, reboot_sequence);
	tcase_add_test(t, destroy_by_quit);
	tcase_add_test(t, destroy_by_signal);
	tcase_add_test(t, usage_errors);
	tcase_add_test(t, console_relays);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
