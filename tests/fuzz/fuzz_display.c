// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: what a guest and a VNC viewer control of the display and its input. The input is
 * a script of operations (one selector byte each, operands after it):
 *   0 offset(2) size(1) value(4)  write to the bochs-display's BAR2 (DISPI, QEMU ext, EDID area)
 *   1 offset(2) size(1)           read BAR2
 *   2 offset(4) size(1) value(4)  write to BAR0 (the framebuffer, slow path)
 *   3                             refresh the VNC shadow from the display (scanout checked)
 *   4 byte / 5 byte / 6 which(1)  i8042 data write, command write, status or data read
 *   7 xt(1) down(1)               a key from the viewer; 8 dx dy dz buttons (1 each) a motion
 *   9 keysym(4) qnum(4)           the keysym and QEMU key number maps, the result as a key
 *  10                             save both devices and load the streams into fresh ones
 *  11 rest                        the rest of the input as a --vnc value
 * A scanout that reaches past the framebuffer, a shadow that disagrees with its size, a saved
 * state its own device refuses, or a multi-line --vnc error aborts. */
#include "fuzz.h"

#include "devices/display/bochs.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "ui/keymap.h"
#include "ui/vnc_cfg.h"
#include "ui/vnc_fb.h"
#include "vmm/state.h"

static int set_irq(void *o, unsigned gsi, int level) { return 0; }
static const struct vm_hooks hooks = { .set_irq = set_irq };

static void mark(void *o, int x0, int y0, int x1, int y1)
{
	const struct vnc_fb *f = o;
	if (x0 < 0 || y0 < 0 || x0 >= x1 || y0 >= y1 || (unsigned)x1 > f->w || (unsigned)y1 > f->h)
		fz_die("a changed rectangle outside the shadow");
}

static void check_scanout(struct bochs_display *b)
{
	struct dispi_scanout s;
	bochs_display_scanout(b, &s);
	if (s.enabled && (uint64_t)s.offset + (uint64_t)(s.height - 1) * s.stride + (uint64_t)s.width * ((s.bpp + 7) / 8) >
				 BOCHS_FB_SIZE)
		fz_die("scanout past the framebuffer");
}

static void round_trip(const struct state_ops *ops, void *obj, void *fresh)
{
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, ops->id, 0, ops->version);
	if (ops->save(obj, &w))
		fz_die("save failed");
	state_end(&w);
	if (state_writer_finish(&w))
		fz_die("stream failed");
	size_t n;
	const uint8_t *p = state_writer_data(&w, &n);
	struct state_stream st;
	struct state_section sec;
	if (state_open(&st, p, n, NULL, 0) || state_next(&st, &sec) != 1)
		fz_die("own stream unreadable");
	if (ops->load(fresh, &sec.r, ops->version))
		fz_die("a device refused its own saved state");
	state_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct bus pio;
	bus_init(&pio, "pio");
	struct irq_line l = { &hooks, NULL, 1 }, aux = { &hooks, NULL, 12 };
	struct i8042 *k = NULL;
	struct bochs_display *b = NULL;
	struct vnc_fb vf;
	if (i8042_create(&k, &pio, &l, &hooks, NULL) || i8042_attach_input(k, &aux) ||
	    bochs_display_create(&b, NULL, NULL, 0, 0) || vnc_fb_init(&vf))
		fz_die("setup");
	const struct pci_bar *bar0 = &bochs_display_pci(b)->bar[0], *bar2 = &bochs_display_pci(b)->bar[2];
	static const unsigned sizes[4] = { 1, 2, 4, 8 };
	for (int ops = 0; f.n && ops < 4096; ops++) {
		uint8_t v8[8] = { 0 };
		switch (fz_take(&f, 1) % 12) {
		case 0: {
			uint64_t off = fz_take(&f, 2) % BOCHS_MMIO_SIZE;
			unsigned sz = sizes[fz_take(&f, 1) % 4];
			uint64_t v = fz_take(&f, 4);
			memcpy(v8, &v, 8);
			if (off + sz <= BOCHS_MMIO_SIZE)
				bar2->ops->write(bar2->opaque, off, v8, sz);
			check_scanout(b);
			break;
		}
		case 1: {
			uint64_t off = fz_take(&f, 2) % BOCHS_MMIO_SIZE;
			unsigned sz = sizes[fz_take(&f, 1) % 4];
			if (off + sz <= BOCHS_MMIO_SIZE)
				bar2->ops->read(bar2->opaque, off, v8, sz);
			break;
		}
		case 2: {
			uint64_t off = fz_take(&f, 4) % BOCHS_FB_SIZE;
			unsigned sz = sizes[fz_take(&f, 1) % 4];
			uint64_t v = fz_take(&f, 4);
			memcpy(v8, &v, 8);
			if (off + sz <= BOCHS_FB_SIZE)
				bar0->ops->write(bar0->opaque, off, v8, sz);
			break;
		}
		case 3: {
			uint32_t *old = NULL;
			vnc_fb_refresh(&vf, b, mark, &vf, &old);
			free(old);
			break;
		}
		case 4:
			v8[0] = (uint8_t)fz_take(&f, 1);
			bus_access(&pio, 0x60, v8, 1, 1);
			break;
		case 5:
			v8[0] = (uint8_t)fz_take(&f, 1);
			if (v8[0] < 0xf0) /* not the reset pulse: nothing would stop */
				bus_access(&pio, 0x64, v8, 1, 1);
			break;
		case 6:
			bus_access(&pio, fz_take(&f, 1) & 1 ? 0x64 : 0x60, v8, 1, 0);
			break;
		case 7: {
			unsigned xt = (unsigned)fz_take(&f, 1);
			i8042_key(k, xt, (int)(fz_take(&f, 1) & 1));
			break;
		}
		case 8: {
			int dx = (int8_t)fz_take(&f, 1) * 8, dy = (int8_t)fz_take(&f, 1) * 8, dz = (int8_t)fz_take(&f, 1);
			i8042_mouse(k, dx, dy, dz, (unsigned)fz_take(&f, 1));
			break;
		}
		case 9: {
			unsigned a = keymap_keysym_to_xt((uint32_t)fz_take(&f, 4));
			unsigned q = keymap_qnum_to_xt((uint32_t)fz_take(&f, 4));
			if (a > 0xff || q > 0xff)
				fz_die("a key number past 0xff");
			i8042_key(k, q ? q : a, 1);
			break;
		}
		case 10: {
			struct i8042 *k2 = NULL;
			struct bochs_display *b2 = NULL;
			struct bus pio2;
			bus_init(&pio2, "pio");
			if (i8042_create(&k2, &pio2, &l, &hooks, NULL) || i8042_attach_input(k2, &aux) ||
			    bochs_display_create(&b2, NULL, NULL, 0, 0))
				fz_die("setup");
			round_trip(&i8042_state_ops, k, k2);
			round_trip(&bochs_display_state_ops, b, b2);
			i8042_destroy(k2);
			bochs_display_destroy(b2);
			bus_destroy(&pio2);
			break;
		}
		default: {
			size_t got;
			const uint8_t *rest = fz_bytes(&f, f.n, &got);
			char *s = malloc(got + 1);
			if (!s)
				break;
			memcpy(s, rest, got);
			s[got] = 0;
			struct vnc_cfg c;
			char err[256] = "";
			if (vnc_cfg_parse(&c, s, err, sizeof(err)) && (!err[0] || (strchr(err, '\n') && !memchr(s, '\n', got))))
				fz_die("a --vnc error without a reason or on several lines");
			free(s);
			break;
		}
		}
	}
	vnc_fb_free(&vf);
	bochs_display_destroy(b);
	i8042_destroy(k);
	bus_destroy(&pio);
	return 0;
}
