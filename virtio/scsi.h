/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-scsi (virtio 1.2 §5.6): a host bus adapter in front of the userspace SCSI target
 * (devices/scsi/scsi.h). Queue 0 is the control queue (task management, asynchronous-notification
 * query/subscribe), queue 1 the event queue, queues 2.. the request queues, all served on the
 * device's I/O thread, where requests go to the targets through one disk_aio with up to the queue
 * size in flight per queue, answered as they complete.
 *
 * Addressing: the 8-byte LUN field is 1, target, then a flat (0x40 | lun >> 8, lun & 0xff) or
 * peripheral (0, lun) LUN; anything else, or a target slot without a target, answers BAD_TARGET.
 * A LUN the target lacks goes to the target (INQUIRY peripheral 0x7F, else LOGICAL UNIT NOT
 * SUPPORTED), so a scan is quick. Targets are the caller's (they outlive guest resets, which
 * recreate this device): the device only submits to them, resets them on TMFs and saves nothing of
 * theirs (register scsi_target_state_ops for each, see virtio_scsi_state_register).
 *
 * Features: VIRTIO_SCSI_F_CHANGE only (parameter-change events for medium changes; see
 * virtio_scsi_medium_changed). No bidirectional commands (a request with both data-out and data-in
 * fails with VIRTIO_SCSI_S_FAILURE), no hot-plug (kvmini has none, so no TRANSPORT_RESET events),
 * no T10 PI. */
#ifndef KVMINI_VIRTIO_SCSI_H
#define KVMINI_VIRTIO_SCSI_H
#include <stdint.h>

#include "devices/scsi/scsi.h"
#include "virtio/virtio.h"

#define VIRTIO_SCSI_F_INOUT 0
#define VIRTIO_SCSI_F_HOTPLUG 1
#define VIRTIO_SCSI_F_CHANGE 2
#define VIRTIO_SCSI_F_T10_PI 3

/* response codes */
#define VIRTIO_SCSI_S_OK 0
#define VIRTIO_SCSI_S_FUNCTION_COMPLETE 0
#define VIRTIO_SCSI_S_OVERRUN 1
#define VIRTIO_SCSI_S_ABORTED 2
#define VIRTIO_SCSI_S_BAD_TARGET 3
#define VIRTIO_SCSI_S_RESET 4
#define VIRTIO_SCSI_S_BUSY 5
#define VIRTIO_SCSI_S_TRANSPORT_FAILURE 6
#define VIRTIO_SCSI_S_TARGET_FAILURE 7
#define VIRTIO_SCSI_S_NEXUS_FAILURE 8
#define VIRTIO_SCSI_S_FAILURE 9
#define VIRTIO_SCSI_S_FUNCTION_SUCCEEDED 10
#define VIRTIO_SCSI_S_FUNCTION_REJECTED 11
#define VIRTIO_SCSI_S_INCORRECT_LUN 12

/* control queue request types and TMF subtypes */
#define VIRTIO_SCSI_T_TMF 0
#define VIRTIO_SCSI_T_AN_QUERY 1
#define VIRTIO_SCSI_T_AN_SUBSCRIBE 2
#define VIRTIO_SCSI_T_TMF_ABORT_TASK 0
#define VIRTIO_SCSI_T_TMF_ABORT_TASK_SET 1
#define VIRTIO_SCSI_T_TMF_CLEAR_ACA 2
#define VIRTIO_SCSI_T_TMF_CLEAR_TASK_SET 3
#define VIRTIO_SCSI_T_TMF_I_T_NEXUS_RESET 4
#define VIRTIO_SCSI_T_TMF_LOGICAL_UNIT_RESET 5
#define VIRTIO_SCSI_T_TMF_QUERY_TASK 6
#define VIRTIO_SCSI_T_TMF_QUERY_TASK_SET 7

#define VIRTIO_SCSI_TARGETS 8 /* max_target 7: Linux scans every id, each one costs an exit */
#define VIRTIO_SCSI_MAX_LUN 16383
#define VIRTIO_SCSI_CDB_SIZE 32 /* defaults the driver may change in config space */
#define VIRTIO_SCSI_SENSE_SIZE 96
#define VIRTIO_SCSI_MAX_SECTORS 0xffff
#define VIRTIO_SCSI_CONFIG_LEN 36
#define VIRTIO_SCSI_MAX_REQ_QUEUES 16
#define VIRTIO_SCSI_BUDGET 128
/* header sizes for the default cdb_size / sense_size */
#define VIRTIO_SCSI_REQ_HDR(cdb) (19u + (cdb))
#define VIRTIO_SCSI_RESP_HDR(sense) (12u + (sense))

struct virtio_scsi_opts {
	unsigned num_queues; /* request queues (one per vCPU); 0: 1; at most VIRTIO_SCSI_MAX_REQ_QUEUES */
	uint16_t queue_size; /* 0: 256 */
	const char *name;    /* for logs; NULL: "virtio-scsi" */
	unsigned budget;     /* chains per queue turn; 0: VIRTIO_SCSI_BUDGET */
};

struct virtio_scsi;
struct state_registry;

/* targets[i] is target id i (NULL: none). Each must have been created with autosense; they stay
 * the caller's and must outlive the device. Then pass virtio_scsi_dev() to a transport. */
int virtio_scsi_create(struct virtio_scsi **out, struct scsi_target *const targets[VIRTIO_SCSI_TARGETS],
		       const struct virtio_scsi_opts *o);
struct virtio_dev *virtio_scsi_dev(struct virtio_scsi *s);
/* virtio_dev_destroy (I/O thread, transport; waits for requests in flight) and frees the device. */
void virtio_scsi_destroy(struct virtio_scsi *s);

/* A host-side medium change (scsi_lun_insert / scsi_lun_eject, done by the caller) on target/lun:
 * queues a PARAM_CHANGE event (ASC/ASCQ 28/00) if the driver negotiated VIRTIO_SCSI_F_CHANGE and an
 * ASYNC_NOTIFY media event if it subscribed to that class for the LUN, and kicks the event queue.
 * Up to 16 events wait for event buffers; more are dropped and the next one delivered carries
 * VIRTIO_SCSI_T_EVENTS_MISSED. Any thread. */
void virtio_scsi_medium_changed(struct virtio_scsi *s, unsigned target, unsigned lun);

/* Registers the device ("virtio", instance) and then each of its targets ("scsi-target", instance
 * * VIRTIO_SCSI_TARGETS + id) in g. The virtio payload's own part is: sense_size, cdb_size (u32, as
 * the driver set them), a u8 bitmap of the targets present (must match on load), the AN
 * subscriptions and the events not yet delivered. */
int virtio_scsi_state_register(struct virtio_scsi *s, struct state_registry *g, uint32_t instance);

#endif
