// SPDX-License-Identifier: GPL-2.0-or-later
#include "unit.h"
#include "devices/rtc.h"
#include "firmware/layout.h"
#include "vmm/bus.h"

#include <time.h>

struct fix {
	struct bus pio;
	struct rtc *r;
};

static void setup(struct fix *f)
{
	bus_init(&f->pio, "pio");
	ck_assert_int_eq(rtc_create(&f->r, &f->pio), 0);
}

static void teardown(struct fix *f)
{
	rtc_destroy(f->r);
	bus_destroy(&f->pio);
}

static uint8_t cmos_read(struct fix *f, uint8_t idx)
{
	uint8_t v = idx;
	ck_assert_int_ge(bus_access(&f->pio, LAYOUT_RTC, &v, 1, 1), 0);
	ck_assert_int_ge(bus_access(&f->pio, LAYOUT_RTC + 1, &v, 1, 0), 0);
	return v;
}

static void cmos_write(struct fix *f, uint8_t idx, uint8_t v)
{
	ck_assert_int_ge(bus_access(&f->pio, LAYOUT_RTC, &idx, 1, 1), 0);
	ck_assert_int_ge(bus_access(&f->pio, LAYOUT_RTC + 1, &v, 1, 1), 0);
}

static int bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 15);
}

/* guest time as seconds since the epoch, read the way Linux's mc146818_get_time() does */
static time_t guest_time(struct fix *f)
{
	uint8_t b = cmos_read(f, 0x0b);
	int bin = b & 0x04;
	struct tm tm = { 0 };
	tm.tm_sec = bin ? cmos_read(f, 0) : bcd(cmos_read(f, 0));
	tm.tm_min = bin ? cmos_read(f, 2) : bcd(cmos_read(f, 2));
	uint8_t h = cmos_read(f, 4);
	if (b & 0x02) {
		tm.tm_hour = bin ? h : bcd(h);
	} else {
		int h12 = (bin ? h & 0x7f : bcd(h & 0x7f)) % 12;
		tm.tm_hour = h12 + ((h & 0x80) ? 12 : 0);
	}
	tm.tm_mday = bin ? cmos_read(f, 7) : bcd(cmos_read(f, 7));
	tm.tm_mon = (bin ? cmos_read(f, 8) : bcd(cmos_read(f, 8))) - 1;
	int yy = bin ? cmos_read(f, 9) : bcd(cmos_read(f, 9));
	int cc = bin ? cmos_read(f, 0x32) : bcd(cmos_read(f, 0x32));
	tm.tm_year = cc * 100 + yy - 1900;
	return timegm(&tm);
}

START_TEST(time_matches_host)
{
	struct fix f;
	setup(&f);
	ck_assert_uint_eq(cmos_read(&f, 0x0d), 0x80);
	ck_assert_uint_eq(cmos_read(&f, 0x0c), 0);
	for (int mode = 0; mode < 4; mode++) {
		cmos_write(&f, 0x0b, (uint8_t)((mode & 1 ? 0x04 : 0) | (mode & 2 ? 0x02 : 0)));
		time_t g = guest_time(&f), h = time(NULL);
		ck_assert_int_le(g > h ? g - h : h - g, 2);
	}
	teardown(&f);
}
END_TEST

START_TEST(set_time)
{
	struct fix f;
	setup(&f);
	/* 2001-02-03 04:05:06 UTC in BCD, 24h, written under SET */
	cmos_write(&f, 0x0b, 0x82);
	cmos_write(&f, 0, 0x06);
	cmos_write(&f, 2, 0x05);
	cmos_write(&f, 4, 0x04);
	cmos_write(&f, 7, 0x03);
	cmos_write(&f, 8, 0x02);
	cmos_write(&f, 9, 0x01);
	cmos_write(&f, 0x32, 0x20);
	ck_assert_uint_eq(cmos_read(&f, 0), 0x06); /* frozen while SET */
	cmos_write(&f, 0x0b, 0x02);
	time_t want = 981173106;
	time_t g = guest_time(&f);
	ck_assert_int_ge(g, want);
	ck_assert_int_le(g, want + 2);
	ck_assert_uint_eq(cmos_read(&f, 6), 7); /* a Saturday */
	/* a single write without SET moves the clock too: 12h mode, 5 PM */
	cmos_write(&f, 0x0b, 0x00);
	cmos_write(&f, 4, 0x85);
	ck_assert_uint_eq(cmos_read(&f, 4), 0x85);
	cmos_write(&f, 0x0b, 0x02);
	ck_assert_uint_eq(cmos_read(&f, 4), 0x17);
	teardown(&f);
}
END_TEST

START_TEST(uip_not_stuck)
{
	struct fix f;
	setup(&f);
	/* over a little more than a second UIP is seen clear, and it is never set for long */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int clear = 0, set = 0;
	do {
		if (cmos_read(&f, 0x0a) & 0x80)
			set++;
		else
			clear++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 1100000000L);
	ck_assert_int_gt(clear, 0);
	ck_assert_int_lt(set, clear / 100 + 1);
	ck_assert_uint_eq(cmos_read(&f, 0x0a) & 0x7f, 0x26);
	teardown(&f);
}
END_TEST

START_TEST(nmi_bit_and_memory)
{
	struct fix f;
	setup(&f);
	rtc_set_memory(f.r, 3ULL << 30, 1ULL << 32);
	ck_assert_uint_eq(cmos_read(&f, 0x80 | 0x0d), 0x80); /* NMI-disable bit is not part of the index */
	ck_assert_uint_eq(cmos_read(&f, 0x34) | cmos_read(&f, 0x35) << 8, ((3u << 30) - (16u << 20)) >> 16);
	ck_assert_uint_eq(cmos_read(&f, 0x5c), 0x00);
	ck_assert_uint_eq(cmos_read(&f, 0x5d), 0x01);
	ck_assert_uint_eq(cmos_read(&f, 0x30) | cmos_read(&f, 0x31) << 8, 0xffff);
	cmos_write(&f, 0x40, 0xab); /* plain CMOS memory */
	ck_assert_uint_eq(cmos_read(&f, 0x40), 0xab);
	cmos_write(&f, 0x0d, 0); /* D and C are read-only */
	ck_assert_uint_eq(cmos_read(&f, 0x0d), 0x80);
	teardown(&f);
}
END_TEST

START_TEST(hostile)
{
	struct fix f;
	setup(&f);
	for (int b = 0; b < 2; b++) {
		cmos_write(&f, 0x0b, b ? 0x86 : 0x80);
		for (unsigned idx = 0; idx < 0x80; idx++)
			cmos_write(&f, (uint8_t)idx, 0xff);
		for (unsigned idx = 0; idx < 0x80; idx++)
			cmos_read(&f, (uint8_t)idx);
		cmos_write(&f, 0x0b, 0x06);
		guest_time(&f);
	}
	uint64_t v = 0;
	for (unsigned off = 0; off < 2; off++)
		for (unsigned size = 1; size <= 8; size *= 2) {
			bus_access(&f.pio, LAYOUT_RTC + off, &v, size, 0);
			bus_access(&f.pio, LAYOUT_RTC + off, &v, size, 1);
		}
	uint16_t w = 0x0d | 0x00 << 8;
	ck_assert_int_ge(bus_access(&f.pio, LAYOUT_RTC, &w, 2, 0), 0);
	teardown(&f);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("rtc");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, time_matches_host);
	tcase_add_test(tc, set_time);
	tcase_add_test(tc, uip_not_stuck);
	tcase_add_test(tc, nmi_bit_and_memory);
	tcase_add_test(tc, hostile);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
