/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guest's init shim for --rootfs-share (firmware/rootfs/init.c, built static into
 * build/rootfs-init by the Makefile), embedded so kvmini needs no file at run time. */
	.section .rodata
	.balign 16
	.global rootfs_init_bin, rootfs_init_bin_end
rootfs_init_bin:
	.incbin "build/rootfs-init"
rootfs_init_bin_end:
	.section .note.GNU-stack,"",@progbits
