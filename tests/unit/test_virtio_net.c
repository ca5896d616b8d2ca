// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-net over a SOCK_SEQPACKET socketpair standing in for the tap (one frame per message, vnet
 * header first), driven through virtio-mmio with real rings in fake RAM: tx and rx round trips,
 * mergeable rx buffers, waiting for rx buffers, offload negotiation, link status, multiqueue
 * control, and hostile frames and buffers dropped and counted. */
#include "unit.h"
#include "vmmio_drv.h"
#include "virtio/net.h"
#include "virtio/queue.h"
#include "vmm/machine_net.h"

#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BASE 0xd0000000ULL
#define GSI 5
#define RAM (4ULL << 20)
#define TXBUF 0x100000ULL
#define RXBUF 0x200000ULL
#define HDR VIRTIO_NET_HDR_LEN
#define QS 64

struct nctx {
	struct fake_ram ram;
	struct irq_recorder rec;
	struct bus bus;
	struct virtio_net *net;
	int sv[2]; /* sv[0]: the device's "tap", sv[1]: the host side */
	struct tring rx, tx, ctrl;
	unsigned offload_calls, offload_flags, queues_active;
	uint16_t rx_seen, tx_seen;
};

static int rec_offload(void *o, unsigned flags)
{
	struct nctx *c = o;
	c->offload_calls++;
	c->offload_flags = flags;
	return 0;
}

static int rec_queues(void *o, unsigned active)
{
	((struct nctx *)o)->queues_active = active;
	return 0;
}

static uint64_t all_but(uint64_t f, uint64_t drop) { return f & ~drop; }

/* pairs: 1 or 2 (then the socketpair serves both, which is fine for these tests) */
static void nsetup_ex(struct nctx *c, int iothread, uint64_t drop_features, unsigned pairs)
{
	memset(c, 0, sizeof(*c));
	fake_ram_init(&c->ram, 0, RAM);
	bus_init(&c->bus, "mmio");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, c->sv), 0);
	int big = 1 << 20;
	setsockopt(c->sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	setsockopt(c->sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	struct virtio_net_backend be = { .nfds = pairs, .set_offload = rec_offload, .set_queues = rec_queues, .opaque = c };
	for (unsigned i = 0; i < pairs; i++)
		be.fds[i] = c->sv[0];
	struct virtio_net_opts o = { .mac = { 0x52, 0x56, 1, 2, 3, 4 }, .queue_size = QS, .name = "test-net" };
	ck_assert_int_eq(virtio_net_create(&c->net, &be, &o), 0);
	struct virtio_env env = { .mem = &c->ram.mem, .hooks = &irqrec_hooks, .hooks_opaque = &c->rec,
				  .no_iothread = !iothread };
	ck_assert_int_eq(virtio_mmio_create(virtio_net_dev(c->net), &c->bus, BASE, GSI, &env), 0);
	uint64_t f = mdrv_device_features(&c->bus, BASE);
	ck_assert(f & (1ULL << VIRTIO_NET_F_MRG_RXBUF));
	ck_assert(f & (1ULL << VIRTIO_NET_F_GUEST_TSO4));
	ck_assert_int_eq(!!(f & (1ULL << VIRTIO_NET_F_MQ)), pairs > 1);
	ck_assert(mdrv_negotiate(&c->bus, BASE, all_but(f, drop_features)) & VIRTIO_STATUS_FEATURES_OK);
	tring_init(&c->rx, &c->ram, 0x10000, QS);
	tring_init(&c->tx, &c->ram, 0x20000, QS);
	mdrv_queue(&c->bus, BASE, 0, &c->rx);
	mdrv_queue(&c->bus, BASE, 1, &c->tx);
	if (pairs > 1) {
		struct tring unused;
		tring_init(&unused, &c->ram, 0x30000, QS);
		mdrv_queue(&c->bus, BASE, 2, &unused);
		tring_init(&unused, &c->ram, 0x40000, QS);
		mdrv_queue(&c->bus, BASE, 3, &unused);
		tring_init(&c->ctrl, &c->ram, 0x50000, QS);
		mdrv_queue(&c->bus, BASE, 4, &c->ctrl);
	}
	mdrv_driver_ok(&c->bus, BASE);
}

static void nsetup(struct nctx *c, int iothread, uint64_t drop) { nsetup_ex(c, iothread, drop, 1); }

static void nfree(struct nctx *c)
{
	virtio_net_destroy(c->net);
	close(c->sv[0]);
	close(c->sv[1]);
	bus_destroy(&c->bus);
	fake_ram_free(&c->ram);
}

static uint32_t dev_status(struct nctx *c) { return mr32(&c->bus, BASE + 0x70); }

static struct virtio_net_stats stats(struct nctx *c)
{
	struct virtio_net_stats s;
	virtio_net_get_stats(c->net, &s);
	return s;
}

/* ---- tx ---- */

/* a tx chain: header (12 bytes with flags/gso/csum fields) then frame_len bytes in two pieces */
static void tx_frame(struct nctx *c, uint8_t flags, uint8_t gso, uint16_t gso_size, uint16_t cstart, uint16_t coff,
		     uint32_t frame_len)
{
	uint8_t h[HDR] = { flags, gso };
	memcpy(h + 4, &gso_size, 2);
	memcpy(h + 6, &cstart, 2);
	memcpy(h + 8, &coff, 2);
	memcpy(c->ram.buf + TXBUF, h, HDR);
	for (uint32_t i = 0; i < frame_len; i++)
		c->ram.buf[TXBUF + HDR + i] = (uint8_t)(i * 13 + 5);
	uint32_t first = frame_len / 3;
	tdesc(&c->tx, 0, TXBUF, HDR + first, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&c->tx, 1, TXBUF + HDR + first, frame_len - first, 0, 0);
	tavail(&c->tx, 0);
	mdrv_kick(&c->bus, BASE, 1);
	ck_assert_uint_eq(tused_idx(&c->tx), (uint16_t)(c->tx_seen + 1));
	ck_assert_uint_eq(tused_len(&c->tx, c->tx_seen), 0);
	c->tx_seen++;
}

static ssize_t host_recv(struct nctx *c, uint8_t *buf, size_t len)
{
	return recv(c->sv[1], buf, len, MSG_DONTWAIT);
}

START_TEST(tx_roundtrip)
{
	static uint8_t got[70000];
	struct nctx c;
	nsetup(&c, 0, 0);
	tx_frame(&c, 0, 0, 0, 0, 0, 1514);
	ck_assert_int_eq(host_recv(&c, got, sizeof(got)), HDR + 1514);
	ck_assert(!memcmp(got + HDR, c.ram.buf + TXBUF + HDR, 1514));
	/* TSO frame with a partial checksum: passed through with its header */
	tx_frame(&c, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, 34, 16, 65000);
	ck_assert_int_eq(host_recv(&c, got, sizeof(got)), HDR + 65000);
	ck_assert_uint_eq(got[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	ck_assert_uint_eq(got[1], VIRTIO_NET_HDR_GSO_TCPV4);
	ck_assert_uint_eq(stats(&c).tx_packets, 2);
	ck_assert_int_ge(c.rec.raises[GSI], 1);
	nfree(&c);
}
END_TEST

START_TEST(tx_hostile_frames_dropped)
{
	static uint8_t got[70000];
	struct nctx c;
	nsetup(&c, 0, (1ULL << VIRTIO_NET_F_HOST_UFO));
	/* shorter than the header */
	tdesc(&c.tx, 0, TXBUF, 8, 0, 0);
	tavail(&c.tx, 0);
	mdrv_kick(&c.bus, BASE, 1);
	ck_assert_uint_eq(tused_idx(&c.tx), 1);
	c.tx_seen = 1;
	/* header but no Ethernet header */
	tx_frame(&c, 0, 0, 0, 0, 0, 6);
	/* oversized: > 65550 bytes after the header */
	tx_frame(&c, 0, 0, 0, 0, 0, VIRTIO_NET_MAX_FRAME + 1);
	/* garbage flags, unknown gso type, gso without a checksum, ECN alone, gso size 0, checksum
	 * outside the frame, UFO not negotiated */
	tx_frame(&c, 0xf0, 0, 0, 0, 0, 100);
	tx_frame(&c, VIRTIO_NET_HDR_F_NEEDS_CSUM, 7, 1000, 34, 16, 100);
	tx_frame(&c, 0, VIRTIO_NET_HDR_GSO_TCPV4, 1000, 0, 0, 100);
	tx_frame(&c, 0, VIRTIO_NET_HDR_GSO_ECN, 0, 0, 0, 100);
	tx_frame(&c, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 0, 34, 16, 100);
	tx_frame(&c, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 90, 9, 100);
	tx_frame(&c, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0xffff, 0xffff, 100);
	tx_frame(&c, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 1000, 34, 6, 100);
	ck_assert_int_eq(host_recv(&c, got, sizeof(got)), -1); /* nothing left the device */
	struct virtio_net_stats s = stats(&c);
	ck_assert_uint_eq(s.tx_short, 2);
	ck_assert_uint_eq(s.tx_oversize, 1);
	ck_assert_uint_eq(s.tx_bad_hdr, 8);
	ck_assert_uint_eq(s.tx_packets, 0);
	ck_assert(!(dev_status(&c) & VIRTIO_STATUS_NEEDS_RESET));
	/* and a good frame still goes through */
	tx_frame(&c, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 16, 100);
	ck_assert_int_eq(host_recv(&c, got, sizeof(got)), HDR + 100);
	nfree(&c);
}
END_TEST

/* ---- rx ---- */

/* rx buffer i: one writable descriptor of len bytes at RXBUF + i * 0x10000, as its own chain */
static void rx_post(struct nctx *c, unsigned i, uint32_t len, uint16_t flags)
{
	tdesc(&c->rx, i, RXBUF + i * 0x10000ULL, len, flags, 0);
	tavail(&c->rx, (uint16_t)i);
}

static void host_send(struct nctx *c, uint32_t frame_len, uint8_t seed)
{
	static uint8_t pkt[HDR + VIRTIO_NET_MAX_FRAME + 16];
	memset(pkt, 0, HDR);
	pkt[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	for (uint32_t i = 0; i < frame_len; i++)
		pkt[HDR + i] = (uint8_t)(i * 7 + seed);
	ck_assert_int_eq(send(c->sv[1], pkt, HDR + frame_len, 0), (ssize_t)(HDR + frame_len));
}

START_TEST(rx_mergeable_buffers)
{
	struct nctx c;
	nsetup(&c, 0, 0);
	for (unsigned i = 0; i < 3; i++)
		rx_post(&c, i, 1000, VIRTQ_DESC_F_WRITE);
	host_send(&c, 2500, 3);
	virtio_net_poll_rx(c.net, 0);
	ck_assert_uint_eq(tused_idx(&c.rx), 3);
	ck_assert_uint_eq(tused_len(&c.rx, 0), 1000);
	ck_assert_uint_eq(tused_len(&c.rx, 1), 1000);
	ck_assert_uint_eq(tused_len(&c.rx, 2), HDR + 2500 - 2000);
	uint16_t nb;
	memcpy(&nb, c.ram.buf + RXBUF + 10, 2);
	ck_assert_uint_eq(nb, 3);
	ck_assert_uint_eq(c.ram.buf[RXBUF], VIRTIO_NET_HDR_F_DATA_VALID);
	/* the frame, reassembled from the three buffers */
	for (uint32_t i = 0; i < 2500; i++) {
		uint64_t at = HDR + i;
		ck_assert_uint_eq(c.ram.buf[RXBUF + (at / 1000) * 0x10000 + at % 1000], (uint8_t)(i * 7 + 3));
	}
	ck_assert_uint_eq(stats(&c).rx_packets, 1);
	ck_assert_int_ge(c.rec.raises[GSI], 1);
	nfree(&c);
}
END_TEST

START_TEST(rx_waits_for_buffers)
{
	struct nctx c;
	nsetup(&c, 0, 0);
	host_send(&c, 1500, 9);
	virtio_net_poll_rx(c.net, 0); /* no buffers yet: the frame waits */
	ck_assert_uint_eq(tused_idx(&c.rx), 0);
	rx_post(&c, 0, 1000, VIRTQ_DESC_F_WRITE); /* too little: held, still waiting */
	mdrv_kick(&c.bus, BASE, 0);
	ck_assert_uint_eq(tused_idx(&c.rx), 0);
	rx_post(&c, 1, 4096, VIRTQ_DESC_F_WRITE);
	mdrv_kick(&c.bus, BASE, 0); /* the rx kick resumes delivery */
	ck_assert_uint_eq(tused_idx(&c.rx), 2);
	ck_assert_uint_eq(tused_id(&c.rx, 0), 0);
	ck_assert_uint_eq(tused_len(&c.rx, 0) + tused_len(&c.rx, 1), HDR + 1500);
	ck_assert_uint_eq(stats(&c).rx_dropped, 0);
	nfree(&c);
}
END_TEST

/* QueueReady=0 takes the rx ring away: buffers held from it must not reach the next ring */
START_TEST(rx_held_buffers_dropped_with_their_ring)
{
	struct nctx c;
	nsetup(&c, 0, 0);
	host_send(&c, 1500, 9);
	rx_post(&c, 0, 1000, VIRTQ_DESC_F_WRITE); /* too little: held */
	mdrv_kick(&c.bus, BASE, 0);
	ck_assert_uint_eq(tused_idx(&c.rx), 0);
	mw32(&c.bus, BASE + 0x30, 0);
	mw32(&c.bus, BASE + 0x44, 0);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x44), 0);
	tring_init(&c.rx, &c.ram, 0x60000, QS);
	mdrv_queue(&c.bus, BASE, 0, &c.rx);
	rx_post(&c, 1, 4096, VIRTQ_DESC_F_WRITE);
	mdrv_kick(&c.bus, BASE, 0);
	/* the frame, whole, in the new ring's one buffer; head 0 of the old ring is not pushed */
	ck_assert_uint_eq(tused_idx(&c.rx), 1);
	ck_assert_uint_eq(tused_id(&c.rx, 0), 1);
	ck_assert_uint_eq(tused_len(&c.rx, 0), HDR + 1500);
	uint16_t nb;
	memcpy(&nb, c.ram.buf + RXBUF + 0x10000 + 10, 2);
	ck_assert_uint_eq(nb, 1);
	for (uint32_t i = 0; i < 1500; i++)
		ck_assert_uint_eq(c.ram.buf[RXBUF + 0x10000 + HDR + i], (uint8_t)(i * 7 + 9));
	ck_assert_uint_eq(stats(&c).rx_packets, 1);
	nfree(&c);
}
END_TEST

START_TEST(rx_hostile_buffers)
{
	struct nctx c;
	nsetup(&c, 0, 1ULL << VIRTIO_NET_F_MRG_RXBUF);
	rx_post(&c, 0, 200, 0); /* device-readable: not a receive buffer */
	rx_post(&c, 1, 8, VIRTQ_DESC_F_WRITE); /* smaller than the header */
	rx_post(&c, 2, 500, VIRTQ_DESC_F_WRITE); /* without MRG_RXBUF one buffer must hold the frame */
	host_send(&c, 1000, 1);
	virtio_net_poll_rx(c.net, 0);
	ck_assert_uint_eq(tused_idx(&c.rx), 2);
	ck_assert_uint_eq(tused_len(&c.rx, 0), 0);
	ck_assert_uint_eq(tused_len(&c.rx, 1), 0);
	struct virtio_net_stats s = stats(&c);
	ck_assert_uint_eq(s.rx_bad_buf, 2);
	ck_assert_uint_eq(s.rx_dropped, 1);
	/* the 500-byte buffer stayed available and takes a frame that fits */
	host_send(&c, 400, 2);
	virtio_net_poll_rx(c.net, 0);
	ck_assert_uint_eq(tused_idx(&c.rx), 3);
	ck_assert_uint_eq(tused_id(&c.rx, 2), 2);
	ck_assert_uint_eq(tused_len(&c.rx, 2), HDR + 400);
	uint16_t nb;
	memcpy(&nb, c.ram.buf + RXBUF + 2 * 0x10000 + 10, 2);
	ck_assert_uint_eq(nb, 1);
	/* from the backend: runt and oversized frames are dropped */
	uint8_t runt[HDR + 4] = { 0 };
	ck_assert_int_eq(send(c.sv[1], runt, sizeof(runt), 0), (ssize_t)sizeof(runt));
	virtio_net_poll_rx(c.net, 0);
	ck_assert_uint_eq(stats(&c).rx_dropped, 2);
	ck_assert(!(dev_status(&c) & VIRTIO_STATUS_NEEDS_RESET));
	nfree(&c);
}
END_TEST

START_TEST(rx_frame_larger_than_ring_dropped)
{
	struct nctx c;
	nsetup(&c, 0, 0);
	for (unsigned i = 0; i < QS; i++) { /* the whole ring of 64-byte buffers: 4 KiB in all */
		tdesc(&c.rx, i, RXBUF + i * 64ULL, 64, VIRTQ_DESC_F_WRITE, 0);
		tavail(&c.rx, (uint16_t)i);
	}
	host_send(&c, 9000, 4);
	virtio_net_poll_rx(c.net, 0);
	ck_assert_uint_eq(tused_idx(&c.rx), QS); /* all handed back, unused */
	ck_assert_uint_eq(tused_len(&c.rx, 0), 0);
	ck_assert_uint_eq(stats(&c).rx_dropped, 1);
	nfree(&c);
}
END_TEST

static void wait_used(struct tring *r, uint16_t want)
{
	for (int i = 0; i < 2000 && tused_idx(r) != want; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	ck_assert_uint_eq(tused_idx(r), want);
}

START_TEST(rx_tx_on_iothread)
{
	static uint8_t got[4096];
	struct nctx c;
	nsetup(&c, 1, 0);
	host_send(&c, 600, 5); /* before any buffer: waits with the fd paused */
	struct timespec ts = { 0, 20000000 };
	nanosleep(&ts, NULL);
	rx_post(&c, 0, 2048, VIRTQ_DESC_F_WRITE);
	mdrv_kick(&c.bus, BASE, 0);
	wait_used(&c.rx, 1);
	rx_post(&c, 1, 2048, VIRTQ_DESC_F_WRITE);
	mdrv_kick(&c.bus, BASE, 0);
	host_send(&c, 700, 6); /* the fd is polled again */
	wait_used(&c.rx, 2);
	ck_assert_uint_eq(tused_len(&c.rx, 1), HDR + 700);
	tdesc(&c.tx, 0, TXBUF, HDR + 60, 0, 0);
	memset(c.ram.buf + TXBUF, 0, HDR);
	tavail(&c.tx, 0);
	mdrv_kick(&c.bus, BASE, 1);
	wait_used(&c.tx, 1);
	ck_assert_int_eq(host_recv(&c, got, sizeof(got)), HDR + 60);
	nfree(&c);
}
END_TEST

START_TEST(offloads_config_and_link)
{
	struct nctx c;
	nsetup(&c, 0, 0);
	ck_assert_uint_eq(c.offload_flags, VIRTIO_NET_OFF_CSUM | VIRTIO_NET_OFF_TSO4 | VIRTIO_NET_OFF_TSO6 |
						   VIRTIO_NET_OFF_TSO_ECN | VIRTIO_NET_OFF_UFO);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x100), 0x02015652); /* mac 52:56:01:02 */
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x104) & 0xffffffff, 0x00010403); /* 03:04, status LINK_UP */
	int before = c.rec.raises[GSI];
	virtio_net_set_link(c.net, 0);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x104) >> 16, 0);
	ck_assert_int_eq(c.rec.raises[GSI], before + 1);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x60) & 2, 2); /* config change */
	mw32(&c.bus, BASE + 0x70, 0); /* reset: offloads off again */
	ck_assert_uint_eq(c.offload_flags, 0);
	nfree(&c);
	/* a driver without GUEST_CSUM gets no offloads at all, even if it asked for TSO */
	nsetup(&c, 0, 1ULL << VIRTIO_NET_F_GUEST_CSUM);
	ck_assert_uint_eq(c.offload_flags, 0);
	ck_assert_uint_ge(c.offload_calls, 1);
	nfree(&c);
}
END_TEST

/* one control command: class, cmd, a 16-bit argument; returns the ack byte */
static uint8_t ctrl(struct nctx *c, uint8_t cls, uint8_t cmd, uint16_t arg, uint32_t len)
{
	uint8_t b[4] = { cls, cmd };
	memcpy(b + 2, &arg, 2);
	memcpy(c->ram.buf + TXBUF, b, 4);
	c->ram.buf[TXBUF + 100] = 0xaa;
	tdesc(&c->ctrl, 0, TXBUF, len, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&c->ctrl, 1, TXBUF + 100, 1, VIRTQ_DESC_F_WRITE, 0);
	uint16_t before = tused_idx(&c->ctrl);
	tavail(&c->ctrl, 0);
	mdrv_kick(&c->bus, BASE, 4);
	ck_assert_uint_eq(tused_idx(&c->ctrl), (uint16_t)(before + 1));
	return c->ram.buf[TXBUF + 100];
}

START_TEST(multiqueue_control)
{
	struct nctx c;
	nsetup_ex(&c, 0, 0, 2);
	ck_assert_uint_eq(mr32(&c.bus, BASE + 0x108) & 0xffff, 2); /* max_virtqueue_pairs */
	ck_assert_uint_eq(c.queues_active, 1);
	ck_assert_uint_eq(ctrl(&c, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 4), VIRTIO_NET_OK);
	ck_assert_uint_eq(c.queues_active, 2);
	ck_assert_uint_eq(ctrl(&c, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 4), VIRTIO_NET_ERR);
	ck_assert_uint_eq(ctrl(&c, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0, 4), VIRTIO_NET_ERR);
	ck_assert_uint_eq(ctrl(&c, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1, 3), VIRTIO_NET_ERR);
	ck_assert_uint_eq(ctrl(&c, 0, 0, 1, 4), VIRTIO_NET_ERR); /* rx mode: not offered */
	ck_assert_uint_eq(c.queues_active, 2);
	ck_assert_uint_eq(stats(&c).ctrl_bad, 4);
	nfree(&c);
}
END_TEST

START_TEST(mac_and_spec)
{
	uint8_t a[6], b[6], m[6];
	virtio_net_default_mac("vm1", 0, a);
	virtio_net_default_mac("vm1", 0, b);
	ck_assert(!memcmp(a, b, 6));
	ck_assert_uint_eq(a[0] & 3, 2); /* locally administered unicast */
	virtio_net_default_mac("vm1", 1, b);
	ck_assert(memcmp(a, b, 6));
	virtio_net_default_mac("vm2", 0, b);
	ck_assert(memcmp(a, b, 6));
	ck_assert_int_eq(virtio_net_parse_mac("52:54:00:ab:CD:ef", m), 0);
	ck_assert_uint_eq(m[4], 0xcd);
	ck_assert_int_eq(virtio_net_parse_mac("01:00:5e:00:00:01", m), -EINVAL); /* multicast */
	ck_assert_int_eq(virtio_net_parse_mac("00:00:00:00:00:00", m), -EINVAL);
	ck_assert_int_eq(virtio_net_parse_mac("52:54:00:ab:cd", m), -EINVAL);
	ck_assert_int_eq(virtio_net_parse_mac("52-54-00-ab-cd-ef", m), -EINVAL);
	ck_assert_int_eq(virtio_net_parse_mac("52:54:00:ab:cd:efx", m), -EINVAL);
	ck_assert_int_eq(virtio_net_parse_mac("5:54:00:ab:cd:efx", m), -EINVAL); /* one-digit group */
	ck_assert_int_eq(virtio_net_parse_mac("52:54:00:ab:cd:e ", m), -EINVAL);
	ck_assert_int_eq(virtio_net_parse_mac("52:54:00:ab:cd:eg", m), -EINVAL);

	struct net_spec s;
	char err[256];
	ck_assert_int_eq(net_spec_parse("tap", "vm1", 0, &s, err, sizeof(err)), 0);
	ck_assert(!memcmp(s.mac, a, 6));
	ck_assert_str_eq(s.ifname, "");
	ck_assert_int_eq(net_spec_parse("tap,ifname=tap0,mac=52:54:00:00:00:07,bridge=br0,transport=mmio,queues=2", "vm1",
					0, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s.ifname, "tap0");
	ck_assert_str_eq(s.bridge, "br0");
	ck_assert_uint_eq(s.mac[5], 7);
	ck_assert_int_eq(s.transport, VDEV_MMIO);
	ck_assert_uint_eq(s.queues, 2);
	ck_assert_int_eq(net_spec_parse("user", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,ifname=0123456789abcdef", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,mac=ff:ff:ff:ff:ff:ff", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,speed=10", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,queues=9", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,ifname", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,queues=2,", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,queues=12", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,mac", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,bridge=", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tapx", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(net_spec_parse("tap,mac=52:54:00:ab:cd:0g", "vm1", 0, &s, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "mac=52:54:00:ab:cd:0g"));

	char name[IF_NAMESIZE];
	tap_default_name("kvmini", 0, name);
	ck_assert_str_eq(name, "kvmini-kvmini-0");
	tap_default_name("a-rather-long-vm-name", 3, name);
	ck_assert_int_le(strlen(name), 15);
	ck_assert(!strncmp(name, "kvmini-", 7));
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("virtio-net");
	TCase *t = tcase_create("net");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, tx_roundtrip);
	tcase_add_test(t, tx_hostile_frames_dropped);
	tcase_add_test(t, rx_mergeable_buffers);
	tcase_add_test(t, rx_waits_for_buffers);
	tcase_add_test(t, rx_held_buffers_dropped_with_their_ring);
	tcase_add_test(t, rx_hostile_buffers);
	tcase_add_test(t, rx_frame_larger_than_ring_dropped);
	tcase_add_test(t, rx_tx_on_iothread);
	tcase_add_test(t, offloads_config_and_link);
	tcase_add_test(t, multiqueue_control);
	tcase_add_test(t, mac_and_spec);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
