// SPDX-License-Identifier: GPL-2.0-or-later
/* ACPI PM registers. The block is treated as a little byte-addressed register file so any access
 * size at any offset has a defined meaning: reads copy from a snapshot, writes apply per byte. */
#include "acpi_pm.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "firmware/layout.h"
#include "vmm/state.h"

/* offsets inside the block */
#define OFF_STS (LAYOUT_PM_EVT - LAYOUT_PM_BASE) /* 2 bytes, write 1 to clear */
#define OFF_EN (OFF_STS + 2) /* 2 bytes */
#define OFF_CNT (LAYOUT_PM_CNT - LAYOUT_PM_BASE) /* 2 bytes */
#define OFF_TMR (LAYOUT_PM_TMR - LAYOUT_PM_BASE) /* 4 bytes, read-only */

#define STS_PWRBTN 0x0100
#define STS_MASK 0x8f31 /* TMR, BM, GBL, PWRBTN, SLPBTN, RTC, WAK */
#define EN_MASK 0x0721 /* TMR, GBL, PWRBTN, SLPBTN, RTC */

#define CNT_SCI_EN 0x0001
#define CNT_SLP_TYP_SHIFT 10
#define CNT_SLP_EN 0x2000
#define CNT_WRITABLE 0x1c06 /* BM_RLD, GBL_RLS, SLP_TYP; SCI_EN fixed, SLP_EN write-only */

#define PM_TIMER_HZ 3579545ULL

#define RESET_CPU 0x04 /* reset control register: "do it" */

struct acpi_pm {
	pthread_mutex_t lock;
	struct bus *pio;
	struct irq_line sci;
	const struct vm_hooks *hooks;
	void *hooks_opaque;
	int own_reset_port;
	uint16_t sts, en, cnt;
	uint8_t reset_reg;
	int sci_level;
	uint32_t tmr_offset; /* added to the host count: a restored timer goes on from its saved value */
};

static void update_sci(struct acpi_pm *pm)
{
	int level = (pm->sts & pm->en & EN_MASK) != 0;
	if (level != pm->sci_level) {
		pm->sci_level = level;
		irq_set(&pm->sci, level);
	}
}

/* host monotonic time scaled to 3.579545 MHz, 24 bits */
static uint32_t host_ticks(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ticks = (uint64_t)ts.tv_sec * PM_TIMER_HZ + (uint64_t)ts.tv_nsec * PM_TIMER_HZ / 1000000000ULL;
	return (uint32_t)(ticks & 0xffffff);
}

/* the 24-bit free-running counter the guest reads */
static uint32_t pm_timer(const struct acpi_pm *pm)
{
	return (host_ticks() + __atomic_load_n(&pm->tmr_offset, __ATOMIC_RELAXED)) & 0xffffff;
}

static void stop(struct acpi_pm *pm, int reason)
{
	if (pm->hooks && pm->hooks->request_stop)
		pm->hooks->request_stop(pm->hooks_opaque, reason);
}

static void pm_read(void *opaque, uint64_t offset, void *data, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint8_t regs[LAYOUT_PM_LEN] = { 0 };
	pthread_mutex_lock(&pm->lock);
	uint16_t cnt = (uint16_t)(pm->cnt | CNT_SCI_EN); /* always in ACPI mode: no SMI handshake */
	memcpy(&regs[OFF_STS], &pm->sts, 2);
	memcpy(&regs[OFF_EN], &pm->en, 2);
	memcpy(&regs[OFF_CNT], &cnt, 2);
	pthread_mutex_unlock(&pm->lock);
	if (offset < OFF_TMR + 4 && offset + size > OFF_TMR) {
		uint32_t t = pm_timer(pm);
		memcpy(&regs[OFF_TMR], &t, 4);
	}
	/* the bus guarantees offset + size <= LAYOUT_PM_LEN */
	memcpy(data, &regs[offset], size);
}

static void pm_write(void *opaque, uint64_t offset, const void *data, unsigned size)
{
	struct acpi_pm *pm = opaque;
	const uint8_t *d = data;
	int cnt_written = 0;
	uint16_t slp = 0;
	pthread_mutex_lock(&pm->lock);
	for (unsigned i = 0; i < size; i++) {
		uint64_t o = offset + i;
		uint16_t b = d[i];
		unsigned shift = (o & 1) * 8;
		if (o < OFF_EN) {
			pm->sts &= (uint16_t)~((b << shift) & STS_MASK);
		} else if (o < OFF_EN + 2) {
			pm->en = (uint16_t)((pm->en & ~(0xff << shift)) | ((b << shift) & EN_MASK));
		} else if (o >= OFF_CNT && o < OFF_CNT + 2) {
			pm->cnt = (uint16_t)((pm->cnt & ~(0xff << shift)) | ((b << shift) & CNT_WRITABLE));
			slp |= (uint16_t)((b << shift) & CNT_SLP_EN);
			cnt_written = 1;
		}
	}
	int poweroff = cnt_written && slp &&
		       ((pm->cnt >> CNT_SLP_TYP_SHIFT) & 7) == ACPI_PM_SLP_TYP_S5;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	/* other sleep states are not supported: SLP_EN with them is ignored and the guest carries on */
	if (poweroff)
		stop(pm, VM_STOP_POWEROFF);
}

static const struct bus_ops pm_ops = { pm_read, pm_write };

static void reset_read(void *opaque, uint64_t offset, void *data, unsigned size)
{
	struct acpi_pm *pm = opaque;
	pthread_mutex_lock(&pm->lock);
	memset(data, 0, size);
	*(uint8_t *)data = pm->reset_reg;
	pthread_mutex_unlock(&pm->lock);
}

static void reset_write(void *opaque, uint64_t offset, const void *data, unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint8_t v = *(const uint8_t *)data;
	pthread_mutex_lock(&pm->lock);
	pm->reset_reg = v & (uint8_t)~RESET_CPU; /* the "do it" bit is self-clearing */
	pthread_mutex_unlock(&pm->lock);
	if (v & RESET_CPU)
		stop(pm, VM_STOP_RESET);
}

static const struct bus_ops reset_ops = { reset_read, reset_write };

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= STS_PWRBTN;
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

int acpi_pm_create(struct acpi_pm **out, struct bus *pio, const struct irq_line *sci,
		   const struct vm_hooks *hooks, void *hooks_opaque, int own_reset_port)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->pio = pio;
	if (sci)
		pm->sci = *sci;
	pm->hooks = hooks;
	pm->hooks_opaque = hooks_opaque;
	pm->own_reset_port = own_reset_port;
	pthread_mutex_init(&pm->lock, NULL);
	int ret = bus_register(pio, LAYOUT_PM_BASE, LAYOUT_PM_LEN, &pm_ops, pm, "acpi pm");
	if (ret >= 0 && own_reset_port) {
		ret = bus_register(pio, LAYOUT_RESET_PORT, 1, &reset_ops, pm, "reset");
		if (ret < 0)
			bus_unregister(pio, LAYOUT_PM_BASE, pm);
	}
	if (ret < 0) {
		pthread_mutex_destroy(&pm->lock);
		free(pm);
		return ret;
	}
	*out = pm;
	return 0;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	bus_unregister(pm->pio, LAYOUT_PM_BASE, pm);
	if (pm->own_reset_port)
		bus_unregister(pm->pio, LAYOUT_RESET_PORT, pm);
	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

/* ---- saved state: sts en cnt (u16), reset_reg (u8), timer count (u32, 24 bits) ---- */

int acpi_pm_state_save(const struct acpi_pm *cpm, struct state_writer *w)
{
	struct acpi_pm *pm = (struct acpi_pm *)cpm; /* the lock is not part of the state */
	pthread_mutex_lock(&pm->lock);
	state_put_u16(w, pm->sts);
	state_put_u16(w, pm->en);
	state_put_u16(w, pm->cnt);
	state_put_u8(w, pm->reset_reg);
	state_put_u32(w, pm_timer(pm));
	pthread_mutex_unlock(&pm->lock);
	return state_writer_err(w);
}

int acpi_pm_state_load(struct acpi_pm *pm, struct state_reader *r, uint32_t version)
{
	uint16_t sts = state_get_u16(r), en = state_get_u16(r), cnt = state_get_u16(r);
	uint8_t rst = state_get_u8(r);
	uint32_t tmr = state_get_u32(r);
	int e = state_reader_done(r);
	if (e)
		return e;
	if ((sts & ~STS_MASK) || (en & ~EN_MASK) || (cnt & ~CNT_WRITABLE) || (rst & RESET_CPU) || tmr > 0xffffff)
		return -EINVAL;
	pthread_mutex_lock(&pm->lock);
	pm->sts = sts;
	pm->en = en;
	pm->cnt = cnt;
	pm->reset_reg = rst;
	__atomic_store_n(&pm->tmr_offset, (tmr - host_ticks()) & 0xffffff, __ATOMIC_RELAXED);
	pm->sci_level = -1; /* drive the line whatever it was */
	update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
	return 0;
}

static int save_op(const void *o, struct state_writer *w) { return acpi_pm_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return acpi_pm_state_load(o, r, v); }
const struct state_ops acpi_pm_state_ops = { "acpi-pm", 1, 1, save_op, load_op };
