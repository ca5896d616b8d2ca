// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: the QEMU front end's translation (tools/qemu_args.h). The input, split at NUL
 * bytes, is qemu-system-x86_64's argv; a translation either fails with one line (unless the
 * user's own text, which it quotes, holds a newline) or yields an argv that kvmini run's option
 * parser takes (its sub-option values are kvmini run's to check, as for a user's own line). */
#include "fuzz.h"

#include "tools/qemu_args.h"
#include "vmm/options.h"

#define MAX_ARGS 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	char *argv[MAX_ARGS + 2] = { "qemu-system-x86_64" };
	int argc = 1;
	for (size_t i = 0; i < size && argc <= MAX_ARGS; argc++) {
		argv[argc] = s + i;
		i += strlen(s + i) + 1;
	}
	argv[argc] = NULL;
	struct qemu_xlate x;
	char err[512];
	int r = qemu_args_translate(&x, argc, argv, err, sizeof(err));
	if (r && (!err[0] || (strchr(err, '\n') && !memchr(data, '\n', size))))
		fz_die("a refusal without its one line");
	if (!r) {
		if (x.argc < 1 || x.argv[x.argc] != NULL)
			fz_die("translated argv not NULL-terminated");
		struct run_opts o;
		char rerr[256];
		run_opts_parse(&o, x.argc, x.argv, rerr, sizeof(rerr)); /* must not crash */
	}
	qemu_xlate_free(&x);
	free(s);
	return 0;
}
