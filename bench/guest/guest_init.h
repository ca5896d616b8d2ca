/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every bench guest program does as /init of its one-file initramfs: mount devtmpfs (an
 * initramfs gets none by itself) and sysfs, send stdout/stderr to the console, and print the
 * `KVMINI-INIT: start` / `KVMINI-INIT: poweroff` lines bench/lib.bash's run_serial keys on (the
 * kit's test init prints the same); guest_init_end() syncs and powers off. Plus the two helpers
 * each guest needs. Header-only: each guest is built from one .c file with `cc -static`.
 */
#ifndef BENCH_GUEST_INIT_H
#define BENCH_GUEST_INIT_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void guest_init_begin(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mkdir("/sys", 0755);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	int c = open("/dev/console", O_WRONLY);
	if (c >= 0) {
		dup2(c, 1);
		dup2(c, 2);
		if (c > 2)
			close(c);
	}
	printf("KVMINI-INIT: start\n");
}

static void guest_init_end(void)
{
	printf("KVMINI-INIT: poweroff\n");
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

#endif
