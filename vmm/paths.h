/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where named VMs and their definitions live, and what a name may be. One place for the layout so
 * the VMM (`kvmini run --name`) and the virsh-like verbs agree on it:
 *   runtime dir  /run/kvmini (root), else $XDG_RUNTIME_DIR/kvmini; $KVMINI_RUNTIME_DIR overrides both
 *                <name>.qmp   the VM's QMP control socket (mode 0600)
 *                <name>.lock  flock()ed by the live VM for its whole life: the name is taken
 *                <name>.pid   the VMM's pid, <name>.xml the running definition, <name>.console a
 *                copy of its serial output, <name>.log kvmini's messages when detached
 *   config dir   /etc/kvmini (root), else $XDG_CONFIG_HOME/kvmini or ~/.config/kvmini;
 *                $KVMINI_CONFIG_DIR overrides both
 *                domains/<name>.xml   defined (persistent) VMs
 *                storage/<pool>.xml   defined storage pools
 * Directories are created on first use, mode 0700, and must be owned by the caller. */
#ifndef KVMINI_PATHS_H
#define KVMINI_PATHS_H
#include <stddef.h>

#define KV_NAME_MAX 64

/* A VM, pool or volume name: 1..KV_NAME_MAX of [A-Za-z0-9_.+-], not starting with '.' or '-'
 * (it becomes a file name). 0, or -EINVAL with *why set to a phrase for the user. */
int kv_name_check(const char *name, const char **why);

/* The runtime / config directory (created if missing) into buf. 0 or -errno; *why (may be NULL)
 * says which step failed, for "kvmini: <dir>: <why>: <strerror>" messages. */
int kv_runtime_dir(char *buf, size_t len, const char **why);
int kv_config_dir(char *buf, size_t len, const char **why);
/* <config dir>/<sub> (created if missing), e.g. sub "domains". */
int kv_config_subdir(char *buf, size_t len, const char *sub, const char **why);

/* "<dir>/<name><suffix>" into buf: 0 or -ENAMETOOLONG. */
int kv_path_join(char *buf, size_t len, const char *dir, const char *name, const char *suffix);

#endif
