// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the "cpu" and "vm" state sections' parsers (vmm/state_kvm.c) and the host-fit checks
 * after them (vmm/vcpu_state_check.c, vm_state_fits), none of which needs KVM. The input is a
 * selector byte (bit 0: 0 cpu, 1 vm) and then the section payload. A payload that parses must
 * encode back to a payload that parses to the same state; else the harness aborts. */
#include "fuzz.h"

#include "vmm/state_kvm.h"

static struct vcpu_host host;
static struct vcpu_target target;
static struct vcpu_state st, st2;
static struct vm_state vst, vst2;

static void host_init(void)
{
	host.xsave = host.xsave2 = host.xcrs = host.sregs2 = host.get_tsc_khz = 1;
	host.vcpu_events = host.debugregs = host.mp_state = host.tsc_deadline = 1;
	host.xsave_size = 8192;
	const uint32_t msrs[] = { MSR_IA32_TSC, 0x174, 0x175, 0x176, MSR_IA32_TSC_DEADLINE, 0xc0000081, 0xc0000082 };
	host.nmsrs = sizeof(msrs) / sizeof(msrs[0]);
	memcpy(host.msrs, msrs, sizeof(msrs));
	host.ncpuid = 2;
	host.cpuid[0] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 0x80202001, .edx = 0x0789fbff };
	host.cpuid[1] = (struct kvm_cpuid_entry2){ .function = 0xd, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 7 };
	target.tsc_khz = 2000000;
}

static const uint8_t *reencode(struct state_writer *w, void (*put)(struct state_writer *, const void *),
			       const void *obj, size_t *len)
{
	state_writer_init(w);
	state_begin(w, "x", 0, 1);
	put(w, obj);
	state_end(w);
	if (state_writer_finish(w))
		fz_die("re-encoding failed");
	const uint8_t *b = state_writer_data(w, len);
	size_t off = STATE_HEADER_SIZE + 1 + 1 + 4 + 4 + 8; /* header, id "x", instance, version, length */
	*len -= off + 1 + 4; /* end marker, CRC */
	return b + off;
}

static void put_cpu(struct state_writer *w, const void *o) { state_cpu_put(w, o); }
static void put_vm(struct state_writer *w, const void *o) { state_vm_put(w, o); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!host.nmsrs)
		host_init();
	if (size < 1)
		return 0;
	int vm = data[0] & 1;
	struct state_reader r;
	state_reader_init(&r, data + 1, size - 1);
	char why[200];
	struct state_writer w;
	size_t len;
	if (!vm) {
		if (state_cpu_get(&st, &r, STATE_CPU_VERSION, why, sizeof(why)))
			return 0;
		vcpu_state_fits(&host, &target, &st, why, sizeof(why));
		vcpu_state_fits(&host, NULL, &st, why, sizeof(why));
		const uint8_t *b = reencode(&w, put_cpu, &st, &len);
		state_reader_init(&r, b, len);
		if (state_cpu_get(&st2, &r, STATE_CPU_VERSION, why, sizeof(why)) || memcmp(&st, &st2, sizeof(st)))
			fz_die("cpu state does not survive its own encoding");
	} else {
		if (state_vm_get(&vst, &r, STATE_VM_VERSION, why, sizeof(why)))
			return 0;
		vm_state_fits(&vst, why, sizeof(why));
		const uint8_t *b = reencode(&w, put_vm, &vst, &len);
		state_reader_init(&r, b, len);
		if (state_vm_get(&vst2, &r, STATE_VM_VERSION, why, sizeof(why)) || memcmp(&vst, &vst2, sizeof(vst)))
			fz_die("vm state does not survive its own encoding");
	}
	state_writer_free(&w);
	return 0;
}
