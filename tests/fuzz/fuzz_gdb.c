// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target for the GDB stub's packet parser and commands (vmm/gdb_proto.c,
 * vmm/gdb_session.c, vmm/gdb_cmds.c) and the page-table walks behind its memory commands
 * (vmm/guest_vaddr.c). Input: byte 0 the read size (1..64), byte 1 the paging mode (none, 32-bit,
 * PAE, long mode, 5-level), then 4 KiB of guest RAM at address 0 (page tables: cr3 is 0; the rest
 * of the 64 KiB is zeros), then the debugger's byte stream. After each read a running target
 * stops with DR6 taken from that read. Every byte the stub writes must be an ack ('+' or '-') or
 * a frame "$...#cs" with a right checksum and no unescaped '$' or '#' inside; else it aborts.
 * Build: make fuzz-build (build/fuzz/fuzz_gdb) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/gdb.h"
#include "vmm/guest_vaddr.h"

#define RAM (64u << 10)
#define IMAGE 4096u

struct tgt {
	struct gmem mem;
	struct gva_mode md;
	struct gdb_regs r[2];
	int running;
};

static unsigned t_ncpus(void *t)
{
	return 2;
}
static int t_get(void *t, unsigned cpu, struct gdb_regs *r)
{
	if (cpu >= 2)
		abort();
	*r = ((struct tgt *)t)->r[cpu];
	return 0;
}
static int t_set(void *t, unsigned cpu, const struct gdb_regs *r)
{
	if (cpu >= 2)
		abort();
	((struct tgt *)t)->r[cpu] = *r;
	return 0;
}
static long t_read(void *t, unsigned cpu, uint64_t va, void *buf, size_t len)
{
	struct tgt *g = t;
	return gva_read(&g->mem, &g->md, va, buf, len);
}
static int t_write(void *t, unsigned cpu, uint64_t va, const void *buf, size_t len)
{
	struct tgt *g = t;
	return gva_write(&g->mem, &g->md, va, buf, len);
}
static int t_resume(void *t, const struct gdb_hwdebug *d, int step)
{
	if (step >= 2 || (d->dr7 & ~0xffff07ffULL))
		abort(); /* a vCPU that is not there, or DR7 bits no slot makes */
	((struct tgt *)t)->running = 1;
	return 0;
}
static void t_interrupt(void *t)
{
	((struct tgt *)t)->running = 0;
}
static void t_none(void *t)
{
}
static const struct gdb_target_ops ops = { t_ncpus, t_get, t_set, t_read, t_write, t_resume, t_interrupt, t_none, t_none };

/* output framing state across writes: a frame may never be split, acks stand alone */
static int check_out(void *opaque, const void *buf, size_t n)
{
	const uint8_t *b = buf;
	if (n == 1 && (b[0] == '+' || b[0] == '-'))
		return 0;
	if (n < 4 || b[0] != '$' || b[n - 3] != '#' || n > 2 * GDB_PKT_MAX + 8)
		abort();
	unsigned sum = 0;
	for (size_t i = 1; i < n - 3; i++) {
		if (b[i] == '$' || b[i] == '#')
			abort();
		sum += b[i];
	}
	if (gdb_hexval(b[n - 2]) < 0 || gdb_hexval(b[n - 1]) < 0 ||
	    (unsigned)(gdb_hexval(b[n - 2]) << 4 | gdb_hexval(b[n - 1])) != (sum & 0xff))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gdb_session s;
	static uint8_t ram[RAM];
	static struct tgt t;
	if (size < 2 + IMAGE)
		return 0;
	size_t chunk = (size_t)data[0] % 64 + 1;
	static const struct gva_mode modes[] = {
		{ 0x11, 0, 0, 0 }, { 0x80000011, 0, 0x10, 0 }, { 0x80000011, 0, 0x20, 0 },
		{ 0x80000011, 0, 0x20, 0x500 }, { 0x80000011, 0, 0x1020, 0x500 },
	};
	memset(&t, 0, sizeof(t));
	t.md = modes[data[1] % 5];
	memset(ram, 0, sizeof(ram));
	memcpy(ram, data + 2, IMAGE);
	if (gmem_add(&t.mem, 0, RAM, ram))
		abort();
	data += 2 + IMAGE;
	size -= 2 + IMAGE;
	gdb_session_init(&s, &ops, &t, check_out, NULL);
	for (size_t off = 0; off < size && !s.ended; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		gdb_session_input(&s, data + off, n);
		if (t.running) {
			t.running = 0;
			gdb_session_stopped(&s, data[off] & 1, data[off] & 0x400f, 5);
		}
	}
	return 0;
}
