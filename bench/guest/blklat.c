// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest side of bench/blk-latency.sh: how long one exit of vCPU 1 takes while vCPU 0 keeps the
 * virtio-blk disk busy with flushes. Runs as /init (static, glibc) of a one-file initramfs on a
 * 2-vCPU guest. The measuring thread is pinned to CPU 1 and times, with rdtsc, single exits:
 *   mmio     a user-mode read of num_queues in the disk's virtio-pci common configuration (BAR and
 *            offset found from its vendor capability; resourceN mmapped from sysfs): side-effect
 *            free, and the register a vCPU must never wait on disk I/O for
 *   pio      a 1-byte pread of /dev/port at kvlat_port (default 0x550, claimed by no device):
 *            the kit kernel has no CONFIG_X86_IOPL_IOPERM, so the inb runs in the guest kernel and
 *            the number includes its (emulated, on a PVM host) syscall path
 *   syscall  getpid(): that syscall path alone, to read pio against
 * first with the disks idle, then, for each disk of kvlat_devs in turn (default vda; a comma list
 * of names under /dev), while a thread pinned to CPU 0 loops over a 4 KiB O_DIRECT pwrite +
 * fdatasync (a virtio-blk flush each time) on that disk; the mmio probe then reads that disk's
 * own register.
 *
 * Parameters (kernel command line, reaching init as environment): kvlat_devs, kvlat_port,
 * kvlat_seconds (per probe and phase, default 3; longer, up to 4x, until 2000 samples), kvlat_max (samples cap, default 200000).
 * Output, one line each:
 *   KVLAT: tsc_mhz=F
 *   KVLAT: probe=NAME load=none|DISK n=N p50_ns=A p99_ns=B p999_ns=C max_ns=D
 *   KVLAT: load=DISK writes=N seconds=S     (write + fdatasync pairs done during that phase)
 *   KVLAT: skip NAME: WHY                   KVLAT: error WHAT: MESSAGE
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "guest_init.h"

#define BLK 4096u
#define MAX_DEVS 4
#define MIN_SAMPLES 2000

struct bench {
	const char *devs[MAX_DEVS];
	volatile uint16_t *nq[MAX_DEVS]; /* each disk's num_queues; NULL: not a virtio-pci disk */
	int ndevs;
	const char *dev; /* the disk under load (or the first one) */
	long port, seconds, max;
	double tsc_per_ns;
	volatile uint16_t *num_queues; /* the one the mmio probe reads: dev's */
	int port_fd;
	uint64_t *samples;
	/* the load thread */
	pthread_t loader;
	int stop, started;
	long writes;
	const char *load_err;
};

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

static int pin(int cpu)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return sched_setaffinity(0, sizeof(s), &s) ? -errno : 0;
}

static void calibrate(struct bench *b)
{
	struct timespec d = { 0, 200000000 };
	uint64_t n0 = now_ns(), t0 = rdtsc();
	nanosleep(&d, NULL);
	uint64_t n1 = now_ns(), t1 = rdtsc();
	b->tsc_per_ns = (double)(t1 - t0) / (double)(n1 - n0);
	printf("KVLAT: tsc_mhz=%.1f\n", b->tsc_per_ns * 1000);
}

/* ---- finding the disk's virtio-pci common configuration ---- */

static int read_file(const char *path, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = pread(fd, buf, len, 0);
	int e = errno;
	close(fd);
	return n < 0 ? -e : (int)n;
}

/* The PCI function under /sys/block/<dev>: /sys/devices/pci.../0000:00:NN.F/virtioK/block/<dev>. */
static int pci_dir_of(const char *dev, char *out, size_t len)
{
	char link[PATH_MAX], real[PATH_MAX];
	const char *base = strrchr(dev, '/');
	snprintf(link, sizeof(link), "/sys/block/%s", base ? base + 1 : dev);
	if (!realpath(link, real))
		return -errno;
	char *v = strstr(real, "/virtio");
	if (!v)
		return -ENODEV;
	*v = 0;
	snprintf(out, len, "%s", real);
	return 0;
}

static const char *map_common(struct bench *b, int d)
{
	char dir[PATH_MAX], path[PATH_MAX + 32];
	uint8_t cfg[256];
	if (pci_dir_of(b->devs[d], dir, sizeof(dir)) < 0)
		return "the disk is not a PCI device (transport=mmio?)";
	snprintf(path, sizeof(path), "%s/config", dir);
	if (read_file(path, cfg, sizeof(cfg)) < 256)
		return "cannot read its PCI config space";
	if (!(cfg[0x06] & 0x10))
		return "no PCI capability list";
	int bar = -1;
	uint32_t off = 0;
	for (unsigned p = cfg[0x34] & 0xfc, hops = 0; p && p <= 0xf0 && hops < 48; p = cfg[p + 1] & 0xfc, hops++) {
		if (cfg[p] == 0x09 && cfg[p + 3] == 1) { /* vendor cap, cfg_type COMMON */
			bar = cfg[p + 4];
			memcpy(&off, cfg + p + 8, 4);
			break;
		}
	}
	if (bar < 0 || bar > 5)
		return "no virtio common-configuration capability";
	snprintf(path, sizeof(path), "%s/resource%d", dir, bar);
	int fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return "cannot open its resource file";
	struct stat st;
	off_t size = fstat(fd, &st) ? 0 : st.st_size; /* sysfs gives a resource file the BAR's size */
	long pg = sysconf(_SC_PAGESIZE);
	off_t at = (off_t)off & ~(off_t)(pg - 1);
	if (size < (off_t)off + 0x14) {
		close(fd);
		return "BAR smaller than the capability says";
	}
	uint8_t *m = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, at);
	close(fd);
	if (m == MAP_FAILED)
		return "mmap of the BAR failed";
	b->nq[d] = (volatile uint16_t *)(m + (off - at) + 0x12);
	printf("KVLAT: mmio probe of %s: %s BAR %d offset 0x%x, num_queues=%u\n", b->devs[d], dir, bar, off,
	       *b->nq[d]);
	return NULL;
}

/* ---- the probes ---- */

static int probe_mmio(struct bench *b)
{
	return *b->num_queues == 0 ? -EIO : 0;
}

static int probe_pio(struct bench *b)
{
	uint8_t v;
	return pread(b->port_fd, &v, 1, b->port) == 1 ? 0 : -EIO;
}

static int probe_syscall(struct bench *b)
{
	(void)b;
	return syscall(SYS_getpid) > 0 ? 0 : -EIO;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void measure(struct bench *b, const char *name, int (*op)(struct bench *), int load)
{
	for (int i = 0; i < 100; i++) /* first touches fault the mapping / warm the path */
		if (op(b) < 0) {
			printf("KVLAT: error %s: the probe failed\n", name);
			return;
		}
	/* kvlat_seconds, and on until MIN_SAMPLES (a busy host deschedules the vCPU), at most 4x */
	uint64_t t = now_ns(), end = t + (uint64_t)b->seconds * 1000000000u, stop = t + 4 * (end - t);
	long n = 0;
	while (n < b->max && (n & 63 || (((t = now_ns()) < end || n < MIN_SAMPLES) && t < stop))) {
		uint64_t t0 = rdtsc();
		op(b);
		b->samples[n++] = rdtsc() - t0;
	}
	qsort(b->samples, (size_t)n, sizeof(*b->samples), cmp_u64);
	double k = 1 / b->tsc_per_ns;
	printf("KVLAT: probe=%s load=%s n=%ld p50_ns=%.0f p99_ns=%.0f p999_ns=%.0f max_ns=%.0f\n", name,
	       load ? b->dev + 5 : "none", n, b->samples[n / 2] * k, b->samples[n * 99 / 100] * k, b->samples[n * 999 / 1000] * k,
	       b->samples[n - 1] * k);
}

/* ---- the disk load on CPU 0 ---- */

static void *load_main(void *arg)
{
	struct bench *b = arg;
	void *buf;
	if (pin(0) < 0) {
		b->load_err = "sched_setaffinity CPU 0";
		goto out;
	}
	int fd = open(b->dev, O_RDWR | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, BLK, BLK)) {
		b->load_err = "open the disk";
		goto out;
	}
	memset(buf, 0x5a, BLK); /* non-zero: no zero-write shortcut */
	for (long i = 0; !__atomic_load_n(&b->stop, __ATOMIC_RELAXED); i++) {
		if (pwrite(fd, buf, BLK, (off_t)(i % 4096) * BLK) != BLK || fdatasync(fd)) {
			b->load_err = "pwrite + fdatasync";
			break;
		}
		__atomic_store_n(&b->writes, i + 1, __ATOMIC_RELAXED);
	}
	close(fd);
out:
	__atomic_store_n(&b->started, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int load_start(struct bench *b)
{
	b->stop = 0;
	b->writes = 0;
	if (pthread_create(&b->loader, NULL, load_main, b))
		return -EAGAIN;
	/* measure only once flushes flow: two of them done (or the thread gave up) */
	while (__atomic_load_n(&b->writes, __ATOMIC_RELAXED) < 2 && !b->load_err)
		usleep(10000);
	return b->load_err ? -EIO : 0;
}

static void run(struct bench *b)
{
	struct { const char *name; int (*op)(struct bench *); } probes[] = {
		{ "mmio", probe_mmio }, { "pio", probe_pio }, { "syscall", probe_syscall },
	};
	const char *why;
	if (pin(1) < 0) {
		printf("KVLAT: error sched_setaffinity CPU 1: %s (the guest needs 2 vCPUs)\n", strerror(errno));
		return;
	}
	b->samples = malloc((size_t)b->max * sizeof(*b->samples));
	if (!b->samples)
		return;
	calibrate(b);
	for (int d = 0; d < b->ndevs; d++)
		if ((why = map_common(b, d)))
			printf("KVLAT: skip mmio of %s: %s\n", b->devs[d], why);
	b->port_fd = open("/dev/port", O_RDONLY);
	if (b->port_fd < 0)
		printf("KVLAT: skip pio: /dev/port: %s\n", strerror(errno));
	/* phase 0: no load; phase d + 1: load on disk d, whose own register the mmio probe reads */
	for (int load = 0; load <= b->ndevs; load++) {
		uint64_t t0;
		long w0;
		b->dev = b->devs[load ? load - 1 : 0];
		b->num_queues = b->nq[load ? load - 1 : 0];
		if (load && load_start(b) < 0) {
			printf("KVLAT: error load %s: %s\n", b->load_err, strerror(errno));
			return;
		}
		w0 = __atomic_load_n(&b->writes, __ATOMIC_RELAXED);
		t0 = now_ns();
		for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			if ((i == 0 && !b->num_queues) || (i == 1 && b->port_fd < 0))
				continue;
			measure(b, probes[i].name, probes[i].op, load);
		}
		if (load) {
			long w = __atomic_load_n(&b->writes, __ATOMIC_RELAXED) - w0;
			__atomic_store_n(&b->stop, 1, __ATOMIC_RELAXED);
			pthread_join(b->loader, NULL);
			printf("KVLAT: load=%s writes=%ld seconds=%.1f\n", b->dev + 5, w, (now_ns() - t0) / 1e9);
			if (b->load_err)
				printf("KVLAT: error load %s\n", b->load_err);
		}
	}
}

int main(void)
{
	static char names[MAX_DEVS][40];
	const char *list = getenv("kvlat_devs") ? getenv("kvlat_devs") : "vda";
	struct bench b = {
		.port = env_num("kvlat_port", 0x550),
		.seconds = env_num("kvlat_seconds", 3),
		.max = env_num("kvlat_max", 200000),
		.port_fd = -1,
	};
	guest_init_begin();
	while (*list && b.ndevs < MAX_DEVS) {
		size_t n = strcspn(list, ",");
		snprintf(names[b.ndevs], sizeof(names[0]), "/dev/%.*s", (int)(n < 30 ? n : 30), list);
		b.devs[b.ndevs] = names[b.ndevs];
		b.ndevs++;
		list += n + (list[n] == ',');
	}
	if (!b.ndevs || b.port < 0 || b.port > 0xffff || b.seconds < 1 || b.max < 100)
		printf("KVLAT: error parameters: kvlat_devs set, kvlat_port 0..0xffff, kvlat_seconds >= 1, kvlat_max >= 100\n");
	else
		run(&b);
	guest_init_end();
}
