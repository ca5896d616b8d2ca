// SPDX-License-Identifier: GPL-2.0-or-later
#include "machine_display.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/display/bochs.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "log.h"
#include "qmp.h"
#include "state.h"
#include "ui/vnc.h"
#include "virtio/input.h"

int mdisplay_open(struct machine_display *md, const struct run_opts *o)
{
	memset(md, 0, sizeof(*md));
	md->enabled = o->display;
	if (!o->vnc)
		return 0;
	char err[512] = "";
	if (vnc_cfg_parse(&md->cfg, o->vnc, err, sizeof(err))) {
		kv_log("%s", err);
		return 2;
	}
	int e = vnc_open(&md->vnc, &md->cfg, err, sizeof(err));
	if (e) {
		kv_log("%s", err);
		md->vnc = NULL;
		return e == -EADDRINUSE || e == -EINVAL || e == -EADDRNOTAVAIL || e == -EACCES || e == -ENOENT ? 2 : 1;
	}
	return 0;
}

int mdisplay_add(struct machine_display *md, struct vdev_place *p, struct i8042 *kbd, int irq12_gsi)
{
	if (!md->enabled)
		return 0;
	const struct virtio_env *env = &p->env;
	struct irq_line aux = { env->hooks, env->hooks_opaque, (unsigned)irq12_gsi };
	md->kbd = kbd;
	int ret = i8042_attach_input(kbd, &aux);
	const char *why = NULL;
	if (!ret && !md->cfg.pointer_ps2) {
		ret = virtio_input_create(&md->tablet, "kvmini tablet");
		if (!ret && (ret = vdev_place(p, virtio_input_dev(md->tablet), VDEV_PCI, &why)))
			kv_log("virtio tablet: %s", why);
	}
	if (ret)
		return -1;
	/* the preferred mode of the virtual monitor: what Linux's fbdev comes up in */
	ret = bochs_display_create(&md->bochs, env->hooks, env->hooks_opaque, 1024, 768);
	if (!ret && (ret = pci_host_add(p->pci, bochs_display_pci(md->bochs))) < 0) {
		kv_log("bochs-display: %s", ret == -ENOSPC ? "no free PCI slot" : strerror(-ret));
		return -1;
	}
	return ret ? -1 : 0;
}

static void ui_key(void *opaque, unsigned xt, int down)
{
	struct machine_display *md = opaque;
	i8042_key(md->kbd, xt, down);
}

static void ui_pointer(void *opaque, unsigned x, unsigned y, unsigned w, unsigned h, unsigned buttons)
{
	struct machine_display *md = opaque;
	/* wheel: RFB presses button 4 (up) or 5 (down) for each step */
	unsigned pressed = buttons & ~md->last_buttons;
	int wheel = ((pressed >> 3) & 1) - ((pressed >> 4) & 1);
	if (md->tablet) {
		unsigned ax = w > 1 ? x * VIRTIO_INPUT_ABS_MAX / (w - 1) : 0;
		unsigned ay = h > 1 ? y * VIRTIO_INPUT_ABS_MAX / (h - 1) : 0;
		virtio_input_pointer(md->tablet, ax, ay, buttons & 7, wheel);
	} else {
		/* PS/2: left, right, middle in bits 0-2 (RFB has middle in bit 1) */
		unsigned b = (buttons & 1) | (buttons & 4) >> 1 | (buttons & 2) << 1;
		i8042_mouse(md->kbd, (int)x - (int)md->last_x, (int)md->last_y - (int)y, wheel, b);
	}
	md->last_x = x;
	md->last_y = y;
	md->last_buttons = buttons;
}

static const struct vnc_input_ops input_ops = { ui_key, ui_pointer };

int mdisplay_start(struct machine_display *md)
{
	if (!md->vnc || !md->bochs)
		return 0;
	int e = vnc_attach(md->vnc, md->bochs, &input_ops, md);
	if (e)
		kv_err(e, "VNC thread");
	return e ? -1 : 0;
}

void mdisplay_stop(struct machine_display *md)
{
	vnc_detach(md->vnc);
}

void mdisplay_remove(struct machine_display *md)
{
	virtio_input_destroy(md->tablet);
	bochs_display_destroy(md->bochs);
	md->tablet = NULL;
	md->bochs = NULL;
	md->kbd = NULL;
}

void mdisplay_close(struct machine_display *md)
{
	vnc_close(md->vnc);
	md->vnc = NULL;
}

int mdisplay_register(struct machine_display *md, struct state_registry *g)
{
	return md->bochs ? state_registry_add(g, &bochs_display_state_ops, 0, md->bochs) : 0;
}

struct virtio_dev *mdisplay_tablet(struct machine_display *md)
{
	return md->tablet ? virtio_input_dev(md->tablet) : NULL;
}

int mdisplay_option_rom(const struct machine_display *md, const char **fwcfg_name, const char **path)
{
	if (!md->enabled)
		return 0;
	/* named as the device's own ROM (pciVVVV,DDDD.rom): SeaBIOS then runs it with the device's
	 * bus/device/function in AX; as a vgaroms/ file it got none, and the VGA BIOS, finding no
	 * device, left the screen blank ("Failed to initialize VGA hardware") */
	*fwcfg_name = "pci1234,1111.rom";
	*path = "/usr/share/seabios/vgabios-bochs-display.bin";
	return 1;
}

static void set_pw(struct machine_display *md, json_object *args, struct qmp_result *r)
{
	json_object *v;
	json_object_object_get_ex(args, "password", &v);
	if (!md->vnc || vnc_set_password(md->vnc, json_object_get_string(v)))
		qmp_error(r, QMP_ERR_GENERIC, "%s", md->vnc ? "the VNC server has no password=on" : "no VNC server");
}

static void cmd_change_vnc_password(void *opaque, json_object *args, struct qmp_result *r)
{
	set_pw(opaque, args, r);
}

static void cmd_set_password(void *opaque, json_object *args, struct qmp_result *r)
{
	json_object *v;
	json_object_object_get_ex(args, "protocol", &v);
	if (strcmp(json_object_get_string(v), "vnc")) {
		qmp_error(r, QMP_ERR_GENERIC, "protocol '%s' is not served here (only vnc)", json_object_get_string(v));
		return;
	}
	set_pw(opaque, args, r);
}

static const struct qmp_arg change_args[] = {
	{ "password", json_type_string, 0 },
	{ NULL, 0, 0 },
};

static const struct qmp_arg set_args[] = {
	{ "protocol", json_type_string, 0 },
	{ "password", json_type_string, 0 },
	{ "connected", json_type_string, 1 },
	{ "display", json_type_string, 1 },
	{ NULL, 0, 0 },
};

int mdisplay_qmp_register(struct machine_display *md, struct qmp_commands *cmds)
{
	int ret = qmp_register(cmds, "change-vnc-password", change_args, cmd_change_vnc_password, md);
	return ret ? ret : qmp_register(cmds, "set_password", set_args, cmd_set_password, md);
}
