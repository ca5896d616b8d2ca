/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini snapshot NAME DIR [--pause]`: the verb that saves a running named VM (tools/snapshot.c). */
#ifndef KVMINI_TOOLS_SNAPSHOT_H
#define KVMINI_TOOLS_SNAPSHOT_H

/* argv[0] is "snapshot". Returns the exit status: 0 saved, 1 failed, 2 usage. */
int snapshot_main(int argc, char **argv);

#endif
