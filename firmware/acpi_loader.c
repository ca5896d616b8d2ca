// SPDX-License-Identifier: GPL-2.0-or-later
/* From tables at fixed addresses to SeaBIOS's table-loader script (see acpi_loader.h). */
#include "acpi_loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

#define RSDP_FILE "etc/acpi/rsdp"
#define TABLES_FILE "etc/acpi/tables"
#define HDR_LEN 36
#define MAX_TABLES 32

struct walk {
	struct acpi_loader *l;
	const uint8_t *area;
	size_t len;
	uint64_t gpa;
	uint64_t seen[MAX_TABLES]; /* offsets of the tables already taken */
	unsigned nseen;
	int err;
};

static uint8_t *cmd_next(struct walk *w, uint32_t type)
{
	if (w->l->ncmds >= ACPI_LOADER_MAX_CMDS) {
		w->err = w->err ? w->err : -ENOSPC;
		return NULL;
	}
	uint8_t *c = w->l->cmds + w->l->ncmds++ * ACPI_LOADER_CMD_SIZE;
	le_put32(c, 0, type);
	return c;
}

static void cmd_allocate(struct walk *w, const char *file, uint32_t align, uint8_t zone)
{
	uint8_t *c = cmd_next(w, ACPI_LOADER_ALLOCATE);
	if (c) {
		strncpy((char *)c + 4, file, 55);
		le_put32(c, 60, align);
		c[64] = zone;
	}
}

static void cmd_pointer(struct walk *w, const char *dst, const char *src, uint32_t off, uint8_t size)
{
	uint8_t *c = cmd_next(w, ACPI_LOADER_ADD_POINTER);
	if (c) {
		strncpy((char *)c + 4, dst, 55);
		strncpy((char *)c + 60, src, 55);
		le_put32(c, 116, off);
		c[120] = size;
	}
}

static void cmd_checksum(struct walk *w, const char *file, uint32_t at, uint32_t start, uint32_t len)
{
	uint8_t *c = cmd_next(w, ACPI_LOADER_ADD_CHECKSUM);
	if (c) {
		strncpy((char *)c + 4, file, 55);
		le_put32(c, 60, at);
		le_put32(c, 64, start);
		le_put32(c, 68, len);
	}
}

/* the area offset of table address a whose header must lie inside; -1 if it does not */
static int64_t table_off(struct walk *w, uint64_t a, uint32_t *tlen)
{
	if (a < w->gpa || a - w->gpa > w->len || w->len - (a - w->gpa) < HDR_LEN)
		return -1;
	uint64_t off = a - w->gpa;
	*tlen = le_get32(w->area, off + 4);
	if (!memcmp(w->area + off, "FACS", 4))
		*tlen = le_get32(w->area, off + 4) < 64 ? 64 : le_get32(w->area, off + 4);
	if (*tlen < HDR_LEN && memcmp(w->area + off, "FACS", 4))
		return -1;
	if (*tlen > w->len - off)
		return -1;
	return (int64_t)off;
}

static void take_table(struct walk *w, uint64_t a);

/* A pointer field of size bytes at tables offset at: made relative to the tables file, patched by
 * the loader; the table it names is taken too. */
static void pointer_field(struct walk *w, const char *file, uint8_t *blob, uint32_t at, uint8_t size)
{
	uint64_t a = size == 4 ? le_get32(blob, at) : le_get64(blob, at);
	if (!a)
		return; /* a field the tables leave unused */
	if (a < w->gpa || a - w->gpa >= w->len) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	if (size == 4)
		le_put32(blob, at, (uint32_t)(a - w->gpa));
	else
		le_put64(blob, at, a - w->gpa);
	cmd_pointer(w, file, TABLES_FILE, at, size);
	take_table(w, a);
}

static void take_table(struct walk *w, uint64_t a)
{
	uint32_t tlen;
	int64_t off = table_off(w, a, &tlen);
	if (off < 0) {
		w->err = w->err ? w->err : -EINVAL;
		return;
	}
	for (unsigned i = 0; i < w->nseen; i++)
		if (w->seen[i] == (uint64_t)off)
			return;
	if (w->nseen == MAX_TABLES) {
		w->err = w->err ? w->err : -ENOSPC;
		return;
	}
	w->seen[w->nseen++] = (uint64_t)off;
	if ((uint64_t)off + tlen > w->l->tables_len)
		w->l->tables_len = (size_t)off + tlen;
	uint8_t *t = w->l->tables;
	const uint8_t *sig = w->area + off;
	uint32_t o = (uint32_t)off;
	if (!memcmp(sig, "FACS", 4))
		return; /* no checksum, no pointers */
	if (!memcmp(sig, "RSDT", 4) || !memcmp(sig, "XSDT", 4)) {
		uint8_t es = sig[0] == 'X' ? 8 : 4;
		for (uint32_t e = HDR_LEN; e + es <= tlen; e += es)
			pointer_field(w, TABLES_FILE, t, o + e, es);
	} else if (!memcmp(sig, "FACP", 4)) {
		static const struct {
			uint32_t at;
			uint8_t size;
		} f[] = { { 36, 4 }, { 40, 4 }, { 132, 8 }, { 140, 8 } }; /* FACS, DSDT, X_FACS, X_DSDT */
		for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (f[i].at + f[i].size <= tlen)
				pointer_field(w, TABLES_FILE, t, o + f[i].at, f[i].size);
	}
	cmd_checksum(w, TABLES_FILE, o + 9, o, tlen);
}

int acpi_loader_build(struct acpi_loader *l, const uint8_t *area, size_t len, uint64_t gpa)
{
	memset(l, 0, sizeof(*l));
	if (len < sizeof(l->rsdp) || memcmp(area, "RSD PTR ", 8))
		return -EINVAL;
	l->tables = malloc(len);
	if (!l->tables)
		return -ENOMEM;
	memcpy(l->tables, area, len);
	memset(l->tables, 0, sizeof(l->rsdp)); /* the RSDP is its own file */
	memcpy(l->rsdp, area, sizeof(l->rsdp));
	struct walk w = { .l = l, .area = area, .len = len, .gpa = gpa };
	/* the F segment: the RSDP must be where an OS's scan of 0xE0000-0xFFFFF finds it */
	cmd_allocate(&w, RSDP_FILE, 16, ACPI_LOADER_ZONE_FSEG);
	cmd_allocate(&w, TABLES_FILE, 64, ACPI_LOADER_ZONE_HIGH);
	pointer_field(&w, RSDP_FILE, l->rsdp, 16, 4);
	if (l->rsdp[15] >= 2)
		pointer_field(&w, RSDP_FILE, l->rsdp, 24, 8);
	cmd_checksum(&w, RSDP_FILE, 8, 0, 20);
	if (l->rsdp[15] >= 2)
		cmd_checksum(&w, RSDP_FILE, 32, 0, 36);
	if (w.err) {
		acpi_loader_free(l);
		return w.err;
	}
	return 0;
}

void acpi_loader_free(struct acpi_loader *l)
{
	free(l->tables);
	l->tables = NULL;
	l->tables_len = 0;
}
