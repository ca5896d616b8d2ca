/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Direct Linux boot: loads a bzImage or an ELF64 kernel (vmlinux, or a tiny freestanding test
 * program) into guest RAM, builds boot_params with the command line, initrd and e820 map, and the
 * GDT and identity page tables for the 64-bit entry. No BIOS, no real mode. */
#ifndef KVMINI_LINUX_H
#define KVMINI_LINUX_H

#include "boot.h"

/* Every field of img->kernel is treated as hostile. On success fills *out; on failure returns
 * -ENOEXEC (not a kernel we can boot), -EINVAL (bad command line / initrd), -ENOMEM (does not fit
 * in RAM) or -EFAULT, and sets *why (if why is not NULL) to a short static reason. */
int linux_load(const struct gmem *m, const struct boot_image *img, struct boot_entry *out,
	       const char **why);

#endif
