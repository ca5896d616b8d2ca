// SPDX-License-Identifier: GPL-2.0-or-later
/* SCSI target saved state: save -> restore into a freshly configured target gives the guest the
 * same answers (pending unit attentions, kept sense, tray, lock, write cache, media event); a
 * payload for another configuration, a truncated one or one with impossible values is refused and
 * leaves the target as it was. */
#include "tests/unit/scsi_test.h"
#include "tests/unit/unit.h"
#include "vmm/state.h"

/* a second target configured like st's (LUN 0 a disk, LUN 1 a CD-ROM with a medium), on images
 * of its own: the first target holds the lock on its disk */
static struct scsi_target *twin(bool with_cd)
{
	struct scsi_target *t;
	char dp[96], cp[96];
	dt_path(dp, "twin.raw");
	dt_path(cp, "twin.iso");
	if (access(dp, F_OK)) {
		ck_assert_int_eq(dt_create(dp, DISK_FMT_RAW, ST_DISK_SIZE, 0, NULL, DISK_FMT_AUTO), 0);
		ck_assert_int_eq(dt_create(cp, DISK_FMT_RAW, ST_CD_SIZE, 0, NULL, DISK_FMT_AUTO), 0);
	}
	struct scsi_target_opts to = { .autosense = false, .id = 3 };
	ck_assert_int_eq(scsi_target_create(&t, &to), 0);
	struct scsi_lun_opts d = { .type = SCSI_LUN_DISK, .discard = true }, c = { .type = SCSI_LUN_CDROM };
	ck_assert_int_eq(scsi_target_add_lun(t, 0, dt_open(dp, DISK_FMT_RAW, false), &d), 0);
	if (with_cd)
		ck_assert_int_eq(scsi_target_add_lun(t, 1, dt_open(cp, DISK_FMT_RAW, true), &c), 0);
	return t;
}

static void setup(void) { st_setup_with(DISK_FMT_RAW, false, true, false); }

static void save(struct state_writer *w)
{
	state_writer_init(w);
	state_begin(w, "scsi-target", 0, 1);
	ck_assert_int_eq(scsi_target_state_save(st.t, w), 0);
	state_end(w);
	ck_assert_int_eq(state_writer_finish(w), 0);
}

static int load_into(struct scsi_target *t, const struct state_writer *w, size_t cut, int flip)
{
	size_t len;
	const uint8_t *p = state_writer_data(w, &len);
	struct state_stream s;
	struct state_section sec;
	ck_assert_int_eq(state_open(&s, p, len, NULL, 0), 0);
	ck_assert_int_eq(state_next(&s, &sec), 1);
	uint8_t buf[256];
	size_t n = sec.r.len;
	ck_assert_uint_le(n, sizeof(buf));
	memcpy(buf, sec.r.p, n);
	if (flip >= 0)
		buf[flip] ^= 0xff;
	struct state_reader r;
	state_reader_init(&r, buf, cut < n ? cut : n);
	return scsi_target_state_load(t, &r, sec.version);
}

/* REQUEST SENSE on lun of t as a transport without autosense does */
static void sense_of(struct scsi_target *t, unsigned lun, uint8_t *s)
{
	struct scsi_target *keep = st.t;
	st.t = t;
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	ck_assert_int_eq(st_cmd_lun(lun, rs, 6, s, 18, NULL, 0), 0);
	st.t = keep;
}

START_TEST(round_trip)
{
	/* make every part of the state differ from a fresh LUN's */
	uint8_t p[4 + 20] = { 0, 0, 0, 0, 0x08, 0x12 }; /* WCE off */
	uint8_t ms[6] = { 0x15, 0x10, 0, 0, sizeof(p), 0 };
	ck_assert_int_eq(st_cmd(ms, 6, NULL, 0, p, sizeof(p)), 0);
	struct disk *old;
	ck_assert_int_eq(scsi_lun_eject(st.t, 1, true, &old), 0);
	ck_assert_int_eq(scsi_lun_insert(st.t, 1, old), 0); /* a new-media event, a unit attention */
	uint8_t prevent[6] = { 0x1e, 0, 0, 0, 1, 0 };
	ck_fails(st_cmd_lun(1, prevent, 6, NULL, 0, NULL, 0), SCSI_SK_UNIT_ATTENTION, 0x28, 0x00);
	ck_assert_int_eq(st_cmd_lun(1, prevent, 6, NULL, 0, NULL, 0), 0); /* locked */
	uint8_t bad[10] = { 0x28, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 1, 0 }, b[512];
	ck_assert_int_eq(st_cmd(bad, 10, b, sizeof(b), NULL, 0), SCSI_STATUS_CHECK_CONDITION); /* kept */
	struct state_writer w;
	save(&w);

	struct scsi_target *t = twin(true);
	ck_assert_int_eq(load_into(t, &w, SIZE_MAX, -1), 0);
	/* the disk's kept sense */
	uint8_t s1[18], s2[18];
	sense_of(t, 0, s2);
	ck_assert_int_eq(s2[2], SCSI_SK_ILLEGAL_REQUEST);
	ck_assert_int_eq(s2[12], 0x21);
	/* and the same answers from both from here on */
	sense_of(st.t, 0, s1);
	ck_assert(!memcmp(s1, s2, 18));
	bool pr[2], op[2], lk[2];
	ck_assert_int_eq(scsi_lun_medium(st.t, 1, &pr[0], &op[0], &lk[0]), 0);
	ck_assert_int_eq(scsi_lun_medium(t, 1, &pr[1], &op[1], &lk[1]), 0);
	ck_assert(pr[0] == pr[1] && op[0] == op[1] && lk[0] == lk[1] && lk[1]);
	struct scsi_target *keep = st.t;
	for (int i = 0; i < 2; i++) {
		st.t = i ? t : keep;
		uint8_t ge[10] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0 }, g[8];
		ck_assert_int_eq(st_cmd_lun(1, ge, 10, g, 8, NULL, 0), 0);
		ck_assert_int_eq(g[4], 2); /* new media still to report */
		uint8_t mse[6] = { 0x1a, 0x08, 0x08, 0, 255, 0 }, m[255];
		ck_assert_int_eq(st_cmd(mse, 6, m, sizeof(m), NULL, 0), 0);
		ck_assert_int_eq(m[6] & 0x04, 0); /* WCE off */
	}
	/* the twin's CD-ROM no longer has its power-on unit attention: st's had none */
	uint8_t tur[6] = { 0 };
	ck_assert_int_eq(st_cmd_lun(1, tur, 6, NULL, 0, NULL, 0), 0);
	st.t = keep;
	scsi_target_destroy(t);
	state_writer_free(&w);
}
END_TEST

START_TEST(refused_loads_change_nothing)
{
	scsi_target_reset(st.t);
	struct state_writer w;
	save(&w);
	struct scsi_target *t = twin(false); /* no CD-ROM: another configuration */
	ck_assert_int_eq(load_into(t, &w, SIZE_MAX, -1), -EINVAL);
	scsi_target_destroy(t);
	t = twin(true);
	size_t len;
	const uint8_t *p = state_writer_data(&w, &len);
	struct state_stream s;
	struct state_section sec;
	ck_assert_int_eq(state_open(&s, p, len, NULL, 0), 0);
	ck_assert_int_eq(state_next(&s, &sec), 1);
	for (size_t cut = 0; cut < sec.r.len; cut++)
		ck_assert_int_eq(load_into(t, &w, cut, -1), -EBADMSG);
	/* a changed byte: LUN count/number/type/presence, UA bits, bools, sense, event */
	unsigned refused = 0;
	for (int i = 0; i < (int)sec.r.len; i++) {
		int e = load_into(t, &w, SIZE_MAX, i);
		ck_assert(e == 0 || e == -EINVAL || e == -EBADMSG);
		refused += e != 0;
	}
	ck_assert_uint_eq(refused, sec.r.len); /* every byte matters */
	/* none of that touched t: its LUNs still report the power-on unit attention, not the reset */
	uint8_t tur[6] = { 0 };
	struct scsi_target *keep = st.t;
	st.t = t;
	ck_fails(st_cmd_lun(1, tur, 6, NULL, 0, NULL, 0), SCSI_SK_UNIT_ATTENTION, 0x29, 0x00);
	ck_assert_int_eq(st_cmd_lun(1, tur, 6, NULL, 0, NULL, 0), 0);
	st.t = keep;
	/* a version this code does not know */
	struct state_reader r;
	state_reader_init(&r, sec.r.p, sec.r.len);
	ck_assert_int_eq(scsi_target_state_load(t, &r, 2), -EINVAL);
	scsi_target_destroy(t);
	state_writer_free(&w);
}
END_TEST

START_TEST(registry)
{
	struct state_registry g;
	state_registry_init(&g);
	ck_assert_int_eq(state_registry_add(&g, &scsi_target_state_ops, 0, st.t), 0);
	struct state_writer w;
	state_writer_init(&w);
	ck_assert_int_eq(state_registry_save(&g, &w), 0);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	struct scsi_target *t = twin(true);
	struct state_registry g2;
	state_registry_init(&g2);
	ck_assert_int_eq(state_registry_add(&g2, &scsi_target_state_ops, 0, t), 0);
	size_t len;
	const uint8_t *p = state_writer_data(&w, &len);
	struct state_stream s;
	char why[128];
	ck_assert_int_eq(state_open(&s, p, len, why, sizeof(why)), 0);
	ck_assert_int_eq(state_registry_load(&g2, &s, NULL, why, sizeof(why)), 0);
	/* st's LUNs had their power-on attention cleared by the fixture: so has t's now */
	uint8_t tur[6] = { 0 };
	struct scsi_target *keep = st.t;
	st.t = t;
	ck_assert_int_eq(st_cmd_lun(0, tur, 6, NULL, 0, NULL, 0), 0);
	st.t = keep;
	state_registry_free(&g);
	state_registry_free(&g2);
	state_writer_free(&w);
	scsi_target_destroy(t);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("scsi_state");
	TCase *t = tcase_create("state");
	tcase_add_checked_fixture(t, setup, st_teardown);
	tcase_add_test(t, round_trip);
	tcase_add_test(t, refused_loads_change_nothing);
	tcase_add_test(t, registry);
	suite_add_tcase(s, t);
	return s;
}

UNIT_MAIN
