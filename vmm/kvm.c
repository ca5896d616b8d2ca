// SPDX-License-Identifier: GPL-2.0-or-later
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cpuid.h"

/* Everything the VMM uses. A missing one is fatal up front rather than a surprise mid-boot. */
static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_IRQCHIP, "missing capability KVM_CAP_IRQCHIP: in-kernel interrupt controller" },
	{ KVM_CAP_PIT2, "missing capability KVM_CAP_PIT2: in-kernel PIT" },
	{ KVM_CAP_USER_MEMORY, "missing capability KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_EXT_CPUID, "missing capability KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IRQ_ROUTING, "missing capability KVM_CAP_IRQ_ROUTING" },
	{ KVM_CAP_IRQFD, "missing capability KVM_CAP_IRQFD" },
	{ KVM_CAP_IOEVENTFD, "missing capability KVM_CAP_IOEVENTFD" },
	{ KVM_CAP_SIGNAL_MSI, "missing capability KVM_CAP_SIGNAL_MSI" },
	{ KVM_CAP_IMMEDIATE_EXIT, "missing capability KVM_CAP_IMMEDIATE_EXIT" },
};

int kvm_open(struct kvm *k, const char *path, const char **why)
{
	k->fd = open(path, O_RDWR | O_CLOEXEC);
	if (k->fd < 0) {
		int err = errno;
		*why = err == ENOENT ? "no such device (is the kvm module loaded?)"
		       : err == EACCES ? "permission denied (are you in the kvm group?)"
				       : "cannot open";
		return -err;
	}
	int ret = -ENOTSUP;
	if (ioctl(k->fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		*why = "unsupported KVM API version (need 12)";
		goto fail;
	}
	for (unsigned i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(k->fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			*why = required_caps[i].name;
			goto fail;
		}
	}
	k->max_vcpus = ioctl(k->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (k->max_vcpus <= 0)
		k->max_vcpus = ioctl(k->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (k->max_vcpus <= 0)
		k->max_vcpus = 4; /* the API document's default when the cap is absent */
	k->vcpu_mmap_size = ioctl(k->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->vcpu_mmap_size <= 0) {
		*why = "KVM_GET_VCPU_MMAP_SIZE failed";
		ret = -EIO;
		goto fail;
	}
	k->is_pvm = host_is_pvm("/sys") > 0;
	return 0;
fail:
	close(k->fd);
	k->fd = -1;
	return ret;
}

void kvm_close(struct kvm *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}
