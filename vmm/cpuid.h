/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's CPUID: a pure policy that turns KVM_GET_SUPPORTED_CPUID into one vCPU's table
 * (topology, hypervisor leaves, what is hidden), detection of a PVM host, and the guest kernel
 * parameters such a host needs because there CPUID cannot hide what its emulator lacks. */
#ifndef KVMINI_CPUID_H
#define KVMINI_CPUID_H
#include <linux/kvm.h>
#include <stddef.h>

#define CPUID_MAX_CPUS 255 /* x2APIC IDs stay below 255: no interrupt remapping needed */
/* entries cpuid_policy() may add beyond the supported table's: 0xB and 0x1F (3 subleaves each),
 * 0x40000000 and 0x40000001 */
#define CPUID_POLICY_EXTRA 8

enum cpuid_mode {
	CPUID_MODE_DEFAULT, /* a portable guest: no nested virtualization */
	CPUID_MODE_HOST, /* `--cpu host`: everything KVM offers, VMX/SVM included */
};

struct cpuid_cfg {
	unsigned ncpus; /* 1..CPUID_MAX_CPUS */
	enum cpuid_mode mode;
	int host_is_pvm; /* also hide CX16, the one bit a PVM host lets the VMM hide */
};

/* Builds vCPU vcpu_index's table from the nsup supported entries into out (room for max_out;
 * nsup + CPUID_POLICY_EXTRA always suffices). No ioctls. Duplicate entries (same function, and
 * same index where it is significant) keep the first. Returns 0, -EINVAL on a bad cfg/index,
 * -E2BIG when out is too small. */
int cpuid_policy(const struct kvm_cpuid_entry2 *sup, unsigned nsup, const struct cpuid_cfg *cfg,
		 unsigned vcpu_index, struct kvm_cpuid_entry2 *out, unsigned max_out, unsigned *nout);

/* KVM_GET_SUPPORTED_CPUID on the /dev/kvm fd, growing the buffer while KVM says E2BIG.
 * *out is malloc'd (free() it). Returns 0 or -errno. */
int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out);

/* cpuid_policy() for one vCPU, then KVM_SET_CPUID2 on its fd. Returns 0 or -errno. */
int cpuid_set_vcpu(int vcpu_fd, const struct kvm_cpuid2 *sup, const struct cpuid_cfg *cfg,
		   unsigned vcpu_index);

/* 1 if the host's KVM is PVM (<sysfs_root>/module/kvm_pvm exists; NULL means "/sys"), 0 if not,
 * -errno if that cannot be told. */
int host_is_pvm(const char *sysfs_root);

/* The guest kernel parameters a PVM host needs: they keep the guest kernel off instructions
 * KVM's emulator cannot run. clearcpuid= takes feature names in Linux 6.1 (checked) when built
 * with CONFIG_X86_FEATURE_NAMES (default y). */
const char *cpuid_pvm_cmdline(void);

/* Writes user_cmdline (NULL = "") plus whichever of cpuid_pvm_cmdline()'s parameters it lacks to
 * out; nothing is added unless host_is_pvm && !disabled. A parameter counts as given where
 * Linux would see it (noinvpcid only before "--"; noxsave and clearcpuid= anywhere). A user
 * clearcpuid= (the last one: the only one Linux reads) gets the missing names (or 6.1 bit
 * numbers) appended to its list rather than a second clearcpuid=. New parameters go before a
 * "--" (what follows is init's). Returns 0,
 * -ENAMETOOLONG when out is too small, -E2BIG when the merged clearcpuid= list would exceed the
 * 127 characters Linux reads. */
int cmdline_add_host_params(char *out, size_t outlen, const char *user_cmdline, int host_is_pvm,
			    int disabled);

#endif
