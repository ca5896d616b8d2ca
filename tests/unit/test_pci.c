// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "devices/pci.h"
#include "firmware/layout.h"
#include "vmm/bus.h"

#include <errno.h>

struct rec {
	int reads, writes;
	uint64_t off;
};

static void rec_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct rec *r = o;
	r->reads++;
	r->off = off;
	memset(data, 0x5a, size);
}

static void rec_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct rec *r = o;
	r->writes++;
	r->off = off;
}

static const struct bus_ops rec_ops = { rec_read, rec_write };

struct fix {
	struct bus pio, mmio;
	struct irq_recorder irq;
	struct pci_host *h;
	struct pci_dev a, b;
	struct rec ra0, ra2, rb;
	int written;
	unsigned woff, wsize;
};

static void on_written(struct pci_dev *d, unsigned off, unsigned size)
{
	struct fix *f = d->opaque;
	f->written++;
	f->woff = off;
	f->wsize = size;
}

/* a: 64-bit memory BAR 0 (32 KiB) and 32-bit BAR 2 (4 KiB); b: 32-byte I/O BAR 0 */
static void setup(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	bus_init(&f->pio, "pio");
	bus_init(&f->mmio, "mmio");
	ck_assert_int_eq(pci_host_create(&f->h, &f->pio, &f->mmio, &irqrec_hooks, &f->irq), 0);
	pci_dev_init(&f->a, "a", 0x1af4, 0x1041, 0x020000, 0x1af4, 0x0001);
	f->a.opaque = f;
	f->a.cfg_written = on_written;
	ck_assert_int_eq(pci_dev_set_bar(&f->a, 0, 0x8000, 0, 1, &rec_ops, &f->ra0), 0);
	ck_assert_int_eq(pci_dev_set_bar(&f->a, 2, 0x1000, 0, 0, &rec_ops, &f->ra2), 0);
	ck_assert_int_eq(pci_host_add(f->h, &f->a), 0);
	pci_dev_init(&f->b, "b", 0x8086, 0x7010, 0x010180, 0, 0);
	ck_assert_int_eq(pci_dev_set_bar(&f->b, 0, 32, 1, 0, &rec_ops, &f->rb), 0);
	ck_assert_int_eq(pci_host_add(f->h, &f->b), 0);
}

static void teardown(struct fix *f)
{
	pci_host_destroy(f->h);
	bus_destroy(&f->pio);
	bus_destroy(&f->mmio);
}

static void out32(struct fix *f, unsigned port, uint32_t v)
{
	ck_assert_int_ge(bus_access(&f->pio, port, &v, 4, 1), 0);
}

static uint32_t cfg_read(struct fix *f, unsigned bus, unsigned dev, unsigned fn, unsigned reg, unsigned size)
{
	uint32_t v = 0;
	out32(f, 0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc));
	ck_assert_int_ge(bus_access(&f->pio, 0xcfc + (reg & 3), &v, size, 0), 0);
	return v;
}

static void cfg_write(struct fix *f, unsigned dev, unsigned reg, uint32_t v, unsigned size)
{
	out32(f, 0xcf8, 0x80000000u | dev << 11 | (reg & 0xfc));
	ck_assert_int_ge(bus_access(&f->pio, 0xcfc + (reg & 3), &v, size, 1), 0);
}

START_TEST(enumeration)
{
	struct fix f;
	setup(&f);
	/* Linux's pci_check_type1(): a byte at 0xCFB must not disturb CONFIG_ADDRESS */
	uint8_t one = 1;
	ck_assert_int_ge(bus_access(&f.pio, 0xcfb, &one, 1, 1), 0);
	out32(&f, 0xcf8, 0x80000000u);
	uint32_t a = 0;
	bus_access(&f.pio, 0xcf8, &a, 4, 0);
	ck_assert_uint_eq(a, 0x80000000u);
	ck_assert_uint_eq(cfg_read(&f, 0, 0, 0, 0, 4), 0x12378086);
	ck_assert_uint_eq(cfg_read(&f, 0, 0, 0, 0x0a, 2), 0x0600);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0, 4), 0x10411af4);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x08, 4), 0x02000000);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x2c, 4), 0x00011af4);
	ck_assert_uint_eq(cfg_read(&f, 0, 2, 0, 0x02, 2), 0x7010);
	ck_assert_uint_eq(cfg_read(&f, 0, 2, 0, 0x09, 1), 0x80);
	int present = 0;
	for (unsigned d = 0; d < 32; d++)
		if (cfg_read(&f, 0, d, 0, 0, 2) != 0xffff)
			present++;
	ck_assert_int_eq(present, 3);
	ck_assert_uint_eq(cfg_read(&f, 0, 5, 0, 0, 4), 0xffffffffu); /* empty slot */
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 1, 0, 4), 0xffffffffu); /* function 1 */
	ck_assert_uint_eq(cfg_read(&f, 1, 1, 0, 0, 4), 0xffffffffu); /* bus 1 */
	out32(&f, 0xcf8, 1u << 11); /* enable bit clear */
	uint32_t v = 0;
	bus_access(&f.pio, 0xcfc, &v, 4, 0);
	ck_assert_uint_eq(v, 0xffffffffu);
	/* firmware-like setup: decoding on, INTx wired */
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x04, 2) & 3, 2);
	ck_assert_uint_eq(cfg_read(&f, 0, 2, 0, 0x04, 2) & 3, 1);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x3c, 2), 0x0100 | (LAYOUT_PCI_IRQ_BASE + 1));
	ck_assert_uint_eq(cfg_read(&f, 0, 2, 0, 0x3d, 1), 1);
	ck_assert_uint_eq(cfg_read(&f, 0, 0, 0, 0x3d, 1), 0); /* the bridge has no INTx */
	ck_assert_uint_eq(f.a.intx.gsi, LAYOUT_PCI_IRQ_BASE + 1);
	ck_assert_uint_eq(f.b.intx.gsi, LAYOUT_PCI_IRQ_BASE + 2);
	irq_raise(&f.b.intx);
	ck_assert_int_eq(f.irq.level[LAYOUT_PCI_IRQ_BASE + 2], 1);
	teardown(&f);
}
END_TEST

START_TEST(bar_placement_and_dispatch)
{
	struct fix f;
	setup(&f);
	ck_assert_uint_eq(f.a.bar[0].addr, LAYOUT_PCI_MMIO);
	ck_assert_uint_eq(f.a.bar[2].addr, LAYOUT_PCI_MMIO + 0x8000);
	ck_assert(f.a.bar[0].mapped && f.a.bar[2].mapped && f.b.bar[0].mapped);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x10, 4), (uint32_t)LAYOUT_PCI_MMIO | 0x4);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x14, 4), 0);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x18, 4), (uint32_t)LAYOUT_PCI_MMIO + 0x8000);
	uint32_t v = 0;
	ck_assert_int_ge(bus_access(&f.mmio, LAYOUT_PCI_MMIO + 0x10, &v, 4, 0), 0);
	ck_assert_int_eq(f.ra0.reads, 1);
	ck_assert_uint_eq(f.ra0.off, 0x10);
	ck_assert_int_ge(bus_access(&f.mmio, LAYOUT_PCI_MMIO + 0x8004, &v, 4, 1), 0);
	ck_assert_int_eq(f.ra2.writes, 1);
	ck_assert_uint_eq(f.ra2.off, 4);
	/* the I/O BAR, through the host's window */
	uint32_t io = cfg_read(&f, 0, 2, 0, 0x10, 4);
	ck_assert_uint_eq(io, 0xc001);
	uint16_t w = 0;
	ck_assert_int_ge(bus_access(&f.pio, 0xc006, &w, 2, 0), 0);
	ck_assert_int_eq(f.rb.reads, 1);
	ck_assert_uint_eq(f.rb.off, 6);
	ck_assert_uint_eq(w, 0x5a5a);
	v = 0;
	ck_assert_int_ge(bus_access(&f.pio, 0xc01e, &v, 4, 0), 0); /* straddles the BAR's end */
	ck_assert_int_eq(f.rb.reads, 1);
	ck_assert_uint_eq(v, 0xffffffffu);
	teardown(&f);
}
END_TEST

START_TEST(bar_sizing)
{
	struct fix f;
	setup(&f);
	cfg_write(&f, 1, 0x04, 0, 2); /* decode off, as Linux does around sizing */
	ck_assert(!f.a.bar[0].mapped && !f.a.bar[2].mapped);
	for (unsigned r = 0x10; r < 0x28; r += 4)
		cfg_write(&f, 1, r, 0xffffffffu, 4);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x10, 4), 0xffff8004u);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x14, 4), 0xffffffffu);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x18, 4), 0xfffff000u);
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x1c, 4), 0); /* unused */
	ck_assert_uint_eq(cfg_read(&f, 0, 1, 0, 0x24, 4), 0);
	cfg_write(&f, 2, 0x04, 0, 2);
	cfg_write(&f, 2, 0x10, 0xffffffffu, 4);
	/* an I/O BAR sizes in all 32 bits (QEMU does; SeaBIOS takes 0x0000ffe1 for a 4 GiB BAR) */
	ck_assert_uint_eq(cfg_read(&f, 0, 2, 0, 0x10, 4), 0xffffffe1u);
	/* nothing landed on the buses while decoding was off */
	uint32_t v;
	ck_assert_int_lt(bus_access(&f.mmio, 0xfffff000u, &v, 4, 0), 0);
	ck_assert_int_lt(bus_access(&f.mmio, 0xffffffffffff8000ull, &v, 4, 0), 0);
	ck_assert_int_ge(f.written, 1);
	ck_assert_uint_eq(f.woff, 0x24);
	ck_assert_uint_eq(f.wsize, 4);
	teardown(&f);
}
END_TEST

START_TEST(bar_move)
{
	struct fix f;
	setup(&f);
	uint32_t v = 0;
	/* a 64-bit BAR moved above 4 GiB in two dword writes, decoding left on */
	cfg_write(&f, 1, 0x10, 0x00010000, 4);
	cfg_write(&f, 1, 0x14, 0x1, 4);
	ck_assert_uint_eq(f.a.bar[0].addr, 0x100010000ull);
	ck_assert(f.a.bar[0].mapped);
	ck_assert_int_lt(bus_access(&f.mmio, LAYOUT_PCI_MMIO, &v, 4, 0), 0);
	ck_assert_int_ge(bus_access(&f.mmio, 0x100010020ull, &v, 4, 0), 0);
	ck_assert_uint_eq(f.ra0.off, 0x20);
	/* byte-wise move of the 32-bit BAR */
	cfg_write(&f, 1, 0x1b, 0xc8, 1);
	ck_assert_uint_eq(f.a.bar[2].addr, 0xc8008000ull);
	ck_assert_int_lt(bus_access(&f.mmio, LAYOUT_PCI_MMIO + 0x8000, &v, 4, 0), 0);
	ck_assert_int_ge(bus_access(&f.mmio, 0xc8008008ull, &v, 4, 0), 0);
	ck_assert_uint_eq(f.ra2.off, 8);
	/* memory decode off and on again */
	cfg_write(&f, 1, 0x04, 0x0, 2);
	ck_assert_int_lt(bus_access(&f.mmio, 0xc8008008ull, &v, 4, 0), 0);
	cfg_write(&f, 1, 0x04, 0x2, 2);
	ck_assert_int_ge(bus_access(&f.mmio, 0xc8008008ull, &v, 4, 0), 0);
	/* moved onto the other BAR: conflict, stays unmapped, and mapped again once the other moved */
	cfg_write(&f, 1, 0x18, 0x00010000, 4);
	ck_assert(f.a.bar[2].mapped);
	cfg_write(&f, 1, 0x14, 0x0, 4);
	ck_assert(!f.a.bar[0].mapped);
	ck_assert_int_ge(bus_access(&f.mmio, 0x10008ull, &v, 4, 0), 0);
	ck_assert_uint_eq(f.ra2.off, 8);
	cfg_write(&f, 1, 0x18, 0xd8000000u, 4);
	ck_assert(f.a.bar[2].mapped);
	ck_assert(f.a.bar[0].mapped);
	ck_assert_int_ge(bus_access(&f.mmio, 0x10008ull, &v, 4, 0), 0);
	ck_assert_uint_eq(f.ra0.off, 8);
	/* the I/O BAR moves within the window, and is not decoded outside it */
	cfg_write(&f, 2, 0x10, 0xc100, 4);
	uint8_t b = 0;
	ck_assert_int_ge(bus_access(&f.pio, 0xc100, &b, 1, 1), 0);
	ck_assert_int_eq(f.rb.writes, 1);
	bus_access(&f.pio, 0xc000, &b, 1, 1);
	ck_assert_int_eq(f.rb.writes, 1);
	cfg_write(&f, 2, 0x10, 0x1000, 4);
	ck_assert(!f.b.bar[0].mapped);
	cfg_write(&f, 2, 0x10, 0xc040, 4);
	ck_assert(f.b.bar[0].mapped);
	cfg_write(&f, 2, 0x04, 0, 2);
	bus_access(&f.pio, 0xc040, &b, 1, 1);
	ck_assert_int_eq(f.rb.writes, 1);
	teardown(&f);
	ck_assert_int_eq(f.mmio.nr, 0); /* destroy unmapped everything */
}
END_TEST

START_TEST(capabilities)
{
	struct fix f;
	setup(&f);
	struct pci_dev d;
	pci_dev_init(&d, "caps", 0x1234, 0x5678, 0xff0000, 0, 0);
	uint8_t c1[12] = { 0x11, 0xee, 0x05 }, c2[16] = { 0x09, 0xee, 16 }, c3[5] = { 0x05, 0xee };
	ck_assert_int_eq(pci_dev_add_cap(&d, c1, sizeof(c1)), 0x40);
	ck_assert_int_eq(pci_dev_add_cap(&d, c2, sizeof(c2)), 0x4c);
	ck_assert_int_eq(pci_dev_add_cap(&d, c3, sizeof(c3)), 0x5c);
	ck_assert_int_eq(pci_host_add(f.h, &d), 0);
	unsigned slot = d.slot;
	ck_assert_uint_eq(cfg_read(&f, 0, slot, 0, 0x06, 2) & 0x10, 0x10);
	uint8_t want[] = { 0x11, 0x09, 0x05 };
	unsigned p = cfg_read(&f, 0, slot, 0, 0x34, 1), n = 0;
	while (p && n < 8) {
		ck_assert_uint_eq(p & 3, 0);
		ck_assert_uint_eq(cfg_read(&f, 0, slot, 0, p, 1), want[n]);
		n++;
		p = cfg_read(&f, 0, slot, 0, p + 1, 1);
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(cfg_read(&f, 0, slot, 0, 0x42, 1), 0x05);
	cfg_write(&f, slot, 0x42, 0xff, 1); /* capability bytes start read-only */
	ck_assert_uint_eq(cfg_read(&f, 0, slot, 0, 0x42, 1), 0x05);
	cfg_write(&f, slot, 0x00, 0xffffffffu, 4); /* ids are read-only */
	ck_assert_uint_eq(cfg_read(&f, 0, slot, 0, 0x00, 4), 0x56781234);
	cfg_write(&f, slot, 0x3c, 0xaa, 1);
	ck_assert_uint_eq(cfg_read(&f, 0, slot, 0, 0x3c, 1), 0xaa);
	uint8_t big[200] = { 0x10 };
	ck_assert_int_eq(pci_dev_add_cap(&d, big, sizeof(big)), -ENOSPC);
	teardown(&f);
}
END_TEST

START_TEST(errors_and_limits)
{
	struct fix f;
	setup(&f);
	struct pci_dev d;
	pci_dev_init(&d, "x", 1, 2, 0, 0, 0);
	ck_assert_int_eq(pci_dev_set_bar(&d, 6, 4096, 0, 0, &rec_ops, NULL), -EINVAL);
	ck_assert_int_eq(pci_dev_set_bar(&d, 0, 3000, 0, 0, &rec_ops, NULL), -EINVAL);
	ck_assert_int_eq(pci_dev_set_bar(&d, 5, 4096, 0, 1, &rec_ops, NULL), -EINVAL);
	ck_assert_int_eq(pci_dev_set_bar(&d, 0, 512, 1, 0, &rec_ops, NULL), -EINVAL);
	ck_assert_int_eq(pci_dev_set_bar(&d, 0, 4096, 0, 1, &rec_ops, NULL), 0);
	ck_assert_int_eq(pci_dev_set_bar(&d, 1, 4096, 0, 0, &rec_ops, NULL), -EINVAL);
	ck_assert_int_eq(pci_host_add(f.h, &f.a), -EINVAL); /* already plugged */
	/* the window is 256 MiB: a BAR that does not fit is refused and changes nothing */
	struct pci_dev big;
	pci_dev_init(&big, "big", 1, 3, 0, 0, 0);
	ck_assert_int_eq(pci_dev_set_bar(&big, 0, LAYOUT_PCI_MMIO_SIZE, 0, 0, &rec_ops, NULL), 0);
	ck_assert_int_eq(pci_host_add(f.h, &big), -ENOSPC);
	ck_assert_int_eq(pci_host_add(f.h, &d), 0);
	ck_assert_uint_eq(d.slot, 3);
	ck_assert_uint_eq(d.bar[0].addr, LAYOUT_PCI_MMIO + 0x9000);
	/* slots run out */
	static struct pci_dev many[32];
	int added = 0;
	for (int i = 0; i < 32; i++) {
		pci_dev_init(&many[i], "m", 1, 4, 0, 0, 0);
		if (pci_host_add(f.h, &many[i]) == 0)
			added++;
	}
	ck_assert_int_eq(added, 28);
	teardown(&f);
}
END_TEST

START_TEST(reset_register)
{
	struct fix f;
	setup(&f);
	out32(&f, 0xcf8, 0x80000400u); /* dword writes never reset, whatever their bits */
	out32(&f, 0xcf8, 0xffffffffu);
	ck_assert_int_eq(f.irq.nstop, 0);
	uint8_t v = 0x02;
	ck_assert_int_ge(bus_access(&f.pio, 0xcf9, &v, 1, 1), 0);
	ck_assert_int_eq(f.irq.nstop, 0);
	v = 0x06;
	ck_assert_int_ge(bus_access(&f.pio, 0xcf9, &v, 1, 1), 0);
	ck_assert_int_eq(f.irq.nstop, 1);
	ck_assert_int_eq(f.irq.stop_reason, VM_STOP_RESET);
	teardown(&f);
}
END_TEST

START_TEST(hostile_accesses)
{
	struct fix f;
	setup(&f);
	uint64_t v;
	unsigned seed = 12345;
	for (unsigned dev = 0; dev < 4; dev++)
		for (unsigned reg = 0; reg < 256; reg++)
			for (unsigned size = 1; size <= 8; size *= 2)
				for (unsigned k = 0; k < 4; k++) {
					seed = seed * 1103515245 + 12345;
					v = (uint64_t)seed << 32 | seed;
					out32(&f, 0xcf8, 0x80000000u | dev << 11 | (reg & 0xfc));
					bus_access(&f.pio, 0xcfc + k, &v, size, 0);
					bus_access(&f.pio, 0xcfc + k, &v, size, 1);
					bus_access(&f.pio, 0xcf8 + k, &v, size, 0);
				}
	for (unsigned k = 0; k < 8; k++)
		for (unsigned size = 1; size <= 8; size *= 2) {
			v = 0;
			bus_access(&f.pio, 0xcf8 + k, &v, size, 1);
		}
	/* the host still answers afterwards */
	ck_assert_uint_eq(cfg_read(&f, 0, 0, 0, 0, 4), 0x12378086);
	teardown(&f);
	ck_assert_int_eq(f.mmio.nr, 0);
	ck_assert_int_eq(f.pio.nr, 0);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, enumeration);
	tcase_add_test(tc, bar_placement_and_dispatch);
	tcase_add_test(tc, bar_sizing);
	tcase_add_test(tc, bar_move);
	tcase_add_test(tc, capabilities);
	tcase_add_test(tc, errors_and_limits);
	tcase_add_test(tc, reset_register);
	tcase_add_test(tc, hostile_accesses);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
