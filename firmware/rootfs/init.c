// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest's /init under `kvmini run --rootfs-share DIR`: a static program kvmini embeds and
 * puts into an in-memory initramfs. It mounts the 9p share tagged kvmini-root (read-only, under a
 * tmpfs overlay, or read-write when /kvmini-rootfs says "rw"), moves /dev into it, makes it the
 * root (switch_root: chdir, mount --move . /, chroot .) and execs the init named by init= on the
 * kernel command line, else /sbin/init. On any failure: one console line, then power off. Runs in
 * the guest, so it is built apart from kvmini (cc -static) and never linked into it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAG "kvmini-root"
#define P9OPTS "trans=virtio,version=9p2000.L,msize=262144"

static void fail(const char *what, int e)
{
	dprintf(2, "kvmini-rootfs: %s: %s\n", what, strerror(e));
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

static void must(int r, const char *what)
{
	if (r)
		fail(what, errno);
}

/* the value of init= on the kernel command line into buf, or /sbin/init */
static void find_init(char *buf, size_t len)
{
	char line[4096];
	snprintf(buf, len, "/sbin/init");
	must(mount("proc", "/proc", "proc", 0, NULL), "mount /proc");
	int fd = open("/proc/cmdline", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, line, sizeof(line) - 1);
	if (fd >= 0)
		close(fd);
	umount("/proc");
	if (n <= 0)
		return;
	line[n] = 0;
	for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
		if (!strncmp(tok, "init=", 5) && tok[5])
			snprintf(buf, len, "%s", tok + 5);
}

/* "rw" in /kvmini-rootfs: the share itself is the root, writes go to the host directory */
static int want_rw(void)
{
	char mode[8] = "";
	int fd = open("/kvmini-rootfs", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, mode, sizeof(mode) - 1) < 0)
			mode[0] = 0;
		close(fd);
	}
	return !strncmp(mode, "rw", 2);
}

int main(void)
{
	char init[512];
	find_init(init, sizeof(init));
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		fail("mount /dev", errno);
	if (want_rw()) {
		must(mount(TAG, "/newroot", "9p", 0, P9OPTS), "mount 9p " TAG " on /newroot");
	} else {
		must(mount(TAG, "/lower", "9p", MS_RDONLY, P9OPTS), "mount 9p " TAG " on /lower");
		must(mount("tmpfs", "/rw", "tmpfs", 0, "mode=0755"), "mount tmpfs on /rw");
		must(mkdir("/rw/upper", 0755) || mkdir("/rw/work", 0755), "mkdir /rw/upper, /rw/work");
		must(mount("overlay", "/newroot", "overlay", 0,
			   "lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work"),
		     "mount overlay on /newroot");
	}
	/* the new root's /dev if it has one; without it the guest's init mounts its own */
	struct stat st;
	if (!stat("/newroot/dev", &st) && S_ISDIR(st.st_mode))
		must(mount("/dev", "/newroot/dev", NULL, MS_MOVE, NULL), "move /dev");
	must(chdir("/newroot"), "chdir /newroot");
	must(mount(".", "/", NULL, MS_MOVE, NULL), "move /newroot to /");
	must(chroot("."), "chroot");
	must(chdir("/"), "chdir /");
	char *argv[] = { init, NULL };
	execv(init, argv);
	char what[sizeof(init) + 8];
	snprintf(what, sizeof(what), "exec %s", init);
	fail(what, errno);
	return 1;
}
