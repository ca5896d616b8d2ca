// SPDX-License-Identifier: GPL-2.0-or-later
/* The 9P2000.L server on a temporary directory: the session (version, attach, walk, clunk),
 * reading and writing host files and seeing the result on the host, the name requests (create,
 * mkdir, symlink, readlink, rename, unlink), every way out of the share refused (`..` at the root,
 * absolute and relative symlinks, a directory swapped for a symlink after it was walked), the
 * read-only share refusing every write with EROFS, malformed messages answered with Rlerror, and
 * the fids' saved state reopened by a new server. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "p9_cli.h"
#include "state_test.h"
#include "vmm/state.h"

struct tree {
	char top[64], share[96], outside[96];
};

static void sh(const char *fmt, const char *a)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), fmt, a, a, a, a);
	ck_assert_int_eq(system(cmd), 0);
}

/* share/{hello ("hello world"), dir/inner, abs -> <outside>, rel -> ../outside}, outside/secret */
static void tree_make(struct tree *t)
{
	strcpy(t->top, "/tmp/kvmini-9p-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->top));
	snprintf(t->share, sizeof(t->share), "%s/share", t->top);
	snprintf(t->outside, sizeof(t->outside), "%s/outside", t->top);
	sh("cd %s && mkdir -p share/dir outside && printf 'hello world' >share/hello && echo in >share/dir/inner"
	   " && echo secret >outside/secret && ln -s ../outside share/rel", t->top);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "ln -s %s %s/abs", t->outside, t->share);
	ck_assert_int_eq(system(cmd), 0);
}

static void tree_free(struct tree *t) { sh("rm -rf %s", t->top); }

static void session(struct cli *c, struct tree *t, int ro)
{
	struct p9_server *s;
	ck_assert_int_eq(p9_server_create(&s, t->share, ro), 0);
	cli_init(c, s);
	ck_assert_int_eq(t_version(c, 1 << 20, "9P2000.L"), 0);
	ck_assert_int_eq(t_attach(c, 0), 0);
}

static void end(struct cli *c)
{
	p9_server_destroy(c->s);
	cli_free(c);
}

static char *host_file(struct tree *t, const char *rel, char *buf, size_t n)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", t->share, rel);
	int fd = open(p, O_RDONLY);
	ssize_t k = fd < 0 ? -1 : read(fd, buf, n - 1);
	if (fd >= 0)
		close(fd);
	buf[k < 0 ? 0 : k] = 0;
	return k < 0 ? NULL : buf;
}

START_TEST(version_attach_walk_read)
{
	struct tree t;
	struct cli c;
	tree_make(&t);
	struct p9_server *s;
	ck_assert_int_eq(p9_server_create(&s, t.share, 0), 0);
	cli_init(&c, s);
	ck_assert_int_eq(t_version(&c, 1 << 20, "9P2000.L"), 0);
	ck_assert_uint_eq(p9_u32(&c.r), P9_MAX_MSIZE); /* clamped to ours */
	ck_assert_int_eq(t_version(&c, 4096, "9P2000.L"), -EINVAL);
	ck_assert_int_eq(t_version(&c, 65536, "9P2000"), 0);
	char ver[32];
	p9_u32(&c.r);
	p9_str(&c.r, ver, sizeof(ver));
	ck_assert_str_eq(ver, "unknown"); /* only 9P2000.L is spoken */
	ck_assert_int_eq(t_version(&c, 65536, "9P2000.L"), 0);
	ck_assert_int_eq(t_attach(&c, 0), 0);
	ck_assert_uint_eq(p9_u8(&c.r), P9_QTDIR);
	ck_assert_int_eq(t_attach(&c, 0), -EEXIST);
	ck_assert_int_eq(t_walk(&c, 0, 1, "dir", "inner", NULL), 2);
	ck_assert_uint_eq(p9_server_nfids(s), 2);
	ck_assert_int_eq(t_lopen(&c, 1, O_RDONLY), 0);
	char buf[64];
	ck_assert_int_eq(t_read(&c, 1, 0, sizeof(buf), buf), 3);
	ck_assert(!memcmp(buf, "in\n", 3));
	ck_assert_int_eq(t_read(&c, 1, 1, 1, buf), 1);
	ck_assert_int_eq(buf[0], 'n');
	ck_assert_int_eq(t_write(&c, 1, 0, "x", 1), -EBADF); /* opened for reading */
	ck_assert_int_eq(t_walk(&c, 0, 2, "nope", NULL), -ENOENT);
	ck_assert_int_eq(t_walk(&c, 0, 2, "dir", "nope", NULL), 1); /* a short walk: no newfid */
	ck_assert_int_eq(t_lopen(&c, 2, O_RDONLY), -EBADF);
	ck_assert_int_eq(t_walk(&c, 0, 2, NULL), 0); /* a clone */
	ck_assert_int_eq(t_walk(&c, 1, 3, NULL), 0); /* a clone of a file's fid */
	uint32_t mode;
	uint64_t size;
	ck_assert_int_eq(t_getattr(&c, 3, &mode, &size), 0);
	ck_assert(S_ISREG(mode));
	ck_assert_uint_eq(size, 3);
	ck_assert_int_eq(t_clunk(&c, 3), 0);
	ck_assert_int_eq(t_clunk(&c, 3), -EBADF);
	ck_assert_uint_eq(p9_server_nfids(s), 3);
	ck_assert_int_eq(t_version(&c, 65536, "9P2000.L"), 0); /* a new session forgets every fid */
	ck_assert_uint_eq(p9_server_nfids(s), 0);
	end(&c);
	tree_free(&t);
}
END_TEST

START_TEST(create_write_rename_unlink)
{
	struct tree t;
	struct cli c;
	char buf[128];
	tree_make(&t);
	session(&c, &t, 0);
	ck_assert_int_eq(t_walk(&c, 0, 1, NULL), 0);
	ck_assert_int_eq(t_lcreate(&c, 1, "new", O_RDWR | O_CREAT, 0640), 0);
	ck_assert_int_eq(t_write(&c, 1, 0, "guest data", 10), 10);
	ck_assert_int_eq(t_fid_u32(&c, P9_TFSYNC, 1, 0), 0);
	ck_assert_str_eq(host_file(&t, "new", buf, sizeof(buf)), "guest data");
	struct stat st;
	snprintf(buf, sizeof(buf), "%s/new", t.share);
	ck_assert_int_eq(stat(buf, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0640);
	ck_assert_int_eq(t_setattr(&c, 1, P9_ATTR_MODE | P9_ATTR_SIZE, 0600, 5), 0);
	ck_assert_int_eq(stat(buf, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(st.st_size, 5);
	ck_assert_int_eq(t_lcreate(&c, 0, "x", O_RDWR, 0600), 0); /* the root fid became x... */
	ck_assert_int_eq(t_walk(&c, 1, 2, "..", NULL), 1); /* ...and `..` of new is the root */
	ck_assert_int_eq(t_mkdir(&c, 2, "sub", 0755), 0);
	ck_assert_int_eq(t_mkdir(&c, 2, "sub", 0755), -EEXIST);
	ck_assert_int_eq(t_symlink(&c, 2, "ln", "some/where"), 0);
	ck_assert_int_eq(t_walk(&c, 2, 3, "ln", NULL), 1);
	cli_begin(&c, P9_TREADLINK);
	p9_put32(&c.m, 3);
	ck_assert_int_eq(cli_send(&c), 0);
	p9_str(&c.r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "some/where");
	ck_assert_int_eq(t_lopen(&c, 3, O_RDONLY), -ELOOP); /* never followed by the server */
	ck_assert_int_eq(t_renameat(&c, 2, "new", 2, "renamed"), 0);
	ck_assert_str_eq(host_file(&t, "renamed", buf, sizeof(buf)), "guest");
	ck_assert_int_eq(t_write(&c, 1, 5, "!", 1), 1); /* the open fid still names it */
	ck_assert_str_eq(host_file(&t, "renamed", buf, sizeof(buf)), "guest!");
	ck_assert_int_eq(t_unlinkat(&c, 2, "sub", 0), -EISDIR);
	ck_assert_int_eq(t_unlinkat(&c, 2, "sub", P9_AT_REMOVEDIR), 0);
	ck_assert_int_eq(t_unlinkat(&c, 2, "ln", 0), 0);
	ck_assert_int_eq(t_unlinkat(&c, 2, "x", 0), 0);
	/* readdir from the start: the names the host has now */
	ck_assert_int_eq(t_walk(&c, 2, 4, NULL), 0);
	ck_assert_int_eq(t_lopen(&c, 4, O_RDONLY | O_DIRECTORY), 0);
	cli_begin(&c, P9_TREADDIR);
	p9_put32(&c.m, 4);
	p9_put64(&c.m, 0);
	p9_put32(&c.m, 8192);
	ck_assert_int_eq(cli_send(&c), 0);
	uint32_t n = p9_u32(&c.r);
	unsigned found = 0, entries = 0;
	for (size_t end = c.r.off + n; c.r.off < end; entries++) {
		p9_take(&c.r, P9_QID_SIZE + 8 + 1);
		p9_str(&c.r, buf, sizeof(buf));
		static const char *const want[] = { "renamed", "hello", "dir", "new" };
		for (unsigned k = 0; k < 4; k++)
			if (!strcmp(buf, want[k]))
				found |= 1u << k;
	}
	ck_assert(!c.r.err);
	ck_assert_uint_eq(found, 7);
	ck_assert_uint_eq(entries, 7); /* . .. abs dir hello rel renamed */
	cli_begin(&c, P9_TSTATFS);
	p9_put32(&c.m, 2);
	ck_assert_int_eq(cli_send(&c), 0);
	end(&c);
	tree_free(&t);
}
END_TEST

START_TEST(escapes_refused)
{
	struct tree t;
	struct cli c;
	char buf[160];
	tree_make(&t);
	session(&c, &t, 0);
	/* `..` at the root stays there: ../../hello is the share's hello */
	ck_assert_int_eq(t_walk(&c, 0, 1, "..", "..", "hello", NULL), 3);
	ck_assert_int_eq(t_lopen(&c, 1, O_RDONLY), 0);
	ck_assert_int_eq(t_read(&c, 1, 0, sizeof(buf), buf), 11);
	/* symlinks are walked onto, never through: abs/secret and rel/secret stop at the link */
	ck_assert_int_eq(t_walk(&c, 0, 2, "abs", "secret", NULL), 1);
	ck_assert_int_eq(t_walk(&c, 0, 2, "rel", "secret", NULL), 1);
	ck_assert_int_eq(t_walk(&c, 0, 2, "abs", NULL), 1);
	ck_assert_int_eq(t_lopen(&c, 2, O_RDONLY), -ELOOP);
	ck_assert_int_eq(t_walk(&c, 2, 3, "secret", NULL), -ENOTDIR);
	ck_assert_int_eq(t_lcreate(&c, 2, "f", O_RDWR, 0600), -ENOTDIR);
	/* names with a slash or dot-dot are not names */
	ck_assert_int_eq(t_walk(&c, 0, 3, "../outside", NULL), -ENOENT);
	ck_assert_int_eq(t_walk(&c, 0, 3, "dir/inner", NULL), -ENOENT);
	ck_assert_int_eq(t_walk(&c, 0, 3, "", NULL), -ENOENT);
	ck_assert_int_eq(t_mkdir(&c, 0, "..", 0755), -EINVAL);
	ck_assert_int_eq(t_mkdir(&c, 0, "../escaped", 0755), -EINVAL);
	ck_assert_int_eq(t_symlink(&c, 0, "a/b", "x"), -EINVAL);
	ck_assert_int_eq(t_unlinkat(&c, 0, "../outside/secret", 0), -EINVAL);
	ck_assert_int_eq(t_renameat(&c, 0, "hello", 0, "../stolen"), -EINVAL);
	ck_assert_int_eq(t_renameat(&c, 0, "..", 0, "x"), -EINVAL);
	ck_assert_int_eq(t_lcreate(&c, 0, "..", O_RDWR, 0600), -EINVAL);
	/* the race: dir walked, then the host swaps it for a symlink to the outside */
	ck_assert_int_eq(t_walk(&c, 0, 4, "dir", NULL), 1);
	sh("cd %s/share && mv dir dir.old && ln -s ../outside dir", t.top);
	ck_assert_int_eq(t_walk(&c, 0, 5, "dir", "secret", NULL), 1); /* through the new link: no */
	ck_assert_int_eq(t_walk(&c, 4, 5, "inner", NULL), 1); /* the fid still holds the real dir */
	ck_assert_int_eq(t_lopen(&c, 5, O_RDONLY), 0);
	ck_assert_int_eq(t_read(&c, 5, 0, sizeof(buf), buf), 3);
	ck_assert(!memcmp(buf, "in\n", 3));
	ck_assert_int_eq(t_walk(&c, 4, 6, "..", "..", "outside", NULL), 2); /* path-based `..` */
	/* nothing outside was touched */
	snprintf(buf, sizeof(buf), "%s/secret", t.outside);
	ck_assert_int_eq(access(buf, F_OK), 0);
	sh("test $(ls -A %s/outside | wc -l) = 1", t.top);
	ck_assert_int_eq(access("/tmp/escaped", F_OK), -1);
	end(&c);
	tree_free(&t);
}
END_TEST

START_TEST(read_only)
{
	struct tree t;
	struct cli c;
	char buf[64];
	tree_make(&t);
	session(&c, &t, 1);
	ck_assert_int_eq(t_walk(&c, 0, 1, "hello", NULL), 1);
	ck_assert_int_eq(t_lopen(&c, 1, O_WRONLY), -EROFS);
	ck_assert_int_eq(t_lopen(&c, 1, O_RDWR), -EROFS);
	ck_assert_int_eq(t_lopen(&c, 1, O_RDONLY | O_TRUNC), -EROFS);
	ck_assert_int_eq(t_setattr(&c, 1, P9_ATTR_SIZE, 0, 0), -EROFS);
	ck_assert_int_eq(t_setattr(&c, 1, P9_ATTR_MODE, 0777, 0), -EROFS);
	ck_assert_int_eq(t_lopen(&c, 1, O_RDONLY), 0);
	ck_assert_int_eq(t_read(&c, 1, 0, sizeof(buf), buf), 11);
	ck_assert_int_eq(t_write(&c, 1, 0, "x", 1), -EROFS);
	ck_assert_int_eq(t_walk(&c, 0, 2, NULL), 0);
	ck_assert_int_eq(t_lcreate(&c, 2, "new", O_RDWR, 0600), -EROFS);
	ck_assert_int_eq(t_mkdir(&c, 0, "d", 0755), -EROFS);
	ck_assert_int_eq(t_symlink(&c, 0, "l", "x"), -EROFS);
	ck_assert_int_eq(t_unlinkat(&c, 0, "hello", 0), -EROFS);
	ck_assert_int_eq(t_renameat(&c, 0, "hello", 0, "moved"), -EROFS);
	cli_begin(&c, P9_TREMOVE);
	p9_put32(&c.m, 1);
	ck_assert_int_eq(cli_send(&c), -EROFS);
	ck_assert_str_eq(host_file(&t, "hello", buf, sizeof(buf)), "hello world");
	sh("test \"$(ls %s/share | tr '\\n' ' ')\" = 'abs dir hello rel '", t.top);
	end(&c);
	tree_free(&t);
}
END_TEST

START_TEST(malformed)
{
	struct tree t;
	struct cli c;
	tree_make(&t);
	session(&c, &t, 0);
	/* the size field says more than came */
	cli_begin(&c, P9_TCLUNK);
	p9_put32(&c.m, 0);
	le_put32(c.req, 0, 100);
	ck_assert_int_eq(cli_raw(&c, c.m.off), -EINVAL);
	ck_assert_uint_eq(le_get16(c.rep, 5), c.tag); /* still answered with its tag */
	le_put32(c.req, 0, 3);
	ck_assert_int_eq(cli_raw(&c, c.m.off), -EINVAL);
	ck_assert_int_eq(cli_raw(&c, 2), -EINVAL); /* not even a header */
	ck_assert_uint_eq(le_get16(c.rep, 5), P9_NOTAG);
	/* a message cut short inside its fields */
	cli_begin(&c, P9_TWALK);
	p9_put32(&c.m, 0);
	p9_put32(&c.m, 1);
	p9_put16(&c.m, 2);
	p9_putstr(&c.m, "dir");
	ck_assert_int_eq(cli_send(&c), -EINVAL);
	ck_assert_int_eq(t_walk(&c, 0, 1, "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a",
				"a", "a", NULL), -E2BIG);
	/* a name with a NUL in it: refused, not cut at the NUL */
	cli_begin(&c, P9_TWALK);
	p9_put32(&c.m, 0);
	p9_put32(&c.m, 1);
	p9_put16(&c.m, 1);
	p9_put16(&c.m, 7);
	memcpy(p9_room(&c.m, 7), "hello\0x", 7);
	ck_assert_int_eq(cli_send(&c), -EINVAL);
	cli_begin(&c, 200);
	ck_assert_int_eq(cli_send(&c), -EOPNOTSUPP);
	cli_begin(&c, P9_RLERROR);
	ck_assert_int_eq(cli_send(&c), -EOPNOTSUPP);
	ck_assert_int_eq(t_lopen(&c, 77, O_RDONLY), -EBADF);
	ck_assert_int_eq(t_walk(&c, 0, P9_NOFID, NULL), -EINVAL);
	p9_server_limit(c.s, 3); /* fids 0, 1, 2: the fourth is refused */
	ck_assert_int_eq(t_walk(&c, 0, 1, NULL), 0);
	ck_assert_int_eq(t_walk(&c, 0, 2, NULL), 0);
	ck_assert_int_eq(t_walk(&c, 0, 3, NULL), -ENFILE);
	ck_assert_int_eq(t_clunk(&c, 2), 0);
	ck_assert_int_eq(t_clunk(&c, 1), 0);
	cli_begin(&c, P9_TFLUSH);
	p9_put16(&c.m, 1);
	ck_assert_int_eq(cli_send(&c), 0);
	cli_begin(&c, P9_TXATTRWALK);
	p9_put32(&c.m, 0);
	p9_put32(&c.m, 9);
	p9_putstr(&c.m, "user.x");
	ck_assert_int_eq(cli_send(&c), -EOPNOTSUPP);
	cli_begin(&c, P9_TMKNOD);
	p9_put32(&c.m, 0);
	p9_putstr(&c.m, "dev");
	p9_put32(&c.m, S_IFCHR | 0600);
	p9_put32(&c.m, 1);
	p9_put32(&c.m, 3);
	p9_put32(&c.m, 0);
	ck_assert_int_eq(cli_send(&c), -EPERM); /* no host device nodes */
	/* a reply never outgrows the buffer it is given: a read of 1 MiB into 4 KiB */
	ck_assert_int_eq(t_walk(&c, 0, 1, "hello", NULL), 1);
	ck_assert_int_eq(t_lopen(&c, 1, O_RDONLY), 0);
	cli_begin(&c, P9_TREAD);
	p9_put32(&c.m, 1);
	p9_put64(&c.m, 0);
	p9_put32(&c.m, 1 << 20);
	le_put32(c.req, 0, (uint32_t)c.m.off);
	size_t n = p9_server_handle(c.s, c.req, c.m.off, c.rep, 16);
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(le_get32(c.rep, P9_HDR), 5);
	end(&c);
	tree_free(&t);
}
END_TEST

/* the server's part of a saved device, through the state interface as the virtio core calls it:
 * checked first, installed only if the check passed */
static int srv_save(const void *obj, struct state_writer *w)
{
	p9_server_state_save(obj, w);
	return 0;
}

static int srv_load(void *obj, struct state_reader *r, uint32_t version)
{
	struct state_reader probe = *r;
	int e = p9_server_state_load(obj, &probe, 0);
	if (!e)
		e = state_reader_done(&probe);
	return e ? e : p9_server_state_load(obj, r, 1);
}

static const struct state_ops srv_ops = { .id = "9p-test", .version = 1, .save = srv_save, .load = srv_load };

START_TEST(state_round_trip)
{
	struct tree t;
	struct cli c, d;
	char buf[64];
	tree_make(&t);
	session(&c, &t, 0);
	ck_assert_int_eq(t_walk(&c, 0, 1, "dir", "inner", NULL), 2);
	ck_assert_int_eq(t_lopen(&c, 1, O_RDWR), 0);
	ck_assert_int_eq(t_walk(&c, 0, 2, "hello", NULL), 1);
	ck_assert_int_eq(t_lopen(&c, 2, O_RDONLY), 0);
	ck_assert_int_eq(t_walk(&c, 0, 3, "dir", NULL), 1);
	size_t n;
	uint8_t *p = st_save(&srv_ops, c.s, &n);
	/* a new server on the same directory: fids 0..3 work again, open ones open */
	struct p9_server *s2;
	ck_assert_int_eq(p9_server_create(&s2, t.share, 0), 0);
	cli_init(&d, s2);
	st_check_short(&srv_ops, s2, p, n, 0); /* every truncation refused, nothing changed */
	ck_assert_uint_eq(p9_server_nfids(s2), 0);
	sh("rm %s/share/hello", t.top); /* gone meanwhile: that fid answers EIO */
	ck_assert_int_eq(st_load(&srv_ops, s2, p, n), 0);
	ck_assert_uint_eq(p9_server_nfids(s2), 4);
	ck_assert_int_eq(t_read(&d, 1, 0, sizeof(buf), buf), 3);
	ck_assert(!memcmp(buf, "in\n", 3));
	ck_assert_int_eq(t_write(&d, 1, 0, "IN", 2), 2);
	ck_assert_int_eq(t_read(&d, 2, 0, sizeof(buf), buf), -EIO);
	ck_assert_int_eq(t_clunk(&d, 2), 0);
	ck_assert_int_eq(t_walk(&d, 3, 4, "inner", NULL), 1);
	ck_assert_int_eq(t_walk(&d, 0, 5, "dir", NULL), 1);
	ck_assert_str_eq(host_file(&t, "dir/inner", buf, sizeof(buf)), "IN\n");
	/* a saved path that leaves the share is refused as a whole */
	uint8_t bad[40];
	const char *paths[] = { "../outside", "/etc/passw", "dir/../hel", "dir//inner" };
	for (unsigned k = 0; k < 4; k++) {
		le_put32(bad, 0, 65536);
		le_put32(bad, 4, 1);
		le_put32(bad, 8, 9);
		le_put16(bad, 12, 10);
		memcpy(bad + 14, paths[k], 10);
		le_put32(bad, 24, 0);
		le_put32(bad, 28, (uint32_t)-1);
		ck_assert_int_eq(st_load(&srv_ops, s2, bad, 32), -EINVAL);
	}
	ck_assert_uint_eq(p9_server_nfids(s2), 5);
	free(p);
	p9_server_destroy(s2);
	cli_free(&d);
	end(&c);
	tree_free(&t);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("9p");
	TCase *t = tcase_create("9p");
	tcase_add_test(t, version_attach_walk_read);
	tcase_add_test(t, create_write_rename_unlink);
	tcase_add_test(t, escapes_refused);
	tcase_add_test(t, read_only);
	tcase_add_test(t, malformed);
	tcase_add_test(t, state_round_trip);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
