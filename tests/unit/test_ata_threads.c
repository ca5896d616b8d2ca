// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATA core's register path with real threads, as IDE runs it: a "vCPU" thread writes the task
 * file and moves data through the data port while an I/O thread, woken by the kick hook through an
 * eventfd, runs ata_poll and the disk completions. A disk does PIO writes and READ MULTIPLE reads,
 * a CD-ROM PIO packets, at the same time; the data must come back intact (run under make tsan). */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/eventfd.h>

#include "tests/unit/ata_test.h"

struct io {
	int efd;
	atomic_bool stop;
	atomic_int irqs;
	pthread_t th;
};

static struct io io;

static void t_irq(void *o, bool level)
{
	if (level)
		atomic_fetch_add(&io.irqs, 1);
}
static void t_kick(void *o)
{
	uint64_t one = 1;
	ck_assert_int_eq(write(io.efd, &one, 8), 8);
}
static const struct ata_hooks t_hooks = { .irq = t_irq, .kick = t_kick };

static void *io_thread(void *arg)
{
	while (!atomic_load(&io.stop)) {
		struct pollfd p[2] = { { io.efd, POLLIN, 0 }, { disk_aio_fd(at.q), POLLIN, 0 } };
		poll(p, 2, 20);
		if (p[0].revents & POLLIN) {
			uint64_t v;
			ck_assert_int_eq(read(io.efd, &v, 8), 8);
		}
		ata_poll(at.disk, at.q);
		ata_poll(at.cd, at.q);
		disk_aio_kick(at.q);
		disk_aio_complete(at.q);
	}
	return NULL;
}

static void setup(void)
{
	at_setup();
	/* devices with the threaded hooks in place of the recorder */
	ata_dev_destroy(at.disk);
	ata_dev_destroy(at.cd);
	struct ata_dev_opts d = { .kind = ATA_DISK, .hooks = &t_hooks };
	struct ata_dev_opts c = { .kind = ATA_CDROM, .hooks = &t_hooks };
	ck_assert_int_eq(ata_dev_create(&at.disk, dt_open(at.disk_path, DISK_FMT_RAW, false), &d), 0);
	ck_assert_int_eq(ata_dev_create(&at.cd, dt_open(at.cd_path, DISK_FMT_RAW, true), &c), 0);
	io.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(io.efd, 0);
	atomic_store(&io.stop, false);
	ck_assert_int_eq(pthread_create(&io.th, NULL, io_thread, NULL), 0);
}

static void teardown(void)
{
	atomic_store(&io.stop, true);
	pthread_join(io.th, NULL);
	close(io.efd);
	at_teardown();
}

/* the vCPU side waits as a driver polling status does */
static uint8_t wait_ready(struct ata_dev *d)
{
	uint8_t st;
	for (int i = 0; (st = ata_altstatus(d)) & ATA_ST_BSY; i++) {
		ck_assert_int_lt(i, 5000000);
		sched_yield();
	}
	return st;
}

static void regs(struct ata_dev *d, uint8_t feat, uint8_t n, uint32_t lba, uint8_t op)
{
	ata_reg_write(d, ATA_R_FEAT, feat);
	ata_reg_write(d, ATA_R_NSECT, n);
	ata_reg_write(d, ATA_R_LBAL, (uint8_t)lba);
	ata_reg_write(d, ATA_R_LBAM, (uint8_t)(lba >> 8));
	ata_reg_write(d, ATA_R_LBAH, (uint8_t)(lba >> 16));
	ata_reg_write(d, ATA_R_DEVICE, ATA_DEV_LBA);
	ata_reg_write(d, ATA_R_CMD, op);
}

struct cd_job {
	int rounds;
	int bad, good;
};

static void *cd_thread(void *arg)
{
	struct cd_job *j = arg;
	static uint8_t img[AT_CD_BLOCKS * 2048];
	dt_pattern(img, sizeof(img), 77);
	uint8_t buf[4 * 2048];
	for (int r = 0; r < j->rounds; r++) {
		uint8_t lba = (uint8_t)(r % (AT_CD_BLOCKS - 4));
		uint8_t cdb[12] = { 0x28, 0, 0, 0, 0, lba, 0, 0, 4 };
		regs(at.cd, 0, 0, 0x1000 << 8, 0xa0); /* byte count limit 0x1000 in LBA mid/high */
		wait_ready(at.cd);
		ata_pio_out(at.cd, cdb, 12);
		size_t got = 0;
		while (got < sizeof(buf)) {
			uint8_t st = wait_ready(at.cd);
			if (st & ATA_ST_ERR) /* the power-on unit attention, once */
				break;
			if (!(st & ATA_ST_DRQ))
				continue;
			got += ata_pio_in(at.cd, buf + got, sizeof(buf) - got);
		}
		ata_reg_read(at.cd, ATA_R_CMD);
		if (got == sizeof(buf) && memcmp(buf, img + lba * 2048, sizeof(buf)))
			j->bad++;
		else if (got == sizeof(buf))
			j->good++;
	}
	return NULL;
}

START_TEST(pio_disk_and_cdrom_with_an_io_thread)
{
	struct cd_job j = { .rounds = 40 };
	pthread_t cd;
	ck_assert_int_eq(pthread_create(&cd, NULL, cd_thread, &j), 0);
	regs(at.disk, 0, 8, 0, 0xc6); /* SET MULTIPLE 8 */
	ck_assert_int_eq(wait_ready(at.disk) & ATA_ST_ERR, 0);
	enum { N = 64 };
	static uint8_t data[N * 512], back[N * 512];
	dt_pattern(data, sizeof(data), 123);
	regs(at.disk, 0, N, 1000, 0x30); /* WRITE SECTORS, one DRQ block per sector */
	for (size_t off = 0; off < sizeof(data);) {
		uint8_t st = wait_ready(at.disk);
		ck_assert_int_eq(st & ATA_ST_ERR, 0);
		if (st & ATA_ST_DRQ)
			off += ata_pio_out(at.disk, data + off, sizeof(data) - off);
	}
	ck_assert_int_eq(wait_ready(at.disk) & (ATA_ST_ERR | ATA_ST_DRQ), 0);
	regs(at.disk, 0, N, 1000, 0xc4); /* READ MULTIPLE */
	for (size_t off = 0; off < sizeof(back);) {
		uint8_t st = wait_ready(at.disk);
		ck_assert_int_eq(st & ATA_ST_ERR, 0);
		if (st & ATA_ST_DRQ)
			off += ata_pio_in(at.disk, back + off, sizeof(back) - off);
	}
	ck_assert_int_eq(memcmp(data, back, sizeof(data)), 0);
	pthread_join(cd, NULL);
	ck_assert_int_eq(j.bad, 0);
	ck_assert_int_ge(j.good, j.rounds - 1); /* all but the unit attention's round */
	ck_assert_int_gt(atomic_load(&io.irqs), N / 8);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ata_threads");
	TCase *t = tcase_create("threads");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, pio_disk_and_cdrom_with_an_io_thread);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
