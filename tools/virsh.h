/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virsh-like verbs (`kvmini list`, `start`, `shutdown`, ...): what they share. A VM ("domain")
 * is defined when <config>/domains/N.xml exists and live while its VMM holds <rundir>/N.lock
 * (CONTRACT8: flock decides, never the files left behind). Output follows virsh's words and layout,
 * errors are one line "kvmini: <what>: <why>"; exit status 0 success, 1 failure, 2 usage. */
#ifndef KVMINI_VIRSH_H
#define KVMINI_VIRSH_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tools/qmp_client.h"
#include "vmm/paths.h"

#include "tools/textfile.h"

#define VIRSH_PATH 4200
#define VIRSH_QMP_TIMEOUT_MS 5000 /* one command to a live VMM; it answers from its main loop */

struct vdom {
	char name[KV_NAME_MAX + 1];
	char rundir[4096], domdir[4096];
	char def_path[VIRSH_PATH]; /* domains/N.xml */
	char live_xml[VIRSH_PATH], lock_path[VIRSH_PATH], pid_path[VIRSH_PATH], qmp_path[VIRSH_PATH];
	int defined; /* def_path exists */
	int live; /* the lock is held */
	pid_t pid; /* the VMM's (N.pid) when live, 0 if unknown */
};

/* --- virsh.c: the verbs' descriptions and argument handling --- */
/* The verbs' lines for kvmini's usage. */
void virsh_usage_lines(FILE *f);
/* `kvmini VERB --help` text to f. */
void virsh_help(const char *verb, FILE *f);
/* For verbs whose only argument is NAME: 0 with *name set, 1 after --help was printed (exit 0),
 * 2 after a usage error was printed. */
int virsh_name_arg(int argc, char **argv, const char **name);
/* For verbs whose only argument is a domain's NAME: looks it up (and requires it live if asked).
 * -1 with d ready, else the verb's exit status (0 after --help, 1 after the reason, 2 usage). */
int virsh_domain_arg(int argc, char **argv, struct vdom *d, int live);
/* Prints "kvmini: VERB: <msg>" and returns 2. */
int virsh_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- virsh_dom.c: finding a domain and its VMM --- */
/* Fills d for name (valid name, directories, paths, defined/live/pid); nothing needs to exist.
 * -errno after printing the reason. */
int vdom_init(struct vdom *d, const char *name);
/* vdom_init, then "kvmini: N: no such domain" (-ENOENT) unless it is defined or live. */
int vdom_lookup(struct vdom *d, const char *name);
/* The XML d runs with (<rundir>/N.xml when live), else its definition; NULL after a message when
 * it has neither (a VM started by `kvmini run --name` without --definition). */
const char *vdom_xml(const struct vdom *d);
/* Re-reads live/pid/defined. */
void vdom_refresh(struct vdom *d);
/* "kvmini: N: domain is not running" unless live: 0 or -ESRCH. */
int vdom_require_live(const struct vdom *d);
/* 1 if someone holds the flock on path, 0 if not (or no such file). */
int vdom_lock_held(const char *path);
/* 1 if process pid has the file at path open (it is the lock's holder), 0 if not. */
int vdom_pid_has_file(pid_t pid, const char *path);
/* Connects to d's control socket; prints why not. 0 or -errno. */
int vdom_connect(const struct vdom *d, struct qmp_client *c, int timeout_ms);
/* query-status: the QMP run state ("running", "paused", "shutdown", ...) into buf. 0 or -errno. */
int vdom_qmp_status(struct qmp_client *c, char *buf, size_t len);
/* virsh's state name for d: "shut off" when not live, else from query-status ("no state" when the
 * VMM does not answer). */
const char *vdom_state(const struct vdom *d);
/* virsh's name for a QMP run state. */
const char *vdom_state_name(const char *qmp_status);
/* Waits until the lock is free (the VMM has exited): 0 or -ETIMEDOUT (timeout_ms < 0: no limit). */
int vdom_wait_gone(struct vdom *d, int timeout_ms);
/* Stops d's VMM at once (virsh destroy: quit, else SIGTERM then SIGKILL of the lock's holder).
 * 0 once it is gone, else -errno after the reason was printed (virsh_ctl.c). */
int vdom_destroy(struct vdom *d);
/* Runs `/proc/self/exe` with av (av[0] "kvmini", av[1] "run", ... ending in --daemonize), stdin
 * from /dev/null, and waits for its parent: 0 once the VM runs, 1 when it said no (its one line
 * went to our stderr), -errno if it could not run (virsh_start.c). */
int virsh_run_vmm(char *const *av);
/* After a VMM was killed: takes the name's lock and removes the runtime files it left. */
void vdom_clean_stale(const struct vdom *d);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
void virsh_uuid_str(const uint8_t uuid[16], char out[37]);

/* virsh's table (virsh_list.c): cells row-major, the first row is the header. */
void virsh_print_table(FILE *f, const char *const *cells, size_t nrows, size_t ncols);

/* --- virsh_define.c: definitions through tools/domain.h --- */
struct domain;
/* Parses path (one or two documents; warnings printed as "kvmini: warning: ..." if asked) and checks
 * the names; prints the one error line. 0 or -errno. */
int virsh_parse(const char *path, struct domain *docs[2], int warnings);
void virsh_free_docs(struct domain *docs[2]);
/* For verbs whose only argument is FILE.xml (the last argument): parses it with warnings. -1 with
 * docs set, else the verb's exit status. */
int virsh_file_arg(int argc, char **argv, struct domain *docs[2]);

/* --- the verbs (argv[0] is the verb) --- */
int virsh_list(int argc, char **argv); /* virsh_list.c */
int virsh_domstate(int argc, char **argv);
int virsh_shutdown(int argc, char **argv); /* virsh_ctl.c */
int virsh_reboot(int argc, char **argv);
int virsh_destroy(int argc, char **argv);
int virsh_suspend(int argc, char **argv);
int virsh_resume(int argc, char **argv);
int virsh_console(int argc, char **argv); /* virsh_console.c */
/* these need the domain XML code (tools/domain.h) */
int virsh_define(int argc, char **argv); /* virsh_define.c */
int virsh_undefine(int argc, char **argv);
int virsh_dumpxml(int argc, char **argv);
int virsh_start(int argc, char **argv); /* virsh_start.c */
int virsh_create(int argc, char **argv);
int virsh_dominfo(int argc, char **argv);
int virsh_snapshot_create(int argc, char **argv); /* virsh_snapshot.c */
int virsh_snapshot_create_as(int argc, char **argv);
int virsh_snapshot_list(int argc, char **argv);
int virsh_snapshot_info(int argc, char **argv);
int virsh_snapshot_revert(int argc, char **argv);
int virsh_snapshot_delete(int argc, char **argv);

#endif
