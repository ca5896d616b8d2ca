// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini bench exits`: runs the exit microbenchmark guest (tests/guest/exitbench.S) in kvmini and
 * prints, per test, the TSC cycles and ns per iteration the guest measured, beside the bare KVM_RUN
 * floor (vmm/floor.h: a PIO exit to a VMM that does nothing). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/stats.h"
#include "vmm/floor.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/prof.h"

#define FLOOR_EXITS 20000

static const struct {
	const char *name, *what;
} tests[] = {
	{ "cpuid", "CPUID (in KVM)" },
	{ "vmcall", "VMCALL, KVM hypercall (in KVM)" },
	{ "pio-kernel", "port read, in-kernel PIT 0x61" },
	{ "pio-user", "port write to the VMM (0x550)" },
	{ "mmio-user", "MMIO write to the VMM" },
	{ "rdmsr", "RDMSR SYSENTER_CS (in KVM)" },
	{ "wrmsr", "WRMSR SYSENTER_CS (in KVM)" },
	{ "hlt-timer", "HLT woken by the LAPIC timer" },
	{ "hlt-ipi", "HLT woken by a self-IPI" },
};

static void usage(FILE *f)
{
	fputs("Usage: kvmini bench exits [--guest ELF] [--kvm PATH]\n"
	      "Exit costs measured inside a tiny guest (cycles per iteration of CPUID, VMCALL, port and\n"
	      "MMIO accesses handled in KVM and in kvmini, RDMSR/WRMSR, HLT wake-ups by timer and IPI),\n"
	      "with the bare KVM_RUN floor beside them. The guest is build/guest/exitbench.elf next to\n"
	      "the kvmini binary unless --guest names it (make guests builds it).\n",
	      f);
}

/* Runs kvmini itself on the guest; 0 when it powered off. */
static int run_guest(const char *self, const char *elf, const char *serial, int vmcall)
{
	char ser[PATH_MAX + 8];
	snprintf(ser, sizeof(ser), "file:%s", serial);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (vmcall)
			execl(self, "kvmini", "run", "--kernel", elf, "--serial", ser, "--mem", "64M", "--append", "vmcall",
			      (char *)NULL);
		else
			execl(self, "kvmini", "run", "--kernel", elf, "--serial", ser, "--mem", "64M", (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static int bench_exits(int argc, char **argv)
{
	const char *guest = NULL, *kvm_path = "/dev/kvm";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--guest") && i + 1 < argc)
			guest = argv[++i];
		else if (!strcmp(argv[i], "--kvm") && i + 1 < argc)
			kvm_path = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout), 0;
		else
			return kv_log("bench exits: %s: unexpected argument (try 'kvmini bench --help')", argv[i]), 2;
	}
	char self[PATH_MAX], def[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return kv_err(-errno, "bench exits: /proc/self/exe"), 1;
	self[n] = 0;
	if (!guest) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", self);
		snprintf(def, sizeof(def), "%s/build/guest/exitbench.elf", dirname(dir));
		guest = def;
	}
	if (access(guest, R_OK))
		return kv_log("bench exits: %s: %s (make guests builds it)", guest, strerror(errno)), 1;
	struct kvm k;
	const char *why = NULL;
	if (kvm_open(&k, kvm_path, &why))
		return kv_log("bench exits: %s: %s", kvm_path, why), 1;
	int pvm = k.is_pvm;
	kvm_close(&k);
	struct floor_result fr;
	int ret = kvm_floor_pio(kvm_path, FLOOR_EXITS, 0x550, &fr, &why);
	if (ret)
		return kv_log("bench exits: the KVM_RUN floor: %s: %s", why, strerror(-ret)), 1;
	uint64_t khz = fr.tsc_khz ? fr.tsc_khz : prof_tsc_khz(-1);
	char serial[] = "/tmp/kvmini-bench-XXXXXX";
	int fd = mkstemp(serial);
	if (fd < 0)
		return kv_err(-errno, "bench exits: temp file"), 1;
	close(fd);
	fflush(stdout);
	ret = run_guest(self, guest, serial, !pvm);
	FILE *f = fopen(serial, "r");
	double cyc[sizeof(tests) / sizeof(tests[0])];
	int got[sizeof(tests) / sizeof(tests[0])] = { 0 }, done = 0, fault = 0;
	char line[256];
	while (f && fgets(line, sizeof(line), f)) {
		char name[64];
		unsigned long v;
		if (!strncmp(line, "EXITBENCH done", 14))
			done = 1;
		else if (!strncmp(line, "EXITBENCH fault", 15))
			fault = 1;
		else if (sscanf(line, "EXITBENCH %63s %lx", name, &v) == 2)
			for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
				if (!strcmp(name, tests[i].name)) {
					cyc[i] = (double)v;
					got[i] = 1;
				}
	}
	if (f)
		fclose(f);
	unlink(serial);
	double floor_cyc = fr.ns_per_exit * (double)khz / 1e6;
	printf("exit microbenchmarks, measured in the guest (TSC %llu kHz); floor: a bare KVM_RUN PIO exit\n",
	       (unsigned long long)khz);
	printf("  %-34s %12s %12s %10s\n", "test", "cycles/iter", "ns/iter", "/ floor");
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!got[i]) {
			printf("  %-34s %12s %12s %10s  %s\n", tests[i].what, "-", "-", "-",
			       !strcmp(tests[i].name, "vmcall") && pvm ? "not run: PVM re-executes VMCALL without end"
			       : fault					 ? "the guest faulted before it"
								 : "no result");
			continue;
		}
		printf("  %-34s %12.0f %12.1f %10.2f\n", tests[i].what, cyc[i], cyc[i] * 1e6 / (double)khz,
		       floor_cyc > 0 ? cyc[i] / floor_cyc : 0);
	}
	printf("  %-34s %12.0f %12.1f %10.2f\n", "bare KVM_RUN floor (PIO exit)", floor_cyc, fr.ns_per_exit, 1.0);
	if (ret || !done) {
		kv_log("bench exits: the guest did not finish (%s)", fault ? "an exception in the guest" : "see above");
		return 1;
	}
	return 0;
}

int bench_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "exits"))
		return bench_exits(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return usage(stdout), 0;
	kv_log("bench: %s (try 'kvmini bench --help')", argc < 2 ? "needs a benchmark: exits" : "unknown benchmark");
	return 2;
}
