/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini img`: create, inspect, check, convert, resize and snapshot disk images. */
#ifndef KVMINI_IMGCMD_H
#define KVMINI_IMGCMD_H
#include <stdbool.h>

#include "devices/disk/disk.h"

/* argv[0] is "img". Returns the exit status: 0 ok, 1 failure, 2 bad usage (check: 3 = only
 * leaks were found). Errors are one line on stderr: "kvmini: <what>: <why>". */
int img_main(int argc, char **argv);

/* `img create`'s work, shared with `vol-create-as`: a backing file (relative to file's directory
 * unless absolute) is opened to learn its format (when co->backing_fmt is AUTO) and, with
 * size_from_backing, its size; then disk_create. Returns 0, or 1 after printing the one-line reason. */
int img_create(const char *file, struct disk_create_opts *co, bool size_from_backing);

/* `img convert`'s work, shared with `vol-clone`: src (opened with so) copied into a new image dst
 * (co->size is set from src), which appears only once complete. Returns 0, or 1 after printing
 * the one-line reason. */
int img_convert_file(const char *src, const struct disk_opts *so, const char *dst, struct disk_create_opts *co,
		     bool show);

/* A verb's getopt said '?' (opterr is 0 under img_main): its one line, "kvmini: img VERB: -X:
 * unknown option (try ...)" or "-X: needs a value"; returns 2. opts is the verb's optstring. */
int img_bad_option(char **argv, const char *opts);

/* the convert subcommand, in imgconvert.c (argv[0] is "convert") */
int img_convert(int argc, char **argv);

#endif
