// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-9p's glue between the ring and the 9p server: each chain is copied out of guest RAM (the
 * checked iovecs virtq_pop built), answered, and its reply copied into the writable part; requests
 * are served one after the other, so Tflush has nothing to cancel. */
#include "p9.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/9p/p9.h"
#include "virtio/queue.h"
#include "vmm/le.h"
#include "vmm/state.h"

struct virtio_p9 {
	struct virtio_dev vdev; /* first: container of vd */
	struct p9_server *srv;
	uint8_t config[2 + VIRTIO_9P_TAG_MAX];
	uint8_t *in, *out; /* P9_MAX_MSIZE each: one request and its reply (I/O thread) */
	struct virtq_chain chain;
	char name[32];
};

static struct virtio_p9 *p9_of(struct virtio_dev *vd) { return (struct virtio_p9 *)vd; }

static void p9_config_read(struct virtio_dev *vd, unsigned off, void *data, unsigned size)
{
	memcpy(data, p9_of(vd)->config + off, size);
}

static void p9_handle_queue(struct virtio_dev *vd, unsigned qidx)
{
	struct virtio_p9 *p = p9_of(vd);
	struct virtq *vq = virtio_dev_queue(vd, qidx);
	struct virtq_chain *c = &p->chain;
	unsigned n = 0;
	int pushed = 0;
	for (; n < VIRTIO_9P_BUDGET && virtq_pop(vq, c) > 0; n++) {
		uint64_t inlen = c->read_len < P9_MAX_MSIZE ? c->read_len : P9_MAX_MSIZE;
		uint64_t cap = c->write_len < P9_MAX_MSIZE ? c->write_len : P9_MAX_MSIZE;
		uint32_t used = 0;
		if (cap >= 11) { /* room for an Rlerror at least; else the request is dropped unanswered */
			virtq_chain_read(c, 0, p->in, inlen);
			size_t len = p9_server_handle(p->srv, p->in, inlen, p->out, cap);
			used = (uint32_t)virtq_chain_write(c, 0, p->out, len);
		}
		virtq_push(vq, c->head, used);
		pushed = 1;
	}
	if (pushed)
		virtq_notify(vq);
	if (n == VIRTIO_9P_BUDGET)
		virtio_dev_kick(vd, qidx); /* more may wait: after the other queues' turn */
}

static void p9_reset(struct virtio_dev *vd) { p9_server_reset(p9_of(vd)->srv); }

static int p9_quiesce(struct virtio_dev *vd) { return 0; /* nothing is ever in flight */ }

/* payload: the tag (u16 length, bytes; must be this device's), then the server's fids */
static void p9_state_save(struct virtio_dev *vd, struct state_writer *w)
{
	struct virtio_p9 *p = p9_of(vd);
	uint16_t n = le_get16(p->config, 0);
	state_put_u16(w, n);
	state_put_bytes(w, p->config + 2, n);
	p9_server_state_save(p->srv, w);
}

static int p9_state_load(struct virtio_dev *vd, struct state_reader *r, int apply)
{
	struct virtio_p9 *p = p9_of(vd);
	uint16_t n = state_get_u16(r);
	const void *tag = state_get_ptr(r, n);
	if (r->err)
		return r->err;
	if (n != le_get16(p->config, 0) || memcmp(tag, p->config + 2, n))
		return -EINVAL; /* another share */
	return p9_server_state_load(p->srv, r, apply);
}

static const struct virtio_dev_ops p9_ops = {
	.config_read = p9_config_read,
	.handle_queue = p9_handle_queue,
	.reset = p9_reset,
	.quiesce = p9_quiesce,
	.state_save = p9_state_save,
	.state_load = p9_state_load,
};

int virtio_p9_create(struct virtio_p9 **out, const char *root, const char *tag, int ro, const char *name)
{
	size_t tl = tag ? strlen(tag) : 0;
	if (!tl || tl > VIRTIO_9P_TAG_MAX)
		return -EINVAL;
	struct virtio_p9 *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int r = p9_server_create(&p->srv, root, ro);
	if (!r && (!(p->in = malloc(P9_MAX_MSIZE)) || !(p->out = malloc(P9_MAX_MSIZE))))
		r = -ENOMEM;
	if (r) {
		p9_server_destroy(p->srv);
		free(p->in);
		free(p);
		return r;
	}
	le_put16(p->config, 0, (uint16_t)tl);
	memcpy(p->config + 2, tag, tl);
	struct virtio_dev *vd = &p->vdev;
	vd->ops = &p9_ops;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "virtio-9p");
	vd->name = p->name;
	vd->device_id = VIRTIO_ID_9P;
	vd->pci_class = 0x018000; /* mass storage, other */
	vd->features = 1ULL << VIRTIO_9P_F_MOUNT_TAG;
	vd->num_queues = 1;
	vd->queue_max = 128;
	vd->config_len = (unsigned)(2 + tl);
	vd->priv = p;
	*out = p;
	return 0;
}

struct virtio_dev *virtio_p9_dev(struct virtio_p9 *p) { return &p->vdev; }

void virtio_p9_limit_fids(struct virtio_p9 *p, unsigned max_fids) { p9_server_limit(p->srv, max_fids); }

void virtio_p9_destroy(struct virtio_p9 *p)
{
	if (!p)
		return;
	virtio_dev_destroy(&p->vdev);
	p9_server_destroy(p->srv);
	free(p->in);
	free(p->out);
	free(p);
}
