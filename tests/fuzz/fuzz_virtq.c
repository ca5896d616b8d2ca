// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: split virtqueue chains (virtio/queue.c) over fake guest RAM. The input picks the
 * ring features, size and addresses, a script of device actions, and all of RAM; the harness pops,
 * reads, writes, pushes and notifies, and checks that every iovec it is handed lies in RAM and adds
 * up to the lengths the chain reports. */
#include "fuzz.h"

#include <errno.h>

#include "virtio/queue.h"

#define RAM_SIZE 0x10000
#define SCRIPT 8
#define MAX_STEPS 64

static void q_sig(struct virtio_dev *vd, unsigned q) {}
static void c_sig(struct virtio_dev *vd) {}
static const struct virtio_transport_ops tops = { .signal_queue = q_sig, .signal_config = c_sig };
static void cfg_read(struct virtio_dev *vd, unsigned off, void *data, unsigned size) {}
static void handle(struct virtio_dev *vd, unsigned q) {}
static const struct virtio_dev_ops ops = { .config_read = cfg_read, .handle_queue = handle };

/* every buffer is a host pointer into RAM, and the lengths add up */
static void check_chain(const struct fz_ram *ram, const struct virtq_chain *c)
{
	uint64_t rd = 0, wr = 0;
	if (c->nr_read + c->nr_write > VIRTQ_MAX_SIZE)
		fz_die("chain longer than VIRTQ_MAX_SIZE");
	for (unsigned i = 0; i < c->nr_read + c->nr_write; i++) {
		const uint8_t *b = c->iov[i].iov_base;
		size_t l = c->iov[i].iov_len;
		if (b < ram->buf || l > ram->size || b + l > ram->buf + ram->size)
			fz_die("iovec outside guest RAM");
		*(i < c->nr_read ? &rd : &wr) += l;
	}
	if (rd != c->read_len || wr != c->write_len)
		fz_die("chain lengths do not add up");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain c;
	static uint8_t scratch[4096];
	struct fz f = { data, size };
	uint32_t feat = (uint32_t)fz_take(&f, 4);
	struct fz_ring r;
	fz_ring_read(&f, &r);
	uint8_t script[SCRIPT];
	for (unsigned i = 0; i < SCRIPT; i++)
		script[i] = (uint8_t)fz_take(&f, 1);
	struct fz_ram *ram = fz_ram_get(RAM_SIZE);
	fz_ram_load(ram, &f);

	struct virtio_dev vd = { .ops = &ops, .name = "fuzz", .num_queues = 1, .queue_max = VIRTQ_MAX_SIZE };
	struct virtio_env env = { .mem = &ram->mem, .no_iothread = 1 };
	if (virtio_dev_setup(&vd, &env))
		fz_die("virtio_dev_setup");
	vd.tops = &tops;
	vd.driver_features = 1ULL << VIRTIO_F_VERSION_1;
	if (feat & 1)
		vd.driver_features |= 1ULL << VIRTIO_F_RING_INDIRECT_DESC;
	if (feat & 2)
		vd.driver_features |= 1ULL << VIRTIO_F_RING_EVENT_IDX;
	if (feat & 4)
		vd.max_chain_bytes = 1 + (feat >> 8);
	vd.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		    VIRTIO_STATUS_DRIVER_OK;
	struct virtq *vq = &vd.vq[0];
	vq->size = r.size;
	vq->desc_gpa = r.desc;
	vq->avail_gpa = r.avail;
	vq->used_gpa = r.used;
	if (virtq_enable(vq) == 0) {
		for (unsigned step = 0; step < MAX_STEPS; step++) {
			uint8_t op = script[step % SCRIPT];
			int got = virtq_pop(vq, &c);
			if (got <= 0)
				break;
			check_chain(ram, &c);
			uint64_t off = (uint64_t)(op & 0x0f) * 61;
			virtq_chain_read(&c, off, scratch, sizeof(scratch));
			uint64_t wlen = c.write_len < sizeof(scratch) ? c.write_len : sizeof(scratch);
			uint64_t wrote = virtq_chain_write(&c, 0, scratch, wlen);
			if (wrote > c.write_len)
				fz_die("chain_write wrote past the writable part");
			switch (op >> 5) {
			case 0:
				/* the chain comes back unless our writes landed in the rings (the guest's choice) */
				virtq_unpop(vq);
				if (virtq_pop(vq, &c) <= 0)
					step = MAX_STEPS;
				check_chain(ram, &c);
				virtq_push(vq, c.head, (uint32_t)wrote);
				break;
			case 1:
				virtq_disable_notify(vq);
				virtq_push(vq, c.head, (uint32_t)wrote);
				virtq_enable_notify(vq);
				break;
			case 2:
				virtq_push(vq, c.head, 0);
				virtq_should_notify(vq);
				break;
			default:
				virtq_push(vq, c.head, (uint32_t)wrote);
				virtq_notify(vq);
				break;
			}
		}
	}
	virtio_dev_destroy(&vd);
	return 0;
}
