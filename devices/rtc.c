// SPDX-License-Identifier: GPL-2.0-or-later
/* CMOS RTC model. The time registers are never stored: every read converts host time plus the
 * guest's offset, so the clock cannot drift or stall; register B's SET bit freezes a copy while the
 * guest writes a new time, as on the real chip. */
#include "rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firmware/layout.h"
#include "vmm/le.h"
#include "vmm/state.h"

enum {
	REG_SEC = 0x00,
	REG_MIN = 0x02,
	REG_HOUR = 0x04,
	REG_WDAY = 0x06,
	REG_MDAY = 0x07,
	REG_MON = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32,
};

#define A_UIP 0x80
#define B_SET 0x80
#define B_IRQ_ENABLES 0x70 /* PIE, AIE, UIE: stored, never fire */
#define B_BINARY 0x04
#define B_24H 0x02
#define D_VRT 0x80
#define UIP_NS 244000 /* UIP is high for the last 244 us of every second */

struct rtc {
	pthread_mutex_t lock;
	struct bus *pio;
	uint8_t index;
	uint8_t cmos[128];
	int64_t offset; /* guest seconds minus host seconds */
	struct tm frozen; /* guest time while B_SET is on */
};

static void host_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static void guest_tm(struct rtc *r, struct tm *tm)
{
	if (r->cmos[REG_B] & B_SET) {
		*tm = r->frozen;
		return;
	}
	struct timespec ts;
	host_now(&ts);
	time_t t = (time_t)(ts.tv_sec + r->offset);
	if (!gmtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

/* new guest time from a broken-down (possibly out-of-range: timegm normalizes it) value */
static void set_guest_tm(struct rtc *r, struct tm *tm)
{
	if (r->cmos[REG_B] & B_SET) {
		r->frozen = *tm;
		return;
	}
	tm->tm_isdst = 0;
	time_t t = timegm(tm);
	if (t == (time_t)-1)
		return;
	struct timespec ts;
	host_now(&ts);
	r->offset = (int64_t)t - ts.tv_sec;
}

static uint8_t to_reg(const struct rtc *r, int v)
{
	if (r->cmos[REG_B] & B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static int from_reg(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t hour_to_reg(const struct rtc *r, int h)
{
	if (r->cmos[REG_B] & B_24H)
		return to_reg(r, h);
	int h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(to_reg(r, h12) | (h >= 12 ? 0x80 : 0));
}

static int hour_from_reg(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_24H)
		return from_reg(r, v);
	int h = from_reg(r, v & 0x7f) % 12;
	return (v & 0x80) ? h + 12 : h;
}

/* registers that show the guest's clock (computed from the host time plus the guest's offset) */
static int is_time_reg(unsigned idx)
{
	return idx == REG_SEC || idx == REG_MIN || idx == REG_HOUR || idx == REG_WDAY || idx == REG_MDAY ||
	       idx == REG_MON || idx == REG_YEAR || idx == REG_CENTURY;
}

static uint8_t read_reg(struct rtc *r, unsigned idx)
{
	struct tm tm = { 0 };
	if (is_time_reg(idx))
		guest_tm(r, &tm);
	switch (idx) {
	case REG_SEC:
		return to_reg(r, tm.tm_sec % 60);
	case REG_MIN:
		return to_reg(r, tm.tm_min);
	case REG_HOUR:
		return hour_to_reg(r, tm.tm_hour);
	case REG_WDAY:
		return to_reg(r, tm.tm_wday + 1);
	case REG_MDAY:
		return to_reg(r, tm.tm_mday);
	case REG_MON:
		return to_reg(r, tm.tm_mon + 1);
	case REG_YEAR:
		return to_reg(r, (tm.tm_year + 1900) % 100);
	case REG_CENTURY:
		return to_reg(r, (tm.tm_year + 1900) / 100);
	case REG_A: {
		struct timespec ts;
		host_now(&ts);
		int uip = !(r->cmos[REG_B] & B_SET) && ts.tv_nsec >= 1000000000 - UIP_NS;
		return (uint8_t)((r->cmos[REG_A] & 0x7f) | (uip ? A_UIP : 0));
	}
	case REG_C:
		return 0; /* no interrupt flags, ever (reading clears them anyway) */
	case REG_D:
		return D_VRT;
	default:
		return r->cmos[idx];
	}
}

static void write_reg(struct rtc *r, unsigned idx, uint8_t v)
{
	struct tm tm = { 0 };
	if (is_time_reg(idx) && idx != REG_WDAY) /* the weekday follows from the date */
		guest_tm(r, &tm);
	switch (idx) {
	case REG_SEC:
		tm.tm_sec = from_reg(r, v);
		break;
	case REG_MIN:
		tm.tm_min = from_reg(r, v);
		break;
	case REG_HOUR:
		tm.tm_hour = hour_from_reg(r, v);
		break;
	case REG_MDAY:
		tm.tm_mday = from_reg(r, v);
		break;
	case REG_MON:
		tm.tm_mon = from_reg(r, v) - 1;
		break;
	case REG_YEAR:
		tm.tm_year = (tm.tm_year + 1900) / 100 * 100 + from_reg(r, v) - 1900;
		break;
	case REG_CENTURY:
		tm.tm_year = from_reg(r, v) * 100 + (tm.tm_year + 1900) % 100 - 1900;
		break;
	case REG_A:
		r->cmos[REG_A] = v & 0x7f; /* UIP is read-only */
		return;
	case REG_B:
		if ((v & B_SET) && !(r->cmos[REG_B] & B_SET)) {
			guest_tm(r, &r->frozen); /* freeze the clock while the guest sets it */
		} else if (!(v & B_SET) && (r->cmos[REG_B] & B_SET)) {
			tm = r->frozen;
			r->cmos[REG_B] = v;
			set_guest_tm(r, &tm); /* ...and let it run from the new value */
			return;
		}
		r->cmos[REG_B] = v;
		return;
	case REG_WDAY: /* derived from the date */
	case REG_C:
	case REG_D:
		return;
	default:
		r->cmos[idx] = v;
		return;
	}
	set_guest_tm(r, &tm);
}

/* wider accesses are byte accesses to consecutive ports (outw 0x70 = index, then data) */
static void rtc_read(void *opaque, uint64_t offset, void *data, unsigned size)
{
	struct rtc *r = opaque;
	uint8_t *d = data;
	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size; i++)
		d[i] = (offset + i) & 1 ? read_reg(r, r->index) : 0xff; /* the index port is write-only */
	pthread_mutex_unlock(&r->lock);
}

static void rtc_write(void *opaque, uint64_t offset, const void *data, unsigned size)
{
	struct rtc *r = opaque;
	const uint8_t *d = data;
	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size; i++) {
		if ((offset + i) & 1)
			write_reg(r, r->index, d[i]);
		else
			r->index = d[i] & 0x7f; /* bit 7 masks NMI: nothing to mask here */
	}
	pthread_mutex_unlock(&r->lock);
}

static const struct bus_ops rtc_ops = { rtc_read, rtc_write };

static void put16(struct rtc *r, unsigned idx, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	le_put16(r->cmos, idx, (uint16_t)v);
}

void rtc_set_memory(struct rtc *r, uint64_t below_4g, uint64_t above_4g)
{
	pthread_mutex_lock(&r->lock);
	put16(r, 0x15, 640); /* base memory, KiB */
	uint64_t ext = below_4g > (1 << 20) ? (below_4g - (1 << 20)) >> 10 : 0;
	put16(r, 0x17, ext); /* extended memory above 1 MiB, KiB */
	put16(r, 0x30, ext);
	uint64_t hi16 = below_4g > (16 << 20) ? (below_4g - (16 << 20)) >> 16 : 0;
	put16(r, 0x34, hi16); /* above 16 MiB, 64 KiB units */
	uint64_t hi4g = above_4g >> 16;
	if (hi4g > 0xffffff)
		hi4g = 0xffffff;
	r->cmos[0x5b] = (uint8_t)hi4g; /* above 4 GiB, 64 KiB units, 24 bits */
	r->cmos[0x5c] = (uint8_t)(hi4g >> 8);
	r->cmos[0x5d] = (uint8_t)(hi4g >> 16);
	pthread_mutex_unlock(&r->lock);
}

int rtc_set_cmos(struct rtc *r, unsigned idx, uint8_t v)
{
	if (idx < 0x0e || idx > 0x7f)
		return -EINVAL; /* the clock and status registers are the RTC's own */
	pthread_mutex_lock(&r->lock);
	r->cmos[idx] = v;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

int rtc_create(struct rtc **out, struct bus *pio)
{
	struct rtc *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->pio = pio;
	r->cmos[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	r->cmos[REG_B] = B_24H;
	pthread_mutex_init(&r->lock, NULL);
	int ret = bus_register(pio, LAYOUT_RTC, 2, &rtc_ops, r, "rtc");
	if (ret < 0) {
		pthread_mutex_destroy(&r->lock);
		free(r);
		return ret;
	}
	*out = r;
	return 0;
}

void rtc_destroy(struct rtc *r)
{
	if (!r)
		return;
	bus_unregister(r->pio, LAYOUT_RTC, r);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- saved state: index (u8), cmos[128], offset (u64, two's complement), then the frozen
 * time as six s32 (sec, min, hour, mday, mon, year as in struct tm) ---- */

#define OFFSET_MAX (1LL << 40) /* seconds: far beyond any date the registers can show */
#define TM_MAX 100000 /* a frozen field holds what a register write put there (timegm normalizes) */

int rtc_state_save(const struct rtc *cr, struct state_writer *w)
{
	struct rtc *r = (struct rtc *)cr; /* the lock is not part of the state */
	pthread_mutex_lock(&r->lock);
	state_put_u8(w, r->index);
	state_put_bytes(w, r->cmos, sizeof(r->cmos));
	state_put_u64(w, (uint64_t)r->offset);
	const int tm[6] = { r->frozen.tm_sec, r->frozen.tm_min, r->frozen.tm_hour,
			    r->frozen.tm_mday, r->frozen.tm_mon, r->frozen.tm_year };
	for (int i = 0; i < 6; i++)
		state_put_u32(w, (uint32_t)tm[i]);
	pthread_mutex_unlock(&r->lock);
	return state_writer_err(w);
}

int rtc_state_load(struct rtc *r, struct state_reader *sec, uint32_t version)
{
	uint8_t index = state_get_u8(sec);
	const uint8_t *cmos = state_get_ptr(sec, 128);
	int64_t offset = (int64_t)state_get_u64(sec);
	int32_t tm[6];
	for (int i = 0; i < 6; i++)
		tm[i] = (int32_t)state_get_u32(sec);
	int e = state_reader_done(sec);
	if (e)
		return e;
	if (index > 0x7f || offset > OFFSET_MAX || offset < -OFFSET_MAX || (cmos[REG_A] & A_UIP))
		return -EINVAL;
	for (unsigned i = 0; i < 128; i++) /* never stored: computed on every read */
		if ((is_time_reg(i) || i == REG_C || i == REG_D) && cmos[i])
			return -EINVAL;
	for (int i = 0; i < 6; i++)
		if (tm[i] > TM_MAX || tm[i] < -TM_MAX)
			return -EINVAL;
	pthread_mutex_lock(&r->lock);
	r->index = index;
	memcpy(r->cmos, cmos, 128);
	r->offset = offset;
	memset(&r->frozen, 0, sizeof(r->frozen));
	r->frozen.tm_sec = tm[0];
	r->frozen.tm_min = tm[1];
	r->frozen.tm_hour = tm[2];
	r->frozen.tm_mday = tm[3];
	r->frozen.tm_mon = tm[4];
	r->frozen.tm_year = tm[5];
	pthread_mutex_unlock(&r->lock);
	return 0;
}

static int save_op(const void *o, struct state_writer *w) { return rtc_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return rtc_state_load(o, r, v); }
const struct state_ops rtc_state_ops = { "rtc", 1, 1, save_op, load_op };
