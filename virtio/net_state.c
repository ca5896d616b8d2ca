// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-net's saved state: what the driver set (active queue pairs) and the link it sees; the
 * MAC must be the one this device has. Frames are not state: one being delivered when the device
 * paused stays with the source (the rx buffers it held go back to the ring). */
#include <errno.h>
#include <string.h>

#include "virtio/net_priv.h"
#include "vmm/le.h"
#include "vmm/state.h"

/* Nothing is in flight but rx buffers held for a frame not yet complete: give them back (they were
 * the last ones popped from that ring, in order), so the saved ring position has none outstanding.
 * The frame starts over in the ring when the device goes on. */
int net_quiesce(struct virtio_dev *vd)
{
	struct virtio_net *n = net_of(vd);
	for (unsigned i = 0; i < n->npairs; i++) {
		struct net_pair *p = &n->pair[i];
		struct virtq *vq = virtio_dev_queue(vd, 2 * i);
		for (; p->nbuf; p->nbuf--)
			virtq_unpop(vq);
		p->rx_off = 0;
	}
	return 0;
}

/* payload: mac[6], link status (u16), active pairs (u16) */
void net_state_save(struct virtio_dev *vd, struct state_writer *w)
{
	struct virtio_net *n = net_of(vd);
	state_put_bytes(w, n->config, 6);
	state_put_u16(w, le_get16(n->config, 6));
	state_put_u16(w, (uint16_t)n->active);
}

int net_state_load(struct virtio_dev *vd, struct state_reader *r, int apply)
{
	struct virtio_net *n = net_of(vd);
	const uint8_t *mac = state_get_ptr(r, 6);
	uint16_t link = state_get_u16(r), active = state_get_u16(r);
	if (r->err)
		return r->err;
	if (memcmp(mac, n->config, 6) || (link & ~S_LINK_UP) || active < 1 || active > n->npairs)
		return -EINVAL;
	if (apply) {
		le_put16(n->config, 6, link);
		n->active = active; /* kept by activate for a restored device */
	}
	return 0;
}
