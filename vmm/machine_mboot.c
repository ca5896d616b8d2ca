// SPDX-License-Identifier: GPL-2.0-or-later
/* The board a multiboot kernel (kvm-unit-tests' x86 tests) gets besides the direct-boot one: fw_cfg
 * at 0x510, from which kvm-unit-tests reads the CPU count (FW_CFG_NB_CPUS, the APs it waits for)
 * and the RAM size, and QEMU's pc-testdev (devices/testdev.h), whose interrupt lines the ioapic and
 * apic tests drive; QEMU's x86/run adds the same device. A Linux kernel's board stays as it was. */
#include "machine_priv.h"

#include <stdlib.h>

#include "devices/fw_cfg.h"
#include "devices/testdev.h"
#include "firmware/multiboot.h"
#include "log.h"

/* 1 when --kernel is multiboot, 0 if not, -1 after one line. A restore or an incoming migration
 * has not read the file: it looks at it here, since its saved state has the fw_cfg or not. */
static int kernel_is_multiboot(struct machine *m)
{
	if (m->kernel)
		return multiboot_detect(m->kernel, m->kernel_len);
	if (!m->o->kernel)
		return 0;
	uint8_t *k;
	size_t len;
	if (machine_read_file("--kernel", m->o->kernel, &k, &len))
		return -1;
	int r = multiboot_detect(k, len);
	free(k);
	return r;
}

int mmboot_add(struct machine *m)
{
	int r = kernel_is_multiboot(m);
	if (r <= 0)
		return r;
	struct fw_cfg *fc;
	unsigned cpus = m->o->cpus;
	int ret = fw_cfg_create(&fc, &m->vm.pio, &m->vm.mem);
	if (ret) {
		kv_err(ret, "fw_cfg for the multiboot kernel");
		return -1;
	}
	m->mb_fc = fc;
	if ((ret = fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, (uint16_t)cpus)) ||
	    (ret = fw_cfg_add_u16(fc, FW_CFG_MAX_CPUS, (uint16_t)cpus)) ||
	    (ret = fw_cfg_add_u64(fc, FW_CFG_RAM_SIZE, m->vm.mem.ram_size)) ||
	    (ret = state_registry_add(&m->reg, &fw_cfg_state_ops, 0, fc))) {
		kv_err(ret, "fw_cfg for the multiboot kernel");
		return -1;
	}
	if ((ret = testdev_create(&m->mb_testdev, &m->vm.pio, &m->vm.mmio, &m->vm.hooks, &m->vm)) ||
	    (ret = state_registry_add(&m->reg, &testdev_state_ops, 0, m->mb_testdev))) {
		kv_err(ret, "pc-testdev for the multiboot kernel");
		return -1;
	}
	return 0;
}

void mmboot_remove(struct machine *m)
{
	testdev_destroy(m->mb_testdev);
	m->mb_testdev = NULL;
	fw_cfg_destroy(m->mb_fc);
	m->mb_fc = NULL;
}
