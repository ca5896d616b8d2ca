// SPDX-License-Identifier: GPL-2.0-or-later
/* The 9p server's name requests: creating (Tlcreate, Tmkdir, Tsymlink, Tmknod, Tlink), reading a
 * link (Treadlink), and removing or renaming (Tunlinkat, Trenameat, Trename, Tremove). Every name
 * is one checked component taken relative to a directory fid's descriptor, so nothing the guest
 * sends can name a host file outside the share. */
#include "p9_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A directory fid and a new name in it: both checked; for requests that change the tree. */
static int dir_and_name(struct p9_server *s, struct p9_in *m, uint32_t fid, const char *name, struct p9_fid **d)
{
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, d);
	if (r)
		return r;
	if (!p9_name_ok(name))
		return -EINVAL;
	return s->ro ? -EROFS : 0;
}

/* The new object's qid, and its owner set to the creator's (failures are the host's limits: the
 * file stays, owned by kvmini's user, as with QEMU's security_model=none). */
static int created(int dfd, const char *name, uint32_t uid, uint32_t gid, struct p9_out *o)
{
	int fd = p9_open_beneath(dfd, name, O_PATH, 0);
	struct stat st;
	if (fd < 0)
		return fd;
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		/* not fatal: see above */
	}
	int r = p9_fstat(fd, &st);
	close(fd);
	if (!r)
		p9_put_qid(o, &st);
	return r;
}

int p9_lcreate(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	char name[P9_NAME_MAX + 1];
	p9_str(m, name, sizeof(name));
	uint32_t flags = p9_u32(m), mode = p9_u32(m), gid = p9_u32(m);
	struct p9_fid *d;
	int r = dir_and_name(s, m, fid, name, &d);
	if (r)
		return r;
	if (d->ofd >= 0)
		return -EBADF; /* the fid turns into the new file: an open one cannot */
	char *path = p9_join(d->path, name);
	if (!path)
		return -ENAMETOOLONG;
	int of = p9_host_oflags(flags) & ~O_DIRECTORY;
	/* O_NONBLOCK: a FIFO the host put under that name must not hang the I/O thread */
	int ofd = p9_open_beneath(d->fd, name, of | O_CREAT | O_NONBLOCK, mode & 07777);
	int pfd = ofd < 0 ? ofd : p9_reopen(ofd, O_PATH);
	struct stat st;
	if (pfd < 0 || (r = p9_fstat(pfd, &st)) || (!S_ISREG(st.st_mode) && (r = -EEXIST))) {
		r = pfd < 0 ? pfd : r;
		if (ofd >= 0)
			close(ofd);
		if (pfd >= 0)
			close(pfd);
		free(path);
		return r;
	}
	if (fchown(ofd, d->uid, gid)) {
		/* not fatal: the host's limits (see created) */
	}
	close(d->fd);
	free(d->path);
	d->fd = pfd;
	d->path = path;
	d->ofd = ofd;
	d->oflags = of & ~O_EXCL;
	p9_put_qid(o, &st);
	p9_put32(o, 0);
	return 0;
}

int p9_mkdir(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	char name[P9_NAME_MAX + 1];
	p9_str(m, name, sizeof(name));
	uint32_t mode = p9_u32(m), gid = p9_u32(m);
	struct p9_fid *d;
	int r = dir_and_name(s, m, fid, name, &d);
	if (r)
		return r;
	if (mkdirat(d->fd, name, mode & 07777))
		return -errno;
	return created(d->fd, name, d->uid, gid, o);
}

int p9_symlink(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	char name[P9_NAME_MAX + 1], target[PATH_MAX];
	p9_str(m, name, sizeof(name));
	p9_str(m, target, sizeof(target));
	uint32_t gid = p9_u32(m);
	struct p9_fid *d;
	int r = dir_and_name(s, m, fid, name, &d);
	if (r)
		return r;
	/* the target is the guest's text: stored, never followed by the server */
	if (!target[0])
		return -ENOENT;
	if (symlinkat(target, d->fd, name))
		return -errno;
	return created(d->fd, name, d->uid, gid, o);
}

int p9_mknod(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	char name[P9_NAME_MAX + 1];
	p9_str(m, name, sizeof(name));
	uint32_t mode = p9_u32(m);
	p9_u32(m); /* major, minor */
	p9_u32(m);
	uint32_t gid = p9_u32(m);
	struct p9_fid *d;
	int r = dir_and_name(s, m, fid, name, &d);
	if (r)
		return r;
	/* FIFOs and sockets are inert on the host; device nodes would open its devices */
	if (!S_ISFIFO(mode) && !S_ISSOCK(mode))
		return -EPERM;
	if (mknodat(d->fd, name, (mode & 07777) | (mode & S_IFMT), 0))
		return -errno;
	return created(d->fd, name, d->uid, gid, o);
}

int p9_readlink(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	struct p9_fid *f;
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, &f);
	if (r)
		return r;
	char buf[PATH_MAX];
	ssize_t n = readlinkat(f->fd, "", buf, sizeof(buf) - 1);
	if (n < 0)
		return errno == ENOENT ? -EINVAL : -errno; /* "" on a non-link */
	buf[n] = 0;
	p9_putstr(o, buf);
	return 0;
}

int p9_link(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t dfid = p9_u32(m), fid = p9_u32(m);
	char name[P9_NAME_MAX + 1];
	p9_str(m, name, sizeof(name));
	struct p9_fid *d, *f;
	int r = dir_and_name(s, m, dfid, name, &d);
	if (r || (r = p9_fid_use(s, fid, &f)))
		return r;
	return linkat(f->fd, "", d->fd, name, AT_EMPTY_PATH) ? -errno : 0;
}

int p9_unlinkat(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	char name[P9_NAME_MAX + 1];
	p9_str(m, name, sizeof(name));
	uint32_t flags = p9_u32(m);
	struct p9_fid *d;
	int r = dir_and_name(s, m, fid, name, &d);
	if (r)
		return r;
	return unlinkat(d->fd, name, flags & P9_AT_REMOVEDIR ? AT_REMOVEDIR : 0) ? -errno : 0;
}

static int rename_in(struct p9_server *s, struct p9_fid *od, const char *oname, struct p9_fid *nd, const char *nname)
{
	char *from = p9_join(od->path, oname), *to = p9_join(nd->path, nname);
	int r = !from || !to ? -ENAMETOOLONG : renameat(od->fd, oname, nd->fd, nname) ? -errno : 0;
	if (!r)
		p9_fids_renamed(s, from, to);
	free(from);
	free(to);
	return r;
}

int p9_renameat(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t ofid = p9_u32(m);
	char oname[P9_NAME_MAX + 1], nname[P9_NAME_MAX + 1];
	p9_str(m, oname, sizeof(oname));
	uint32_t nfid = p9_u32(m);
	p9_str(m, nname, sizeof(nname));
	struct p9_fid *od, *nd;
	int r = dir_and_name(s, m, ofid, oname, &od);
	if (r || (r = dir_and_name(s, m, nfid, nname, &nd)))
		return r;
	return rename_in(s, od, oname, nd, nname);
}

/* The directory holding fid f (opened beneath the root from f's path) and f's name in it. */
static int parent_of(struct p9_server *s, const struct p9_fid *f, struct p9_fid *pd, const char **name)
{
	if (!f->path[0])
		return -EBUSY; /* the root itself */
	const char *slash = strrchr(f->path, '/');
	*name = slash ? slash + 1 : f->path;
	pd->path = strndup(f->path, slash ? (size_t)(slash - f->path) : 0);
	if (!pd->path)
		return -ENOMEM;
	pd->fd = p9_open_beneath(s->rootfd, pd->path, O_PATH | O_DIRECTORY, 0);
	if (pd->fd < 0) {
		free(pd->path);
		return pd->fd;
	}
	return 0;
}

int p9_rename(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m), dfid = p9_u32(m);
	char name[P9_NAME_MAX + 1];
	p9_str(m, name, sizeof(name));
	struct p9_fid *f, *nd, pd;
	const char *oname;
	int r = dir_and_name(s, m, dfid, name, &nd);
	if (r || (r = p9_fid_use(s, fid, &f)) || (r = parent_of(s, f, &pd, &oname)))
		return r;
	char *old = strdup(oname);
	r = old ? rename_in(s, &pd, old, nd, name) : -ENOMEM;
	free(old);
	close(pd.fd);
	free(pd.path);
	return r;
}

/* Tremove: unlink what the fid names, then clunk it whatever happened (9P's rule). */
int p9_remove(struct p9_server *s, struct p9_in *m, struct p9_out *o)
{
	uint32_t fid = p9_u32(m);
	struct p9_fid *f, pd;
	const char *name;
	struct stat st;
	int r = m->err ? -EINVAL : p9_fid_use(s, fid, &f);
	if (r == -EIO)
		p9_fid_del(s, fid);
	if (r)
		return r;
	if (s->ro)
		r = -EROFS;
	else if (!(r = p9_fstat(f->fd, &st)) && !(r = parent_of(s, f, &pd, &name))) {
		r = unlinkat(pd.fd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) ? -errno : 0;
		close(pd.fd);
		free(pd.path);
	}
	p9_fid_del(s, fid);
	return r;
}
