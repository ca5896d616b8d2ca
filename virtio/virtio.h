/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio core: what a device model (blk, net, ...) fills in, and what a transport (PCI or MMIO)
 * offers it. A device knows nothing of its transport: it declares features, config space and queues,
 * handles `handle_queue` on its own I/O thread, and signals the driver with virtq_notify(). The
 * transport is chosen at creation by calling virtio_pci_create() or virtio_mmio_create().
 *
 * Threads: register accesses arrive on vCPU threads; handle_queue, fd callbacks and reset run with
 * vd->lock held (handle_queue/fd callbacks on the device's I/O thread). A device model therefore
 * needs no lock of its own for queue state. */
#ifndef KVMINI_VIRTIO_H
#define KVMINI_VIRTIO_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/gmem.h"
#include "vmm/irq.h"

struct pci_host;
struct virtq;
struct virtio_dev;
struct virtio_io;

/* device ids (virtio 1.2 §5) */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_SCSI 8

/* device status bits */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* transport/ring feature bits; the core always offers the first three */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_CORE_FEATURES \
	((1ULL << VIRTIO_F_RING_INDIRECT_DESC) | (1ULL << VIRTIO_F_RING_EVENT_IDX) | (1ULL << VIRTIO_F_VERSION_1))

#define VIRTIO_MAX_QUEUES 64
#define VIRTIO_NO_VECTOR 0xffff

/* What a device model implements. Every callback gets the virtio_dev embedded in the model
 * (use container_of or vd->priv). Callbacks may be NULL where noted. */
struct virtio_dev_ops {
	/* device config space, offsets/sizes already bounds-checked against vd->config_len; vCPU thread */
	void (*config_read)(struct virtio_dev *vd, unsigned off, void *data, unsigned size);
	void (*config_write)(struct virtio_dev *vd, unsigned off, const void *data, unsigned size); /* NULL: ignored */
	/* the driver notified queue qidx (or the device asked for a re-run): pop chains, push used ones,
	 * virtq_notify(). I/O thread (or the notifying thread without one), vd->lock held. */
	void (*handle_queue)(struct virtio_dev *vd, unsigned qidx);
	/* device reset (status 0 written, or destroy): forget in-flight state; queues are already reset
	 * and the I/O thread is not inside a callback. vd->lock held. NULL: nothing to do. */
	void (*reset)(struct virtio_dev *vd);
	/* the driver set DRIVER_OK: negotiated features are final (virtio_has_feature). vd->lock held.
	 * A negative return sets NEEDS_RESET. NULL: nothing to do. */
	int (*activate)(struct virtio_dev *vd);
	/* the driver took queue qidx down while the device runs (virtio-mmio QueueReady=0): forget what
	 * is held from its ring, the next enable brings a new one. vd->lock held. NULL: nothing held. */
	void (*queue_disable)(struct virtio_dev *vd, unsigned qidx);
};

/* How the core reaches its transport (internal to virtio/, set by *_create). */
struct virtio_transport_ops {
	void (*signal_queue)(struct virtio_dev *vd, unsigned qidx); /* used buffers: MSI-X vector or INTx/edge */
	void (*signal_config)(struct virtio_dev *vd); /* config change (also NEEDS_RESET) */
	void (*destroy)(struct virtio_dev *vd); /* unregister and free transport state */
};

/* Common parameters of both transports: the VM services a device may use. */
struct virtio_env {
	const struct gmem *mem;
	const struct vm_hooks *hooks; /* NULL hooks are fine in unit tests */
	void *hooks_opaque;
	/* 1: no I/O thread; notifications run handle_queue on the notifying thread (unit tests) */
	int no_iothread;
};

struct virtio_dev {
	/* --- filled by the device model before *_create --- */
	const struct virtio_dev_ops *ops;
	const char *name; /* for logs, e.g. "virtio-blk0" */
	uint16_t device_id; /* VIRTIO_ID_* */
	uint32_t pci_class; /* PCI class code (e.g. 0x010000 storage, 0x020000 network) */
	uint64_t features; /* device-specific features offered; VIRTIO_CORE_FEATURES are added */
	unsigned num_queues; /* 1..VIRTIO_MAX_QUEUES */
	uint16_t queue_max; /* largest queue size offered: power of two <= VIRTQ_MAX_SIZE */
	unsigned config_len; /* bytes of device config space (<= 0x1000 for PCI, 0xf00 for MMIO) */
	uint64_t max_chain_bytes; /* 0: chains may total up to 4 GiB - 1; else the device's limit */
	void *priv; /* the device model */

	/* --- owned by the core and transport --- */
	struct virtio_env env;
	pthread_mutex_t lock; /* see the threads note at the top */
	uint64_t driver_features; /* what the driver acked (valid once FEATURES_OK) */
	uint32_t status; /* device_status; read/written with __atomic, changed under lock */
	uint32_t config_gen; /* config_generation, bumped by virtio_config_changed */
	struct virtq *vq; /* num_queues queues */
	const struct virtio_transport_ops *tops;
	void *transport;
	struct virtio_io *io; /* NULL without an I/O thread */
	int needs_reset_logged;
};

/* ---- for device models ---- */

static inline int virtio_has_feature(const struct virtio_dev *vd, unsigned bit)
{
	return bit < 64 && (vd->driver_features >> bit) & 1;
}
/* Used buffers on queue qidx: raises the queue's interrupt unless the driver suppressed it
 * (EVENT_IDX used_event or VIRTQ_AVAIL_F_NO_INTERRUPT). Declared in virtio/queue.h. */
/* void virtq_notify(struct virtq *vq); */

/* The device's config space changed: bump config_generation and raise a config interrupt. */
void virtio_config_changed(struct virtio_dev *vd);
/* The device (or the queue layer) found the driver broke the rules: sets NEEDS_RESET, raises a
 * config interrupt, logs `why` once. Processing of broken queues stops until reset. */
void virtio_dev_needs_reset(struct virtio_dev *vd, const char *why);
/* Queue qidx's state (NULL if out of range). */
struct virtq *virtio_dev_queue(struct virtio_dev *vd, unsigned qidx);

/* Device-specific fds served by the I/O thread (e.g. a tap fd): cb runs there with vd->lock held.
 * events are EPOLL* bits; virtio_io_mod_fd(.., 0) pauses a watch (e.g. no rx buffers). Without an
 * I/O thread these return -ENOTSUP. */
typedef void (*virtio_fd_cb)(struct virtio_dev *vd, int fd, uint32_t events, void *arg);
int virtio_io_add_fd(struct virtio_dev *vd, int fd, uint32_t events, virtio_fd_cb cb, void *arg);
int virtio_io_mod_fd(struct virtio_dev *vd, int fd, uint32_t events);
int virtio_io_del_fd(struct virtio_dev *vd, int fd);
/* Asks for handle_queue(qidx) to run again on the I/O thread (e.g. after rx buffers freed up). */
void virtio_dev_kick(struct virtio_dev *vd, unsigned qidx);

/* ---- transports (creation also starts the I/O thread unless env->no_iothread) ---- */

/* virtio-pci modern (1af4:1040+id, rev 1): one 64-bit memory BAR holding common/ISR/device/notify
 * structures and the MSI-X table + PBA (num_queues + 1 vectors); INTx fallback. Plugs into h. */
int virtio_pci_create(struct virtio_dev *vd, struct pci_host *h, const struct virtio_env *env);
/* The pci_dev behind a virtio-pci device (tests drive its BAR ops and config space). */
struct pci_dev *virtio_pci_dev(struct virtio_dev *vd);

/* virtio-mmio version 2: a 4 KiB window at base on mmio, edge interrupt on gsi. */
int virtio_mmio_create(struct virtio_dev *vd, struct bus *mmio, uint64_t base, unsigned gsi,
		       const struct virtio_env *env);
/* Writes " virtio_mmio.device=4K@0x<base>:<gsi>" (leading space) for the kernel command line.
 * Returns the length, or -ENOSPC if it does not fit. */
int virtio_mmio_cmdline(char *buf, size_t len, uint64_t base, unsigned gsi);

/* Stops the I/O thread, resets the device, removes ioeventfds/irqfds and frees transport state.
 * Call after the vCPUs have stopped. Does not free the device model itself. */
void virtio_dev_destroy(struct virtio_dev *vd);

/* ---- for transports (virtio/ internal) ---- */

/* Sets up vd->vq, the lock and (unless no_iothread) the I/O thread's epoll. */
int virtio_dev_setup(struct virtio_dev *vd, const struct virtio_env *env);
/* Offered features, all 64 bits. */
uint64_t virtio_dev_features(const struct virtio_dev *vd);
/* A guest status write: handles reset (0), FEATURES_OK negotiation, DRIVER_OK activation. */
void virtio_dev_set_status(struct virtio_dev *vd, uint32_t status);
uint32_t virtio_dev_get_status(const struct virtio_dev *vd);
/* Full device reset, vd->lock held by the caller. */
void virtio_dev_reset_locked(struct virtio_dev *vd);
/* The driver notified queue qidx through a register write (no ioeventfd in place). */
void virtio_dev_notify(struct virtio_dev *vd, unsigned qidx);
/* Eventfd the transport hands to hooks->ioeventfd for queue qidx (-1 without an I/O thread). */
int virtio_dev_kick_fd(struct virtio_dev *vd, unsigned qidx);

#endif
