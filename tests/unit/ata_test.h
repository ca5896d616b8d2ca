/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers for the ATA core tests: a disk (raw or qcow2 image in a scratch directory) and a CD-ROM
 * device, fake guest RAM whose buffers reach the core as iovecs mapped through gmem_ptr (as a
 * controller maps a PRDT), a synchronous `at_cmd` over ata_submit (the AHCI way in), and hooks
 * that record INTRQ, kicks and DMA completions for the register path (the IDE way in). */
#ifndef KVMINI_ATA_TEST_H
#define KVMINI_ATA_TEST_H
#include <poll.h>

#include "devices/ata/ata.h"
#include "devices/disk/aio.h"
#include "tests/unit/disk_test.h"
#include "tests/unit/unit.h"

#define AT_DISK_SIZE (8u << 20)
#define AT_CD_BLOCKS 64u
#define AT_RAM (1u << 20)

struct at {
	struct ata_dev *disk, *cd;
	struct disk_aio *q;
	struct fake_ram ram;
	char disk_path[96], cd_path[96];
	struct iovec iov[8];
	int done;
	struct ata_cmd c;
	/* hooks */
	bool irq;
	int irqs, kicks, dma_dones, dma_err;
	uint64_t dma_bytes;
};

static struct at at;

static void at_irq(void *o, bool level)
{
	if (level && !at.irq)
		at.irqs++;
	at.irq = level;
}
static void at_kick(void *o) { at.kicks++; }
static void at_dma_done(void *o, int err, uint64_t bytes)
{
	at.dma_dones++;
	at.dma_err = err;
	at.dma_bytes = bytes;
}
static const struct ata_hooks at_hooks = { .irq = at_irq, .kick = at_kick, .dma_done = at_dma_done };

static void at_done(struct ata_cmd *c) { at.done++; }

/* completes disk requests until `want` commands are done */
static inline void at_wait(int want)
{
	while (at.done < want) {
		struct pollfd p = { disk_aio_fd(at.q), POLLIN, 0 };
		ck_assert_int_ge(p.fd, 0);
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		disk_aio_complete(at.q);
	}
	ck_assert_int_eq(at.done, want);
}

/* guest RAM [gpa, gpa+len) as `n` iovecs of about equal size (a scattered PRDT) */
static inline int at_map(uint64_t gpa, size_t len, int n, struct iovec *v)
{
	size_t per = (len + (size_t)n - 1) / (size_t)n, off = 0;
	int k = 0;
	while (off < len) {
		size_t l = len - off < per ? len - off : per;
		v[k].iov_base = gmem_ptr(&at.ram.mem, gpa + off, l);
		ck_assert_ptr_nonnull(v[k].iov_base);
		v[k++].iov_len = l;
		off += l;
	}
	return k;
}

/* a task file for command op at lba with count n (LBA48 layout; LBA28 uses the low halves) */
static inline struct ata_tf at_tf(uint8_t op, uint64_t lba, uint32_t n)
{
	struct ata_tf t = { .command = op, .device = ATA_DEV_LBA };
	t.lbal[0] = (uint8_t)lba;
	t.lbam[0] = (uint8_t)(lba >> 8);
	t.lbah[0] = (uint8_t)(lba >> 16);
	t.lbal[1] = (uint8_t)(lba >> 24);
	t.lbam[1] = (uint8_t)(lba >> 32);
	t.lbah[1] = (uint8_t)(lba >> 40);
	t.device |= (uint8_t)((lba >> 24) & 0xf);
	t.nsect[0] = (uint8_t)n;
	t.nsect[1] = (uint8_t)(n >> 8);
	return t;
}

/* runs tf on dev with guest RAM [gpa, gpa+len) in 3 pieces; returns the result status */
static inline uint8_t at_cmd_on(struct ata_dev *dev, const struct ata_tf *tf, uint64_t gpa, size_t len, bool write)
{
	struct ata_cmd *c = &at.c;
	memset(c, 0, sizeof(*c));
	c->tf = *tf;
	c->niov = len ? at_map(gpa, len, 3, at.iov) : 0;
	c->iov = at.iov;
	c->write = write;
	c->done = at_done;
	at.done = 0;
	ata_submit(dev, at.q, c);
	disk_aio_kick(at.q);
	at_wait(1);
	return c->tf.status;
}

static inline uint8_t at_cmd(const struct ata_tf *tf, uint64_t gpa, size_t len, bool write)
{
	return at_cmd_on(at.disk, tf, gpa, len, write);
}

/* a PACKET command with a CDB on the CD-ROM (DMA: the buffer as given) */
static inline uint8_t at_packet(const uint8_t *cdb, unsigned cdb_len, uint64_t gpa, size_t len)
{
	struct ata_tf tf = { .command = 0xa0, .feat = { 1 } };
	memset(at.c.packet, 0, sizeof(at.c.packet));
	struct ata_cmd *c = &at.c;
	memset(c, 0, sizeof(*c));
	c->tf = tf;
	memcpy(c->packet, cdb, cdb_len);
	c->niov = len ? at_map(gpa, len, 2, at.iov) : 0;
	c->iov = at.iov;
	c->done = at_done;
	at.done = 0;
	ata_submit(at.cd, at.q, c);
	disk_aio_kick(at.q);
	at_wait(1);
	return c->tf.status;
}

/* the I/O thread for the register path: runs what it queued until the device is not busy */
static inline void at_settle(struct ata_dev *d)
{
	for (int i = 0; i < 500 && (ata_altstatus(d) & ATA_ST_BSY); i++) {
		ata_poll(d, at.q);
		disk_aio_kick(at.q);
		struct pollfd p = { disk_aio_fd(at.q), POLLIN, 0 };
		if (p.fd >= 0 && poll(&p, 1, 10) == 1)
			disk_aio_complete(at.q);
	}
	ck_assert_int_eq(ata_altstatus(d) & ATA_ST_BSY, 0);
}

/* a bus-master transfer over guest RAM [gpa, gpa+len): starts it and waits for dma_done */
static inline void at_dma(struct ata_dev *d, uint64_t gpa, size_t len)
{
	struct iovec v[3];
	int n = at_map(gpa, len, 3, v);
	at.dma_dones = 0;
	ata_dma_start(d, at.q, v, n);
	disk_aio_kick(at.q);
	for (int i = 0; i < 100 && !at.dma_dones; i++) {
		struct pollfd p = { disk_aio_fd(at.q), POLLIN, 0 };
		if (poll(&p, 1, 50) == 1)
			disk_aio_complete(at.q);
	}
	ck_assert_int_eq(at.dma_dones, 1);
}

static inline uint8_t *at_ram(uint64_t gpa) { return at.ram.buf + gpa; }

static inline uint16_t at_word(const uint8_t *id, unsigned w) { return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8); }

/* fills the CD image with a pattern per 2048-byte block */
static inline void at_setup_with(enum disk_format fmt, bool discard, bool sata)
{
	dt_setup();
	memset(&at, 0, sizeof(at));
	fake_ram_init(&at.ram, 0, AT_RAM);
	dt_path(at.disk_path, fmt == DISK_FMT_QCOW2 ? "d.qcow2" : "d.raw");
	dt_path(at.cd_path, "cd.iso");
	ck_assert_int_eq(dt_create(at.disk_path, fmt, AT_DISK_SIZE, 0, NULL, DISK_FMT_AUTO), 0);
	ck_assert_int_eq(dt_create(at.cd_path, DISK_FMT_RAW, AT_CD_BLOCKS * 2048, 0, NULL, DISK_FMT_AUTO), 0);
	static uint8_t blk[AT_CD_BLOCKS * 2048];
	dt_pattern(blk, sizeof(blk), 77);
	dt_poke(at.cd_path, 0, blk, sizeof(blk));
	struct ata_dev_opts d = { .kind = ATA_DISK, .discard = discard, .sata = sata, .serial = "SER-0001",
				  .model = "TEST DISK", .hooks = &at_hooks };
	struct ata_dev_opts c = { .kind = ATA_CDROM, .sata = sata, .hooks = &at_hooks };
	ck_assert_int_eq(ata_dev_create(&at.disk, dt_open(at.disk_path, fmt, false), &d), 0);
	ck_assert_int_eq(ata_dev_create(&at.cd, dt_open(at.cd_path, DISK_FMT_RAW, true), &c), 0);
	ck_assert_int_eq(disk_aio_create(&at.q, 16), 0);
}

static inline void at_setup(void) { at_setup_with(DISK_FMT_RAW, true, false); }

static inline void at_close(void)
{
	disk_aio_destroy(at.q);
	ata_dev_destroy(at.disk);
	ata_dev_destroy(at.cd);
	at.q = NULL;
	at.disk = at.cd = NULL;
}

static inline void at_teardown(void)
{
	if (at.q)
		at_close();
	fake_ram_free(&at.ram);
	dt_teardown();
}

/* status ERR|DRDY with exactly this error register */
#define ck_aborted(st, err)                                                       \
	do {                                                                      \
		ck_assert_int_eq((st) & (ATA_ST_ERR | ATA_ST_DRDY | ATA_ST_BSY | ATA_ST_DRQ), \
				 ATA_ST_ERR | ATA_ST_DRDY);                       \
		ck_assert_int_eq(at.c.tf.error, err);                             \
	} while (0)

#define ck_good(st) ck_assert_int_eq((st) & (ATA_ST_ERR | ATA_ST_DRDY | ATA_ST_BSY | ATA_ST_DRQ), ATA_ST_DRDY)

#endif
