/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `kvmini trace FILE [--csv|--chrome OUT]` and `kvmini trace plot FILE -o OUT.png|svg`: reading an
 * exit trace written by `kvmini run --trace FILE` (layout: vmm/trace.h). */
#ifndef KVMINI_TOOLS_TRACE_H
#define KVMINI_TOOLS_TRACE_H
#include <stdio.h>

#include "vmm/trace.h"

/* argv[0] is "trace". Exit status 0, 1 (unreadable or corrupt trace: one line), 2 usage. */
int trace_main(int argc, char **argv);

/* A record's row label: the exit reason, or for port and MMIO exits the range's name. */
const char *trace_label(const struct trace *t, const struct exit_rec *r, char *buf, size_t len);
/* tools/trace_plot.c: the exit rate over time per reason and the handling-time distribution per
 * reason, drawn by gnuplot into out (.png or .svg). */
int trace_plot(const struct trace *t, const char *out);

#endif
