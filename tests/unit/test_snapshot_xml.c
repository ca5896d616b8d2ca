// SPDX-License-Identifier: GPL-2.0-or-later
/* Domain snapshot XML (tools/snapshot_xml.h): what libvirt and kvmini write parses, the writer's
 * output parses back the same, and what kvmini cannot do (external snapshots, bad names, a
 * DOCTYPE) is one line of refusal. */
#include "unit.h"

#include <errno.h>

#include "tools/snapshot_xml.h"

static int parse(const char *x, struct snap_def *d, char *err)
{
	return snapdef_parse(x, strlen(x), d, err, 256);
}

START_TEST(libvirt_document)
{
	struct snap_def d;
	char err[256];
	const char *x = "<domainsnapshot>\n  <name>s1</name>\n  <description>a &amp; b</description>\n"
			"  <state>paused</state>\n  <parent>\n    <name>s0</name>\n  </parent>\n"
			"  <creationTime>1764600000</creationTime>\n  <memory snapshot='internal'/>\n"
			"  <disks>\n    <disk name='/i/a.qcow2' snapshot='internal'/>\n    <disk name='vdb'/>\n  </disks>\n"
			"  <domain type='kvm'><name>vm</name></domain>\n  <cookie/>\n</domainsnapshot>\n";
	ck_assert_int_eq(parse(x, &d, err), 0);
	ck_assert_str_eq(d.name, "s1");
	ck_assert_str_eq(d.description, "a & b");
	ck_assert_str_eq(d.state, "paused");
	ck_assert_str_eq(d.parent, "s0");
	ck_assert_int_eq(d.creation, 1764600000);
	ck_assert_uint_eq(d.ndisks, 2);
	ck_assert_str_eq(d.disks[0], "/i/a.qcow2");
	char *out = snapdef_format(&d);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(strstr(out, "<description>a &amp; b</description>"));
	ck_assert_ptr_nonnull(strstr(out, "<disk name='/i/a.qcow2' snapshot='internal'/>"));
	struct snap_def e;
	ck_assert_int_eq(parse(out, &e, err), 0);
	ck_assert_str_eq(e.name, d.name);
	ck_assert_str_eq(e.description, d.description);
	ck_assert_str_eq(e.parent, "s0");
	ck_assert_int_eq(e.creation, d.creation);
	ck_assert_uint_eq(e.ndisks, 2);
	free(out);
	snapdef_free(&e);
	snapdef_free(&d);
	/* a user's file may name nothing but the snapshot, or not even that */
	ck_assert_int_eq(parse("<domainsnapshot/>", &d, err), 0);
	ck_assert_str_eq(d.name, "");
	ck_assert_ptr_null(d.description);
	snapdef_free(&d);
}
END_TEST

START_TEST(refusals)
{
	static const struct {
		const char *xml, *why;
	} bad[] = {
		{ "<domain/>", "the root element must be <domainsnapshot>" },
		{ "<domainsnapshot><memory snapshot='external' file='/m'/></domainsnapshot>",
		  "only internal snapshots are supported, not snapshot='external'" },
		{ "<domainsnapshot><disks><disk name='vda' snapshot='external'/></disks></domainsnapshot>",
		  "only internal snapshots are supported" },
		{ "<domainsnapshot><memory snapshot='no'/></domainsnapshot>", "not snapshot='no'" },
		{ "<domainsnapshot><name>../x</name></domainsnapshot>", "snapshot name '../x'" },
		{ "<domainsnapshot><state>crashed</state></domainsnapshot>", "unknown snapshot state 'crashed'" },
		{ "<domainsnapshot><creationTime>12x</creationTime></domainsnapshot>", "not a number of seconds" },
		{ "<domainsnapshot><disks><disk/></disks></domainsnapshot>", "a <disk> needs a name" },
		{ "<domainsnapshot><disks><x/></disks></domainsnapshot>", "<disks> holds <disk> elements only" },
		{ "<!DOCTYPE d [<!ENTITY e \"x\">]><domainsnapshot><name>&e;</name></domainsnapshot>",
		  "a DOCTYPE is not allowed in a domain snapshot" },
		{ "<domainsnapshot>\n<name>a</name", "line 2:" },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct snap_def d;
		char err[256] = "";
		ck_assert_msg(parse(bad[i].xml, &d, err) == -EINVAL, "case %u parsed", i);
		ck_assert_msg(strstr(err, bad[i].why), "case %u: %s", i, err);
		ck_assert_ptr_null(strchr(err, '\n'));
		ck_assert_ptr_null(d.description); /* nothing left allocated */
	}
	/* more disks than kvmini records */
	char big[4096] = "<domainsnapshot><disks>";
	for (unsigned i = 0; i <= SNAPDEF_MAX_DISKS; i++)
		strcat(big, "<disk name='x'/>");
	strcat(big, "</disks></domainsnapshot>");
	struct snap_def d;
	char err[256];
	ck_assert_int_eq(parse(big, &d, err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too many disks"));
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("snapshot_xml");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, libvirt_document);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
