// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest side of bench/blk.sh: runs as /init (static, glibc) of a one-file initramfs and measures
 * direct I/O on a virtio-blk disk: sequential 1 MiB writes (then one flush), sequential 1 MiB
 * reads of the same range, and 4 KiB reads at random aligned offsets inside it. O_DIRECT keeps
 * the guest page cache out, so every request reaches the VMM.
 *
 * Parameters come from the kernel command line (unknown key=value parameters reach init as
 * environment variables): kvblk_dev (default /dev/vda), kvblk_seq_mib (default 32),
 * kvblk_rand (default 2000). Output, one line each:
 *   KVBLK: seq-write mib=N ns=T          KVBLK: seq-read mib=N ns=T
 *   KVBLK: rand-read n=N ns=T            KVBLK: error WHAT: MESSAGE
 * The `KVMINI-INIT: start` / `KVMINI-INIT: poweroff` lines are the ones bench/lib.bash's
 * run_serial keys on (the kit's test init prints the same).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1u << 20)
#define BLK 4096u

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long env_num(const char *name, long def)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 0) : def;
}

static void fail(const char *what)
{
	printf("KVBLK: error %s: %s\n", what, strerror(errno));
}

static void run(void)
{
	const char *dev = getenv("kvblk_dev") ? getenv("kvblk_dev") : "/dev/vda";
	long mib = env_num("kvblk_seq_mib", 32), nrand = env_num("kvblk_rand", 2000);
	unsigned char *buf;
	uint64_t t, x = 0x9e3779b97f4a7c15u;
	int fd;

	if (posix_memalign((void **)&buf, BLK, MIB)) {
		fail("posix_memalign");
		return;
	}
	/* non-zero data: a VMM or image format must not get to skip zero writes */
	for (unsigned i = 0; i < MIB / 8; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		((uint64_t *)buf)[i] = x;
	}
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		fail(dev);
		return;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	if (size < (off_t)mib * MIB) {
		printf("KVBLK: error size: %s has %lld bytes, the run needs %ld MiB\n", dev,
		       (long long)size, mib);
		return;
	}

	t = now_ns();
	for (long i = 0; i < mib; i++)
		if (pwrite(fd, buf, MIB, (off_t)i * MIB) != MIB)
			return fail("pwrite");
	if (fsync(fd))
		return fail("fsync");
	printf("KVBLK: seq-write mib=%ld ns=%llu\n", mib, (unsigned long long)(now_ns() - t));
	fflush(stdout);

	t = now_ns();
	for (long i = 0; i < mib; i++)
		if (pread(fd, buf, MIB, (off_t)i * MIB) != MIB)
			return fail("pread");
	printf("KVBLK: seq-read mib=%ld ns=%llu\n", mib, (unsigned long long)(now_ns() - t));
	fflush(stdout);

	uint64_t blocks = (uint64_t)mib * (MIB / BLK);
	t = now_ns();
	for (long i = 0; i < nrand; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (pread(fd, buf, BLK, (off_t)(x % blocks) * BLK) != BLK)
			return fail("pread 4k");
	}
	printf("KVBLK: rand-read n=%ld ns=%llu\n", nrand, (unsigned long long)(now_ns() - t));
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* an initramfs gets no automatic devtmpfs */
	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		fail("mount /dev");
	int c = open("/dev/console", O_WRONLY);
	if (c >= 0) {
		dup2(c, 1);
		dup2(c, 2);
	}
	printf("KVMINI-INIT: start\n");
	run();
	printf("KVMINI-INIT: poweroff\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
