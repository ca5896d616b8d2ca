// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved state of the AHCI controller (vmm/state.h), taken paused (ahci_pause: nothing in flight).
 *
 * Payload, version 1: the function's config space (pci.h), u32 GHC, u32 IS, u32 index register;
 * per port (six): u64 CLB, u64 FB, u32 IS, IE, CMD, TFD, SIG, SSTS, SCTL, SERR, SACT, CI, u32 the
 * slots the engine has taken (a failed command's, still in CI), bool halted, bool SRST pending, bool device
 * present, then for a device u32 n + n bytes of its ata-dev payload (ata.h). */
#include <errno.h>
#include <string.h>

#include "devices/ata/ahci_int.h"
#include "vmm/state.h"

struct port_regs {
	uint64_t clb, fb;
	uint32_t r[10]; /* is ie cmd tfd sig ssts sctl serr sact ci */
	uint32_t started;
	bool halted, srst, present;
	struct state_reader dev;
};

static void regs_of(const struct ahci_port *p, uint32_t *r)
{
	const uint32_t v[10] = { p->is, p->ie, p->cmd, p->tfd, p->sig, p->ssts, p->sctl, p->serr, p->sact, p->ci };
	memcpy(r, v, sizeof(v));
}

int ahci_state_save(const struct ahci *ch, struct state_writer *w)
{
	struct ahci *h = (struct ahci *)ch; /* the lock only */
	pthread_mutex_lock(&h->lock);
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		if (h->port[i].busy) {
			pthread_mutex_unlock(&h->lock);
			return -EBUSY;
		}
	}
	pci_dev_state_save(&h->pci, w);
	state_put_u32(w, h->ghc);
	state_put_u32(w, h->is);
	state_put_u32(w, h->idp_index);
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		const struct ahci_port *p = &h->port[i];
		uint32_t r[10];
		regs_of(p, r);
		state_put_u64(w, p->clb);
		state_put_u64(w, p->fb);
		for (unsigned k = 0; k < 10; k++)
			state_put_u32(w, r[k]);
		state_put_u32(w, p->started);
		state_put_u8(w, p->halted);
		state_put_u8(w, p->srst);
		state_put_u8(w, p->dev != NULL);
	}
	pthread_mutex_unlock(&h->lock);
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		if (!h->port[i].dev)
			continue;
		struct state_writer sub;
		state_writer_init(&sub);
		state_begin(&sub, "ata-dev", i, 1); /* a scratch section: only its payload is kept */
		size_t head = sub.len;
		int e = ata_dev_state_save(h->port[i].dev, &sub);
		state_end(&sub);
		size_t len = 0;
		const uint8_t *all = state_writer_data(&sub, &len);
		if (!e && !(e = state_writer_err(&sub)) && len >= head) {
			state_put_u32(w, (uint32_t)(len - head));
			state_put_bytes(w, all + head, len - head);
		}
		state_writer_free(&sub);
		if (e)
			return e;
	}
	return state_writer_err(w);
}

/* values a port could hold itself */
static bool port_ok(const struct port_regs *s, bool has_dev)
{
	const uint32_t *r = s->r;
	if (s->present != has_dev || (s->clb & 0x3ff) || (s->fb & 0xff) || (r[0] & ~PIS_MASK) || (r[1] & ~PIS_MASK))
		return false;
	uint32_t cmd = r[2];
	if ((cmd & (CMD_SUD | CMD_POD)) != (CMD_SUD | CMD_POD) || !(cmd & CMD_FR) != !(cmd & CMD_FRE) ||
	    (cmd & CMD_CLO) || ((cmd & CMD_ST) && !(cmd & CMD_CR)))
		return false;
	if ((r[6] & ~0xfffu) || (s->started & ~r[9]) || (!(cmd & CMD_ST) && (r[8] || r[9])))
		return false;
	return !s->halted || (cmd & CMD_ST);
}

int ahci_state_load(struct ahci *h, struct state_reader *r, uint32_t version)
{
	if (version != 1)
		return -EINVAL;
	struct state_reader chk = *r;
	int e = pci_dev_state_load(&h->pci, &chk, 0);
	if (e)
		return e;
	uint32_t ghc = state_get_u32(&chk), is = state_get_u32(&chk), idx = state_get_u32(&chk);
	struct port_regs s[AHCI_PORTS];
	memset(s, 0, sizeof(s));
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		s[i].clb = state_get_u64(&chk);
		s[i].fb = state_get_u64(&chk);
		for (unsigned k = 0; k < 10; k++)
			s[i].r[k] = state_get_u32(&chk);
		s[i].started = state_get_u32(&chk);
		s[i].halted = state_get_bool(&chk);
		s[i].srst = state_get_bool(&chk);
		s[i].present = state_get_bool(&chk);
	}
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		if (!s[i].present)
			continue;
		uint32_t n = state_get_u32(&chk);
		const void *p = state_get_ptr(&chk, n);
		state_reader_init(&s[i].dev, p ? p : "", p ? n : 0);
	}
	if ((e = state_reader_done(&chk)))
		return e;
	if (ghc != GHC_AE && ghc != (GHC_AE | GHC_IE))
		return -EINVAL;
	if ((is >> AHCI_PORTS) || (idx & 3) || idx >= AHCI_ABAR_SIZE)
		return -EINVAL;
	for (unsigned i = 0; i < AHCI_PORTS; i++)
		if (!port_ok(&s[i], h->port[i].dev != NULL))
			return -EINVAL;
	/* the devices check and take their own payloads */
	for (unsigned i = 0; i < AHCI_PORTS; i++)
		if (s[i].present && (e = ata_dev_state_load(h->port[i].dev, &s[i].dev, 1)))
			return e;
	if ((e = pci_dev_state_load(&h->pci, r, 1)))
		return e;
	msi_cfg_written(&h->msi, &h->pci, 0, PCI_CFG_SIZE);
	pthread_mutex_lock(&h->lock);
	h->ghc = ghc;
	h->is = is;
	h->idp_index = idx;
	for (unsigned i = 0; i < AHCI_PORTS; i++) {
		struct ahci_port *p = &h->port[i];
		const uint32_t *v = s[i].r;
		p->clb = s[i].clb;
		p->fb = s[i].fb;
		p->is = v[0], p->ie = v[1], p->cmd = v[2], p->tfd = v[3], p->sig = v[4];
		p->ssts = v[5], p->sctl = v[6], p->serr = v[7], p->sact = v[8], p->ci = v[9];
		p->started = s[i].started;
		p->halted = s[i].halted;
		p->srst = s[i].srst;
		p->gen++;
		p->ncq_tags = 0;
	}
	h->intx_level = false;
	h->intx_disabled = h->pci.cfg[0x05] & 0x04;
	ahci_irq_update(h, true); /* a load re-drives the interrupt */
	pthread_mutex_unlock(&h->lock);
	*r = chk; /* consumed */
	iothread_bell_ring(h->bell); /* commands the guest issued run after resume */
	return 0;
}

static int save_op(const void *obj, struct state_writer *w) { return ahci_state_save(obj, w); }
static int load_op(void *obj, struct state_reader *r, uint32_t v) { return ahci_state_load(obj, r, v); }

const struct state_ops ahci_state_ops = {
	.id = "ahci", .version = 1, .min_version = 1, .save = save_op, .load = load_op,
};
