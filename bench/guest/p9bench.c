// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The 9p benchmark's guest (/init of its initramfs; bench/9p.sh): mounts the virtio-9p share
 * tagged kvbench (trans=virtio, 9p2000.L, msize kv9p_msize, default 262144, cache=none: every
 * call goes to the host), writes kv9p_mib MiB (default 64) sequentially in 1 MiB writes and
 * fsyncs, reads it back in 1 MiB reads, then creates, stats and unlinks kv9p_files files
 * (default 1000) in a fresh directory. Prints one `KV9PB: <what> n=<count> ns=<time>` line per
 * phase, `KV9PB: error ...` if something fails.
 */
#include "guest_init.h"

static char buf[1 << 20];

static void fail(const char *what)
{
	printf("KV9PB: error %s: %s\n", what, strerror(errno));
	guest_init_end();
}

static void report(const char *what, long n, uint64_t t0) { printf("KV9PB: %s n=%ld ns=%llu\n", what, n, (unsigned long long)(now_ns() - t0)); }

int main(void)
{
	guest_init_begin();
	long mib = env_num("kv9p_mib", 64), files = env_num("kv9p_files", 1000), msize = env_num("kv9p_msize", 262144);
	char opts[128], p[64];
	snprintf(opts, sizeof(opts), "trans=virtio,version=9p2000.L,msize=%ld,cache=none", msize);
	mkdir("/mnt", 0755);
	if (mount("kvbench", "/mnt", "9p", 0, opts))
		fail("mount");
	memset(buf, 0x5a, sizeof(buf));
	uint64_t t0 = now_ns();
	int fd = open("/mnt/seq", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0)
		fail("create");
	for (long i = 0; i < mib; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			fail("write");
	if (fsync(fd) || close(fd))
		fail("fsync");
	report("seq-write-mib", mib, t0);
	t0 = now_ns();
	if ((fd = open("/mnt/seq", O_RDONLY)) < 0)
		fail("open");
	long got = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		got += n;
	if (n < 0 || got != mib << 20)
		fail("read");
	close(fd);
	report("seq-read-mib", mib, t0);
	unlink("/mnt/seq");
	if (mkdir("/mnt/meta", 0755))
		fail("mkdir");
	t0 = now_ns();
	for (long i = 0; i < files; i++) {
		snprintf(p, sizeof(p), "/mnt/meta/f%ld", i);
		if ((fd = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644)) < 0 || close(fd))
			fail("create file");
	}
	report("create", files, t0);
	t0 = now_ns();
	struct stat st;
	for (long i = 0; i < files; i++) {
		snprintf(p, sizeof(p), "/mnt/meta/f%ld", i);
		if (stat(p, &st))
			fail("stat");
	}
	report("stat", files, t0);
	t0 = now_ns();
	for (long i = 0; i < files; i++) {
		snprintf(p, sizeof(p), "/mnt/meta/f%ld", i);
		if (unlink(p))
			fail("unlink");
	}
	report("unlink", files, t0);
	rmdir("/mnt/meta");
	umount("/mnt");
	guest_init_end();
	return 0;
}
