// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "vmm/cpuid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIG KVM_CPUID_FLAG_SIGNIFCANT_INDEX
#define VMX (1u << 5)
#define CX16 (1u << 13)
#define HYPERVISOR (1u << 31)
#define HTT (1u << 28)
#define SVM (1u << 2)

/* Shaped like KVM_GET_SUPPORTED_CPUID on a Skylake-SP host with VMX (nested enabled). */
static const struct kvm_cpuid_entry2 intel_vmx[] = {
	{ .function = 0, .eax = 0x16, .ebx = 0x756e6547, .ecx = 0x6c65746e, .edx = 0x49656e69 },
	{ .function = 1, .eax = 0x00050654, .ebx = 0x00000800, .ecx = 0xf7fa3223, .edx = 0x0f8bfbff },
	{ .function = 2, .eax = 0x00000001, .edx = 0x00c30000 },
	{ .function = 4, .index = 0, .flags = SIG, .eax = 0x1c004121, .ebx = 0x01c0003f, .ecx = 0x3f },
	{ .function = 4, .index = 1, .flags = SIG, .eax = 0x1c004122, .ebx = 0x01c0003f, .ecx = 0x3f },
	{ .function = 4, .index = 2, .flags = SIG, .eax = 0x1c004143, .ebx = 0x03c0003f, .ecx = 0x3ff },
	{ .function = 4, .index = 3, .flags = SIG, .eax = 0x1c03c163, .ebx = 0x0280003f, .ecx = 0xdfff,
	  .edx = 4 },
	{ .function = 4, .index = 4, .flags = SIG },
	{ .function = 6, .eax = 0x4 },
	{ .function = 7, .flags = SIG, .ebx = 0xd19f4fbb, .ecx = 0x0000000c, .edx = 0xbc000400 },
	{ .function = 0xa, .eax = 0x07300402, .edx = 0x00000603 },
	{ .function = 0xb, .index = 0, .flags = SIG },
	{ .function = 0xb, .index = 1, .flags = SIG },
	{ .function = 0xd, .index = 0, .flags = SIG, .eax = 0x2e7, .ebx = 0xa88, .ecx = 0xa88 },
	{ .function = 0xd, .index = 1, .flags = SIG, .eax = 0xf },
	{ .function = 0x80000000, .eax = 0x80000008 },
	{ .function = 0x80000001, .ecx = 0x00000121, .edx = 0x2c100800 },
	{ .function = 0x80000008, .eax = 0x0000302e },
	{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b, .ecx = 0x564b4d56, .edx = 0x4d },
	{ .function = 0x40000001, .eax = 0x01007afb },
};

/* Shaped like an EPYC (Zen 2) host with SVM: AMD cache leaves 0x8000001D, TOPOEXT zeros. */
static const struct kvm_cpuid_entry2 amd_svm[] = {
	{ .function = 0, .eax = 0x10, .ebx = 0x68747541, .ecx = 0x444d4163, .edx = 0x69746e65 },
	{ .function = 1, .eax = 0x00830f10, .ebx = 0x00000800, .ecx = 0xf6d83203, .edx = 0x178bfbff },
	{ .function = 4, .flags = SIG },
	{ .function = 7, .flags = SIG, .ebx = 0x219c91a9, .ecx = 0x00400004 },
	{ .function = 0xb, .index = 0, .flags = SIG },
	{ .function = 0xd, .index = 0, .flags = SIG, .eax = 0x7, .ebx = 0x340, .ecx = 0x340 },
	{ .function = 0x80000000, .eax = 0x8000001f, .ebx = 0x68747541 },
	{ .function = 0x80000001, .eax = 0x00830f10, .ecx = 0x004003f7, .edx = 0x2fd3fbff },
	{ .function = 0x80000008, .eax = 0x00003030, .ebx = 0x010eb757, .ecx = 0x0003703f },
	{ .function = 0x8000000a, .eax = 0x1, .ebx = 0x8000, .edx = 0x0001bcff },
	{ .function = 0x8000001d, .index = 0, .flags = SIG, .eax = 0x4121, .ebx = 0x01c0003f, .ecx = 0x3f },
	{ .function = 0x8000001d, .index = 1, .flags = SIG, .eax = 0x4122, .ebx = 0x00c0003f, .ecx = 0xff },
	{ .function = 0x8000001d, .index = 2, .flags = SIG, .eax = 0x4143, .ebx = 0x01c0003f, .ecx = 0x3ff,
	  .edx = 2 },
	{ .function = 0x8000001d, .index = 3, .flags = SIG, .eax = 0x3c163, .ebx = 0x03c0003f,
	  .ecx = 0x3fff, .edx = 1 },
	{ .function = 0x8000001d, .index = 4, .flags = SIG },
	{ .function = 0x8000001e, .eax = 0, .ebx = 0, .ecx = 0 },
	{ .function = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b, .ecx = 0x564b4d56, .edx = 0x4d },
	{ .function = 0x40000001, .eax = 0x01007efb },
};

#define NTAB(t) ((unsigned)(sizeof(t) / sizeof((t)[0])))
#define OUTMAX 128

static struct kvm_cpuid_entry2 *find_e(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t fn,
				       uint32_t idx)
{
	for (unsigned i = 0; i < n; i++)
		if (e[i].function == fn && (e[i].index == idx || !(e[i].flags & SIG)))
			return &e[i];
	return NULL;
}

static unsigned count_fn(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t fn)
{
	unsigned c = 0;
	for (unsigned i = 0; i < n; i++)
		c += e[i].function == fn;
	return c;
}

static unsigned run(const struct kvm_cpuid_entry2 *t, unsigned nt, unsigned ncpus,
		    enum cpuid_mode mode, int pvm, unsigned idx, struct kvm_cpuid_entry2 *out)
{
	struct cpuid_cfg cfg = { .ncpus = ncpus, .mode = mode, .host_is_pvm = pvm };
	unsigned n = 0;
	ck_assert_int_eq(cpuid_policy(t, nt, &cfg, idx, out, OUTMAX, &n), 0);
	ck_assert_uint_le(n, nt + CPUID_POLICY_EXTRA);
	return n;
}

START_TEST(default_hides_vmx)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	unsigned n = run(intel_vmx, NTAB(intel_vmx), 2, CPUID_MODE_DEFAULT, 0, 0, out);
	struct kvm_cpuid_entry2 *l1 = find_e(out, n, 1, 0);
	ck_assert_ptr_nonnull(l1);
	ck_assert_uint_eq(l1->ecx & VMX, 0);
	ck_assert_uint_eq(l1->ecx & CX16, CX16); /* only a PVM host loses it */
	ck_assert_uint_eq(l1->ecx & HYPERVISOR, HYPERVISOR);
	ck_assert_uint_eq(l1->ecx | VMX, intel_vmx[1].ecx); /* nothing else changed */
	ck_assert_uint_eq(l1->eax, intel_vmx[1].eax);
	/* perf leaves pass through as the table has them */
	ck_assert_uint_eq(find_e(out, n, 0xa, 0)->eax, 0x07300402);
}
END_TEST

START_TEST(host_keeps_vmx)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	unsigned n = run(intel_vmx, NTAB(intel_vmx), 2, CPUID_MODE_HOST, 0, 1, out);
	ck_assert_uint_eq(find_e(out, n, 1, 0)->ecx, intel_vmx[1].ecx);
	ck_assert_uint_eq(find_e(out, n, 7, 0)->ebx, intel_vmx[9].ebx);
}
END_TEST

START_TEST(amd_svm_by_mode)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	unsigned n = run(amd_svm, NTAB(amd_svm), 2, CPUID_MODE_DEFAULT, 0, 0, out);
	struct kvm_cpuid_entry2 *e = find_e(out, n, 0x80000001, 0);
	ck_assert_uint_eq(e->ecx, amd_svm[7].ecx & ~SVM);
	e = find_e(out, n, 0x8000000a, 0);
	ck_assert_uint_eq(e->eax | e->ebx | e->ecx | e->edx, 0);

	n = run(amd_svm, NTAB(amd_svm), 2, CPUID_MODE_HOST, 0, 0, out);
	ck_assert_uint_eq(find_e(out, n, 0x80000001, 0)->ecx & SVM, SVM);
	e = find_e(out, n, 0x8000000a, 0);
	ck_assert_uint_eq(e->eax, 1);
	ck_assert_uint_eq(e->edx, 0x0001bcff);
}
END_TEST

START_TEST(pvm_clears_cx16_in_both_modes)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	for (int mode = CPUID_MODE_DEFAULT; mode <= CPUID_MODE_HOST; mode++) {
		unsigned n = run(intel_vmx, NTAB(intel_vmx), 1, mode, 1, 0, out);
		struct kvm_cpuid_entry2 *l1 = find_e(out, n, 1, 0);
		ck_assert_uint_eq(l1->ecx & CX16, 0);
		ck_assert_uint_eq(l1->ecx & VMX, mode == CPUID_MODE_HOST ? VMX : 0);
	}
}
END_TEST

START_TEST(leaf1_per_vcpu)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	for (unsigned i = 0; i < 4; i++) {
		unsigned n = run(intel_vmx, NTAB(intel_vmx), 4, CPUID_MODE_DEFAULT, 0, i, out);
		struct kvm_cpuid_entry2 *l1 = find_e(out, n, 1, 0);
		ck_assert_uint_eq(l1->ebx >> 24, i);
		ck_assert_uint_eq((l1->ebx >> 16) & 0xff, 4);
		ck_assert_uint_eq((l1->ebx >> 8) & 0xff, 8);
		ck_assert_uint_eq(l1->edx & HTT, HTT);
	}
	/* one vCPU: no HTT; a table with CLFLUSH size 0 gets 64-byte lines */
	struct kvm_cpuid_entry2 t[] = { { .function = 0, .eax = 1 }, { .function = 1, .edx = HTT } };
	unsigned n = run(t, 2, 1, CPUID_MODE_DEFAULT, 0, 0, out);
	struct kvm_cpuid_entry2 *l1 = find_e(out, n, 1, 0);
	ck_assert_uint_eq(l1->edx & HTT, 0);
	ck_assert_uint_eq(l1->ebx, (8u << 8) | (1u << 16));
}
END_TEST

static void check_topo(struct kvm_cpuid_entry2 *out, unsigned n, uint32_t fn, unsigned ncpus,
		       unsigned shift, unsigned idx)
{
	ck_assert_uint_eq(count_fn(out, n, fn), 3);
	for (unsigned s = 0; s < 3; s++) {
		struct kvm_cpuid_entry2 *e = find_e(out, n, fn, s);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->flags, SIG);
		ck_assert_uint_eq(e->edx, idx);
		ck_assert_uint_eq(e->ecx & 0xff, s);
	}
	struct kvm_cpuid_entry2 *smt = find_e(out, n, fn, 0), *core = find_e(out, n, fn, 1),
				*end = find_e(out, n, fn, 2);
	ck_assert_uint_eq(smt->eax, 0);
	ck_assert_uint_eq(smt->ebx, 1);
	ck_assert_uint_eq(smt->ecx >> 8, 1);
	ck_assert_uint_eq(core->eax, shift);
	ck_assert_uint_eq(core->ebx, ncpus);
	ck_assert_uint_eq(core->ecx >> 8, 2);
	ck_assert_uint_eq(end->eax | end->ebx | (end->ecx >> 8), 0);
}

START_TEST(x2apic_topology)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	static const unsigned nc[] = { 1, 2, 3, 4, 5, 8, 9, 128, 129, 255 };
	static const unsigned sh[] = { 0, 1, 2, 2, 3, 3, 4, 7, 8, 8 };
	for (unsigned k = 0; k < 10; k++) {
		unsigned idx = nc[k] - 1;
		unsigned n = run(intel_vmx, NTAB(intel_vmx), nc[k], CPUID_MODE_DEFAULT, 0, idx, out);
		check_topo(out, n, 0xb, nc[k], sh[k], idx);
		ck_assert_uint_eq(count_fn(out, n, 0x1f), 0); /* max basic leaf 0x16 */
		ck_assert_uint_eq(find_e(out, n, 1, 0)->ebx >> 24, idx);
		ck_assert_uint_eq((find_e(out, n, 1, 0)->ebx >> 16) & 0xff, nc[k]);
	}
	/* AMD table: only 0xB subleaf 0 offered; ours has three */
	unsigned n = run(amd_svm, NTAB(amd_svm), 6, CPUID_MODE_DEFAULT, 0, 5, out);
	check_topo(out, n, 0xb, 6, 3, 5);
}
END_TEST

START_TEST(leaf_1f_and_missing_0b)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	/* hybrid-era Intel: max basic 0x20, offers 0x1F */
	struct kvm_cpuid_entry2 t[] = {
		{ .function = 0, .eax = 0x20 },
		{ .function = 1 },
		{ .function = 0x1f, .index = 0, .flags = SIG, .eax = 1, .ebx = 2, .ecx = 0x100, .edx = 7 },
	};
	unsigned n = run(t, 3, 3, CPUID_MODE_DEFAULT, 0, 2, out);
	check_topo(out, n, 0xb, 3, 2, 2);
	check_topo(out, n, 0x1f, 3, 2, 2);
	/* no 0xB in the table but leaf 0 reaches it: added */
	t[2].function = 0x2;
	n = run(t, 3, 2, CPUID_MODE_DEFAULT, 0, 0, out);
	check_topo(out, n, 0xb, 2, 1, 0);
	/* leaf 0 below 0xB: none, even though the table lists 0xB */
	t[0].eax = 0xa;
	t[2].function = 0xb;
	n = run(t, 3, 2, CPUID_MODE_DEFAULT, 0, 0, out);
	ck_assert_uint_eq(count_fn(out, n, 0xb), 0);
	ck_assert_uint_eq(count_fn(out, n, 0x1f), 0);
	/* no leaf 0 at all */
	n = run(t + 1, 2, 2, CPUID_MODE_DEFAULT, 0, 0, out);
	ck_assert_uint_eq(count_fn(out, n, 0xb), 0);
}
END_TEST

START_TEST(cache_leaves)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	static const unsigned nc[] = { 1, 2, 3, 4, 5, 64, 65, 255 };
	static const unsigned cores[] = { 0, 1, 3, 3, 7, 63, 63, 63 };
	static const unsigned l3share[] = { 0, 1, 3, 3, 7, 63, 127, 255 };
	for (unsigned k = 0; k < 8; k++) {
		unsigned n = run(intel_vmx, NTAB(intel_vmx), nc[k], CPUID_MODE_DEFAULT, 0, 0, out);
		for (unsigned s = 0; s < 4; s++) {
			struct kvm_cpuid_entry2 *e = find_e(out, n, 4, s);
			ck_assert_uint_eq(e->eax >> 26, cores[k]);
			ck_assert_uint_eq((e->eax >> 14) & 0xfff, s == 3 ? l3share[k] : 0);
			ck_assert_uint_eq(e->eax & 0x3fff, intel_vmx[3 + s].eax & 0x3fff);
			ck_assert_uint_eq(e->ebx, intel_vmx[3 + s].ebx);
		}
		struct kvm_cpuid_entry2 *z = find_e(out, n, 4, 4);
		ck_assert_uint_eq(z->eax | z->ebx | z->ecx | z->edx, 0);

		n = run(amd_svm, NTAB(amd_svm), nc[k], CPUID_MODE_DEFAULT, 0, 0, out);
		for (unsigned s = 0; s < 4; s++) {
			struct kvm_cpuid_entry2 *e = find_e(out, n, 0x8000001d, s);
			ck_assert_uint_eq((e->eax >> 14) & 0xfff, s == 3 ? l3share[k] : 0);
			ck_assert_uint_eq(e->eax & 0x3fff, amd_svm[10 + s].eax & 0x3fff);
		}
		z = find_e(out, n, 4, 0); /* AMD's empty leaf 4 stays empty */
		ck_assert_uint_eq(z->eax, 0);
	}
}
END_TEST

START_TEST(amd_core_count_and_topoext)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	unsigned n = run(amd_svm, NTAB(amd_svm), 5, CPUID_MODE_DEFAULT, 0, 3, out);
	struct kvm_cpuid_entry2 *e = find_e(out, n, 0x80000008, 0);
	ck_assert_uint_eq(e->ecx & 0xff, 4);
	ck_assert_uint_eq((e->ecx >> 12) & 0xf, 3);
	ck_assert_uint_eq(e->ecx & ~0xf0ffu, 0x00030000); /* PerfTscSize etc. kept */
	ck_assert_uint_eq(e->eax, 0x3030);
	e = find_e(out, n, 0x8000001e, 0);
	ck_assert_uint_eq(e->eax, 3);
	ck_assert_uint_eq(e->ebx, 3);
	ck_assert_uint_eq(e->ecx, 0);
}
END_TEST

START_TEST(kvm_leaves)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	unsigned n = run(intel_vmx, NTAB(intel_vmx), 2, CPUID_MODE_DEFAULT, 0, 0, out);
	struct kvm_cpuid_entry2 *s = find_e(out, n, 0x40000000, 0);
	char sig[13] = { 0 };
	memcpy(sig, &s->ebx, 4);
	memcpy(sig + 4, &s->ecx, 4);
	memcpy(sig + 8, &s->edx, 4);
	ck_assert_mem_eq(sig, "KVMKVMKVM\0\0\0", 12);
	ck_assert_uint_eq(s->eax, 0x40000001);
	ck_assert_uint_eq(find_e(out, n, 0x40000001, 0)->eax, 0x01007afb);
	ck_assert_uint_eq(count_fn(out, n, 0x40000000), 1);

	/* a table without them gets both, with no features; a higher leaf raises EAX */
	struct kvm_cpuid_entry2 t[] = { { .function = 0, .eax = 1 }, { .function = 1 } };
	n = run(t, 2, 1, CPUID_MODE_DEFAULT, 0, 0, out);
	ck_assert_uint_eq(find_e(out, n, 0x40000000, 0)->eax, 0x40000001);
	s = find_e(out, n, 0x40000001, 0);
	ck_assert_uint_eq(s->eax | s->ebx | s->ecx | s->edx, 0);
	t[1].function = 0x40000010;
	n = run(t, 2, 1, CPUID_MODE_DEFAULT, 0, 0, out);
	ck_assert_uint_eq(find_e(out, n, 0x40000000, 0)->eax, 0x40000010);
}
END_TEST

START_TEST(duplicates_keep_first)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	struct kvm_cpuid_entry2 t[] = {
		{ .function = 0, .eax = 7 },
		{ .function = 1, .ecx = CX16 },
		{ .function = 1, .ecx = VMX },
		{ .function = 7, .index = 0, .flags = SIG, .ebx = 1 },
		{ .function = 7, .index = 1, .flags = SIG, .eax = 2 },
		{ .function = 7, .index = 0, .flags = SIG, .ebx = 3 },
	};
	unsigned n = run(t, 6, 1, CPUID_MODE_HOST, 0, 0, out);
	ck_assert_uint_eq(count_fn(out, n, 1), 1);
	ck_assert_uint_eq(find_e(out, n, 1, 0)->ecx, CX16 | HYPERVISOR);
	ck_assert_uint_eq(count_fn(out, n, 7), 2);
	ck_assert_uint_eq(find_e(out, n, 7, 0)->ebx, 1);
	ck_assert_uint_eq(find_e(out, n, 7, 1)->eax, 2);
}
END_TEST

START_TEST(out_size_and_input_untouched)
{
	struct kvm_cpuid_entry2 copy[NTAB(intel_vmx)], out[OUTMAX];
	memcpy(copy, intel_vmx, sizeof(copy));
	struct cpuid_cfg cfg = { .ncpus = 4 };
	unsigned n = 0, need;
	ck_assert_int_eq(cpuid_policy(copy, NTAB(copy), &cfg, 1, out, OUTMAX, &need), 0);
	ck_assert_mem_eq(copy, intel_vmx, sizeof(copy));
	/* the exact size fits, one less does not, for every prefix of the table */
	for (unsigned nt = 0; nt <= NTAB(copy); nt++) {
		ck_assert_int_eq(cpuid_policy(copy, nt, &cfg, 1, out, OUTMAX, &need), 0);
		ck_assert_uint_le(need, nt + CPUID_POLICY_EXTRA);
		ck_assert_int_eq(cpuid_policy(copy, nt, &cfg, 1, out, need, &n), 0);
		ck_assert_uint_eq(n, need);
		ck_assert_int_eq(cpuid_policy(copy, nt, &cfg, 1, out, need - 1, &n), -E2BIG);
		ck_assert_uint_eq(n, 0);
	}
}
END_TEST

START_TEST(bad_arguments)
{
	struct kvm_cpuid_entry2 out[OUTMAX];
	unsigned n;
	struct cpuid_cfg cfg = { .ncpus = 0 };
	ck_assert_int_eq(cpuid_policy(intel_vmx, 2, &cfg, 0, out, OUTMAX, &n), -EINVAL);
	cfg.ncpus = 256;
	ck_assert_int_eq(cpuid_policy(intel_vmx, 2, &cfg, 0, out, OUTMAX, &n), -EINVAL);
	cfg.ncpus = 2;
	ck_assert_int_eq(cpuid_policy(intel_vmx, 2, &cfg, 2, out, OUTMAX, &n), -EINVAL);
	ck_assert_int_eq(cpuid_policy(NULL, 2, &cfg, 0, out, OUTMAX, &n), -EINVAL);
	ck_assert_int_eq(cpuid_policy(intel_vmx, 2, NULL, 0, out, OUTMAX, &n), -EINVAL);
	ck_assert_int_eq(cpuid_policy(intel_vmx, 2, &cfg, 0, NULL, OUTMAX, &n), -EINVAL);
	cfg.mode = (enum cpuid_mode)7;
	ck_assert_int_eq(cpuid_policy(intel_vmx, 2, &cfg, 0, out, OUTMAX, &n), -EINVAL);
	cfg.mode = CPUID_MODE_DEFAULT;
	cfg.ncpus = 255;
	ck_assert_int_eq(cpuid_policy(intel_vmx, 2, &cfg, 254, out, OUTMAX, &n), 0);
}
END_TEST

/* 1 if readdir(/sys/module) has an entry NAME, 0 if not, -errno if it cannot be read */
static int sysfs_lists_module(const char *name)
{
	DIR *d = opendir("/sys/module");
	if (!d)
		return -errno;
	int found = 0;
	for (struct dirent *e; (e = readdir(d));)
		found |= !strcmp(e->d_name, name);
	closedir(d);
	return found;
}

START_TEST(pvm_detection)
{
	char root[] = "/tmp/kvmini-cpuid-XXXXXX", path[256];
	ck_assert_ptr_nonnull(mkdtemp(root));
	ck_assert_int_eq(host_is_pvm(root), 0);
	snprintf(path, sizeof(path), "%s/module", root);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(host_is_pvm(root), 0);
	snprintf(path, sizeof(path), "%s/module/kvm_intel", root);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(host_is_pvm(root), 0);
	snprintf(path, sizeof(path), "%s/module/kvm_pvm", root);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(host_is_pvm(root), 1);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/module/kvm_intel", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/module", root);
	rmdir(path);
	/* root is a file: ENOTDIR means "no" */
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(host_is_pvm(path), 0);
	unlink(path);
	rmdir(root);

	char longroot[5000];
	memset(longroot, 'a', sizeof(longroot) - 1);
	longroot[sizeof(longroot) - 1] = '\0';
	ck_assert_int_eq(host_is_pvm(longroot), -ENAMETOOLONG);
	/* this host, against an expectation found another way: the module list in /sys/module */
	int expect = sysfs_lists_module("kvm_pvm");
	ck_assert_int_ge(expect, 0);
	ck_assert_int_eq(host_is_pvm(NULL), expect);
	ck_assert_int_eq(host_is_pvm("/sys"), expect);
	printf("test_cpuid: this host's KVM is %sPVM\n", expect ? "" : "not ");
}
END_TEST

/* The real /dev/kvm: the supported table, and policy + KVM_SET_CPUID2 on a real vCPU. */
START_TEST(real_kvm)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0 && (errno == ENOENT || errno == EACCES || errno == EPERM || errno == ENODEV ||
			errno == ENXIO))
		UNIT_SKIP("cpuid/real_kvm", "/dev/kvm: %s", strerror(errno));
	ck_assert_msg(kvm >= 0, "/dev/kvm: %s", strerror(errno));
	struct kvm_cpuid2 *sup = NULL;
	ck_assert_int_eq(cpuid_get_supported(kvm, &sup), 0);
	ck_assert_ptr_nonnull(sup);
	ck_assert_uint_gt(sup->nent, 0);
	struct kvm_cpuid_entry2 *l1 = find_e(sup->entries, sup->nent, 1, 0);
	struct kvm_cpuid_entry2 *l7 = find_e(sup->entries, sup->nent, 7, 0);
	ck_assert_ptr_nonnull(l1);
	printf("test_cpuid: supported table: %u entries; leaf 1 ecx=%#010x edx=%#010x\n", sup->nent,
	       l1->ecx, l1->edx);
	if (l7)
		printf("test_cpuid: leaf 7.0 eax=%#x ebx=%#010x ecx=%#010x edx=%#010x\n", l7->eax, l7->ebx,
		       l7->ecx, l7->edx);

	int pvm = host_is_pvm("/sys") > 0;
	struct cpuid_cfg cfg = { .ncpus = 2, .mode = CPUID_MODE_DEFAULT, .host_is_pvm = pvm };
	struct kvm_cpuid_entry2 out[256];
	unsigned n;
	ck_assert_int_eq(cpuid_policy(sup->entries, sup->nent, &cfg, 1, out, 256, &n), 0);
	ck_assert_uint_eq(find_e(out, n, 1, 0)->ebx >> 24, 1);

	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ck_assert_int_ge(vm, 0);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 1);
	ck_assert_int_ge(vcpu, 0);
	ck_assert_int_eq(cpuid_set_vcpu(vcpu, sup, &cfg, 1), 0);
	/* KVM keeps what we set: read it back */
	struct kvm_cpuid2 *got = calloc(1, sizeof(*got) + 256 * sizeof(got->entries[0]));
	ck_assert_ptr_nonnull(got);
	got->nent = 256;
	ck_assert_int_eq(ioctl(vcpu, KVM_GET_CPUID2, got), 0);
	ck_assert_uint_eq(got->nent, n);
	struct kvm_cpuid_entry2 *g1 = find_e(got->entries, got->nent, 1, 0);
	ck_assert_uint_eq(g1->ebx >> 24, 1);
	if (pvm)
		ck_assert_uint_eq(g1->ecx & CX16, 0);
	ck_assert_uint_eq(find_e(got->entries, got->nent, 0xb, 1)->ebx, 2);
	free(got);
	close(vcpu);
	close(vm);
	free(sup);
	close(kvm);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("cpuid");
	TCase *tc = tcase_create("policy");
	tcase_add_test(tc, default_hides_vmx);
	tcase_add_test(tc, host_keeps_vmx);
	tcase_add_test(tc, amd_svm_by_mode);
	tcase_add_test(tc, pvm_clears_cx16_in_both_modes);
	tcase_add_test(tc, leaf1_per_vcpu);
	tcase_add_test(tc, x2apic_topology);
	tcase_add_test(tc, leaf_1f_and_missing_0b);
	tcase_add_test(tc, cache_leaves);
	tcase_add_test(tc, amd_core_count_and_topoext);
	tcase_add_test(tc, kvm_leaves);
	tcase_add_test(tc, duplicates_keep_first);
	tcase_add_test(tc, out_size_and_input_untouched);
	tcase_add_test(tc, bad_arguments);
	suite_add_tcase(s, tc);
	tc = tcase_create("host");
	tcase_add_test(tc, pvm_detection);
	tcase_add_test(tc, real_kvm);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
