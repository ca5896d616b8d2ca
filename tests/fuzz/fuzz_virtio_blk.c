// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: virtio-blk requests from a hostile driver. Only public entry points: the device is
 * created with virtio_blk_create over a 1 MiB raw disk (a memfd), plugged into virtio-mmio without
 * an I/O thread, brought up through its registers with the features and ring the input chooses,
 * and kicked; every chain in the input's RAM image is a request (header, data, status). */
#include "fuzz.h"

#include <sys/mman.h>
#include <unistd.h>

#include "devices/disk/disk.h"
#include "virtio/blk.h"

#define RAM_SIZE 0x10000
#define DISK_BYTES (1 << 20)

static struct disk *the_disk(void)
{
	static struct disk *d;
	if (!d) {
		int fd = memfd_create("fuzz-blk", 0);
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		struct disk_opts o = { .format = DISK_FMT_RAW };
		if (fd < 0 || ftruncate(fd, DISK_BYTES) || disk_open(&d, path, &o, NULL))
			fz_die("cannot open the raw disk");
	}
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint32_t feat = (uint32_t)fz_take(&f, 4);
	struct fz_ring r;
	fz_ring_read(&f, &r);
	unsigned kicks = 1 + (unsigned)(fz_take(&f, 1) & 3);
	struct fz_ram *ram = fz_ram_get(RAM_SIZE);
	fz_ram_load(ram, &f);

	struct bus bus;
	bus_init(&bus, "mmio");
	struct virtio_blk *blk;
	struct virtio_blk_opts bo = { .serial = "fuzz-serial", .queue_size = 256 };
	if (virtio_blk_create(&blk, the_disk(), &bo))
		fz_die("virtio_blk_create");
	if (fz_mmio_plug(&bus, virtio_blk_dev(blk), ram, feat)) {
		fz_mmio_queue(&bus, 0, &r);
		fz_mmio_driver_ok(&bus);
		/* repeated kicks find nothing new unless the device's own writes changed the rings */
		for (unsigned i = 0; i < kicks; i++)
			fz_mmio_kick(&bus, 0);
	}
	virtio_blk_destroy(blk);
	bus_destroy(&bus);
	return 0;
}
