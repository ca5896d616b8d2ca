// SPDX-License-Identifier: GPL-2.0-or-later
/* The "cpu" and "vm" state sections without KVM: a synthetic host and state round-trip through the
 * encoding; truncated, overlong and mis-sized payloads are refused by the parser, and states that
 * do not fit the host (XSAVE area, MSRs, CPUID, TSC rate, missing pieces, routes) by the checks,
 * each with its reason. */
#include "unit.h"
#include "vmm/state_kvm.h"

#include <errno.h>

static struct vcpu_host host;
static struct vcpu_target target;
static struct vcpu_state st, out;
static struct vm_state vst, vout;
static char why[200];

static void setup(void)
{
	memset(&host, 0, sizeof(host));
	host.xsave = host.xsave2 = host.xcrs = host.sregs2 = host.get_tsc_khz = 1;
	host.vcpu_events = host.debugregs = host.mp_state = host.tsc_deadline = 1;
	host.xsave_size = 4096;
	const uint32_t msrs[] = { MSR_IA32_TSC, 0x174, MSR_IA32_TSC_DEADLINE, 0xc0000081 };
	host.nmsrs = 4;
	memcpy(host.msrs, msrs, sizeof(msrs));
	host.ncpuid = 3;
	host.cpuid[0] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 0x80202001, .edx = 0x0789fbff };
	host.cpuid[1] = (struct kvm_cpuid_entry2){ .function = 0xd, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 7 };
	host.cpuid[2] = (struct kvm_cpuid_entry2){ .function = 7, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .ebx = 0x9 };
	target = (struct vcpu_target){ .tsc_khz = 2000000 };

	memset(&st, 0, sizeof(st));
	st.have = VCPU_ST_REQUIRED | VCPU_ST_BIT(VCPU_ST_TSC_KHZ) | VCPU_ST_BIT(VCPU_ST_XSAVE) |
		  VCPU_ST_BIT(VCPU_ST_XCRS) | VCPU_ST_BIT(VCPU_ST_SREGS2) | VCPU_ST_BIT(VCPU_ST_TSC_DEADLINE) |
		  VCPU_ST_BIT(VCPU_ST_EVENTS) | VCPU_ST_BIT(VCPU_ST_DEBUGREGS);
	st.ncpuid = host.ncpuid;
	memcpy(st.cpuid, host.cpuid, sizeof(host.cpuid));
	st.cpuid[0].ecx |= 1u << 27; /* OSXSAVE: KVM's run-time bit, never in the supported table */
	st.tsc_khz = 2000000;
	st.regs.rip = 0x200010, st.regs.r12 = 42, st.regs.rflags = 2;
	st.xsave_len = 4096;
	st.xsave_bytes[512] = 3; /* XSTATE_BV: x87, SSE */
	memset(st.xsave_bytes + 160, 0xa5, 16);
	st.xcrs.nr_xcrs = 1, st.xcrs.xcrs[0].value = 7;
	st.sregs2.cr0 = 0x80050033, st.sregs2.efer = 0x500, st.sregs2.apic_base = 0xfee00900;
	st.nmsrs = 2;
	st.msrs[0] = (struct kvm_msr_entry){ .index = MSR_IA32_TSC, .data = 123456789 };
	st.msrs[1] = (struct kvm_msr_entry){ .index = 0xc0000081, .data = 0x0023001000000000ULL };
	st.mp_state.mp_state = KVM_MP_STATE_RUNNABLE;
	st.lapic.regs[0x20] = 1;
	st.tsc_deadline = 99;
	st.events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	st.debugregs.dr7 = 0x400;

	memset(&vst, 0, sizeof(vst));
	vst.have = VM_ST_REQUIRED | VM_ST_BIT(VM_ST_CLOCK);
	for (uint32_t i = 0; i < 3; i++) {
		vst.chip[i].chip_id = i;
		memset(&vst.chip[i].chip, (int)i + 1, sizeof(vst.chip[i].chip));
	}
	vst.pit.channels[0].count = 0x10000;
	vst.clock = (struct kvm_clock_data){ .clock = 5000000, .flags = KVM_CLOCK_REALTIME, .realtime = 77 };
	vst.nroutes = 2;
	vst.routes[0] = (struct kvm_irq_routing_entry){ .gsi = 4, .type = KVM_IRQ_ROUTING_IRQCHIP,
						       .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = 4 } };
	vst.routes[1] = (struct kvm_irq_routing_entry){ .gsi = 24, .type = KVM_IRQ_ROUTING_MSI,
						       .u.msi = { .address_lo = 0xfee00000, .data = 0x41 } };
	why[0] = 0;
}

/* A payload in a buffer the tests may patch. */
static uint8_t pay[64 << 10];
static size_t paylen;

/* Writes one section with put and keeps its payload (the stream's framing cut off). */
static void encode(const char *id, void (*put)(struct state_writer *, const void *), const void *obj)
{
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, id, 0, 1);
	put(&w, obj);
	state_end(&w);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	size_t len;
	const uint8_t *b = state_writer_data(&w, &len);
	/* header, id length and id, instance 4, version 4, length 8; end marker and CRC after */
	size_t off = STATE_HEADER_SIZE + 1 + strlen(id) + 4 + 4 + 8;
	paylen = len - off - 1 - 4;
	memcpy(pay, b + off, paylen);
	state_writer_free(&w);
}

static void put_cpu(struct state_writer *w, const void *o) { state_cpu_put(w, o); }
static void put_vm(struct state_writer *w, const void *o) { state_vm_put(w, o); }
static void encode_cpu(const struct vcpu_state *s) { encode(STATE_CPU_ID, put_cpu, s); }
static void encode_vm(const struct vm_state *s) { encode(STATE_VM_ID, put_vm, s); }

static int decode_cpu(size_t len, uint32_t version)
{
	struct state_reader r;
	state_reader_init(&r, pay, len);
	return state_cpu_get(&out, &r, version, why, sizeof(why));
}

static int decode_vm(size_t len)
{
	struct state_reader r;
	state_reader_init(&r, pay, len);
	return state_vm_get(&vout, &r, STATE_VM_VERSION, why, sizeof(why));
}

/* Offset of piece p's length field in the payload (have bits in order, each u32 length + body). */
static size_t piece_off(int p)
{
	uint32_t have;
	memcpy(&have, pay, 4);
	size_t off = 4;
	for (int i = 0; i < p; i++) {
		if (have & (1u << i)) {
			uint32_t len;
			memcpy(&len, pay + off, 4);
			off += 4 + len;
		}
	}
	return off;
}

static void put32(size_t off, uint32_t v) { memcpy(pay + off, &v, 4); }

#define ASSERT_REFUSED(call, err, text)                                                                  \
	do {                                                                                               \
		why[0] = 0;                                                                                \
		ck_assert_int_eq((call), (err));                                                           \
		ck_assert_msg(strstr(why, (text)) != NULL, "reason \"%s\" lacks \"%s\"", why, (text));    \
	} while (0)

START_TEST(cpu_round_trip)
{
	ck_assert_int_eq(vcpu_state_fits(&host, &target, &st, why, sizeof(why)), 0);
	encode_cpu(&st);
	ck_assert_int_eq(decode_cpu(paylen, STATE_CPU_VERSION), 0);
	ck_assert_int_eq(memcmp(&st, &out, sizeof(st)), 0);
	ck_assert_int_eq(vcpu_state_fits(&host, &target, &out, why, sizeof(why)), 0);
}
END_TEST

START_TEST(cpu_parse_refusals)
{
	encode_cpu(&st);
	for (size_t n = 0; n < paylen; n++)
		ck_assert_int_eq(decode_cpu(n, STATE_CPU_VERSION), -EBADMSG);
	ASSERT_REFUSED(decode_cpu(paylen - 1, STATE_CPU_VERSION), -EBADMSG, "truncated");
	pay[paylen] = 0;
	ASSERT_REFUSED(decode_cpu(paylen + 1, STATE_CPU_VERSION), -EBADMSG, "bytes after the last piece");
	ASSERT_REFUSED(decode_cpu(paylen, 2), -EPROTONOSUPPORT, "section version 2");

	put32(piece_off(VCPU_ST_REGS), sizeof(struct kvm_regs) - 8); /* a struct cut short */
	ASSERT_REFUSED(decode_cpu(paylen, STATE_CPU_VERSION), -EBADMSG, "registers of 136 bytes");
	encode_cpu(&st);
	put32(piece_off(VCPU_ST_CPUID) + 4, 300); /* more entries than KVM has */
	ASSERT_REFUSED(decode_cpu(paylen, STATE_CPU_VERSION), -EINVAL, "CPUID");
	encode_cpu(&st);
	put32(piece_off(VCPU_ST_CPUID) + 4, st.ncpuid - 1); /* count and length disagree */
	ASSERT_REFUSED(decode_cpu(paylen, STATE_CPU_VERSION), -EBADMSG, "CPUID");
	encode_cpu(&st);
	put32(piece_off(VCPU_ST_MSRS) + 4, 600);
	ASSERT_REFUSED(decode_cpu(paylen, STATE_CPU_VERSION), -EINVAL, "MSRs");
	encode_cpu(&st);
	put32(0, st.have | (1u << 20));
	ASSERT_REFUSED(decode_cpu(paylen, STATE_CPU_VERSION), -EINVAL, "unknown pieces 0x100000");

	struct vcpu_state *small = malloc(sizeof(*small));
	*small = st;
	small->xsave_len = 1024; /* smaller than any XSAVE area KVM hands out */
	encode_cpu(small);
	ASSERT_REFUSED(decode_cpu(paylen, STATE_CPU_VERSION), -EINVAL, "XSAVE area of 1024 bytes");
	free(small);
}
END_TEST

START_TEST(cpu_does_not_fit)
{
	struct vcpu_state *s = malloc(sizeof(*s));
#define REFUSE(change, err, text)                                                                          \
	do {                                                                                               \
		*s = st;                                                                                   \
		change;                                                                                    \
		ASSERT_REFUSED(vcpu_state_fits(&host, &target, s, why, sizeof(why)), err, text);          \
	} while (0)
	REFUSE(s->xsave_len = 8192, -ENOTSUP, "XSAVE area of 8192 bytes is larger than this host's 4096");
	REFUSE(s->xsave_bytes[512] |= 0x20, -ENOTSUP, "XSAVE area holds components this host lacks (0x20)");
	REFUSE(s->xcrs.xcrs[0].value = 0x1f, -ENOTSUP, "XCR0 0x1f");
	REFUSE(s->msrs[1].index = 0x123, -ENOTSUP, "MSR 0x123");
	REFUSE(s->have &= ~VCPU_ST_BIT(VCPU_ST_LAPIC), -EINVAL, "lacks its LAPIC");
	REFUSE(s->have |= VCPU_ST_BIT(VCPU_ST_SREGS), -EINVAL, "exactly one of sregs and sregs2");
	REFUSE(s->cpuid[0].ecx |= 2, -ENOTSUP, "CPUID 0x1.0 ecx: the guest has features this host lacks (0x2)");
	REFUSE(s->cpuid[2].ebx |= 0x100, -ENOTSUP, "CPUID 0x7.0 ebx");
	REFUSE(s->tsc_khz = 1000000, -ENOTSUP, "TSC at 1000000 kHz in the state, 2000000 kHz here");
	REFUSE(s->events.flags |= KVM_VCPUEVENT_VALID_PAYLOAD, -ENOTSUP, "vCPU events with flags");
	REFUSE((s->have |= VCPU_ST_BIT(VCPU_ST_FPU), s->have &= ~VCPU_ST_BIT(VCPU_ST_SREGS2),
		s->have |= VCPU_ST_BIT(VCPU_ST_SREGS)),
	       -EINVAL, "exactly one of XSAVE and FPU");
	host.debugregs = 0;
	REFUSE((void)0, -ENOTSUP, "cannot restore the debug registers");
	host.debugregs = 1;

	/* what the host can do after all */
	*s = st;
	s->tsc_khz = 2000400; /* within KVM's 250 ppm */
	ck_assert_int_eq(vcpu_state_fits(&host, &target, s, why, sizeof(why)), 0);
	s->tsc_khz = 1000000;
	host.tsc_control = 1; /* a host that scales the TSC */
	ck_assert_int_eq(vcpu_state_fits(&host, &target, s, why, sizeof(why)), 0);
	/* a PVM host: the target vCPU reports the host's bits, beyond the supported table */
	*s = st;
	s->cpuid[0].ecx |= 2;
	target.ncpuid = 1;
	target.cpuid[0] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = 0x80202003 };
	ck_assert_int_eq(vcpu_state_fits(&host, &target, s, why, sizeof(why)), 0);
	free(s);
#undef REFUSE
}
END_TEST

START_TEST(vm_round_trip_and_refusals)
{
	ck_assert_int_eq(vm_state_fits(&vst, why, sizeof(why)), 0);
	encode_vm(&vst);
	ck_assert_int_eq(decode_vm(paylen), 0);
	ck_assert_int_eq(memcmp(&vst, &vout, sizeof(vst)), 0);
	for (size_t n = 0; n < paylen; n++)
		ck_assert_int_eq(decode_vm(n), -EBADMSG);

	put32(piece_off(VM_ST_PIT2), sizeof(struct kvm_pit_state2) + 4);
	ASSERT_REFUSED(decode_vm(paylen), -EBADMSG, "PIT of 116 bytes");
	encode_vm(&vst);
	put32(piece_off(VM_ST_ROUTES) + 4, VM_MAX_ROUTES + 1);
	ASSERT_REFUSED(decode_vm(paylen), -EINVAL, "interrupt routes");

	struct vm_state *s = malloc(sizeof(*s));
#define REFUSE(change, text)                                                                               \
	do {                                                                                               \
		*s = vst;                                                                                  \
		change;                                                                                    \
		ASSERT_REFUSED(vm_state_fits(s, why, sizeof(why)), -EINVAL, text);                         \
	} while (0)
	REFUSE(s->routes[0].u.irqchip.pin = 24, "interrupt route 0 (gsi 4, type 1)");
	REFUSE(s->routes[1].type = 9, "interrupt route 1 (gsi 24, type 9)");
	REFUSE(s->routes[0].gsi = 5000, "interrupt route 0");
	REFUSE(s->chip[1].chip_id = 2, "interrupt controller 1 saved as chip 2");
	REFUSE(s->clock.flags |= 0x100, "kvmclock flags 0x104");
	REFUSE(s->have &= ~VM_ST_BIT(VM_ST_IOAPIC), "VM state pieces");
	free(s);
#undef REFUSE
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("state_kvm");
	TCase *tc = tcase_create("sections");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, cpu_round_trip);
	tcase_add_test(tc, cpu_parse_refusals);
	tcase_add_test(tc, cpu_does_not_fit);
	tcase_add_test(tc, vm_round_trip_and_refusals);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
