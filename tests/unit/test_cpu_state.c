// SPDX-License-Identifier: GPL-2.0-or-later
/* vCPU and VM state on the real /dev/kvm: a tiny guest (tests/guest/counter.S) counts on a port in
 * one VM (its second vCPU waits for SIPI), both vCPUs' and the VM state are saved into a stream, a second VM with a copy of its RAM
 * is restored from the parsed stream and must go on from its last number, its TSC and kvmclock not
 * behind. The state read back from the restored vCPU must equal what was saved. Without a usable
 * /dev/kvm the suite says so with a skip line; the refusals that need no KVM are in
 * test_state_kvm.c. */
#include "unit.h"
#include "firmware/linux.h"
#include "vmm/cpuid.h"
#include "vmm/kvm.h"
#include "vmm/state_kvm.h"
#include "vmm/vcpu.h"
#include "vmm/vcpu_state.h"
#include "vmm/vm.h"
#include "vmm/vm_state.h"

#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define GUEST "build/guest/counter.elf"
#define COUNT_PORT 0x520
#define STEP_PORT 0x524
#define TSC_MMIO 0xe0000000ULL
#define PVCLOCK_GPA 0x300000ULL
#define RAM (8ULL << 20)
#define NCPU 2 /* the boot vCPU counts; the AP waits for INIT/SIPI */

/* offsets in the XSAVE area: XMM3 in the legacy region, XSTATE_BV in the header */
#define XMM3 (160 + 3 * 16)
#define XSTATE_BV 512
struct xs {
	_Alignas(64) uint8_t b[VCPU_ST_XSAVE_MAX];
};

/* the values the guest wrote to one port or address */
struct series {
	uint64_t first, last;
	uint32_t n;
};

struct rec {
	struct vm *vm;
	uint32_t stop_at; /* the IN at which the port handler itself stops the VM */
	uint32_t nin;
	struct series count, tsc; /* COUNT_PORT, TSC_MMIO */
};

static void series_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct series *sr = o;
	uint64_t v = 0;
	memcpy(&v, data, size < 8 ? size : 8);
	if (!sr->n)
		sr->first = v;
	sr->last = v;
	sr->n++;
}

/* The step the guest adds: 1, but STOP_STEP on the IN that stops the VM. That stop comes while an
 * exit is being handled, so the IN is still incomplete in KVM: vcpu_state_save must finish it or
 * the value is lost (a kick during KVM_RUN would leave nothing pending). */
#define STOP_STEP 7
static void step_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct rec *r = o;
	uint32_t v = ++r->nin == r->stop_at ? STOP_STEP : 1;
	memcpy(data, &v, size < 4 ? size : 4);
	if (r->nin == r->stop_at)
		vm_request_stop(r->vm, VM_STOP_USER);
	__atomic_store_n(&r->nin, r->nin, __ATOMIC_RELEASE);
}

static void no_read(void *o, uint64_t off, void *data, unsigned size)
{
	memset(data, 0xff, size);
}

static void no_write(void *o, uint64_t off, const void *data, unsigned size)
{
}

static const struct bus_ops series_ops = { .read = no_read, .write = series_write };
static const struct bus_ops step_ops = { .read = step_read, .write = no_write };

struct machine {
	struct vm vm;
	struct vcpus vs;
	struct rec rec;
};

static void machine_up(struct machine *m, struct kvm *kvm)
{
	memset(m, 0, sizeof(*m));
	const char *why = NULL;
	struct vm_mem_cfg mc = { .size = RAM };
	ck_assert_int_eq(vm_create(&m->vm, kvm, &mc, &why), 0);
	m->rec.vm = &m->vm;
	ck_assert_int_ge(bus_register(&m->vm.pio, COUNT_PORT, 4, &series_ops, &m->rec.count, "count"), 0);
	ck_assert_int_ge(bus_register(&m->vm.pio, STEP_PORT, 4, &step_ops, &m->rec, "step"), 0);
	ck_assert_int_ge(bus_register(&m->vm.mmio, TSC_MMIO, 8, &series_ops, &m->rec.tsc, "tsc"), 0);
	struct cpuid_cfg cc = { .ncpus = NCPU, .mode = CPUID_MODE_DEFAULT, .host_is_pvm = kvm->is_pvm };
	ck_assert_int_eq(vcpus_create(&m->vs, &m->vm, NCPU, &cc, 0, &why), 0);
}

static void machine_down(struct machine *m)
{
	vcpus_destroy(&m->vs);
	vm_destroy(&m->vm);
}

/* Runs the vCPU until its n-th IN, where the port handler stops the VM (20 s at most). */
static void run_for(struct machine *m, uint32_t n)
{
	m->rec.stop_at = n;
	atomic_store(&m->vm.stop_reason, VM_STOP_NONE);
	for (unsigned i = 0; i < NCPU; i++)
		m->vs.v[i].run->immediate_exit = 0; /* the stop kick left it set */
	ck_assert_int_eq(vcpus_start(&m->vs), 0);
	for (int i = 0; i < 20000 && __atomic_load_n(&m->rec.nin, __ATOMIC_ACQUIRE) < n; i++)
		usleep(1000);
	vm_request_stop(&m->vm, VM_STOP_USER);
	vcpus_join(&m->vs);
	ck_assert_uint_eq(m->rec.nin, n);
	ck_assert_int_eq(atomic_load(&m->vm.stop_reason), VM_STOP_USER); /* not an error stop */
}

static uint8_t *load_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s missing (make guests)", path);
	static uint8_t buf[1 << 16];
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

static uint64_t kvmclock_now(struct vm *vm)
{
	struct kvm_clock_data c = { 0 };
	ck_assert_int_eq(ioctl(vm->fd, KVM_GET_CLOCK, &c), 0);
	return c.clock;
}

/* pvclock_vcpu_time_info.system_time: the guest-visible kvmclock base KVM last wrote */
static uint64_t pvclock_system_time(struct vm *vm)
{
	uint64_t v = 0;
	ck_assert_int_eq(gmem_read64(&vm->mem, PVCLOCK_GPA + 16, &v), 0);
	return v;
}

static void assert_same_state(const struct vcpu_state *a, const struct vcpu_state *b)
{
	ck_assert_uint_eq(a->have, b->have);
	ck_assert_int_eq(memcmp(&a->regs, &b->regs, sizeof(a->regs)), 0);
	ck_assert_int_eq(memcmp(&a->sregs, &b->sregs, sizeof(a->sregs)), 0);
	ck_assert_int_eq(memcmp(&a->sregs2, &b->sregs2, sizeof(a->sregs2)), 0);
	ck_assert_uint_eq(a->xsave_len, b->xsave_len);
	ck_assert_int_eq(memcmp(a->xsave_bytes, b->xsave_bytes, a->xsave_len), 0);
	ck_assert_int_eq(memcmp(&a->xcrs, &b->xcrs, sizeof(a->xcrs)), 0);
	ck_assert_int_eq(memcmp(&a->debugregs, &b->debugregs, sizeof(a->debugregs)), 0);
	ck_assert_int_eq(memcmp(&a->mp_state, &b->mp_state, sizeof(a->mp_state)), 0);
	ck_assert_int_eq(memcmp(&a->events, &b->events, sizeof(a->events)), 0);
	ck_assert_int_eq(memcmp(&a->lapic, &b->lapic, sizeof(a->lapic)), 0);
	ck_assert_uint_eq(a->tsc_deadline, b->tsc_deadline);
	ck_assert_uint_eq(a->tsc_khz, b->tsc_khz);
	ck_assert_uint_eq(a->ncpuid, b->ncpuid);
	ck_assert_int_eq(memcmp(a->cpuid, b->cpuid, a->ncpuid * sizeof(a->cpuid[0])), 0);
	ck_assert_uint_eq(a->nmsrs, b->nmsrs);
	for (uint32_t i = 0; i < a->nmsrs; i++) {
		ck_assert_uint_eq(a->msrs[i].index, b->msrs[i].index);
		if (a->msrs[i].index == MSR_IA32_TSC) /* it counts on: not behind is all one can ask */
			ck_assert_uint_ge(b->msrs[i].data, a->msrs[i].data);
		else
			ck_assert_msg(a->msrs[i].data == b->msrs[i].data, "MSR %#x: saved %#llx, read back %#llx",
				      a->msrs[i].index, (unsigned long long)a->msrs[i].data,
				      (unsigned long long)b->msrs[i].data);
	}
}

static void through_stream(const struct vcpu_state *st, const struct vm_state *vst, struct vcpu_state *st2,
			   struct vm_state *vst2)
{
	struct state_writer w;
	state_writer_init(&w);
	for (unsigned i = 0; i < NCPU; i++) {
		state_begin(&w, STATE_CPU_ID, i, STATE_CPU_VERSION);
		state_cpu_put(&w, &st[i]);
		state_end(&w);
	}
	state_begin(&w, STATE_VM_ID, 0, STATE_VM_VERSION);
	state_vm_put(&w, vst);
	state_end(&w);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	size_t len;
	const uint8_t *buf = state_writer_data(&w, &len);
	struct state_stream s;
	struct state_section sec;
	char why[160] = "";
	ck_assert_int_eq(state_open(&s, buf, len, why, sizeof(why)), 0);
	int ret;
	for (unsigned i = 0; i < NCPU; i++) {
		ck_assert_int_eq(state_next(&s, &sec), 1);
		ck_assert_str_eq(sec.id, STATE_CPU_ID);
		ck_assert_uint_eq(sec.instance, i);
		ret = state_cpu_get(&st2[i], &sec.r, sec.version, why, sizeof(why));
		ck_assert_msg(ret == 0, "cpu section: %s", why);
	}
	ck_assert_int_eq(state_next(&s, &sec), 1);
	ck_assert_str_eq(sec.id, STATE_VM_ID);
	ret = state_vm_get(vst2, &sec.r, sec.version, why, sizeof(why));
	ck_assert_msg(ret == 0, "vm section: %s", why);
	ck_assert_int_eq(state_next(&s, &sec), 0);
	state_writer_free(&w);
}

static void assert_same_vm_state(const struct vm_state *a, const struct vm_state *b)
{
	ck_assert_uint_eq(a->have, b->have);
	ck_assert_int_eq(memcmp(a->chip, b->chip, sizeof(a->chip)), 0);
	ck_assert_int_eq(memcmp(&a->pit, &b->pit, sizeof(a->pit)), 0);
	ck_assert_uint_eq(a->clock.clock, b->clock.clock);
	ck_assert_uint_eq(a->clock.flags, b->clock.flags);
	ck_assert_uint_eq(a->clock.realtime, b->clock.realtime);
	ck_assert_uint_eq(a->nroutes, b->nroutes);
	for (uint32_t i = 0; i < a->nroutes; i++) {
		ck_assert_uint_eq(a->routes[i].gsi, b->routes[i].gsi);
		ck_assert_uint_eq(a->routes[i].type, b->routes[i].type);
		ck_assert_uint_eq(a->routes[i].u.irqchip.irqchip, b->routes[i].u.irqchip.irqchip);
		ck_assert_uint_eq(a->routes[i].u.irqchip.pin, b->routes[i].u.irqchip.pin);
	}
}

/* Loads the counting guest into m's boot vCPU, with an XMM3 and debug registers the guest never
 * touches (so only a working save/restore carries them over); xs gets the XSAVE area set. */
static void boot_counter(struct machine *m, struct xs *xs)
{
	size_t len;
	const char *why = NULL;
	const uint8_t *elf = load_file(GUEST, &len);
	struct boot_image img = { .kernel = elf, .kernel_len = len };
	struct boot_entry e;
	ck_assert_int_eq(linux_load(&m->vm.mem, &img, &e, &why), 0);
	ck_assert_int_eq(vcpu_boot_setup(&m->vs.v[0], &e), 0);
	struct kvm_debugregs dr = { .db = { 0x1000, 0x2000 }, .dr6 = 0xffff0ff0, .dr7 = 0x400 };
	ck_assert_int_eq(ioctl(m->vs.v[0].fd, KVM_SET_DEBUGREGS, &dr), 0);
	/* through XSAVE with XSTATE_BV's SSE bit: KVM_SET_FPU leaves that bit alone, and the XMM
	 * registers it set read back as zero once the vCPU has run (measured) */
	ck_assert_int_eq(ioctl(m->vs.v[0].fd, KVM_GET_XSAVE, xs->b), 0);
	memset(xs->b + XMM3, 0xa5, 16);
	xs->b[XSTATE_BV] |= 3; /* x87 and SSE hold values */
	ck_assert_int_eq(ioctl(m->vs.v[0].fd, KVM_SET_XSAVE, xs->b), 0);
}

/* What both tests hold: the host, the source machine a, the target b, states saved and parsed. */
struct pair {
	struct kvm kvm;
	struct vcpu_host h;
	struct machine a, b;
	struct vcpu_state st[NCPU], st2[NCPU], back;
	struct vm_state vst, vst2;
	struct xs xs; /* the XSAVE area a's boot vCPU started with */
	char why[160];
};

/* Opens KVM, probes the host, boots the counting guest in a and runs it up to its n-th IN, then
 * saves every vCPU and the VM into p->st and p->vst. */
static struct pair *pair_run_and_save(uint32_t n)
{
	struct pair *p = calloc(1, sizeof(*p));
	const char *cwhy = NULL;
	ck_assert_int_eq(kvm_open(&p->kvm, "/dev/kvm", &cwhy), 0);
	ck_assert_int_eq(vcpu_host_probe(p->kvm.fd, &p->h, p->why, sizeof(p->why)), 0);
	machine_up(&p->a, &p->kvm);
	boot_counter(&p->a, &p->xs);
	run_for(&p->a, n);
	for (unsigned i = 0; i < NCPU; i++) {
		int ret = vcpu_state_save(p->a.vs.v[i].fd, p->a.vs.v[i].run, &p->h, &p->st[i], p->why, sizeof(p->why));
		ck_assert_msg(ret == 0, "save vCPU %u: %s", i, p->why);
	}
	ck_assert_int_eq(vm_state_save(&p->a.vm, &p->vst, p->why, sizeof(p->why)), 0);
	return p;
}

/* b gets a copy of a's RAM and the states, in the restore order: VM devices, every vCPU, the
 * clock last. */
static void pair_restore(struct pair *p, const struct vcpu_state *st, const struct vm_state *vst,
			 enum vm_clock_mode mode)
{
	machine_up(&p->b, &p->kvm);
	memcpy(p->b.vm.mem.r[0].hva, p->a.vm.mem.r[0].hva, p->a.vm.mem.r[0].size);
	ck_assert_int_eq(vm_state_restore(&p->b.vm, vst, p->why, sizeof(p->why)), 0);
	for (unsigned i = 0; i < NCPU; i++) {
		int ret = vcpu_state_restore(p->b.vs.v[i].fd, &p->h, &st[i], p->why, sizeof(p->why));
		ck_assert_msg(ret == 0, "restore vCPU %u: %s", i, p->why);
	}
	ck_assert_int_eq(vm_state_restore_clock(&p->b.vm, vst, mode, p->why, sizeof(p->why)), 0);
}

/* After b ran: it went on from a's last number with the value of the IN that stopped a, with the
 * XMM register a started with. */
static void pair_check_continued(struct pair *p)
{
	ck_assert_uint_eq(p->b.rec.count.first, p->a.rec.count.last + STOP_STEP);
	ck_assert_uint_eq(p->b.rec.count.last, p->b.rec.count.first + p->b.rec.count.n - 1);
	struct xs xb;
	ck_assert_int_eq(ioctl(p->b.vs.v[0].fd, KVM_GET_XSAVE, xb.b), 0);
	ck_assert_int_eq(memcmp(xb.b + XMM3, p->xs.b + XMM3, 16), 0);
}

static void pair_down(struct pair *p)
{
	machine_down(&p->a);
	machine_down(&p->b);
	kvm_close(&p->kvm);
	free(p);
}

START_TEST(guest_continues_after_restore)
{
	struct pair *p = pair_run_and_save(2000);
	struct vcpu_state *st = p->st;
	ck_assert_uint_eq(p->a.rec.count.first, 1);
	ck_assert_uint_eq(p->a.rec.count.n, 1999); /* the 2000th IN stopped it before its OUT */
	ck_assert_uint_eq(p->a.rec.count.last, 1999);
	uint64_t clock_a = kvmclock_now(&p->a.vm), pv_a = pvclock_system_time(&p->a.vm);
	ck_assert_uint_eq(st[0].regs.r12, 1999);
	ck_assert_uint_eq(st[0].regs.rax & 0xffffffff, STOP_STEP); /* the pending IN was completed */
	ck_assert_uint_eq(st[0].mp_state.mp_state, KVM_MP_STATE_RUNNABLE);
	ck_assert_uint_eq(st[1].mp_state.mp_state, KVM_MP_STATE_UNINITIALIZED); /* the AP never started */
	ck_assert_uint_eq(p->vst.clock.flags & KVM_CLOCK_TSC_STABLE, KVM_CLOCK_TSC_STABLE);

	/* through the stream and back */
	through_stream(st, &p->vst, p->st2, &p->vst2);
	for (unsigned i = 0; i < NCPU; i++)
		ck_assert_int_eq(memcmp(&st[i], &p->st2[i], sizeof(st[i])), 0);
	assert_same_vm_state(&p->vst, &p->vst2);

	pair_restore(p, p->st2, &p->vst2, VM_CLOCK_ADVANCE);
	ck_assert_uint_ge(kvmclock_now(&p->b.vm), clock_a);
	for (unsigned i = 0; i < NCPU; i++) {
		struct vcpu *v = &p->b.vs.v[i];
		ck_assert_int_eq(vcpu_state_save(v->fd, v->run, &p->h, &p->back, p->why, sizeof(p->why)), 0);
		assert_same_state(&st[i], &p->back);
	}

	run_for(&p->b, 2000);
	ck_assert_uint_eq(p->b.rec.count.n, 2000); /* it resumed at the OUT after the 2000th IN */
	pair_check_continued(p);
	ck_assert_uint_ge(p->b.rec.tsc.first, p->a.rec.tsc.last);
	ck_assert_uint_ge(kvmclock_now(&p->b.vm), clock_a);
	ck_assert_uint_ge(pvclock_system_time(&p->b.vm), pv_a);
	pair_down(p);
}
END_TEST

/* A state from a host without XSAVE carries the legacy FPU only: restored on an XSAVE host, its
 * XMM registers must survive the guest's running (KVM_SET_FPU alone would lose them). */
START_TEST(fpu_only_state_keeps_xmm)
{
	struct pair *p = pair_run_and_save(100);
	for (unsigned i = 0; i < NCPU; i++) {
		struct vcpu_state *st = &p->st[i];
		ck_assert_int_eq(ioctl(p->a.vs.v[i].fd, KVM_GET_FPU, &st->fpu), 0);
		st->have = (st->have & ~VCPU_ST_BIT(VCPU_ST_XSAVE)) | VCPU_ST_BIT(VCPU_ST_FPU);
	}
	pair_restore(p, p->st, &p->vst, VM_CLOCK_CONTINUE);
	struct kvm_fpu fb;
	ck_assert_int_eq(ioctl(p->b.vs.v[0].fd, KVM_GET_FPU, &fb), 0);
	ck_assert_int_eq(memcmp(fb.xmm, p->st[0].fpu.xmm, sizeof(fb.xmm)), 0);
	ck_assert_uint_eq(fb.fcw, p->st[0].fpu.fcw);
	ck_assert_uint_eq(fb.mxcsr, p->st[0].fpu.mxcsr);
	run_for(&p->b, 100);
	pair_check_continued(p);
	pair_down(p);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("cpu_state");
	TCase *tc = tcase_create("kvm");
	tcase_set_timeout(tc, 90);
	struct kvm kvm;
	const char *why = NULL;
	if (kvm_open(&kvm, "/dev/kvm", &why) < 0) {
		dprintf(1, "skip - cpu_state: /dev/kvm: %s\n", why ? why : "cannot open");
	} else {
		kvm_close(&kvm);
		tcase_add_test(tc, guest_continues_after_restore);
		tcase_add_test(tc, fpu_only_state_keeps_xmm);
	}
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
