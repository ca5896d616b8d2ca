// SPDX-License-Identifier: GPL-2.0-or-later
/* The floor for a PIO exit round trip: a bare KVM_RUN loop on /dev/kvm, no devices, no irqchip.
 * One memory slot, one vCPU in 64-bit mode (the same entry state kvmini gives its guests) running
 *     mov $PORT,%dx; mov $N,%ecx; 1: out %al,(%dx); dec %ecx; jnz 1b; hlt
 * -- the same loop as bench/guest/pioloop.S runs in kvmini. Prints exits and ns per exit of the
 * timed run loop (clock_gettime around the KVM_RUN loop only).
 * usage: floor [N] [PORT]   (default N=200000, PORT=0x550)
 * Built by bench/pio.sh: cc -O2 -o build/bench/floor bench/floor.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (2u << 20)
#define PML4 0x1000
#define PDPT 0x2000
#define PD   0x3000
#define GDT  0x500
#define CODE 0x10000

static void die(const char *what) { perror(what); exit(1); }

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	unsigned port = argc > 2 ? strtoul(argv[2], NULL, 0) : 0x550;
	const char *dev = getenv("KVM_DEV") ? getenv("KVM_DEV") : "/dev/kvm";

	int kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0) die(dev);
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) { fprintf(stderr, "bad KVM API\n"); return 1; }
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) die("KVM_CREATE_VM");

	uint8_t *mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) die("mmap");
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");

	/* GDT (0x10 flat 64-bit code, 0x18 flat data), page tables: the first 1 GiB in 2 MiB pages */
	uint64_t *gdt = (uint64_t *)(mem + GDT);
	gdt[2] = 0x00af9b000000ffffULL;
	gdt[3] = 0x00cf93000000ffffULL;
	uint64_t *pml4 = (uint64_t *)(mem + PML4), *pdpt = (uint64_t *)(mem + PDPT), *pd = (uint64_t *)(mem + PD);
	pml4[0] = PDPT | 3;
	pdpt[0] = PD | 3;
	for (uint64_t i = 0; i < 512; i++) pd[i] = (i << 21) | 0x83;

	uint8_t code[] = {
		0x66, 0xba, port & 0xff, port >> 8,   /* mov $port,%dx */
		0xb9, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff, /* mov $n,%ecx */
		0x85, 0xc9,                           /* test %ecx,%ecx */
		0x74, 0x05,                           /* jz done */
		0xee,                                 /* 1: out %al,(%dx) */
		0xff, 0xc9,                           /* dec %ecx */
		0x75, 0xfb,                           /* jnz 1b */
		0xf4,                                 /* done: hlt */
	};
	memcpy(mem + CODE, code, sizeof code);

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) die("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < 0) die("KVM_GET_VCPU_MMAP_SIZE");
	struct kvm_run *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED) die("mmap kvm_run");

	/* CPUID: the supported table as is (some KVMs want it set before the first run) */
	struct { struct kvm_cpuid2 c; struct kvm_cpuid_entry2 e[256]; } cpuid = { .c.nent = 256 };
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) == 0)
		ioctl(vcpu, KVM_SET_CPUID2, &cpuid);

	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
	struct kvm_segment cs = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 11, .present = 1,
				  .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment ds = cs;
	ds.type = 3; ds.selector = 0x18; ds.l = 0; ds.db = 1;
	sregs.cs = cs;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ds;
	sregs.tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	sregs.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 0x2, .present = 1 };
	sregs.gdt.base = GDT;
	sregs.gdt.limit = 31;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr3 = PML4;
	sregs.cr4 = 0x20;                    /* PAE */
	sregs.cr0 = 0x80050033ULL;           /* PG AM WP NE ET MP PE */
	sregs.efer = 0x500;                  /* LME LMA */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
	struct kvm_regs regs = { .rip = CODE, .rflags = 2, .rsp = 0x8000 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");

	unsigned long io_exits = 0, other = 0;
	double t0 = now_ns();
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) continue;
			die("KVM_RUN");
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == port) { io_exits++; continue; }
		if (run->exit_reason == KVM_EXIT_HLT) break;
		if (++other > 1000 || run->exit_reason == KVM_EXIT_FAIL_ENTRY ||
		    run->exit_reason == KVM_EXIT_INTERNAL_ERROR || run->exit_reason == KVM_EXIT_SHUTDOWN) {
			fprintf(stderr, "floor: unexpected exit reason %u\n", run->exit_reason);
			return 1;
		}
	}
	double t1 = now_ns();
	if (io_exits != n) { fprintf(stderr, "floor: expected %lu io exits, got %lu\n", n, io_exits); return 1; }
	printf("exits %lu other %lu total_ns %.0f ns_per_exit %.1f\n", io_exits, other, t1 - t0,
	       io_exits ? (t1 - t0) / io_exits : 0.0);
	return 0;
}
