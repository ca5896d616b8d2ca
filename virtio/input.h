/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-input (virtio 1.2 §5.8) as an absolute pointer: a tablet with EV_ABS X/Y in 0..32767,
 * left/right/middle buttons and a wheel, so the guest's pointer lands where a VNC viewer's is.
 * The config space answers the driver's select/subsel queries (name, ids, event and property
 * bitmaps, axis ranges). Events from the user interface wait in a bounded queue until the driver
 * gives buffers on the event queue; the status queue (LEDs) is read and ignored. */
#ifndef KVMINI_VIRTIO_INPUT_H
#define KVMINI_VIRTIO_INPUT_H
#include <stdint.h>

#include "virtio/virtio.h"

#define VIRTIO_ID_INPUT 18
#define VIRTIO_INPUT_CONFIG_LEN 136
#define VIRTIO_INPUT_ABS_MAX 32767
#define VIRTIO_INPUT_PENDING 256 /* events held for the driver; more are dropped */

#define VIRTIO_INPUT_CFG_UNSET 0x00
#define VIRTIO_INPUT_CFG_ID_NAME 0x01
#define VIRTIO_INPUT_CFG_ID_SERIAL 0x02
#define VIRTIO_INPUT_CFG_ID_DEVIDS 0x03
#define VIRTIO_INPUT_CFG_PROP_BITS 0x10
#define VIRTIO_INPUT_CFG_EV_BITS 0x11
#define VIRTIO_INPUT_CFG_ABS_INFO 0x12

/* Linux input event types and codes used here */
#define EV_SYN 0x00
#define EV_KEY 0x01
#define EV_REL 0x02
#define EV_ABS 0x03
#define SYN_REPORT 0
#define REL_WHEEL 0x08
#define ABS_X 0x00
#define ABS_Y 0x01
#define BTN_LEFT 0x110
#define BTN_RIGHT 0x111
#define BTN_MIDDLE 0x112

struct virtio_input;

int virtio_input_create(struct virtio_input **out, const char *name);
struct virtio_dev *virtio_input_dev(struct virtio_input *in);
void virtio_input_destroy(struct virtio_input *in);

/* From the user interface (any thread): the pointer at (x, y) in 0..VIRTIO_INPUT_ABS_MAX, buttons
 * held (bit 0 left, 1 middle, 2 right: RFB's mask), wheel steps (> 0 up). Sends what changed, then
 * SYN_REPORT. */
void virtio_input_pointer(struct virtio_input *in, unsigned x, unsigned y, unsigned buttons, int wheel);

#endif
