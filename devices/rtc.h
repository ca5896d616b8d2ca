/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MC146818 CMOS RTC at 0x70/0x71: the host's UTC clock (plus whatever offset the guest sets) in the
 * format register B asks for, and the 128 bytes of CMOS memory firmware conventions read. No
 * periodic, alarm or update interrupts. */
#ifndef KVMINI_RTC_H
#define KVMINI_RTC_H
#include <stdint.h>

#include "vmm/bus.h"

struct rtc;

/* Registers LAYOUT_RTC (2 ports) on pio. */
int rtc_create(struct rtc **out, struct bus *pio);
void rtc_destroy(struct rtc *r);
/* Fills the memory-size bytes (0x15-0x18, 0x30/0x31, 0x34/0x35, 0x5b-0x5d) as SeaBIOS/QEMU do:
 * below_4g and above_4g are RAM byte counts. */
void rtc_set_memory(struct rtc *r, uint64_t below_4g, uint64_t above_4g);
/* One byte of CMOS memory (0x0e..0x7f) the firmware reads, e.g. SeaBIOS's boot-device bytes 0x38
 * and 0x3d and its CPU count 0x5f. -EINVAL for the clock's registers. */
int rtc_set_cmos(struct rtc *r, unsigned idx, uint8_t v);

/* Saved state (vmm/state.h): the index register, CMOS RAM, the guest's offset from host UTC (so
 * the guest's clock goes on from the target's wall clock, as a battery-backed RTC would) and the
 * time frozen while register B's SET bit is on. */
struct state_writer;
struct state_reader;
int rtc_state_save(const struct rtc *r, struct state_writer *w);
int rtc_state_load(struct rtc *r, struct state_reader *sec, uint32_t version);
extern const struct state_ops rtc_state_ops; /* id "rtc" */

#endif
