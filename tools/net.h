/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini net`: host bridge, forwarding and NAT for guests (see net_main's --help). */
#ifndef KVMINI_NETCMD_H
#define KVMINI_NETCMD_H
#include <stddef.h>

/* argv[0] is "net". Returns the process exit status (0 ok, 1 failure, 2 usage). */
int net_main(int argc, char **argv);
/* The subnet of ADDR/LEN (IPv4) as nft wants it: "10.0.2.7/24" gives "10.0.2.0/24". -EINVAL if
 * addr is not A.B.C.D/LEN with LEN 1 to 32. */
int net_subnet_of(const char *addr, char *out, size_t len);

#endif
