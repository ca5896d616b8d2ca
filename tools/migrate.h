/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini migrate NAME tcp:HOST:PORT [...]`: the verb that migrates a running named VM to a
 * `kvmini run --incoming` target (tools/migrate.c). */
#ifndef KVMINI_TOOLS_MIGRATE_H
#define KVMINI_TOOLS_MIGRATE_H

/* argv[0] is "migrate". Returns the exit status: 0 migrated (or cancelled with --cancel), 1
 * failed, 2 usage. */
int migrate_main(int argc, char **argv);

#endif
