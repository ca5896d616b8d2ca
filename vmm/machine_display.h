/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --display and --vnc: the VNC server (kept for the whole run, so viewers stay connected across a
 * guest reset) and, in each VM incarnation, the bochs-display, the PS/2 keyboard and mouse on the
 * i8042 and the virtio tablet, with the glue that turns a viewer's keys and pointer into their
 * events. Without a display nothing of this exists (the i8042 answers that no keyboard is there). */
#ifndef KVMINI_MACHINE_DISPLAY_H
#define KVMINI_MACHINE_DISPLAY_H

#include "machine_disk.h"
#include "options.h"
#include "ui/vnc_cfg.h"

struct bochs_display;
struct virtio_input;
struct i8042;
struct vnc;
struct state_registry;
struct qmp_commands;

struct machine_display {
	int enabled;
	struct vnc_cfg cfg;
	struct vnc *vnc; /* NULL without --vnc */
	/* this incarnation */
	struct bochs_display *bochs;
	struct virtio_input *tablet; /* NULL with pointer=ps2 */
	struct i8042 *kbd;
	unsigned last_x, last_y, last_buttons; /* the viewer's pointer as the PS/2 mouse was told */
};

/* Parses --vnc and listens; reports its own errors. 2: usage (malformed, port in use), 1: other. */
int mdisplay_open(struct machine_display *md, const struct run_opts *o);
/* Builds this incarnation's devices: the display after every other PCI device, so adding one
 * moves no other device's slot. kbd is the board's i8042. Reports its own errors (-1). */
int mdisplay_add(struct machine_display *md, struct vdev_place *p, struct i8042 *kbd, int irq12_gsi);
/* Starts showing it (before the vCPUs run). */
int mdisplay_start(struct machine_display *md);
/* Stops showing it (first thing at teardown), then, after the PCI host is gone, its devices. */
void mdisplay_stop(struct machine_display *md);
void mdisplay_remove(struct machine_display *md);
void mdisplay_close(struct machine_display *md);
/* The display's saved state (the tablet is saved as a virtio device). */
int mdisplay_register(struct machine_display *md, struct state_registry *g);
struct virtio_dev *mdisplay_tablet(struct machine_display *md);
/* Firmware boot (the fw branch): the VGA option ROM SeaBIOS must run so BIOS and boot-loader
 * screens show on the display: 1 with the fw_cfg file name ("pci1234,1111.rom": SeaBIOS runs it
 * as the PCI display's ROM) and the host file (Debian's seabios package), 0 without
 * a display. The merge wires: if (mdisplay_option_rom(&m->display, &name, &path)) add the file
 * to fw_cfg before SeaBIOS starts. */
int mdisplay_option_rom(const struct machine_display *md, const char **fwcfg_name, const char **path);
/* QMP change-vnc-password and set_password. */
int mdisplay_qmp_register(struct machine_display *md, struct qmp_commands *cmds);

#endif
