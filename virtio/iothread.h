/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-device I/O thread: epoll over the queues' kick eventfds (ioeventfds when the VM offers
 * them), device-specific fds, and a stop eventfd. Internal to virtio/. */
#ifndef KVMINI_VIRTIO_IOTHREAD_H
#define KVMINI_VIRTIO_IOTHREAD_H
#include "virtio/virtio.h"

/* Creates the epoll set and one kick eventfd per queue, and starts the thread. */
int virtio_io_create(struct virtio_dev *vd);
/* Stops and joins the thread (idempotent); fds stay open so ioeventfds can still be removed. */
void virtio_io_stop(struct virtio_io *io);
/* Closes everything; after virtio_io_stop and after the transport dropped its ioeventfds. */
void virtio_io_free(struct virtio_io *io);
/* Wakes the thread to run handle_queue(qidx). */
void virtio_io_kick(struct virtio_io *io, unsigned qidx);
int virtio_io_kickfd(const struct virtio_io *io, unsigned qidx);

#endif
