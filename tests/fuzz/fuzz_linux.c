// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the bzImage and ELF loaders (firmware/linux.c). The input is a flags byte (command
 * line, initrd) then the kernel file; linux_load puts it into 32 MiB of fake RAM and must refuse
 * what does not fit, never write outside RAM, and hand back an entry point inside it. */
#include "fuzz.h"

#include "firmware/linux.h"

#define RAM_SIZE (32u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[4096] = { 0x30, 0x37, 0x30, 0x37 };
	struct fz f = { data, size };
	uint8_t flags = (uint8_t)fz_take(&f, 1);
	struct fz_ram *ram = fz_ram_get(RAM_SIZE); /* not cleared: the loader only writes it */
	struct boot_image img = {
		.kernel = f.p,
		.kernel_len = f.n,
		.initrd = (flags & 1) ? initrd : NULL,
		.initrd_len = (flags & 1) ? sizeof(initrd) : 0,
		.cmdline = (flags & 2) ? "console=ttyS0 root=/dev/vda rw" : NULL,
		.acpi_rsdp = (flags & 4) ? 0xe0000 : 0,
	};
	struct boot_entry e;
	const char *why = NULL;
	int r = linux_load(&ram->mem, &img, &e, &why);
	if (r == 0 && e.rip >= RAM_SIZE)
		fz_die("entry point outside RAM");
	if (r && !why)
		fz_die("refused without a reason");
	return 0;
}
