// SPDX-License-Identifier: GPL-2.0-or-later
/* The PIIX3 ISA bridge at 00:01.0: identity and chipset reset values through config mechanism
 * #1, PIRQ route registers (write mask, the getter, the change callback), the ELCR ports, and a
 * state round trip with refusals. Also the PCI host's multi-function slots it needs. */
#include "devices/piix3_isa.h"
#include "tests/unit/state_test.h"
#include "tests/unit/unit.h"

struct pt {
	struct bus pio, mmio;
	struct pci_host *h;
	struct piix3_isa *b;
	int calls, last_n, last_irq;
};
static struct pt pt;

static void changed(void *o, unsigned n, int irq)
{
	pt.calls++;
	pt.last_n = (int)n;
	pt.last_irq = irq;
}

static void setup(void)
{
	memset(&pt, 0, sizeof(pt));
	bus_init(&pt.pio, "pio");
	bus_init(&pt.mmio, "mmio");
	ck_assert_int_eq(pci_host_create(&pt.h, &pt.pio, &pt.mmio, NULL, NULL), 0);
	struct piix3_isa_opts o = { .pirq_changed = changed };
	ck_assert_int_eq(piix3_isa_create(&pt.b, &pt.pio, &o), 0);
	ck_assert_int_eq(pci_host_add_fn(pt.h, piix3_isa_pci(pt.b), PIIX3_ISA_SLOT, 0), 0);
}

static void teardown(void)
{
	pci_host_destroy(pt.h);
	piix3_isa_destroy(pt.b);
	bus_destroy(&pt.pio);
	bus_destroy(&pt.mmio);
}

static uint32_t cfg(unsigned fn, unsigned off, unsigned size)
{
	uint32_t a = 0x80000000u | PIIX3_ISA_SLOT << 11 | fn << 8 | (off & 0xfc), v = 0;
	bus_access(&pt.pio, 0xcf8, &a, 4, 1);
	bus_access(&pt.pio, 0xcfc + (off & 3), &v, size, 0);
	return v;
}

static void cfg_w(unsigned off, uint32_t v, unsigned size)
{
	uint32_t a = 0x80000000u | PIIX3_ISA_SLOT << 11 | (off & 0xfc);
	bus_access(&pt.pio, 0xcf8, &a, 4, 1);
	bus_access(&pt.pio, 0xcfc + (off & 3), &v, size, 1);
}

START_TEST(identity_and_reset_values)
{
	ck_assert_uint_eq(cfg(0, 0, 4), 0x70008086);
	ck_assert_uint_eq(cfg(0, 0x08, 4) >> 8, 0x060100);
	ck_assert_uint_eq(cfg(0, 0x0e, 1), 0x80);
	ck_assert_uint_eq(cfg(0, 0x04, 2), 0x0007);
	ck_assert_uint_eq(cfg(0, 0x2c, 4), 0x11001af4);
	ck_assert_uint_eq(cfg(0, 0x60, 4), 0x80808080); /* PIRQA-D disabled */
	ck_assert_uint_eq(cfg(0, 0x4c, 1), 0x4d);
	ck_assert_uint_eq(cfg(0, 0x4e, 1), 0x03);
	ck_assert_uint_eq(cfg(0, 0x69, 1), 0x02);
	ck_assert_uint_eq(cfg(0, 0x70, 1), 0x80);
	ck_assert_uint_eq(cfg(0, 0x76, 2), 0x0c0c);
	ck_assert_uint_eq(cfg(0, 0xa8, 1), 0x0f);
	for (unsigned n = 0; n < 4; n++)
		ck_assert_int_eq(piix3_isa_pirq(pt.b, n), -ENODEV);
	ck_assert_int_eq(piix3_isa_pirq(pt.b, 4), -EINVAL);
	/* functions of slot 1 other than 0 are empty; a second function 0 is refused */
	ck_assert_uint_eq(cfg(1, 0, 4), 0xffffffff);
	static struct pci_dev d; /* plugged until teardown */
	memset(&d, 0, sizeof(d));
	pci_dev_init(&d, "x", 0x8086, 0x1234, 0, 0, 0);
	ck_assert_int_eq(pci_host_add_fn(pt.h, &d, PIIX3_ISA_SLOT, 0), -EEXIST);
	ck_assert_int_eq(pci_host_add_fn(pt.h, &d, 5, 1), -EEXIST); /* no function 0 there */
	ck_assert_int_eq(pci_host_add_fn(pt.h, &d, 0, 1), -EINVAL);
	ck_assert_int_eq(pci_host_add_fn(pt.h, &d, PIIX3_ISA_SLOT, 8), -EINVAL);
	ck_assert_int_eq(pci_host_add_fn(pt.h, &d, PIIX3_ISA_SLOT, 3), 0);
	ck_assert_uint_eq(cfg(3, 0, 4), 0x12348086);
	ck_assert_uint_eq(cfg(3, 0x3c, 1), 17); /* the slot's INTA# GSI */
}
END_TEST

START_TEST(pirq_routes)
{
	cfg_w(0x61, 0x0b, 1); /* PIRQB -> IRQ 11 */
	ck_assert_int_eq(piix3_isa_pirq(pt.b, 1), 11);
	ck_assert_int_eq(pt.calls, 1);
	ck_assert_int_eq(pt.last_n, 1);
	ck_assert_int_eq(pt.last_irq, 11);
	cfg_w(0x61, 0x0b, 1); /* no change, no call */
	ck_assert_int_eq(pt.calls, 1);
	cfg_w(0x60, 0x7a0a0a0a, 4); /* reserved bits 6-4 stay 0 */
	ck_assert_uint_eq(cfg(0, 0x60, 4), 0x0a0a0a0a);
	ck_assert_int_eq(pt.calls, 5); /* A, C, D and B again */
	for (unsigned n = 0; n < 4; n++)
		ck_assert_int_eq(piix3_isa_pirq(pt.b, n), 10);
	cfg_w(0x62, 0x8a, 1);
	ck_assert_int_eq(piix3_isa_pirq(pt.b, 2), -ENODEV);
	cfg_w(0x63, 0x02, 1); /* IRQ 2 cannot be routed */
	ck_assert_int_eq(piix3_isa_pirq(pt.b, 3), -ENODEV);
}
END_TEST

START_TEST(elcr_ports)
{
	uint16_t v = 0xffff;
	bus_access(&pt.pio, PIIX3_ELCR_PORT, &v, 2, 1);
	ck_assert_uint_eq(piix3_isa_elcr(pt.b), 0xdef8); /* 0, 1, 2, 8, 13 always edge */
	uint8_t b = 0;
	bus_access(&pt.pio, PIIX3_ELCR_PORT + 1, &b, 1, 0);
	ck_assert_uint_eq(b, 0xde);
	b = 0x08; /* IRQ 11 only on the slave */
	bus_access(&pt.pio, PIIX3_ELCR_PORT + 1, &b, 1, 1);
	ck_assert_uint_eq(piix3_isa_elcr(pt.b), 0x08f8);
}
END_TEST

START_TEST(state_round_trip)
{
	cfg_w(0x60, 0x0b0a0980, 4);
	uint16_t v = 0x0e00;
	bus_access(&pt.pio, PIIX3_ELCR_PORT, &v, 2, 1);
	size_t n;
	uint8_t *p = st_save(&piix3_isa_state_ops, pt.b, &n);
	ck_assert_uint_eq(n, PCI_CFG_SIZE + 2);
	st_check_short(&piix3_isa_state_ops, pt.b, p, n, 0);
	teardown();
	setup();
	ck_assert_int_eq(st_load(&piix3_isa_state_ops, pt.b, p, n), 0);
	st_assert_same(&piix3_isa_state_ops, pt.b, p, n, 0, "load", 0);
	ck_assert_int_eq(piix3_isa_pirq(pt.b, 1), 9);
	ck_assert_int_eq(piix3_isa_pirq(pt.b, 3), 11);
	ck_assert_uint_eq(piix3_isa_elcr(pt.b), 0x0e00);
	ck_assert_int_eq(pt.calls, 3); /* the board learns the loaded routes */
	p[PCI_CFG_SIZE] = 0x01; /* ELCR bit for IRQ 0 */
	ck_assert_int_eq(st_load(&piix3_isa_state_ops, pt.b, p, n), -EINVAL);
	p[PCI_CFG_SIZE] = 0;
	p[0x02] ^= 1; /* another device id */
	ck_assert_int_eq(st_load(&piix3_isa_state_ops, pt.b, p, n), -EINVAL);
	free(p);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("piix3");
	TCase *t = tcase_create("isa bridge");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, identity_and_reset_values);
	tcase_add_test(t, pirq_routes);
	tcase_add_test(t, elcr_ports);
	tcase_add_test(t, state_round_trip);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
