// SPDX-License-Identifier: GPL-2.0-or-later
/* The profiler's `run` options. */
#include "options_prof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "prof_report.h"
#include "size.h"

int prof_opt_parse(struct prof_opts *p, int c, const char *arg, char *err, size_t errlen)
{
	switch (c) {
	case O_STATS_OUT:
		if (p->nout >= PROF_MAX_OUTPUTS) {
			snprintf(err, errlen, "--stats-output: at most %d files", PROF_MAX_OUTPUTS);
			return -EINVAL;
		}
		if (!arg[0] || !prof_output_kind_ok(arg)) {
			snprintf(err, errlen, "--stats-output %s: expected FILE.csv, FILE.json or a directory (DIR/)", arg);
			return -EINVAL;
		}
		p->out[p->nout++] = arg;
		break;
	case O_STATS_INTERVAL: {
		char *end;
		double s = strtod(arg, &end);
		if (end == arg || *end || !(s >= 0.01 && s <= 86400)) {
			snprintf(err, errlen, "--stats-interval %s: expected seconds, 0.01 to 86400", arg);
			return -EINVAL;
		}
		p->interval_ms = (unsigned)(s * 1000 + 0.5);
		break;
	}
	case O_TRACE:
		if (!arg[0]) {
			snprintf(err, errlen, "--trace: needs a file name");
			return -EINVAL;
		}
		p->trace = arg;
		break;
	case O_TRACE_MAX:
		if (parse_size(arg, &p->trace_max) || p->trace_max < 4096) {
			snprintf(err, errlen, "--trace-max %s: expected a size of at least 4K, e.g. 64M", arg);
			return -EINVAL;
		}
		break;
	case O_BOOT_TRACE:
		p->boot_trace = 1;
		break;
	default:
		return 0;
	}
	p->on = 1;
	return 1;
}
