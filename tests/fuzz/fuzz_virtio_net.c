// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: virtio-net headers and packets. The device runs over a SOCK_SEQPACKET socketpair
 * standing in for the tap, on virtio-mmio without an I/O thread. The input chooses the features,
 * the rx and tx rings, one frame (vnet header included) the host side sends, and guest RAM; the
 * harness kicks tx (the guest's headers reach tx_hdr_ok and the backend) and polls rx (the host
 * frame lands in the guest's buffers, mergeable or not). */
#include "fuzz.h"

#include <sys/socket.h>
#include <unistd.h>

#include "virtio/net.h"

#define RAM_SIZE 0x10000

static int offload(void *opaque, unsigned flags) { return 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int sv[2] = { -1, -1 };
	static uint8_t sink[VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME + 64];
	if (sv[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		fz_die("socketpair");
	struct fz f = { data, size };
	uint32_t feat = (uint32_t)fz_take(&f, 4);
	struct fz_ring rx, tx;
	fz_ring_read(&f, &rx);
	fz_ring_read(&f, &tx);
	size_t pkt_len;
	const uint8_t *pkt = fz_bytes(&f, (size_t)fz_take(&f, 2), &pkt_len);
	struct fz_ram *ram = fz_ram_get(RAM_SIZE);
	fz_ram_load(ram, &f);

	struct bus bus;
	bus_init(&bus, "mmio");
	struct virtio_net_backend be = { .fds = { sv[0] }, .nfds = 1, .set_offload = offload };
	struct virtio_net_opts o = { .mac = { 0x52, 0x56, 0, 0, 0, 1 }, .queue_size = 256, .name = "fuzz-net" };
	struct virtio_net *n;
	if (virtio_net_create(&n, &be, &o))
		fz_die("virtio_net_create");
	if (fz_mmio_plug(&bus, virtio_net_dev(n), ram, feat)) {
		fz_mmio_queue(&bus, 0, &rx);
		fz_mmio_queue(&bus, 1, &tx);
		fz_mmio_driver_ok(&bus);
		fz_mmio_kick(&bus, 1);
		if (pkt_len)
			send(sv[1], pkt, pkt_len, 0);
		virtio_net_poll_rx(n, 0);
		fz_mmio_kick(&bus, 0);
	}
	virtio_net_destroy(n);
	bus_destroy(&bus);
	/* nothing carries over to the next input */
	while (recv(sv[1], sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	while (recv(sv[0], sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	return 0;
}
