/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages to the user: every line starts with "kvmini: ". */
#ifndef KVMINI_LOG_H
#define KVMINI_LOG_H

void kv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "kvmini: <what>: <strerror(-err)>" */
void kv_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stddef.h>
/* A parser's usage error: the reason into err (len bytes), -EINVAL to return. */
int kv_fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
