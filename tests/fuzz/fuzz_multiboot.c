// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the --kernel dispatch with the multiboot loader (firmware/multiboot.c): the header
 * search, ELF32/ELF64 program headers, the a.out-kludge fields, the module and command line. The
 * input is a flags byte (initrd, command line, kernel name) then the kernel file, loaded into 32 MiB
 * of fake RAM: it must refuse what does not fit, never write outside RAM, and hand a multiboot
 * kernel an entry point and an information structure inside it. */
#include "fuzz.h"

#include "firmware/multiboot.h"

#define RAM_SIZE (32u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[4096] = "NR_CPUS=2\n";
	struct fz f = { data, size };
	uint8_t flags = (uint8_t)fz_take(&f, 1);
	struct fz_ram *ram = fz_ram_get(RAM_SIZE); /* not cleared: the loader only writes it */
	struct boot_image img = {
		.kernel = f.p,
		.kernel_len = f.n,
		.initrd = (flags & 1) ? initrd : NULL,
		.initrd_len = (flags & 1) ? sizeof(initrd) : 0,
		.cmdline = (flags & 2) ? "vmexit cpuid" : NULL,
		.kernel_name = (flags & 4) ? "x86/vmexit.flat" : NULL,
	};
	struct boot_entry e;
	const char *why = NULL;
	int mb = multiboot_detect(f.p, f.n);
	int r = boot_load_kernel(&ram->mem, &img, &e, &why);
	if (r && !why)
		fz_die("refused without a reason");
	if (r)
		return 0;
	if (mb != (e.mode == BOOT_MODE_PROT32))
		fz_die("a multiboot kernel entered in the wrong mode");
	if (e.rip >= RAM_SIZE)
		fz_die("entry point outside RAM");
	if (mb) {
		uint32_t mods = le_get32(ram->buf, e.rbx + MBI_MODS_ADDR);
		if (e.rax != MB_BOOT_MAGIC || e.rbx + MBI_SIZE > RAM_SIZE)
			fz_die("bad multiboot hand-off");
		if ((flags & 1) && le_get32(ram->buf, mods + 4) - le_get32(ram->buf, mods) != sizeof(initrd))
			fz_die("module size wrong");
		if ((flags & 1) && memcmp(ram->buf + le_get32(ram->buf, mods), initrd, sizeof(initrd)))
			fz_die("module bytes wrong");
	}
	return 0;
}
