/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A virtio device's I/O thread: the device-agnostic one (devices/iothread.h) running under vd->lock,
 * with one kick eventfd per queue (the ioeventfds when the VM offers them) and a control eventfd
 * that makes the device side catch up with register changes. Internal to virtio/. */
#ifndef KVMINI_VIRTIO_IOTHREAD_H
#define KVMINI_VIRTIO_IOTHREAD_H
#include "virtio/virtio.h"

/* Creates the kick and control eventfds and starts the thread. */
int virtio_io_create(struct virtio_dev *vd);
/* Stops and joins the thread (idempotent); fds stay open so ioeventfds can still be removed. */
void virtio_io_stop(struct virtio_io *io);
/* Starts it again after virtio_io_stop (kicks rung meanwhile are served then). */
int virtio_io_start(struct virtio_io *io);
/* Closes everything; after virtio_io_stop and after the transport dropped its ioeventfds. */
void virtio_io_free(struct virtio_io *io);
/* Wakes the thread to run handle_queue(qidx). */
void virtio_io_kick(struct virtio_io *io, unsigned qidx);
/* Wakes the thread to run virtio_dev_sync. */
void virtio_io_poke(struct virtio_io *io);
int virtio_io_kickfd(const struct virtio_io *io, unsigned qidx);

#endif
