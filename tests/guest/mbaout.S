/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/guest/multiboot.S with the a.out-kludge address fields (header flag 16): the loader takes
 * load, load end, bss end and entry from the header, not from an executable format. The Makefile
 * makes build/guest/mbaout.bin from it, a flat binary with no ELF header at all. */
#define MB_AOUT 1
#include "multiboot.S"
