/* SPDX-License-Identifier: GPL-2.0-or-later */
/* KVM's binary statistics (KVM_GET_STATS_FD on a VM or vCPU fd): the header and descriptors read
 * once and checked, values read by name with pread whenever wanted. Here for the exits KVM handles
 * in the kernel, which kvmini never sees: exits, io_exits, mmio_exits, halt_wait_ns, ... */
#ifndef KVMINI_KVMSTATS_H
#define KVMINI_KVMSTATS_H
#include <stddef.h>
#include <stdint.h>

#define KVMSTATS_NAME_MAX 64

struct kvmstats_desc {
	char name[KVMSTATS_NAME_MAX];
	uint32_t flags; /* KVM_STATS_TYPE_* | KVM_STATS_UNIT_* | KVM_STATS_BASE_* */
	int16_t exponent;
	uint16_t size; /* number of u64 values (histograms: buckets) */
	uint32_t offset; /* from the data block */
	uint32_t bucket_size;
};

struct kvmstats {
	int fd;
	char id[KVMSTATS_NAME_MAX];
	uint64_t data_offset;
	unsigned n;
	struct kvmstats_desc *d;
};

/* Reads the layout of a stats fd (owned from then on, closed by kvmstats_close, even on error).
 * -EINVAL with a reason in why for a layout that makes no sense. */
int kvmstats_open(struct kvmstats *s, int fd, char *why, size_t whylen);
/* KVM_GET_STATS_FD on a VM or vCPU fd, then kvmstats_open. -errno (-ENOTTY: no binary stats). */
int kvmstats_open_ioctl(struct kvmstats *s, int kvm_obj_fd, char *why, size_t whylen);
void kvmstats_close(struct kvmstats *s);
/* The descriptor called name, or NULL. */
const struct kvmstats_desc *kvmstats_find(const struct kvmstats *s, const char *name);
/* Reads up to max values of d into v; returns how many, or -errno. */
int kvmstats_read(const struct kvmstats *s, const struct kvmstats_desc *d, uint64_t *v, unsigned max);
/* One scalar by name: 0 and *v set, or -ENOENT. */
int kvmstats_get(const struct kvmstats *s, const char *name, uint64_t *v);

/* The in-kernel exit counters kvmini reports for one vCPU (all cumulative since it was created). */
#define KVMSTATS_HIST_MAX 64
struct kvm_exit_counts {
	int have; /* the counters were read */
	uint64_t exits, io_exits, mmio_exits, halt_exits, irq_exits, insn_emulation, hypercalls, halt_wait_ns;
	uint64_t halt_wait_hist[KVMSTATS_HIST_MAX]; /* log2 buckets of halt_wait_hist, ns */
	unsigned hist_n;
};
/* Reads them (a counter this KVM lacks stays 0). */
int kvmstats_exit_counts(const struct kvmstats *s, struct kvm_exit_counts *c);

#endif
