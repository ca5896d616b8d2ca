// SPDX-License-Identifier: GPL-2.0-or-later
/* A named VM's run files: the lock decides who owns a name (a second claim fails and names the
 * owner's pid), a dead owner's pid and definition are cleaned, --definition is copied, and release
 * removes what the VM wrote. Runs in a private KVMINI_RUNTIME_DIR. */
#include "unit.h"
#include "vmm/vmfiles.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[64];

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/kvmini-vmfiles-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	char run[128];
	snprintf(run, sizeof(run), "%s/run", base);
	setenv("KVMINI_RUNTIME_DIR", run, 1);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	ck_assert_int_eq(system(cmd), 0);
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

START_TEST(claim_and_release)
{
	struct vm_files f, g;
	char def[128], buf[64] = { 0 };
	snprintf(def, sizeof(def), "%s/def.xml", base);
	put_file(def, "<domain/>\n");
	ck_assert_int_eq(vmfiles_claim(&f, "vm1", def), 0);
	ck_assert(exists(f.lock));
	ck_assert_int_eq(vmfiles_write_pid(&f), 0);
	FILE *p = fopen(f.pid, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), p));
	fclose(p);
	ck_assert_int_eq(atol(buf), getpid());
	p = fopen(f.xml, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), p));
	fclose(p);
	ck_assert_str_eq(buf, "<domain/>\n");
	struct stat st;
	ck_assert_int_eq(stat(f.console, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	/* a second claim is another open file description: flock refuses it while f holds the lock */
	ck_assert_int_eq(vmfiles_claim(&g, "vm1", NULL), 1);
	ck_assert(exists(f.pid));
	ck_assert(exists(f.xml)); /* the loser touches nothing */
	/* another name is independent */
	ck_assert_int_eq(vmfiles_claim(&g, "vm2", NULL), 0);
	vmfiles_release(&g);

	vmfiles_release(&f);
	ck_assert(!exists(f.pid));
	ck_assert(!exists(f.xml));
	ck_assert(exists(f.lock)); /* harmless: flock, not the file, says who owns the name */
	vmfiles_release(&f); /* twice is fine */
}
END_TEST

START_TEST(stale_files_of_a_dead_owner)
{
	struct vm_files f;
	ck_assert_int_eq(vmfiles_claim(&f, "old", NULL), 0);
	vmfiles_release(&f);
	/* what a VM killed with -9 leaves: its pid, its definition, its console */
	put_file(f.pid, "999999\n");
	put_file(f.xml, "<stale/>\n");
	put_file(f.console, "TICK 1\n");
	ck_assert_int_eq(vmfiles_claim(&f, "old", NULL), 0);
	ck_assert(!exists(f.pid));
	ck_assert(!exists(f.xml));
	struct stat st;
	ck_assert_int_eq(stat(f.console, &st), 0);
	ck_assert_int_eq(st.st_size, 0); /* a new life starts a new console copy */
	vmfiles_release(&f);
}
END_TEST

START_TEST(bad_definition)
{
	struct vm_files f;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/missing.xml", base);
	ck_assert_int_eq(vmfiles_claim(&f, "x", dir), 1);
	ck_assert_int_eq(f.lock_fd, -1); /* the name is free again */
	ck_assert(!exists(f.xml));
	ck_assert_int_eq(vmfiles_claim(&f, "x", base), 1); /* a directory */
	ck_assert_int_eq(vmfiles_claim(&f, "x", NULL), 0);
	vmfiles_release(&f);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("vmfiles");
	TCase *tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, claim_and_release);
	tcase_add_test(tc, stale_files_of_a_dead_owner);
	tcase_add_test(tc, bad_definition);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
