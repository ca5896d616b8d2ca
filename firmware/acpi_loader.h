/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kvmini's ACPI tables for a firmware boot: the tables acpi_build wrote (at their direct-boot
 * addresses) turned into the three fw_cfg files SeaBIOS's table loader takes, as QEMU gives them:
 * "etc/acpi/rsdp" (the RSDP, placed in the F segment), "etc/acpi/tables" (every other table, placed
 * in high memory) and "etc/table-loader" (ALLOCATE both, ADD_POINTER for every pointer between
 * tables, ADD_CHECKSUM for every checksum). The firmware-booted guest so gets the direct boot's ACPI. */
#ifndef KVMINI_ACPI_LOADER_H
#define KVMINI_ACPI_LOADER_H
#include <stddef.h>
#include <stdint.h>

#define ACPI_LOADER_CMD_SIZE 128
#define ACPI_LOADER_ALLOCATE 1
#define ACPI_LOADER_ADD_POINTER 2
#define ACPI_LOADER_ADD_CHECKSUM 3
#define ACPI_LOADER_ZONE_HIGH 1
#define ACPI_LOADER_ZONE_FSEG 2
#define ACPI_LOADER_MAX_CMDS 64

struct acpi_loader {
	uint8_t rsdp[36];
	uint8_t *tables; /* malloc'd, tables_len bytes */
	size_t tables_len;
	uint8_t cmds[ACPI_LOADER_MAX_CMDS * ACPI_LOADER_CMD_SIZE];
	size_t ncmds;
};

/* area holds the tables as built at guest address gpa (RSDP first, every table inside the area).
 * -EINVAL when what is there does not hold together (a pointer outside the area, a bad length),
 * -ENOSPC for more than ACPI_LOADER_MAX_CMDS commands, -ENOMEM. */
int acpi_loader_build(struct acpi_loader *l, const uint8_t *area, size_t len, uint64_t gpa);
void acpi_loader_free(struct acpi_loader *l);

#endif
