/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A snapshot on disk (`kvmini snapshot`, `kvmini run --restore`): the directory's layout, the
 * "machine" section that says how to rebuild the same board, loading and checking a snapshot
 * before anything runs, and writing guest RAM sparsely.
 *
 * Directory layout:
 *   DIR/state    the state stream (vmm/state.h): "machine", "vm", one "cpu" per vCPU, then the
 *                devices' sections in the machine's registration order
 *   DIR/memory   guest RAM as one file of exactly the RAM size, in the order of the VMM's host
 *                mapping (guest-physical RAM below the PCI hole, then what was relocated above
 *                4 GiB); pages that were all zero are holes, so untouched RAM costs no disk. A
 *                restore maps it MAP_PRIVATE: pages load on first touch and the file never changes.
 * Both are written to "<name>.tmp" and renamed, memory first: a directory with a state file holds
 * a complete snapshot.
 *
 * "machine" section, version 3 (instance 0), strings as u32 length + bytes (no NUL, < 4096):
 *   u64 RAM size, u32 page size (4096), u32 vCPUs, u32 flags (bit 0: --cpu host, bit 1: a display),
 *   string kernel ("" for a firmware boot), string initrd ("" for none), string the user's
 *     --append ("" for none; both "" without a kernel),
 *   u32 device options n <= OPT_MAX_DEVARGS, n pairs of strings: the option's long name and its
 *     value ("" for none) as given (run_opt_is_device: --disk with every sub-option, --cdrom
 *     including none, --exit-device, ...), a leading file name made absolute; a restore parses
 *     them again, so a device option needs nothing here to be carried,
 *   u32 NICs n <= OPT_MAX_DEVS, n strings (--net specs, with mac= so the NIC keeps its address),
 *   string the BIOS file (absolute; "" exactly when there is a kernel), string its --boot order
 *     ("order=LETTERS[,menu=on]"; "" with a kernel): a restore maps the same ROM again and fills
 *     fw_cfg as the boot did (the shadow RAM is in the memory file)
 * Version 2 (read only) ended after the NICs, always had a kernel and no flag but bit 0. Version 1 (read only) had u32 disks n <= OPT_MAX_DEVS, n --disk specs where version 2 has the
 * device options.
 */
#ifndef KVMINI_SNAPSHOT_H
#define KVMINI_SNAPSHOT_H
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "state.h"
#include "state_kvm.h"

#define SNAP_MACHINE_ID "machine"
#define SNAP_MACHINE_VERSION 3u
#define SNAP_PAGE 4096u
#define SNAP_STR_MAX 4095u
#define SNAP_STATE_FILE "state"
#define SNAP_MEMORY_FILE "memory"
#define SNAP_STATE_MAX (64u << 20) /* a stream larger than this is not one kvmini wrote */

struct snap_board {
	uint64_t mem;
	uint32_t cpus;
	uint32_t cpu_host;
	uint32_t display; /* --display bochs (or --vnc): the bochs-display and its input devices */
	char *kernel, *initrd, *append; /* initrd, append: NULL for none */
	unsigned ndevs, nnets;
	char *dev_opt[OPT_MAX_DEVARGS], *dev_val[OPT_MAX_DEVARGS]; /* "disk", "/abs/a.img,if=scsi" */
	char *nets[OPT_MAX_DEVS];
	char *bios, *boot; /* firmware boot (kernel NULL): the BIOS file and the --boot order */
};

/* The payload (the caller opens the section). */
void snap_board_put(struct state_writer *w, const struct snap_board *b);
/* Parses and checks a payload into *b (owned strings; snap_board_free). 0, or -EBADMSG (framing) /
 * -EINVAL (values) / -ENOMEM with one line in why; *b is empty after a failure. */
int snap_board_get(struct snap_board *b, struct state_reader *r, uint32_t version, char *why, size_t whylen);
void snap_board_free(struct snap_board *b);

/* A snapshot read from its directory and checked: the stream whole, its machine, vm and cpu
 * sections parsed (one cpu section per vCPU of the board), the memory file present with the RAM's
 * size. The devices' sections are matched against the rebuilt board by the registry. */
struct snap_image {
	char state_path[4096], memory_path[4096];
	uint8_t *buf;
	size_t len;
	struct state_stream s;
	struct snap_board board;
	struct vm_state *vm;
	struct vcpu_state **cpu; /* [ncpu], by vCPU index */
	unsigned ncpu;
};

/* 0, or -errno with one line in why ("<path>: <reason>"). */
int snap_image_load(struct snap_image *img, const char *dir, char *why, size_t whylen);
/* Checks a stream in memory and parses its machine section (the part of load the fuzzer drives). */
int snap_image_parse(struct snap_image *img, char *why, size_t whylen);
void snap_image_free(struct snap_image *img);
/* Points the board options of o at the image's (o keeps pointers into img); its device options
 * come from parsing run_opts_restore_argv's argv first. */
int snap_image_opts(const struct snap_image *img, struct run_opts *o, char *why, size_t whylen);

/* Writes size bytes of ram to path (created, mode 0600), skipping all-zero pages (holes), and
 * syncs it. *data gets the bytes actually written. 0 or -errno. */
int snap_write_memory(const char *path, const uint8_t *ram, uint64_t size, uint64_t *data);
/* Writes len bytes to path (created, mode 0600) and syncs it. 0 or -errno. */
int snap_write_file(const char *path, const void *buf, size_t len);

#endif
