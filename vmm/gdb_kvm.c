// SPDX-License-Identifier: GPL-2.0-or-later
/* The GDB stub's KVM target: see gdb_kvm.h. */
#include "gdb_kvm.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guest_vaddr.h"

#define MSR_KERNEL_GS_BASE 0xc0000102

/* runs on the vCPU's thread: note the first stop, park everyone, wake the stub */
static void on_debug(void *opaque, struct vcpu *v)
{
	struct gdb_kvm *k = opaque;
	/* the pause inside ev_lock: a resume (which clears ev_pending under it) comes wholly
	 * before this stop or after it, never between the note and the pause */
	pthread_mutex_lock(&k->ev_lock);
	if (!k->ev_pending) {
		k->ev_pending = 1;
		k->ev_cpu = v->idx;
		k->ev_dr6 = v->run->debug.arch.dr6;
	}
	vcpus_pause_async(v->vcpus);
	pthread_mutex_unlock(&k->ev_lock);
	uint64_t one = 1;
	if (write(k->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow at one write per stop; nothing else can fail */
	}
}

int gdb_kvm_init(struct gdb_kvm *k)
{
	memset(k, 0, sizeof(*k));
	k->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (k->efd < 0)
		return -errno;
	pthread_mutex_init(&k->lock, NULL);
	pthread_mutex_init(&k->ev_lock, NULL);
	return 0;
}

void gdb_kvm_fini(struct gdb_kvm *k)
{
	if (k->efd >= 0)
		close(k->efd);
	k->efd = -1;
	pthread_mutex_destroy(&k->lock);
	pthread_mutex_destroy(&k->ev_lock);
}

/* debug registers and the step flag onto every vCPU; with k->lock held */
static int apply(struct gdb_kvm *k, const struct gdb_hwdebug *d, int step)
{
	for (unsigned i = 0; i < k->vs->n; i++) {
		struct kvm_guest_debug g = { 0 };
		if (d->dr7 || step == (int)i)
			g.control = KVM_GUESTDBG_ENABLE | (d->dr7 ? KVM_GUESTDBG_USE_HW_BP : 0) |
				    (step == (int)i ? KVM_GUESTDBG_SINGLESTEP : 0);
		for (unsigned r = 0; r < GDB_NSLOTS; r++)
			g.arch.debugreg[r] = d->dr[r];
		g.arch.debugreg[7] = d->dr7;
		if (ioctl(k->vs->v[i].fd, KVM_SET_GUEST_DEBUG, &g) < 0)
			return -errno;
	}
	return 0;
}

int gdb_kvm_attach(struct gdb_kvm *k, struct vcpus *vs, struct vm *vm)
{
	pthread_mutex_lock(&k->lock);
	k->vs = vs;
	k->vm = vm;
	vs->on_debug = on_debug;
	vs->debug_opaque = k;
	int ret = apply(k, &k->hw, -1);
	pthread_mutex_unlock(&k->lock);
	return ret;
}

void gdb_kvm_detach(struct gdb_kvm *k)
{
	pthread_mutex_lock(&k->lock);
	k->vs = NULL;
	k->vm = NULL;
	pthread_mutex_unlock(&k->lock);
}

int gdb_kvm_is_pvm(struct gdb_kvm *k)
{
	pthread_mutex_lock(&k->lock);
	int pvm = k->vm && k->vm->kvm->is_pvm;
	pthread_mutex_unlock(&k->lock);
	return pvm;
}

int gdb_kvm_take_stop(struct gdb_kvm *k, unsigned *cpu, uint64_t *dr6)
{
	uint64_t n;
	if (read(k->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&k->ev_lock);
	int got = k->ev_pending;
	*cpu = k->ev_cpu;
	*dr6 = k->ev_dr6;
	pthread_mutex_unlock(&k->ev_lock);
	if (got) {
		pthread_mutex_lock(&k->lock);
		if (k->vs)
			vcpus_pause(k->vs);
		pthread_mutex_unlock(&k->lock);
	}
	return got;
}

/* the vCPU fd of cpu with k->lock held, or -1 */
static int cpu_fd(struct gdb_kvm *k, unsigned cpu)
{
	return k->vs && cpu < k->vs->n ? k->vs->v[cpu].fd : -1;
}

static unsigned kvm_ncpus(void *t)
{
	struct gdb_kvm *k = t;
	pthread_mutex_lock(&k->lock);
	unsigned n = k->vs ? k->vs->n : 1; /* between two incarnations: one thread that fails */
	pthread_mutex_unlock(&k->lock);
	return n;
}

/* everything gdb sees of one vCPU, as KVM has it */
struct kstate {
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
	uint64_t kgs;
};

/* reads (set 0) or writes KERNEL_GS_BASE */
static int kgs_msr(int fd, int set, uint64_t *v)
{
	union {
		struct kvm_msrs h;
		uint8_t b[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m;
	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.h.entries[0].index = MSR_KERNEL_GS_BASE;
	m.h.entries[0].data = *v;
	if (ioctl(fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, &m) != 1)
		return -EIO;
	*v = m.h.entries[0].data;
	return 0;
}

static int kstate_get(int fd, struct kstate *ks)
{
	if (ioctl(fd, KVM_GET_REGS, &ks->r) < 0 || ioctl(fd, KVM_GET_SREGS, &ks->s) < 0 ||
	    ioctl(fd, KVM_GET_FPU, &ks->f) < 0)
		return -errno;
	ks->kgs = 0;
	if (kgs_msr(fd, 0, &ks->kgs))
		ks->kgs = 0; /* shown as 0 where KVM does not have it */
	return 0;
}

static void to_gdb(const struct kstate *ks, struct gdb_regs *g)
{
	const struct kvm_regs *r = &ks->r;
	const uint64_t gpr[16] = { r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp,
				   r->r8,  r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15 };
	memset(g, 0, sizeof(*g));
	memcpy(g->gpr, gpr, sizeof(gpr));
	g->rip = r->rip;
	g->eflags = (uint32_t)r->rflags;
	const struct kvm_segment *seg[6] = { &ks->s.cs, &ks->s.ss, &ks->s.ds, &ks->s.es, &ks->s.fs, &ks->s.gs };
	for (unsigned i = 0; i < 6; i++)
		g->seg[i] = seg[i]->selector;
	for (unsigned i = 0; i < 8; i++)
		memcpy(g->st[i], ks->f.fpr[i], 10);
	unsigned ftag = 0; /* KVM's abridged tag (1: valid) to the full one (11: empty, 00: valid) */
	for (unsigned i = 0; i < 8; i++)
		ftag |= (ks->f.ftwx & (1u << i) ? 0u : 3u) << (2 * i);
	const uint32_t fpu[8] = { ks->f.fcw, ks->f.fsw, ftag, 0, (uint32_t)ks->f.last_ip, 0,
				  (uint32_t)ks->f.last_dp, ks->f.last_opcode };
	memcpy(g->fpu, fpu, sizeof(fpu));
	memcpy(g->xmm, ks->f.xmm, sizeof(g->xmm));
	g->mxcsr = ks->f.mxcsr;
	g->fs_base = ks->s.fs.base;
	g->gs_base = ks->s.gs.base;
	g->k_gs_base = ks->kgs;
	const uint64_t cr[5] = { ks->s.cr0, ks->s.cr2, ks->s.cr3, ks->s.cr4, ks->s.cr8 };
	memcpy(g->cr, cr, sizeof(cr));
	g->efer = ks->s.efer;
}

static int kvm_get_regs(void *t, unsigned cpu, struct gdb_regs *g)
{
	struct gdb_kvm *k = t;
	struct kstate ks;
	pthread_mutex_lock(&k->lock);
	int fd = cpu_fd(k, cpu), ret = fd < 0 ? -ESRCH : kstate_get(fd, &ks);
	pthread_mutex_unlock(&k->lock);
	if (!ret)
		to_gdb(&ks, g);
	return ret;
}

/* Writes what changed. A segment selector alone cannot be loaded (its descriptor would stay), so
 * a changed selector is refused. */
static int kstate_set(int fd, const struct kstate *old, const struct gdb_regs *g)
{
	struct kstate ks = *old;
	struct gdb_regs cur;
	to_gdb(old, &cur);
	if (memcmp(cur.seg, g->seg, sizeof(g->seg)))
		return -EINVAL;
	__u64 *gpr[16] = { &ks.r.rax, &ks.r.rbx, &ks.r.rcx, &ks.r.rdx, &ks.r.rsi, &ks.r.rdi, &ks.r.rbp, &ks.r.rsp,
			      &ks.r.r8,  &ks.r.r9,  &ks.r.r10, &ks.r.r11, &ks.r.r12, &ks.r.r13, &ks.r.r14, &ks.r.r15 };
	for (unsigned i = 0; i < 16; i++)
		*gpr[i] = g->gpr[i];
	ks.r.rip = g->rip;
	ks.r.rflags = (ks.r.rflags & ~0xffffffffULL) | g->eflags;
	if (memcmp(&ks.r, &old->r, sizeof(ks.r)) && ioctl(fd, KVM_SET_REGS, &ks.r) < 0)
		return -errno;
	if (memcmp(cur.cr, g->cr, sizeof(g->cr)) || cur.efer != g->efer || cur.fs_base != g->fs_base ||
	    cur.gs_base != g->gs_base) {
		ks.s.cr0 = g->cr[GDB_CR0];
		ks.s.cr2 = g->cr[GDB_CR2];
		ks.s.cr3 = g->cr[GDB_CR3];
		ks.s.cr4 = g->cr[GDB_CR4];
		ks.s.cr8 = g->cr[GDB_CR8];
		ks.s.efer = g->efer;
		ks.s.fs.base = g->fs_base;
		ks.s.gs.base = g->gs_base;
		if (ioctl(fd, KVM_SET_SREGS, &ks.s) < 0)
			return -errno;
	}
	if (memcmp(cur.st, g->st, sizeof(g->st)) || memcmp(cur.fpu, g->fpu, sizeof(g->fpu)) ||
	    memcmp(cur.xmm, g->xmm, sizeof(g->xmm)) || cur.mxcsr != g->mxcsr) {
		for (unsigned i = 0; i < 8; i++)
			memcpy(ks.f.fpr[i], g->st[i], 10);
		ks.f.fcw = (uint16_t)g->fpu[0];
		ks.f.fsw = (uint16_t)g->fpu[1];
		ks.f.ftwx = 0;
		for (unsigned i = 0; i < 8; i++)
			ks.f.ftwx |= (uint8_t)(((g->fpu[2] >> (2 * i)) & 3) != 3 ? 1u << i : 0);
		ks.f.last_opcode = (uint16_t)g->fpu[7];
		memcpy(ks.f.xmm, g->xmm, sizeof(ks.f.xmm));
		ks.f.mxcsr = g->mxcsr;
		if (ioctl(fd, KVM_SET_FPU, &ks.f) < 0)
			return -errno;
	}
	uint64_t kgs = g->k_gs_base;
	return cur.k_gs_base != kgs ? kgs_msr(fd, 1, &kgs) : 0;
}

static int kvm_set_regs(void *t, unsigned cpu, const struct gdb_regs *g)
{
	struct gdb_kvm *k = t;
	struct kstate ks;
	pthread_mutex_lock(&k->lock);
	int fd = cpu_fd(k, cpu), ret = fd < 0 ? -ESRCH : kstate_get(fd, &ks);
	if (!ret)
		ret = kstate_set(fd, &ks, g);
	pthread_mutex_unlock(&k->lock);
	return ret;
}

/* the paging mode of cpu, with k->lock held */
static int cpu_mode(struct gdb_kvm *k, unsigned cpu, struct gva_mode *md)
{
	struct kvm_sregs s;
	int fd = cpu_fd(k, cpu);
	if (fd < 0 || !k->vm)
		return -ESRCH;
	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	*md = (struct gva_mode){ s.cr0, s.cr3, s.cr4, s.efer };
	return 0;
}

static long kvm_read_mem(void *t, unsigned cpu, uint64_t va, void *buf, size_t len)
{
	struct gdb_kvm *k = t;
	struct gva_mode md;
	pthread_mutex_lock(&k->lock);
	long ret = cpu_mode(k, cpu, &md);
	if (!ret)
		ret = gva_read(&k->vm->mem, &md, va, buf, len);
	pthread_mutex_unlock(&k->lock);
	return ret;
}

static int kvm_write_mem(void *t, unsigned cpu, uint64_t va, const void *buf, size_t len)
{
	struct gdb_kvm *k = t;
	struct gva_mode md;
	pthread_mutex_lock(&k->lock);
	int ret = cpu_mode(k, cpu, &md);
	if (!ret)
		ret = gva_write(&k->vm->mem, &md, va, buf, len);
	pthread_mutex_unlock(&k->lock);
	return ret;
}

static int kvm_resume(void *t, const struct gdb_hwdebug *d, int step)
{
	struct gdb_kvm *k = t;
	pthread_mutex_lock(&k->lock);
	int ret = k->vs ? apply(k, d, step) : -ESRCH;
	if (!ret) {
		k->hw = *d;
		pthread_mutex_lock(&k->ev_lock);
		k->ev_pending = 0; /* stops before this resume are old news */
		vcpus_resume_only(k->vs, step);
		pthread_mutex_unlock(&k->ev_lock);
	}
	pthread_mutex_unlock(&k->lock);
	return ret;
}

static void kvm_interrupt(void *t)
{
	struct gdb_kvm *k = t;
	pthread_mutex_lock(&k->lock);
	if (k->vs)
		vcpus_pause(k->vs);
	pthread_mutex_unlock(&k->lock);
}

static void kvm_detach(void *t)
{
	static const struct gdb_hwdebug none;
	/* KVM_SET_GUEST_DEBUG waits for a vCPU inside KVM_RUN (a halted one: until its next
	 * interrupt), so the vCPUs are stopped first, as for every other resume */
	kvm_interrupt(t);
	kvm_resume(t, &none, -1);
}

static void kvm_kill(void *t)
{
	struct gdb_kvm *k = t;
	pthread_mutex_lock(&k->lock);
	if (k->vm)
		vm_request_stop(k->vm, VM_STOP_USER);
	pthread_mutex_unlock(&k->lock);
}

const struct gdb_target_ops gdb_kvm_ops = {
	.ncpus = kvm_ncpus,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.read_mem = kvm_read_mem,
	.write_mem = kvm_write_mem,
	.resume = kvm_resume,
	.interrupt = kvm_interrupt,
	.detach = kvm_detach,
	.kill = kvm_kill,
};
