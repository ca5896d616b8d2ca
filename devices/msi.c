// SPDX-License-Identifier: GPL-2.0-or-later
/* Plain PCI MSI, one message (see msi.h). Capability layout (PCI 3.0 6.8.1, 64-bit form):
 * id 05, next, message control (bit 0 enable, bits 3-1 vectors capable = 0, bits 6-4 enabled,
 * bit 7 64-bit), address low, address high, data. */
#include "devices/msi.h"

#include <errno.h>
#include <string.h>

#include "vmm/le.h"

#define MSI_CAP_ID 0x05
#define MSI_CTRL_ENABLE 0x01
#define MSI_CTRL_64BIT 0x80
#define MSI_CAP_LEN 14

int msi_init(struct msi *m, struct pci_dev *d, const struct vm_hooks *hooks, void *opaque)
{
	memset(m, 0, sizeof(*m));
	uint8_t cap[MSI_CAP_LEN] = { MSI_CAP_ID, 0, MSI_CTRL_64BIT, 0 };
	int off = pci_dev_add_cap(d, cap, sizeof(cap));
	if (off < 0)
		return off;
	m->cap = (unsigned)off;
	m->hooks = hooks;
	m->opaque = opaque;
	d->wmask[off + 2] = MSI_CTRL_ENABLE | 0x70; /* enable, multiple message enable (we send one) */
	memset(d->wmask + off + 4, 0xff, 10);	  /* address (dword aligned: low bits stay 0), data */
	d->wmask[off + 4] = 0xfc;
	pthread_mutex_init(&m->lock, NULL);
	m->inited = true;
	return 0;
}

void msi_destroy(struct msi *m)
{
	if (!m->inited)
		return;
	pthread_mutex_destroy(&m->lock);
	m->inited = false;
}

void msi_cfg_written(struct msi *m, const struct pci_dev *d, unsigned off, unsigned size)
{
	if (!m->inited || off >= m->cap + MSI_CAP_LEN || off + size <= m->cap)
		return;
	const uint8_t *c = d->cfg + m->cap;
	pthread_mutex_lock(&m->lock);
	m->enabled = c[2] & MSI_CTRL_ENABLE;
	m->addr = (uint64_t)le_get32(c, 8) << 32 | le_get32(c, 4);
	m->data = (uint32_t)c[12] | (uint32_t)c[13] << 8;
	pthread_mutex_unlock(&m->lock);
}

bool msi_enabled(struct msi *m)
{
	if (!m->inited)
		return false;
	pthread_mutex_lock(&m->lock);
	bool e = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return e;
}

int msi_signal(struct msi *m)
{
	if (!m->inited)
		return -EAGAIN;
	pthread_mutex_lock(&m->lock);
	int r = -EAGAIN;
	if (m->enabled)
		r = m->hooks && m->hooks->signal_msi ? m->hooks->signal_msi(m->opaque, m->addr, m->data) : -ENOSYS;
	pthread_mutex_unlock(&m->lock);
	return r;
}
