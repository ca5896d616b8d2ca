// SPDX-License-Identifier: GPL-2.0-or-later
#include "cpuid.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#define L1_ECX_VMX (1u << 5)
#define L1_ECX_CX16 (1u << 13)
#define L1_ECX_HYPERVISOR (1u << 31)
#define L1_EDX_HTT (1u << 28)
#define EXT1_ECX_SVM (1u << 2)

#define LEAF_KVM_SIG 0x40000000u
#define LEAF_KVM_FEAT 0x40000001u

/* 0xB/0x1F level types in ECX[15:8] */
#define TOPO_SMT 1u
#define TOPO_CORE 2u

/* bits needed to number n things: 1 -> 0, 2 -> 1, 3..4 -> 2, ... 255 -> 8 */
static unsigned order_base_2(unsigned n)
{
	unsigned s = 0;
	while ((1u << s) < n)
		s++;
	return s;
}

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

static int same_key(const struct kvm_cpuid_entry2 *a, const struct kvm_cpuid_entry2 *b)
{
	if (a->function != b->function)
		return 0;
	/* KVM matches the index only for indexed leaves */
	if ((a->flags | b->flags) & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)
		return a->index == b->index;
	return 1;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid_entry2 *e, unsigned n, uint32_t fn)
{
	for (unsigned i = 0; i < n; i++)
		if (e[i].function == fn)
			return &e[i];
	return NULL;
}

static int push(struct kvm_cpuid_entry2 *out, unsigned max_out, unsigned *n,
		const struct kvm_cpuid_entry2 *e)
{
	if (*n >= max_out)
		return -E2BIG;
	out[(*n)++] = *e;
	return 0;
}

/* Per-vCPU topology: one thread per core, all vCPUs cores of one package; APIC ID = vcpu_index. */
static void fix_leaf1(struct kvm_cpuid_entry2 *e, const struct cpuid_cfg *cfg, unsigned idx)
{
	unsigned clflush = (e->ebx >> 8) & 0xff;
	if (!clflush)
		clflush = 8; /* 64-byte lines, in 8-byte units */
	e->ebx = (e->ebx & 0xff) | (clflush << 8) | (cfg->ncpus << 16) | (idx << 24);
	if (cfg->ncpus > 1)
		e->edx |= L1_EDX_HTT; /* "EBX[23:16] is valid", not hyper-threading */
	else
		e->edx &= ~L1_EDX_HTT;
	e->ecx |= L1_ECX_HYPERVISOR;
	if (cfg->mode == CPUID_MODE_DEFAULT)
		e->ecx &= ~L1_ECX_VMX;
	if (cfg->host_is_pvm)
		e->ecx &= ~L1_ECX_CX16; /* the emulator cannot run cmpxchg16b */
}

/* Logical processors sharing a cache, minus 1 (leaf 4 and 0x8000001D EAX[25:14]): L1/L2 belong
 * to one core (one thread), L3 to the whole package. */
static unsigned cache_sharing(uint32_t eax, unsigned ncpus)
{
	unsigned level = (eax >> 5) & 7;
	return level >= 3 ? min_u((1u << order_base_2(ncpus)) - 1, 0xfff) : 0;
}

/* Deterministic cache parameters: also cores per package in EAX[31:26]. */
static void fix_leaf4(struct kvm_cpuid_entry2 *e, const struct cpuid_cfg *cfg)
{
	if (!(e->eax & 0x1f))
		return; /* "no more caches" subleaf stays all zero */
	unsigned cores = min_u((1u << order_base_2(cfg->ncpus)) - 1, 0x3f);
	e->eax = (e->eax & 0x3fff) | (cache_sharing(e->eax, cfg->ncpus) << 14) | (cores << 26);
}

static void fix_leaf(struct kvm_cpuid_entry2 *e, const struct cpuid_cfg *cfg, unsigned idx)
{
	unsigned shift = order_base_2(cfg->ncpus);
	switch (e->function) {
	case 1:
		fix_leaf1(e, cfg, idx);
		break;
	case 4:
		fix_leaf4(e, cfg);
		break;
	case 0x80000001:
		if (cfg->mode == CPUID_MODE_DEFAULT)
			e->ecx &= ~EXT1_ECX_SVM;
		break;
	case 0x80000008:
		/* AMD: ApicIdSize [15:12], NC = cores - 1 [7:0]; Intel reads neither */
		e->ecx = (e->ecx & ~0xf0ffu) | (shift << 12) | (cfg->ncpus - 1);
		break;
	case 0x8000001d:
		/* AMD cache topology: same sharing as leaf 4 (bits 31:26 are reserved here) */
		if (e->eax & 0x1f) {
			unsigned sharing = cache_sharing(e->eax, cfg->ncpus);
			e->eax = (e->eax & ~(0xfffu << 14)) | (sharing << 14);
		}
		break;
	case 0x8000000a:
		/* SVM revision and features: meaningless without SVM */
		if (cfg->mode == CPUID_MODE_DEFAULT)
			e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x8000001e:
		/* AMD TOPOEXT: extended APIC ID, core ID (one thread per core), node 0 of 1. KVM
		 * reports zeros, which would make every vCPU core 0. */
		e->eax = idx;
		e->ebx = idx & 0xff;
		e->ecx = 0;
		break;
	}
}

/* x2APIC topology (0xB or 0x1F): level 0 SMT (1 thread), level 1 core (ncpus), then invalid. */
static int push_topology(struct kvm_cpuid_entry2 *out, unsigned max_out, unsigned *n, uint32_t fn,
			 const struct cpuid_cfg *cfg, unsigned idx)
{
	const struct kvm_cpuid_entry2 lv[3] = {
		{ .function = fn, .index = 0, .eax = 0, .ebx = 1, .ecx = 0 | (TOPO_SMT << 8) },
		{ .function = fn,
		  .index = 1,
		  .eax = order_base_2(cfg->ncpus),
		  .ebx = cfg->ncpus,
		  .ecx = 1 | (TOPO_CORE << 8) },
		{ .function = fn, .index = 2, .ecx = 2 },
	};
	for (unsigned i = 0; i < 3; i++) {
		struct kvm_cpuid_entry2 e = lv[i];
		e.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		e.edx = idx;
		int r = push(out, max_out, n, &e);
		if (r)
			return r;
	}
	return 0;
}

/* 0x40000000: "KVMKVMKVM\0\0\0", EAX = highest paravirt leaf. 0x40000001 keeps the features the
 * supported table offers; a table without it gets an empty one, so EAX never points past it. */
static int fix_kvm_leaves(struct kvm_cpuid_entry2 *out, unsigned max_out, unsigned *n)
{
	int r;
	if (!find(out, *n, LEAF_KVM_FEAT)) {
		struct kvm_cpuid_entry2 f = { .function = LEAF_KVM_FEAT };
		if ((r = push(out, max_out, n, &f)))
			return r;
	}
	if (!find(out, *n, LEAF_KVM_SIG)) {
		struct kvm_cpuid_entry2 s = { .function = LEAF_KVM_SIG };
		if ((r = push(out, max_out, n, &s)))
			return r;
	}
	uint32_t max = LEAF_KVM_FEAT;
	for (unsigned i = 0; i < *n; i++)
		if ((out[i].function & 0xffffff00u) == LEAF_KVM_SIG && out[i].function > max)
			max = out[i].function;
	struct kvm_cpuid_entry2 *s = find(out, *n, LEAF_KVM_SIG);
	s->eax = max;
	memcpy(&s->ebx, "KVMK", 4);
	memcpy(&s->ecx, "VMKV", 4);
	memcpy(&s->edx, "M\0\0\0", 4);
	return 0;
}

int cpuid_policy(const struct kvm_cpuid_entry2 *sup, unsigned nsup, const struct cpuid_cfg *cfg,
		 unsigned vcpu_index, struct kvm_cpuid_entry2 *out, unsigned max_out, unsigned *nout)
{
	if ((!sup && nsup) || !cfg || !out || !nout || cfg->ncpus < 1 ||
	    cfg->ncpus > CPUID_MAX_CPUS || vcpu_index >= cfg->ncpus ||
	    (cfg->mode != CPUID_MODE_DEFAULT && cfg->mode != CPUID_MODE_HOST))
		return -EINVAL;
	*nout = 0;
	unsigned n = 0;
	uint32_t max_basic = 0;
	int r;
	for (unsigned i = 0; i < nsup; i++) {
		const struct kvm_cpuid_entry2 *e = &sup[i];
		if (e->function == 0xb || e->function == 0x1f)
			continue; /* KVM reports no topology; ours follows below */
		int dup = 0;
		for (unsigned j = 0; j < n && !dup; j++)
			dup = same_key(&out[j], e);
		if (dup)
			continue;
		if ((r = push(out, max_out, &n, e)))
			return r;
		if (e->function == 0)
			max_basic = e->eax;
		fix_leaf(&out[n - 1], cfg, vcpu_index);
	}
	/* only where leaf 0 says they exist: a guest reads leaves above the maximum as garbage */
	if (max_basic >= 0xb && (r = push_topology(out, max_out, &n, 0xb, cfg, vcpu_index)))
		return r;
	if (max_basic >= 0x1f && (r = push_topology(out, max_out, &n, 0x1f, cfg, vcpu_index)))
		return r;
	if ((r = fix_kvm_leaves(out, max_out, &n)))
		return r;
	*nout = n;
	return 0;
}

int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out)
{
	*out = NULL;
	/* today's KVM reports ~60-100 entries; the ceiling only stops a runaway loop */
	for (unsigned nent = 128; nent <= 8192; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		int err = errno;
		free(c);
		if (err != E2BIG)
			return -err;
	}
	return -E2BIG;
}

int cpuid_set_vcpu(int vcpu_fd, const struct kvm_cpuid2 *sup, const struct cpuid_cfg *cfg,
		   unsigned vcpu_index)
{
	unsigned max = sup->nent + CPUID_POLICY_EXTRA, n;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + max * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	int r = cpuid_policy(sup->entries, sup->nent, cfg, vcpu_index, c->entries, max, &n);
	if (!r) {
		c->nent = n;
		if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
			r = -errno;
	}
	free(c);
	return r;
}

int host_is_pvm(const char *sysfs_root)
{
	char path[4096];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/module/kvm_pvm", sysfs_root ? sysfs_root : "/sys");
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	return -errno;
}
