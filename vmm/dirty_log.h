/* SPDX-License-Identifier: GPL-2.0-or-later */
/* KVM's dirty page log over guest RAM's memory slots, for live migration: which pages the vCPUs
 * wrote since the last look. Uses KVM_GET_DIRTY_LOG with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 when the
 * host has it (it does here): a fetch leaves the pages writable and the sender clears (re-protects)
 * each window of pages just before it copies them, so a page written between the fetch and its
 * copy is not sent twice. Without the capability a fetch clears everything at once. Bit i of a
 * bitmap is page i in gmem's order (low RAM, then RAM above 4 GiB); slots start at multiples of 64
 * pages, so a slot's bits are whole words of it. */
#ifndef KVMINI_DIRTY_LOG_H
#define KVMINI_DIRTY_LOG_H
#include <stdint.h>

#include "gmem.h"

struct dirty_log {
	int vm_fd;
	int manual; /* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled */
	int nslots;
	struct {
		uint32_t slot; /* KVM's */
		uint64_t gpa, size, hva, page0, npages;
	} s[GMEM_MAX_REGIONS + 1];
	uint64_t npages;
	uint64_t *tmp; /* one slot's bitmap as KVM returns it */
};

/* Turns logging on for every slot of mem (slot i = region i, as vm.c registers them; firmware:
 * low RAM as vm.c maps it for a BIOS, slot 0 below 0xA0000 and VM_SLOT_HIMEM from 1 MiB, the pages
 * between are not logged: their BIOS slots change with the PAM registers, the caller marks them):
 * every page counts as clean from now on. 0, or -errno with why. */
int dirty_log_start(struct dirty_log *d, int vm_fd, const struct gmem *mem, int firmware, const char **why);
/* ORs the pages written since the last fetch into bitmap (npages bits). 0 or -errno. */
int dirty_log_fetch(struct dirty_log *d, uint64_t *bitmap);
/* Re-protects the pages set in words [word, word + nwords) of bitmap (manual mode; a no-op
 * otherwise): writes from now on are logged again. 0 or -errno. */
int dirty_log_clear(struct dirty_log *d, const uint64_t *bitmap, uint64_t word, uint64_t nwords);
/* Logging off (the slots back to plain RAM). */
void dirty_log_stop(struct dirty_log *d);

#endif
