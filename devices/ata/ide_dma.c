// SPDX-License-Identifier: GPL-2.0-or-later
/* The PIIX3 IDE controller's I/O thread and bus master (devices/ata/ide.h): the BM registers in
 * BAR4, the PRD table walk through the checked guest-memory accessor, DMA hand-off to the ATA
 * core, the core's hooks (INTRQ, kick, DMA done), and the drain a snapshot or teardown needs. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "devices/ata/ide_int.h"
#include "devices/disk/aio.h"
#include "vmm/log.h"

void ide_unit_irq(struct ide_unit *u, bool level); /* ide.c */

/* ---- the core's hooks ---- */

static void hk_irq(void *o, bool level) { ide_unit_irq(o, level); }

static void hk_kick(void *o)
{
	struct ide_unit *u = o;
	iothread_bell_ring(u->ch->c->bell);
}

static void hk_dma_done(void *o, int err, uint64_t bytes)
{
	struct ide_unit *u = o;
	struct ide_chan *ch = u->ch;
	(void)err;
	(void)bytes;
	pthread_mutex_lock(&ch->c->lock);
	ch->dma_busy = false;
	ch->bm_st &= (uint8_t)~IDE_BM_ST_ACTIVE;
	pthread_mutex_unlock(&ch->c->lock);
}

const struct ata_hooks ide_hooks = { .irq = hk_irq, .kick = hk_kick, .dma_done = hk_dma_done };

/* ---- bus master registers ---- */

static uint8_t bm_byte(struct ide_chan *ch, unsigned r)
{
	switch (r) {
	case IDE_BM_CMD: return ch->bm_cmd;
	case IDE_BM_STATUS: return ch->bm_st;
	case IDE_BM_PRD: case IDE_BM_PRD + 1: case IDE_BM_PRD + 2: case IDE_BM_PRD + 3:
		return (uint8_t)(ch->prd >> (8 * (r - IDE_BM_PRD)));
	default: return 0;
	}
}

static void bm_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct ide *c = o;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < size; i++) {
		uint64_t a = off + i;
		((uint8_t *)data)[i] = a < 16 ? bm_byte(&c->ch[a / 8], a % 8) : 0xff;
	}
	pthread_mutex_unlock(&c->lock);
}

/* one byte written; true when the I/O thread has a start to look at */
static bool bm_put(struct ide_chan *ch, unsigned r, uint8_t v)
{
	if (r == IDE_BM_CMD) {
		bool was = ch->bm_cmd & IDE_BM_CMD_START, now = v & IDE_BM_CMD_START;
		ch->bm_cmd = v & (IDE_BM_CMD_START | IDE_BM_CMD_READ);
		if (now && !was) {
			ch->bm_st |= IDE_BM_ST_ACTIVE;
			ch->dma_go = true;
			return true;
		}
		if (!now && was) { /* stopped: a transfer in the core still ends in dma_done */
			ch->dma_go = false;
			if (!ch->dma_busy)
				ch->bm_st &= (uint8_t)~IDE_BM_ST_ACTIVE;
		}
	} else if (r == IDE_BM_STATUS) {
		uint8_t keep = ch->bm_st & (IDE_BM_ST_ACTIVE | IDE_BM_ST_ERR | IDE_BM_ST_INT);
		keep &= (uint8_t)~(v & (IDE_BM_ST_ERR | IDE_BM_ST_INT)); /* write 1 to clear */
		ch->bm_st = keep | (v & (IDE_BM_ST_DMA0 | IDE_BM_ST_DMA1));
	} else if (r >= IDE_BM_PRD && r < IDE_BM_PRD + 4) {
		unsigned sh = 8 * (r - IDE_BM_PRD);
		ch->prd = (ch->prd & ~(0xffu << sh)) | (uint32_t)v << sh;
		ch->prd &= ~3u; /* dword aligned */
	}
	return false;
}

static void bm_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct ide *c = o;
	bool go = false;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < size && off + i < 16; i++)
		go |= bm_put(&c->ch[(off + i) / 8], (unsigned)(off + i) % 8, ((const uint8_t *)data)[i]);
	pthread_mutex_unlock(&c->lock);
	if (go)
		iothread_bell_ring(c->bell);
}

const struct bus_ops ide_bm_ops = { bm_read, bm_write };

/* ---- DMA on the I/O thread ---- */

/* The PRD table at prd as iovecs: -EFAULT for an entry (or the table) outside RAM, -EINVAL for
 * a table without EOT in IDE_PRD_MAX entries. */
static int prd_map(const struct gmem *m, uint32_t prd, struct iovec *iov, int *niov)
{
	for (unsigned i = 0; i < IDE_PRD_MAX; i++) {
		uint32_t addr, ctl;
		uint64_t at = (uint64_t)prd + 8u * i;
		if (gmem_read32(m, at, &addr) || gmem_read32(m, at + 4, &ctl))
			return -EFAULT;
		uint32_t len = ctl & 0xfffe;
		if (!len)
			len = 0x10000; /* a count of 0 is 64 KiB */
		void *p = gmem_ptr(m, addr & ~1u, len);
		if (!p)
			return -EFAULT;
		iov[i] = (struct iovec){ p, len };
		if (ctl & IDE_PRD_EOT) {
			*niov = (int)i + 1;
			return 0;
		}
	}
	return -EINVAL;
}

static void dma_service(struct ide *c, struct ide_chan *ch)
{
	pthread_mutex_lock(&c->lock);
	bool go = ch->dma_go && !ch->dma_busy && (ch->bm_cmd & IDE_BM_CMD_START);
	struct ata_dev *d = ch->u[ch->sel].dev;
	uint32_t prd = ch->prd;
	pthread_mutex_unlock(&c->lock);
	if (!go || !d || !ata_dma_pending(d, NULL))
		return; /* the command comes later: its write rings again */
	int n = 0, e = prd_map(c->mem, prd, ch->iov, &n);
	pthread_mutex_lock(&c->lock);
	ch->dma_go = false;
	ch->dma_busy = true;
	if (e)
		ch->bm_st |= IDE_BM_ST_ERR; /* before the device's interrupt */
	pthread_mutex_unlock(&c->lock);
	if (e && !c->logged_prd) {
		c->logged_prd = true;
		kv_log("piix3-ide: channel %u: PRD table at %#x %s: command failed (logged once)", ch->n, prd,
		       e == -EFAULT ? "reaches outside RAM" : "has no end-of-table bit");
	}
	/* a bad table: no buffer, so the device fails the command (ABRT) and still ends it */
	ata_dma_start(d, c->q, e ? NULL : ch->iov, e ? 0 : n);
}

static void service(struct ide *c)
{
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		dma_service(c, &c->ch[i]);
		for (unsigned u = 0; u < 2; u++)
			if (c->ch[i].u[u].dev)
				ata_poll(c->ch[i].u[u].dev, c->q);
	}
	disk_aio_kick(c->q);
}

static void on_bell(void *o, void *arg, int fd, uint32_t events)
{
	(void)arg;
	(void)events;
	iothread_bell_drain(fd);
	service(o);
}

static void on_aio(void *o, void *arg, int fd, uint32_t events)
{
	struct ide *c = o;
	(void)arg;
	(void)fd;
	(void)events;
	disk_aio_complete(c->q);
	disk_aio_kick(c->q); /* completions may submit (a flush after a write) */
}

int ide_io_start(struct ide *c)
{
	int r = iothread_create(&c->t, "piix3-ide", NULL);
	if (!r && (r = disk_aio_create(&c->q, 16)) == 0 && (r = c->bell = iothread_bell_open()) >= 0)
		r = iothread_watch(c->t, c->bell, EPOLLIN, on_bell, c, NULL);
	if (r >= 0)
		r = iothread_watch(c->t, disk_aio_fd(c->q), EPOLLIN, on_aio, c, NULL);
	if (r >= 0)
		r = iothread_start(c->t);
	return r < 0 ? r : 0;
}

/* with the thread stopped: runs what the devices queued until nothing is in flight */
static void drain(struct ide *c)
{
	for (int round = 0; round < 64; round++) {
		service(c);
		unsigned n = disk_aio_drain(c->q);
		bool busy = false;
		pthread_mutex_lock(&c->lock);
		for (unsigned i = 0; i < IDE_CHANNELS; i++)
			busy |= c->ch[i].dma_busy;
		pthread_mutex_unlock(&c->lock);
		if (!n && !busy && round)
			return;
	}
}

void ide_io_stop(struct ide *c)
{
	if (c->t)
		iothread_stop(c->t);
	if (c->q) {
		drain(c);
		disk_aio_destroy(c->q);
	}
	iothread_destroy(c->t);
	if (c->bell >= 0)
		close(c->bell);
	c->t = NULL;
	c->q = NULL;
	c->bell = -1;
}

int ide_pause(struct ide *c)
{
	iothread_stop(c->t);
	drain(c);
	return 0;
}

void ide_resume(struct ide *c)
{
	if (iothread_start(c->t))
		kv_log("piix3-ide: cannot restart the I/O thread");
	iothread_bell_ring(c->bell); /* what came meanwhile */
}
