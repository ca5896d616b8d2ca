/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-net (virtio 1.2 §5.1) over a packet fd per queue pair: a tap opened with IFF_VNET_HDR and a
 * 12-byte vnet header (TUNSETVNETHDRSZ), or in tests a datagram socketpair carrying the same
 * header + frame. Checksum/TSO/UFO offloads, mergeable rx buffers, link status and (with more than
 * one pair) multiqueue through the control queue. RX/TX run on the device's I/O thread: the fds sit
 * in its epoll and are paused while the guest has no rx buffers. Bad guest frames are dropped and
 * counted. */
#ifndef KVMINI_VIRTIO_NET_H
#define KVMINI_VIRTIO_NET_H
#include <stdint.h>

#include "virtio/virtio.h"

#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ 22

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1

#define VIRTIO_NET_HDR_LEN 12 /* virtio_net_hdr_mrg_rxbuf: always this size with VERSION_1 */
#define VIRTIO_NET_MAX_FRAME 65550 /* largest frame (after the header) we pass either way */
#define VIRTIO_NET_MAX_PAIRS 8
#define VIRTIO_NET_CONFIG_LEN 12 /* mac[6], status, max_virtqueue_pairs, mtu */

/* TUN_F_* bits handed to set_offload (same values as <linux/if_tun.h>) */
#define VIRTIO_NET_OFF_CSUM 0x01
#define VIRTIO_NET_OFF_TSO4 0x02
#define VIRTIO_NET_OFF_TSO6 0x04
#define VIRTIO_NET_OFF_TSO_ECN 0x08
#define VIRTIO_NET_OFF_UFO 0x10

/* Where frames go: fds[i] serves queue pair i (non-blocking, one frame per read/write, each
 * starting with the 12-byte vnet header). The fds stay the caller's. */
struct virtio_net_backend {
	int fds[VIRTIO_NET_MAX_PAIRS];
	unsigned nfds; /* queue pairs: 1..VIRTIO_NET_MAX_PAIRS; > 1 offers VIRTIO_NET_F_MQ */
	/* what the guest can take on rx (VIRTIO_NET_OFF_*), set at DRIVER_OK and reset; NULL: the
	 * backend cannot offload, so no guest offloads are offered */
	int (*set_offload)(void *opaque, unsigned flags);
	/* the driver chose how many pairs are active (MQ); NULL: nothing to do */
	int (*set_queues)(void *opaque, unsigned active);
	void *opaque;
};

struct virtio_net_opts {
	uint8_t mac[6];
	uint16_t queue_size; /* 0: 256 */
	const char *name; /* for logs (copied); NULL: "virtio-net" */
};

/* Frames and drops since creation. */
struct virtio_net_stats {
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
	uint64_t tx_short; /* chain shorter than the header (+ an Ethernet header) */
	uint64_t tx_oversize; /* frame > VIRTIO_NET_MAX_FRAME */
	uint64_t tx_bad_hdr; /* unknown flags, gso type, or csum/gso fields that do not fit */
	uint64_t tx_errors; /* the backend refused the frame */
	uint64_t rx_bad_buf; /* rx chain with readable parts or too small for the header */
	uint64_t rx_dropped; /* frame that did not fit the guest's buffers, or malformed from the backend */
	uint64_t ctrl_bad; /* control commands refused */
};

struct virtio_net;

int virtio_net_create(struct virtio_net **out, const struct virtio_net_backend *be, const struct virtio_net_opts *o);
struct virtio_dev *virtio_net_dev(struct virtio_net *n);
/* virtio_dev_destroy (I/O thread, transport) and frees the device; the fds stay open. */
void virtio_net_destroy(struct virtio_net *n);
/* Link status as the guest sees it (VIRTIO_NET_F_STATUS); raises a config interrupt. */
void virtio_net_set_link(struct virtio_net *n, int up);
void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *s);
/* Moves what the backend has for pair qp into the guest now. The I/O thread does this by itself;
 * without one (unit tests) call it after writing to the backend. */
void virtio_net_poll_rx(struct virtio_net *n, unsigned qp);

/* Stable locally administered unicast MAC from a VM name and NIC index. */
void virtio_net_default_mac(const char *vm_name, unsigned idx, uint8_t mac[6]);
/* "aa:bb:cc:dd:ee:ff" -> mac; -EINVAL for bad syntax, multicast or all-zero. */
int virtio_net_parse_mac(const char *s, uint8_t mac[6]);

#endif
