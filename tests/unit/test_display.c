// SPDX-License-Identifier: GPL-2.0-or-later
/* bochs-display without KVM: the PCI function's ids and BARs, DISPI registers through BAR2 (ID,
 * mode set, GETCAPS, clamping, hostile values never describing bytes past the framebuffer), the
 * EDID block Linux reads at offset 0, QEMU's extended registers, BAR0 writes through the bus with
 * their dirty pages, the clear on a mode set, the state round trip (registers and framebuffer);
 * the VNC shadow (vnc_fb): conversions of every depth, only changed rectangles reported, a resize;
 * the --vnc parser and the keysym map. */
#include "unit.h"
#include "devices/display/bochs.h"
#include "devices/display/edid.h"
#include "devices/pci.h"
#include "state_test.h"
#include "ui/keymap.h"
#include "ui/vnc_cfg.h"
#include "ui/vnc_fb.h"
#include "vmm/state.h"

static struct bochs_display *mk(void)
{
	struct bochs_display *b;
	ck_assert_int_eq(bochs_display_create(&b, NULL, NULL, 1280, 800), 0);
	return b;
}

static void reg_w(struct bochs_display *b, unsigned idx, uint16_t v)
{
	const struct pci_bar *bar = &bochs_display_pci(b)->bar[2];
	bar->ops->write(bar->opaque, BOCHS_DISPI_OFF + 2 * idx, &v, 2);
}

static uint16_t reg_r(struct bochs_display *b, unsigned idx)
{
	const struct pci_bar *bar = &bochs_display_pci(b)->bar[2];
	uint16_t v = 0;
	bar->ops->read(bar->opaque, BOCHS_DISPI_OFF + 2 * idx, &v, 2);
	return v;
}

static void set_mode(struct bochs_display *b, unsigned w, unsigned h, unsigned bpp)
{
	reg_w(b, DISPI_INDEX_ENABLE, 0);
	reg_w(b, DISPI_INDEX_XRES, (uint16_t)w);
	reg_w(b, DISPI_INDEX_YRES, (uint16_t)h);
	reg_w(b, DISPI_INDEX_BPP, (uint16_t)bpp);
	reg_w(b, DISPI_INDEX_ENABLE, DISPI_ENABLED | DISPI_LFB_ENABLED);
}

static void fb_w32(struct bochs_display *b, uint64_t off, uint32_t v)
{
	const struct pci_bar *bar = &bochs_display_pci(b)->bar[0];
	bar->ops->write(bar->opaque, off, &v, 4);
}

START_TEST(pci_identity_and_regs)
{
	struct bochs_display *b = mk();
	struct pci_dev *d = bochs_display_pci(b);
	ck_assert_uint_eq(d->cfg[0] | d->cfg[1] << 8, 0x1234);
	ck_assert_uint_eq(d->cfg[2] | d->cfg[3] << 8, 0x1111);
	ck_assert_uint_eq(d->cfg[0x0b], 0x03); /* display controller */
	ck_assert_uint_eq(d->cfg[0x0a], 0x00); /* VGA-compatible subclass 00 */
	ck_assert_uint_eq(d->bar[0].size, 16u << 20);
	ck_assert_uint_eq(d->bar[2].size, 4096);
	ck_assert_uint_eq(reg_r(b, DISPI_INDEX_ID), 0xb0c5);
	ck_assert_uint_eq(reg_r(b, DISPI_INDEX_VIDEO_MEMORY_64K), 256);
	reg_w(b, DISPI_INDEX_ID, 0xb0c0); /* the guest cannot change the version */
	ck_assert_uint_eq(reg_r(b, DISPI_INDEX_ID), 0xb0c5);
	reg_w(b, DISPI_INDEX_ENABLE, DISPI_GETCAPS);
	ck_assert_uint_eq(reg_r(b, DISPI_INDEX_XRES), DISPI_MAX_XRES);
	ck_assert_uint_eq(reg_r(b, DISPI_INDEX_BPP), 32);
	reg_w(b, DISPI_INDEX_ENABLE, 0);
	struct dispi_scanout s;
	bochs_display_scanout(b, &s);
	ck_assert_int_eq(s.enabled, 0);
	set_mode(b, 800, 600, 32);
	bochs_display_scanout(b, &s);
	ck_assert_int_eq(s.enabled, 1);
	ck_assert_uint_eq(s.width, 800);
	ck_assert_uint_eq(s.height, 600);
	ck_assert_uint_eq(s.stride, 3200);
	ck_assert_uint_eq(reg_r(b, DISPI_INDEX_VIRT_WIDTH), 800);
	ck_assert_uint_eq(reg_r(b, DISPI_INDEX_VIRT_HEIGHT), (16u << 20) / 3200);
	/* panning (Linux's page flip sets the Y offset) */
	reg_w(b, DISPI_INDEX_Y_OFFSET, 600);
	bochs_display_scanout(b, &s);
	ck_assert_uint_eq(s.offset, 600 * 3200);
	/* hostile: an offset past the end gives no usable mode, not an out-of-bounds scanout */
	reg_w(b, DISPI_INDEX_Y_OFFSET, 0xffff);
	bochs_display_scanout(b, &s);
	ck_assert_int_eq(s.enabled, 0);
	reg_w(b, DISPI_INDEX_Y_OFFSET, 0);
	reg_w(b, DISPI_INDEX_XRES, 0xffff); /* clamped */
	ck_assert_uint_eq(reg_r(b, DISPI_INDEX_XRES), DISPI_MAX_XRES);
	reg_w(b, DISPI_INDEX_BPP, 7); /* no such depth */
	bochs_display_scanout(b, &s);
	ck_assert_int_eq(s.enabled, 0);
	reg_w(b, DISPI_INDEX_VIRT_WIDTH, 0xfff8);
	reg_w(b, DISPI_INDEX_BPP, 32);
	bochs_display_scanout(b, &s);
	if (s.enabled)
		ck_assert_uint_le((uint64_t)s.offset + (uint64_t)(s.height - 1) * s.stride + s.width * 4, 16u << 20);
	bochs_display_destroy(b);
}
END_TEST

START_TEST(edid_and_qext)
{
	struct bochs_display *b = mk();
	const struct pci_bar *bar = &bochs_display_pci(b)->bar[2];
	uint8_t e[EDID_BLOCK];
	for (unsigned i = 0; i < EDID_BLOCK; i += 4) /* Linux reads it a byte at a time; dwords work too */
		bar->ops->read(bar->opaque, i, e + i, 4);
	ck_assert(edid_valid(e));
	ck_assert_uint_eq(e[18], 1);
	ck_assert_uint_eq(e[19], 4);
	/* the preferred (first detailed) timing is the one asked for: 1280 x 800 */
	ck_assert_uint_eq(e[56] | (e[58] >> 4) << 8, 1280);
	ck_assert_uint_eq(e[59] | (e[61] >> 4) << 8, 800);
	ck_assert_uint_ne(e[54] | e[55] << 8, 0); /* a pixel clock */
	ck_assert(!memcmp(e + 77, "kvmini\n", 7)); /* monitor name */
	uint8_t byte = 0xee;
	bar->ops->read(bar->opaque, 0, &byte, 1);
	ck_assert_uint_eq(byte, 0x00);
	uint32_t v = 0;
	bar->ops->read(bar->opaque, BOCHS_QEXT_OFF, &v, 4);
	ck_assert_uint_eq(v, 8);
	v = 0x1e1e1e1e;
	bar->ops->write(bar->opaque, BOCHS_QEXT_OFF + 4, &v, 4);
	v = 0;
	bar->ops->read(bar->opaque, BOCHS_QEXT_OFF + 4, &v, 4);
	ck_assert_uint_eq(v, 0x1e1e1e1e);
	v = 0x12345678; /* not an endianness: ignored */
	bar->ops->write(bar->opaque, BOCHS_QEXT_OFF + 4, &v, 4);
	bar->ops->read(bar->opaque, BOCHS_QEXT_OFF + 4, &v, 4);
	ck_assert_uint_eq(v, 0x1e1e1e1e);
	/* a bad EDID request size gives the built-in default instead */
	edid_build(e, 0, 0, NULL);
	ck_assert(edid_valid(e));
	ck_assert_uint_eq(e[56] | (e[58] >> 4) << 8, 1024);
	bochs_display_destroy(b);
}
END_TEST

START_TEST(dirty_pages_and_clear)
{
	struct bochs_display *b = mk();
	uint64_t bm[BOCHS_DIRTY_WORDS] = { 0 };
	ck_assert_int_eq(bochs_display_dirty(b, bm), 0);
	ck_assert_uint_eq(bm[0], ~0ULL); /* everything, the first time */
	memset(bm, 0, sizeof(bm));
	ck_assert_int_eq(bochs_display_dirty(b, bm), 0);
	ck_assert_uint_eq(bm[0] | bm[1], 0);
	fb_w32(b, 5 * 4096 + 8, 0x00ff0000);
	fb_w32(b, 70 * 4096, 0x0000ff00);
	ck_assert_int_eq(bochs_display_dirty(b, bm), 0);
	ck_assert_uint_eq(bm[0], 1ULL << 5);
	ck_assert_uint_eq(bm[1], 1ULL << 6);
	const uint32_t *fb = (const uint32_t *)bochs_display_fb(b);
	ck_assert_uint_eq(fb[(5 * 4096 + 8) / 4], 0x00ff0000);
	/* a mode set keeps what the guest drew (Linux fills its buffer, then enables the mode) */
	set_mode(b, 640, 480, 32);
	ck_assert_uint_eq(fb[(5 * 4096 + 8) / 4], 0x00ff0000);
	memset(bm, 0, sizeof(bm));
	bochs_display_dirty(b, bm);
	ck_assert_uint_eq(bm[0], ~0ULL); /* and the mode change redraws everything */
	bochs_display_destroy(b);
}
END_TEST

START_TEST(state_round_trip)
{
	struct bochs_display *a = mk(), *b = mk();
	set_mode(a, 1024, 768, 32);
	reg_w(a, DISPI_INDEX_Y_OFFSET, 768);
	fb_w32(a, 4, 0x112233);
	fb_w32(a, (1024 * 768 * 2 - 1) * 4, 0x445566); /* the last pixel of the second page */
	size_t n;
	uint8_t *p = st_save(&bochs_display_state_ops, a, &n);
	ck_assert_uint_lt(n, 7u << 20); /* the zero tail of the framebuffer is not saved */
	ck_assert_int_eq(st_load(&bochs_display_state_ops, b, p, n), 0);
	struct dispi_scanout sa, sb;
	bochs_display_scanout(a, &sa);
	bochs_display_scanout(b, &sb);
	ck_assert(!memcmp(&sa, &sb, sizeof(sa)));
	ck_assert(!memcmp(bochs_display_fb(a), bochs_display_fb(b), BOCHS_FB_SIZE));
	/* a corrupt register (ID) is refused and leaves the device alone */
	size_t id_at = PCI_CFG_SIZE;
	uint8_t save = p[id_at];
	p[id_at] ^= 1;
	struct bochs_display *c = mk();
	ck_assert_int_eq(st_load(&bochs_display_state_ops, c, p, n), -EINVAL);
	bochs_display_scanout(c, &sb);
	ck_assert_int_eq(sb.enabled, 0);
	p[id_at] = save;
	ck_assert_int_eq(st_load(&bochs_display_state_ops, c, p, n - 1), -EBADMSG);
	free(p);
	bochs_display_destroy(a);
	bochs_display_destroy(b);
	bochs_display_destroy(c);
}
END_TEST

struct marks {
	int n;
	int r[64][4];
};
static void rec_mark(void *o, int x0, int y0, int x1, int y1)
{
	struct marks *m = o;
	if (m->n < 64) {
		m->r[m->n][0] = x0;
		m->r[m->n][1] = y0;
		m->r[m->n][2] = x1;
		m->r[m->n][3] = y1;
	}
	m->n++;
}

START_TEST(vnc_shadow)
{
	struct bochs_display *b = mk();
	struct vnc_fb f;
	ck_assert_int_eq(vnc_fb_init(&f), 0);
	struct marks m = { 0 };
	uint32_t *old;
	/* disabled: black 640x480, marked whole once */
	ck_assert_int_eq(vnc_fb_refresh(&f, b, rec_mark, &m, &old), 1);
	ck_assert_ptr_null(old);
	ck_assert_int_eq(vnc_fb_refresh(&f, b, rec_mark, &m, &old), 0);
	set_mode(b, 320, 200, 32);
	m.n = 0;
	vnc_fb_refresh(&f, b, rec_mark, &m, &old);
	ck_assert_ptr_nonnull(old); /* resized */
	free(old);
	ck_assert_uint_eq(f.w, 320);
	ck_assert_uint_eq(f.h, 200);
	/* an idle screen reports nothing */
	m.n = 0;
	ck_assert_int_eq(vnc_fb_refresh(&f, b, rec_mark, &m, &old), 0);
	/* one pixel at (10, 50): one rectangle around exactly it */
	fb_w32(b, (50 * 320 + 10) * 4, 0x00ff8000);
	m.n = 0;
	ck_assert_int_eq(vnc_fb_refresh(&f, b, rec_mark, &m, &old), 1);
	ck_assert_int_eq(m.r[0][0], 10);
	ck_assert_int_eq(m.r[0][1], 50);
	ck_assert_int_eq(m.r[0][2], 11);
	ck_assert_int_eq(m.r[0][3], 51);
	ck_assert_uint_eq(f.px[50 * 320 + 10], 0xff8000);
	/* writing the same value again dirties the page but changes nothing */
	fb_w32(b, (50 * 320 + 10) * 4, 0x00ff8000);
	ck_assert_int_eq(vnc_fb_refresh(&f, b, rec_mark, &m, &old), 0);
	/* 16 bpp: the mode changes, everything is compared and converted */
	set_mode(b, 320, 200, 16);
	const struct pci_bar *bar = &bochs_display_pci(b)->bar[0];
	uint16_t red = 0xf800;
	bar->ops->write(bar->opaque, 2 * 3, &red, 2);
	vnc_fb_refresh(&f, b, rec_mark, &m, &old);
	ck_assert_ptr_null(old);
	ck_assert_uint_eq(f.px[3], 0xff0000);
	vnc_fb_free(&f);
	bochs_display_destroy(b);
}
END_TEST

START_TEST(pixel_formats)
{
	uint32_t out[2];
	const uint8_t p32[8] = { 0x11, 0x22, 0x33, 0xff, 1, 2, 3, 0 };
	vnc_fb_convert(p32, 32, 2, out);
	ck_assert_uint_eq(out[0], 0x332211);
	ck_assert_uint_eq(out[1], 0x030201);
	const uint8_t p24[6] = { 0x11, 0x22, 0x33, 4, 5, 6 };
	vnc_fb_convert(p24, 24, 2, out);
	ck_assert_uint_eq(out[1], 0x060504);
	const uint8_t p16[4] = { 0xe0, 0x07, 0x1f, 0x00 }; /* green 0x07e0, blue 0x001f */
	vnc_fb_convert(p16, 16, 2, out);
	ck_assert_uint_eq(out[0], 0x00ff00);
	ck_assert_uint_eq(out[1], 0x0000ff);
	const uint8_t p15[2] = { 0x00, 0x7c }; /* red 0x7c00 */
	vnc_fb_convert(p15, 15, 1, out);
	ck_assert_uint_eq(out[0], 0xff0000);
	const uint8_t p8[2] = { 0xe0, 0x03 };
	vnc_fb_convert(p8, 8, 2, out);
	ck_assert_uint_eq(out[0], 0xff0000);
	ck_assert_uint_eq(out[1], 0x0000ff);
}
END_TEST

START_TEST(vnc_spec)
{
	struct vnc_cfg c;
	char err[256];
	ck_assert_int_eq(vnc_cfg_parse(&c, ":19", err, sizeof(err)), 0);
	ck_assert_int_eq(c.kind, VNC_TCP);
	ck_assert_str_eq(c.host, "127.0.0.1");
	ck_assert_uint_eq(c.display, 19);
	ck_assert_int_eq(vnc_cfg_parse(&c, "0.0.0.0:1,password=on", err, sizeof(err)), 0);
	ck_assert_str_eq(c.host, "0.0.0.0");
	ck_assert_int_eq(c.password, 1);
	ck_assert_int_eq(vnc_cfg_parse(&c, "[::1]:2,pointer=ps2", err, sizeof(err)), 0);
	ck_assert_str_eq(c.host, "::1");
	ck_assert_int_eq(c.pointer_ps2, 1);
	ck_assert_int_eq(vnc_cfg_parse(&c, "unix:/run/x.sock,password-file=/etc/pw", err, sizeof(err)), 0);
	ck_assert_int_eq(c.kind, VNC_UNIX);
	ck_assert_str_eq(c.path, "/run/x.sock");
	ck_assert_str_eq(c.password_file, "/etc/pw");
	ck_assert_int_eq(c.password, 1);
	static const char *bad[] = { "", "19", ":", ":x", ":59636", ":123456", "::1:5", "[::1]", "unix:", "h:1,bogus",
				     ":1,password=maybe", ":1,password-file=", "[::1:3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ck_assert_msg(vnc_cfg_parse(&c, bad[i], err, sizeof(err)) == -EINVAL, "'%s' accepted", bad[i]);
		ck_assert_msg(err[0] && !strchr(err, '\n'), "'%s': no one-line reason", bad[i]);
	}
	ck_assert_int_eq(vnc_cfg_parse(&c, ":59635", err, sizeof(err)), 0); /* port 65535 */
}
END_TEST

START_TEST(keysyms)
{
	ck_assert_uint_eq(keymap_keysym_to_xt('a'), 0x1e);
	ck_assert_uint_eq(keymap_keysym_to_xt('A'), 0x1e);
	ck_assert_uint_eq(keymap_keysym_to_xt('!'), 0x02);
	ck_assert_uint_eq(keymap_keysym_to_xt(' '), 0x39);
	ck_assert_uint_eq(keymap_keysym_to_xt('~'), 0x29);
	ck_assert_uint_eq(keymap_keysym_to_xt(0xff0d), 0x1c); /* Return */
	ck_assert_uint_eq(keymap_keysym_to_xt(0xffe4), 0x9d); /* Control_R */
	ck_assert_uint_eq(keymap_keysym_to_xt(0xff52), 0xc8); /* Up */
	ck_assert_uint_eq(keymap_keysym_to_xt(0xffbe), 0x3b); /* F1 */
	ck_assert_uint_eq(keymap_keysym_to_xt(0xffc9), 0x58); /* F12 */
	ck_assert_uint_eq(keymap_keysym_to_xt(0xffb5), 0x4c); /* KP_5 */
	ck_assert_uint_eq(keymap_keysym_to_xt(0xe9), 0); /* é: no US key */
	ck_assert_uint_eq(keymap_keysym_to_xt(0x7f), 0);
	ck_assert_uint_eq(keymap_qnum_to_xt(0x1e), 0x1e);
	ck_assert_uint_eq(keymap_qnum_to_xt(0x9d), 0x9d);
	ck_assert_uint_eq(keymap_qnum_to_xt(0xe01d), 0x9d);
	ck_assert_uint_eq(keymap_qnum_to_xt(0), 0);
	ck_assert_uint_eq(keymap_qnum_to_xt(0x12345), 0);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("display");
	TCase *t = tcase_create("display");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, pci_identity_and_regs);
	tcase_add_test(t, edid_and_qext);
	tcase_add_test(t, dirty_pages_and_clear);
	tcase_add_test(t, state_round_trip);
	tcase_add_test(t, vnc_shadow);
	tcase_add_test(t, pixel_formats);
	tcase_add_test(t, vnc_spec);
	tcase_add_test(t, keysyms);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
