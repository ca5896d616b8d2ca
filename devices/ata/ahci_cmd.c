// SPDX-License-Identifier: GPL-2.0-or-later
/* The AHCI command engine, on the controller's I/O thread: takes the slots the guest issued (CI),
 * reads and checks each command header, command FIS, ATAPI packet and PRDT through the checked
 * guest-memory accessor, maps the PRDT as iovecs, and runs the command on the ATA core. Queued
 * (NCQ) commands of a port run together, any other command alone (the device's rule). Results
 * become FISes in the received-FIS area, PxTFD, PxIS bits and an interrupt. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ata/ahci_int.h"
#include "vmm/le.h"

#define HDR_LEN 32u
#define HDR_A (1u << 5)
#define HDR_W (1u << 6)
#define TBL_CFIS_MAX 64u
#define TBL_ACMD 0x40u
#define TBL_PRDT 0x80u
#define PRD_I (1u << 31)
#define FIS_C 0x80u
#define DC_SRST 0x04u

/* ---- FISes into the received-FIS area (only while FIS receive is on), PxTFD ---- */

static void put_fis(struct ahci_port *p, unsigned off, const uint8_t *fis, unsigned len)
{
	if ((p->cmd & CMD_FRE) && gmem_write(p->h->mem, p->fb + off, fis, len))
		ahci_log_once(p->h, "received-FIS area outside RAM", p->n, 0);
}

static void fis_regs(uint8_t *f, const struct ata_tf *tf)
{
	f[4] = tf->lbal[0];
	f[5] = tf->lbam[0];
	f[6] = tf->lbah[0];
	f[7] = tf->device;
	f[8] = tf->lbal[1];
	f[9] = tf->lbam[1];
	f[10] = tf->lbah[1];
	f[12] = tf->nsect[0];
	f[13] = tf->nsect[1];
}

void ahci_fis_d2h_locked(struct ahci_port *p, const struct ata_tf *tf, bool irq)
{
	uint8_t f[20] = { FIS_D2H, irq ? 0x40 : 0, tf->status, tf->error };
	fis_regs(f, tf);
	put_fis(p, RFIS_D2H, f, sizeof(f));
	p->tfd = tf->status | (uint32_t)tf->error << 8;
}

/* PIO Setup: the data phase's status (DRQ) and, in E_Status, the one after it (what Linux takes
 * as the result of a PIO data-in command) */
static void fis_pio_locked(struct ahci_port *p, const struct ata_tf *tf, bool to_host, uint64_t xfer)
{
	uint8_t f[20] = { FIS_PIO, (uint8_t)(0x40 | (to_host ? 0x20 : 0)), ATA_ST_DRDY | ATA_ST_DSC | ATA_ST_DRQ,
			  tf->error };
	fis_regs(f, tf);
	f[15] = tf->status;
	le_put16(f, 16, (uint16_t)(xfer < 0xffff ? xfer : 0xfffe));
	put_fis(p, RFIS_PIO, f, sizeof(f));
	p->tfd = tf->status | (uint32_t)tf->error << 8;
}

static void fis_sdb_locked(struct ahci_port *p, uint32_t done, uint8_t status, uint8_t error)
{
	uint8_t f[8] = { FIS_SDB, 0x40, status & 0x77, error };
	le_put32(f, 4, done);
	put_fis(p, RFIS_SDB, f, sizeof(f));
	p->tfd = (p->tfd & ~0xff77u) | (status & 0x77) | (uint32_t)error << 8;
}

/* ---- results ---- */

/* The command in slot s failed before or in the device: error registers, TFES, the port halts
 * (its CI bit stays set, as the failing slot on hardware). */
static void fail_locked(struct ahci_port *p, struct ahci_slot *s, const struct ata_tf *tf)
{
	ahci_fis_d2h_locked(p, tf, true);
	p->is |= PIS_TFES | PIS_DHRS;
	p->halted = true;
	p->cmd = (p->cmd & ~0x1f00u) | s->n << 8; /* CCS: the slot that failed */
}

static void result_locked(struct ahci_port *p, struct ahci_slot *s)
{
	struct ata_cmd *c = &s->c;
	uint32_t bit = 1u << s->n;
	if (s->ctl) {
		p->ci &= ~bit;
		p->started &= ~bit;
		return;
	}
	if (gmem_write32(p->h->mem, s->clb + HDR_LEN * s->n + 4, (uint32_t)c->xfer)) /* PRDBC */
		ahci_log_once(p->h, "command header outside RAM", p->n, s->n);
	bool err = c->tf.status & ATA_ST_ERR;
	if (s->ncq) {
		p->ncq_tags &= ~bit;
		p->started &= ~bit; /* its CI bit is gone already: it cannot run again */
		if (err) {
			fis_sdb_locked(p, 0, c->tf.status, c->tf.error);
			p->is |= PIS_TFES | PIS_SDBS;
			p->halted = true;
		} else {
			p->sact &= ~bit;
			fis_sdb_locked(p, bit, c->tf.status, c->tf.error);
			p->is |= PIS_SDBS;
		}
		return;
	}
	if (err) {
		fail_locked(p, s, &c->tf);
		return;
	}
	p->ci &= ~bit;
	p->started &= ~bit;
	switch (c->proto) {
	case ATA_PROTO_PIO_IN: /* the device sends no D2H FIS after a PIO data-in command */
		fis_pio_locked(p, &c->tf, true, c->xfer);
		p->is |= PIS_PSS;
		break;
	case ATA_PROTO_PIO_OUT:
	case ATA_PROTO_PACKET_PIO:
		fis_pio_locked(p, &c->tf, c->proto == ATA_PROTO_PACKET_PIO && !c->write, c->xfer);
		ahci_fis_d2h_locked(p, &c->tf, true);
		p->is |= PIS_PSS | PIS_DHRS;
		break;
	default:
		ahci_fis_d2h_locked(p, &c->tf, true);
		p->is |= PIS_DHRS;
		break;
	}
	if (s->prd_irq)
		p->is |= PIS_DPS;
}

static void dispatch(struct ahci_port *p);

/* Slot s leaves the I/O thread: its result is posted unless the port stopped or reset since it
 * was taken. */
static void finish(struct ahci_port *p, struct ahci_slot *s)
{
	struct ahci *h = p->h;
	uint32_t bit = 1u << s->n;
	bool ran = p->running & bit;
	p->running &= ~bit;
	p->waiting &= ~bit;
	pthread_mutex_lock(&h->lock);
	h->inflight -= ran;
	p->busy &= ~bit;
	if (s->gen == p->gen) {
		result_locked(p, s);
		ahci_irq_update(h, true);
	}
	if (!p->busy && !(p->cmd & CMD_ST))
		p->cmd &= ~CMD_CR;
	pthread_mutex_unlock(&h->lock);
}

static void slot_done(struct ata_cmd *c)
{
	struct ahci_slot *s = c->opaque;
	finish(s->p, s);
	dispatch(s->p);
}

/* ---- taking a command from guest RAM ---- */

static void tf_from_fis(struct ata_tf *tf, const uint8_t *f)
{
	memset(tf, 0, sizeof(*tf));
	tf->command = f[2];
	tf->feat[0] = f[3];
	tf->lbal[0] = f[4];
	tf->lbam[0] = f[5];
	tf->lbah[0] = f[6];
	tf->device = f[7];
	tf->lbal[1] = f[8];
	tf->lbam[1] = f[9];
	tf->lbah[1] = f[10];
	tf->feat[1] = f[11];
	tf->nsect[0] = f[12];
	tf->nsect[1] = f[13];
}

static int map_prdt(struct ahci *h, struct ahci_slot *s, uint64_t prdt, unsigned n, const char **why)
{
	if (!n) {
		s->c.niov = 0;
		return 0;
	}
	const uint8_t *pr = gmem_ptr_ro(h->mem, prdt, 16ULL * n); /* only read: not dirty */
	if (!pr) {
		*why = "PRDT outside RAM";
		return -EFAULT;
	}
	if (n > s->iov_cap) {
		struct iovec *v = realloc(s->iov, n * sizeof(*v));
		if (!v) {
			*why = "no memory for the PRDT";
			return -ENOMEM;
		}
		s->iov = v;
		s->iov_cap = n;
	}
	for (unsigned i = 0; i < n; i++) {
		uint64_t dba = le_get64(pr, 16 * i);
		uint32_t dw3 = le_get32(pr, 16 * i + 12), len = (dw3 & 0x3fffff) + 1;
		void *hva = gmem_ptr(h->mem, dba, len);
		if (!hva) {
			*why = "PRD entry outside RAM";
			return -EFAULT;
		}
		s->iov[i] = (struct iovec){ hva, len };
		s->prd_irq |= (dw3 & PRD_I) != 0;
	}
	s->c.iov = s->iov;
	s->c.niov = (int)n;
	return 0;
}

/* Decodes slot s; 0, or -errno with why (the command then fails). */
static int take(struct ahci_port *p, struct ahci_slot *s, const char **why)
{
	struct ahci *h = p->h;
	uint8_t hdr[HDR_LEN], tbl[TBL_PRDT];
	memset(&s->c, 0, sizeof(s->c));
	s->ncq = s->ctl = s->prd_irq = false;
	if (!p->dev) {
		*why = "command on a port without a device";
		return -ENODEV;
	}
	if (gmem_read(h->mem, s->clb + HDR_LEN * s->n, hdr, sizeof(hdr))) {
		*why = "command header outside RAM";
		return -EFAULT;
	}
	uint32_t dw0 = le_get32(hdr, 0), cfl = dw0 & 0x1f;
	uint64_t ctba = le_get64(hdr, 8) & ~0x7fULL;
	if (cfl < 5 || cfl > TBL_CFIS_MAX / 4) {
		*why = "command FIS length";
		return -EINVAL;
	}
	if (gmem_read(h->mem, ctba, tbl, sizeof(tbl))) {
		*why = "command table outside RAM";
		return -EFAULT;
	}
	if (tbl[0] != FIS_H2D) {
		*why = "command FIS is not a host-to-device register FIS";
		return -EINVAL;
	}
	if (!(tbl[1] & FIS_C)) { /* device control: SRST set, then released */
		s->ctl = true;
		s->c.tf.feat[0] = tbl[15];
		return 0;
	}
	tf_from_fis(&s->c.tf, tbl);
	if (s->c.tf.command == 0xa0)
		memcpy(s->c.packet, tbl + TBL_ACMD, ATAPI_PACKET_LEN);
	s->c.write = dw0 & HDR_W;
	s->c.done = slot_done;
	s->c.opaque = s;
	int r = map_prdt(h, s, ctba + TBL_PRDT, dw0 >> 16, why);
	if (r)
		return r;
	struct ata_ncq q;
	if (!ata_ncq_decode(&s->c.tf, &q)) {
		pthread_mutex_lock(&h->lock);
		uint32_t inflight = p->ncq_tags;
		if (!(inflight >> q.tag & 1) && q.tag == s->n)
			p->ncq_tags |= 1u << q.tag;
		pthread_mutex_unlock(&h->lock);
		if (inflight >> q.tag & 1) {
			*why = "NCQ tag already in flight";
			return -EINVAL;
		}
		if (q.tag != s->n) {
			*why = "NCQ tag is not its command slot";
			return -EINVAL;
		}
		s->ncq = true;
	}
	return 0;
}

/* a command that never reached the device: aborted, as the device would */
static void fail_taken(struct ahci_port *p, struct ahci_slot *s, const char *why)
{
	struct ahci *h = p->h;
	ahci_log_once(h, why, p->n, s->n);
	struct ata_tf tf = { .status = ATA_ST_DRDY | ATA_ST_ERR, .error = ATA_ER_ABRT };
	p->busy &= ~(1u << s->n);
	if (s->gen == p->gen) {
		fail_locked(p, s, &tf);
		ahci_irq_update(h, true);
	}
	if (!p->busy && !(p->cmd & CMD_ST))
		p->cmd &= ~CMD_CR;
}

/* ---- running ---- */

static void run_ctl(struct ahci_port *p, struct ahci_slot *s)
{
	struct ahci *h = p->h;
	pthread_mutex_lock(&h->lock);
	if (s->gen == p->gen) {
		if (s->c.tf.feat[0] & DC_SRST) {
			p->srst = true;
		} else if (p->srst) { /* the software reset ends: the device resets and signs on */
			p->srst = false;
			ahci_link_up_locked(p);
		}
	}
	pthread_mutex_unlock(&h->lock);
	finish(p, s);
}

/* Starts what the port allows now: queued commands together, any other alone. */
static void dispatch(struct ahci_port *p)
{
	struct ahci *h = p->h;
	if (p->in_dispatch)
		return; /* a completion inside ata_submit: the loop below goes on */
	p->in_dispatch = true;
	for (;;) {
		pthread_mutex_lock(&h->lock);
		uint32_t gen = p->gen;
		bool halted = p->halted;
		pthread_mutex_unlock(&h->lock);
		int pick = -1;
		for (unsigned i = 0; i < AHCI_SLOTS && pick < 0; i++)
			if ((p->waiting >> i & 1) && p->slot[i].gen != gen)
				pick = (int)i;
		if (pick >= 0) { /* the port stopped since: dropped */
			finish(p, &p->slot[pick]);
			continue;
		}
		bool nonq_running = false;
		for (unsigned i = 0; i < AHCI_SLOTS; i++)
			if ((p->running >> i & 1) && !p->slot[i].ncq)
				nonq_running = true;
		for (unsigned i = 0; i < AHCI_SLOTS && pick < 0 && !halted && !nonq_running; i++)
			if ((p->waiting >> i & 1) && (p->slot[i].ncq || !p->running))
				pick = (int)i;
		if (pick < 0)
			break;
		struct ahci_slot *s = &p->slot[pick];
		p->waiting &= ~(1u << pick);
		p->running |= 1u << pick;
		pthread_mutex_lock(&h->lock);
		if (++h->inflight > h->peak)
			h->peak = h->inflight;
		if (s->ncq && s->gen == p->gen) /* the device took it: CI clears, SACT stays until its SDB FIS */
			p->ci &= ~(1u << pick);
		pthread_mutex_unlock(&h->lock);
		if (s->ctl) {
			run_ctl(p, s);
			continue;
		}
		ata_submit(p->dev, h->q, &s->c);
	}
	p->in_dispatch = false;
}

void ahci_run(struct ahci *h)
{
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		struct ahci_port *p = &h->port[i];
		pthread_mutex_lock(&h->lock);
		uint32_t todo = 0;
		if ((p->cmd & CMD_ST) && !p->halted)
			todo = p->ci & ~p->started & ~p->busy;
		p->started |= todo;
		p->busy |= todo;
		uint32_t gen = p->gen;
		uint64_t clb = p->clb;
		pthread_mutex_unlock(&h->lock);
		for (unsigned n = 0; n < AHCI_SLOTS; n++) {
			if (!(todo >> n & 1))
				continue;
			struct ahci_slot *s = &p->slot[n];
			const char *why = NULL;
			s->gen = gen;
			s->clb = clb;
			if (take(p, s, &why)) {
				pthread_mutex_lock(&h->lock);
				fail_taken(p, s, why);
				pthread_mutex_unlock(&h->lock);
				break; /* the port halted: the rest waits for the restart */
			}
			p->waiting |= 1u << n;
		}
		if (todo & ~p->waiting) { /* a failure: what was taken after it goes back */
			pthread_mutex_lock(&h->lock);
			uint32_t back = todo & ~p->waiting & p->busy;
			p->started &= ~back;
			p->busy &= ~back;
			pthread_mutex_unlock(&h->lock);
		}
		dispatch(p);
	}
	disk_aio_kick(h->q);
}
