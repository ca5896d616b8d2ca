// SPDX-License-Identifier: GPL-2.0-or-later
/* vCPU threads on the real /dev/kvm: the stop kick after a vcpus_create that failed half-way (no
 * run area for the last vCPU), the kick sent from another thread while the main thread starts
 * and joins vCPU threads (make tsan runs this), and pause/resume with a guest that counts in its
 * RAM (the count must freeze while paused). Without a usable /dev/kvm the suite is empty and says
 * so with a skip line. */
#include "unit.h"
#include "vmm/cpuid.h"
#include "vmm/gmem.h"
#include "vmm/kvm.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#include <pthread.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

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

/* Real mode at 0: inc word [0x100]; out 0x10, al; jmp 0 (each OUT is an exit, so a pause has
 * exits to catch the threads at, and the kick must also catch them inside KVM_RUN). */
static const uint8_t counter_code[] = { 0xff, 0x06, 0x00, 0x01, 0xe6, 0x10, 0xeb, 0xf8 };
#define COUNTER_GPA 0x100

static void counter_setup(struct kctx *k, unsigned n)
{
	struct cpuid_cfg cc = { .ncpus = n, .mode = CPUID_MODE_DEFAULT, .host_is_pvm = k->kvm.is_pvm };
	const char *why = NULL;
	ck_assert_int_eq(vcpus_create(&k->vs, &k->vm, n, &cc, 0, &why), 0);
	ck_assert_int_eq(gmem_write(&k->vm.mem, 0, counter_code, sizeof(counter_code)), 0);
	struct kvm_sregs s;
	ck_assert_int_eq(ioctl(k->vs.v[0].fd, KVM_GET_SREGS, &s), 0);
	s.cs.base = 0;
	s.cs.selector = 0;
	ck_assert_int_eq(ioctl(k->vs.v[0].fd, KVM_SET_SREGS, &s), 0);
	struct kvm_regs r = { .rip = 0, .rflags = 2 };
	ck_assert_int_eq(ioctl(k->vs.v[0].fd, KVM_SET_REGS, &r), 0);
}

static uint16_t counter(struct kctx *k)
{
	uint16_t c = 0;
	ck_assert_int_eq(gmem_read(&k->vm.mem, COUNTER_GPA, &c, sizeof(c)), 0);
	return c;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Waits up to 10 s for the counter to move away from c; returns the new value. */
static uint16_t counter_moves(struct kctx *k, uint16_t c)
{
	for (int i = 0; i < 1000; i++) {
		uint16_t now = counter(k);
		if (now != c)
			return now;
		sleep_ms(10);
	}
	ck_abort_msg("the guest's counter did not move in 10 s");
	return c;
}

START_TEST(pause_freezes_guest)
{
	struct kctx k;
	kup(&k);
	counter_setup(&k, 2); /* the AP waits for SIPI inside KVM_RUN: the kick must get it out too */
	ck_assert_int_eq(vcpus_start(&k.vs), 0);
	counter_moves(&k, 0);
	for (int round = 0; round < 3; round++) {
		vcpus_pause(&k.vs);
		ck_assert(vcpus_paused(&k.vs));
		pthread_mutex_lock(&k.vs.lock);
		unsigned parked = k.vs.nparked;
		pthread_mutex_unlock(&k.vs.lock);
		ck_assert_uint_eq(parked, 2);
		uint16_t c = counter(&k);
		sleep_ms(100);
		ck_assert_uint_eq(counter(&k), c);
		vcpus_pause(&k.vs); /* idempotent */
		sleep_ms(20);
		ck_assert_uint_eq(counter(&k), c);
		vcpus_resume(&k.vs);
		ck_assert(!vcpus_paused(&k.vs));
		counter_moves(&k, c);
		vcpus_resume(&k.vs); /* a no-op while running */
	}
	vm_request_stop(&k.vm, VM_STOP_USER);
	vcpus_join(&k.vs);
	ck_assert_uint_eq(k.vs.nactive, 0);
	kdown(&k);
}
END_TEST

START_TEST(pause_before_start)
{
	struct kctx k;
	kup(&k);
	counter_setup(&k, 1);
	vcpus_pause(&k.vs); /* the VM rebuilt by a reset of a paused guest starts like this */
	ck_assert_int_eq(vcpus_start(&k.vs), 0);
	sleep_ms(100);
	ck_assert_uint_eq(counter(&k), 0);
	vcpus_resume(&k.vs);
	counter_moves(&k, 0);
	vm_request_stop(&k.vm, VM_STOP_USER);
	vcpus_join(&k.vs);
	kdown(&k);
}
END_TEST

/* A stop from another thread (a vCPU's poweroff, a signal) while paused or while a pause waits:
 * parked threads finish, the pause returns, the join completes. */
START_TEST(stop_races_pause)
{
	for (int round = 0; round < 8; round++) {
		struct kctx k;
		kup(&k);
		counter_setup(&k, NCPU);
		ck_assert_int_eq(vcpus_start(&k.vs), 0);
		if (round & 1)
			vcpus_pause(&k.vs);
		pthread_t t;
		ck_assert_int_eq(pthread_create(&t, NULL, stopper, &k.vm), 0);
		vcpus_pause(&k.vs);
		vcpus_resume(&k.vs);
		vcpus_pause(&k.vs);
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		vcpus_join(&k.vs);
		ck_assert_uint_eq(k.vs.nactive, 0);
		vcpus_pause(&k.vs); /* after the threads are gone: returns at once */
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
		tcase_add_test(tc, pause_freezes_guest);
		tcase_add_test(tc, pause_before_start);
		tcase_add_test(tc, stop_races_pause);
	}
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
