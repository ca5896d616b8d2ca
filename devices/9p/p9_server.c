// SPDX-License-Identifier: GPL-2.0-or-later
/* The 9p server's core: the fid table, the beneath-the-root helpers, the dispatcher with the
 * session messages (Tversion, Tattach, Twalk, Tclunk, Tflush) and the saved state of the fids. */
#include "p9_priv.h"

#include <errno.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/state.h"

/* ---- helpers ---- */

int p9_open_beneath(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = flags & O_CREAT ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long r = syscall(SYS_openat2, dirfd, path[0] ? path : ".", &how, sizeof(how));
	return r < 0 ? -errno : (int)r;
}

int p9_reopen(int fd, int flags)
{
	char p[40];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	int r = open(p, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

int p9_fstat(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

int p9_name_ok(const char *name)
{
	size_t n = strlen(name);
	return n && n <= P9_NAME_MAX && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

char *p9_join(const char *path, const char *name)
{
	size_t a = strlen(path), b = strlen(name);
	if (a + b + 2 > PATH_MAX)
		return NULL;
	char *p = malloc(a + b + 2);
	if (p)
		sprintf(p, a ? "%s/%s" : "%s%s", path, name);
	return p;
}

void p9_put_qid(struct p9_out *o, const struct stat *st)
{
	p9_put8(o, S_ISDIR(st->st_mode) ? P9_QTDIR : S_ISLNK(st->st_mode) ? P9_QTSYMLINK : 0);
	p9_put32(o, 0);
	p9_put64(o, st->st_ino);
}

int p9_host_oflags(uint32_t flags)
{
	/* O_DIRECT, O_NOATIME, O_NONBLOCK, async and tty bits stay the host's business */
	int acc = (int)(flags & O_ACCMODE);
	return (acc == 3 ? O_RDONLY : acc) | (int)(flags & (O_TRUNC | O_APPEND | O_DSYNC | O_SYNC | O_DIRECTORY | O_EXCL));
}

/* ---- fid table ---- */

static unsigned bucket_of(uint32_t num) { return (num * 2654435761u) >> 24; }

struct p9_fid *p9_fid_get(struct p9_server *s, uint32_t num)
{
	struct p9_fid *f = s->bucket[bucket_of(num)];
	while (f && f->num != num)
		f = f->next;
	return f;
}

int p9_fid_use(struct p9_server *s, uint32_t num, struct p9_fid **f)
{
	*f = p9_fid_get(s, num);
	return !*f ? -EBADF : (*f)->fd < 0 ? -EIO : 0;
}

int p9_fid_add(struct p9_server *s, uint32_t num, int fd, char *path, uint32_t uid, struct p9_fid **out)
{
	int r = num == P9_NOFID ? -EINVAL : p9_fid_get(s, num) ? -EEXIST : s->nfids >= s->max_fids ? -ENFILE : 0;
	struct p9_fid *f = r ? NULL : calloc(1, sizeof(*f));
	if (!r && !f)
		r = -ENOMEM;
	if (r) {
		if (fd >= 0)
			close(fd);
		free(path);
		return r;
	}
	*f = (struct p9_fid){ .num = num, .fd = fd, .ofd = -1, .oflags = -1, .uid = uid, .path = path };
	f->next = s->bucket[bucket_of(num)];
	s->bucket[bucket_of(num)] = f;
	s->nfids++;
	if (out)
		*out = f;
	return 0;
}

static void fid_free(struct p9_fid *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->ofd >= 0)
		close(f->ofd);
	free(f->path);
	free(f);
}

void p9_fid_del(struct p9_server *s, uint32_t num)
{
	for (struct p9_fid **pp = &s->bucket[bucket_of(num)]; *pp; pp = &(*pp)->next)
		if ((*pp)->num == num) {
			struct p9_fid *f = *pp;
			*pp = f->next;
			fid_free(f);
			s->nfids--;
			return;
		}
}

void p9_fids_renamed(struct p9_server *s, const char *from, const char *to)
{
	size_t n = strlen(from);
	for (unsigned b = 0; b < P9_BUCKETS; b++)
		for (struct p9_fid *f = s->bucket[b]; f; f = f->next) {
			if (strncmp(f->path, from, n) || (f->path[n] && f->path[n] != '/'))
				continue;
			char *p = malloc(strlen(to) + strlen(f->path + n) + 1);
			if (!p)
				continue; /* the fid keeps working; only a later save would name the old path */
			sprintf(p, "%s%s", to, f->path + n);
			free(f->path);
			f->path = p;
		}
}

void p9_server_reset(struct p9_server *s)
{
	for (unsigned b = 0; b < P9_BUCKETS; b++)
		while (s->bucket[b]) {
			struct p9_fid *f = s->bucket[b];
			s->bucket[b] = f->next;
			fid_free(f);
		}
	s->nfids = 0;
	s->msize = P9_MAX_MSIZE;
}

unsigned p9_server_nfids(const struct p9_server *s) { return s->nfids; }

void p9_server_limit(struct p9_server *s, unsigned max_fids)
{
	s->max_fids = max_fids && max_fids < P9_MAX_FIDS ? max_fids : P9_MAX_FIDS;
}

int p9_server_create(struct p9_server **out, const char *root, int ro)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct p9_server *s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->rootfd = fd;
	s->ro = ro;
	s->msize = P9_MAX_MSIZE;
	s->max_fids = P9_MAX_FIDS;
	*out = s;
	return 0;
}

void p9_server_destroy(struct p9_server *s)
{
	if (!s)
		return;
	p9_server_reset(s);
	close(s->rootfd);
	free(s);
}

/* ---- session messages ---- */

static int do_version(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t msize = p9_u32(m);
	char ver[32];
	p9_str(m, ver, sizeof(ver));
	if (m->err)
		return -EINVAL;
	if (msize < P9_MIN_MSIZE)
		return -EINVAL;
	p9_server_reset(s); /* a new session: every fid of the old one is gone */
	s->msize = msize < P9_MAX_MSIZE ? msize : P9_MAX_MSIZE;
	p9_put32(o, s->msize);
	p9_putstr(o, strcmp(ver, "9P2000.L") ? "unknown" : "9P2000.L");
	return 0;
}

static int do_attach(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	p9_u32(m); /* afid: no authentication */
	char name[256];
	p9_str(m, name, sizeof(name)); /* uname */
	p9_str(m, name, sizeof(name)); /* aname: there is one tree */
	uint32_t uid = p9_u32(m);
	if (m->err)
		return -EINVAL;
	int fd = p9_open_beneath(s->rootfd, "", O_PATH | O_DIRECTORY, 0);
	struct stat st;
	if (fd < 0)
		return fd;
	int r = p9_fstat(fd, &st);
	char *path = strdup("");
	if (r || !path) {
		close(fd);
		free(path);
		return r ? r : -ENOMEM;
	}
	if ((r = p9_fid_add(s, fid, fd, path, uid == P9_NONUNAME ? 0 : uid, NULL)))
		return r;
	p9_put_qid(o, &st);
	return 0;
}

/* One step of a walk from (fd, path) to name: the new fd and path. `..` is taken from the path,
 * not the file system, and stops at the root. */
static int walk_one(struct p9_server *s, int fd, const char *path, const char *name, int *nfd, char **npath)
{
	if (!strcmp(name, "..")) {
		const char *slash = strrchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : 0;
		*npath = strndup(path, n);
		if (!*npath)
			return -ENOMEM;
		*nfd = p9_open_beneath(s->rootfd, *npath, O_PATH, 0);
	} else if (!strcmp(name, ".")) {
		*npath = strdup(path);
		if (!*npath)
			return -ENOMEM;
		*nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (*nfd < 0)
			*nfd = -errno;
	} else {
		if (!p9_name_ok(name))
			return -ENOENT;
		if (!(*npath = p9_join(path, name)))
			return -ENAMETOOLONG;
		*nfd = p9_open_beneath(fd, name, O_PATH, 0);
	}
	if (*nfd < 0) {
		free(*npath);
		*npath = NULL;
		return *nfd;
	}
	return 0;
}

static int do_walk(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fidn = p9_u32(m), newn = p9_u32(m);
	uint16_t nw = p9_u16(m);
	char names[P9_MAXWELEM][P9_NAME_MAX + 1];
	if (nw > P9_MAXWELEM)
		return -E2BIG;
	for (unsigned i = 0; i < nw; i++)
		p9_str(m, names[i], sizeof(names[i]));
	if (m->err)
		return -EINVAL;
	struct p9_fid *f;
	int r = p9_fid_use(s, fidn, &f);
	if (r)
		return r;
	if (newn != fidn && p9_fid_get(s, newn))
		return -EEXIST;
	int fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0); /* an O_PATH fd holds no offset: sharing is fine */
	char *path = strdup(f->path);
	if (fd < 0 || !path) {
		free(path);
		if (fd >= 0)
			close(fd);
		return fd < 0 ? -errno : -ENOMEM;
	}
	p9_put16(o, 0);
	unsigned done = 0;
	for (; done < nw; done++) {
		int nfd;
		char *npath;
		struct stat st;
		if ((r = walk_one(s, fd, path, names[done], &nfd, &npath)))
			break;
		close(fd);
		free(path);
		fd = nfd;
		path = npath;
		if ((r = p9_fstat(fd, &st)))
			break;
		p9_put_qid(o, &st);
	}
	le_put16(o->p, P9_HDR, (uint16_t)done);
	if (done < nw) { /* the first step failing is an error, a later one a short walk */
		close(fd);
		free(path);
		return done ? 0 : r;
	}
	if (newn == fidn) {
		close(f->fd);
		free(f->path);
		f->fd = fd;
		f->path = path;
		return 0;
	}
	return p9_fid_add(s, newn, fd, path, f->uid, NULL);
}

static int do_clunk(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	if (m->err)
		return -EINVAL;
	if (!p9_fid_get(s, fid))
		return -EBADF;
	p9_fid_del(s, fid);
	return 0;
}

static int refuse(struct p9_server *s, struct p9_in *m, struct p9_out *o) { return -EOPNOTSUPP; }

static int do_flush(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	p9_u16(m); /* every request is answered before the next is read: nothing to cancel */
	return m->err ? -EINVAL : 0;
}

typedef int (*p9_handler)(struct p9_server *s, struct p9_in *m, struct p9_out *o);

static p9_handler handler_of(uint8_t type)
{
	switch (type) {
	case P9_TVERSION: return do_version;
	case P9_TATTACH: return do_attach;
	case P9_TWALK: return do_walk;
	case P9_TCLUNK: return do_clunk;
	case P9_TFLUSH: return do_flush;
	case P9_TAUTH: case P9_TXATTRWALK: case P9_TXATTRCREATE: return refuse;
	case P9_TSTATFS: return p9_statfs;
	case P9_TLOPEN: return p9_lopen;
	case P9_TLCREATE: return p9_lcreate;
	case P9_TSYMLINK: return p9_symlink;
	case P9_TMKNOD: return p9_mknod;
	case P9_TRENAME: return p9_rename;
	case P9_TREADLINK: return p9_readlink;
	case P9_TGETATTR: return p9_getattr;
	case P9_TSETATTR: return p9_setattr;
	case P9_TREADDIR: return p9_readdir;
	case P9_TFSYNC: return p9_fsync;
	case P9_TLOCK: return p9_lock;
	case P9_TGETLOCK: return p9_getlock;
	case P9_TLINK: return p9_link;
	case P9_TMKDIR: return p9_mkdir;
	case P9_TRENAMEAT: return p9_renameat;
	case P9_TUNLINKAT: return p9_unlinkat;
	case P9_TREAD: return p9_read;
	case P9_TWRITE: return p9_write;
	case P9_TREMOVE: return p9_remove;
	default: return refuse;
	}
}

size_t p9_server_handle(struct p9_server *s, const uint8_t *in, size_t inlen, uint8_t *out, size_t cap)
{
	uint32_t size = inlen >= 4 ? le_get32(in, 0) : 0;
	uint8_t type = inlen >= 5 ? in[4] : 0;
	uint16_t tag = inlen >= P9_HDR ? le_get16(in, 5) : P9_NOTAG;
	if (cap > s->msize)
		cap = s->msize;
	struct p9_out o = { out, cap, P9_HDR, 0 };
	int r = -EINVAL;
	if (size >= P9_HDR && size <= inlen && size <= s->msize) {
		struct p9_in m = { in, size, P9_HDR, 0 };
		r = handler_of(type)(s, &m, &o);
		if (!r && o.err)
			r = -ENOBUFS; /* cannot happen with msize >= P9_MIN_MSIZE; never a cut reply */
	}
	if (r) {
		o = (struct p9_out){ out, cap, P9_HDR, 0 };
		p9_put32(&o, (uint32_t)-r);
		type = P9_TLERROR;
	}
	le_put32(out, 0, (uint32_t)o.off);
	out[4] = type + 1;
	le_put16(out, 5, tag);
	return o.off;
}

/* ---- saved state ---- */

void p9_server_state_save(const struct p9_server *s, struct state_writer *w)
{
	state_put_u32(w, s->msize);
	state_put_u32(w, s->nfids);
	for (unsigned b = 0; b < P9_BUCKETS; b++)
		for (const struct p9_fid *f = s->bucket[b]; f; f = f->next) {
			size_t n = strlen(f->path);
			state_put_u32(w, f->num);
			state_put_u16(w, (uint16_t)n);
			state_put_bytes(w, f->path, n);
			state_put_u32(w, f->uid);
			state_put_u32(w, (uint32_t)f->oflags);
		}
}

/* A saved path must be one the server could have made: "" or names joined by single slashes,
 * none of them "." or "..". */
static int saved_path_ok(const char *path)
{
	if (!path[0])
		return 1;
	for (const char *c = path;; c++) {
		size_t k = strcspn(c, "/");
		if (!k || (k == 1 && c[0] == '.') || (k == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += k;
		if (!*c)
			return 1;
	}
}

/* Reopens a saved fid; a file that cannot be found again leaves it stale (fd -1). */
static void fid_reopen(struct p9_server *s, struct p9_fid *f)
{
	f->fd = p9_open_beneath(s->rootfd, f->path, O_PATH, 0);
	if (f->fd < 0) {
		f->fd = -1;
		f->oflags = -1;
		return;
	}
	struct stat st;
	int kind_ok = !p9_fstat(f->fd, &st) && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
	if (f->oflags != -1 && (!kind_ok || (f->ofd = p9_reopen(f->fd, f->oflags & ~O_TRUNC)) < 0)) {
		close(f->fd);
		f->fd = f->ofd = f->oflags = -1;
	}
}

int p9_server_state_load(struct p9_server *s, struct state_reader *r, int apply)
{
	uint32_t msize = state_get_u32(r), n = state_get_u32(r);
	if (r->err)
		return r->err;
	if (msize < P9_MIN_MSIZE || msize > P9_MAX_MSIZE || n > P9_MAX_FIDS)
		return -EINVAL;
	if (apply)
		p9_server_reset(s);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t num = state_get_u32(r);
		uint16_t len = state_get_u16(r);
		const char *p = state_get_ptr(r, len);
		uint32_t uid = state_get_u32(r), of = state_get_u32(r);
		if (r->err)
			return r->err;
		char *path = strndup(p, len);
		int bad = !path || memchr(p, 0, len) || !saved_path_ok(path);
		if (bad || num == P9_NOFID || ((int32_t)of != -1 && ((int32_t)of & ~(O_ACCMODE | O_TRUNC | O_APPEND | O_DSYNC | O_SYNC | O_DIRECTORY | O_EXCL)))) {
			free(path);
			return -EINVAL;
		}
		struct p9_fid *f;
		if (!apply) {
			free(path);
			continue;
		}
		int e = p9_fid_add(s, num, -1, path, uid, &f);
		if (e)
			return e == -EEXIST ? -EINVAL : e;
		f->oflags = (int)of;
		fid_reopen(s, f);
	}
	if (apply)
		s->msize = msize;
	return 0;
}
