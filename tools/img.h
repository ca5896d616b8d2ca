/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini img`: create, inspect, check, convert, resize and snapshot disk images. */
#ifndef KVMINI_IMGCMD_H
#define KVMINI_IMGCMD_H

/* argv[0] is "img". Returns the exit status: 0 ok, 1 failure, 2 bad usage (check: 3 = only
 * leaks were found). Errors are one line on stderr: "kvmini: <what>: <why>". */
int img_main(int argc, char **argv);

/* the convert subcommand, in imgconvert.c (argv[0] is "convert") */
int img_convert(int argc, char **argv);

#endif
