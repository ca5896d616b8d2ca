// SPDX-License-Identifier: GPL-2.0-or-later
/* vCPU threads on the real /dev/kvm: the stop kick after a vcpus_create that failed half-way (no
 * run area for the last vCPU), and the kick sent from another thread while the main thread starts
 * and joins vCPU threads (make tsan runs this). Without a usable /dev/kvm the suite is empty and
 * says so with a skip line. */
#include "unit.h"
#include "vmm/cpuid.h"
#include "vmm/kvm.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#include <pthread.h>
#include <stdio.h>

#define NCPU 4

struct kctx {
	struct kvm kvm;
	struct vm vm;
	struct vcpus vs;
};

static void kup(struct kctx *k)
{
	memset(k, 0, sizeof(*k));
	const char *why = NULL;
	ck_assert_int_eq(kvm_open(&k->kvm, "/dev/kvm", &why), 0);
	struct vm_mem_cfg mc = { .size = 2 << 20 };
	ck_assert_int_eq(vm_create(&k->vm, &k->kvm, &mc, &why), 0);
}

static void kdown(struct kctx *k)
{
	vcpus_destroy(&k->vs);
	vm_destroy(&k->vm);
	kvm_close(&k->kvm);
}

START_TEST(kick_after_partial_create)
{
	struct kctx k;
	kup(&k);
	struct cpuid_cfg cc = { .ncpus = 2, .mode = CPUID_MODE_DEFAULT, .host_is_pvm = k.kvm.is_pvm };
	const char *why = NULL;
	int saved = k.kvm.vcpu_mmap_size;
	k.kvm.vcpu_mmap_size = 0; /* the run-area mmap of vCPU 0 fails */
	ck_assert_int_lt(vcpus_create(&k.vs, &k.vm, 2, &cc, 0, &why), 0);
	ck_assert_str_eq(why, "cannot map the vCPU run area");
	ck_assert_uint_eq(k.vs.n, 1);
	ck_assert_ptr_null(k.vs.v[0].run);
	vm_request_stop(&k.vm, VM_STOP_ERROR); /* kicks: must skip the vCPU without a run area */
	ck_assert_int_eq(atomic_load(&k.vm.stop_reason), VM_STOP_ERROR);
	k.kvm.vcpu_mmap_size = saved;
	kdown(&k);
}
END_TEST

static void *stopper(void *arg)
{
	vm_request_stop(arg, VM_STOP_USER);
	return NULL;
}

/* The stop may come from any thread at any point of start-up (a vCPU that powers off at once, a
 * signal): the kick must neither miss a started thread nor signal one being joined. */
START_TEST(kick_races_start_and_join)
{
	for (int round = 0; round < 8; round++) {
		struct kctx k;
		kup(&k);
		struct cpuid_cfg cc = { .ncpus = NCPU, .mode = CPUID_MODE_DEFAULT, .host_is_pvm = k.kvm.is_pvm };
		const char *why = NULL;
		ck_assert_int_eq(vcpus_create(&k.vs, &k.vm, NCPU, &cc, 0, &why), 0);
		pthread_t t;
		ck_assert_int_eq(pthread_create(&t, NULL, stopper, &k.vm), 0);
		if (round & 1)
			ck_assert_int_eq(pthread_join(t, NULL), 0); /* stop before start: threads exit at once */
		ck_assert_int_eq(vcpus_start(&k.vs), 0);
		vcpus_join(&k.vs); /* returns only because every thread was kicked out of KVM_RUN */
		if (!(round & 1))
			ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert_int_ne(atomic_load(&k.vm.stop_reason), VM_STOP_NONE);
		kdown(&k);
	}
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("vcpu");
	TCase *tc = tcase_create("kvm");
	tcase_set_timeout(tc, 60);
	struct kvm kvm;
	const char *why = NULL;
	if (kvm_open(&kvm, "/dev/kvm", &why) < 0) {
		printf("skip - vcpu: /dev/kvm: %s\n", why ? why : "cannot open");
	} else {
		kvm_close(&kvm);
		tcase_add_test(tc, kick_after_partial_create);
		tcase_add_test(tc, kick_races_start_and_join);
	}
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
