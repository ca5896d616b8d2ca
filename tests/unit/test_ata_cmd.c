// SPDX-License-Identifier: GPL-2.0-or-later
/* The ATA core through ata_submit (AHCI's way in, and what IDE DMA runs on): IDENTIFY words against
 * the ATA8-ACS layout, reads and writes on raw and qcow2 images checked in the image file, LBA28 and
 * LBA48 boundaries and zero counts, reads past the end, short PRDTs, verify, flush, SET FEATURES,
 * SET MULTIPLE, power commands, DSM TRIM, NCQ, and the commands each device kind aborts. */
#include <sys/stat.h>

#include "tests/unit/ata_test.h"

static void setup(void) { at_setup(); }
static void setup_q2(void) { at_setup_with(DISK_FMT_QCOW2, false, true); }
static void teardown(void) { at_teardown(); }

static void identify(struct ata_dev *d, uint8_t op, uint8_t *id)
{
	struct ata_tf tf = { .command = op };
	ck_good(at_cmd_on(d, &tf, 0x1000, 512, false));
	ck_assert_uint_eq(at.c.xfer, 512);
	memcpy(id, at_ram(0x1000), 512);
	uint8_t sum = 0;
	for (int i = 0; i < 512; i++)
		sum = (uint8_t)(sum + id[i]);
	ck_assert_int_eq(sum, 0);
	ck_assert_int_eq(id[510], 0xa5);
}

/* an ATA string: first character in the high byte of each word */
static void ck_string(const uint8_t *id, unsigned w, unsigned nw, const char *want)
{
	char s[64] = { 0 };
	for (unsigned i = 0; i < nw; i++) {
		s[2 * i] = (char)id[2 * (w + i) + 1];
		s[2 * i + 1] = (char)id[2 * (w + i)];
	}
	size_t n = strlen(want);
	ck_assert_int_eq(memcmp(s, want, n), 0);
	for (size_t i = n; i < 2 * nw; i++)
		ck_assert_int_eq(s[i], ' ');
}

START_TEST(identify_disk_words)
{
	uint8_t id[512];
	identify(at.disk, 0xec, id);
	uint64_t n = AT_DISK_SIZE / 512;
	ck_assert_int_eq(at_word(id, 0) & 0x8000, 0);      /* ATA device */
	ck_assert_int_eq(at_word(id, 49) & 0x0b00, 0x0b00); /* IORDY, LBA, DMA */
	ck_assert_int_eq(at_word(id, 53) & 6, 6);
	ck_assert_uint_eq(at_word(id, 60) | (uint32_t)at_word(id, 61) << 16, n);
	uint64_t n48 = 0;
	for (int i = 0; i < 4; i++)
		n48 |= (uint64_t)at_word(id, 100 + i) << (16 * i);
	ck_assert_uint_eq(n48, n);
	ck_assert_int_eq(at_word(id, 47), 0x8000 | ATA_MAX_MULTI);
	ck_assert_int_eq(at_word(id, 59), 0); /* no multiple mode set */
	ck_assert_int_eq(at_word(id, 63), 0x0007);
	ck_assert_int_eq(at_word(id, 64), 0x0003);
	ck_assert_int_eq(at_word(id, 88), 0x003f);
	ck_assert_int_ge(at_word(id, 80), 0x0080); /* ATA/ATAPI-7 or later: libata reads TRIM from there */
	ck_assert_int_eq(at_word(id, 82) & 0x0020, 0x0020); /* write cache */
	ck_assert_int_eq(at_word(id, 83) & 0xf400, 0x7400); /* valid, flush ext, flush, LBA48 */
	ck_assert_int_eq(at_word(id, 84) & 0xc000, 0x4000);
	ck_assert_int_eq(at_word(id, 85) & 0x0020, 0x0020); /* enabled */
	ck_assert_int_eq(at_word(id, 86) & 0x3400, 0x3400);
	ck_assert_int_eq(at_word(id, 87) & 0xc000, 0x4000);
	ck_assert_int_eq(at_word(id, 93) & 0x2000, 0x2000); /* PATA: 80-wire cable */
	ck_assert_int_eq(at_word(id, 106), 0x4000);         /* 512-byte sectors */
	ck_assert_int_eq(at_word(id, 169) & 1, 1);          /* TRIM (discard on) */
	ck_assert_int_eq(at_word(id, 105), ATA_DSM_MAX_BLOCKS);
	ck_assert_int_eq(at_word(id, 76), 0); /* not SATA */
	ck_string(id, 10, 10, "SER-0001");
	ck_string(id, 27, 20, "TEST DISK");
}
END_TEST

START_TEST(identify_sata_no_trim)
{
	uint8_t id[512];
	identify(at.disk, 0xec, id);
	ck_assert_int_eq(at_word(id, 169) & 1, 0);
	ck_assert_int_eq(at_word(id, 76) & 0x0106, 0x0106); /* NCQ, Gen1, Gen2 */
	ck_assert_int_eq(at_word(id, 75), ATA_NCQ_DEPTH - 1);
	ck_assert_int_eq(at_word(id, 93), 0);
}
END_TEST

START_TEST(identify_packet_words)
{
	uint8_t id[512];
	identify(at.cd, 0xa1, id);
	uint16_t w0 = at_word(id, 0);
	ck_assert_int_eq(w0 >> 14, 2);          /* ATAPI */
	ck_assert_int_eq((w0 >> 8) & 0x1f, 5);  /* CD-ROM */
	ck_assert_int_eq(w0 & 0x80, 0x80);      /* removable */
	ck_assert_int_eq(w0 & 3, 0);            /* 12-byte packets */
	ck_assert_int_eq(at_word(id, 49) & 0x0300, 0x0300);
	ck_assert_int_eq(at_word(id, 82) & 0x0010, 0x0010); /* PACKET feature set */
	ck_string(id, 27, 20, "KVMINI DVD-ROM");
}
END_TEST

START_TEST(kinds_abort_the_other_identify)
{
	struct ata_tf tf = { .command = 0xec };
	ck_aborted(at_cmd_on(at.cd, &tf, 0x1000, 512, false), ATA_ER_ABRT);
	ck_assert_int_eq(at.c.tf.lbam[0], 0x14); /* packet signature */
	ck_assert_int_eq(at.c.tf.lbah[0], 0xeb);
	ck_assert_uint_eq(at.c.xfer, 0);
	tf.command = 0x20; /* READ SECTORS on a CD-ROM */
	ck_aborted(at_cmd_on(at.cd, &tf, 0x1000, 512, false), ATA_ER_ABRT);
	ck_assert_int_eq(at.c.tf.lbah[0], 0xeb);
	tf.command = 0xa1;
	ck_aborted(at_cmd_on(at.disk, &tf, 0x1000, 512, false), ATA_ER_ABRT);
	ck_assert_int_ne(at.c.tf.lbah[0], 0xeb);
	tf.command = 0xa0;
	ck_aborted(at_cmd_on(at.disk, &tf, 0x1000, 512, false), ATA_ER_ABRT);
	tf.command = 0x08; /* DEVICE RESET: packet devices only */
	ck_aborted(at_cmd_on(at.disk, &tf, 0, 0, false), ATA_ER_ABRT);
	tf.command = 0x00; /* NOP aborts by definition */
	ck_aborted(at_cmd_on(at.disk, &tf, 0, 0, false), ATA_ER_ABRT);
}
END_TEST

static void ck_file(const char *path, uint64_t off, const uint8_t *want, size_t len)
{
	uint8_t *b = malloc(len);
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, b, len, (off_t)off), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(memcmp(b, want, len), 0);
	free(b);
}

/* each write opcode lands in the image, each read opcode reads it back */
START_TEST(read_write_every_opcode)
{
	static const uint8_t wr[] = { 0x30, 0x34, 0xc5, 0x39, 0xca, 0x35 };
	static const uint8_t rd[] = { 0x20, 0x24, 0xc4, 0x29, 0xc8, 0x25 };
	struct ata_tf m = { .command = 0xc6, .nsect = { 4 } };
	ck_good(at_cmd(&m, 0, 0, false));
	for (unsigned i = 0; i < sizeof(wr); i++) {
		uint64_t lba = 100 + 10 * i;
		dt_pattern(at_ram(0x10000), 5 * 512, i);
		struct ata_tf tf = at_tf(wr[i], lba, 5);
		ck_good(at_cmd(&tf, 0x10000, 5 * 512, true));
		ck_assert_uint_eq(at.c.xfer, 5 * 512);
		memset(at_ram(0x20000), 0, 5 * 512);
		tf = at_tf(rd[i], lba, 5);
		ck_good(at_cmd(&tf, 0x20000, 5 * 512, false));
		ck_assert_int_eq(memcmp(at_ram(0x10000), at_ram(0x20000), 5 * 512), 0);
	}
	at_close();
	uint8_t want[5 * 512];
	dt_pattern(want, sizeof(want), 5);
	ck_file(at.disk_path, 150 * 512, want, sizeof(want));
}
END_TEST

START_TEST(qcow2_read_write)
{
	dt_pattern(at_ram(0x10000), 64 * 512, 9);
	struct ata_tf tf = at_tf(0x35, AT_DISK_SIZE / 512 - 64, 64);
	ck_good(at_cmd(&tf, 0x10000, 64 * 512, true));
	tf = at_tf(0x25, AT_DISK_SIZE / 512 - 64, 64);
	ck_good(at_cmd(&tf, 0x30000, 64 * 512, false));
	ck_assert_int_eq(memcmp(at_ram(0x10000), at_ram(0x30000), 64 * 512), 0);
	at_close();
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "qemu-img check -q %s", at.disk_path);
	if (system("command -v qemu-img >/dev/null") == 0)
		ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(lba28_boundaries_and_zero_count)
{
	uint64_t last = AT_DISK_SIZE / 512 - 1;
	struct ata_tf tf = at_tf(0xc8, last, 1);
	ck_good(at_cmd(&tf, 0x1000, 512, false));
	tf = at_tf(0xc8, last, 2); /* one past the end */
	ck_aborted(at_cmd(&tf, 0x1000, 1024, false), ATA_ER_IDNF);
	tf = at_tf(0xc8, last + 1, 1);
	ck_aborted(at_cmd(&tf, 0x1000, 512, false), ATA_ER_IDNF);
	tf = at_tf(0xc8, 0, 0); /* count 0 = 256 sectors */
	ck_aborted(at_cmd(&tf, 0x1000, 255 * 512, false), ATA_ER_ABRT); /* the PRDT holds 255 */
	ck_good(at_cmd(&tf, 0x1000, 256 * 512, false));
	ck_assert_uint_eq(at.c.xfer, 256 * 512);
	tf = at_tf(0xc8, last - 254, 0);
	ck_aborted(at_cmd(&tf, 0x1000, 256 * 512, false), ATA_ER_IDNF);
	tf = at_tf(0xc8, last - 255, 0);
	ck_good(at_cmd(&tf, 0x1000, 256 * 512, false));
	/* LBA28 takes the device register's low nibble, not the HOB bytes */
	tf = at_tf(0xc8, 5, 1);
	tf.lbal[1] = 0xff;
	ck_good(at_cmd(&tf, 0x1000, 512, false));
	tf.device |= 0x0f; /* LBA 0x0f000005: past the end */
	ck_aborted(at_cmd(&tf, 0x1000, 512, false), ATA_ER_IDNF);
}
END_TEST

/* a 40 MiB disk for 65536-sector transfers, a 200 GiB sparse one beyond LBA28 */
static struct ata_dev *big_disk(const char *name, uint64_t size)
{
	char p[96];
	ck_assert_int_eq(dt_create(dt_path(p, name), DISK_FMT_RAW, size, 0, NULL, DISK_FMT_AUTO), 0);
	struct ata_dev_opts o = { .kind = ATA_DISK };
	struct ata_dev *d;
	ck_assert_int_eq(ata_dev_create(&d, dt_open(p, DISK_FMT_RAW, false), &o), 0);
	return d;
}

START_TEST(lba48_count_zero_is_65536)
{
	struct ata_dev *d = big_disk("big.raw", 40u << 20);
	size_t len = 65536u * 512;
	uint8_t *b = malloc(len);
	ck_assert_ptr_nonnull(b);
	struct iovec v = { b, len };
	struct ata_cmd *c = &at.c;
	memset(c, 0, sizeof(*c));
	c->tf = at_tf(0x25, 0, 0);
	c->iov = &v;
	c->niov = 1;
	c->done = at_done;
	at.done = 0;
	ata_submit(d, at.q, c);
	disk_aio_kick(at.q);
	at_wait(1);
	ck_good(c->tf.status);
	ck_assert_uint_eq(c->xfer, len);
	c->tf = at_tf(0x25, (40u << 20) / 512 - 65535, 0);
	at.done = 0;
	ata_submit(d, at.q, c);
	at_wait(1);
	ck_aborted(c->tf.status, ATA_ER_IDNF);
	v.iov_len = len - 512; /* one sector short */
	c->tf = at_tf(0x25, 0, 0);
	at.done = 0;
	ata_submit(d, at.q, c);
	at_wait(1);
	ck_aborted(c->tf.status, ATA_ER_ABRT);
	free(b);
	ata_dev_destroy(d);
}
END_TEST

START_TEST(beyond_lba28)
{
	uint64_t size = 200ull << 30, n = size / 512;
	struct ata_dev *d = big_disk("huge.raw", size);
	uint8_t id[512];
	identify(d, 0xec, id);
	ck_assert_uint_eq(at_word(id, 60) | (uint32_t)at_word(id, 61) << 16, 0x0fffffff);
	uint64_t n48 = 0;
	for (int i = 0; i < 4; i++)
		n48 |= (uint64_t)at_word(id, 100 + i) << (16 * i);
	ck_assert_uint_eq(n48, n);
	dt_pattern(at_ram(0x1000), 512, 8);
	struct ata_tf tf = at_tf(0x34, n - 1, 1); /* the last sector, far beyond 2^28 */
	ck_good(at_cmd_on(d, &tf, 0x1000, 512, true));
	tf = at_tf(0x24, n - 1, 1);
	ck_good(at_cmd_on(d, &tf, 0x2000, 512, false));
	ck_assert_int_eq(memcmp(at_ram(0x1000), at_ram(0x2000), 512), 0);
	tf = at_tf(0x24, n, 1);
	ck_aborted(at_cmd_on(d, &tf, 0x2000, 512, false), ATA_ER_IDNF);
	ata_dev_destroy(d);
}
END_TEST

START_TEST(chs_addressing)
{
	dt_pattern(at_ram(0x1000), 512, 3);
	/* cylinder 1, head 2, sector 3 = (1*16 + 2)*63 + 2 */
	struct ata_tf tf = { .command = 0x30, .nsect = { 1 }, .lbal = { 3 }, .lbam = { 1 }, .device = 2 };
	ck_good(at_cmd(&tf, 0x1000, 512, true));
	tf.lbal[0] = 0; /* sector numbers start at 1 */
	ck_aborted(at_cmd(&tf, 0x1000, 512, true), ATA_ER_IDNF);
	at_close();
	ck_file(at.disk_path, ((1 * 16 + 2) * 63 + 2) * 512, at_ram(0x1000), 512);
}
END_TEST

START_TEST(short_prdt_moves_nothing)
{
	dt_pattern(at_ram(0x1000), 8 * 512, 4);
	struct ata_tf tf = at_tf(0x35, 10, 8);
	ck_aborted(at_cmd(&tf, 0x1000, 7 * 512, true), ATA_ER_ABRT);
	ck_assert_uint_eq(at.c.xfer, 0);
	at_close();
	uint8_t zero[8 * 512] = { 0 };
	ck_file(at.disk_path, 10 * 512, zero, sizeof(zero));
}
END_TEST

START_TEST(verify_and_flush)
{
	struct ata_tf tf = at_tf(0x40, AT_DISK_SIZE / 512 - 1, 1);
	ck_good(at_cmd(&tf, 0, 0, false));
	tf = at_tf(0x42, AT_DISK_SIZE / 512 - 1, 2);
	ck_aborted(at_cmd(&tf, 0, 0, false), ATA_ER_IDNF);
	tf = (struct ata_tf){ .command = 0xe7 };
	ck_good(at_cmd(&tf, 0, 0, false));
	tf.command = 0xea;
	ck_good(at_cmd(&tf, 0, 0, false));
}
END_TEST

START_TEST(set_features_and_multiple)
{
	uint8_t id[512];
	struct ata_tf tf = { .command = 0xef, .feat = { 0x03 }, .nsect = { 0x45 } }; /* UDMA 5 */
	ck_good(at_cmd(&tf, 0, 0, false));
	identify(at.disk, 0xec, id);
	ck_assert_int_eq(at_word(id, 88), 0x203f);
	tf.nsect[0] = 0x22; /* MWDMA 2: UDMA deselected */
	ck_good(at_cmd(&tf, 0, 0, false));
	identify(at.disk, 0xec, id);
	ck_assert_int_eq(at_word(id, 88), 0x003f);
	ck_assert_int_eq(at_word(id, 63), 0x0407);
	tf.nsect[0] = 0x46; /* UDMA 6 is not offered */
	ck_aborted(at_cmd(&tf, 0, 0, false), ATA_ER_ABRT);
	tf.nsect[0] = 0x0c; /* PIO 4 */
	ck_good(at_cmd(&tf, 0, 0, false));
	tf = (struct ata_tf){ .command = 0xef, .feat = { 0x82 } }; /* write cache off */
	ck_good(at_cmd(&tf, 0, 0, false));
	identify(at.disk, 0xec, id);
	ck_assert_int_eq(at_word(id, 85) & 0x20, 0);
	dt_pattern(at_ram(0x1000), 512, 1); /* a write with the cache off is flushed: still works */
	struct ata_tf w = at_tf(0x30, 1, 1);
	ck_good(at_cmd(&w, 0x1000, 512, true));
	tf.feat[0] = 0x02;
	ck_good(at_cmd(&tf, 0, 0, false));
	identify(at.disk, 0xec, id);
	ck_assert_int_eq(at_word(id, 85) & 0x20, 0x20);
	tf.feat[0] = 0x55; /* not offered */
	ck_aborted(at_cmd(&tf, 0, 0, false), ATA_ER_ABRT);
	tf.feat[0] = 0x02; /* a CD-ROM has no write cache */
	ck_aborted(at_cmd_on(at.cd, &tf, 0, 0, false), ATA_ER_ABRT);

	struct ata_tf r = at_tf(0xc4, 0, 4);
	ck_aborted(at_cmd(&r, 0x1000, 2048, false), ATA_ER_ABRT); /* multiple mode not set */
	struct ata_tf m = { .command = 0xc6, .nsect = { 3 } };
	ck_aborted(at_cmd(&m, 0, 0, false), ATA_ER_ABRT);
	m.nsect[0] = 32;
	ck_aborted(at_cmd(&m, 0, 0, false), ATA_ER_ABRT);
	m.nsect[0] = 16;
	ck_good(at_cmd(&m, 0, 0, false));
	identify(at.disk, 0xec, id);
	ck_assert_int_eq(at_word(id, 59), 0x0110);
	ck_good(at_cmd(&r, 0x1000, 2048, false));
}
END_TEST

START_TEST(power_modes)
{
	struct ata_tf tf = { .command = 0xe5 };
	ck_good(at_cmd(&tf, 0, 0, false));
	ck_assert_int_eq(at.c.tf.nsect[0], 0xff);
	static const struct { uint8_t op, mode; } p[] = { { 0xe0, 0x00 }, { 0xe1, 0x80 }, { 0xe2, 0x00 }, { 0xe3, 0x80 } };
	for (unsigned i = 0; i < 4; i++) {
		tf.command = p[i].op;
		ck_good(at_cmd(&tf, 0, 0, false));
		tf.command = 0xe5;
		ck_good(at_cmd(&tf, 0, 0, false));
		ck_assert_int_eq(at.c.tf.nsect[0], p[i].mode);
	}
	struct ata_tf r = at_tf(0xc8, 0, 1); /* a read spins it up */
	ck_good(at_cmd(&r, 0x1000, 512, false));
	ck_good(at_cmd(&tf, 0, 0, false));
	ck_assert_int_eq(at.c.tf.nsect[0], 0xff);
	tf.command = 0xe6; /* SLEEP: only a reset wakes it */
	ck_good(at_cmd(&tf, 0, 0, false));
	ck_aborted(at_cmd(&r, 0x1000, 512, false), ATA_ER_ABRT);
	ata_dev_reset(at.disk, false);
	ck_good(at_cmd(&r, 0x1000, 512, false));
	tf.command = 0xe0; /* ATAPI devices have the power commands too */
	ck_good(at_cmd_on(at.cd, &tf, 0, 0, false));
}
END_TEST

START_TEST(diagnostic_and_device_reset)
{
	struct ata_tf tf = { .command = 0x90, .lbam = { 0x55 }, .lbah = { 0x66 } };
	ck_good(at_cmd(&tf, 0, 0, false));
	ck_assert_int_eq(at.c.tf.error, 0x01);
	ck_assert_int_eq(at.c.tf.lbam[0], 0);
	ck_assert_int_eq(at.c.tf.lbah[0], 0);
	ck_assert_int_eq(at.c.tf.nsect[0], 1);
	at_cmd_on(at.cd, &tf, 0, 0, false);
	ck_assert_int_eq(at.c.tf.error, 0x01);
	ck_assert_int_eq(at.c.tf.lbam[0], 0x14);
	ck_assert_int_eq(at.c.tf.lbah[0], 0xeb);
	tf.command = 0x08;
	ck_assert_int_eq(at_cmd_on(at.cd, &tf, 0, 0, false) & ATA_ST_ERR, 0);
	ck_assert_int_eq(at.c.tf.lbah[0], 0xeb);
}
END_TEST

static blkcnt_t blocks_of(const char *p)
{
	struct stat s;
	ck_assert_int_eq(stat(p, &s), 0);
	return s.st_blocks;
}

START_TEST(dsm_trim)
{
	dt_pattern(at_ram(0x10000), 0x40000, 2);
	struct ata_tf w = at_tf(0x35, 2048, 512); /* 256 KiB at 1 MiB */
	ck_good(at_cmd(&w, 0x10000, 0x40000, true));
	ck_good(at_cmd(&(struct ata_tf){ .command = 0xe7 }, 0, 0, false));
	blkcnt_t before = blocks_of(at.disk_path);
	uint8_t *l = at_ram(0x2000);
	memset(l, 0, 512);
	uint64_t e = 2048 | (uint64_t)512 << 48; /* one entry: 512 sectors at 2048 */
	memcpy(l + 8, &e, 8);                    /* after an empty entry */
	struct ata_tf tf = { .command = 0x06, .feat = { 1 }, .nsect = { 1 } };
	ck_good(at_cmd(&tf, 0x2000, 512, true));
	ck_assert_int_lt(blocks_of(at.disk_path), before);
	struct ata_tf r = at_tf(0x25, 2048, 512);
	memset(at_ram(0x10000), 0xaa, 0x40000);
	ck_good(at_cmd(&r, 0x10000, 0x40000, false));
	for (size_t i = 0; i < 0x40000; i++)
		ck_assert_int_eq(at_ram(0x10000)[i], 0);
	e = (AT_DISK_SIZE / 512 - 1) | (uint64_t)2 << 48; /* past the end */
	memcpy(l, &e, 8);
	ck_aborted(at_cmd(&tf, 0x2000, 512, true), ATA_ER_ABRT);
	tf.feat[0] = 0; /* not TRIM */
	ck_aborted(at_cmd(&tf, 0x2000, 512, true), ATA_ER_ABRT);
	tf.feat[0] = 1;
	tf.nsect[0] = ATA_DSM_MAX_BLOCKS + 1;
	ck_aborted(at_cmd(&tf, 0x2000, 512 * (ATA_DSM_MAX_BLOCKS + 1), true), ATA_ER_ABRT);
	tf.nsect[0] = 2; /* the PRDT holds one block */
	ck_aborted(at_cmd(&tf, 0x2000, 512, true), ATA_ER_ABRT);
}
END_TEST

START_TEST(dsm_needs_discard)
{
	struct ata_tf tf = { .command = 0x06, .feat = { 1 }, .nsect = { 1 } };
	memset(at_ram(0x2000), 0, 512);
	ck_aborted(at_cmd(&tf, 0x2000, 512, true), ATA_ER_ABRT);
}
END_TEST

START_TEST(ncq_decode_and_run)
{
	struct ata_tf tf = at_tf(0x61, 0x123456789aULL, 0);
	tf.nsect[0] = 7 << 3;
	tf.feat[0] = 0x10;
	tf.feat[1] = 0x00;
	tf.device = 0x40 | 0x80;
	struct ata_ncq n;
	ck_assert_int_eq(ata_ncq_decode(&tf, &n), 0);
	ck_assert_uint_eq(n.tag, 7);
	ck_assert_uint_eq(n.nsect, 16);
	ck_assert_uint_eq(n.lba, 0x123456789aULL);
	ck_assert(n.write && n.fua);
	tf.feat[0] = 0;
	ck_assert_int_eq(ata_ncq_decode(&tf, &n), 0);
	ck_assert_uint_eq(n.nsect, 65536);
	tf.command = 0x25;
	ck_assert_int_eq(ata_ncq_decode(&tf, &n), -EINVAL);

	/* two queued writes in flight together, then a queued read of both */
	struct ata_cmd c[2];
	struct iovec v[2];
	memset(c, 0, sizeof(c));
	for (int i = 0; i < 2; i++) {
		dt_pattern(at_ram(0x10000 + 0x2000 * (unsigned)i), 0x2000, (uint64_t)i + 40);
		c[i].tf = at_tf(0x61, 64 + 16 * (unsigned)i, 0);
		c[i].tf.nsect[0] = (uint8_t)((i + 3) << 3);
		c[i].tf.nsect[1] = 0;
		c[i].tf.feat[0] = 16;
		v[i] = (struct iovec){ at_ram(0x10000 + 0x2000 * (unsigned)i), 0x2000 };
		c[i].iov = &v[i];
		c[i].niov = 1;
		c[i].write = true;
		c[i].done = at_done;
	}
	at.done = 0;
	ata_submit(at.disk, at.q, &c[0]);
	ata_submit(at.disk, at.q, &c[1]);
	disk_aio_kick(at.q);
	at_wait(2);
	for (int i = 0; i < 2; i++) {
		ck_good(c[i].tf.status);
		ck_assert_uint_eq(c[i].tag, (unsigned)i + 3);
		ck_assert_int_eq(c[i].proto, ATA_PROTO_NCQ);
	}
	struct ata_tf r = at_tf(0x60, 64, 0);
	r.feat[0] = 32;
	r.nsect[1] = 0;
	ck_good(at_cmd(&r, 0x20000, 0x4000, false));
	ck_assert_int_eq(memcmp(at_ram(0x20000), at_ram(0x10000), 0x4000), 0);
	r = at_tf(0x60, AT_DISK_SIZE / 512 - 8, 0);
	r.feat[0] = 9;
	r.nsect[1] = 0;
	ck_aborted(at_cmd(&r, 0x20000, 9 * 512, false), ATA_ER_IDNF);
}
END_TEST

START_TEST(ncq_only_on_sata)
{
	struct ata_tf r = at_tf(0x60, 0, 0);
	r.feat[0] = 1;
	r.nsect[1] = 0;
	ck_aborted(at_cmd(&r, 0x20000, 512, false), ATA_ER_ABRT);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("ata_cmd");
	TCase *t = tcase_create("raw");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, identify_disk_words);
	tcase_add_test(t, identify_packet_words);
	tcase_add_test(t, kinds_abort_the_other_identify);
	tcase_add_test(t, read_write_every_opcode);
	tcase_add_test(t, lba28_boundaries_and_zero_count);
	tcase_add_test(t, lba48_count_zero_is_65536);
	tcase_add_test(t, beyond_lba28);
	tcase_add_test(t, chs_addressing);
	tcase_add_test(t, short_prdt_moves_nothing);
	tcase_add_test(t, verify_and_flush);
	tcase_add_test(t, set_features_and_multiple);
	tcase_add_test(t, power_modes);
	tcase_add_test(t, diagnostic_and_device_reset);
	tcase_add_test(t, dsm_trim);
	tcase_add_test(t, ncq_only_on_sata);
	suite_add_tcase(s, t);
	TCase *q = tcase_create("qcow2_sata");
	tcase_add_checked_fixture(q, setup_q2, teardown);
	tcase_set_timeout(q, 30);
	tcase_add_test(q, identify_sata_no_trim);
	tcase_add_test(q, qcow2_read_write);
	tcase_add_test(q, dsm_needs_discard);
	tcase_add_test(q, ncq_decode_and_run);
	suite_add_tcase(s, q);
	return s;
}

UNIT_MAIN
