/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The VNC server (libvncserver): one thread of its own serves the listening socket and every
 * client, copies what changed on the display into a 32-bit shadow (ui/vnc_fb.h) and hands the
 * clients' keys and pointer to the machine. vCPUs never wait for it; it waits for no vCPU. With no
 * client connected the thread sleeps in poll() without a timeout; with clients it looks at the
 * display's dirty log every 20-100 ms (the longer the screen stays idle). RFB 3.3, 3.7 and 3.8,
 * raw, copyrect, RRE, hextile, zlib, tight, ZRLE (what libvncserver offers), desktop resize, QEMU's
 * extended key event. The socket lives as long as the process; the display it shows changes with
 * each VM incarnation (vnc_attach/vnc_detach), clients stay connected across a guest reboot. */
#ifndef KVMINI_VNC_H
#define KVMINI_VNC_H
#include <stddef.h>

#include "ui/vnc_cfg.h"

struct bochs_display;
struct vnc;

/* What the clients' input goes to (called on the VNC thread). */
struct vnc_input_ops {
	void (*key)(void *opaque, unsigned xt, int down);
	/* x, y in pixels of a w x h screen; buttons: RFB's mask (bit 0 left, 1 middle, 2 right, 3/4 wheel) */
	void (*pointer)(void *opaque, unsigned x, unsigned y, unsigned w, unsigned h, unsigned buttons);
};

/* Binds and listens (and reads the password file). 0, or -errno with one line in err; a port in
 * use is -EADDRINUSE. */
int vnc_open(struct vnc **out, const struct vnc_cfg *cfg, char *err, size_t errlen);
/* Starts the thread showing d, input to ops (d and opaque must outlive vnc_detach). */
int vnc_attach(struct vnc *v, struct bochs_display *d, const struct vnc_input_ops *ops, void *opaque);
/* Stops the thread (before the display goes away). Clients stay connected. */
void vnc_detach(struct vnc *v);
/* Disconnects every client, closes the socket (a Unix socket's path is removed). */
void vnc_close(struct vnc *v);
/* The VNC password (first 8 characters count); "" refuses every client while password=on.
 * -EINVAL if the server has no password=on. Any thread. */
int vnc_set_password(struct vnc *v, const char *password);
/* Where it listens, for messages: "127.0.0.1:5901" or "unix:/path". */
const char *vnc_address(const struct vnc *v);

#endif
