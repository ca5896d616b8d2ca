/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The --vnc value: where the server listens and how it authenticates, parsed apart from the
 * server so the parser is unit-tested and fuzzed on its own.
 *
 *   :N | HOST:N | [IPV6]:N      TCP port 5900 + N (QEMU's numbering); HOST defaults to 127.0.0.1
 *   unix:PATH                   a Unix socket
 *   ,password=on                VNC authentication (DES challenge); the password comes from
 *   ,password-file=FILE         FILE's first line (first 8 characters count), or QMP
 *                               change-vnc-password / set_password; none set refuses every client
 *   ,pointer=tablet|ps2         the viewer's pointer drives a virtio tablet (absolute, default) or
 *                               the PS/2 mouse (relative, for guests without virtio-input) */
#ifndef KVMINI_VNC_CFG_H
#define KVMINI_VNC_CFG_H
#include <stddef.h>

#define VNC_PORT_BASE 5900
#define VNC_HOST_MAX 256
#define VNC_PATH_MAX 108 /* sun_path */

enum vnc_kind { VNC_TCP, VNC_UNIX };

struct vnc_cfg {
	enum vnc_kind kind;
	char host[VNC_HOST_MAX]; /* TCP: name or address, brackets removed */
	unsigned display; /* TCP: port VNC_PORT_BASE + display */
	char path[VNC_PATH_MAX]; /* Unix */
	int password;
	char password_file[4096];
	int pointer_ps2;
};

/* 0, or -EINVAL with a reason (no "kvmini:" prefix) in err. */
int vnc_cfg_parse(struct vnc_cfg *c, const char *spec, char *err, size_t errlen);

#endif
