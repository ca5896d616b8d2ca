// SPDX-License-Identifier: GPL-2.0-or-later
/* The PIIX3 IDE function (devices/ata/ide.h): its config space, the legacy command and control
 * block ports of both channels, device selection and the channel interrupt line. The ports run on
 * vCPU threads and only call the ATA core's register path, which never does I/O. */
#include "devices/ata/ide_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/le.h"

#define IDETIM 0x40 /* primary; secondary at 0x42 */
#define IDETIM_IDE 0x8000 /* IDE decode enable */

static const uint16_t cmd_base[IDE_CHANNELS] = { 0x1f0, 0x170 }, ctl_base[IDE_CHANNELS] = { 0x3f6, 0x376 };

void ide_sync_decode(struct ide *c)
{
	bool io = c->pci.cfg[0x04] & 0x01;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < IDE_CHANNELS; i++)
		c->ch[i].decode = io && (le_get16(c->pci.cfg, IDETIM + 2 * i) & IDETIM_IDE);
	pthread_mutex_unlock(&c->lock);
}

static void cfg_written(struct pci_dev *d, unsigned off, unsigned size)
{
	(void)off;
	(void)size;
	ide_sync_decode(d->opaque);
}

/* the selected device (NULL: none there); *none: the channel has no device at all */
static struct ata_dev *selected(struct ide_chan *ch, bool *decode, bool *none)
{
	pthread_mutex_lock(&ch->c->lock);
	struct ata_dev *d = ch->u[ch->sel].dev;
	*decode = ch->decode;
	pthread_mutex_unlock(&ch->c->lock);
	*none = !ch->u[0].dev && !ch->u[1].dev;
	return d;
}

static void cmd_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct ide_chan *ch = o;
	bool decode, none;
	struct ata_dev *d = selected(ch, &decode, &none);
	uint8_t *p = data;
	if (!decode || none) { /* nothing drives the bus: it floats high */
		memset(data, 0xff, size);
		return;
	}
	if (off == ATA_R_DATA) {
		size_t n = d ? ata_pio_in(d, data, size) : 0;
		memset(p + n, 0xff, size - n);
		return;
	}
	for (unsigned i = 0; i < size; i++) /* an absent slave reads 0 (the master answers nothing) */
		p[i] = d && off + i < 8 ? ata_reg_read(d, (enum ata_reg)(off + i)) : 0;
}

static void update_line(struct ide_chan *ch)
{
	bool l = ch->lvl[ch->sel];
	if (l && !ch->line)
		ch->bm_st |= IDE_BM_ST_INT;
	if (l != ch->line) {
		ch->line = l;
		irq_set(&ch->irq, l);
	}
}

static void cmd_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct ide_chan *ch = o;
	struct ide *c = ch->c;
	bool decode, none;
	struct ata_dev *d = selected(ch, &decode, &none);
	const uint8_t *p = data;
	if (!decode || none)
		return;
	if (off == ATA_R_DATA) {
		if (d)
			ata_pio_out(d, data, size);
		return;
	}
	for (unsigned i = 0; i < size && off + i < 8; i++) {
		enum ata_reg r = (enum ata_reg)(off + i);
		if (r == ATA_R_CMD) { /* the command goes to the selected device only */
			if (!d)
				continue;
			ata_reg_write(d, r, p[i]);
			pthread_mutex_lock(&c->lock);
			bool go = ch->dma_go; /* started before the command: the I/O thread looks again */
			pthread_mutex_unlock(&c->lock);
			if (go)
				iothread_bell_ring(c->bell);
			continue;
		}
		for (unsigned u = 0; u < 2; u++) /* the task file reaches both devices, as on the cable */
			if (ch->u[u].dev)
				ata_reg_write(ch->u[u].dev, r, p[i]);
		if (r == ATA_R_DEVICE) {
			pthread_mutex_lock(&c->lock);
			ch->sel = (p[i] & ATA_DEV_DEV) ? 1 : 0;
			d = ch->u[ch->sel].dev;
			update_line(ch);
			pthread_mutex_unlock(&c->lock);
		}
	}
}

/* rep insw/outsw on the data port: the whole batch in one call */
unsigned ide_cmd_rep(void *o, uint64_t off, void *data, unsigned size, unsigned count, int is_write)
{
	struct ide_chan *ch = o;
	bool decode, none;
	if (off != ATA_R_DATA)
		return 0;
	struct ata_dev *d = selected(ch, &decode, &none);
	size_t len = (size_t)size * count, n = 0;
	if (!decode || none || !d) {
		if (!is_write)
			memset(data, decode && !none ? 0 : 0xff, len);
		return count;
	}
	if (is_write) {
		ata_pio_out(d, data, len);
	} else {
		n = ata_pio_in(d, data, len);
		memset((uint8_t *)data + n, 0xff, len - n);
	}
	return count;
}

static void ctl_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct ide_chan *ch = o;
	bool decode, none;
	struct ata_dev *d = selected(ch, &decode, &none);
	memset(data, !decode || none ? 0xff : 0, size);
	if (decode && d && off == 0)
		*(uint8_t *)data = ata_altstatus(d);
}

static void ctl_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct ide_chan *ch = o;
	bool decode, none;
	selected(ch, &decode, &none);
	if (!decode || off != 0)
		return;
	uint8_t v = *(const uint8_t *)data;
	for (unsigned u = 0; u < 2; u++)
		if (ch->u[u].dev)
			ata_ctl_write(ch->u[u].dev, v);
	if (v & ATA_CTL_SRST) { /* the reset selects the master */
		pthread_mutex_lock(&ch->c->lock);
		ch->sel = 0;
		update_line(ch);
		pthread_mutex_unlock(&ch->c->lock);
	}
}

const struct bus_ops ide_cmd_ops = { cmd_read, cmd_write };
const struct bus_ops ide_ctl_ops = { ctl_read, ctl_write };

void *ide_channel(struct ide *c, unsigned ch) { return &c->ch[ch % IDE_CHANNELS]; }
struct pci_dev *ide_pci(struct ide *c) { return &c->pci; }

/* the hooks' side of the line (ide_dma.c calls it from the devices' irq hook) */
void ide_unit_irq(struct ide_unit *u, bool level);
void ide_unit_irq(struct ide_unit *u, bool level)
{
	struct ide_chan *ch = u->ch;
	pthread_mutex_lock(&ch->c->lock);
	ch->lvl[u->idx] = level;
	update_line(ch);
	pthread_mutex_unlock(&ch->c->lock);
}

static void pci_setup(struct ide *c)
{
	struct pci_dev *d = &c->pci;
	pci_dev_init(d, "piix3-ide", 0x8086, 0x7010, 0x010180, 0x1af4, 0x1100);
	d->cfg[0x07] = 0x02; /* DEVSEL medium */
	d->cfg[0x06] = 0x80; /* fast back-to-back */
	for (unsigned o = IDETIM; o <= 0x44; o++) /* IDETIM x2, SIDETIM: timings the driver programs */
		d->wmask[o] = 0xff;
	for (unsigned i = 0; i < IDE_CHANNELS; i++)
		if (c->ch[i].u[0].dev || c->ch[i].u[1].dev)
			le_put16(d->cfg, IDETIM + 2 * i, IDETIM_IDE);
	d->cfg_written = cfg_written;
	d->opaque = c;
	pci_dev_set_bar(d, 4, 16, 1, 0, &ide_bm_ops, c);
	d->cfg[0x04] |= 0x01; /* I/O decode on, as pci_host_add leaves it (it does not call cfg_written) */
}

static int ports_register(struct ide *c)
{
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		int r = bus_register(c->pio, cmd_base[i], 8, &ide_cmd_ops, &c->ch[i], i ? "ide1" : "ide0");
		if (r < 0)
			return r;
		c->registered |= 1 << (2 * i);
		bus_set_rep(c->pio, cmd_base[i], &c->ch[i], ide_cmd_rep);
		if ((r = bus_register(c->pio, ctl_base[i], 1, &ide_ctl_ops, &c->ch[i], i ? "ide1 ctl" : "ide0 ctl")) < 0)
			return r;
		c->registered |= 2 << (2 * i);
	}
	return 0;
}

int ide_create(struct ide **out, const struct ide_env *env, struct ata_dev *const dev[IDE_UNITS])
{
	struct ide *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->pio = env->pio;
	c->mem = env->mem;
	c->bell = -1;
	int r = 0;
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		struct ide_chan *ch = &c->ch[i];
		ch->c = c;
		ch->n = i;
		ch->irq = env->irq[i];
		for (unsigned u = 0; u < 2; u++)
			ch->u[u] = (struct ide_unit){ .ch = ch, .idx = u, .dev = dev[2 * i + u] };
		if (!(ch->iov = calloc(IDE_PRD_MAX, sizeof(*ch->iov))))
			r = -ENOMEM;
	}
	pci_setup(c);
	ide_sync_decode(c);
	if (!r && c->pio)
		r = ports_register(c);
	if (!r)
		r = ide_io_start(c);
	if (r) {
		ide_destroy(c);
		return r;
	}
	for (unsigned i = 0; i < IDE_UNITS; i++)
		if (dev[i])
			ata_dev_set_hooks(dev[i], &ide_hooks, &c->ch[i / 2].u[i % 2]);
	*out = c;
	return 0;
}

void ide_destroy(struct ide *c)
{
	if (!c)
		return;
	ide_io_stop(c);
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		for (unsigned u = 0; u < 2; u++)
			if (c->ch[i].u[u].dev)
				ata_dev_set_hooks(c->ch[i].u[u].dev, NULL, NULL);
		if (c->registered & (1 << (2 * i)))
			bus_unregister(c->pio, cmd_base[i], &c->ch[i]);
		if (c->registered & (2 << (2 * i)))
			bus_unregister(c->pio, ctl_base[i], &c->ch[i]);
		free(c->ch[i].iov);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}
