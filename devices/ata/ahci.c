// SPDX-License-Identifier: GPL-2.0-or-later
/* The AHCI controller as a PCI function: config space (ICH9 ids, BAR4 index/data, BAR5 ABAR, an
 * MSI capability), its I/O thread (the doorbell and the disk completions), the interrupt (MSI
 * when enabled, else the INTx line), pause/resume for saving, and teardown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "devices/ata/ahci_int.h"
#include "vmm/log.h"

#define AHCI_AIO_DEPTH 128u
#define PCI_CMD_INTX_DISABLE 0x04 /* command register, high byte */

void ahci_log_once(struct ahci *h, const char *what, unsigned port, unsigned slot)
{
	if (h->logged)
		return;
	h->logged = true;
	kv_log("%s: port %u slot %u: %s (the command fails; said once)", h->name, port, slot, what);
}

void ahci_irq_update(struct ahci *h, bool notify)
{
	for (unsigned i = 0; i < AHCI_PORTS; i++)
		if (h->port[i].is & h->port[i].ie)
			h->is |= 1u << i;
	bool level = (h->ghc & GHC_IE) && h->is;
	bool msi = msi_enabled(&h->msi);
	bool line = level && !msi && !h->intx_disabled;
	if (line != h->intx_level) {
		h->intx_level = line;
		irq_set(&h->pci.intx, line);
	}
	if (msi && level && notify)
		msi_signal(&h->msi);
}

static void cfg_written(struct pci_dev *d, unsigned off, unsigned size)
{
	struct ahci *h = d->opaque;
	msi_cfg_written(&h->msi, d, off, size);
	pthread_mutex_lock(&h->lock);
	h->intx_disabled = d->cfg[0x05] & PCI_CMD_INTX_DISABLE; /* config space is the host's: a copy */
	ahci_irq_update(h, true); /* MSI on with something pending, INTx disabled or back */
	pthread_mutex_unlock(&h->lock);
}

static void on_bell(void *opaque, void *arg, int fd, uint32_t events)
{
	iothread_bell_drain(fd);
	ahci_run(opaque);
}

static void on_aio(void *opaque, void *arg, int fd, uint32_t events)
{
	struct ahci *h = opaque;
	disk_aio_complete(h->q);
	disk_aio_kick(h->q); /* what the completions started */
}

/* Completes everything with the disk layer on the calling thread (the I/O thread is stopped). */
static void drain(struct ahci *h)
{
	do {
		disk_aio_kick(h->q);
		disk_aio_drain(h->q);
	} while (disk_aio_inflight(h->q));
}

int ahci_create(struct ahci **out, struct ata_dev *const devs[AHCI_PORTS], const struct ahci_opts *o)
{
	struct ahci *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	h->mem = o->mem;
	h->bell = -1;
	snprintf(h->name, sizeof(h->name), "%s", o->name ? o->name : "ahci");
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		struct ahci_port *p = &h->port[i];
		p->h = h;
		p->n = i;
		p->dev = devs[i];
		for (unsigned k = 0; k < AHCI_SLOTS; k++) {
			p->slot[k].p = p;
			p->slot[k].n = k;
		}
	}
	struct pci_dev *d = &h->pci;
	pci_dev_init(d, h->name, 0x8086, 0x2922, 0x010601, 0x1af4, 0x1100);
	d->cfg[0x08] = 0x02; /* revision */
	d->opaque = h;
	d->cfg_written = cfg_written;
	int r = pci_dev_set_bar(d, 4, 32, 1, 0, &ahci_idp_ops, h);
	if (!r)
		r = pci_dev_set_bar(d, 5, AHCI_ABAR_SIZE, 0, 0, &ahci_abar_ops, h);
	if (!r)
		r = msi_init(&h->msi, d, o->hooks, o->hooks_opaque);
	if (!r && (h->bell = iothread_bell_open()) < 0)
		r = h->bell;
	if (!r)
		r = disk_aio_create(&h->q, AHCI_AIO_DEPTH);
	if (!r)
		r = iothread_create(&h->io, h->name, NULL);
	if (!r)
		r = iothread_watch(h->io, h->bell, EPOLLIN, on_bell, h, NULL);
	if (!r)
		r = iothread_watch(h->io, disk_aio_fd(h->q), EPOLLIN, on_aio, h, NULL);
	if (r) {
		ahci_destroy(h);
		return r;
	}
	for (unsigned i = 0; i < AHCI_PORTS; i++)
		if (devs[i])
			ata_dev_reset(devs[i], true); /* a new board: the drives power on */
	pthread_mutex_lock(&h->lock);
	ahci_hba_reset_locked(h);
	pthread_mutex_unlock(&h->lock);
	if ((r = iothread_start(h->io))) {
		ahci_destroy(h);
		return r;
	}
	*out = h;
	return 0;
}

void ahci_destroy(struct ahci *h)
{
	if (!h)
		return;
	iothread_stop(h->io);
	if (h->q) {
		pthread_mutex_lock(&h->lock);
		for (unsigned i = 0; i < AHCI_PORTS; i++)
			ahci_port_stop_locked(&h->port[i]); /* results are dropped */
		pthread_mutex_unlock(&h->lock);
		drain(h);
		disk_aio_destroy(h->q);
	}
	iothread_destroy(h->io);
	if (h->bell >= 0)
		close(h->bell);
	msi_destroy(&h->msi);
	for (unsigned i = 0; i < AHCI_PORTS; i++)
		for (unsigned k = 0; k < AHCI_SLOTS; k++)
			free(h->port[i].slot[k].iov);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

struct pci_dev *ahci_pci(struct ahci *h) { return &h->pci; }

void ahci_pause(struct ahci *h)
{
	iothread_stop(h->io);
	drain(h);
	/* commands taken but not started go back to CI: they are taken again after resume */
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		struct ahci_port *p = &h->port[i];
		uint32_t w = p->waiting;
		for (unsigned k = 0; k < AHCI_SLOTS; k++)
			if ((w >> k & 1) && p->slot[k].ncq)
				p->ncq_tags &= ~(1u << k);
		p->started &= ~w;
		p->busy &= ~w;
		p->waiting = 0;
		if (!p->busy && !(p->cmd & CMD_ST))
			p->cmd &= ~CMD_CR;
	}
	pthread_mutex_unlock(&h->lock);
}

void ahci_resume(struct ahci *h)
{
	if (iothread_start(h->io))
		kv_log("%s: cannot restart the I/O thread", h->name);
	iothread_bell_ring(h->bell);
}

void ahci_poll(struct ahci *h)
{
	iothread_bell_drain(h->bell);
	ahci_run(h);
	drain(h);
}

unsigned ahci_peak_inflight(struct ahci *h)
{
	pthread_mutex_lock(&h->lock);
	unsigned n = h->peak;
	pthread_mutex_unlock(&h->lock);
	return n;
}
