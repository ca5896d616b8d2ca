// SPDX-License-Identifier: GPL-2.0-or-later
/* Saved state of virtio-blk (with its I/O thread and disk_aio) and virtio-net (multiqueue, link,
 * rx buffers held for a frame not yet complete): the target goes on where the source paused, and
 * a payload for another disk size or MAC is refused. */
#include "state_test.h"
#include "blk_test.h"
#include "virtio/net.h"
#include "vmm/le.h"

#include <sys/socket.h>

/* ---- virtio-blk ---- */

START_TEST(blk_round_trip)
{
	static struct bctx a, b;
	bsetup(&a, 0, 1);
	uint8_t pat[512];
	for (unsigned i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 13 + 1);
	memcpy(a.ram.buf + DATA, pat, sizeof(pat));
	ck_assert_uint_eq(breq(&a, VIRTIO_BLK_T_OUT, 5, DATA, 512, 0, NULL), VIRTIO_BLK_S_OK);
	ck_assert_int_eq(virtio_dev_pause(virtio_blk_dev(a.blk)), 0);
	size_t n;
	uint8_t *p = st_save(&virtio_state_ops, virtio_blk_dev(a.blk), &n);

	bsetup_disk(&b, 0, 1, 0, a.disk); /* the same disk, as shared storage; its driver ran */
	ck_assert_int_eq(virtio_dev_pause(virtio_blk_dev(b.blk)), 0); /* RAM comes in while it is still */
	memcpy(b.ram.buf, a.ram.buf, RAM);
	b.r = a.r;
	b.r.ram = &b.ram;
	b.seen_used = a.seen_used;
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_blk_dev(b.blk), p, n), 0);
	virtio_dev_resume(virtio_blk_dev(b.blk));
	memset(b.ram.buf + DATA2, 0, 512);
	ck_assert_uint_eq(breq(&b, VIRTIO_BLK_T_IN, 5, DATA2, 512, 1, NULL), VIRTIO_BLK_S_OK);
	ck_assert_mem_eq(b.ram.buf + DATA2, pat, 512);
	ck_assert_uint_eq(b.seen_used, 2); /* the second request on the ring, not a fresh one */
	ck_assert_uint_eq(mr32(&b.bus, BASE + 0x70), mr32(&a.bus, BASE + 0x70));

	/* a disk of another size: the capacity (the payload's last 8 bytes) does not match */
	uint8_t *bad = malloc(n);
	memcpy(bad, p, n);
	le_put64(bad, n - 8, le_get64(p, n - 8) * 2);
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_blk_dev(b.blk), bad, n), -EINVAL);
	free(bad);
	ck_assert_int_eq(virtio_dev_pause(virtio_blk_dev(b.blk)), 0);
	st_check_short(&virtio_state_ops, virtio_blk_dev(b.blk), p, n, 0);
	virtio_dev_resume(virtio_blk_dev(a.blk));
	free(p);
	b.path[0] = 0; /* a's disk: closed by a */
	bfree(&b);
	bfree(&a);
}
END_TEST

/* ---- virtio-net: two pairs and the control queue over virtio-mmio, no I/O thread ---- */

#define NQS 16
#define RXB 0x100000ULL
#define CTRLB 0x300000ULL
#define NHDR VIRTIO_NET_HDR_LEN

struct nctx {
	struct fake_ram ram;
	struct irq_recorder rec;
	struct bus bus;
	struct virtio_net *net;
	int sv[2];
	struct tring rx, ctrl;
	unsigned active;
};

static int set_queues(void *o, unsigned active)
{
	((struct nctx *)o)->active = active;
	return 0;
}

static void nsetup(struct nctx *c, uint8_t mac_last)
{
	memset(c, 0, sizeof(*c));
	fake_ram_init(&c->ram, 0, RAM);
	bus_init(&c->bus, "mmio");
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, c->sv), 0);
	struct virtio_net_backend be = { .fds = { c->sv[0], c->sv[0] }, .nfds = 2, .set_queues = set_queues,
					 .opaque = c };
	struct virtio_net_opts o = { .mac = { 0x52, 0x56, 1, 2, 3, mac_last }, .queue_size = NQS, .name = "state-net" };
	ck_assert_int_eq(virtio_net_create(&c->net, &be, &o), 0);
	struct virtio_env env = { .mem = &c->ram.mem, .hooks = &irqrec_hooks, .hooks_opaque = &c->rec, .no_iothread = 1 };
	ck_assert_int_eq(virtio_mmio_create(virtio_net_dev(c->net), &c->bus, BASE, GSI, &env), 0);
}

static void ndrive(struct nctx *c)
{
	ck_assert(mdrv_negotiate(&c->bus, BASE, mdrv_device_features(&c->bus, BASE)) & VIRTIO_STATUS_FEATURES_OK);
	struct tring q;
	for (unsigned i = 0; i < 5; i++) {
		tring_init(&q, &c->ram, 0x10000 * (i + 1), NQS);
		mdrv_queue(&c->bus, BASE, i, &q);
		if (i == 0)
			c->rx = q;
		if (i == 4)
			c->ctrl = q;
	}
	mdrv_driver_ok(&c->bus, BASE);
}

static void nfree(struct nctx *c)
{
	virtio_net_destroy(c->net);
	close(c->sv[0]);
	close(c->sv[1]);
	bus_destroy(&c->bus);
	fake_ram_free(&c->ram);
}

static void host_send(struct nctx *c, uint32_t len)
{
	static uint8_t pkt[NHDR + 4096];
	memset(pkt, 0, sizeof(pkt));
	for (uint32_t i = 0; i < len; i++)
		pkt[NHDR + i] = (uint8_t)i;
	ck_assert_int_eq(send(c->sv[1], pkt, NHDR + len, 0), (ssize_t)(NHDR + len));
}

START_TEST(net_round_trip)
{
	static struct nctx a, b;
	nsetup(&a, 4);
	ndrive(&a);
	/* the driver turns both pairs on */
	tw16(&a.ram, CTRLB, 4 | 0 << 8); /* class MQ, VQ_PAIRS_SET */
	tw16(&a.ram, CTRLB + 2, 2);
	tdesc(&a.ctrl, 0, CTRLB, 4, VIRTQ_DESC_F_NEXT, 1);
	tdesc(&a.ctrl, 1, CTRLB + 0x10, 1, VIRTQ_DESC_F_WRITE, 0);
	tavail(&a.ctrl, 0);
	mdrv_kick(&a.bus, BASE, 4);
	ck_assert_uint_eq(a.ram.buf[CTRLB + 0x10], VIRTIO_NET_OK);
	ck_assert_uint_eq(a.active, 2);
	virtio_net_set_link(a.net, 0);
	/* two 1000-byte rx buffers for a 2500-byte frame: both held, waiting for a third */
	for (unsigned i = 0; i < 3; i++)
		tdesc(&a.rx, i, RXB + 0x1000 * i, 1000, VIRTQ_DESC_F_WRITE, 0);
	tavail(&a.rx, 0);
	tavail(&a.rx, 1);
	host_send(&a, 2500);
	virtio_net_poll_rx(a.net, 0);
	ck_assert_uint_eq(tused_idx(&a.rx), 0);
	ck_assert_int_eq(virtio_dev_pause(virtio_net_dev(a.net)), 0); /* gives the two back */
	size_t n;
	uint8_t *p = st_save(&virtio_state_ops, virtio_net_dev(a.net), &n);

	nsetup(&b, 4);
	memcpy(b.ram.buf, a.ram.buf, RAM);
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_net_dev(b.net), p, n), 0);
	virtio_dev_resume(virtio_net_dev(b.net));
	ck_assert_uint_eq(b.active, 2); /* the pairs the driver chose, not one */
	ck_assert_uint_eq(mr32(&b.bus, BASE + 0x100 + 4) >> 16, 0); /* link down, as the source said */
	ck_assert_uint_eq(mr32(&b.bus, BASE + 0x100) & 0xff, 0x52);
	/* the buffers the source held are the target's to use: with the third the frame fits */
	b.rx = a.rx;
	b.rx.ram = &b.ram;
	tavail(&b.rx, 2);
	host_send(&b, 2500);
	virtio_net_poll_rx(b.net, 0);
	ck_assert_uint_eq(tused_idx(&b.rx), 3);
	ck_assert_uint_eq(tused_id(&b.rx, 0), 0);
	ck_assert_uint_eq(tused_len(&b.rx, 2), NHDR + 2500 - 2000);

	uint8_t *bad = malloc(n);
	const unsigned net = (unsigned)n - 10; /* mac[6] link active */
	memcpy(bad, p, n);
	bad[net + 5] = 5; /* another MAC */
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_net_dev(b.net), bad, n), -EINVAL);
	memcpy(bad, p, n);
	le_put16(bad, net + 8, 3); /* more pairs than there are */
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_net_dev(b.net), bad, n), -EINVAL);
	memcpy(bad, p, n);
	le_put16(bad, net + 6, 2); /* a link status bit that does not exist */
	ck_assert_int_eq(st_load(&virtio_state_ops, virtio_net_dev(b.net), bad, n), -EINVAL);
	free(bad);
	ck_assert_int_eq(virtio_dev_pause(virtio_net_dev(b.net)), 0);
	st_check_short(&virtio_state_ops, virtio_net_dev(b.net), p, n, 0);
	ck_assert_uint_gt(st_check_mutations(&virtio_state_ops, virtio_net_dev(b.net), p, n, 0), 100);
	free(p);
	nfree(&a);
	nfree(&b);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("state_blk_net");
	TCase *t = tcase_create("core");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, blk_round_trip);
	tcase_add_test(t, net_round_trip);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
