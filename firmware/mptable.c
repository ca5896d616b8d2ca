// SPDX-License-Identifier: GPL-2.0-or-later
#include "mptable.h"

#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "layout.h"

#define MP_FLOAT_LEN 16
#define MP_HDR_LEN 44
#define MP_CPU_LEN 20
#define MP_ENTRY_LEN 8 /* bus, IOAPIC, I/O and local interrupt entries */

enum { MP_CPU = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINT = 3, MP_LINT = 4 };
enum { INT_INT = 0, INT_NMI = 1, INT_EXTINT = 3 };

#define MP_BUS_PCI 0 /* Linux numbers PCI buses in MP-table order: bus entry 0 is PCI bus 0 */
#define MP_BUS_ISA 1
#define MP_APIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11
#define MP_FLAGS_LEVEL_LOW 0x0f /* active low, level: PCI INTx */
#define MP_FLAGS_LEVEL_HIGH 0x0d /* active high, level: the ACPI SCI, as in the MADT */
#define MP_ISA_ENTRIES 15 /* IRQ 0-15 without the cascade IRQ2 */
#define MP_PCI_SLOTS 31

struct mp_buf {
	uint8_t *p;
	size_t len;
	unsigned count; /* entries after the header */
};

static uint8_t *mp_entry(struct mp_buf *b, size_t len)
{
	uint8_t *e = b->p + b->len;
	b->len += len;
	b->count++;
	return e;
}

static void mp_int(struct mp_buf *b, uint8_t type, uint8_t kind, uint16_t flags, uint8_t bus,
		   uint8_t irq, uint8_t dst, uint8_t pin)
{
	uint8_t *e = mp_entry(b, MP_ENTRY_LEN);
	e[0] = type;
	e[1] = kind;
	le_put16(e, 2, flags);
	e[4] = bus;
	e[5] = irq;
	e[6] = dst;
	e[7] = pin;
}

#define MP_SIZE(ncpus)                                                                         \
	(MP_FLOAT_LEN + MP_HDR_LEN + (size_t)(ncpus) * MP_CPU_LEN +                               \
	 MP_ENTRY_LEN * (2 + 1 + MP_ISA_ENTRIES + MP_PCI_SLOTS + 2))
_Static_assert(MP_SIZE(MPTABLE_MAX_CPUS) <= LAYOUT_EBDA_END - LAYOUT_MPTABLE, "EBDA too small");

int mptable_write(const struct gmem *m, unsigned ncpus)
{
	const size_t room = LAYOUT_EBDA_END - LAYOUT_MPTABLE;
	if (!ncpus)
		return -EINVAL;
	if (ncpus > MPTABLE_MAX_CPUS)
		return -ENOSPC;
	uint8_t *base = gmem_ptr(m, LAYOUT_MPTABLE, room);
	if (!base)
		return -EFAULT;
	memset(base, 0, room);

	uint8_t *fp = base, *hdr = base + MP_FLOAT_LEN;
	struct mp_buf b = { .p = hdr, .len = MP_HDR_LEN };
	const uint8_t ioapic_id = (uint8_t)ncpus;

	for (unsigned i = 0; i < ncpus; i++) {
		uint8_t *e = mp_entry(&b, MP_CPU_LEN);
		e[0] = MP_CPU;
		e[1] = (uint8_t)i; /* local APIC id */
		e[2] = MP_APIC_VERSION;
		e[3] = (uint8_t)(0x01 | (i == 0 ? 0x02 : 0)); /* enabled, bootstrap processor */
		le_put32(e, 4, 0x600); /* family 6: the guest reads the real CPUID anyway */
		le_put32(e, 8, 0x201); /* FPU, APIC */
	}
	static const char *const bus_names[] = { [MP_BUS_PCI] = "PCI   ", [MP_BUS_ISA] = "ISA   " };
	for (uint8_t id = 0; id < 2; id++) {
		uint8_t *e = mp_entry(&b, MP_ENTRY_LEN);
		e[0] = MP_BUS;
		e[1] = id;
		memcpy(e + 2, bus_names[id], 6);
	}
	uint8_t *io = mp_entry(&b, MP_ENTRY_LEN);
	io[0] = MP_IOAPIC;
	io[1] = ioapic_id;
	io[2] = MP_IOAPIC_VERSION;
	io[3] = 0x01; /* enabled */
	le_put32(io, 4, (uint32_t)LAYOUT_IOAPIC);

	for (uint8_t irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue; /* pin 2 carries the timer (IRQ0) instead of the 8259 cascade */
		uint16_t flags = irq == LAYOUT_SCI_IRQ ? MP_FLAGS_LEVEL_HIGH : 0;
		mp_int(&b, MP_IOINT, INT_INT, flags, MP_BUS_ISA, irq, ioapic_id, irq == 0 ? 2 : irq);
	}
	for (uint8_t slot = 1; slot <= MP_PCI_SLOTS; slot++) {
		/* PCI source irq: device number in bits 2-6, pin (0 = INTA) in bits 0-1 */
		mp_int(&b, MP_IOINT, INT_INT, MP_FLAGS_LEVEL_LOW, MP_BUS_PCI, (uint8_t)(slot << 2),
		       ioapic_id, (uint8_t)(LAYOUT_PCI_IRQ_BASE + slot % 8));
	}
	mp_int(&b, MP_LINT, INT_EXTINT, 0, MP_BUS_ISA, 0, 0xff, 0); /* all local APICs, LINT0 */
	mp_int(&b, MP_LINT, INT_NMI, 0, MP_BUS_ISA, 0, 0xff, 1); /* all local APICs, LINT1 */

	memcpy(hdr, "PCMP", 4);
	le_put16(hdr, 4, (uint16_t)b.len);
	hdr[6] = 4; /* spec revision 1.4 */
	memcpy(hdr + 8, "KVMINI  ", 8);
	memcpy(hdr + 16, "KVMINI      ", 12);
	le_put16(hdr, 34, (uint16_t)b.count);
	le_put32(hdr, 36, (uint32_t)LAYOUT_LAPIC);
	hdr[7] = fw_csum(hdr, b.len);

	memcpy(fp, "_MP_", 4);
	le_put32(fp, 4, (uint32_t)(LAYOUT_MPTABLE + MP_FLOAT_LEN));
	fp[8] = 1; /* length in 16-byte units */
	fp[9] = 4;
	/* feature bytes 0: a config table is present, virtual-wire mode (no IMCR) */
	fp[10] = fw_csum(fp, MP_FLOAT_LEN);
	return 0;
}
