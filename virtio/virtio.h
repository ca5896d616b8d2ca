/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio core: what a device model (blk, net, ...) fills in, and what a transport (PCI or MMIO)
 * offers it. A device knows nothing of its transport: it declares features, config space and queues,
 * handles `handle_queue` on its own I/O thread, and signals the driver with virtq_notify(). The
 * transport is chosen at creation by calling virtio_pci_create() or virtio_mmio_create().
 *
 * Threads and locks. Register state (status, features, selectors, each queue's programmed size,
 * addresses, vector and ready bit) lives under vd->reg_lock, which vCPUs take for register accesses
 * and which nothing ever holds across I/O. Request processing runs on the I/O thread under vd->lock
 * (handle_queue, fd callbacks, reset, activate, queue_stop); vCPUs never take vd->lock, so a register
 * access never waits for a disk request. The I/O thread catches up with register changes in
 * virtio_dev_sync(): a device reset, queues enabled or taken down, DRIVER_OK. Until it has, the old
 * rings are stale: every ring access checks, under reg_lock, that its queue still belongs to the
 * current incarnation, so a late completion is dropped rather than pushed into a ring the driver
 * has reset. A reset therefore takes effect at once for the driver (virtio-mmio: status reads 0
 * right away and queues can be programmed), and virtio-pci reports status 0 only once the device has
 * finished (in-flight requests drained), which Linux polls for. A device model needs no lock of its
 * own for queue state. */
#ifndef KVMINI_VIRTIO_H
#define KVMINI_VIRTIO_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/iothread.h"
#include "vmm/bus.h"
#include "vmm/gmem.h"
#include "vmm/irq.h"

struct pci_host;
struct virtq;
struct virtio_dev;
struct virtio_io;
struct state_writer;
struct state_reader;

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
	/* device reset (status 0 written, or destroy): finish or cancel what is in flight and forget it
	 * before returning (pushes into the old rings are refused by now). The queues are reset after.
	 * vd->lock held. NULL: nothing to do. */
	void (*reset)(struct virtio_dev *vd);
	/* the driver took queue qidx down without a device reset (virtio-mmio QueueReady = 0): as reset,
	 * for that queue only. vd->lock held. NULL: nothing to do. */
	void (*queue_stop)(struct virtio_dev *vd, unsigned qidx);
	/* the driver set DRIVER_OK: negotiated features are final (virtio_has_feature). vd->lock held,
	 * on the I/O thread. A negative return sets NEEDS_RESET. NULL: nothing to do. */
	int (*activate)(struct virtio_dev *vd);
	/* Saved state (virtio_dev_pause'd, vd->lock held). quiesce finishes what is in flight (its
	 * answers go into the rings) and returns -EBUSY if anything is still outstanding. state_save
	 * writes the model's own part; state_load reads it back, only checking with apply 0, installing
	 * with apply 1 (then activate follows with vd->restored set). All NULL: nothing to save. */
	int (*quiesce)(struct virtio_dev *vd);
	void (*state_save)(struct virtio_dev *vd, struct state_writer *w);
	int (*state_load)(struct virtio_dev *vd, struct state_reader *r, int apply);
};

/* How the core reaches its transport (internal to virtio/, set by *_create). */
struct virtio_transport_ops {
	void (*signal_queue)(struct virtio_dev *vd, unsigned qidx); /* used buffers: MSI-X vector or INTx/edge */
	void (*signal_config)(struct virtio_dev *vd); /* config change (also NEEDS_RESET) */
	void (*destroy)(struct virtio_dev *vd); /* unregister and free transport state */
	/* saved state: the transport's registers (checked with apply 0, installed with apply 1) and
	 * how many MSI-X vectors a queue may name (0: none) */
	void (*state_save)(struct virtio_dev *vd, struct state_writer *w);
	int (*state_load)(struct virtio_dev *vd, struct state_reader *r, int apply);
	unsigned (*nr_vectors)(struct virtio_dev *vd);
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
	pthread_mutex_t lock; /* request processing; see the threads note at the top */
	pthread_mutex_t reg_lock; /* register state; never held across I/O */
	/* register side (reg_lock) */
	uint64_t driver_features; /* what the driver wrote (final once FEATURES_OK) */
	uint32_t status; /* device_status; read with __atomic, changed under reg_lock */
	uint32_t status_at_reset; /* what virtio-pci shows until a reset has finished */
	uint32_t reset_gen; /* bumped by every reset the driver asks for */
	uint32_t applied_gen; /* reset_gen the device has caught up with (written under both locks) */
	uint32_t reg_seq; /* bumped by every change virtio_dev_sync must see (__atomic reads) */
	int needs_reset_logged;
	uint32_t config_gen; /* config_generation, bumped by virtio_config_changed */
	/* device side (lock) */
	uint32_t synced_seq;
	uint64_t negotiated; /* driver_features as of FEATURES_OK: what virtio_has_feature reads */
	int activated; /* activate ran for this incarnation */
	struct virtq *vq; /* num_queues queues */
	const struct virtio_transport_ops *tops;
	void *transport;
	struct virtio_io *io; /* NULL without an I/O thread */
	int paused; /* virtio_dev_pause: I/O thread stopped, nothing in flight */
	int restored; /* state loaded, activate not yet run for it (device side) */
};

/* ---- for device models ---- */

/* Negotiated features, for the device side (vd->lock). */
static inline int virtio_has_feature(const struct virtio_dev *vd, unsigned bit)
{
	return bit < 64 && (vd->negotiated >> bit) & 1;
}
/* Used buffers on queue qidx: raises the queue's interrupt unless the driver suppressed it
 * (EVENT_IDX used_event or VIRTQ_AVAIL_F_NO_INTERRUPT). Declared in virtio/queue.h. */
/* void virtq_notify(struct virtq *vq); */

/* The device's config space changed: bump config_generation and raise a config interrupt. */
void virtio_config_changed(struct virtio_dev *vd);
/* The device (or the queue layer) found the driver broke the rules: sets NEEDS_RESET, raises a
 * config interrupt, logs `why` once. Processing of broken queues stops until reset. Ignored while a
 * reset the device has not caught up with is pending (the complaint is about the old incarnation).
 * The _locked form is for reg_lock holders. */
void virtio_dev_needs_reset(struct virtio_dev *vd, const char *why);
void virtio_dev_needs_reset_locked(struct virtio_dev *vd, const char *why);
/* Queue qidx's state (NULL if out of range). */
struct virtq *virtio_dev_queue(struct virtio_dev *vd, unsigned qidx);

/* Device-specific fds served by the I/O thread (e.g. a tap fd, a disk_aio fd): cb(vd, arg, fd,
 * events) runs there with vd->lock held. events are EPOLL* bits; virtio_io_mod_fd(.., 0) pauses a
 * watch (e.g. no rx buffers). Without an I/O thread these return -ENOTSUP. */
typedef iothread_fn virtio_fd_cb;
int virtio_io_add_fd(struct virtio_dev *vd, int fd, uint32_t events, virtio_fd_cb cb, void *arg);
int virtio_io_mod_fd(struct virtio_dev *vd, int fd, uint32_t events);
int virtio_io_del_fd(struct virtio_dev *vd, int fd);
/* Asks for handle_queue(qidx) to run again on the I/O thread (e.g. after rx buffers freed up, or
 * when a budget ran out). Without an I/O thread it runs right away, nested. */
void virtio_dev_kick(struct virtio_dev *vd, unsigned qidx);
/* Device side (vd->lock held): catch up with register changes (see the threads note). Cheap when
 * nothing changed; the I/O thread calls it before every queue callback. */
void virtio_dev_sync(struct virtio_dev *vd);

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

/* ---- saved state (vmm/state.h) ----
 * Precondition for a save: the vCPUs are stopped and the device is paused. virtio_dev_pause stops
 * the I/O thread, catches up with the registers and finishes the requests in flight (their
 * completions land in the rings, so guest RAM must be copied after it); it returns -EBUSY if the
 * device could not drain. virtio_dev_resume restarts the thread and re-runs every queue, so a kick
 * that arrived while paused (or before a save) is never lost. A load goes into a device that is
 * freshly created (or reset) and leaves it paused: guest RAM must be in place before the load (ring
 * addresses are checked against it), and virtio_dev_resume follows once everything is loaded; the
 * device is then activated on its I/O thread with the loaded features and ring positions. A load
 * into a device that was in use resets it first (after the payload passed every check). */
int virtio_dev_pause(struct virtio_dev *vd);
void virtio_dev_resume(struct virtio_dev *vd);
/* Marks every live queue's used ring dirty in guest RAM's migration bitmap (vmm/gmem.h): the
 * rings are mapped once, so their writes are not marked one by one. Paused devices only. */
void virtio_dev_mark_rings(struct virtio_dev *vd);
/* -EBUSY unless paused. Payload: ids and sizes, features, status, config generation, each queue
 * (virtq_state_save), the transport's part, the device model's part. */
int virtio_dev_state_save(const struct virtio_dev *vd, struct state_writer *w);
/* -EINVAL for a stream of another device type, queue count or transport, or bad values (then
 * nothing changes). Else what the device held is reset first, as by its driver. */
int virtio_dev_state_load(struct virtio_dev *vd, struct state_reader *r, uint32_t version);
extern const struct state_ops virtio_state_ops; /* id "virtio", obj: struct virtio_dev * */

/* ---- for transports (virtio/ internal) ---- */

/* Sets up vd->vq, the locks and (unless no_iothread) the I/O thread. */
int virtio_dev_setup(struct virtio_dev *vd, const struct virtio_env *env);
/* Offered features, all 64 bits. */
uint64_t virtio_dev_features(const struct virtio_dev *vd);
/* A guest status write, vd->reg_lock held: reset (0: register state at once, the device side
 * follows in virtio_dev_sync), FEATURES_OK negotiation, DRIVER_OK. Call virtio_dev_poke after
 * dropping reg_lock. */
void virtio_dev_set_status_locked(struct virtio_dev *vd, uint32_t status);
uint32_t virtio_dev_get_status(const struct virtio_dev *vd);
/* 1 while a reset the driver asked for is still being carried out by the device side. */
int virtio_dev_reset_pending(const struct virtio_dev *vd);
/* Register state changed in a way virtio_dev_sync must see; reg_lock held. */
void virtio_dev_reg_changed_locked(struct virtio_dev *vd);
/* Wakes the device side to sync (runs it here without an I/O thread); no lock held. */
void virtio_dev_poke(struct virtio_dev *vd);
/* The driver notified queue qidx through a register write (no ioeventfd in place). */
void virtio_dev_notify(struct virtio_dev *vd, unsigned qidx);
/* Eventfd the transport hands to hooks->ioeventfd for queue qidx (-1 without an I/O thread). */
int virtio_dev_kick_fd(struct virtio_dev *vd, unsigned qidx);

#endif
