/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virtio-blk test scaffolding: a raw temp file behind a virtio-blk on the virtio-mmio transport, a
 * 64-entry ring in fake RAM, and a wait for the used ring with a timeout. */
#ifndef KVMINI_TEST_BLK_H
#define KVMINI_TEST_BLK_H
#include "unit.h"
#include "vmmio_drv.h"
#include "virtio/blk.h"
#include "virtio/queue.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define BASE 0xd0000000ULL
#define GSI 5
#define RAM (4ULL << 20)
#define DISK_BYTES (1ULL << 20) /* 2048 sectors */
#define HDR 0x200000ULL
#define DATA 0x201000ULL
#define DATA2 0x240000ULL
#define STATUS 0x2ff000ULL

struct bctx {
	struct fake_ram ram;
	struct irq_recorder rec;
	struct bus bus;
	struct disk *disk;
	struct virtio_blk *blk;
	struct tring r;
	char path[64];
	uint16_t seen_used;
};

/* disk: the test's own (kept), or NULL for a raw temp file (1 MiB, 0xee in sector 3) */
static inline void bsetup_disk(struct bctx *c, int read_only, int iothread, unsigned budget, struct disk *disk)
{
	memset(c, 0, sizeof(*c));
	fake_ram_init(&c->ram, 0, RAM);
	bus_init(&c->bus, "mmio");
	if (disk) {
		c->disk = disk;
		goto have_disk;
	}
	strcpy(c->path, "/tmp/kvmini-blk-XXXXXX");
	int fd = mkstemp(c->path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, DISK_BYTES), 0);
	uint8_t marker[512];
	memset(marker, 0xee, sizeof(marker));
	ck_assert_int_eq(pwrite(fd, marker, sizeof(marker), 3 * 512), 512);
	close(fd);
	struct disk_opts o = { .format = DISK_FMT_RAW, .read_only = read_only };
	const char *why = NULL;
	ck_assert_int_eq(disk_open(&c->disk, c->path, &o, &why), 0);
have_disk:;
	struct virtio_blk_opts bo = { .serial = "kvmini-serial-0123456789", .queue_size = 64, .budget = budget };
	ck_assert_int_eq(virtio_blk_create(&c->blk, c->disk, &bo), 0);
	struct virtio_env env = { .mem = &c->ram.mem, .hooks = &irqrec_hooks, .hooks_opaque = &c->rec,
				  .no_iothread = !iothread };
	ck_assert_int_eq(virtio_mmio_create(virtio_blk_dev(c->blk), &c->bus, BASE, GSI, &env), 0);
	uint64_t f = mdrv_device_features(&c->bus, BASE);
	ck_assert(f & (1ULL << VIRTIO_F_VERSION_1));
	ck_assert_int_eq(!!(f & (1ULL << VIRTIO_BLK_F_RO)), !!read_only);
	uint32_t st = mdrv_negotiate(&c->bus, BASE, f);
	ck_assert(st & VIRTIO_STATUS_FEATURES_OK);
	tring_init(&c->r, &c->ram, 0x10000, 64);
	mdrv_queue(&c->bus, BASE, 0, &c->r);
	mdrv_driver_ok(&c->bus, BASE);
}

static inline void bsetup_ex(struct bctx *c, int read_only, int iothread, unsigned budget)
{
	bsetup_disk(c, read_only, iothread, budget, NULL);
}
static inline void bsetup(struct bctx *c, int read_only, int iothread) { bsetup_disk(c, read_only, iothread, 0, NULL); }

static inline void bfree(struct bctx *c)
{
	virtio_blk_destroy(c->blk);
	if (c->path[0]) {
		disk_close(c->disk);
		unlink(c->path);
	}
	bus_destroy(&c->bus);
	fake_ram_free(&c->ram);
}

/* The driver starts over after a reset: a zeroed ring at the same place, features, DRIVER_OK. */
static inline void brestart(struct bctx *c)
{
	memset(c->ram.buf + 0x10000, 0, 0x4000);
	ck_assert(mdrv_negotiate(&c->bus, BASE, mdrv_device_features(&c->bus, BASE)) & VIRTIO_STATUS_FEATURES_OK);
	c->r.avail_idx = 0;
	c->seen_used = 0;
	mdrv_queue(&c->bus, BASE, 0, &c->r);
	mdrv_driver_ok(&c->bus, BASE);
}

/* Waits (briefly, for the I/O thread case) until the device used one more chain. */
static inline void wait_used(struct bctx *c)
{
	for (int i = 0; i < 2000 && tused_idx(&c->r) == c->seen_used; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	ck_assert_uint_eq(tused_idx(&c->r), (uint16_t)(c->seen_used + 1));
	c->seen_used++;
}

/* One request: header at HDR, data (split in two descriptors when >= 1024 bytes) at data_gpa,
 * status byte at STATUS. Returns the status byte; *used gets the used length. */
static inline uint8_t breq(struct bctx *c, uint32_t type, uint64_t sector, uint64_t data_gpa, uint32_t len, int dev_writes,
		    uint32_t *used)
{
	tw32(&c->ram, HDR, type);
	tw32(&c->ram, HDR + 4, 0);
	tw64(&c->ram, HDR + 8, sector);
	c->ram.buf[STATUS] = 0xaa;
	uint16_t df = dev_writes ? VIRTQ_DESC_F_WRITE : 0;
	unsigned n = 0;
	tdesc(&c->r, n, HDR, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1)), n++;
	if (len >= 1024) {
		tdesc(&c->r, n, data_gpa, len / 2, df | VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1)), n++;
		tdesc(&c->r, n, data_gpa + len / 2, len - len / 2, df | VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1)), n++;
	} else if (len) {
		tdesc(&c->r, n, data_gpa, len, df | VIRTQ_DESC_F_NEXT, (uint16_t)(n + 1)), n++;
	}
	tdesc(&c->r, n, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	tavail(&c->r, 0);
	mdrv_kick(&c->bus, BASE, 0);
	wait_used(c);
	if (used)
		*used = tused_len(&c->r, (uint16_t)(c->seen_used - 1));
	return c->ram.buf[STATUS];
}

static inline void file_read(struct bctx *c, uint64_t off, void *buf, size_t len)
{
	int fd = open(c->path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

#endif
