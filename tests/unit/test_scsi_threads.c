// SPDX-License-Identifier: GPL-2.0-or-later
/* SCSI target under several threads, as virtio-scsi runs it (one I/O thread per request queue,
 * each with its own disk_aio) while the control thread changes the CD-ROM's medium and resets the
 * target: every command completes once with a status it may have, the data each thread wrote is in
 * the image, and nothing races (this test is in `make tsan`'s spirit: run it under TSan too). */
#include <pthread.h>

#include "tests/unit/scsi_test.h"
#include "tests/unit/unit.h"

#define WORKERS 2
#define ROUNDS 300

struct worker {
	int id;
	struct disk_aio *q;
	int done;
	unsigned bad; /* commands that ended in a way they never may */
	uint8_t key;  /* sense key of the last CHECK CONDITION */
};

static void w_done(struct scsi_req *r) { ((struct worker *)r->opaque)->done++; }

static int w_cmd(struct worker *w, unsigned lun, const uint8_t *cdb, unsigned len, void *din, size_t dl,
		 const void *dout, size_t ol)
{
	struct scsi_req r;
	struct iovec in = { din, dl }, out = { (void *)dout, ol };
	memset(&r, 0, sizeof(r));
	memcpy(r.cdb, cdb, len);
	r.cdb_len = len;
	r.lun = lun;
	r.din = din ? &in : NULL;
	r.ndin = din ? 1 : 0;
	r.dout = dout ? &out : NULL;
	r.ndout = dout ? 1 : 0;
	r.done = w_done;
	r.opaque = w;
	w->done = 0;
	scsi_submit(st.t, w->q, &r);
	disk_aio_kick(w->q);
	while (!w->done) {
		struct pollfd p = { disk_aio_fd(w->q), POLLIN, 0 };
		if (p.fd < 0 || poll(&p, 1, 5000) != 1) {
			w->bad++;
			return -1;
		}
		disk_aio_complete(w->q);
	}
	if (w->done != 1 || r.response != SCSI_RESP_OK)
		w->bad++;
	w->key = r.sense[2] & 0xf;
	return r.status;
}

/* a disk command, again while unit attentions from the control thread's resets get in the way */
static int w_disk(struct worker *w, const uint8_t *cdb, void *din, size_t dl, const void *dout, size_t ol)
{
	int s, tries = 0;
	do
		s = w_cmd(w, 0, cdb, 10, din, dl, dout, ol);
	while (s == SCSI_STATUS_CHECK_CONDITION && w->key == SCSI_SK_UNIT_ATTENTION && ++tries < 100);
	return s;
}

static void *worker(void *o)
{
	struct worker *w = o;
	uint8_t b[4096], rb[4096];
	for (int i = 0; i < ROUNDS; i++) {
		uint32_t lba = (uint32_t)(w->id * 4096 + (i % 64) * 8);
		uint8_t wr[10] = { 0x2a, 0, 0, 0, (uint8_t)(lba >> 8), (uint8_t)lba, 0, 0, 8, 0 };
		uint8_t rd[10] = { 0x28, 0, 0, 0, (uint8_t)(lba >> 8), (uint8_t)lba, 0, 0, 8, 0 };
		dt_pattern(b, sizeof(b), (uint64_t)w->id << 32 | (unsigned)i);
		/* the disk: what this thread wrote, it reads back */
		int s = w_disk(w, wr, NULL, 0, b, sizeof(b));
		if (s == 0)
			s = w_disk(w, rd, rb, sizeof(rb), NULL, 0);
		if (s || memcmp(b, rb, sizeof(b)))
			w->bad++;
		/* the CD-ROM comes and goes: GOOD or CHECK CONDITION, never anything else */
		uint8_t cd_rd[10] = { 0x28, 0, 0, 0, 0, (uint8_t)i, 0, 0, 1, 0 }, tur[6] = { 0 };
		uint8_t ge[10] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0 }, rs[6] = { 0x03, 0, 0, 0, 18, 0 };
		s = w_cmd(w, 1, cd_rd, 10, rb, 2048, NULL, 0);
		s |= w_cmd(w, 1, tur, 6, NULL, 0, NULL, 0);
		s |= w_cmd(w, 1, ge, 10, rb, 8, NULL, 0);
		s |= w_cmd(w, 1, rs, 6, rb, 18, NULL, 0);
		if (s & ~SCSI_STATUS_CHECK_CONDITION)
			w->bad++;
	}
	return NULL;
}

START_TEST(queues_and_medium_changes)
{
	struct worker w[WORKERS];
	pthread_t th[WORKERS];
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ .id = i };
		ck_assert_int_eq(disk_aio_create(&w[i].q, 16), 0);
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &w[i]), 0);
	}
	unsigned ejects = 0, busy = 0;
	for (int i = 0; i < 400; i++) {
		struct disk *old;
		int e = scsi_lun_eject(st.t, 1, true, &old);
		if (e == -EBUSY) {
			busy++;
		} else {
			ck_assert_int_eq(e, 0);
			ejects++;
			ck_assert_int_eq(scsi_lun_insert(st.t, 1, old), 0);
		}
		if (i % 50 == 0)
			scsi_target_reset(st.t);
		bool p, o, l;
		ck_assert_int_eq(scsi_lun_medium(st.t, 1, &p, &o, &l), 0);
	}
	for (int i = 0; i < WORKERS; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_uint_eq(w[i].bad, 0);
		disk_aio_destroy(w[i].q);
	}
	ck_assert_uint_gt(ejects, 0);
	(void)busy; /* how often a request held the medium depends on timing */
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("scsi_threads");
	TCase *t = tcase_create("threads");
	tcase_add_checked_fixture(t, st_setup, st_teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, queues_and_medium_changes);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
