/* SPDX-License-Identifier: GPL-2.0-or-later */
/* QEMU's firmware configuration device (fw_cfg), as SeaBIOS reads it: a selector at I/O port 0x510
 * (16-bit), a byte-wide data port at 0x511 and the DMA interface at 0x514 (the guest writes the
 * big-endian address of a control block, high dword at 0x514 and low dword at 0x518; the write of
 * the low dword runs the transfer). Items are numbered by key: the fixed ones (signature, ID, CPU
 * count, ...) below FW_CFG_FILE_FIRST, and named files from there on, listed in the file directory
 * (key 0x19). Everything the guest reads is a copy made at setup; the guest cannot write items.
 * Guest addresses of DMA go through gmem. No KVM here: unit tests drive it with fake memory. */
#ifndef KVMINI_FW_CFG_H
#define KVMINI_FW_CFG_H
#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/gmem.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514

/* fixed keys (the ones kvmini fills) */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NOGRAPHIC 0x04
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_BOOT_MENU 0x0e
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_MAX_FILES 64
#define FW_CFG_NAME_MAX 56 /* bytes of a file name, NUL included */

/* DMA control bits */
#define FW_CFG_DMA_ERROR 0x01
#define FW_CFG_DMA_READ 0x02
#define FW_CFG_DMA_SKIP 0x04
#define FW_CFG_DMA_SELECT 0x08
#define FW_CFG_DMA_WRITE 0x10

struct fw_cfg;

/* Registers ports 0x510..0x51b on pio (pio may be NULL: tests call fw_cfg_io directly). DMA reaches
 * guest RAM through mem. Starts with the signature and the ID (traditional + DMA interface). */
int fw_cfg_create(struct fw_cfg **out, struct bus *pio, const struct gmem *mem);
void fw_cfg_destroy(struct fw_cfg *fc);

/* A fixed item (key < FW_CFG_FILE_FIRST), copied; replaces what the key held. -EINVAL, -ENOMEM. */
int fw_cfg_add_bytes(struct fw_cfg *fc, uint16_t key, const void *data, size_t len);
int fw_cfg_add_u16(struct fw_cfg *fc, uint16_t key, uint16_t v); /* little-endian, as QEMU */
int fw_cfg_add_u32(struct fw_cfg *fc, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *fc, uint16_t key, uint64_t v);
/* A named file ("etc/e820", "bootorder", ...), copied, listed in the directory in the order added.
 * -EINVAL for an empty or too long name (>= FW_CFG_NAME_MAX), -EEXIST for a name already there,
 * -ENOSPC past FW_CFG_MAX_FILES, -ENOMEM. Files are fixed before the guest runs. */
int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len);
/* An option ROM for SeaBIOS: a VGA BIOS goes in "vgaroms/NAME" (run first, before the others), any
 * other in "genroms/NAME". */
enum fw_cfg_rom { FW_CFG_ROM_VGA, FW_CFG_ROM_GENERIC };
int fw_cfg_add_rom(struct fw_cfg *fc, enum fw_cfg_rom kind, const char *name, const void *data, size_t len);
/* The bytes of a file added earlier (tests, and the table-loader builder), or NULL. */
const uint8_t *fw_cfg_file(const struct fw_cfg *fc, const char *name, size_t *len);

/* One port access, port relative to 0x510 (what the bus handlers call). */
void fw_cfg_io(struct fw_cfg *fc, uint64_t off, void *data, unsigned size, int is_write);

/* Saved state (vmm/state.h): the selected key, the offset in it and the DMA address's high dword.
 * The items themselves are rebuilt by the machine from its options. */
struct state_writer;
struct state_reader;
int fw_cfg_state_save(const struct fw_cfg *fc, struct state_writer *w);
int fw_cfg_state_load(struct fw_cfg *fc, struct state_reader *r, uint32_t version);
extern const struct state_ops fw_cfg_state_ops; /* id "fw-cfg" */

#endif
