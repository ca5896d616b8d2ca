/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one state interface: the stream format every saved device (and vCPU/VM) state travels in,
 * a writer that builds it, a bounds-checked reader, and a registry that saves "all devices" in a
 * fixed order and matches sections back on restore.
 *
 * Stream format, version 1 (every number little-endian):
 *
 *   offset  size  field
 *   0       8     magic "KVMSTATE"
 *   8       4     format version (STATE_FORMAT_VERSION = 1)
 *   12      4     flags, 0 (a stream with unknown flags is refused)
 *   16      ...   sections, each:
 *                   1      id length N, 1..STATE_ID_MAX (0 marks the end of the sections)
 *                   N      id: [a-z0-9_.-], e.g. "serial", "virtio-blk", "cpu"
 *                   4      instance number (which of several devices of one kind, vCPU index...)
 *                   4      section version (the layout of this payload; the owner's to bump)
 *                   8      payload length L
 *                   L      payload, defined by the owner of the id
 *           1     0 (end marker)
 *           4     CRC32 (zlib's crc32, polynomial 0xedb88320) of every byte before it, from the
 *                 magic through the end marker
 *
 * A reader checks magic, format version, flags, CRC and the framing of every section before
 * handing out the first one: a truncated, corrupt or foreign stream is refused whole, with one
 * reason, before anything is applied.
 *
 * Device convention (X = serial, rtc, ...):
 *   int X_state_save(const struct X *, struct state_writer *w);    payload only, 0 or -errno
 *   int X_state_load(struct X *, struct state_reader *sec, uint32_t version);
 * load returns 0, -EBADMSG for a payload that is short or too long, -EINVAL for values the device
 * would not accept from its own registers. The payload is untrusted input: a load validates every
 * value as if the guest had written it (indexes, sizes, ring addresses within guest RAM) and leaves
 * the device unchanged when it fails. Devices with I/O in flight must be drained (stopped) before
 * save; their save functions say so.
 *
 * A machine registers its parts in one fixed order (state_registry_add) and saves them in it. On
 * save: vCPUs stopped, every device with an I/O thread paused (virtio_dev_pause, ide_pause,
 * ahci_pause: drains what is in flight, whose completions write guest RAM), then device sections,
 * then the final copy of RAM. On restore:
 * guest RAM in place first (ring addresses are checked against it), the KVM irqchip before the
 * devices (loads re-drive their interrupt lines), then state_registry_load, then
 * virtio_dev_resume on each virtio device, then the vCPUs.
 */
#ifndef KVMINI_STATE_H
#define KVMINI_STATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_MAGIC "KVMSTATE"
#define STATE_FORMAT_VERSION 1u
#define STATE_HEADER_SIZE 16u
#define STATE_ID_MAX 31u
/* smallest stream: header, end marker, CRC */
#define STATE_MIN_SIZE (STATE_HEADER_SIZE + 1u + 4u)

/* ---- writer ---- */

/* Takes the next len bytes of the stream; 0 or -errno (which sticks in the writer). */
typedef int (*state_sink_fn)(void *opaque, const void *buf, size_t len);

struct state_writer {
	uint8_t *buf; /* the whole stream (no sink) or what is not yet given to the sink */
	size_t len, cap;
	state_sink_fn sink;
	void *sink_opaque;
	uint32_t crc; /* over what went to the sink */
	size_t sec_len_off; /* offset in buf of the open section's length field */
	bool in_section, finished;
	int err; /* first error; every later call is a no-op */
};

/* A writer into a growable buffer (state_writer_data gives it out after state_writer_finish). */
void state_writer_init(struct state_writer *w);
/* A writer that hands each finished section to sink (only one section is ever buffered). */
void state_writer_init_sink(struct state_writer *w, state_sink_fn sink, void *opaque);
void state_writer_free(struct state_writer *w);

/* Opens a section: id must be 1..STATE_ID_MAX characters of [a-z0-9_.-] (else -EINVAL sticks). */
void state_begin(struct state_writer *w, const char *id, uint32_t instance, uint32_t version);
/* Closes the open section, filling in its length (and giving it to the sink). */
void state_end(struct state_writer *w);
/* Payload helpers; outside a section they set -EINVAL. */
void state_put_u8(struct state_writer *w, uint8_t v);
void state_put_u16(struct state_writer *w, uint16_t v);
void state_put_u32(struct state_writer *w, uint32_t v);
void state_put_u64(struct state_writer *w, uint64_t v);
void state_put_bytes(struct state_writer *w, const void *p, size_t n);
/* Writes the end marker and the CRC. Returns the sticky error (0 when the stream is complete). */
int state_writer_finish(struct state_writer *w);
static inline int state_writer_err(const struct state_writer *w) { return w->err; }
/* The stream built so far (the whole stream after finish, without a sink). */
const uint8_t *state_writer_data(const struct state_writer *w, size_t *len);

/* ---- reader ---- */

/* A cursor over one payload: get helpers never read past its end; an overrun sets -EBADMSG,
 * which sticks, and makes every later get return 0. */
struct state_reader {
	const uint8_t *p;
	size_t len, pos;
	int err;
};

void state_reader_init(struct state_reader *r, const void *p, size_t len);
uint8_t state_get_u8(struct state_reader *r);
uint16_t state_get_u16(struct state_reader *r);
uint32_t state_get_u32(struct state_reader *r);
uint64_t state_get_u64(struct state_reader *r);
/* Copies n bytes (zero-fills dst on overrun). */
void state_get_bytes(struct state_reader *r, void *dst, size_t n);
/* n bytes of the payload in place (valid as long as the stream's buffer), NULL on overrun. */
const void *state_get_ptr(struct state_reader *r, size_t n);
/* A bool saved as u8 0/1; other values set -EINVAL. */
bool state_get_bool(struct state_reader *r);
static inline size_t state_reader_left(const struct state_reader *r) { return r->err ? 0 : r->len - r->pos; }
/* The sticky error, else -EBADMSG unless the payload was consumed exactly, else 0. */
int state_reader_done(const struct state_reader *r);
/* Marks the payload invalid (a value out of range): -EINVAL sticks unless an error already did. */
void state_reader_invalid(struct state_reader *r);

struct state_section {
	char id[STATE_ID_MAX + 1];
	uint32_t instance;
	uint32_t version;
	struct state_reader r; /* the payload */
};

/* A validated stream; the buffer must outlive it. */
struct state_stream {
	const uint8_t *buf;
	size_t len;
	size_t next; /* offset of the next section header */
	unsigned nsections;
};

/* Checks the whole stream (size, magic, version, flags, CRC, every section's framing). 0, or
 * -EBADMSG / -EPROTONOSUPPORT with a one-line reason in why (why may be NULL). */
int state_open(struct state_stream *s, const void *buf, size_t len, char *why, size_t whylen);
/* The next section (1), or 0 at the end. Starts over after state_rewind. */
int state_next(struct state_stream *s, struct state_section *sec);
void state_rewind(struct state_stream *s);

/* ---- registry: what the machine saves, in order ---- */

/* One kind of saved state: the id its sections carry, the section version save writes and the
 * oldest load still reads. save writes the payload only (the registry opens the section). */
struct state_ops {
	const char *id;
	uint32_t version, min_version;
	int (*save)(const void *obj, struct state_writer *w);
	int (*load)(void *obj, struct state_reader *r, uint32_t version);
};

struct state_entry {
	const struct state_ops *ops;
	uint32_t instance;
	void *obj;
};

struct state_registry {
	struct state_entry *e;
	size_t n, cap;
};

void state_registry_init(struct state_registry *g);
void state_registry_free(struct state_registry *g);
/* Appends obj; save and restore follow the order of registration. -EEXIST for an id+instance
 * already registered, -EINVAL for a bad id, -ENOMEM. */
int state_registry_add(struct state_registry *g, const struct state_ops *ops, uint32_t instance, void *obj);
/* One section per entry, in order. Does not finish the stream (the caller may add more). */
int state_registry_save(const struct state_registry *g, struct state_writer *w);
/* Matches every section of s to an entry by id+instance before loading anything: a section no entry
 * claims, a duplicate, an entry without a section or a version outside [min_version, version] refuses
 * the stream (-EBADMSG / -EPROTONOSUPPORT). Then loads in registration order; a load that fails
 * stops there (earlier entries are loaded: the machine must not run). Sections whose id is in skip
 * (a NULL-terminated list, may be NULL) are left to other code (RAM, vCPUs). why gets one line. */
int state_registry_load(const struct state_registry *g, struct state_stream *s, const char *const *skip,
			char *why, size_t whylen);

#endif
