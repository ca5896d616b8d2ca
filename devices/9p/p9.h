/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A 9P2000.L file server over one host directory (the share's root), independent of any transport:
 * p9_server_handle takes one T-message and writes its R-message. Every lookup stays beneath the
 * root: each fid holds an O_PATH descriptor, names are single components resolved with openat2
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), a symlink is never followed
 * (the guest resolves it itself after Treadlink), `..` at the root stays at the root, and every
 * other operation works on descriptors (fstatat, unlinkat, renameat, ...), never on host paths.
 * A read-only server answers every write with EROFS. Blocking calls: run it off the vCPU threads. */
#ifndef KVMINI_DEVICES_P9_H
#define KVMINI_DEVICES_P9_H
#include <stddef.h>
#include <stdint.h>

#define P9_MAX_MSIZE (512u * 1024) /* largest message we negotiate (Linux's virtio limit is ~500 KiB) */
#define P9_MIN_MSIZE 8192u
#define P9_MAX_FIDS 16384u

struct p9_server;
struct state_writer;
struct state_reader;

/* root: an existing directory; ro: refuse every write. -errno (-ENOTDIR, -ENOENT, ...) */
int p9_server_create(struct p9_server **out, const char *root, int ro);
void p9_server_destroy(struct p9_server *s);
/* One request in[0..inlen) (inlen may exceed the message's size field); the reply goes into
 * out[0..cap), cap >= 11. Returns the reply's length (a well-formed Rlerror for any malformed
 * request). */
size_t p9_server_handle(struct p9_server *s, const uint8_t *in, size_t inlen, uint8_t *out, size_t cap);
/* Forgets every fid (device reset, Tversion). */
void p9_server_reset(struct p9_server *s);
/* Saved state: msize, then every fid as number, path beneath the root, uid, open flags (-1: not
 * open). A load (apply 1) reopens each beneath the root; a fid whose file is gone, or is no longer
 * what it was, answers EIO from then on (its clunk still works). apply 0 only checks. */
void p9_server_state_save(const struct p9_server *s, struct state_writer *w);
int p9_server_state_load(struct p9_server *s, struct state_reader *r, int apply);
/* At most max_fids fids at once (each holds up to two descriptors; default and ceiling
 * P9_MAX_FIDS): more answer ENFILE, so a guest cannot use up the VMM's descriptors. */
void p9_server_limit(struct p9_server *s, unsigned max_fids);
/* How many fids are live (tests). */
unsigned p9_server_nfids(const struct p9_server *s);

#endif
