// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved state of the PIIX3 IDE function (devices/ata/ide.h): config space, device selection, the
 * bus master registers and the INTRQ levels per channel. The devices have their own sections. A
 * started bus master whose device still waits for DMA is saved as started (active set): the I/O
 * thread looks at it again after the load. */
#include <errno.h>

#include "devices/ata/ide_int.h"
#include "vmm/state.h"

int ide_state_save(const struct ide *cc, struct state_writer *w)
{
	struct ide *c = (struct ide *)cc; /* the lock only */
	pci_dev_state_save(&c->pci, w);
	pthread_mutex_lock(&c->lock);
	int busy = 0;
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		const struct ide_chan *ch = &c->ch[i];
		busy |= ch->dma_busy;
		state_put_u8(w, ch->sel);
		state_put_u8(w, ch->bm_cmd);
		state_put_u8(w, ch->bm_st);
		state_put_u32(w, ch->prd);
		state_put_u8(w, ch->lvl[0]);
		state_put_u8(w, ch->lvl[1]);
	}
	pthread_mutex_unlock(&c->lock);
	return busy ? -EBUSY : state_writer_err(w);
}

struct chan_state {
	uint8_t sel, cmd, st;
	uint32_t prd;
	bool lvl[2];
};

int ide_state_load(struct ide *c, struct state_reader *r, uint32_t version)
{
	if (version != 1)
		return -EINVAL;
	struct state_reader cfg = *r;
	int e = pci_dev_state_load(&c->pci, r, 0);
	if (e)
		return e;
	struct chan_state s[IDE_CHANNELS];
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		s[i].sel = state_get_u8(r);
		s[i].cmd = state_get_u8(r);
		s[i].st = state_get_u8(r);
		s[i].prd = state_get_u32(r);
		s[i].lvl[0] = state_get_bool(r);
		s[i].lvl[1] = state_get_bool(r);
	}
	if ((e = state_reader_done(r)))
		return e;
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		uint8_t st_bits = IDE_BM_ST_ACTIVE | IDE_BM_ST_ERR | IDE_BM_ST_INT | IDE_BM_ST_DMA0 | IDE_BM_ST_DMA1;
		if (s[i].sel > 1 || (s[i].cmd & ~(IDE_BM_CMD_START | IDE_BM_CMD_READ)) || (s[i].st & ~st_bits) ||
		    (s[i].prd & 3) || ((s[i].st & IDE_BM_ST_ACTIVE) && !(s[i].cmd & IDE_BM_CMD_START)))
			return -EINVAL;
		for (unsigned u = 0; u < 2; u++)
			if (s[i].lvl[u] && !c->ch[i].u[u].dev)
				return -EINVAL;
	}
	pci_dev_state_load(&c->pci, &cfg, 1);
	ide_sync_decode(c);
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < IDE_CHANNELS; i++) {
		struct ide_chan *ch = &c->ch[i];
		ch->sel = s[i].sel;
		ch->bm_cmd = s[i].cmd;
		ch->bm_st = s[i].st;
		ch->prd = s[i].prd;
		ch->lvl[0] = s[i].lvl[0];
		ch->lvl[1] = s[i].lvl[1];
		ch->dma_go = s[i].st & IDE_BM_ST_ACTIVE;
		ch->line = ch->lvl[ch->sel];
		irq_set(&ch->irq, ch->line); /* a load re-drives the line */
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static int save_op(const void *o, struct state_writer *w) { return ide_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return ide_state_load(o, r, v); }
const struct state_ops ide_state_ops = { "piix3-ide", 1, 1, save_op, load_op };
