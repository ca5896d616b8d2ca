// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: `kvmini run` option strings. The input, split at NUL bytes, is argv after "run";
 * every --disk, --cdrom and --net value then goes through its sub-option parser, and the whole
 * input is also tried as one --disk, one --cdrom and one --net string (a --disk path may be an NBD
 * URI: disk_nbd_uri checks its scheme and form). Errors must come back as one line (unless the
 * user's own text, which they quote, holds a newline). */
#include "fuzz.h"

#include "vmm/machine_disk.h"
#include "vmm/machine_net.h"
#include "vmm/options.h"

#define MAX_ARGS 32

static void one_line(const char *err, const uint8_t *in, size_t n)
{
	if (strchr(err, '\n') && !memchr(in, '\n', n))
		fz_die("an error message spans lines");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct disk_spec ds; /* 4 KiB path: not on the stack */
	static struct net_spec ns;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	char err[256] = "";
	disk_spec_parse(s, &ds, err, sizeof(err));
	if (cdrom_spec_parse(s, &ds, err, sizeof(err)))
		one_line(err, data, size);
	net_spec_parse(s, "fuzz", 0, &ns, err, sizeof(err));

	char *argv[MAX_ARGS + 2] = { "run" };
	int argc = 1;
	for (size_t i = 0; i < size && argc <= MAX_ARGS; argc++) {
		argv[argc] = s + i;
		i += strlen(s + i) + 1;
	}
	argv[argc] = NULL;
	struct run_opts o;
	if (run_opts_parse(&o, argc, argv, err, sizeof(err)) == 0) {
		for (unsigned i = 0; i < o.ndisks; i++)
			if (disk_spec_parse(o.disks[i], &ds, err, sizeof(err)))
				one_line(err, data, size);
		if (o.cdrom && cdrom_spec_parse(o.cdrom, &ds, err, sizeof(err)))
			one_line(err, data, size);
		for (unsigned i = 0; i < o.nnets; i++)
			if (net_spec_parse(o.nets[i], o.name, i, &ns, err, sizeof(err)))
				one_line(err, data, size);
	} else {
		one_line(err, data, size);
	}
	free(s);
	return 0;
}
