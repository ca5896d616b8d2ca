// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: virtio-scsi requests from a hostile driver. Public entry points only: two SCSI
 * targets (target 0: a 1 MiB raw disk at LUN 0 and an empty CD-ROM at LUN 1; target 2: a CD-ROM)
 * made once per process, and per input a fresh virtio-scsi on virtio-mmio without an I/O thread,
 * brought up with the features, sense_size and cdb_size the input chooses and one queue (control
 * or the request queue) laid out as the input says, then kicked. Every chain in the input's RAM
 * image is a request: header (LUN field, CDB), data-out, response, data-in, in any shape.
 *
 * Input: features (4), sense_size (4, 0: default), cdb_size (4, 0: default), mode (1: bit 0
 * control queue instead of request queue 0, bits 1-2 extra kicks), ring (14), RAM image. */
#include "fuzz.h"

#include <unistd.h>

#include "devices/disk/disk.h"
#include "devices/scsi/scsi.h"
#include "virtio/scsi.h"

#define RAM_SIZE 0x10000
#define DISK_BYTES (1u << 20)

static struct disk *open_disk(bool ro)
{
	char path[96];
	struct disk *d = NULL;
	snprintf(path, sizeof(path), "/tmp/kvmini-fuzz-vscsi-%d-%d.img", getpid(), ro);
	struct disk_create_opts co = { .format = DISK_FMT_RAW, .size = DISK_BYTES };
	struct disk_opts o = { .format = DISK_FMT_RAW, .read_only = ro, .cache = DISK_CACHE_UNSAFE };
	if (disk_create(path, &co, NULL) || disk_open(&d, path, &o, NULL))
		fz_die("cannot make a disk image");
	unlink(path); /* open: gone when the process ends */
	return d;
}

static struct scsi_target *const *the_targets(void)
{
	static struct scsi_target *t[VIRTIO_SCSI_TARGETS];
	if (t[0])
		return t;
	struct scsi_target_opts t0 = { .autosense = true, .id = 0 }, t2 = { .autosense = true, .id = 2 };
	struct scsi_lun_opts disk = { .type = SCSI_LUN_DISK, .discard = true }, cd = { .type = SCSI_LUN_CDROM };
	if (scsi_target_create(&t[0], &t0) || scsi_target_create(&t[2], &t2) ||
	    scsi_target_add_lun(t[0], 0, open_disk(false), &disk) || scsi_target_add_lun(t[0], 1, NULL, &cd) ||
	    scsi_target_add_lun(t[2], 0, open_disk(true), &cd))
		fz_die("cannot set up the targets");
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint32_t feat = (uint32_t)fz_take(&f, 4);
	uint32_t sense = (uint32_t)fz_take(&f, 4), cdb = (uint32_t)fz_take(&f, 4);
	unsigned mode = (unsigned)fz_take(&f, 1);
	struct fz_ring r;
	fz_ring_read(&f, &r);
	struct fz_ram *ram = fz_ram_get(RAM_SIZE);
	fz_ram_load(ram, &f);

	struct bus bus;
	bus_init(&bus, "mmio");
	struct virtio_scsi *s;
	struct virtio_scsi_opts o = { .num_queues = 1, .queue_size = 256 };
	if (virtio_scsi_create(&s, the_targets(), &o))
		fz_die("virtio_scsi_create");
	if (fz_mmio_plug(&bus, virtio_scsi_dev(s), ram, feat)) {
		if (sense)
			fz_mw32(&bus, 0x100 + 20, sense);
		if (cdb)
			fz_mw32(&bus, 0x100 + 24, cdb);
		unsigned q = mode & 1 ? 0 : 2;
		fz_mmio_queue(&bus, q, &r);
		fz_mmio_driver_ok(&bus);
		for (unsigned i = 0; i <= ((mode >> 1) & 3); i++)
			fz_mmio_kick(&bus, q);
	}
	virtio_scsi_destroy(s);
	bus_destroy(&bus);
	return 0;
}
