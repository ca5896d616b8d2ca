// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "vmm/cpuid.h"

#include <errno.h>
#include <stdio.h>

#define PVM_LIST "smap,popcnt,rdtscp,rdpid,erms,fsrm,clwb"
#define PVM_ALL "noxsave noinvpcid clearcpuid=" PVM_LIST

static char buf[4096];

static const char *add(const char *user)
{
	ck_assert_int_eq(cmdline_add_host_params(buf, sizeof(buf), user, 1, 0), 0);
	return buf;
}

START_TEST(pvm_string)
{
	ck_assert_str_eq(cpuid_pvm_cmdline(), PVM_ALL);
	ck_assert_str_eq(add(""), PVM_ALL);
	ck_assert_str_eq(add(NULL), PVM_ALL);
	ck_assert_str_eq(add("   "), PVM_ALL);
}
END_TEST

START_TEST(verbatim_unless_pvm)
{
	const char *u = "console=ttyS0  quiet ";
	ck_assert_int_eq(cmdline_add_host_params(buf, sizeof(buf), u, 0, 0), 0);
	ck_assert_str_eq(buf, u);
	ck_assert_int_eq(cmdline_add_host_params(buf, sizeof(buf), u, 1, 1), 0);
	ck_assert_str_eq(buf, u);
	ck_assert_int_eq(cmdline_add_host_params(buf, sizeof(buf), NULL, 0, 0), 0);
	ck_assert_str_eq(buf, "");
	/* everything already there: untouched too */
	ck_assert_str_eq(add("noinvpcid clearcpuid=clwb,fsrm,erms,rdpid,rdtscp,popcnt,smap noxsave"),
			 "noinvpcid clearcpuid=clwb,fsrm,erms,rdpid,rdtscp,popcnt,smap noxsave");
}
END_TEST

START_TEST(appends_missing_words)
{
	ck_assert_str_eq(add("console=ttyS0 quiet"), "console=ttyS0 quiet " PVM_ALL);
	ck_assert_str_eq(add("quiet  "), "quiet " PVM_ALL);
	ck_assert_str_eq(add("noxsave quiet"), "noxsave quiet noinvpcid clearcpuid=" PVM_LIST);
	ck_assert_str_eq(add("quiet\tnoinvpcid"), "quiet\tnoinvpcid noxsave clearcpuid=" PVM_LIST);
	/* whole words only, as Linux matches them */
	ck_assert_str_eq(add("noxsaves xnoinvpcid noxsave=1"),
			 "noxsaves xnoinvpcid noxsave=1 " PVM_ALL);
}
END_TEST

START_TEST(merges_clearcpuid)
{
	ck_assert_str_eq(add("clearcpuid=avx512f quiet"),
			 "clearcpuid=avx512f," PVM_LIST " quiet noxsave noinvpcid");
	/* names already there, or given as 6.1 bit numbers (308 = smap), are not repeated */
	ck_assert_str_eq(add("clearcpuid=erms,308,popcnt noxsave"),
			 "clearcpuid=erms,308,popcnt,rdtscp,rdpid,fsrm,clwb noxsave noinvpcid");
	ck_assert_str_eq(add("clearcpuid=59,534,580,312,297,151,smap"),
			 "clearcpuid=59,534,580,312,297,151,smap noxsave noinvpcid");
	ck_assert_str_eq(add("clearcpuid= x"), "clearcpuid=" PVM_LIST " x noxsave noinvpcid");
	/* Linux reads the last one only: that is the one to grow */
	ck_assert_str_eq(add("clearcpuid=a quiet clearcpuid=b"),
			 "clearcpuid=a quiet clearcpuid=b," PVM_LIST " noxsave noinvpcid");
	ck_assert_str_eq(add("clearcpuidx=a"), "clearcpuidx=a " PVM_ALL);
}
END_TEST

START_TEST(init_arguments_stay_last)
{
	ck_assert_str_eq(add("quiet -- init-arg"), "quiet " PVM_ALL " -- init-arg");
	ck_assert_str_eq(add("quiet   --   a b"), "quiet " PVM_ALL " --   a b");
	ck_assert_str_eq(add("-- foo"), PVM_ALL " -- foo");
	ck_assert_str_eq(add("quiet --"), "quiet " PVM_ALL " --");
	ck_assert_str_eq(add("a--b"), "a--b " PVM_ALL);
	/* a noxsave after "--" is still seen by Linux's x86 early parser; noinvpcid is not */
	ck_assert_str_eq(add("quiet -- noxsave"),
			 "quiet noinvpcid clearcpuid=" PVM_LIST " -- noxsave");
	ck_assert_str_eq(add("quiet -- noinvpcid"), "quiet " PVM_ALL " -- noinvpcid");
	ck_assert_str_eq(add("noinvpcid -- x"), "noinvpcid noxsave clearcpuid=" PVM_LIST " -- x");
	/* and so is a clearcpuid= there: it is the last one, so it is merged in place */
	ck_assert_str_eq(add("clearcpuid=a -- clearcpuid=x y"),
			 "clearcpuid=a noxsave noinvpcid -- clearcpuid=x," PVM_LIST " y");
	ck_assert_str_eq(add("clearcpuid=a x -- y"),
			 "clearcpuid=a," PVM_LIST " x noxsave noinvpcid -- y");
}
END_TEST

START_TEST(too_long)
{
	const char *u = "console=ttyS0";
	size_t need = strlen(u) + 1 + strlen(PVM_ALL) + 1;
	ck_assert_int_eq(cmdline_add_host_params(buf, need, u, 1, 0), 0);
	ck_assert_str_eq(buf, "console=ttyS0 " PVM_ALL);
	ck_assert_int_eq(cmdline_add_host_params(buf, need - 1, u, 1, 0), -ENAMETOOLONG);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(cmdline_add_host_params(buf, 0, u, 1, 0), -ENAMETOOLONG);
	ck_assert_int_eq(cmdline_add_host_params(buf, strlen(u), u, 0, 0), -ENAMETOOLONG);
	ck_assert_int_eq(cmdline_add_host_params(buf, strlen(u) + 1, u, 0, 0), 0);
	ck_assert_int_eq(cmdline_add_host_params(NULL, 10, u, 1, 0), -EINVAL);
}
END_TEST

/* Linux keeps only 127 characters of the clearcpuid= value: refuse a merge that would lose some */
START_TEST(clearcpuid_value_limit)
{
	char u[256], want[512];
	size_t grow = strlen("," PVM_LIST);
	strcpy(u, "clearcpuid=");
	memset(u + 11, 'x', 127 - grow);
	u[11 + 127 - grow] = '\0';
	snprintf(want, sizeof(want), "%s,%s noxsave noinvpcid", u, PVM_LIST);
	ck_assert_str_eq(add(u), want);
	strcat(u, "x");
	ck_assert_int_eq(cmdline_add_host_params(buf, sizeof(buf), u, 1, 0), -E2BIG);
	/* not a PVM host: the user's line is theirs */
	ck_assert_int_eq(cmdline_add_host_params(buf, sizeof(buf), u, 0, 0), 0);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("cpuid_cmdline");
	TCase *tc = tcase_create("cmdline");
	tcase_add_test(tc, pvm_string);
	tcase_add_test(tc, verbatim_unless_pvm);
	tcase_add_test(tc, appends_missing_words);
	tcase_add_test(tc, merges_clearcpuid);
	tcase_add_test(tc, init_arguments_stay_last);
	tcase_add_test(tc, too_long);
	tcase_add_test(tc, clearcpuid_value_limit);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
