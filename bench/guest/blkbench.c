// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest side of bench/blk.sh: runs as /init (static, glibc) of a one-file initramfs and measures
 * direct I/O on each virtio-blk disk of kvblk_devs in turn: sequential 1 MiB writes (then one
 * flush), sequential 1 MiB reads of the same range, 4 KiB reads at random aligned offsets inside
 * it one at a time (queue depth 1), and the same with kvblk_qd threads each doing such reads
 * (queue depth kvblk_qd: the kit kernel has neither io_uring nor libaio, threads work anywhere).
 * O_DIRECT keeps the guest page cache out, so every request reaches the VMM.
 *
 * Parameters come from the kernel command line (unknown key=value parameters reach init as
 * environment variables): kvblk_devs (default vda; a comma list of names under /dev),
 * kvblk_seq_mib (default 8), kvblk_rand (reads at depth 1, default 128), kvblk_qd (default 32),
 * kvblk_rand_qd (reads at that depth, all threads together, default 256), kvblk_randw (4 KiB writes
 * at random offsets at depth 1, then one flush; default 0: none). Output, one line each:
 *   KVBLK: dev=D size=BYTES
 *   KVBLK: dev=D seq-write mib=N ns=T        KVBLK: dev=D seq-read mib=N ns=T
 *   KVBLK: dev=D rand-read qd=Q n=N ns=T     KVBLK: error WHAT: MESSAGE
 *   KVBLK: dev=D rand-write qd=1 n=N ns=T
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "guest_init.h"

#define MIB (1u << 20)
#define BLK 4096u

static void fail(const char *what)
{
	printf("KVBLK: error %s: %s\n", what, strerror(errno));
}

/* the depth-N threads start together, once all exist */
struct start {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int go;
};

static void start_wait(struct start *s)
{
	pthread_mutex_lock(&s->lock);
	while (!s->go)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

static void start_all(struct start *s)
{
	pthread_mutex_lock(&s->lock);
	s->go = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

struct rand_job {
	int fd;
	uint64_t blocks, seed;
	long n;
	struct start *go; /* NULL: run at once */
	int err;
	bool write;
};

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return *x;
}

static void *rand_reads(void *arg)
{
	struct rand_job *j = arg;
	void *buf;
	if (posix_memalign(&buf, BLK, BLK)) {
		j->err = ENOMEM;
		return NULL;
	}
	if (j->go)
		start_wait(j->go);
	memset(buf, 0x5a, BLK); /* non-zero, for the writes */
	for (long i = 0; i < j->n && !j->err; i++) {
		off_t off = (off_t)(xorshift(&j->seed) % j->blocks) * BLK;
		if ((j->write ? pwrite(j->fd, buf, BLK, off) : pread(j->fd, buf, BLK, off)) != BLK)
			j->err = errno ? errno : EIO;
	}
	free(buf);
	return NULL;
}

/* n random 4 KiB reads over qd threads (qd 1: this thread); prints the line, 0 or -1 */
static int rand_run(const char *name, int fd, uint64_t blocks, long qd, long n)
{
	struct rand_job jobs[256];
	pthread_t th[256];
	struct start go = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	long started = 0;
	uint64_t t;
	for (long k = 0; k < qd; k++)
		jobs[k] = (struct rand_job){ fd, blocks, 0x9e3779b97f4a7c15u * (uint64_t)(k + 1), n / qd + (k < n % qd),
					     qd > 1 ? &go : NULL, 0, false };
	if (qd == 1) {
		t = now_ns();
		rand_reads(&jobs[0]);
	} else {
		for (; started < qd; started++)
			if (pthread_create(&th[started], NULL, rand_reads, &jobs[started]))
				break;
		t = now_ns();
		start_all(&go);
		for (long k = 0; k < started; k++)
			pthread_join(th[k], NULL);
		if (started < qd) {
			printf("KVBLK: error pthread_create: %ld of %ld threads\n", started, qd);
			return -1;
		}
	}
	t = now_ns() - t;
	for (long k = 0; k < qd; k++)
		if (jobs[k].err) {
			errno = jobs[k].err;
			fail("pread 4k");
			return -1;
		}
	printf("KVBLK: dev=%s rand-read qd=%ld n=%ld ns=%llu\n", name, qd, n, (unsigned long long)t);
	return 0;
}

static void run(const char *name, unsigned char *buf)
{
	long mib = env_num("kvblk_seq_mib", 8), nrand = env_num("kvblk_rand", 128);
	long qd = env_num("kvblk_qd", 32), nqd = env_num("kvblk_rand_qd", 256);
	char dev[64];
	uint64_t t;
	int fd;

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		fail(dev);
		return;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	if (mib < 1 || size < (off_t)mib * MIB || qd < 1 || qd > 256) {
		printf("KVBLK: error size: %s has %lld bytes, the run needs %ld MiB (and 1 <= kvblk_qd <= 256)\n",
		       dev, (long long)size, mib);
		close(fd);
		return;
	}

	printf("KVBLK: dev=%s size=%lld\n", name, (long long)size);
	t = now_ns();
	for (long i = 0; i < mib; i++)
		if (pwrite(fd, buf, MIB, (off_t)i * MIB) != MIB)
			return fail("pwrite");
	if (fsync(fd))
		return fail("fsync");
	printf("KVBLK: dev=%s seq-write mib=%ld ns=%llu\n", name, mib, (unsigned long long)(now_ns() - t));

	t = now_ns();
	for (long i = 0; i < mib; i++)
		if (pread(fd, buf, MIB, (off_t)i * MIB) != MIB)
			return fail("pread");
	printf("KVBLK: dev=%s seq-read mib=%ld ns=%llu\n", name, mib, (unsigned long long)(now_ns() - t));

	uint64_t blocks = (uint64_t)mib * (MIB / BLK);
	if (rand_run(name, fd, blocks, 1, nrand) == 0 && qd > 1)
		rand_run(name, fd, blocks, qd, nqd);
	long nw = env_num("kvblk_randw", 0);
	if (nw > 0) {
		struct rand_job w = { fd, blocks, 0x2545f4914f6cdd1du, nw, NULL, 0, true };
		t = now_ns();
		rand_reads(&w);
		if (!w.err && fsync(fd))
			w.err = errno;
		t = now_ns() - t;
		errno = w.err;
		if (w.err)
			fail("pwrite 4k");
		else
			printf("KVBLK: dev=%s rand-write qd=1 n=%ld ns=%llu\n", name, nw, (unsigned long long)t);
	}
	close(fd);
}

int main(void)
{
	const char *list = getenv("kvblk_devs") ? getenv("kvblk_devs") : "vda";
	unsigned char *buf;
	uint64_t x = 0x9e3779b97f4a7c15u;

	guest_init_begin();
	if (posix_memalign((void **)&buf, BLK, MIB)) {
		fail("posix_memalign");
	} else {
		/* non-zero data: a VMM or image format must not get to skip zero writes */
		for (unsigned i = 0; i < MIB / 8; i++)
			((uint64_t *)buf)[i] = xorshift(&x);
		while (*list) {
			char name[32];
			size_t n = strcspn(list, ",");
			snprintf(name, sizeof(name), "%.*s", (int)(n < 31 ? n : 31), list);
			run(name, buf);
			list += n + (list[n] == ',');
		}
	}
	guest_init_end();
}
