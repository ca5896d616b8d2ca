/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-net's internals, shared by net.c (the device) and net_state.c (its saved state). */
#ifndef KVMINI_VIRTIO_NET_PRIV_H
#define KVMINI_VIRTIO_NET_PRIV_H
#include <stddef.h>
#include <stdint.h>

#include "virtio/net.h"
#include "virtio/queue.h"

#define S_LINK_UP 1

/* One rx/tx pair and its backend fd. The chains are big (16 KiB each): one set per pair. */
struct net_pair {
	int fd;
	int watched; /* fd is in the I/O thread's epoll */
	int paused; /* ... but not polled: no rx buffers (or pair inactive) */
	int dead; /* the fd failed: stop reading it */
	/* the frame being delivered: read from fd, waiting for rx buffers */
	uint8_t *rxbuf;
	size_t rx_len; /* 0: none pending */
	/* mergeable rx buffers popped for it so far (held until the frame is complete) */
	struct virtq_chain first, cur;
	uint16_t heads[VIRTQ_MAX_SIZE];
	uint32_t lens[VIRTQ_MAX_SIZE];
	unsigned nbuf;
	size_t rx_off;
	/* tx */
	struct virtq_chain tx;
	struct iovec txv[VIRTQ_MAX_SIZE + 1];
	uint8_t *txbuf; /* frames whose descriptors exceed IOV_MAX get copied here */
};

struct virtio_net {
	struct virtio_dev vdev; /* first: container of vd */
	struct virtio_net_backend be;
	uint8_t config[VIRTIO_NET_CONFIG_LEN];
	unsigned npairs, active;
	struct net_pair *pair;
	struct virtq_chain ctrl;
	struct virtio_net_stats st;
	char name[32];
};

static inline struct virtio_net *net_of(struct virtio_dev *vd) { return (struct virtio_net *)vd; }
static inline unsigned ctrl_q(const struct virtio_net *n) { return 2 * n->npairs; }

/* saved state (net_state.c): the virtio_dev_ops of the same names */
int net_quiesce(struct virtio_dev *vd);
void net_state_save(struct virtio_dev *vd, struct state_writer *w);
int net_state_load(struct virtio_dev *vd, struct state_reader *r, int apply);

#endif
