/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which device SeaBIOS boots first: `--boot order=dc|cd|c|d[,menu=on|off]` (QEMU's letters: c the
 * first hard disk, d the first CD-ROM), the firmware paths naming the boot devices in SeaBIOS's
 * syntax (/pci@i0cf8/<name>@<slot>[,<fn>]/...; SeaBIOS matches them as prefixes with any name), the
 * "bootorder" fw_cfg file built from them and the CMOS boot-device bytes QEMU sets for -boot. */
#ifndef KVMINI_BOOTORDER_H
#define KVMINI_BOOTORDER_H
#include <stddef.h>
#include <stdint.h>

#define BOOT_ORDER_MAX 2
#define BOOT_PATH_MAX 96

struct boot_order {
	char order[BOOT_ORDER_MAX + 1]; /* "c", "d", "cd", "dc"; default "cd" */
	int menu; /* menu=on: SeaBIOS offers its boot menu (F12 / ESC) */
};

/* Parses the --boot value: order=LETTERS[,menu=on|off], or the bare letters (QEMU's -boot d).
 * -EINVAL with a one-line reason (without "kvmini: ") in err. */
int boot_order_parse(const char *s, struct boot_order *o, char *err, size_t errlen);
void boot_order_default(struct boot_order *o);

/* Firmware paths; the length written, or -ENOSPC. */
int boot_path_virtio_blk(char *buf, size_t len, unsigned slot);
int boot_path_virtio_scsi(char *buf, size_t len, unsigned slot, unsigned target, unsigned lun);
/* for the IDE and AHCI controllers: PIIX3 IDE at slot.fn, channel 0/1, unit 0 (master) / 1 */
int boot_path_ide(char *buf, size_t len, unsigned slot, unsigned fn, unsigned channel, unsigned unit);
/* an AHCI port */
int boot_path_ahci(char *buf, size_t len, unsigned slot, unsigned fn, unsigned port);

enum boot_kind { BOOT_HD, BOOT_CD };
struct boot_dev {
	enum boot_kind kind;
	char path[BOOT_PATH_MAX];
};

/* The bootorder file for devs[0..n) (in the order the user gave them): per letter of o->order, the
 * path of the first device of that kind, one per line. *len gets its length (0 when no device
 * matched: then no file is needed). -ENOSPC if cap is too small. */
int bootorder_build(const struct boot_order *o, const struct boot_dev *devs, unsigned n, char *out, size_t cap,
		    size_t *len);
/* CMOS 0x3d (first and second boot device) and 0x38 (third device, floppy signature check off):
 * 2 = hard disk, 3 = CD-ROM, in the order asked. */
void boot_order_cmos(const struct boot_order *o, uint8_t *reg3d, uint8_t *reg38);

#endif
