// SPDX-License-Identifier: GPL-2.0-or-later
#include "net.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/ether.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio/net_priv.h"
#include "virtio/queue.h"
#include "vmm/le.h"
#include "vmm/log.h"

#define HDR VIRTIO_NET_HDR_LEN
#define ETH_HLEN 14
#define PKT_MAX (HDR + VIRTIO_NET_MAX_FRAME)
#define RXBUF_SIZE (PKT_MAX + 1) /* one spare byte tells an oversized frame from a maximal one */
#define RX_BUDGET 64 /* frames per wakeup before other events get a turn */
#define TX_BUDGET 256

/* ---- tx: guest -> backend ---- */

/* Checks a guest header against what was negotiated; 0 if the frame may go out. */
static int tx_hdr_ok(struct virtio_net *n, const uint8_t *h, uint64_t frame_len)
{
	struct virtio_dev *vd = &n->vdev;
	uint8_t flags = h[0], gso = h[1];
	uint16_t gso_size = le_get16(h, 4), csum_start = le_get16(h, 6), csum_off = le_get16(h, 8);
	if (flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		return -EINVAL;
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!virtio_has_feature(vd, VIRTIO_NET_F_CSUM) || (uint64_t)csum_start + csum_off + 2 > frame_len)
			return -EINVAL;
	}
	if ((gso & VIRTIO_NET_HDR_GSO_ECN) && !virtio_has_feature(vd, VIRTIO_NET_F_HOST_ECN))
		return -EINVAL;
	unsigned feat;
	switch (gso & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return gso ? -EINVAL : 0;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		feat = VIRTIO_NET_F_HOST_TSO4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		feat = VIRTIO_NET_F_HOST_TSO6;
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		feat = VIRTIO_NET_F_HOST_UFO;
		break;
	default:
		return -EINVAL;
	}
	/* segmentation needs a partial checksum to finish and a segment size */
	if (!virtio_has_feature(vd, feat) || !(flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !gso_size)
		return -EINVAL;
	return 0;
}

static void tx_one(struct virtio_net *n, struct net_pair *p, const struct virtq_chain *c)
{
	uint8_t h[HDR];
	if (c->read_len < HDR + ETH_HLEN) {
		n->st.tx_short++;
		return;
	}
	uint64_t flen = c->read_len - HDR;
	if (flen > VIRTIO_NET_MAX_FRAME) {
		n->st.tx_oversize++;
		return;
	}
	/* validate and send our own copy: the guest may rewrite its header after we looked */
	virtq_chain_read(c, 0, h, HDR);
	if (tx_hdr_ok(n, h, flen)) {
		n->st.tx_bad_hdr++;
		return;
	}
	h[0] &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	memset(h + 10, 0, 2);
	unsigned k = 1;
	uint64_t skip = HDR;
	p->txv[0].iov_base = h;
	p->txv[0].iov_len = HDR;
	for (unsigned i = 0; i < c->nr_read; i++) {
		uint64_t l = c->iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		p->txv[k].iov_base = (uint8_t *)c->iov[i].iov_base + skip;
		p->txv[k].iov_len = l - skip;
		skip = 0;
		k++;
	}
	struct iovec *v = p->txv;
	if (k > IOV_MAX) { /* a long chain of small pieces: one copy instead */
		memcpy(p->txbuf, h, HDR);
		virtq_chain_read(c, HDR, p->txbuf + HDR, flen);
		p->txv[0].iov_base = p->txbuf;
		p->txv[0].iov_len = HDR + flen;
		k = 1;
	}
	ssize_t w;
	do
		w = writev(p->fd, v, (int)k);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		n->st.tx_errors++; /* tap down, queue full: the frame is lost, as on a wire */
		return;
	}
	n->st.tx_packets++;
	n->st.tx_bytes += flen;
}

static void handle_tx(struct virtio_net *n, unsigned qp)
{
	struct virtq *vq = virtio_dev_queue(&n->vdev, 2 * qp + 1);
	struct net_pair *p = &n->pair[qp];
	unsigned done = 0;
	int r = 0;
	for (;;) {
		virtq_disable_notify(vq);
		while (done < TX_BUDGET && (r = virtq_pop(vq, &p->tx)) > 0) {
			tx_one(n, p, &p->tx);
			virtq_push(vq, p->tx.head, 0);
			done++;
		}
		virtq_notify(vq);
		if (done >= TX_BUDGET && n->vdev.io) {
			/* let rx and other queues in; come back through the I/O thread */
			virtq_enable_notify(vq);
			virtio_dev_kick(&n->vdev, 2 * qp + 1);
			return;
		}
		done = 0;
		if (r < 0 || !virtq_enable_notify(vq))
			return;
	}
}

/* ---- rx: backend -> guest ---- */

static void rx_watch(struct virtio_net *n, struct net_pair *p, int on)
{
	if (!p->watched || p->paused == !on)
		return;
	if (virtio_io_mod_fd(&n->vdev, p->fd, on ? EPOLLIN : 0) == 0)
		p->paused = !on;
}

/* Gives back held buffers unused (len 0, which drivers count as errors): only when a frame can
 * never fit this ring. */
static void rx_release(struct net_pair *p, struct virtq *vq)
{
	for (unsigned i = 0; i < p->nbuf; i++)
		virtq_push(vq, p->heads[i], 0);
	p->nbuf = 0;
	p->rx_off = 0;
}

/* Places the pending frame into rx buffers. 1: delivered (or dropped), 0: out of buffers (the
 * buffers taken so far are held for the next try), -1: the queue is broken. */
static int rx_deliver(struct virtio_net *n, struct net_pair *p, struct virtq *vq)
{
	int mrg = virtio_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	while (p->rx_off < p->rx_len) {
		struct virtq_chain *c = p->nbuf ? &p->cur : &p->first;
		int r = virtq_pop(vq, c);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		if (c->nr_read || c->write_len < (p->nbuf ? 1 : HDR)) {
			n->st.rx_bad_buf++;
			virtq_push(vq, c->head, 0);
			continue;
		}
		if (!mrg && c->write_len < p->rx_len) {
			/* one buffer must hold it all: this frame cannot be taken, the buffer can */
			virtq_unpop(vq);
			n->st.rx_dropped++;
			p->rx_len = 0;
			return 1;
		}
		uint64_t want = p->rx_len - p->rx_off;
		uint64_t take = c->write_len < want ? c->write_len : want;
		virtq_chain_write(c, 0, p->rxbuf + p->rx_off, take);
		p->heads[p->nbuf] = c->head;
		p->lens[p->nbuf] = (uint32_t)take;
		p->nbuf++;
		p->rx_off += take;
		if (p->rx_off < p->rx_len && p->nbuf >= vq->size) {
			/* holding the whole ring and still short: it will never fit */
			rx_release(p, vq);
			n->st.rx_dropped++;
			p->rx_len = 0;
			return 1;
		}
	}
	uint16_t nb = (uint16_t)p->nbuf;
	virtq_chain_write(&p->first, 10, &nb, 2); /* num_buffers */
	for (unsigned i = 0; i < p->nbuf; i++)
		virtq_push(vq, p->heads[i], p->lens[i]);
	n->st.rx_packets++;
	n->st.rx_bytes += p->rx_len - HDR;
	p->nbuf = 0;
	p->rx_off = 0;
	p->rx_len = 0;
	return 1;
}

/* Reads the next frame from the backend into rxbuf: 1 got one, 0 none now, -1 the fd failed. */
static int rx_read(struct virtio_net *n, struct net_pair *p)
{
	for (;;) {
		ssize_t r = read(p->fd, p->rxbuf, RXBUF_SIZE);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (r <= 0) {
			if (!p->dead)
				kv_log("%s: backend read failed, receive stopped: %s", n->vdev.name,
				       r ? strerror(errno) : "end of file");
			p->dead = 1;
			return -1;
		}
		if ((size_t)r < HDR + ETH_HLEN || (size_t)r > PKT_MAX) {
			n->st.rx_dropped++;
			continue;
		}
		p->rx_len = (size_t)r;
		p->rx_off = 0;
		return 1;
	}
}

/* Moves frames from the backend into the guest until either runs dry; vd->lock held. */
static void rx_run(struct virtio_net *n, unsigned qp)
{
	struct virtio_dev *vd = &n->vdev;
	struct net_pair *p = &n->pair[qp];
	struct virtq *vq = virtio_dev_queue(vd, 2 * qp);
	if (!(virtio_dev_get_status(vd) & VIRTIO_STATUS_DRIVER_OK) || !virtq_ready(vq) || qp >= n->active ||
	    p->dead) {
		rx_watch(n, p, 0); /* resumed by activation, an rx kick or VQ_PAIRS_SET */
		return;
	}
	int budget = RX_BUDGET, r = 1;
	while (budget-- > 0) {
		if (!p->rx_len && rx_read(n, p) <= 0)
			break;
		if ((r = rx_deliver(n, p, vq)) <= 0)
			break;
	}
	virtq_notify(vq);
	if (r < 0 || p->dead)
		rx_watch(n, p, 0);
	else if (r == 0)
		rx_watch(n, p, 0); /* no buffers: the guest's next rx kick resumes us */
	else
		rx_watch(n, p, 1);
}

static void rx_fd_ready(void *opaque, void *arg, int fd, uint32_t events)
{
	struct virtio_net *n = net_of(opaque); /* the watch was added for vd */
	rx_run(n, (unsigned)(uintptr_t)arg);
}

void virtio_net_poll_rx(struct virtio_net *n, unsigned qp)
{
	if (qp >= n->npairs)
		return;
	pthread_mutex_lock(&n->vdev.lock);
	rx_run(n, qp);
	pthread_mutex_unlock(&n->vdev.lock);
}

/* ---- control queue (multiqueue only) ---- */

static uint8_t ctrl_cmd(struct virtio_net *n, const struct virtq_chain *c)
{
	uint8_t cls_cmd[2];
	uint16_t pairs;
	if (c->read_len < 2 || virtq_chain_read(c, 0, cls_cmd, 2) != 2)
		return VIRTIO_NET_ERR;
	if (cls_cmd[0] != VIRTIO_NET_CTRL_MQ || cls_cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET || c->read_len < 4)
		return VIRTIO_NET_ERR;
	virtq_chain_read(c, 2, &pairs, 2);
	if (!virtio_has_feature(&n->vdev, VIRTIO_NET_F_MQ) || pairs < 1 || pairs > n->npairs)
		return VIRTIO_NET_ERR;
	if (n->be.set_queues && n->be.set_queues(n->be.opaque, pairs) < 0)
		return VIRTIO_NET_ERR;
	n->active = pairs;
	for (unsigned i = 0; i < n->npairs; i++)
		rx_watch(n, &n->pair[i], i < pairs);
	return VIRTIO_NET_OK;
}

static void handle_ctrl(struct virtio_net *n)
{
	struct virtq *vq = virtio_dev_queue(&n->vdev, ctrl_q(n));
	while (virtq_pop(vq, &n->ctrl) > 0) {
		if (!n->ctrl.write_len) {
			n->st.ctrl_bad++;
			virtq_push(vq, n->ctrl.head, 0);
			continue;
		}
		uint8_t ack = ctrl_cmd(n, &n->ctrl);
		if (ack != VIRTIO_NET_OK)
			n->st.ctrl_bad++;
		virtq_chain_write(&n->ctrl, n->ctrl.write_len - 1, &ack, 1);
		virtq_push(vq, n->ctrl.head, 1);
	}
	virtq_notify(vq);
}

/* ---- device ops ---- */

static void net_handle_queue(struct virtio_dev *vd, unsigned qidx)
{
	struct virtio_net *n = net_of(vd);
	if (qidx == ctrl_q(n) && virtio_has_feature(vd, VIRTIO_NET_F_CTRL_VQ))
		handle_ctrl(n);
	else if (qidx < ctrl_q(n) && (qidx & 1))
		handle_tx(n, qidx / 2);
	else if (qidx < ctrl_q(n))
		rx_run(n, qidx / 2); /* new rx buffers: deliver what waits and resume polling */
}

static unsigned guest_offloads(const struct virtio_dev *vd)
{
	unsigned f = 0;
	if (!virtio_has_feature(vd, VIRTIO_NET_F_GUEST_CSUM))
		return 0; /* TSO/UFO without checksum offload is meaningless to a tap */
	f |= VIRTIO_NET_OFF_CSUM;
	if (virtio_has_feature(vd, VIRTIO_NET_F_GUEST_TSO4))
		f |= VIRTIO_NET_OFF_TSO4;
	if (virtio_has_feature(vd, VIRTIO_NET_F_GUEST_TSO6))
		f |= VIRTIO_NET_OFF_TSO6;
	if (virtio_has_feature(vd, VIRTIO_NET_F_GUEST_ECN))
		f |= VIRTIO_NET_OFF_TSO_ECN;
	if (virtio_has_feature(vd, VIRTIO_NET_F_GUEST_UFO))
		f |= VIRTIO_NET_OFF_UFO;
	return f;
}

static int net_activate(struct virtio_dev *vd)
{
	struct virtio_net *n = net_of(vd);
	int r;
	if (n->be.set_offload && (r = n->be.set_offload(n->be.opaque, guest_offloads(vd))) < 0) {
		kv_err(r, "%s: setting offloads on the backend", vd->name);
		return r;
	}
	if (!vd->restored)
		n->active = 1; /* §5.1.6.5.5: one pair until the driver sets more */
	if (n->be.set_queues && n->npairs > 1)
		n->be.set_queues(n->be.opaque, n->active);
	for (unsigned i = 0; i < n->npairs; i++) {
		struct net_pair *p = &n->pair[i];
		if (!p->watched && !p->dead) {
			r = virtio_io_add_fd(vd, p->fd, i < n->active ? EPOLLIN : 0, rx_fd_ready, (void *)(uintptr_t)i);
			if (r == 0) {
				p->watched = 1;
				p->paused = i >= n->active;
			} else if (r != -ENOTSUP) {
				kv_err(r, "%s: watching the backend", vd->name);
				return r;
			}
		} else {
			rx_watch(n, p, i < n->active);
		}
	}
	return 0;
}

static void net_reset(struct virtio_dev *vd)
{
	struct virtio_net *n = net_of(vd);
	for (unsigned i = 0; i < n->npairs; i++) {
		struct net_pair *p = &n->pair[i];
		rx_watch(n, p, 0);
		p->rx_len = 0; /* held buffers belong to the old rings: forget them */
		p->nbuf = 0;
		p->rx_off = 0;
	}
	n->active = 1;
	if (n->be.set_offload)
		n->be.set_offload(n->be.opaque, 0);
}

/* The driver took a queue down: rx buffers held for a half-delivered frame belong to the old ring
 * (the frame itself stays pending and starts over in the new one). */
static void net_queue_stop(struct virtio_dev *vd, unsigned qidx)
{
	struct virtio_net *n = net_of(vd);
	if (qidx < ctrl_q(n) && !(qidx & 1)) {
		n->pair[qidx / 2].nbuf = 0;
		n->pair[qidx / 2].rx_off = 0;
		rx_watch(n, &n->pair[qidx / 2], 0); /* resumed by the rx kick on the new ring */
	}
}

static void net_config_read(struct virtio_dev *vd, unsigned off, void *data, unsigned size)
{
	memcpy(data, net_of(vd)->config + off, size);
}

static const struct virtio_dev_ops net_ops = {
	.config_read = net_config_read,
	.handle_queue = net_handle_queue,
	.reset = net_reset,
	.queue_stop = net_queue_stop,
	.activate = net_activate,
	.quiesce = net_quiesce,
	.state_save = net_state_save,
	.state_load = net_state_load,
};

void virtio_net_set_link(struct virtio_net *n, int up)
{
	pthread_mutex_lock(&n->vdev.lock);
	le_put16(n->config, 6, up ? S_LINK_UP : 0);
	pthread_mutex_unlock(&n->vdev.lock);
	virtio_config_changed(&n->vdev);
}

void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *s)
{
	pthread_mutex_lock(&n->vdev.lock);
	*s = n->st;
	pthread_mutex_unlock(&n->vdev.lock);
}

static void free_pairs(struct virtio_net *n)
{
	for (unsigned i = 0; n->pair && i < n->npairs; i++) {
		free(n->pair[i].rxbuf);
		free(n->pair[i].txbuf);
	}
	free(n->pair);
}

int virtio_net_create(struct virtio_net **out, const struct virtio_net_backend *be, const struct virtio_net_opts *o)
{
	uint16_t qs = o && o->queue_size ? o->queue_size : 256;
	if (!be || !be->nfds || be->nfds > VIRTIO_NET_MAX_PAIRS || (qs & (qs - 1)) || qs > VIRTQ_MAX_SIZE)
		return -EINVAL;
	struct virtio_net *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->be = *be;
	n->npairs = be->nfds;
	n->active = 1;
	n->pair = calloc(n->npairs, sizeof(*n->pair));
	for (unsigned i = 0; n->pair && i < n->npairs; i++) {
		n->pair[i].fd = be->fds[i];
		n->pair[i].rxbuf = malloc(RXBUF_SIZE);
		n->pair[i].txbuf = malloc(PKT_MAX);
		if (!n->pair[i].rxbuf || !n->pair[i].txbuf || be->fds[i] < 0) {
			free_pairs(n);
			free(n);
			return be->fds[i] < 0 ? -EINVAL : -ENOMEM;
		}
	}
	if (!n->pair) {
		free(n);
		return -ENOMEM;
	}
	memcpy(n->config, o ? o->mac : (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 1 }, 6);
	le_put16(n->config, 6, S_LINK_UP);
	le_put16(n->config, 8, (uint16_t)n->npairs);
	le_put16(n->config, 10, 1500); /* mtu */

	struct virtio_dev *vd = &n->vdev;
	vd->ops = &net_ops;
	snprintf(n->name, sizeof(n->name), "%s", o && o->name ? o->name : "virtio-net");
	vd->name = n->name;
	vd->device_id = VIRTIO_ID_NET;
	vd->pci_class = 0x020000; /* Ethernet controller */
	vd->features = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) | (1ULL << VIRTIO_NET_F_MRG_RXBUF) |
		       (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |
		       (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_ECN) |
		       (1ULL << VIRTIO_NET_F_HOST_UFO);
	if (be->set_offload) /* the backend can hand us partial checksums and large segments */
		vd->features |= (1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) |
				(1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) |
				(1ULL << VIRTIO_NET_F_GUEST_UFO);
	vd->num_queues = 2 * n->npairs;
	if (n->npairs > 1) {
		vd->features |= (1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_MQ);
		vd->num_queues++;
	}
	vd->queue_max = qs;
	vd->config_len = VIRTIO_NET_CONFIG_LEN;
	vd->priv = n;
	*out = n;
	return 0;
}

struct virtio_dev *virtio_net_dev(struct virtio_net *n)
{
	return &n->vdev;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	virtio_dev_destroy(&n->vdev);
	free_pairs(n);
	free(n);
}

/* FNV-1a over name, a NUL and the index: the same VM gets the same MAC on every run. */
void virtio_net_default_mac(const char *vm_name, unsigned idx, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const char *s = vm_name ? vm_name : ""; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	h = (h ^ 0) * 0x100000001b3ULL;
	for (unsigned i = 0; i < 4; i++)
		h = (h ^ ((idx >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
	mac[0] = 0x52; /* locally administered (bit 1), unicast (bit 0 clear) */
	mac[1] = 0x56;
	for (unsigned i = 2; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
}

int virtio_net_parse_mac(const char *s, uint8_t mac[6])
{
	struct ether_addr ea;
	/* ether_aton_r also takes one-digit groups and ignores what follows: insist on aa:bb:cc:dd:ee:ff */
	if (strlen(s) != 17 || !ether_aton_r(s, &ea))
		return -EINVAL;
	for (unsigned i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	memcpy(mac, ea.ether_addr_octet, 6);
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}
