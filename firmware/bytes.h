/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte-buffer helpers for the firmware tables we build: little-endian fields (vmm/le.h) and the
 * checksum byte that ACPI and MP tables carry. */
#ifndef KVMINI_FW_BYTES_H
#define KVMINI_FW_BYTES_H
#include <stddef.h>
#include <stdint.h>

#include "vmm/le.h"

/* The byte that makes the sum of p[0..n) zero when stored in a field that currently holds 0. */
static inline uint8_t fw_csum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return (uint8_t)(0x100 - s);
}

#endif
