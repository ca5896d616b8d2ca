// SPDX-License-Identifier: GPL-2.0-or-later
/* The virsh verbs' groundwork (tools/virsh_dom.c, virsh_list.c's table): virsh's table layout byte
 * for byte (as virsh 9 prints it), liveness from a flock held by another process, the holder's pid
 * checked through /proc, a domain found by its definition or its lock (and "no such domain"
 * otherwise), the atomic write (old or new content, mode 0600, no temporary file left), and the
 * QMP run states in virsh's words. */
#include "unit.h"
#include "tools/virsh.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char top[64], run[128], cfg[128];

static void setup(void)
{
	strcpy(top, "/tmp/kvmini-virsh-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(run, sizeof(run), "%s/run", top);
	snprintf(cfg, sizeof(cfg), "%s/cfg", top);
	setenv("KVMINI_RUNTIME_DIR", run, 1);
	setenv("KVMINI_CONFIG_DIR", cfg, 1);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

static char *table(const char *const *cells, size_t rows)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	virsh_print_table(f, cells, rows, 3);
	fclose(f);
	return out;
}

START_TEST(table_layout)
{
	const char *a[] = { "Id", "Name", "State", "1", "test", "running" };
	char *t = table(a, 2);
	ck_assert_str_eq(t, " Id   Name   State\n----------------------\n 1    test   running\n");
	free(t);
	const char *b[] = { "Id", "Name", "State", "-", "test", "shut off", "12345", "a-longer-name", "paused" };
	t = table(b, 3);
	ck_assert_str_eq(t, " Id      Name            State\n"
			    "-----------------------------------\n"
			    " -       test            shut off\n"
			    " 12345   a-longer-name   paused\n");
	free(t);
}
END_TEST

/* a child that takes the lock on path and waits; returns its pid once the lock is held */
static pid_t hold_lock(const char *path)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	close(p[1]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

START_TEST(lock_and_pid)
{
	char lock[160];
	snprintf(lock, sizeof(lock), "%s/x.lock", top);
	ck_assert_int_eq(vdom_lock_held(lock), 0); /* no file */
	pid_t pid = hold_lock(lock);
	ck_assert_int_eq(vdom_lock_held(lock), 1);
	ck_assert_int_eq(vdom_lock_held(lock), 1); /* the probe itself left nothing behind */
	ck_assert_int_eq(vdom_pid_has_file(pid, lock), 1);
	ck_assert_int_eq(vdom_pid_has_file(getpid(), lock), 0);
	reap(pid);
	ck_assert_int_eq(vdom_lock_held(lock), 0); /* a stale lock file is harmless */
	ck_assert_int_eq(vdom_pid_has_file(pid, lock), 0);
}
END_TEST

static void put(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(s, f);
	fclose(f);
}

START_TEST(lookup)
{
	struct vdom d;
	ck_assert_int_eq(vdom_lookup(&d, "nope"), -ENOENT);
	ck_assert_int_eq(vdom_lookup(&d, "../etc"), -EINVAL);
	/* defined: a file in domains/ */
	char p[256];
	snprintf(p, sizeof(p), "%s/domains/def1.xml", cfg);
	put(p, "<domain/>\n");
	ck_assert_int_eq(vdom_lookup(&d, "def1"), 0);
	ck_assert_int_eq(d.defined, 1);
	ck_assert_int_eq(d.live, 0);
	ck_assert_str_eq(vdom_state(&d), "shut off");
	/* live: the lock is held; the pid comes from N.pid */
	snprintf(p, sizeof(p), "%s/vm1.lock", run);
	pid_t pid = hold_lock(p);
	snprintf(p, sizeof(p), "%s/vm1.pid", run);
	char s[32];
	snprintf(s, sizeof(s), "%d\n", (int)pid);
	put(p, s);
	ck_assert_int_eq(vdom_lookup(&d, "vm1"), 0);
	ck_assert_int_eq(d.defined, 0);
	ck_assert_int_eq(d.live, 1);
	ck_assert_int_eq(d.pid, pid);
	ck_assert_int_eq(vdom_require_live(&d), 0);
	/* live but nobody answers on vm1.qmp */
	ck_assert_str_eq(vdom_state(&d), "no state");
	long long t0 = qmpc_now_ms();
	ck_assert_int_eq(vdom_wait_gone(&d, 100), -ETIMEDOUT);
	ck_assert(qmpc_now_ms() - t0 >= 90);
	reap(pid);
	ck_assert_int_eq(vdom_wait_gone(&d, 1000), 0);
	ck_assert_int_eq(d.live, 0);
	ck_assert_int_eq(d.pid, 0);
	/* gone: only its stale files are left, so there is no such domain */
	ck_assert_int_eq(vdom_lookup(&d, "vm1"), -ENOENT);
	vdom_clean_stale(&d);
	ck_assert_int_eq(access(p, F_OK), -1);
}
END_TEST

static int count_entries(const char *dir)
{
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
	return system(cmd) == 0;
}

START_TEST(atomic_write)
{
	char dir[160], p[200];
	snprintf(dir, sizeof(dir), "%s/w", top);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(p, sizeof(p), "%s/a.xml", dir);
	ck_assert_int_eq(text_write_atomic(p, "first\n", 6), 0);
	char *buf;
	size_t len;
	ck_assert_int_eq(text_read_file(p, 16u << 20, &buf, &len), 0);
	ck_assert_str_eq(buf, "first\n");
	free(buf);
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(text_write_atomic(p, "second, longer\n", 15), 0);
	ck_assert_int_eq(text_read_file(p, 16u << 20, &buf, &len), 0);
	ck_assert_uint_eq(len, 15);
	ck_assert_str_eq(buf, "second, longer\n");
	free(buf);
	ck_assert(count_entries(dir)); /* no temporary file left */
	/* a directory that cannot take the file: an error and nothing written */
	ck_assert_int_eq(chmod(dir, 0500), 0);
	if (access(dir, W_OK) == 0) { /* root ignores the mode: use a missing directory instead */
		snprintf(p, sizeof(p), "%s/missing/a.xml", dir);
		ck_assert_int_eq(text_write_atomic(p, "x", 1), -ENOENT);
	} else {
		ck_assert_int_eq(text_write_atomic(p, "third\n", 6), -EACCES);
		ck_assert_int_eq(text_read_file(p, 16u << 20, &buf, &len), 0);
		ck_assert_str_eq(buf, "second, longer\n");
		free(buf);
	}
	chmod(dir, 0700);
	ck_assert(count_entries(dir));
	ck_assert_int_eq(text_read_file("/nonexistent/x", 16u << 20, &buf, &len), -ENOENT);
}
END_TEST

START_TEST(state_names)
{
	ck_assert_str_eq(vdom_state_name("running"), "running");
	ck_assert_str_eq(vdom_state_name("paused"), "paused");
	ck_assert_str_eq(vdom_state_name("shutdown"), "in shutdown");
	ck_assert_str_eq(vdom_state_name("internal-error"), "crashed");
	ck_assert_str_eq(vdom_state_name("bogus"), "no state");
	uint8_t u[16];
	for (int i = 0; i < 16; i++)
		u[i] = (uint8_t)(i * 17);
	char s[37];
	virsh_uuid_str(u, s);
	ck_assert_str_eq(s, "00112233-4455-6677-8899-aabbccddeeff");
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virsh_dom");
	TCase *t = tcase_create("dom");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, table_layout);
	tcase_add_test(t, lock_and_pid);
	tcase_add_test(t, lookup);
	tcase_add_test(t, atomic_write);
	tcase_add_test(t, state_names);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
