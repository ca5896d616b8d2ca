// SPDX-License-Identifier: GPL-2.0-or-later
/* KVM's dirty log over a VM's RAM slots (vmm/dirty_log.h), with /dev/kvm: a firmware VM's low RAM
 * is two KVM slots (below the VGA window, from 1 MiB on) and the log follows them; logging it as
 * one slot is what KVM refuses. */
#include "unit.h"
#include "firmware/layout.h"
#include "vmm/dirty_log.h"
#include "vmm/kvm.h"
#include "vmm/vm.h"

#include <errno.h>

#define RAM (64u << 20)

static void ck_clean(struct dirty_log *d)
{
	uint64_t words = (RAM / GMEM_PAGE + 63) / 64;
	uint64_t *bm = calloc(words, 8);
	ck_assert_int_eq(dirty_log_fetch(d, bm), 0);
	for (uint64_t i = 0; i < words; i++)
		ck_assert_uint_eq(bm[i], 0); /* no vCPU ran: nothing written */
	ck_assert_int_eq(dirty_log_clear(d, bm, 0, words), 0);
	free(bm);
}

START_TEST(firmware_split)
{
	struct kvm kvm;
	struct vm vm;
	const char *why = NULL;
	ck_assert_int_eq(kvm_open(&kvm, "/dev/kvm", &why), 0);
	struct vm_mem_cfg mc = { .size = RAM, .firmware = 1 };
	ck_assert_int_eq(vm_create(&vm, &kvm, &mc, &why), 0);
	struct dirty_log d;
	ck_assert_int_eq(dirty_log_start(&d, vm.fd, &vm.mem, 1, &why), 0);
	ck_assert_int_eq(d.nslots, 2);
	ck_assert_uint_eq(d.s[0].slot, 0);
	ck_assert_uint_eq(d.s[0].size, LAYOUT_VGA);
	ck_assert_uint_eq(d.s[1].slot, VM_SLOT_HIMEM);
	ck_assert_uint_eq(d.s[1].gpa, LAYOUT_HIMEM);
	ck_assert_uint_eq(d.s[1].page0, LAYOUT_HIMEM / GMEM_PAGE);
	ck_assert_uint_eq(d.s[1].size, RAM - LAYOUT_HIMEM);
	ck_assert_uint_eq(d.npages, RAM / GMEM_PAGE);
	ck_clean(&d);
	dirty_log_stop(&d);
	ck_assert_int_eq(d.nslots, 0);
	/* region 0 as one slot would overlap VM_SLOT_HIMEM: KVM says no, nothing stays logging */
	ck_assert_int_lt(dirty_log_start(&d, vm.fd, &vm.mem, 0, &why), 0);
	ck_assert_int_eq(d.nslots, 0);
	vm_destroy(&vm);
	/* a kernel-booted VM: one slot per region */
	mc.firmware = 0;
	ck_assert_int_eq(vm_create(&vm, &kvm, &mc, &why), 0);
	ck_assert_int_eq(dirty_log_start(&d, vm.fd, &vm.mem, 0, &why), 0);
	ck_assert_int_eq(d.nslots, vm.mem.nr);
	ck_assert_uint_eq(d.s[0].size, vm.mem.r[0].size);
	ck_clean(&d);
	dirty_log_stop(&d);
	vm_destroy(&vm);
	kvm_close(&kvm);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("dirty_log");
	TCase *tc = tcase_create("dirty_log");
	struct kvm kvm;
	const char *why = NULL;
	if (kvm_open(&kvm, "/dev/kvm", &why)) {
		printf("skip - dirty_log: firmware_split: /dev/kvm: %s\n", why ? why : "cannot open");
	} else {
		kvm_close(&kvm);
		tcase_add_test(tc, firmware_split);
	}
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
