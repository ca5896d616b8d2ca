// SPDX-License-Identifier: GPL-2.0-or-later
/* Storage pool XML (tools/pool_xml.c): what libvirt writes parses, what we write parses back the
 * same, bad documents give one "line N:" or naming error and libxml2 prints nothing itself; and
 * the store behind it (tools/pool_store.c): atomic definitions, conflicts, the active state and
 * pool_vol_resolve; virsh's size units (pool_size_parse). */
#include "unit.h"
#include "tools/pool.h"
#include "tools/pool_int.h"
#include "tools/pool_xml.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

/* what `virsh pool-dumpxml` prints for a dir pool, permissions included */
static const char libvirt_xml[] =
	"<pool type='dir'>\n  <name>default</name>\n  <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>\n"
	"  <capacity unit='bytes'>107374182400</capacity>\n  <allocation unit='bytes'>0</allocation>\n"
	"  <available unit='bytes'>107374182400</available>\n  <source>\n  </source>\n  <target>\n"
	"    <path>/var/lib/libvirt/images/</path>\n    <permissions>\n      <mode>0711</mode>\n"
	"      <owner>0</owner>\n      <group>0</group>\n    </permissions>\n  </target>\n</pool>\n";

/* Parses s with stderr captured: returns the parse result, *printed = bytes libxml2 wrote. */
static int parse_quiet(const char *s, struct pool_def *p, char *err, size_t errlen, off_t *printed)
{
	char tmpl[] = "/tmp/kvmini-poolxml-XXXXXX";
	int fd = mkstemp(tmpl), saved = dup(2);
	ck_assert_int_ge(fd, 0);
	unlink(tmpl);
	fflush(stderr);
	dup2(fd, 2);
	int r = pool_xml_parse(s, strlen(s), p, err, errlen);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	*printed = lseek(fd, 0, SEEK_END);
	close(fd);
	return r;
}

START_TEST(parse_libvirt)
{
	struct pool_def p;
	char err[256], uuid[37];
	off_t printed;
	ck_assert_int_eq(parse_quiet(libvirt_xml, &p, err, sizeof(err), &printed), 0);
	ck_assert_str_eq(p.name, "default");
	ck_assert_str_eq(p.target, "/var/lib/libvirt/images"); /* libvirt drops the trailing '/' too */
	pool_uuid_format(p.uuid, uuid);
	ck_assert_str_eq(uuid, "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566");
	/* round trip: what we write is libvirt's layout and reads back the same */
	char *x = pool_xml_format(&p);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(strstr(x, "<pool type='dir'>\n  <name>default</name>\n  <uuid>dfe224cb-28fb-8dd0"));
	ck_assert_ptr_nonnull(strstr(x, "  <target>\n    <path>/var/lib/libvirt/images</path>\n  </target>\n</pool>\n"));
	struct pool_def q;
	ck_assert_int_eq(pool_xml_parse(x, strlen(x), &q, err, sizeof(err)), 0);
	ck_assert_str_eq(q.name, p.name);
	ck_assert_str_eq(q.target, p.target);
	ck_assert_mem_eq(q.uuid, p.uuid, 16);
	free(x);
	pool_def_free(&q);
	/* a path with XML's special characters survives the round trip */
	free(p.target);
	p.target = strdup("/srv/a&b/<c>/'d\"");
	x = pool_xml_format(&p);
	ck_assert_int_eq(pool_xml_parse(x, strlen(x), &q, err, sizeof(err)), 0);
	ck_assert_str_eq(q.target, "/srv/a&b/<c>/'d\"");
	free(x);
	pool_def_free(&q);
	pool_def_free(&p);
	ck_assert_int_eq(printed, 0);
}
END_TEST

START_TEST(uuids)
{
	uint8_t u[16], v[16];
	char s[37];
	ck_assert_int_eq(pool_uuid_parse("DFE224CB28FB8DD0C4B264EB3F0F4566", u), 0);
	ck_assert_int_eq(pool_uuid_parse(" dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566\n", v), 0);
	ck_assert_mem_eq(u, v, 16);
	ck_assert_int_eq(pool_uuid_parse("dfe224cb-28fb-8dd0-c4b2-64eb3f0f456", u), -EINVAL);
	ck_assert_int_eq(pool_uuid_parse("dfe224cb-28fb-8dd0-c4b2-64eb3f0f45667", u), -EINVAL);
	ck_assert_int_eq(pool_uuid_parse("xfe224cb-28fb-8dd0-c4b2-64eb3f0f4566", u), -EINVAL);
	ck_assert_int_eq(pool_uuid_random(u), 0);
	ck_assert_int_eq(pool_uuid_random(v), 0);
	ck_assert_int_ne(memcmp(u, v, 16), 0);
	ck_assert_int_eq(u[6] >> 4, 4);
	pool_uuid_format(u, s);
	ck_assert_int_eq(strlen(s), 36);
	ck_assert_int_eq(pool_uuid_parse(s, v), 0);
	ck_assert_mem_eq(u, v, 16);
	/* a pool without <uuid> gets a fresh one */
	struct pool_def p;
	char err[256];
	const char *x = "<pool type='dir'><name>n</name><target><path>/a</path></target></pool>";
	ck_assert_int_eq(pool_xml_parse(x, strlen(x), &p, err, sizeof(err)), 0);
	uint8_t zero[16] = { 0 };
	ck_assert_int_ne(memcmp(p.uuid, zero, 16), 0);
	pool_def_free(&p);
}
END_TEST

START_TEST(bad_documents)
{
	static const struct { const char *xml, *want; } cases[] = {
		{ "<pool type='dir'>\n<name>x</name>\n<target><path>/a</path></target>\n</poo>", "line 4: " },
		{ "<pool type='dir'><name>x</name>", "line 1: " },
		{ "", "line " },
		{ "<volume type='file'/>", "root element must be <pool>" },
		{ "<pool><name>x</name></pool>", "missing storage pool type" },
		{ "<pool type='logical'><name>x</name></pool>", "type 'logical' is not supported" },
		{ "<pool type='dir'><target><path>/a</path></target></pool>", "missing storage pool name" },
		{ "<pool type='dir'><name>x</name></pool>", "missing storage pool target path" },
		{ "<pool type='dir'><name>x</name><target/></pool>", "missing storage pool target path" },
		{ "<pool type='dir'><name>x</name><target><path>a/b</path></target></pool>", "is not absolute" },
		{ "<pool type='dir'><name>a/b</name><target><path>/a</path></target></pool>", "pool name 'a/b'" },
		{ "<pool type='dir'><name>..</name><target><path>/a</path></target></pool>", "pool name '..'" },
		{ "<pool type='dir'><name>x</name>\n<name>y</name><target><path>/a</path></target></pool>",
		  "line 2: more than one <name>" },
		{ "<pool type='dir'><name>x</name><target><path>/a</path>\n<path>/b</path></target></pool>",
		  "line 2: more than one <path>" },
		{ "<pool type='dir'><name>x</name><uuid>nope</uuid><target><path>/a</path></target></pool>",
		  "malformed uuid 'nope'" },
		{ "<pool type='dir'><name>x</name><uuid>no\npe</uuid><target><path>/a</path></target></pool>",
		  "malformed uuid 'no pe'" },
		{ "<!DOCTYPE pool [<!ENTITY e \"/etc\">]><pool type='dir'><name>x</name><target><path>&e;</path>"
		  "</target></pool>", "DOCTYPE is not allowed" },
		{ "<!DOCTYPE pool SYSTEM \"http://example.com/x.dtd\"><pool type='dir'/>", "DOCTYPE is not allowed" },
		{ "<pool type='dir'><name>x</name><target><path>&xxe;</path></target></pool>", "line 1: " },
		{ "<pool type='dir'><name>p</name><target><path>/a</path></target></\xf0ool>", "line 1: " },
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pool_def p;
		char err[256] = "";
		off_t printed;
		ck_assert_int_eq(parse_quiet(cases[i].xml, &p, err, sizeof(err), &printed), -EINVAL);
		ck_assert_msg(strstr(err, cases[i].want), "case %u: '%s' lacks '%s'", i, err, cases[i].want);
		for (const char *c = err; *c; c++) /* one line: libxml2's "Bytes: ..." continuation too */
			ck_assert_int_ge((unsigned char)*c, 0x20);
		ck_assert_ptr_null(p.target);
		ck_assert_int_eq(printed, 0);
	}
}
END_TEST

START_TEST(sizes)
{
	static const struct { const char *s; unsigned long long v; } ok[] = {
		{ "512", 512 }, { "1K", 1024 }, { "1KiB", 1024 }, { "1KB", 1000 }, { "8G", 8ull << 30 },
		{ "10GiB", 10ull << 30 }, { "1GB", 1000000000ull }, { "2m", 2 << 20 }, { "3TB", 3000000000000ull },
		{ "512B", 512 },
	};
	unsigned long long v;
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(pool_size_parse(ok[i].s, &v), 0);
		ck_assert_uint_eq(v, ok[i].v);
	}
	static const char *const bad[] = { "", "10Q", "-1", "G", "1GiBB", "1KBB", "1.5G", "GB", "iB" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(pool_size_parse(bad[i], &v) < 0, "'%s' was taken", bad[i]);
	ck_assert_int_eq(pool_size_parse("99999999999TB", &v), -ERANGE);
	char b[32];
	ck_assert_str_eq(pool_capacity(10 << 20, b, sizeof(b)), "10.00 MiB");
	ck_assert_str_eq(pool_capacity(1000000000, b, sizeof(b)), "953.67 MiB");
	ck_assert_str_eq(pool_capacity(0, b, sizeof(b)), "0.00 B");
}
END_TEST

/* the store under a private config/runtime dir */
START_TEST(store_and_resolve)
{
	char tmpl[] = "/tmp/kvmini-pool-XXXXXX", d[300], err[POOL_ERR], path[4096];
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	snprintf(d, sizeof(d), "%s/run", tmpl);
	setenv("KVMINI_RUNTIME_DIR", d, 1);
	snprintf(d, sizeof(d), "%s/conf", tmpl);
	setenv("KVMINI_CONFIG_DIR", d, 1);
	snprintf(d, sizeof(d), "%s/images", tmpl);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	struct pool_def p = { .name = "p1" }, q;
	p.target = strdup(d);
	ck_assert_int_eq(pool_uuid_random(p.uuid), 0);
	ck_assert_int_eq(pool_vol_resolve(NULL, "p1", "v", path, sizeof(path), err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(pool_store_new(&p, err, sizeof(err)), 0);
	/* the same name, the same uuid, the same directory: each refused */
	ck_assert_int_eq(pool_store_new(&p, err, sizeof(err)), -EEXIST);
	ck_assert_str_eq(err, "p1: storage pool already exists");
	strcpy(p.name, "p2");
	ck_assert_int_eq(pool_store_new(&p, err, sizeof(err)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "same uuid"));
	ck_assert_int_eq(pool_uuid_random(p.uuid), 0);
	ck_assert_int_eq(pool_store_new(&p, err, sizeof(err)), -EEXIST);
	ck_assert_ptr_nonnull(strstr(err, "same target"));
	strcpy(p.name, "p1");
	char **names;
	int n;
	ck_assert_int_eq(pool_names(&names, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(names[0], "p1");
	pool_names_free(names, n);
	bool active = true;
	ck_assert_int_eq(pool_find("p1", &q, &active, err, sizeof(err)), 0);
	ck_assert(!active);
	ck_assert_str_eq(q.target, d);
	pool_def_free(&q);
	/* a volume resolves only in an active pool, only as a regular file inside it */
	snprintf(path, sizeof(path), "%s/v.raw", d);
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(pool_vol_resolve(NULL, "p1", "v.raw", path, sizeof(path), err, sizeof(err)), -ENODEV);
	ck_assert_str_eq(err, "p1: storage pool is not active");
	ck_assert_int_eq(pool_set_active("p1", true, err, sizeof(err)), 0);
	ck_assert_int_eq(pool_vol_resolve(NULL, "p1", "v.raw", path, sizeof(path), err, sizeof(err)), 0);
	char want[4200];
	snprintf(want, sizeof(want), "%s/v.raw", d);
	ck_assert_str_eq(path, want);
	ck_assert_int_eq(pool_vol_resolve(NULL, "p1", "w.raw", path, sizeof(path), err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(pool_vol_resolve(NULL, "p1", "../v.raw", path, sizeof(path), err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pool_vol_resolve(NULL, "p1", "a/b", path, sizeof(path), err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pool_vol_resolve(NULL, "../p1", "v.raw", path, sizeof(path), err, sizeof(err)), -EINVAL);
	snprintf(path, sizeof(path), "%s/link", d);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	ck_assert_int_eq(pool_vol_resolve(NULL, "p1", "link", path, sizeof(path), err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pool_find("p1", &q, &active, err, sizeof(err)), 0);
	ck_assert(active);
	pool_def_free(&q);
	/* removed, then defined again: a new pool starts inactive */
	ck_assert_int_eq(pool_store_remove("p1", err, sizeof(err)), 0);
	ck_assert_int_eq(pool_find("p1", &q, &active, err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "p1: no such storage pool");
	ck_assert_int_eq(pool_store_new(&p, err, sizeof(err)), 0);
	ck_assert_int_eq(pool_find("p1", &q, &active, err, sizeof(err)), 0);
	ck_assert(!active);
	pool_def_free(&q);
	pool_def_free(&p);
	unsetenv("KVMINI_RUNTIME_DIR");
	unsetenv("KVMINI_CONFIG_DIR");
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("pool_xml");
	TCase *t = tcase_create("pool_xml");
	tcase_add_test(t, parse_libvirt);
	tcase_add_test(t, uuids);
	tcase_add_test(t, bad_documents);
	tcase_add_test(t, sizes);
	tcase_add_test(t, store_and_resolve);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
