// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One write per line: vCPU and I/O threads log concurrently, and in raw terminal mode a bare \n
 * would not return the carriage. */
static void kv_vlog(int err, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "kvmini: ");
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (n > (int)sizeof(buf) - 64)
		n = (int)sizeof(buf) - 64;
	if (err)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", strerror(err < 0 ? -err : err));
	snprintf(buf + n, sizeof(buf) - (size_t)n, isatty(2) ? "\r\n" : "\n");
	fputs(buf, stderr);
}

void kv_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kv_vlog(0, fmt, ap);
	va_end(ap);
}

void kv_err(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kv_vlog(err, fmt, ap);
	va_end(ap);
}

int kv_fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
