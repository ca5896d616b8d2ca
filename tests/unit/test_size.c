// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "vmm/size.h"

#include <errno.h>

START_TEST(parse_ok)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "512", 512 }, { "1K", 1024 }, { "1k", 1024 }, { "512M", 512ull << 20 },
		{ "8G", 8ull << 30 }, { "8GB", 8ull << 30 }, { "1T", 1ull << 40 }, { "3b", 3 },
		{ "16777215T", 16777215ull << 40 }, { "18446744073709551615", UINT64_MAX },
	};
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 1;
		ck_assert_int_eq(parse_size(ok[i].s, &v), 0);
		ck_assert_uint_eq(v, ok[i].v);
	}
}
END_TEST

START_TEST(parse_bad)
{
	static const char *const bad[] = { "", "-1", " 1", "1 ", "1.5G", "G", "1X", "1GG", "1KiB",
		                               "0x10", "+5", "1BB" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 7;
		ck_assert_int_eq(parse_size(bad[i], &v), -EINVAL);
		ck_assert_uint_eq(v, 7);
	}
	uint64_t v;
	ck_assert_int_eq(parse_size(NULL, &v), -EINVAL);
	ck_assert_int_eq(parse_size("18446744073709551616", &v), -ERANGE);
	ck_assert_int_eq(parse_size("16777216T", &v), -ERANGE);
	ck_assert_int_eq(parse_size("99999999999999999999999G", &v), -ERANGE);
}
END_TEST

START_TEST(human)
{
	char b[32];
	ck_assert_str_eq(size_human(0, b, sizeof(b)), "0 B");
	ck_assert_str_eq(size_human(1023, b, sizeof(b)), "1023 B");
	ck_assert_str_eq(size_human(1024, b, sizeof(b)), "1 KiB");
	ck_assert_str_eq(size_human(1536, b, sizeof(b)), "1.5 KiB");
	ck_assert_str_eq(size_human(1ull << 30, b, sizeof(b)), "1 GiB");
	ck_assert_str_eq(size_human((1ull << 30) + (1ull << 28), b, sizeof(b)), "1.25 GiB");
	ck_assert_str_eq(size_human(UINT64_MAX, b, sizeof(b)), "15.99 EiB");
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("size");
	TCase *t = tcase_create("size");
	tcase_add_test(t, parse_ok);
	tcase_add_test(t, parse_bad);
	tcase_add_test(t, human);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
