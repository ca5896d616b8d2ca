// SPDX-License-Identifier: GPL-2.0-or-later
/* The named-VM directory layout: name rules, overrides, creation mode and the ownership checks. */
#include "unit.h"
#include "vmm/paths.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(names)
{
	const char *why = NULL;
	static const char *const ok[] = { "a", "ubuntutest", "vm-1", "vm_2.x", "A+B", "0" };
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_int_eq(kv_name_check(ok[i], &why), 0);
	static const char *const bad[] = { "", ".hidden", "-opt", "a/b", "..", "a b", "a\n", "é" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_int_eq(kv_name_check(bad[i], &why), -EINVAL);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(kv_name_check(NULL, &why), -EINVAL);
	char longname[KV_NAME_MAX + 2];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[KV_NAME_MAX + 1] = 0;
	ck_assert_int_eq(kv_name_check(longname, &why), -EINVAL);
	longname[KV_NAME_MAX] = 0;
	ck_assert_int_eq(kv_name_check(longname, &why), 0);
}
END_TEST

START_TEST(dirs)
{
	char tmpl[] = "/tmp/kvmini-paths-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	char run[256], conf[256], buf[256];
	snprintf(run, sizeof(run), "%s/run/kvmini", tmpl);
	snprintf(conf, sizeof(conf), "%s/conf", tmpl);
	setenv("KVMINI_RUNTIME_DIR", run, 1);
	setenv("KVMINI_CONFIG_DIR", conf, 1);
	const char *why = NULL;
	ck_assert_int_eq(kv_runtime_dir(buf, sizeof(buf), &why), 0);
	ck_assert_str_eq(buf, run);
	struct stat st;
	ck_assert_int_eq(stat(run, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(kv_config_subdir(buf, sizeof(buf), "domains", &why), 0);
	snprintf(run, sizeof(run), "%s/conf/domains", tmpl);
	ck_assert_str_eq(buf, run);
	ck_assert_int_eq(stat(buf, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	/* a directory others may write to is refused: they could plant a socket there */
	ck_assert_int_eq(chmod(conf, 0777), 0);
	ck_assert_int_eq(kv_config_dir(buf, sizeof(buf), &why), -EPERM);
	ck_assert_str_eq(why, "writable by other users");
	/* a file where the directory should be */
	snprintf(buf, sizeof(buf), "%s/file", tmpl);
	FILE *f = fopen(buf, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	setenv("KVMINI_RUNTIME_DIR", buf, 1);
	ck_assert_int_eq(kv_runtime_dir(run, sizeof(run), &why), -ENOTDIR);
	ck_assert_int_eq(kv_path_join(buf, 8, "/dir", "name", ".qmp"), -ENAMETOOLONG);
	ck_assert_int_eq(kv_path_join(buf, sizeof(buf), "/dir", "name", ".qmp"), 0);
	ck_assert_str_eq(buf, "/dir/name.qmp");
	unsetenv("KVMINI_RUNTIME_DIR");
	unsetenv("KVMINI_CONFIG_DIR");
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("paths");
	TCase *t = tcase_create("paths");
	tcase_add_test(t, names);
	tcase_add_test(t, dirs);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
