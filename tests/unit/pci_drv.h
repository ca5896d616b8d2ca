/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A driver's side of PCI for unit tests: config mechanism #1 through the port bus (bus 0, one
 * slot, function 0) and accesses to a memory BAR through the mmio bus. */
#ifndef KVMINI_TEST_PCI_DRV_H
#define KVMINI_TEST_PCI_DRV_H
#include "unit.h"
#include "vmm/bus.h"

static inline uint32_t pdrv_cfg_rd(struct bus *pio, unsigned slot, unsigned reg, unsigned size)
{
	uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc), v = 0;
	ck_assert_int_ge(bus_access(pio, 0xcf8, &a, 4, 1), 0);
	ck_assert_int_ge(bus_access(pio, 0xcfc + (reg & 3), &v, size, 0), 0);
	return v;
}

static inline void pdrv_cfg_wr(struct bus *pio, unsigned slot, unsigned reg, uint32_t v, unsigned size)
{
	uint32_t a = 0x80000000u | slot << 11 | (reg & 0xfc);
	ck_assert_int_ge(bus_access(pio, 0xcf8, &a, 4, 1), 0);
	ck_assert_int_ge(bus_access(pio, 0xcfc + (reg & 3), &v, size, 1), 0);
}

static inline uint64_t pdrv_mem_rd(struct bus *mmio, uint64_t addr, unsigned size)
{
	uint64_t v = 0;
	ck_assert_int_ge(bus_access(mmio, addr, &v, size, 0), 0);
	return v;
}

static inline void pdrv_mem_wr(struct bus *mmio, uint64_t addr, uint64_t v, unsigned size)
{
	ck_assert_int_ge(bus_access(mmio, addr, &v, size, 1), 0);
}

#endif
