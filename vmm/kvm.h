/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The /dev/kvm handle: API version and the capabilities kvmini relies on, checked once up front. */
#ifndef KVMINI_KVM_H
#define KVMINI_KVM_H

struct kvm {
	int fd;
	int max_vcpus; /* KVM_CAP_MAX_VCPUS (falls back to KVM_CAP_NR_VCPUS) */
	int vcpu_mmap_size;
	int is_pvm; /* the host's KVM is PVM: see host_is_pvm() */
};

/* Opens path (normally /dev/kvm). On failure returns -errno and sets *why to a short reason. */
int kvm_open(struct kvm *k, const char *path, const char **why);
void kvm_close(struct kvm *k);

#endif
