// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The test init's display action, included by testinit.c (it uses its
 * syscall and output helpers).
 *
 * display:SECONDS
 *   - names every /dev/input/eventN: "input eventN NAME"
 *   - draws the test picture: quadrants red (top left), green (top right),
 *     blue (bottom left), white (bottom right), a 64x64 yellow square in
 *     the middle. Through KMS (/dev/dri/card0: a dumb buffer in the
 *     connector's preferred mode on the first CRTC, as a display server
 *     does, the yellow square drawn only after the mode is set; says
 *     "kms WxH") or, failing that, /dev/fb0 ("fb0 WxH BPP");
 *     then "display-drawn"
 *   - then reports input until Escape is released or SECONDS pass:
 *     "key CODE VALUE" (press 1, release 0), "abs X Y" once per report
 *     with absolute axes, "rel DX DY WHEEL" for relative ones; ends with
 *     "display-end" or "display-timeout"
 */

#define SYS_ioctl 16
#define SYS_pwrite64 18
#define FBIOGET_VSCREENINFO 0x4600
#define FBIOGET_FSCREENINFO 0x4602
#define FBIOPAN_DISPLAY 0x4606
#define FBIOBLANK 0x4611
#define EVIOCGNAME(len) ((2u << 30) | ((unsigned)(len) << 16) | ('E' << 8) | 0x06)
#define EV_SYN_ 0
#define EV_REL_ 2
#define EV_ABS_ 3
#define KEY_ESC_ 1

/* struct fb_var_screeninfo: 40 u32; the fields used */
enum { V_XRES, V_YRES, V_XVIRT, V_YVIRT, V_XOFF, V_YOFF, V_BPP, V_GRAY, V_ROFF, V_RLEN, V_RMSB,
       V_GOFF, V_GLEN, V_GMSB, V_BOFF, V_BLEN, V_BMSB, V_WORDS = 40 };

static unsigned chan(unsigned v8, const unsigned *var, int off)
{
	unsigned len = var[off + 1];
	return len >= 8 ? v8 << var[off] : (v8 >> (8 - len)) << var[off];
}

static unsigned rgb(const unsigned *var, unsigned c)
{
	return chan(c >> 16 & 0xff, var, V_ROFF) | chan(c >> 8 & 0xff, var, V_GOFF) | chan(c & 0xff, var, V_BOFF);
}

static unsigned picture(unsigned x, unsigned y, unsigned w, unsigned h)
{
	if (x + 32 >= w / 2 && x < w / 2 + 32 && y + 32 >= h / 2 && y < h / 2 + 32)
		return 0xffff00;
	if (y < h / 2)
		return x < w / 2 ? 0xff0000 : 0x00ff00;
	return x < w / 2 ? 0x0000ff : 0xffffff;
}

#define SYS_mmap 9
#define DRM_IOWR_(nr, size) ((3u << 30) | ((unsigned)(size) << 16) | ('d' << 8) | (nr))
struct drm_res_ { u64 fbs, crtcs, conns, encs; unsigned nfb, ncrtc, nconn, nenc, minw, maxw, minh, maxh; };
struct drm_conn_ { u64 encs, modes, props, pvals; unsigned nmodes, nprops, nencs, enc, id, type, type_id, conn,
		   mmw, mmh, subpixel, pad; };
struct drm_modeinfo_ { unsigned clock; unsigned short h[5], v[5]; unsigned vrefresh, flags, type; char name[32]; };
struct drm_dumb_ { unsigned height, width, bpp, flags, handle, pitch; u64 size; };
struct drm_fbcmd_ { unsigned fb_id, width, height, pitch, bpp, depth, handle; };
struct drm_map_ { unsigned handle, pad; u64 offset; };
struct drm_crtc_ { u64 conns; unsigned nconns, crtc, fb, x, y, gamma, mode_valid; struct drm_modeinfo_ mode; };

static int draw_kms(void)
{
	static unsigned crtcs[8], conns[8], encs[8], encs2[8], props[64];
	static u64 pvals[64];
	static struct drm_modeinfo_ modes[64];
	i64 fd = sys(SYS_open, "/dev/dri/card0", O_RDWR, 0);
	if (fd < 0)
		return -1;
	struct drm_res_ res = { 0 };
	struct drm_conn_ c = { 0 };
	i64 r = sys(SYS_ioctl, fd, DRM_IOWR_(0xa0, sizeof(res)), &res);
	if (r >= 0 && res.ncrtc && res.nconn) {
		res = (struct drm_res_){ .crtcs = (u64)crtcs, .conns = (u64)conns, .encs = (u64)encs,
					 .ncrtc = res.ncrtc > 8 ? 8 : res.ncrtc, .nconn = res.nconn > 8 ? 8 : res.nconn,
					 .nenc = res.nenc > 8 ? 8 : res.nenc };
		r = sys(SYS_ioctl, fd, DRM_IOWR_(0xa0, sizeof(res)), &res);
	}
	if (r >= 0) {
		c.id = conns[0];
		r = sys(SYS_ioctl, fd, DRM_IOWR_(0xa7, sizeof(c)), &c);
	}
	if (r >= 0 && c.nmodes) {
		unsigned id = c.id;
		c = (struct drm_conn_){ .encs = (u64)encs2, .modes = (u64)modes, .props = (u64)props,
					.pvals = (u64)pvals, .nmodes = c.nmodes > 64 ? 64 : c.nmodes,
					.nprops = c.nprops > 64 ? 64 : c.nprops, .nencs = c.nencs > 8 ? 8 : c.nencs, .id = id };
		r = sys(SYS_ioctl, fd, DRM_IOWR_(0xa7, sizeof(c)), &c);
	}
	if (r < 0 || !c.nmodes) {
		fail("kms", r < 0 ? r : -19);
		sys(SYS_close, fd, 0, 0);
		return -1;
	}
	struct drm_modeinfo_ *m = &modes[0]; /* the preferred mode comes first */
	for (unsigned i = 0; i < c.nmodes && i < 64; i++)
		if (modes[i].type & 8) /* DRM_MODE_TYPE_PREFERRED */
			m = &modes[i];
	unsigned w = m->h[0], h = m->v[0];
	struct drm_dumb_ dumb = { .height = h, .width = w, .bpp = 32 };
	struct drm_fbcmd_ fbc = { 0 };
	struct drm_map_ map = { 0 };
	r = sys(SYS_ioctl, fd, DRM_IOWR_(0xb2, sizeof(dumb)), &dumb);
	if (r >= 0) {
		fbc = (struct drm_fbcmd_){ 0, w, h, dumb.pitch, 32, 24, dumb.handle };
		r = sys(SYS_ioctl, fd, DRM_IOWR_(0xae, sizeof(fbc)), &fbc);
	}
	if (r >= 0) {
		map.handle = dumb.handle;
		r = sys(SYS_ioctl, fd, DRM_IOWR_(0xb3, sizeof(map)), &map);
	}
	unsigned char *px = 0;
	if (r >= 0) {
		r = sys6(SYS_mmap, 0, (long)dumb.size, 3 /* read, write */, 1 /* shared */, fd, (long)map.offset);
		px = (unsigned char *)r;
	}
	if (r < 0 && r > -4096) {
		fail("kms-buffer", r);
		sys(SYS_close, fd, 0, 0);
		return -1;
	}
	/* the picture but its yellow square before the mode is set, the square after: what the
	 * viewer gets of it came through the dirty log alone */
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++) {
			unsigned c = picture(x, y, w, h);
			*(unsigned *)(px + (u64)y * dumb.pitch + x * 4) = c == 0xffff00 ? 0 : c;
		}
	struct drm_crtc_ cr = { .conns = (u64)&c.id, .nconns = 1, .crtc = crtcs[0], .fb = fbc.fb_id, .mode_valid = 1,
				.mode = *m };
	r = sys(SYS_ioctl, fd, DRM_IOWR_(0xa2, sizeof(cr)), &cr);
	if (r < 0) {
		fail("kms-setcrtc", r);
		sys(SYS_close, fd, 0, 0);
		return -1;
	}
	i64 ts[2] = { 0, 300000000 };
	sys(SYS_nanosleep, ts, 0, 0);
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++)
			if (picture(x, y, w, h) == 0xffff00)
				*(unsigned *)(px + (u64)y * dumb.pitch + x * 4) = 0xffff00;
	/* the fd stays open: closing it would take the framebuffer (and the picture) away */
	begin("kms ");
	putu(w, 10);
	put("x");
	putu(h, 10);
	end();
	return 0;
}

static int draw(void)
{
	static unsigned var[V_WORDS], fix[20];
	static unsigned char row[2560 * 4];
	i64 fd = sys(SYS_open, "/dev/fb0", O_RDWR, 0);
	if (fd < 0) {
		fail("fb0", fd);
		return -1;
	}
	i64 r = sys(SYS_ioctl, fd, FBIOGET_VSCREENINFO, var);
	if (r >= 0)
		r = sys(SYS_ioctl, fd, FBIOGET_FSCREENINFO, fix);
	unsigned w = var[V_XRES], h = var[V_YRES], bpp = var[V_BPP], stride = fix[12];
	if (r < 0 || w > 2560 || (bpp != 32 && bpp != 16) || stride < w * (bpp / 8)) {
		fail("fb0-info", r < 0 ? r : -22);
		sys(SYS_close, fd, 0, 0);
		return -1;
	}
	sys(SYS_ioctl, fd, FBIOBLANK, 0);
	sys(SYS_ioctl, fd, FBIOPAN_DISPLAY, var); /* shows this buffer (a modeset if none yet) */
	for (unsigned y = 0; y < h; y++) {
		for (unsigned x = 0; x < w; x++) {
			unsigned p = rgb(var, picture(x, y, w, h));
			row[x * (bpp / 8)] = (unsigned char)p;
			row[x * (bpp / 8) + 1] = (unsigned char)(p >> 8);
			if (bpp == 32) {
				row[x * 4 + 2] = (unsigned char)(p >> 16);
				row[x * 4 + 3] = 0;
			}
		}
		r = sys6(SYS_pwrite64, fd, (long)row, (long)(w * (bpp / 8)), (long)y * stride, 0, 0);
		if (r < 0) {
			fail("fb0-write", r);
			break;
		}
	}
	sys(SYS_close, fd, 0, 0);
	begin("fb0 ");
	putu(w, 10);
	put("x");
	putu(h, 10);
	put(" ");
	putu(bpp, 10);
	end();
	return r < 0 ? -1 : 0;
}

static void act_display(char *arg)
{
	static char dev[] = "/dev/input/eventN";
	static char name[80];
	struct pollfd_ p[MAX_INPUTS];
	int n = 0;
	u64 secs = number(&arg);
	for (int i = 0; i < MAX_INPUTS; i++) {
		dev[16] = (char)('0' + i);
		i64 fd = sys(SYS_open, dev, O_RDONLY, 0);
		if (fd < 0)
			continue;
		p[n].fd = (int)fd;
		p[n].events = 1;
		n++;
		i64 l = sys(SYS_ioctl, fd, EVIOCGNAME(sizeof(name) - 1), name);
		name[l > 0 && l < (i64)sizeof(name) ? l : 0] = 0;
		begin("input ");
		put(dev + 11);
		put(" ");
		put(name);
		end();
	}
	if (draw_kms() == 0 || draw() == 0)
		say("display-drawn", 0);
	i64 ax = -1, ay = -1, rx = 0, ry = 0, wheel = 0;
	int abs_seen = 0, rel_seen = 0;
	for (u64 waited = 0; waited < secs * 10;) {
		i64 r = sys(SYS_poll, p, n, 100);
		if (r <= 0) {
			waited++;
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct input_event_ ev;
			if (!(p[i].revents & 1) || sys(SYS_read, p[i].fd, &ev, sizeof(ev)) != sizeof(ev))
				continue;
			if (ev.type == EV_KEY && ev.value != 2) {
				begin("key ");
				putu(ev.code, 10);
				put(" ");
				putu((u64)ev.value, 10);
				end();
				if (ev.code == KEY_ESC_ && ev.value == 0) {
					say("display-end", 0);
					return;
				}
			} else if (ev.type == EV_ABS_) {
				if (ev.code == 0)
					ax = ev.value;
				else if (ev.code == 1)
					ay = ev.value;
				abs_seen = 1;
			} else if (ev.type == EV_REL_) {
				if (ev.code == 0)
					rx += ev.value;
				else if (ev.code == 1)
					ry += ev.value;
				else if (ev.code == 8)
					wheel += ev.value;
				rel_seen = 1;
			} else if (ev.type == EV_SYN_ && abs_seen) {
				begin("abs ");
				putnum(ax);
				put(" ");
				putnum(ay);
				end();
				abs_seen = 0;
			} else if (ev.type == EV_SYN_ && rel_seen) {
				begin("rel ");
				putnum(rx);
				put(" ");
				putnum(ry);
				put(" ");
				putnum(wheel);
				end();
				rx = ry = wheel = 0;
				rel_seen = 0;
			}
		}
	}
	say("display-timeout", 0);
}
