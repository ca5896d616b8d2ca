/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A device's I/O thread, independent of any bus or device family: one epoll loop over the fds the
 * device watches (doorbell eventfds, a tap, a disk_aio completion fd), each with a callback, and a
 * stop eventfd. virtio devices use it through virtio/iothread.c; a PCI storage controller (IDE,
 * AHCI) can use it directly alongside struct gmem for DMA and devices/pci.h + devices/msix.h for
 * interrupts.
 *
 * Callbacks run on the thread, with the lock given at creation held (if any), so a device can keep
 * its request state under one mutex that vCPUs never take. Watches may be added, changed and removed
 * from any thread at any time, callbacks included; a removed watch's callback is not called again
 * once iothread_unwatch returns on the thread itself (from another thread, at most an event already
 * fetched may still run). */
#ifndef KVMINI_DEVICES_IOTHREAD_H
#define KVMINI_DEVICES_IOTHREAD_H
#include <pthread.h>
#include <stdint.h>

struct iothread;
typedef void (*iothread_fn)(void *opaque, void *arg, int fd, uint32_t events);

/* The epoll set and the stop eventfd; the thread starts with iothread_start. name is for logs. */
int iothread_create(struct iothread **out, const char *name, pthread_mutex_t *lock);
int iothread_start(struct iothread *t);
/* Stops and joins the thread (idempotent); the watched fds stay open (they are the caller's).
 * iothread_start runs it again; events that came meanwhile are served then. */
void iothread_stop(struct iothread *t);
/* Stops, then frees the thread's own state. NULL is fine. */
void iothread_destroy(struct iothread *t);

/* events: EPOLL* bits; 0 pauses a watch. -EEXIST if fd is already watched. */
int iothread_watch(struct iothread *t, int fd, uint32_t events, iothread_fn fn, void *opaque, void *arg);
int iothread_rewatch(struct iothread *t, int fd, uint32_t events);
int iothread_unwatch(struct iothread *t, int fd);

/* Doorbells: a non-blocking eventfd, rung from any thread, drained by its callback. */
int iothread_bell_open(void); /* fd or -errno */
void iothread_bell_ring(int fd);
void iothread_bell_drain(int fd);

#endif
