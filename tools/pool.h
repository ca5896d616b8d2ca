/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini pool-*` and `kvmini vol-*`: virsh's storage pool and volume verbs over dir pools, and how
 * a domain's <disk type='volume'> finds its file. Layout and state: tools/pool_store.c. */
#ifndef KVMINI_POOL_H
#define KVMINI_POOL_H
#include <stddef.h>
#include <stdio.h>

/* argv[0] is the verb ("pool-list", "vol-create-as", ...). Returns virsh's exit status: 0 ok,
 * 1 failure; 2 for a usage error (kvmini's rule). Errors: one line "kvmini: <what>: <why>". */
int pool_main(int argc, char **argv);
/* Whether pool_main knows argv[0] (main.c's dispatch). */
int pool_is_verb(const char *verb);
/* Prints the verbs, one line each, for `kvmini --help`. */
void pool_usage(FILE *f);

/* A dom_vol_resolve_fn (tools/domain.h): the path of volume vol of pool. The pool must be defined
 * and active and vol a regular file in its directory. 0, or -ENOENT (no such pool or volume),
 * -ENODEV (pool not active), -EINVAL (a bad name) with the reason in err; opaque is unused. */
int pool_vol_resolve(void *opaque, const char *pool, const char *vol, char *path, size_t len, char *err,
		     size_t errlen);

#endif
