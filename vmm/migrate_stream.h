/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The migration stream: what `kvmini migrate` sends to `kvmini run --incoming`. It is one state
 * stream (vmm/state.h: "KVMSTATE" header, sections, end marker, CRC32) sent as it is written, with
 * these sections, in this order:
 *
 *   "migration" v1   u64 RAM size, u32 page size (4096), u32 flags (bit 0: the guest runs on the
 *                    target once it is in place; clear: it stays paused, as it was on the source)
 *   "machine"   v1   the board (vmm/snapshot.h), checked against the target's own before any RAM
 *   "ram"       v1   any number, instance = pre-copy round: u32 n (1..MIG_BATCH_PAGES), then n
 *                    pages: u64 index (in the order of the snapshot memory file: low RAM, then RAM
 *                    above 4 GiB), u32 kind (0: all zero, 1: 4096 bytes of data follow)
 *   "state"     v1   once: a whole state stream as a snapshot's state file holds (machine, vm, one
 *                    cpu per vCPU, the devices), with its own header and CRC
 *
 * A page may come several times (later copies win). After the end marker and CRC the target
 * answers one line on the same connection, "ok\n" once the guest is in place (and running, if
 * flag 0), or "error: <why>\n" (also sent, at any point, when it refuses the stream). The stream
 * is neither encrypted nor authenticated.
 *
 * The reader trusts nothing: it checks framing, order, sizes and page indexes of each section
 * before applying it, and the CRC at the end; RAM pages land in the target's RAM as they arrive
 * (it has not run), everything else only after the CRC matched. */
#ifndef KVMINI_MIGRATE_STREAM_H
#define KVMINI_MIGRATE_STREAM_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "snapshot.h"
#include "state.h"

#define MIG_SEC_HEADER "migration"
#define MIG_SEC_RAM "ram"
#define MIG_SEC_STATE "state"
#define MIG_VERSION 1u
#define MIG_BATCH_PAGES 256u
#define MIG_FLAG_RUN 1u
#define MIG_PAGE_DATA 1u
#define MIG_PAGE_ZERO 0u
#define MIG_RAM_MAX (4u + MIG_BATCH_PAGES * (12u + SNAP_PAGE))

/* ---- writer (the payloads go into an open state writer; the caller sends it) ---- */
void mig_put_header(struct state_writer *w, uint64_t ram_size, uint32_t flags);
/* One "ram" section of the n (1..MIG_BATCH_PAGES) pages idx[] of ram; all-zero pages go as kind 0,
 * or are left out when skip_zero (the target's RAM is zero there already). Returns how many went. */
unsigned mig_put_pages(struct state_writer *w, uint32_t round, const uint8_t *ram, const uint64_t *idx, unsigned n,
		       int skip_zero);
void mig_put_state(struct state_writer *w, const void *state, size_t len);
/* 1 if the page at p is all zero */
int mig_page_zero(const uint8_t *p);

/* ---- reader ---- */

/* Reads up to len bytes: how many (> 0), 0 at the end of the stream, or -errno. */
typedef ssize_t (*mig_read_fn)(void *opaque, void *buf, size_t len);

struct mig_in {
	mig_read_fn read;
	void *opaque;
	uint8_t *ram; /* the target's RAM in the memory file's order */
	uint64_t ram_size;
	/* called once the board is read, before any RAM: 0 to go on, else -errno with why */
	int (*board_ok)(void *opaque, const struct snap_board *b, char *why, size_t whylen);
	void *board_opaque;
	/* results */
	uint32_t flags;
	uint8_t *state; /* the inner state stream (malloc'd; the caller frees it) */
	size_t state_len;
	uint64_t pages, bytes; /* pages applied, bytes read */
};

/* Reads the whole stream: 0 with in->state set, or -errno with one line in why (-EBADMSG for a
 * corrupt or truncated stream, -EPROTONOSUPPORT for another version, -EINVAL for one that does
 * not fit this target, the reader's error otherwise). */
int mig_receive(struct mig_in *in, char *why, size_t whylen);

#endif
