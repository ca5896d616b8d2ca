/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini net`: host bridge, forwarding and NAT for guests (see net_main's --help). */
#ifndef KVMINI_NETCMD_H
#define KVMINI_NETCMD_H

/* argv[0] is "net". Returns the process exit status (0 ok, 1 failure, 2 usage). */
int net_main(int argc, char **argv);

#endif
