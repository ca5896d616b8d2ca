/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-scsi internals shared by its request path (scsi.c) and its control queue, config space
 * and saved state (scsi_ctrl.c). */
#ifndef KVMINI_VIRTIO_SCSI_PRIV_H
#define KVMINI_VIRTIO_SCSI_PRIV_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/disk/aio.h"
#include "virtio/disk_queue.h"
#include "virtio/queue.h"
#include "virtio/scsi.h"

#define VSCSI_CTRLQ 0
#define VSCSI_EVENTQ 1
#define VSCSI_REQQ 2 /* first request queue */
#define VSCSI_REQ_IOV 24 /* iovecs kept inline per request; longer chains allocate */
#define VSCSI_EVENTS 16 /* events kept while the driver has no event buffer; more are dropped */
#define VSCSI_AN_SUBS 16 /* LUNs with an asynchronous-notification subscription */
#define VSCSI_EVENT_LEN 16 /* le32 event, lun[8], le32 reason */

/* virtio-scsi event types (§5.6.6.3) */
#define VIRTIO_SCSI_T_NO_EVENT 0
#define VIRTIO_SCSI_T_TRANSPORT_RESET 1
#define VIRTIO_SCSI_T_ASYNC_NOTIFY 2
#define VIRTIO_SCSI_T_PARAM_CHANGE 3
#define VIRTIO_SCSI_T_EVENTS_MISSED 0x80000000u
#define VSCSI_AN_MEDIA 0x10u /* the media event class (GET EVENT STATUS NOTIFICATION's bit 4) */

struct virtio_scsi;
struct vscsi_queue;

/* One request in flight: the target's request and where its response header goes. */
struct vscsi_req {
	struct scsi_req sr;
	struct vscsi_queue *q;
	uint16_t head;
	uint32_t gen; /* the queue's live_gen when popped */
	uint64_t tag; /* the driver's id, for QUERY TASK */
	unsigned target; /* VIRTIO_SCSI_TARGETS until decoded */
	bool busy;
	uint64_t resp_len; /* response header bytes, by the sense_size in force when popped */
	uint64_t data_len; /* data-in + data-out bytes the chain offered */
	int nresp;
	struct iovec *iov; /* response header slices, then data-in, then data-out */
	struct iovec inline_iov[VSCSI_REQ_IOV];
	struct vscsi_req *next_free;
};

struct vscsi_queue {
	struct vdq dq; /* dq.idx: the virtqueue index */
	struct virtio_scsi *s;
	struct vscsi_req *reqs; /* queue_max contexts */
	struct vscsi_req *free;
};

struct vscsi_event {
	uint32_t event, reason;
	uint8_t target;
	uint16_t lun;
};

struct vscsi_an_sub {
	uint8_t target;
	uint16_t lun;
	uint32_t classes;
};

struct virtio_scsi {
	struct virtio_dev vdev; /* first: container of vd */
	struct scsi_target *targets[VIRTIO_SCSI_TARGETS];
	unsigned nreq; /* request queues */
	struct vscsi_queue *q; /* nreq, for virtqueues VSCSI_REQQ.. */
	/* driver-writable config (vCPU writes, I/O thread reads: __atomic) */
	uint32_t sense_size, cdb_size;
	uint32_t cfg_reset_gen; /* vd->reset_gen when they were last written */
	bool logged_short, logged_hdr, logged_ctrl; /* log-once flags for broken drivers */
	struct vdq_dev dq; /* the request loop, the disk_aio, the pop scratch (also for the control queue) */
	/* events: the control thread (medium change) adds, the I/O thread delivers; under ev_lock,
	 * never held across I/O */
	pthread_mutex_t ev_lock;
	struct vscsi_event ev[VSCSI_EVENTS];
	unsigned nev;
	bool ev_missed; /* an event was dropped: the next one delivered says so */
	bool logged_event;
	struct vscsi_an_sub an[VSCSI_AN_SUBS]; /* the driver's AN subscriptions (media class only) */
	unsigned nan;
};

static inline struct virtio_scsi *vscsi_of(struct virtio_dev *vd) { return (struct virtio_scsi *)vd; }

/* The target and LUN the 8-byte LUN field names; NULL for a malformed field or an empty slot. */
struct scsi_target *vscsi_lun_decode(struct virtio_scsi *s, const uint8_t lun[8], unsigned *target,
				     unsigned *lunno);
/* Runs every request in flight to its end and notifies the queues that got answers. */
void vscsi_drain(struct virtio_scsi *s);
/* Whether a request for target/lun (and with tag, unless any_tag) is in flight. */
bool vscsi_task_inflight(struct virtio_scsi *s, unsigned target, unsigned lun, uint64_t tag, bool any_tag);
void vscsi_handle_ctrl(struct virtio_scsi *s, struct virtq *vq);
void vscsi_log_once(struct virtio_scsi *s, bool *flag, const char *what);

/* scsi_event.c: the event queue and asynchronous-notification subscriptions */
void vscsi_handle_events(struct virtio_scsi *s, struct virtq *vq);
/* The classes of event_requested the LUN supports (media, on a CD-ROM); with subscribe they are
 * recorded for it. */
uint32_t vscsi_an_request(struct virtio_scsi *s, unsigned target, unsigned lun, uint32_t requested, bool subscribe);
void vscsi_events_reset(struct virtio_scsi *s);
void vscsi_events_save(struct virtio_scsi *s, struct state_writer *w);
int vscsi_events_load(struct virtio_scsi *s, struct state_reader *r, int apply);

void vscsi_config_read(struct virtio_dev *vd, unsigned off, void *data, unsigned size);
void vscsi_config_write(struct virtio_dev *vd, unsigned off, const void *data, unsigned size);
void vscsi_config_defaults(struct virtio_scsi *s);
void vscsi_state_save(struct virtio_dev *vd, struct state_writer *w);
int vscsi_state_load(struct virtio_dev *vd, struct state_reader *r, int apply);

#endif
