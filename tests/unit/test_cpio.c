// SPDX-License-Identifier: GPL-2.0-or-later
/* The newc cpio writer (firmware/cpio.c) and --rootfs-share's initramfs (vmm/rootfs.c): the
 * headers parsed back field by field, and GNU cpio listing what was written. */
#include "unit.h"
#include "firmware/cpio.h"
#include "vmm/rootfs.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

struct ent {
	char name[256];
	uint32_t ino, mode, nlink, size, rmaj, rmin;
	const uint8_t *data;
};

static uint32_t hex8(const uint8_t *p)
{
	char s[9];
	memcpy(s, p, 8);
	s[8] = 0;
	char *end;
	uint32_t v = (uint32_t)strtoul(s, &end, 16);
	ck_assert_ptr_eq(end, s + 8);
	return v;
}

/* the entries of a newc archive, checking magic, alignment and the trailer; returns their count */
static int parse(const uint8_t *b, size_t len, struct ent *e, int max)
{
	size_t off = 0;
	for (int n = 0; n < max; n++) {
		ck_assert_uint_eq(off % 4, 0);
		ck_assert_uint_le(off + 110, len);
		ck_assert_int_eq(memcmp(b + off, "070701", 6), 0);
		const uint8_t *h = b + off + 6;
		e[n].ino = hex8(h);
		e[n].mode = hex8(h + 8);
		ck_assert_uint_eq(hex8(h + 16), 0); /* uid */
		ck_assert_uint_eq(hex8(h + 24), 0); /* gid */
		e[n].nlink = hex8(h + 32);
		e[n].size = hex8(h + 48);
		e[n].rmaj = hex8(h + 72);
		e[n].rmin = hex8(h + 80);
		uint32_t nsz = hex8(h + 88);
		ck_assert_uint_eq(hex8(h + 96), 0); /* check */
		ck_assert_uint_le(off + 110 + nsz, len);
		ck_assert_uint_lt(nsz, sizeof(e[n].name));
		ck_assert_int_eq(b[off + 110 + nsz - 1], 0);
		memcpy(e[n].name, b + off + 110, nsz);
		off = (off + 110 + nsz + 3) & ~(size_t)3;
		e[n].data = b + off;
		ck_assert_uint_le(off + e[n].size, len);
		off = (off + e[n].size + 3) & ~(size_t)3;
		if (!strcmp(e[n].name, "TRAILER!!!")) {
			ck_assert_uint_eq(off, len);
			return n + 1;
		}
	}
	ck_abort_msg("no trailer");
	return -1;
}

START_TEST(fields)
{
	struct cpio c = { 0 };
	static const char data[] = "hello, cpio"; /* 11 bytes: the data needs padding */
	ck_assert_int_eq(cpio_add(&c, "d", S_IFDIR | 0755, NULL, 0, 0, 0), 0);
	ck_assert_int_eq(cpio_add(&c, "d/file.txt", S_IFREG | 0640, data, 11, 0, 0), 0);
	ck_assert_int_eq(cpio_add(&c, "d/console", S_IFCHR | 0600, NULL, 0, 5, 1), 0);
	ck_assert_int_eq(cpio_add(&c, "", S_IFREG, NULL, 0, 0, 0), -EINVAL);
	ck_assert_int_eq(cpio_finish(&c), 0);
	struct ent e[8];
	ck_assert_int_eq(parse(c.buf, c.len, e, 8), 4);
	ck_assert_str_eq(e[0].name, "d");
	ck_assert_uint_eq(e[0].mode, S_IFDIR | 0755);
	ck_assert_uint_eq(e[0].nlink, 2);
	ck_assert_str_eq(e[1].name, "d/file.txt");
	ck_assert_uint_eq(e[1].mode, S_IFREG | 0640);
	ck_assert_uint_eq(e[1].nlink, 1);
	ck_assert_uint_eq(e[1].size, 11);
	ck_assert_int_eq(memcmp(e[1].data, data, 11), 0);
	ck_assert_str_eq(e[2].name, "d/console");
	ck_assert_uint_eq(e[2].mode, S_IFCHR | 0600);
	ck_assert_uint_eq(e[2].rmaj, 5);
	ck_assert_uint_eq(e[2].rmin, 1);
	ck_assert_uint_ne(e[0].ino, e[1].ino); /* the kernel links entries with equal inodes */
	ck_assert_uint_ne(e[1].ino, e[2].ino);

	/* GNU cpio lists the same archive */
	char path[] = "/tmp/kvmini-cpio-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, c.buf, c.len), (ssize_t)c.len);
	close(fd);
	char cmd[128], out[256] = "";
	snprintf(cmd, sizeof(cmd), "cpio -it --quiet <%s 2>&1 | tr '\\n' ' '", path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	ck_assert_int_eq(pclose(p), 0);
	unlink(path);
	ck_assert_str_eq(out, "d d/file.txt d/console ");
	free(c.buf);
}
END_TEST

static const struct ent *find(const struct ent *e, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(e[i].name, name))
			return &e[i];
	ck_abort_msg("%s is not in the initramfs", name);
	return NULL;
}

START_TEST(initramfs)
{
	for (int rw = 0; rw < 2; rw++) {
		uint8_t *b = NULL;
		size_t len = 0;
		ck_assert_int_eq(rootfs_initramfs(rw, &b, &len), 0);
		struct ent e[16];
		int n = parse(b, len, e, 16);
		const struct ent *init = find(e, n, "init");
		ck_assert_uint_eq(init->mode, S_IFREG | 0755);
		ck_assert_uint_gt(init->size, 1000);
		ck_assert_int_eq(memcmp(init->data, "\177ELF", 4), 0);
		const struct ent *mode = find(e, n, "kvmini-rootfs");
		ck_assert_int_eq(memcmp(mode->data, rw ? "rw\n" : "overlay\n", mode->size), 0);
		const struct ent *con = find(e, n, "dev/console");
		ck_assert_uint_eq(con->mode, S_IFCHR | 0600);
		ck_assert_uint_eq(con->rmaj * 256 + con->rmin, 5 * 256 + 1);
		static const char *const dirs[] = { "dev", "proc", "lower", "rw", "newroot" };
		for (int i = 0; i < 5; i++)
			ck_assert_uint_eq(find(e, n, dirs[i])->mode, S_IFDIR | 0755);
		/* the parent comes before the node the kernel makes in it */
		ck_assert(find(e, n, "dev") < con);
		free(b);
	}
}
END_TEST

START_TEST(spec)
{
	struct rootfs_spec s;
	char err[256];
	ck_assert_int_eq(rootfs_spec_parse("/srv/root", &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s.dir, "/srv/root");
	ck_assert_int_eq(s.rw, 0);
	ck_assert_int_eq(rootfs_spec_parse("/srv/root,rw", &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s.dir, "/srv/root");
	ck_assert_int_eq(s.rw, 1);
	ck_assert_int_eq(rootfs_spec_parse("", &s, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "--rootfs-share : expected DIR[,rw]");
	ck_assert_int_eq(rootfs_spec_parse(",rw", &s, err, sizeof(err)), -EINVAL);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("cpio");
	TCase *t = tcase_create("cpio");
	tcase_add_test(t, fields);
	tcase_add_test(t, initramfs);
	tcase_add_test(t, spec);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
