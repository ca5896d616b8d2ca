/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini stats NAME [--watch S] [--reset] [--json]`: a running named VM's exit statistics over its
 * control socket (QMP __org.kvmini_query-exit-stats; the VM runs with --stats); `kvmini bench
 * exits`, the guest-measured exit costs. */
#ifndef KVMINI_TOOLS_STATS_H
#define KVMINI_TOOLS_STATS_H

/* argv[0] is "stats". Exit status 0, 1 failed, 2 usage. */
int stats_main(int argc, char **argv);
/* `kvmini bench exits` (tools/bench_exits.c); argv[0] is "bench". */
int bench_main(int argc, char **argv);

#endif
