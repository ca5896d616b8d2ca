/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared scaffolding for unit tests: fake guest RAM, an interrupt recorder, and a main() that runs
 * one Check suite. Device tests drive models through their ops with these, no /dev/kvm needed. */
#ifndef KVMINI_UNIT_H
#define KVMINI_UNIT_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/gmem.h"
#include "vmm/irq.h"

struct fake_ram {
	struct gmem mem;
	uint8_t *buf;
	uint64_t size;
};

static inline void fake_ram_init(struct fake_ram *f, uint64_t gpa, uint64_t size)
{
	memset(f, 0, sizeof(*f));
	f->buf = calloc(1, size);
	f->size = size;
	ck_assert_ptr_nonnull(f->buf);
	ck_assert_int_eq(gmem_add(&f->mem, gpa, size, f->buf), 0);
}

static inline void fake_ram_free(struct fake_ram *f)
{
	free(f->buf);
	f->buf = NULL;
}

#define IRQREC_MAX 256
/* Records every hook call: levels per GSI, MSIs sent, stop requests. */
struct irq_recorder {
	int level[64];
	int raises[64]; /* 0 -> 1 transitions per GSI */
	int nmsi;
	uint64_t msi_addr[IRQREC_MAX];
	uint32_t msi_data[IRQREC_MAX];
	int stop_reason;
	int nstop;
};

static inline int irqrec_set(void *o, unsigned gsi, int level)
{
	struct irq_recorder *r = o;
	if (gsi >= 64)
		return -1;
	if (level && !r->level[gsi])
		r->raises[gsi]++;
	r->level[gsi] = level;
	return 0;
}

static inline int irqrec_msi(void *o, uint64_t addr, uint32_t data)
{
	struct irq_recorder *r = o;
	if (r->nmsi < IRQREC_MAX) {
		r->msi_addr[r->nmsi] = addr;
		r->msi_data[r->nmsi] = data;
	}
	r->nmsi++;
	return 0;
}

static inline void irqrec_stop(void *o, int reason)
{
	struct irq_recorder *r = o;
	r->stop_reason = reason;
	r->nstop++;
}

static const struct vm_hooks irqrec_hooks __attribute__((unused)) = {
	.set_irq = irqrec_set,
	.signal_msi = irqrec_msi,
	.request_stop = irqrec_stop,
};

static inline struct irq_line irqrec_line(struct irq_recorder *r, unsigned gsi)
{
	return (struct irq_line){ .hooks = &irqrec_hooks, .opaque = r, .gsi = gsi };
}

/*
 * A test that cannot run on this machine says why and returns: it prints "skip - NAME: reason"
 * (straight to fd 1, so no stdio buffer is duplicated by Check's fork), which tests/run-all counts
 * as a skip and takes off the passes Check reports. Only for a missing host facility, never to
 * paper over a failure.
 */
#define UNIT_SKIP(name, ...)                                                   \
	do {                                                                   \
		dprintf(1, "skip - %s: ", name);                               \
		dprintf(1, __VA_ARGS__);                                       \
		dprintf(1, "\n");                                              \
		return;                                                        \
	} while (0)

/* Each test file defines `Suite *make_suite(void)` and ends with UNIT_MAIN. */
#define UNIT_MAIN                                                          \
	int main(void)                                                         \
	{                                                                      \
		SRunner *sr = srunner_create(make_suite());                        \
		srunner_run_all(sr, CK_NORMAL);                                    \
		int failed = srunner_ntests_failed(sr);                            \
		srunner_free(sr);                                                  \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                       \
	}

#endif
