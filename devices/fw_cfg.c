// SPDX-License-Identifier: GPL-2.0-or-later
/* fw_cfg: the item table, the selector/data ports, the file directory and the DMA interface. */
#include "fw_cfg.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/le.h"
#include "vmm/log.h"
#include "vmm/state.h"

#define NFIXED FW_CFG_FILE_FIRST
#define NITEMS (FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)
#define DMA_SIG 0x51454d5520434647ULL /* "QEMU CFG", read back from the DMA port */
#define DMA_CHUNK 4096 /* zero fill of reads past an item's end, a page at a time */

struct item {
	uint8_t *data;
	uint32_t len;
};

struct fw_cfg {
	pthread_mutex_t lock; /* the selection and offset: any vCPU may use the ports */
	const struct gmem *mem;
	struct bus *pio;
	struct item it[NITEMS];
	char names[FW_CFG_MAX_FILES][FW_CFG_NAME_MAX];
	unsigned nfiles;
	uint16_t key; /* selected key; NITEMS and above select nothing */
	uint32_t off; /* read position in it */
	uint32_t dma_hi; /* the DMA address's high dword, waiting for the low one */
	int registered;
	int dma_err_logged;
};

static int item_set(struct item *it, const void *data, size_t len)
{
	if (len > UINT32_MAX)
		return -EINVAL;
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		return -ENOMEM;
	if (len)
		memcpy(p, data, len);
	free(it->data);
	it->data = p;
	it->len = (uint32_t)len;
	return 0;
}

/* directory: be32 count, then per file be32 size, be16 key, be16 reserved, name[56] */
static int dir_rebuild(struct fw_cfg *fc)
{
	size_t len = 4 + (size_t)fc->nfiles * 64;
	uint8_t *d = calloc(1, len);
	if (!d)
		return -ENOMEM;
	be_put32(d, 0, fc->nfiles);
	for (unsigned i = 0; i < fc->nfiles; i++) {
		uint8_t *e = d + 4 + 64 * i;
		be_put32(e, 0, fc->it[NFIXED + i].len);
		be_put16(e, 4, (uint16_t)(NFIXED + i));
		memcpy(e + 8, fc->names[i], FW_CFG_NAME_MAX);
	}
	int ret = item_set(&fc->it[FW_CFG_FILE_DIR], d, len);
	free(d);
	return ret;
}

int fw_cfg_add_bytes(struct fw_cfg *fc, uint16_t key, const void *data, size_t len)
{
	if (key >= NFIXED || key == FW_CFG_FILE_DIR || (len && !data))
		return -EINVAL;
	pthread_mutex_lock(&fc->lock);
	int ret = item_set(&fc->it[key], data, len);
	pthread_mutex_unlock(&fc->lock);
	return ret;
}

int fw_cfg_add_u16(struct fw_cfg *fc, uint16_t key, uint16_t v)
{
	uint8_t b[2];
	le_put16(b, 0, v);
	return fw_cfg_add_bytes(fc, key, b, sizeof(b));
}

int fw_cfg_add_u32(struct fw_cfg *fc, uint16_t key, uint32_t v)
{
	uint8_t b[4];
	le_put32(b, 0, v);
	return fw_cfg_add_bytes(fc, key, b, sizeof(b));
}

int fw_cfg_add_u64(struct fw_cfg *fc, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	le_put64(b, 0, v);
	return fw_cfg_add_bytes(fc, key, b, sizeof(b));
}

static int find_file(const struct fw_cfg *fc, const char *name)
{
	for (unsigned i = 0; i < fc->nfiles; i++)
		if (!strcmp(fc->names[i], name))
			return (int)i;
	return -1;
}

int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len)
{
	if (!name || !name[0] || strlen(name) >= FW_CFG_NAME_MAX || (len && !data))
		return -EINVAL;
	pthread_mutex_lock(&fc->lock);
	int ret = 0;
	if (find_file(fc, name) >= 0)
		ret = -EEXIST;
	else if (fc->nfiles >= FW_CFG_MAX_FILES)
		ret = -ENOSPC;
	else if (!(ret = item_set(&fc->it[NFIXED + fc->nfiles], data, len))) {
		memset(fc->names[fc->nfiles], 0, FW_CFG_NAME_MAX);
		strcpy(fc->names[fc->nfiles], name);
		fc->nfiles++;
		ret = dir_rebuild(fc);
		if (ret) {
			fc->nfiles--;
			free(fc->it[NFIXED + fc->nfiles].data);
			fc->it[NFIXED + fc->nfiles] = (struct item){ 0 };
		}
	}
	pthread_mutex_unlock(&fc->lock);
	return ret;
}

int fw_cfg_add_rom(struct fw_cfg *fc, enum fw_cfg_rom kind, const char *name, const void *data, size_t len)
{
	char path[FW_CFG_NAME_MAX + 16];
	if (!name || !name[0] || strchr(name, '/') || !len)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%s", kind == FW_CFG_ROM_VGA ? "vgaroms" : "genroms", name);
	return fw_cfg_add_file(fc, path, data, len);
}

const uint8_t *fw_cfg_file(const struct fw_cfg *fc, const char *name, size_t *len)
{
	int i = name ? find_file(fc, name) : -1;
	if (i < 0)
		return NULL;
	*len = fc->it[NFIXED + i].len;
	return fc->it[NFIXED + i].data;
}

/* ---- guest side (lock held) ---- */

static const struct item *selected(const struct fw_cfg *fc)
{
	return fc->key < NITEMS && fc->it[fc->key].data ? &fc->it[fc->key] : NULL;
}

static void select_key(struct fw_cfg *fc, uint16_t key)
{
	fc->key = key; /* keys kvmini does not have (arch-local 0x8000.. too) read as zeros */
	fc->off = 0;
}

static uint8_t data_byte(struct fw_cfg *fc)
{
	const struct item *it = selected(fc);
	if (!it || fc->off >= it->len)
		return 0; /* past the end (or nothing selected) reads as zero */
	return it->data[fc->off++];
}

static void dma_log(struct fw_cfg *fc, const char *why, uint64_t addr)
{
	if (!fc->dma_err_logged++)
		kv_log("fw_cfg: DMA %s (guest address %#llx); logged once", why, (unsigned long long)addr);
}

/* Copies len bytes of the selected item (zeros past its end) to guest addr, or skips them. */
static int dma_read(struct fw_cfg *fc, uint64_t addr, uint32_t len, int skip)
{
	const struct item *it = selected(fc);
	while (len) {
		uint32_t n;
		if (it && fc->off < it->len) {
			n = it->len - fc->off < len ? it->len - fc->off : len;
			if (!skip && gmem_write(fc->mem, addr, it->data + fc->off, n))
				return -EFAULT;
			fc->off += n;
		} else {
			static const uint8_t zero[DMA_CHUNK];
			n = len < DMA_CHUNK ? len : DMA_CHUNK;
			if (!skip && gmem_write(fc->mem, addr, zero, n))
				return -EFAULT;
		}
		addr += n;
		len -= n;
	}
	return 0;
}

/* Runs the control block at guest address cb and writes its control word back: 0 when done,
 * FW_CFG_DMA_ERROR when the block or its buffer is outside RAM, or it asks for a write. */
static void dma_run(struct fw_cfg *fc, uint64_t cb)
{
	uint8_t blk[16];
	if (gmem_read(fc->mem, cb, blk, sizeof(blk))) {
		dma_log(fc, "control block outside RAM", cb);
		return; /* nowhere to report the error */
	}
	uint32_t ctl = be_get32(blk, 0), len = be_get32(blk, 4);
	uint64_t addr = be_get64(blk, 8);
	if (ctl & FW_CFG_DMA_SELECT)
		select_key(fc, (uint16_t)(ctl >> 16));
	uint32_t status = 0;
	if (ctl & FW_CFG_DMA_READ) {
		if (dma_read(fc, addr, len, 0)) {
			dma_log(fc, "buffer outside RAM", addr);
			status = FW_CFG_DMA_ERROR;
		}
	} else if (ctl & FW_CFG_DMA_SKIP) {
		dma_read(fc, addr, len, 1);
	} else if (ctl & FW_CFG_DMA_WRITE) {
		status = FW_CFG_DMA_ERROR; /* every item is read-only */
	}
	uint8_t st[4];
	be_put32(st, 0, status);
	gmem_write(fc->mem, cb, st, sizeof(st)); /* inside RAM: read from there just now */
}

void fw_cfg_io(struct fw_cfg *fc, uint64_t off, void *data, unsigned size, int is_write)
{
	uint8_t *b = data;
	pthread_mutex_lock(&fc->lock);
	if (off == 0 && !is_write) {
		uint16_t v = fc->key;
		memset(b, 0, size);
		memcpy(b, &v, size < 2 ? size : 2);
	} else if (off == 0) { /* the selector takes 16 bits; a byte write selects that key */
		uint16_t v = b[0];
		if (size >= 2)
			v = (uint16_t)(b[0] | b[1] << 8);
		select_key(fc, v);
	} else if (off == 1 && !is_write) {
		for (unsigned i = 0; i < size; i++)
			b[i] = data_byte(fc);
	} else if (off >= 4 && off + size <= 12 && !is_write) {
		uint8_t sig[8];
		be_put64(sig, 0, DMA_SIG);
		memcpy(b, sig + (off - 4), size);
	} else if (off == 4 && size == 4 && is_write) {
		fc->dma_hi = be_get32(b, 0);
	} else if (off == 8 && size == 4 && is_write) {
		uint64_t cb = (uint64_t)fc->dma_hi << 32 | be_get32(b, 0);
		fc->dma_hi = 0;
		dma_run(fc, cb);
	} else if (off == 4 && size == 8 && is_write) {
		dma_run(fc, be_get64(b, 0));
	} else if (!is_write) {
		memset(b, 0, size); /* writes to the data port are ignored, as in QEMU since 2.4 */
	}
	pthread_mutex_unlock(&fc->lock);
}

static void port_read(void *o, uint64_t off, void *data, unsigned size)
{
	fw_cfg_io(o, off, data, size, 0);
}

static void port_write(void *o, uint64_t off, const void *data, unsigned size)
{
	fw_cfg_io(o, off, (void *)data, size, 1); /* writes only read data */
}

static const struct bus_ops fw_cfg_ops = { port_read, port_write };

int fw_cfg_create(struct fw_cfg **out, struct bus *pio, const struct gmem *mem)
{
	struct fw_cfg *fc = calloc(1, sizeof(*fc));
	if (!fc)
		return -ENOMEM;
	pthread_mutex_init(&fc->lock, NULL);
	fc->mem = mem;
	fc->key = NITEMS;
	int ret = item_set(&fc->it[FW_CFG_SIGNATURE], "QEMU", 4);
	if (!ret)
		ret = fw_cfg_add_u32(fc, FW_CFG_ID, 0x3); /* traditional interface and DMA */
	if (!ret)
		ret = dir_rebuild(fc);
	if (!ret && pio) {
		ret = bus_register(pio, FW_CFG_PORT_SEL, 12, &fw_cfg_ops, fc, "fw_cfg");
		if (ret >= 0) {
			fc->pio = pio;
			fc->registered = 1;
			ret = 0;
		}
	}
	if (ret) {
		fw_cfg_destroy(fc);
		return ret;
	}
	*out = fc;
	return 0;
}

void fw_cfg_destroy(struct fw_cfg *fc)
{
	if (!fc)
		return;
	if (fc->registered)
		bus_unregister(fc->pio, FW_CFG_PORT_SEL, fc);
	for (unsigned i = 0; i < NITEMS; i++)
		free(fc->it[i].data);
	pthread_mutex_destroy(&fc->lock);
	free(fc);
}

/* ---- saved state: key (u16), offset (u32), DMA high dword (u32) ---- */

int fw_cfg_state_save(const struct fw_cfg *cfc, struct state_writer *w)
{
	struct fw_cfg *fc = (struct fw_cfg *)cfc; /* the lock is not part of the state */
	pthread_mutex_lock(&fc->lock);
	state_put_u16(w, fc->key);
	state_put_u32(w, fc->off);
	state_put_u32(w, fc->dma_hi);
	pthread_mutex_unlock(&fc->lock);
	return state_writer_err(w);
}

int fw_cfg_state_load(struct fw_cfg *fc, struct state_reader *r, uint32_t version)
{
	(void)version;
	uint16_t key = state_get_u16(r);
	uint32_t off = state_get_u32(r), hi = state_get_u32(r);
	int e = state_reader_done(r);
	if (e)
		return e;
	pthread_mutex_lock(&fc->lock);
	const struct item *it = key < NITEMS ? &fc->it[key] : NULL;
	if (off && (!it || !it->data || off > it->len)) {
		pthread_mutex_unlock(&fc->lock);
		return -EINVAL;
	}
	fc->key = key;
	fc->off = off;
	fc->dma_hi = hi;
	pthread_mutex_unlock(&fc->lock);
	return 0;
}

static int save_op(const void *o, struct state_writer *w) { return fw_cfg_state_save(o, w); }
static int load_op(void *o, struct state_reader *r, uint32_t v) { return fw_cfg_state_load(o, r, v); }
const struct state_ops fw_cfg_state_ops = { "fw-cfg", 1, 1, save_op, load_op };
