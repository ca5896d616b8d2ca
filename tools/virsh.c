// SPDX-License-Identifier: GPL-2.0-or-later
/* The virsh-like verbs' descriptions: names, arguments and help texts (for `kvmini --help` and
 * `kvmini VERB --help`), and the argument handling the verbs share. The dispatch is in tools/main.c
 * (CONTRACT8); this table holds no code pointers, so that a verb's file links without the others. */
#include "tools/virsh.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "vmm/log.h"

struct virsh_verb {
	const char *name;
	const char *args;
	const char *summary;
	const char *help; /* the options, or NULL */
};

static const struct virsh_verb verbs[] = {
	{ "list", "[--all] [--name]", "list domains: live ones, or all with --all",
	  "  --all     also the defined domains that are not running (shut off)\n"
	  "  --name    print the names only, one per line\n" },
	{ "start", "NAME", "start a defined domain", NULL },
	{ "shutdown", "NAME [--timeout S]", "press the power button and wait until the guest is off",
	  "  --timeout S   give up after S seconds (exit 1, the domain keeps running); default: no limit\n" },
	{ "reboot", "NAME [--timeout S]", "reboot through the guest's own shutdown, then reset",
	  "  --timeout S   how long the guest may take to shut down (default 300)\n" },
	{ "destroy", "NAME", "stop a domain at once (quit, or a signal if its VMM does not answer)",
	  NULL },
	{ "suspend", "NAME", "pause a running domain's vCPUs", NULL },
	{ "resume", "NAME", "resume a paused domain", NULL },
	{ "define", "FILE.xml", "define (or redefine) a domain from libvirt domain XML", NULL },
	{ "undefine", "NAME", "remove a definition (a running domain goes on, transient)", NULL },
	{ "create", "FILE.xml", "start a transient domain from XML without defining it", NULL },
	{ "dumpxml", "NAME", "print a domain's XML (the running one if it is live)", NULL },
	{ "dominfo", "NAME", "print basic information about a domain", NULL },
	{ "domstate", "NAME", "print a domain's state", NULL },
	{ "console", "NAME", "attach to a live domain's serial console (Ctrl-] detaches)", NULL },
	{ "snapshot-create", "NAME [FILE.xml]",
	  "snapshot a live domain: memory, devices and an internal snapshot of each qcow2 disk", NULL },
	{ "snapshot-create-as", "NAME [SNAPNAME] [--description TEXT]", "snapshot-create with a name and a description",
	  "  --name SNAPNAME      the snapshot's name (default: the time in seconds)\n"
	  "  --description TEXT   a description kept with it\n" },
	{ "snapshot-list", "NAME", "list a domain's snapshots", NULL },
	{ "snapshot-info", "NAME [SNAPNAME|--current]", "print a snapshot's information", NULL },
	{ "snapshot-revert", "NAME SNAPNAME|--current [--running|--paused]",
	  "go back to a snapshot: its memory and disks (the domain as it is now is stopped)",
	  "  --running   run the guest afterwards (default: as it was when taken)\n"
	  "  --paused    leave it paused (virsh resume continues)\n" },
	{ "snapshot-delete", "NAME SNAPNAME|--current", "delete a snapshot and its disks' internal snapshots", NULL },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static const struct virsh_verb *find(const char *name)
{
	for (size_t i = 0; i < NVERBS; i++)
		if (!strcmp(verbs[i].name, name))
			return &verbs[i];
	return NULL;
}

void virsh_usage_lines(FILE *f)
{
	for (size_t i = 0; i < NVERBS; i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
}

void virsh_help(const char *verb, FILE *f)
{
	const struct virsh_verb *v = find(verb);
	if (!v)
		return;
	fprintf(f, "Usage: kvmini %s %s\n%c%s.\n", v->name, v->args, v->summary[0] - 'a' + 'A', v->summary + 1);
	if (v->help)
		fprintf(f, "\nOptions:\n%s", v->help);
	fputs("\nDomains are defined in <config dir>/domains (KVMINI_CONFIG_DIR), live ones run in the\n"
	      "runtime directory (KVMINI_RUNTIME_DIR). Exit status: 0 success, 1 failure, 2 usage.\n",
	      f);
}

int virsh_usage_error(const char *verb, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kv_log("%s: %s (try 'kvmini %s --help')", verb, msg, verb);
	return 2;
}

int virsh_name_arg(int argc, char **argv, const char **name)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	int c;
	optind = 0; /* getopt starts afresh for each verb */
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		if (c == 'h') {
			virsh_help(argv[0], stdout);
			return 1;
		}
		return virsh_usage_error(argv[0], "unknown option '%s'", argv[optind - 1]);
	}
	const struct virsh_verb *v = find(argv[0]);
	if (optind != argc - 1)
		return virsh_usage_error(argv[0], optind >= argc ? "%s is missing" : "one %s only",
					 v ? v->args : "argument");
	*name = argv[optind];
	return 0;
}

int virsh_domain_arg(int argc, char **argv, struct vdom *d, int live)
{
	const char *name;
	int r = virsh_name_arg(argc, argv, &name);
	if (r)
		return r == 1 ? 0 : r;
	if (vdom_lookup(d, name) || (live && vdom_require_live(d)))
		return 1;
	return -1;
}
