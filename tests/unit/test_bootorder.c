// SPDX-License-Identifier: GPL-2.0-or-later
/* --boot parsing, SeaBIOS firmware paths, the bootorder file and CMOS bytes; the ACPI table
 * loader script, run here the way SeaBIOS runs it, gives tables a guest can use. */
#include <errno.h>

#include "unit.h"
#include "firmware/acpi.h"
#include "firmware/acpi_loader.h"
#include "firmware/bootorder.h"
#include "vmm/le.h"

START_TEST(parse)
{
	struct boot_order o;
	char err[200];
	ck_assert_int_eq(boot_order_parse("order=dc", &o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.order, "dc");
	ck_assert_int_eq(o.menu, 0);
	ck_assert_int_eq(boot_order_parse("d", &o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.order, "d");
	ck_assert_int_eq(boot_order_parse("order=c,menu=on", &o, err, sizeof(err)), 0);
	ck_assert_str_eq(o.order, "c");
	ck_assert_int_eq(o.menu, 1);
	static const char *const bad[] = { "", "order=", "order=cdc", "order=cc", "order=x", "n", "order=a",
					   "menu=maybe", "order=c,", "splash=x", "order=dc,,menu=on" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ck_assert_msg(boot_order_parse(bad[i], &o, err, sizeof(err)) == -EINVAL, "accepted '%s'", bad[i]);
		ck_assert_msg(!strncmp(err, "--boot", 6) && !strchr(err, '\n'), "'%s': reason '%s'", bad[i], err);
	}
	boot_order_default(&o);
	ck_assert_str_eq(o.order, "cd");
}
END_TEST

START_TEST(paths_and_file)
{
	char p[BOOT_PATH_MAX];
	ck_assert_int_gt(boot_path_virtio_blk(p, sizeof(p), 3), 0);
	ck_assert_str_eq(p, "/pci@i0cf8/scsi@3/disk@0,0");
	ck_assert_int_gt(boot_path_virtio_scsi(p, sizeof(p), 0x1a, 2, 5), 0);
	ck_assert_str_eq(p, "/pci@i0cf8/scsi@1a/channel@0/disk@2,5");
	ck_assert_int_gt(boot_path_ide(p, sizeof(p), 1, 1, 1, 0), 0);
	ck_assert_str_eq(p, "/pci@i0cf8/ide@1,1/drive@1/disk@0");
	ck_assert_int_gt(boot_path_ahci(p, sizeof(p), 4, 0, 2), 0);
	ck_assert_str_eq(p, "/pci@i0cf8/sata@4/drive@2/disk@0");
	ck_assert_int_eq(boot_path_ahci(p, 10, 4, 0, 2), -ENOSPC);

	struct boot_dev d[3] = { { BOOT_HD, "/pci@i0cf8/scsi@1/disk@0,0" },
				 { BOOT_HD, "/pci@i0cf8/scsi@2/channel@0/disk@0,0" },
				 { BOOT_CD, "/pci@i0cf8/scsi@2/channel@0/disk@0,1" } };
	struct boot_order o;
	char err[100], out[256];
	size_t len;
	ck_assert_int_eq(boot_order_parse("dc", &o, err, sizeof(err)), 0);
	ck_assert_int_eq(bootorder_build(&o, d, 3, out, sizeof(out), &len), 0);
	ck_assert_str_eq(out, "/pci@i0cf8/scsi@2/channel@0/disk@0,1\n/pci@i0cf8/scsi@1/disk@0,0");
	ck_assert_uint_eq(len, strlen(out));
	ck_assert_int_eq(bootorder_build(&o, d, 3, out, 20, &len), -ENOSPC);
	ck_assert_int_eq(boot_order_parse("d", &o, err, sizeof(err)), 0);
	ck_assert_int_eq(bootorder_build(&o, d, 2, out, sizeof(out), &len), 0); /* no CD: nothing */
	ck_assert_uint_eq(len, 0);
	uint8_t r3d, r38;
	ck_assert_int_eq(boot_order_parse("dc", &o, err, sizeof(err)), 0);
	boot_order_cmos(&o, &r3d, &r38);
	ck_assert_uint_eq(r3d, 0x23); /* CD first, then hard disk */
	ck_assert_uint_eq(r38, 0x01);
	ck_assert_int_eq(boot_order_parse("c", &o, err, sizeof(err)), 0);
	boot_order_cmos(&o, &r3d, &r38);
	ck_assert_uint_eq(r3d, 0x02);
}
END_TEST

/* ---- the table loader, executed like SeaBIOS's romfile_loader ---- */

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

START_TEST(acpi_loader_runs)
{
	size_t len = LAYOUT_ACPI_END - LAYOUT_ACPI;
	struct fake_ram area;
	fake_ram_init(&area, LAYOUT_ACPI, len);
	struct acpi_cfg ac = { .ncpus = 2 };
	uint64_t rsdp;
	ck_assert_int_eq(acpi_build(&area.mem, &ac, &rsdp), 0);
	struct acpi_loader l;
	ck_assert_int_eq(acpi_loader_build(&l, area.buf, len, LAYOUT_ACPI), 0);
	/* guest memory: the RSDP goes to 0xf5000, the tables to 0x7000000 */
	struct fake_ram g;
	fake_ram_init(&g, 0, 0x8000000);
	uint64_t at[2] = { 0xf5000, 0x7000000 };
	const char *name[2] = { "etc/acpi/rsdp", "etc/acpi/tables" };
	int allocated = 0;
	for (size_t i = 0; i < l.ncmds; i++) {
		const uint8_t *c = l.cmds + i * ACPI_LOADER_CMD_SIZE;
		uint32_t type = le_get32(c, 0);
		int f = !strcmp((const char *)c + 4, name[1]);
		ck_assert(f || !strcmp((const char *)c + 4, name[0]));
		uint8_t *base = g.buf + at[f];
		if (type == ACPI_LOADER_ALLOCATE) {
			ck_assert_uint_eq(c[64], f ? ACPI_LOADER_ZONE_HIGH : ACPI_LOADER_ZONE_FSEG);
			memcpy(base, f ? l.tables : l.rsdp, f ? l.tables_len : sizeof(l.rsdp));
			allocated++;
		} else if (type == ACPI_LOADER_ADD_POINTER) {
			ck_assert_str_eq((const char *)c + 60, name[1]);
			uint32_t off = le_get32(c, 116);
			uint8_t size = c[120];
			ck_assert(size == 4 || size == 8);
			uint64_t v = size == 4 ? le_get32(base, off) : le_get64(base, off);
			v += at[1];
			if (size == 4)
				le_put32(base, off, (uint32_t)v);
			else
				le_put64(base, off, v);
		} else {
			ck_assert_uint_eq(type, ACPI_LOADER_ADD_CHECKSUM);
			uint32_t off = le_get32(c, 60), start = le_get32(c, 64), n = le_get32(c, 68);
			base[off] = (uint8_t)(base[off] - sum(base + start, n));
		}
	}
	ck_assert_int_eq(allocated, 2);
	/* walk what the guest got: RSDP -> XSDT -> FADT -> DSDT, MADT; every checksum holds */
	const uint8_t *r = g.buf + at[0];
	ck_assert_int_eq(memcmp(r, "RSD PTR ", 8), 0);
	ck_assert_uint_eq(sum(r, 20), 0);
	ck_assert_uint_eq(sum(r, 36), 0);
	uint64_t xsdt = le_get64(r, 24);
	ck_assert_uint_ge(xsdt, at[1]);
	const uint8_t *x = g.buf + xsdt;
	ck_assert_int_eq(memcmp(x, "XSDT", 4), 0);
	ck_assert_uint_eq(sum(x, le_get32(x, 4)), 0);
	const uint8_t *rsdt = g.buf + le_get32(r, 16);
	ck_assert_int_eq(memcmp(rsdt, "RSDT", 4), 0);
	ck_assert_uint_eq(sum(rsdt, le_get32(rsdt, 4)), 0);
	int fadt = 0, madt = 0;
	for (uint32_t e = 36; e < le_get32(x, 4); e += 8) {
		const uint8_t *t = g.buf + le_get64(x, e);
		ck_assert_uint_eq(sum(t, le_get32(t, 4)), 0);
		if (!memcmp(t, "FACP", 4)) {
			fadt = 1;
			const uint8_t *d = g.buf + le_get64(t, 140);
			ck_assert_int_eq(memcmp(d, "DSDT", 4), 0);
			ck_assert_uint_eq(le_get32(t, 40), le_get64(t, 140));
			ck_assert_uint_eq(sum(d, le_get32(d, 4)), 0);
			ck_assert_int_eq(memcmp(g.buf + le_get64(t, 132), "FACS", 4), 0);
		}
		madt |= !memcmp(t, "APIC", 4);
	}
	ck_assert(fadt && madt);
	acpi_loader_free(&l);
	/* tables that do not hold together are refused */
	memcpy(area.buf + 24, "\xff\xff\xff\xff\0\0\0\0", 8); /* XSDT pointer outside the area */
	ck_assert_int_eq(acpi_loader_build(&l, area.buf, len, LAYOUT_ACPI), -EINVAL);
	memcpy(area.buf, "RSD PTX ", 8);
	ck_assert_int_eq(acpi_loader_build(&l, area.buf, len, LAYOUT_ACPI), -EINVAL);
	fake_ram_free(&g);
	fake_ram_free(&area);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("bootorder");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse);
	tcase_add_test(tc, paths_and_file);
	tcase_add_test(tc, acpi_loader_runs);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
