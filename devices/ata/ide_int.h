/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the PIIX3 IDE controller: the structure its files (ports, DMA/I/O thread, state) share. */
#ifndef KVMINI_IDE_INT_H
#define KVMINI_IDE_INT_H
#include <pthread.h>

#include "devices/ata/ide.h"
#include "devices/iothread.h"

struct ide_chan;

struct ide_unit {
	struct ide_chan *ch;
	unsigned idx; /* 0 master, 1 slave */
	struct ata_dev *dev;
};

struct ide_chan {
	struct ide *c;
	unsigned n;
	struct ide_unit u[2];
	struct irq_line irq;
	/* under c->lock */
	bool decode;   /* the timing register's enable bit and PCI I/O decode */
	uint8_t sel;   /* device bit of the last device register write */
	bool lvl[2];   /* each device's INTRQ */
	bool line;     /* what the ISA line was told: the selected device's INTRQ */
	uint8_t bm_cmd, bm_st;
	uint32_t prd;
	bool dma_go;   /* started: the I/O thread looks for a device waiting for DMA */
	bool dma_busy; /* a transfer is in the core */
	/* I/O thread only */
	struct iovec *iov; /* IDE_PRD_MAX */
};

struct ide {
	struct pci_dev pci;
	pthread_mutex_t lock; /* channel state; taken inside the devices' locks (their hooks) */
	struct bus *pio;
	const struct gmem *mem;
	struct ide_chan ch[IDE_CHANNELS];
	struct iothread *t;
	int bell;
	struct disk_aio *q;
	int registered; /* bit per legacy range on pio */
	bool logged_prd; /* I/O thread: a bad PRD table was reported */
};

/* ide.c: the channels' decode bits from the config space (under the host's lock or alone) */
void ide_sync_decode(struct ide *c);
/* ide_dma.c */
int ide_io_start(struct ide *c);
void ide_io_stop(struct ide *c);
extern const struct ata_hooks ide_hooks;
extern const struct bus_ops ide_bm_ops;

#endif
