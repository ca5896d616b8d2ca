/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny AML byte encoder for static DSDT content: names, integers, strings, packages, buffers,
 * Scope and Device blocks, and the resource descriptors a _CRS needs. No methods on purpose: the
 * guest's ACPI interpreter runs in emulated kernel mode here and methods are slow. Errors are
 * sticky: build everything, then check aml_finish(). */
#ifndef KVMINI_AML_H
#define KVMINI_AML_H
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8

struct aml {
	uint8_t *buf;
	size_t cap, len;
	int err; /* first error: -ENOSPC (buffer full) or -EINVAL (bad name, misnesting) */
	size_t open[AML_MAX_DEPTH]; /* offset of each open block's PkgLength */
	int depth;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
/* Length of the finished encoding, or the first error (also when a block is still open). */
int aml_finish(const struct aml *a);

void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* "\\_SB.PCI0", "_S5", "^FOO": segments of up to 4 characters, padded with '_' */
void aml_namestring(struct aml *a, const char *path);
/* smallest encoding: Zero, One, Byte/Word/DWord/QWord constant */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* "PNP0A03" as the compressed 32-bit EISA id (a DWord constant) */
void aml_eisaid(struct aml *a, const char *id);
void aml_buffer(struct aml *a, const uint8_t *data, size_t n);
/* Name(path, <the next data object>) */
void aml_name(struct aml *a, const char *path);

/* Blocks: each _begin needs one aml_end, which fills in the PkgLength. */
void aml_scope_begin(struct aml *a, const char *path);
void aml_device_begin(struct aml *a, const char *path);
void aml_package_begin(struct aml *a, unsigned nelems);
void aml_end(struct aml *a);

/* Resource descriptors, appended as raw bytes to a (use a separate struct aml as the template,
 * then aml_buffer() it); aml_res_end adds the end tag. */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max);
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);
void aml_res_irq(struct aml *a, uint32_t gsi, int level, int active_low);
void aml_res_end(struct aml *a);

#endif
