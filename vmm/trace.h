/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exit trace file (--trace FILE), little-endian throughout:
 *
 *   header, 64 bytes: "KVMINITR", u32 version (1), u32 header size (64), u32 record size (32),
 *     u32 vCPUs, u64 TSC kHz, u64 TSC at the start, u64 CLOCK_REALTIME ns at the start, 16 zero bytes
 *   chunks, each a 16-byte head: u32 kind, u32 vCPU, u32 count, u32 zero; then
 *     kind 1 (records): count exit records of 32 bytes (struct exit_rec, vmm/prof.h): u64 TSC when
 *       KVM_RUN returned, u64 port/GPA (a marker's value), u32 guest cycles before the exit, u32
 *       handling cycles, u8 KVM exit reason, u8 size, u8 flags (1 write, 2 marker), u8 bus range id
 *       (255 none), u32 string-PIO count
 *     kind 2 (end, last chunk, vCPU 0, count = names): per vCPU u64 records written and u64 records
 *       the ring dropped; u64 records cut by --trace-max; then count names of the bus ranges: u8 bus
 *       (1 pio, 2 mmio), u8 id, u16 length, u32 zero, u64 base, the name padded with zeros to 8 bytes
 *
 * A file without its end chunk was not finished (the VMM died, or the file was cut short) and is
 * refused with one line, as is any field out of range. The reader takes the whole file in memory. */
#ifndef KVMINI_TRACE_H
#define KVMINI_TRACE_H
#include <stddef.h>
#include <stdint.h>

#include "prof.h"

#define TRACE_MAGIC "KVMINITR"
#define TRACE_VERSION 1
#define TRACE_HEADER_SIZE 64
#define TRACE_CHUNK_RECORDS 1
#define TRACE_CHUNK_END 2
#define TRACE_MAX_VCPUS 1024

struct trace_hdr {
	char magic[8];
	uint32_t version, header_size, record_size, nvcpus;
	uint64_t tsc_khz, start_tsc, start_realtime_ns;
	uint64_t reserved[2];
};
_Static_assert(sizeof(struct trace_hdr) == TRACE_HEADER_SIZE, "trace header layout");

struct trace_chunk {
	uint32_t kind, vcpu, count, zero;
};

struct trace_name {
	uint8_t bus; /* 1 pio, 2 mmio */
	uint8_t id;
	char name[64];
	uint64_t base;
};

/* A trace read whole: records per vCPU in file order (each vCPU's in time order). */
struct trace {
	struct trace_hdr h;
	struct exit_rec **rec; /* per vCPU */
	uint64_t *nrec;
	uint64_t *dropped; /* by the ring, per vCPU */
	uint64_t cut; /* by --trace-max */
	struct trace_name *names;
	unsigned nnames;
};

/* Parses a trace in memory. -EINVAL with one line in why (what is wrong, at which byte). */
int trace_parse(struct trace *t, const uint8_t *buf, size_t len, char *why, size_t whylen);
int trace_load(struct trace *t, const char *path, char *why, size_t whylen);
void trace_free(struct trace *t);
/* The name of range dev on bus (1 pio, 2 mmio), or NULL. */
const char *trace_name_of(const struct trace *t, int bus, unsigned dev, uint64_t *base);
double trace_ns(const struct trace *t, uint64_t tsc); /* since the start */

#endif
