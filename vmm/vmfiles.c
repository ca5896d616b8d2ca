// SPDX-License-Identifier: GPL-2.0-or-later
/* A named VM's run files: see vmfiles.h. */
#include "vmfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "paths.h"

/* The pid a live VM wrote, or 0 if unreadable (it may not have written it yet). */
static long read_pid(const char *path)
{
	char buf[32] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	char *end;
	long p = strtol(buf, &end, 10);
	return p > 0 && (*end == '\n' || !*end) ? p : 0;
}

/* Writes data to path through a temporary file and a rename, so a reader sees all of it or none. */
static int write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX + 8];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	const char *p = data;
	size_t done = 0;
	int ret = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);
		if (n < 0) {
			ret = -errno;
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int copy_definition(const char *from, const char *to)
{
	int fd = open(from, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = -errno;
		if (fd >= 0)
			close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (16 << 20)) {
		close(fd);
		return S_ISREG(st.st_mode) ? -EFBIG : S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	int ret = buf ? 0 : -ENOMEM;
	while (!ret && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			ret = n < 0 ? -errno : -EIO;
		else
			got += (size_t)n;
	}
	close(fd);
	if (!ret)
		ret = write_atomic(to, buf, got);
	free(buf);
	return ret;
}

int vmfiles_claim(struct vm_files *f, const char *name, const char *definition)
{
	memset(f, 0, sizeof(*f));
	f->lock_fd = -1;
	const char *why = NULL;
	int ret = kv_runtime_dir(f->dir, sizeof(f->dir), &why);
	if (ret) {
		/* the ownership and mode checks and a missing XDG_RUNTIME_DIR say it all in why */
		if (ret == -EPERM || ret == -ENOENT || !why)
			kv_log("%s: %s", f->dir[0] ? f->dir : "runtime directory", why ? why : strerror(-ret));
		else
			kv_err(ret, "%s: %s", f->dir, why);
		return 1;
	}
	if (kv_path_join(f->lock, sizeof(f->lock), f->dir, name, ".lock") ||
	    kv_path_join(f->pid, sizeof(f->pid), f->dir, name, ".pid") ||
	    kv_path_join(f->xml, sizeof(f->xml), f->dir, name, ".xml") ||
	    kv_path_join(f->qmp, sizeof(f->qmp), f->dir, name, ".qmp") ||
	    kv_path_join(f->console, sizeof(f->console), f->dir, name, ".console") ||
	    kv_path_join(f->log, sizeof(f->log), f->dir, name, ".log")) {
		kv_log("--name %s: %s: path too long", name, f->dir);
		return 1;
	}
	f->lock_fd = open(f->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f->lock_fd < 0) {
		kv_err(-errno, "%s", f->lock);
		return 1;
	}
	if (flock(f->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(f->lock_fd);
		f->lock_fd = -1;
		if (e != EWOULDBLOCK) {
			kv_err(-e, "%s: lock", f->lock);
			return 1;
		}
		long pid = read_pid(f->pid);
		if (pid)
			kv_log("--name %s: a VM of that name is running (pid %ld)", name, pid);
		else
			kv_log("--name %s: a VM of that name is running", name);
		return 1;
	}
	/* the name is ours: whatever a dead owner left is stale (its socket: control_open) */
	unlink(f->pid);
	unlink(f->xml);
	if (definition) {
		ret = copy_definition(definition, f->xml);
		if (ret) {
			kv_err(ret, "--definition %s", definition);
			vmfiles_release(f);
			return 1;
		}
		f->have_xml = 1;
	}
	int fd = open(f->console, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	return 0;
}

static int write_pid(const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	return write_atomic(path, buf, (size_t)n);
}

int vmfiles_write_pid(struct vm_files *f)
{
	int ret = write_pid(f->pid);
	if (ret)
		kv_err(ret, "%s", f->pid);
	else
		f->have_pid = 1;
	return ret;
}

int vmfiles_pidfile(const char *path)
{
	int ret = write_pid(path);
	if (ret)
		kv_err(ret, "--pidfile %s", path);
	return ret;
}

void vmfiles_release(struct vm_files *f)
{
	if (f->lock_fd < 0)
		return;
	if (f->have_pid)
		unlink(f->pid);
	if (f->have_xml)
		unlink(f->xml);
	f->have_pid = f->have_xml = 0;
	close(f->lock_fd); /* the lock file stays: flock, not its existence, says who owns the name */
	f->lock_fd = -1;
}
