// SPDX-License-Identifier: GPL-2.0-or-later
/* The bare KVM_RUN floor (see floor.h). */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (2u << 20)
#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define GDT 0x500
#define CODE 0x10000

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct fl {
	int kvm, vm, vcpu;
	uint8_t *mem;
	struct kvm_run *run;
	int run_size;
};

static void fl_close(struct fl *f)
{
	if (f->run)
		munmap(f->run, (size_t)f->run_size);
	if (f->mem)
		munmap(f->mem, MEM_SIZE);
	if (f->vcpu >= 0)
		close(f->vcpu);
	if (f->vm >= 0)
		close(f->vm);
	if (f->kvm >= 0)
		close(f->kvm);
}

static void write_guest(uint8_t *mem, unsigned long n, unsigned port)
{
	/* GDT (0x10 flat 64-bit code, 0x18 flat data), page tables: the first 1 GiB in 2 MiB pages */
	uint64_t *gdt = (uint64_t *)(mem + GDT);
	gdt[2] = 0x00af9b000000ffffULL;
	gdt[3] = 0x00cf93000000ffffULL;
	uint64_t *pml4 = (uint64_t *)(mem + PML4), *pdpt = (uint64_t *)(mem + PDPT), *pd = (uint64_t *)(mem + PD);
	pml4[0] = PDPT | 3;
	pdpt[0] = PD | 3;
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | 0x83;
	const uint8_t code[] = {
		0x66, 0xba, port & 0xff, (port >> 8) & 0xff, /* mov $port,%dx */
		0xb9, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff, /* mov $n,%ecx */
		0x85, 0xc9, /* test %ecx,%ecx */
		0x74, 0x05, /* jz done */
		0xee, /* 1: out %al,(%dx) */
		0xff, 0xc9, /* dec %ecx */
		0x75, 0xfb, /* jnz 1b */
		0xf4, /* done: hlt */
	};
	memcpy(mem + CODE, code, sizeof(code));
}

static int setup_vcpu(struct fl *f)
{
	/* CPUID: the supported table as is (some KVMs want it set before the first run) */
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(struct kvm_cpuid_entry2));
	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = 256;
	if (ioctl(f->kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
		ioctl(f->vcpu, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	struct kvm_sregs s;
	if (ioctl(f->vcpu, KVM_GET_SREGS, &s) < 0)
		return -errno;
	struct kvm_segment cs = { .limit = 0xffffffff, .selector = 0x10, .type = 11, .present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment ds = cs;
	ds.type = 3;
	ds.selector = 0x18;
	ds.l = 0;
	ds.db = 1;
	s.cs = cs;
	s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	s.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 0x2, .present = 1 };
	s.gdt.base = GDT;
	s.gdt.limit = 31;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr3 = PML4;
	s.cr4 = 0x20; /* PAE */
	s.cr0 = 0x80050033ULL; /* PG AM WP NE ET MP PE */
	s.efer = 0x500; /* LME LMA */
	if (ioctl(f->vcpu, KVM_SET_SREGS, &s) < 0)
		return -errno;
	struct kvm_regs regs = { .rip = CODE, .rflags = 2, .rsp = 0x8000 };
	return ioctl(f->vcpu, KVM_SET_REGS, &regs) < 0 ? -errno : 0;
}

static int fail(struct fl *f, const char **why, const char *what, int err)
{
	*why = what;
	fl_close(f);
	return err;
}

int kvm_floor_pio(const char *kvm_path, unsigned long n, unsigned port, struct floor_result *r, const char **why)
{
	struct fl f = { .kvm = -1, .vm = -1, .vcpu = -1 };
	memset(r, 0, sizeof(*r));
	if (n > 0xffffffffUL)
		return fail(&f, why, "too many iterations", -EINVAL);
	f.kvm = open(kvm_path, O_RDWR | O_CLOEXEC);
	if (f.kvm < 0)
		return fail(&f, why, "open", -errno);
	f.vm = ioctl(f.kvm, KVM_CREATE_VM, 0);
	if (f.vm < 0)
		return fail(&f, why, "KVM_CREATE_VM", -errno);
	f.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (f.mem == MAP_FAILED) {
		f.mem = NULL;
		return fail(&f, why, "mmap", -errno);
	}
	struct kvm_userspace_memory_region region = { .memory_size = MEM_SIZE, .userspace_addr = (uintptr_t)f.mem };
	if (ioctl(f.vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail(&f, why, "KVM_SET_USER_MEMORY_REGION", -errno);
	write_guest(f.mem, n, port);
	f.vcpu = ioctl(f.vm, KVM_CREATE_VCPU, 0);
	if (f.vcpu < 0)
		return fail(&f, why, "KVM_CREATE_VCPU", -errno);
	f.run_size = ioctl(f.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (f.run_size < 0)
		return fail(&f, why, "KVM_GET_VCPU_MMAP_SIZE", -errno);
	f.run = mmap(NULL, (size_t)f.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, f.vcpu, 0);
	if (f.run == MAP_FAILED) {
		f.run = NULL;
		return fail(&f, why, "mmap kvm_run", -errno);
	}
	int ret = setup_vcpu(&f);
	if (ret)
		return fail(&f, why, "vCPU registers", ret);
	int khz = ioctl(f.vcpu, KVM_GET_TSC_KHZ, 0);
	r->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	double t0 = now_ns();
	for (;;) {
		if (ioctl(f.vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return fail(&f, why, "KVM_RUN", -errno);
		}
		if (f.run->exit_reason == KVM_EXIT_IO && f.run->io.port == port) {
			r->exits++;
			continue;
		}
		if (f.run->exit_reason == KVM_EXIT_HLT)
			break;
		if (++r->other > 1000 || f.run->exit_reason == KVM_EXIT_FAIL_ENTRY ||
		    f.run->exit_reason == KVM_EXIT_INTERNAL_ERROR || f.run->exit_reason == KVM_EXIT_SHUTDOWN)
			return fail(&f, why, "unexpected exit reason", -EIO);
	}
	r->total_ns = now_ns() - t0;
	r->ns_per_exit = r->exits ? r->total_ns / (double)r->exits : 0;
	fl_close(&f);
	if (r->exits != n) {
		*why = "fewer exits than iterations";
		return -EIO;
	}
	return 0;
}
