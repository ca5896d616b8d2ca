/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Firmware boot for `kvmini run` without --kernel: SeaBIOS (read from its file on every build, so
 * a reboot takes a new one), its memory map and PAM (vmm/bios.h), fw_cfg with what SeaBIOS reads
 * (CPU count, e820, kvmini's ACPI tables through the table loader, the boot order, the serial
 * console), the CMOS bytes, and the debug port's log (--bios-log) drained by the main loop. */
#ifndef KVMINI_MACHINE_FW_H
#define KVMINI_MACHINE_FW_H
#include <stddef.h>
#include <stdint.h>

#include "bios.h"
#include "console_out.h"
#include "devices/debugcon.h"
#include "devices/fw_cfg.h"

#define MFW_LOG_SIZE (256 * 1024)

struct machine_fw {
	int on; /* no --kernel: this run boots through the firmware */
	char path[4096]; /* the BIOS file */
	int has_log; /* --bios-log: log is open */
	struct console_out log;
	int log_fd;
	/* one VM incarnation */
	uint8_t *image;
	size_t image_len;
	struct fw_cfg *fc;
	struct debugcon *dc;
	struct bios_map map;
	int mapped;
	int has_display; /* a display device exists: no serial console for SeaBIOS (display branch) */
};

struct machine;
/* Before the first build: picks and checks the BIOS file, opens the log. 0, or the exit status (1,
 * 2 for usage) after one line. */
int mfw_prepare(struct machine *m);
/* In a build, after every device is placed: the BIOS mapped, fw_cfg filled, the debug port. 0 or
 * -1 after one line. Devices that hand the firmware a ROM do so with fw_cfg_add_rom(m->fw.fc, ...)
 * after this (it exists from here on). */
int mfw_build(struct machine *m);
/* This incarnation's parts (after the vCPUs stopped; before the VM goes). */
void mfw_teardown(struct machine *m);
/* The main loop: watch the log's buffer; 1 if fd was the log's (drained). */
void mfw_watch(struct machine *m, int ep);
int mfw_handle(struct machine *m, int fd);
/* At exit: the log written out, closed. */
void mfw_close(struct machine *m);

#endif
