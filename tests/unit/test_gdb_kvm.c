// SPDX-License-Identifier: GPL-2.0-or-later
/* The GDB stub's KVM target (vmm/gdb_kvm.c) on the real /dev/kvm, with a real-mode loop as the
 * guest and two vCPUs (the second waits for SIPI): registers written and read back, memory read
 * at linear addresses, a single step of vCPU 0 (a debug exit with DR6.BS, one instruction on,
 * the other vCPU left parked), an execute breakpoint in DR0 (the stop at its address), Ctrl-C's
 * interrupt freezing the guest, detach letting it run again. Without /dev/kvm: a skip line. */
#include "unit.h"
#include "vmm/cpuid.h"
#include "vmm/gdb_kvm.h"
#include "vmm/kvm.h"

#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <time.h>

/* real mode at 0: nop; nop; inc word [0x100]; out 0x10, al; jmp 0 */
static const uint8_t loop_code[] = { 0x90, 0x90, 0xff, 0x06, 0x00, 0x01, 0xe6, 0x10, 0xeb, 0xf6 };
#define OUT_AT 6
#define COUNT_GPA 0x100

struct ctx {
	struct kvm kvm;
	struct vm vm;
	struct vcpus vs;
	struct gdb_kvm g;
};

static uint16_t count(struct ctx *c)
{
	uint16_t v = 0;
	ck_assert_int_eq(gmem_read(&c->vm.mem, COUNT_GPA, &v, sizeof(v)), 0);
	return v;
}

/* waits up to 10 s for a debug stop; returns its vCPU, DR6 in *dr6 */
static unsigned wait_stop(struct ctx *c, uint64_t *dr6)
{
	struct pollfd p = { c->g.efd, POLLIN, 0 };
	unsigned cpu = 99;
	ck_assert_int_eq(poll(&p, 1, 10000), 1);
	ck_assert_int_eq(gdb_kvm_take_stop(&c->g, &cpu, dr6), 1);
	ck_assert(vcpus_paused(&c->vs));
	return cpu;
}

START_TEST(kvm_target)
{
	static struct ctx c;
	const char *why = NULL;
	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(kvm_open(&c.kvm, "/dev/kvm", &why), 0);
	struct vm_mem_cfg mc = { .size = 2 << 20 };
	ck_assert_int_eq(vm_create(&c.vm, &c.kvm, &mc, &why), 0);
	struct cpuid_cfg cc = { .ncpus = 2, .mode = CPUID_MODE_DEFAULT, .host_is_pvm = c.kvm.is_pvm };
	ck_assert_int_eq(vcpus_create(&c.vs, &c.vm, 2, &cc, 0, &why), 0);
	ck_assert_int_eq(gmem_write(&c.vm.mem, 0, loop_code, sizeof(loop_code)), 0);
	struct kvm_sregs s;
	ck_assert_int_eq(ioctl(c.vs.v[0].fd, KVM_GET_SREGS, &s), 0);
	s.cs.base = 0;
	s.cs.selector = 0;
	ck_assert_int_eq(ioctl(c.vs.v[0].fd, KVM_SET_SREGS, &s), 0);
	struct kvm_regs r0 = { .rip = 0, .rflags = 2 };
	ck_assert_int_eq(ioctl(c.vs.v[0].fd, KVM_SET_REGS, &r0), 0);

	ck_assert_int_eq(gdb_kvm_init(&c.g), 0);
	vcpus_pause(&c.vs); /* --gdb-wait: parked before the first KVM_RUN */
	ck_assert_int_eq(gdb_kvm_attach(&c.g, &c.vs, &c.vm), 0);
	ck_assert_int_eq(vcpus_start(&c.vs), 0);
	const struct gdb_target_ops *o = &gdb_kvm_ops;
	ck_assert_uint_eq(o->ncpus(&c.g), 2);

	struct gdb_regs r;
	ck_assert_int_eq(o->get_regs(&c.g, 0, &r), 0);
	ck_assert_uint_eq(r.rip, 0);
	ck_assert_uint_eq(r.cr[GDB_CR0] & 1, 0); /* real mode */
	r.gpr[GDB_RBX] = 0x1234;
	r.gpr[GDB_RBP] = 0x5678; /* gdb's order: rbp before rsp */
	ck_assert_int_eq(o->set_regs(&c.g, 0, &r), 0);
	struct kvm_regs kr;
	ck_assert_int_eq(ioctl(c.vs.v[0].fd, KVM_GET_REGS, &kr), 0);
	ck_assert_uint_eq(kr.rbx, 0x1234);
	ck_assert_uint_eq(kr.rbp, 0x5678);
	r.seg[GDB_SEG_DS] ^= 8;
	ck_assert_int_eq(o->set_regs(&c.g, 0, &r), -EINVAL); /* a selector alone is refused */
	uint8_t code[sizeof(loop_code)];
	ck_assert_int_eq(o->read_mem(&c.g, 0, 0, code, sizeof(code)), (long)sizeof(code));
	ck_assert_mem_eq(code, loop_code, sizeof(code));
	ck_assert_int_lt(o->read_mem(&c.g, 0, 4ULL << 20, code, 4), 0); /* beyond RAM */
	ck_assert_int_eq(o->get_regs(&c.g, 2, &r), -ESRCH);

	/* one step of vCPU 0: a debug exit with BS, at the next instruction */
	static const struct gdb_hwdebug none;
	uint64_t dr6 = 0;
	ck_assert_int_eq(o->resume(&c.g, &none, 0), 0);
	ck_assert_uint_eq(wait_stop(&c, &dr6), 0);
	ck_assert(dr6 & GDB_DR6_BS);
	ck_assert_int_eq(o->get_regs(&c.g, 0, &r), 0);
	ck_assert_uint_eq(r.rip, 1);

	/* an execute breakpoint at the out: the stop is there, the count went up */
	struct gdb_bp bp[GDB_NSLOTS] = { { 1, GDB_BP_HW, OUT_AT, 1 } };
	struct gdb_hwdebug d;
	gdb_hwdebug_build(bp, &d);
	ck_assert_int_eq(o->resume(&c.g, &d, -1), 0);
	ck_assert_uint_eq(wait_stop(&c, &dr6), 0);
	ck_assert_uint_eq(dr6 & 0xf, 1);
	ck_assert_int_eq(o->get_regs(&c.g, 0, &r), 0);
	ck_assert_uint_eq(r.rip, OUT_AT);
	ck_assert_uint_eq(count(&c), 1);

	/* running without breakpoints, then Ctrl-C: the count stands still */
	ck_assert_int_eq(o->resume(&c.g, &none, -1), 0);
	for (int i = 0; i < 1000 && count(&c) < 3; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	o->interrupt(&c.g);
	ck_assert(vcpus_paused(&c.vs));
	uint16_t n = count(&c);
	ck_assert_uint_ge(n, 3);
	nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
	ck_assert_uint_eq(count(&c), n);
	o->detach(&c.g);
	ck_assert(!vcpus_paused(&c.vs));
	for (int i = 0; i < 1000 && count(&c) == n; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	ck_assert_uint_ne(count(&c), n);

	vm_request_stop(&c.vm, VM_STOP_USER);
	vcpus_join(&c.vs);
	gdb_kvm_detach(&c.g);
	gdb_kvm_fini(&c.g);
	vcpus_destroy(&c.vs);
	vm_destroy(&c.vm);
	kvm_close(&c.kvm);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("gdb_kvm");
	TCase *tc = tcase_create("kvm");
	tcase_set_timeout(tc, 60);
	struct kvm kvm;
	const char *why = NULL;
	if (kvm_open(&kvm, "/dev/kvm", &why) < 0) {
		printf("skip - gdb_kvm: /dev/kvm: %s\n", why ? why : "cannot open");
	} else {
		kvm_close(&kvm);
		tcase_add_test(tc, kvm_target);
	}
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
