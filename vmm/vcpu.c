// SPDX-License-Identifier: GPL-2.0-or-later
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpuid.h"
#include "log.h"

/* SIGUSR1 only interrupts KVM_RUN; the handler has nothing to do. */
#define VCPU_KICK_SIGNAL SIGUSR1

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

/* Makes every vCPU leave KVM_RUN: immediate_exit covers a thread about to enter, the signal one
 * inside. Called with vs->lock held. */
static void kick_all(struct vcpus *vs)
{
	for (unsigned i = 0; i < vs->n; i++) {
		struct vcpu *v = &vs->v[i];
		if (v->run) /* NULL when creation failed at its mmap */
			__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (v->started && !pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
}

/* Runs on whichever thread stopped the VM, possibly while the main thread still starts vCPUs or
 * already joins them: the lock keeps it from signalling a thread not yet created or already joined. */
static void vcpus_kick(void *opaque)
{
	struct vcpus *vs = opaque;
	pthread_mutex_lock(&vs->lock);
	kick_all(vs);
	pthread_cond_broadcast(&vs->cond); /* parked threads and a waiting pause see the stop */
	pthread_mutex_unlock(&vs->lock);
}

static int stopping(struct vm *vm)
{
	return atomic_load(&vm->stop_reason) != VM_STOP_NONE;
}

/* The vCPU side of a pause: wait outside KVM_RUN until resumed or stopped. */
static void vcpu_park(struct vcpu *v)
{
	struct vcpus *vs = v->vcpus;
	pthread_mutex_lock(&vs->lock);
	vs->nparked++;
	pthread_cond_broadcast(&vs->cond);
	while ((vs->pause_req || v->hold) && !stopping(v->vm))
		pthread_cond_wait(&vs->cond, &vs->lock);
	vs->nparked--;
	pthread_mutex_unlock(&vs->lock);
	/* The pause's kick set it. A stop or pause after this point is seen by the checks that follow
	 * (both set their flag before the kick sets immediate_exit again), so no kick is lost. */
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

void vcpus_pause(struct vcpus *vs)
{
	pthread_mutex_lock(&vs->lock);
	if (!vs->pause_req) {
		__atomic_store_n(&vs->pause_req, 1, __ATOMIC_SEQ_CST); /* vCPU threads read it unlocked */
		kick_all(vs);
	}
	while (vs->nparked < vs->nactive && !stopping(vs->vm))
		pthread_cond_wait(&vs->cond, &vs->lock);
	pthread_mutex_unlock(&vs->lock);
}

void vcpus_pause_async(struct vcpus *vs)
{
	pthread_mutex_lock(&vs->lock);
	if (!vs->pause_req) {
		__atomic_store_n(&vs->pause_req, 1, __ATOMIC_SEQ_CST);
		kick_all(vs);
	}
	pthread_mutex_unlock(&vs->lock);
}

void vcpus_resume(struct vcpus *vs)
{
	vcpus_resume_only(vs, -1);
}

void vcpus_resume_only(struct vcpus *vs, int only)
{
	pthread_mutex_lock(&vs->lock);
	for (unsigned i = 0; i < vs->n; i++)
		__atomic_store_n(&vs->v[i].hold, only >= 0 && i != (unsigned)only, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vs->pause_req, 0, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&vs->cond);
	pthread_mutex_unlock(&vs->lock);
}

int vcpus_paused(struct vcpus *vs)
{
	pthread_mutex_lock(&vs->lock);
	int p = vs->pause_req;
	pthread_mutex_unlock(&vs->lock);
	return p;
}

static void vcpu_dump(struct vcpu *v, const char *what)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		kv_log("vcpu%u: %s", v->idx, what);
		return;
	}
	kv_log("vcpu%u: %s at rip %#llx (cs %#x cr0 %#llx cr3 %#llx efer %#llx rsp %#llx)", v->idx, what,
	       (unsigned long long)r.rip, s.cs.selector, (unsigned long long)s.cr0, (unsigned long long)s.cr3,
	       (unsigned long long)s.efer, (unsigned long long)r.rsp);
}

static void vcpu_internal_error(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[160];
	int n = snprintf(what, sizeof(what), "KVM internal error, suberror %u%s", run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (instruction emulation failed)" : "");
	for (unsigned i = 0; i < run->internal.ndata && i < 4 && n < (int)sizeof(what) - 20; i++)
		n += snprintf(what + n, sizeof(what) - (size_t)n, " %#llx", (unsigned long long)run->internal.data[i]);
	vcpu_dump(v, what);
}

/* The range id goes into the exit's profile record (e; NULL when the profiler is off). */
static void vcpu_io(struct vcpu *v, struct prof_exit *e)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	int is_write = run->io.direction == KVM_EXIT_IO_OUT;
	int id = 0;
	if (e && is_write && run->io.port == PROF_MARK_PORT) {
		uint32_t mark = 0;
		memcpy(&mark, data, run->io.size < 4 ? run->io.size : 4);
		e->mark = mark;
	}
	/* rep ins/outs arrive as count elements of size bytes each: one batch for the device */
	id = bus_access_rep(&v->vm->pio, run->io.port, data, run->io.size, run->io.count, is_write);
	if (id < 0) {
		id = STATS_UNCLAIMED;
		v->stats.unclaimed_pio_last = run->io.port;
	}
	v->stats.pio[id].count++;
	if (e) {
		e->bus = 1;
		e->dev = id;
		e->addr = run->io.port;
		e->size = run->io.size;
		e->count = run->io.count;
		e->write = is_write;
	}
}

static void vcpu_mmio(struct vcpu *v, struct prof_exit *e)
{
	struct kvm_run *run = v->run;
	int id = -1;
	if (run->mmio.len <= 8)
		id = bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len, run->mmio.is_write);
	if (id < 0) {
		id = STATS_UNCLAIMED;
		v->stats.unclaimed_mmio_last = run->mmio.phys_addr;
	}
	v->stats.mmio[id].count++;
	if (e) {
		e->bus = 2;
		e->dev = id;
		e->addr = run->mmio.phys_addr;
		e->size = run->mmio.len;
		e->count = 1;
		e->write = run->mmio.is_write;
	}
}

static void vcpu_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_stop(v->vm, VM_STOP_POWEROFF);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_stop(v->vm, VM_STOP_RESET);
		break;
	default:
		kv_log("vcpu%u: guest reported a crash (system event %u)", v->idx, v->run->system_event.type);
		vm_request_stop(v->vm, VM_STOP_ERROR);
	}
}

/* One exit, already returned from KVM_RUN; e is its profile record or NULL. */
static void vcpu_exit(struct vcpu *v, struct prof_exit *e)
{
	struct kvm_run *run = v->run;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_io(v, e);
		break;
	case KVM_EXIT_MMIO:
		vcpu_mmio(v, e);
		break;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT: /* the in-kernel LAPIC handles HLT; seen only without one */
		break;
	case KVM_EXIT_DEBUG: /* only asked for by the GDB stub */
		if (v->vcpus->on_debug) {
			v->vcpus->on_debug(v->vcpus->debug_opaque, v);
		} else {
			vcpu_dump(v, "debug exit without a debugger");
			vm_request_stop(v->vm, VM_STOP_ERROR);
		}
		break;
	case KVM_EXIT_SHUTDOWN: /* triple fault: a PC resets */
		vm_request_stop(v->vm, VM_STOP_RESET);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_system_event(v);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_internal_error(v);
		vm_request_stop(v->vm, VM_STOP_ERROR);
		break;
	case KVM_EXIT_FAIL_ENTRY: {
		char what[80];
		snprintf(what, sizeof(what), "VM entry failed (hardware reason %#llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vcpu_dump(v, what);
		vm_request_stop(v->vm, VM_STOP_ERROR);
		break;
	}
	default: {
		char what[64];
		snprintf(what, sizeof(what), "unhandled exit reason %u", run->exit_reason);
		vcpu_dump(v, what);
		vm_request_stop(v->vm, VM_STOP_ERROR);
	}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	__atomic_store_n(&v->tid, (int)gettid(), __ATOMIC_RELAXED);
	if (v->pv && !v->pv->first_tsc)
		__atomic_store_n(&v->pv->first_tsc, prof_now(), __ATOMIC_RELAXED);
	uint64_t last_done = 0;
	while (!stopping(v->vm)) {
		if (__atomic_load_n(&v->vcpus->pause_req, __ATOMIC_SEQ_CST) || __atomic_load_n(&v->hold, __ATOMIC_SEQ_CST)) {
			vcpu_park(v);
			continue;
		}
		/* the previous exit's end is this entry's start (one TSC read less per exit, ~25 ns on
		 * a nested host); a pause or EINTR in between takes a fresh one */
		uint64_t t_enter = v->prof ? (last_done ? last_done : prof_now()) : 0;
		last_done = 0;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* A kick whose pause was already withdrawn (a resume before this thread
				 * parked) leaves immediate_exit set: clear it, or KVM_RUN returns EINTR
				 * forever. A pause or stop set after this is seen at the loop's top. */
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			kv_err(-errno, "vcpu%u: KVM_RUN", v->idx);
			vm_request_stop(v->vm, VM_STOP_ERROR);
			break;
		}
		unsigned reason = v->run->exit_reason;
		if (!v->prof) {
			vcpu_exit(v, NULL);
		} else {
			struct prof_exit e = { .t_enter = t_enter, .t_exit = prof_now(), .reason = reason };
			vcpu_exit(v, &e);
			e.t_done = last_done = prof_now();
			prof_exit(v->prof, v->pv, &e);
		}
		if (reason < STATS_REASONS)
			v->stats.reason[reason].count++;
	}
	pthread_mutex_lock(&v->vcpus->lock);
	v->vcpus->nactive--;
	pthread_cond_broadcast(&v->vcpus->cond);
	pthread_mutex_unlock(&v->vcpus->lock);
	return NULL;
}

/* x87 and SSE control words as after a reset, so the guest's first FP use does not fault */
static int vcpu_init_fpu(struct vcpu *v)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	return ioctl(v->fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

int vcpus_create(struct vcpus *vs, struct vm *vm, unsigned n, const struct cpuid_cfg *cfg, struct prof *prof,
		 const char **why)
{
	vs->v = calloc(n, sizeof(*vs->v));
	vs->n = 0;
	vs->vm = vm;
	if (!vs->v) {
		*why = "out of memory";
		return -ENOMEM;
	}
	vs->pause_req = 0;
	vs->on_debug = NULL;
	vs->debug_opaque = NULL;
	vs->nactive = vs->nparked = 0;
	pthread_mutex_init(&vs->lock, NULL);
	pthread_cond_init(&vs->cond, NULL);
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
	struct kvm_cpuid2 *sup = NULL;
	int ret = cpuid_get_supported(vm->kvm->fd, &sup);
	if (ret) {
		*why = "KVM_GET_SUPPORTED_CPUID failed";
		return ret;
	}
	for (unsigned i = 0; i < n; i++) {
		struct vcpu *v = &vs->v[i];
		v->vm = vm;
		v->vcpus = vs;
		v->idx = i;
		v->prof = prof;
		v->pv = prof && i < prof->n ? &prof->v[i] : NULL;
		if (!v->pv)
			v->prof = NULL;
		v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (v->fd < 0) {
			ret = -errno;
			*why = "KVM_CREATE_VCPU failed";
			break;
		}
		vs->n++;
		v->run = mmap(NULL, (size_t)vm->kvm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			ret = -errno;
			*why = "cannot map the vCPU run area";
			break;
		}
		ret = cpuid_set_vcpu(v->fd, sup, cfg, i);
		if (ret) {
			*why = "KVM_SET_CPUID2 failed";
			break;
		}
		ret = vcpu_init_fpu(v);
		if (ret) {
			*why = "KVM_SET_FPU failed";
			break;
		}
	}
	free(sup);
	vm->on_stop = vcpus_kick;
	vm->on_stop_opaque = vs;
	return ret;
}

static void seg64(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.s = 1,
		.l = (uint8_t)(code ? 1 : 0),
		.db = (uint8_t)(code ? 0 : 1),
		.g = 1,
	};
}

int vcpu_boot_setup(struct vcpu *v, const struct boot_entry *e)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	int prot32 = e->mode == BOOT_MODE_PROT32; /* multiboot: 32-bit protected mode, paging off */
	seg64(&s.cs, prot32 ? BOOT32_CS : 0x10, 0xb, 1);
	seg64(&s.ds, prot32 ? BOOT32_DS : 0x18, 0x3, 0);
	if (prot32) { /* a 32-bit code segment */
		s.cs.l = 0;
		s.cs.db = 1;
	}
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.tr = (struct kvm_segment){ .limit = 0xffff, .type = 0xb, .present = 1 };
	s.ldt = (struct kvm_segment){ .limit = 0xffff, .type = 0x2, .present = 1 };
	s.gdt.base = e->gdt_base;
	s.gdt.limit = e->gdt_limit;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = prot32 ? 0x11 : 0x80050033ULL; /* ET | PE; 64-bit: PG | AM | WP | NE | ET | MP | PE */
	s.cr3 = prot32 ? 0 : e->cr3;
	s.cr4 = prot32 ? 0 : 0x20; /* PAE */
	s.efer = prot32 ? 0 : 0x500; /* LME | LMA */
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	struct kvm_regs r = {
		.rip = e->rip,
		.rax = e->rax, /* multiboot's magic and information */
		.rbx = e->rbx,
		.rsi = e->rsi,
		.rsp = e->rsp,
		.rbp = prot32 ? 0 : e->rsp,
		.rflags = 2,
	};
	return ioctl(v->fd, KVM_SET_REGS, &r) < 0 ? -errno : 0;
}

int vcpus_start(struct vcpus *vs)
{
	/* vCPU threads inherit a mask with the kick signal blocked and unblock it themselves, so a
	 * kick sent before a thread is ready is held, not lost */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	int ret = 0;
	for (unsigned i = 0; i < vs->n; i++) {
		struct vcpu *v = &vs->v[i];
		pthread_mutex_lock(&vs->lock);
		ret = -pthread_create(&v->thread, NULL, vcpu_thread, v);
		v->started = !ret;
		vs->nactive += v->started;
		pthread_mutex_unlock(&vs->lock);
		if (ret)
			break;
		char name[16];
		snprintf(name, sizeof(name), "vcpu%u", i);
		pthread_setname_np(v->thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

void vcpus_join(struct vcpus *vs)
{
	if (!vs->v)
		return;
	for (unsigned i = 0; i < vs->n; i++) {
		struct vcpu *v = &vs->v[i];
		pthread_mutex_lock(&vs->lock);
		int started = v->started;
		pthread_t t = v->thread;
		v->started = 0; /* from here on the kick leaves it alone */
		pthread_mutex_unlock(&vs->lock);
		if (started)
			pthread_join(t, NULL);
	}
}

void vcpus_destroy(struct vcpus *vs)
{
	if (!vs->v)
		return;
	vcpus_join(vs);
	if (vs->vm->on_stop_opaque == vs)
		vs->vm->on_stop = NULL;
	for (unsigned i = 0; i < vs->n; i++) {
		struct vcpu *v = &vs->v[i];
		if (getenv("KVMINI_DUMP"))
			vcpu_dump(v, "stopped");
		if (v->run)
			munmap(v->run, (size_t)v->vm->kvm->vcpu_mmap_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	pthread_mutex_destroy(&vs->lock);
	pthread_cond_destroy(&vs->cond);
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
}
