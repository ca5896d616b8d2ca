// SPDX-License-Identifier: GPL-2.0-or-later
/* The AHCI register file (ABAR and the BAR4 index/data pair), on vCPU threads: HBA registers
 * (CAP, GHC with HBA reset, IS, PI, VS, CAP2) and each port's (CLB, FB, IS, IE, CMD, TFD, SIG,
 * SSTS, SCTL with COMRESET, SERR, SACT, CI). Nothing here touches a disk: a CI write rings the
 * I/O thread's doorbell, a stop or reset bumps the port's generation so that results of commands
 * still in flight are dropped when they come. */
#include <string.h>

#include "devices/ata/ahci_int.h"

#define CAP_SCLO (1u << 24)
#define AHCI_VERSION 0x00010300u /* 1.3 */

static uint32_t hba_cap(void)
{
	return CAP_S64A | CAP_SNCQ | CAP_SCLO | CAP_ISS_GEN1 | CAP_SAM | (AHCI_SLOTS - 1) << 8 | (AHCI_PORTS - 1);
}

void ahci_port_stop_locked(struct ahci_port *p)
{
	p->ci = p->sact = p->started = 0;
	p->ncq_tags = 0;
	p->halted = false;
	p->gen++;
	p->cmd &= ~CMD_ST;
	if (!p->busy)
		p->cmd &= ~CMD_CR;
	iothread_bell_ring(p->h->bell); /* the thread drops what waits */
}

void ahci_port_reset_locked(struct ahci_port *p)
{
	p->clb = p->fb = 0;
	p->is = p->ie = p->serr = p->sctl = 0;
	p->cmd = CMD_SUD | CMD_POD | (p->busy ? CMD_CR : 0);
	p->srst = false;
}

void ahci_link_up_locked(struct ahci_port *p)
{
	if (!p->dev) {
		p->ssts = 0;
		p->sig = 0xffffffffu;
		p->tfd = 0x7f;
		return;
	}
	ata_dev_reset(p->dev, false);
	bool cd = ata_dev_target(p->dev) != NULL;
	struct ata_tf tf = { .status = cd ? 0 : ATA_ST_DRDY | ATA_ST_DSC, .error = 1 };
	tf.nsect[0] = tf.lbal[0] = 1;
	tf.lbam[0] = cd ? 0x14 : 0;
	tf.lbah[0] = cd ? 0xeb : 0;
	p->sig = cd ? SIG_ATAPI : SIG_ATA;
	p->ssts = SSTS_UP;
	ahci_fis_d2h_locked(p, &tf, false); /* the device's signature FIS (sets PxTFD) */
}

void ahci_hba_reset_locked(struct ahci *h)
{
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		struct ahci_port *p = &h->port[i];
		ahci_port_stop_locked(p);
		ahci_port_reset_locked(p);
		ahci_link_up_locked(p);
	}
	h->ghc = GHC_AE;
	h->is = 0;
	ahci_irq_update(h, false);
}

static uint32_t port_read(struct ahci_port *p, unsigned r)
{
	switch (r) {
	case P_CLB: return (uint32_t)p->clb;
	case P_CLBU: return (uint32_t)(p->clb >> 32);
	case P_FB: return (uint32_t)p->fb;
	case P_FBU: return (uint32_t)(p->fb >> 32);
	case P_IS: return p->is;
	case P_IE: return p->ie;
	case P_CMD: return p->cmd;
	case P_TFD: return p->tfd;
	case P_SIG: return p->sig;
	case P_SSTS: return p->ssts;
	case P_SCTL: return p->sctl;
	case P_SERR: return p->serr;
	case P_SACT: return p->sact;
	case P_CI: return p->ci;
	default: return 0;
	}
}

static void set_lo(uint64_t *a, uint32_t v) { *a = (*a & ~0xffffffffULL) | v; }
static void set_hi(uint64_t *a, uint32_t v) { *a = (*a & 0xffffffffULL) | (uint64_t)v << 32; }

static void cmd_write(struct ahci_port *p, uint32_t v)
{
	uint32_t old = p->cmd;
	p->cmd = (old & ~(CMD_ST | CMD_FRE | CMD_RW_BITS)) | (v & (CMD_ST | CMD_FRE | CMD_RW_BITS));
	p->cmd = (p->cmd & ~CMD_FR) | (p->cmd & CMD_FRE ? CMD_FR : 0);
	if (v & CMD_CLO)
		p->tfd &= ~(uint32_t)(ATA_ST_BSY | ATA_ST_DRQ); /* command list override */
	if ((old & CMD_ST) && !(v & CMD_ST)) {
		ahci_port_stop_locked(p);
	} else if (!(old & CMD_ST) && (v & CMD_ST)) {
		p->cmd |= CMD_CR;
		p->halted = false;
		iothread_bell_ring(p->h->bell);
	}
}

static void sctl_write(struct ahci_port *p, uint32_t v)
{
	unsigned old = p->sctl & 0xf, det = v & 0xf;
	p->sctl = v & 0xfff;
	if (det == 1 && old != 1) { /* COMRESET: the link goes down, what runs is dropped */
		ahci_port_stop_locked(p);
		p->ssts = 0;
		p->tfd = 0x80 | 0x7f00; /* BSY until the device sends its signature */
	} else if (det == 0 && old == 1) {
		ahci_link_up_locked(p);
	} else if (det == 4) {
		ahci_port_stop_locked(p);
		p->ssts = 4; /* PHY offline */
	}
}

static void port_write(struct ahci_port *p, unsigned r, uint32_t v, uint32_t m)
{
	uint32_t cur = port_read(p, r), nv = (cur & ~m) | (v & m);
	switch (r) {
	case P_CLB: set_lo(&p->clb, nv & ~0x3ffu); break;
	case P_CLBU: set_hi(&p->clb, nv); break;
	case P_FB: set_lo(&p->fb, nv & ~0xffu); break;
	case P_FBU: set_hi(&p->fb, nv); break;
	case P_IS:
		p->is &= ~(v & m);
		ahci_irq_update(p->h, false);
		break;
	case P_IE: {
		uint32_t was = p->ie;
		p->ie = nv & PIS_MASK;
		ahci_irq_update(p->h, (p->is & p->ie & ~was) != 0);
		break;
	}
	case P_CMD: cmd_write(p, nv); break;
	case P_SCTL: sctl_write(p, nv); break;
	case P_SERR: p->serr &= ~(v & m); break;
	case P_SACT:
		if (p->cmd & CMD_ST)
			p->sact |= v & m;
		break;
	case P_CI:
		if (p->cmd & CMD_ST) { /* ignored on a stopped port */
			p->ci |= v & m;
			iothread_bell_ring(p->h->bell);
		}
		break;
	default: break;
	}
}

uint32_t ahci_reg_read(struct ahci *h, uint64_t off)
{
	if (off >= HBA_PORT0 && off < HBA_PORT0 + AHCI_PORTS * HBA_PORT_LEN)
		return port_read(&h->port[(off - HBA_PORT0) / HBA_PORT_LEN], (unsigned)(off - HBA_PORT0) % HBA_PORT_LEN);
	switch (off) {
	case HBA_CAP: return hba_cap();
	case HBA_GHC: return h->ghc;
	case HBA_IS: return h->is;
	case HBA_PI: return (1u << AHCI_PORTS) - 1;
	case HBA_VS: return AHCI_VERSION;
	default: return 0; /* CCC, enclosure management, CAP2, BOHC: none */
	}
}

void ahci_reg_write(struct ahci *h, uint64_t off, uint32_t v, uint32_t m)
{
	if (off >= HBA_PORT0 && off < HBA_PORT0 + AHCI_PORTS * HBA_PORT_LEN) {
		port_write(&h->port[(off - HBA_PORT0) / HBA_PORT_LEN], (unsigned)(off - HBA_PORT0) % HBA_PORT_LEN, v, m);
		return;
	}
	if (off == HBA_GHC) {
		if (v & m & GHC_HR) {
			ahci_hba_reset_locked(h);
			return;
		}
		uint32_t was = h->ghc;
		h->ghc = GHC_AE | (((h->ghc & ~m) | (v & m)) & GHC_IE);
		ahci_irq_update(h, !(was & GHC_IE) && (h->ghc & GHC_IE));
	} else if (off == HBA_IS) {
		h->is &= ~(v & m);
		ahci_irq_update(h, true); /* a port still pending sets its bit again: tell the guest */
	}
}

/* Accesses of 1, 2, 4 or 8 bytes: each dword they touch is read or written with a byte mask. */
static void abar_access(struct ahci *h, uint64_t off, void *data, unsigned size, bool write)
{
	uint8_t *b = data;
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < size;) {
		uint64_t a = (off + i) & ~3ULL;
		unsigned sh = (unsigned)((off + i) & 3), n = 4 - sh < size - i ? 4 - sh : size - i;
		uint32_t v = 0, m = 0;
		if (write) {
			for (unsigned k = 0; k < n; k++) {
				v |= (uint32_t)b[i + k] << 8 * (sh + k);
				m |= 0xffu << 8 * (sh + k);
			}
			ahci_reg_write(h, a, v, m);
		} else {
			v = ahci_reg_read(h, a);
			for (unsigned k = 0; k < n; k++)
				b[i + k] = (uint8_t)(v >> 8 * (sh + k));
		}
		i += n;
	}
	pthread_mutex_unlock(&h->lock);
}

static void abar_read(void *o, uint64_t off, void *data, unsigned size) { abar_access(o, off, data, size, false); }
static void abar_write(void *o, uint64_t off, const void *data, unsigned size)
{
	abar_access(o, off, (void *)data, size, true);
}
const struct bus_ops ahci_abar_ops = { .read = abar_read, .write = abar_write };

/* BAR4: index at 0x10, data at 0x14 (dword accesses; the index selects an ABAR dword) */
#define IDP_INDEX 0x10
#define IDP_DATA 0x14

static void idp_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct ahci *h = o;
	uint32_t v = 0xffffffffu;
	if (off == IDP_INDEX) {
		pthread_mutex_lock(&h->lock);
		v = h->idp_index;
		pthread_mutex_unlock(&h->lock);
	} else if (off == IDP_DATA) {
		pthread_mutex_lock(&h->lock);
		uint32_t idx = h->idp_index;
		pthread_mutex_unlock(&h->lock);
		abar_access(h, idx, &v, 4, false);
	}
	memcpy(data, &v, size < 4 ? size : 4);
}

static void idp_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct ahci *h = o;
	uint32_t v = 0;
	if (size != 4)
		return;
	memcpy(&v, data, 4);
	if (off == IDP_INDEX) {
		pthread_mutex_lock(&h->lock);
		h->idp_index = v & (AHCI_ABAR_SIZE - 4);
		pthread_mutex_unlock(&h->lock);
	} else if (off == IDP_DATA) {
		pthread_mutex_lock(&h->lock);
		uint32_t idx = h->idp_index;
		pthread_mutex_unlock(&h->lock);
		abar_access(h, idx, &v, 4, true);
	}
}
const struct bus_ops ahci_idp_ops = { .read = idp_read, .write = idp_write };
