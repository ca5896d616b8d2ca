// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the ATA core's task-file and command paths. A 1 MiB raw disk (discard, SATA: NCQ)
 * and an ATAPI CD-ROM get what the input says, one operation per byte: register writes and reads,
 * device control (nIEN, SRST, HOB), data-port reads and writes of any length, the I/O thread's
 * ata_poll, bus-master DMA starts over scattered buffers, whole commands through ata_submit (a
 * random task file, packet, buffer and direction, as AHCI would give them), saves and loads of
 * the state, resets. Besides the sanitizers, the harness aborts on a broken contract: done not
 * called exactly once, more bytes moved than the buffers hold, the data port giving more than
 * asked, a save/load/save round trip that changes the payload, a drained device still busy. */
#include "fuzz.h"

#include <poll.h>
#include <unistd.h>

#include "devices/ata/ata.h"
#include "devices/disk/aio.h"
#include "devices/disk/disk.h"
#include "vmm/state.h"

#define DISK_BYTES (1u << 20)
#define BUF_MAX 0x12000u

struct fz_ata {
	struct ata_dev *dev[2];
	struct disk_aio *q;
	int dma_dones;
	int done;
};

static struct fz_ata the;

static void hk_irq(void *o, bool level) {}
static void hk_kick(void *o) {}
static void hk_dma(void *o, int err, uint64_t bytes) { the.dma_dones++; }
static const struct ata_hooks hooks = { .irq = hk_irq, .kick = hk_kick, .dma_done = hk_dma };

static struct disk *open_disk(bool ro) { return fz_disk("ata", DISK_FMT_RAW, DISK_BYTES, ro); }

static void setup(void)
{
	if (the.q)
		return;
	struct ata_dev_opts disk = { .kind = ATA_DISK, .discard = true, .sata = true, .hooks = &hooks };
	struct ata_dev_opts cd = { .kind = ATA_CDROM, .hooks = &hooks };
	if (ata_dev_create(&the.dev[0], open_disk(false), &disk) || ata_dev_create(&the.dev[1], open_disk(true), &cd) ||
	    disk_aio_create(&the.q, 16))
		fz_die("cannot build the devices");
}

/* completes disk I/O until nothing is in flight */
static void drain(void)
{
	disk_aio_kick(the.q);
	disk_aio_drain(the.q);
}

static void on_done(struct ata_cmd *c) { the.done++; }

static void submit(struct ata_dev *d, struct fz *f, uint8_t *buf)
{
	static struct ata_cmd c;
	struct iovec v[3];
	memset(&c, 0, sizeof(c));
	size_t got;
	const uint8_t *p = fz_bytes(f, 12, &got);
	uint8_t *r[5] = { c.tf.feat, c.tf.nsect, c.tf.lbal, c.tf.lbam, c.tf.lbah };
	for (size_t i = 0; i < got && i < 10; i++)
		r[i % 5][i / 5] = p[i];
	c.tf.device = got > 10 ? p[10] : 0;
	c.tf.command = got > 11 ? p[11] : 0;
	p = fz_bytes(f, ATAPI_PACKET_LEN, &got);
	memcpy(c.packet, p, got);
	size_t len = (size_t)fz_take(f, 3) % BUF_MAX;
	c.niov = fz_split(f, buf, len, v);
	c.iov = v;
	c.write = fz_take(f, 1) & 1;
	if (c.write) {
		p = fz_bytes(f, len < 4096 ? len : 4096, &got);
		memcpy(buf, p, got);
	}
	c.done = on_done;
	the.done = 0;
	ata_submit(d, the.q, &c);
	drain();
	if (the.done != 1)
		fz_die("ata_submit: done not called exactly once");
	if (c.xfer > len)
		fz_die("ata_submit: more moved than the buffer holds");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[BUF_MAX];
	setup();
	struct fz f = { data, size };
	for (int ops = 0; f.n && ops < 200; ops++) {
		uint8_t op = (uint8_t)fz_take(&f, 1);
		struct ata_dev *d = the.dev[op >> 7];
		size_t n, got;
		switch (op & 0x0f) {
		case 0: case 1: case 2: {
			uint8_t rv = (uint8_t)fz_take(&f, 1);
			ata_reg_write(d, (enum ata_reg)(1 + rv % 7), (uint8_t)fz_take(&f, 1));
			break;
		}
		case 3:
			ata_reg_read(d, (enum ata_reg)(1 + fz_take(&f, 1) % 7));
			break;
		case 4:
			ata_ctl_write(d, (uint8_t)fz_take(&f, 1));
			break;
		case 5:
			n = (size_t)fz_take(&f, 2) % BUF_MAX;
			if (ata_pio_in(d, buf, n) > n)
				fz_die("ata_pio_in gave more than asked");
			break;
		case 6: {
			n = (size_t)fz_take(&f, 2) % 4096;
			const uint8_t *p = fz_bytes(&f, n, &got);
			if (ata_pio_out(d, p, got) > got)
				fz_die("ata_pio_out took more than given");
			break;
		}
		case 7: case 8:
			ata_poll(d, the.q);
			drain();
			break;
		case 9: {
			struct iovec v[3];
			int k = fz_split(&f, buf, (size_t)fz_take(&f, 3) % BUF_MAX, v);
			int before = the.dma_dones;
			ata_dma_start(d, the.q, v, k);
			drain();
			if (the.dma_dones != before + 1)
				fz_die("ata_dma_start: dma_done not called exactly once");
			break;
		}
		case 10: case 11:
			if (!(ata_altstatus(d) & ATA_ST_BSY)) /* AHCI never mixes in the register path's command */
				submit(d, &f, buf);
			break;
		case 12:
			fz_state_round_trip(&ata_dev_state_ops, d); /* a busy device may refuse */
			break;
		case 13:
			ata_dev_reset(d, fz_take(&f, 1) & 1);
			break;
		default:
			ata_altstatus(d);
			break;
		}
	}
	for (int i = 0; i < 2; i++) { /* the next input starts from power-on */
		ata_poll(the.dev[i], the.q);
		drain();
		ata_dev_reset(the.dev[i], true);
		if (ata_altstatus(the.dev[i]) & ATA_ST_BSY)
			fz_die("busy after reset and drain");
	}
	return 0;
}
