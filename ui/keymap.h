/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a VNC client's key events name (X11 keysyms, or with QEMU's extended key event the key's
 * own number) turned into the XT number the PS/2 keyboard takes (devices/ps2.h: set 1 make code,
 * bit 7 for E0-prefixed keys). Keysyms follow a US layout: shifted symbols name the key they are
 * on ('!' is the 1 key), the client sends Shift itself. */
#ifndef KVMINI_KEYMAP_H
#define KVMINI_KEYMAP_H
#include <stdint.h>

/* The XT number (1..0xff) of keysym, or 0 if no key of a US keyboard produces it. */
unsigned keymap_keysym_to_xt(uint32_t keysym);
/* A key number from QEMU's extended key event (XT, 0xE0-prefixed keys with bit 7 set; some
 * clients send the E0 prefix in the second byte instead, 0xe0XX): the XT number, 0 if invalid. */
unsigned keymap_qnum_to_xt(uint32_t qnum);

#endif
