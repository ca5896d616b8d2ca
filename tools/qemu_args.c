// SPDX-License-Identifier: GPL-2.0-or-later
/* The QEMU front end's option table and its scalar options (see qemu_args.h): machine, memory,
 * CPUs, kernel, console, control; the table of kvmini run features that do not exist yet; and the
 * line for an unknown option, with a suggestion (a run-together option and argument such as
 * -nettap,... or a near miss). */
#include "tools/qemu_args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"
#include "vmm/options.h"
#include "vmm/run.h"
#include "vmm/size.h"

/* kvmini run options a QEMU option needs, and whether kvmini has them yet: flipping have (and
 * nothing else) enables the translation already written for it. */
static const struct {
	const char *name;
	bool have;
	const char *why;
} features[] = {
	{ "ide", true, "--disk FILE,if=ide" },
	{ "ahci", true, "--disk FILE,if=sata" },
	{ "vnc", true, "--vnc" },
	{ "firmware", true, "SeaBIOS" },
	{ "snapshot", true, "--snapshot" },
	{ "qmp", true, "--qmp PATH" },
	{ "pidfile", true, "--pidfile FILE" },
};

int qx_need(struct qemu_xlate *x, const char *feature, const char *opt)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (!strcmp(features[i].name, feature))
			return features[i].have ? 0 : qx_fail(x, "%s: not supported yet (%s)", opt, features[i].why);
	return qx_fail(x, "%s: not supported", opt);
}

int qx_fail(struct qemu_xlate *x, const char *fmt, ...)
{
	if (!x->err[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(x->err, x->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

char *qx_strdup(struct qemu_xlate *x, const char *s)
{
	char *c = strdup(s);
	if (!c)
		qx_fail(x, "out of memory");
	return c;
}

static int push(struct qemu_xlate *x, char *s)
{
	if (!s)
		return -ENOMEM;
	if (x->argc + 2 > x->cap) {
		int cap = x->cap ? x->cap * 2 : 32;
		char **v = realloc(x->argv, (size_t)cap * sizeof(*v));
		if (!v) {
			free(s);
			return qx_fail(x, "out of memory"), -ENOMEM;
		}
		x->argv = v;
		x->cap = cap;
	}
	x->argv[x->argc++] = s;
	x->argv[x->argc] = NULL;
	return 0;
}

int qx_emit(struct qemu_xlate *x, const char *a, const char *b)
{
	int r = push(x, qx_strdup(x, a));
	return r || !b ? r : push(x, qx_strdup(x, b));
}

int qx_emitf(struct qemu_xlate *x, const char *opt, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return qx_fail(x, "out of memory"), -ENOMEM;
	int r = push(x, qx_strdup(x, opt));
	if (r) {
		free(s);
		return r;
	}
	return push(x, s);
}

/* ---- scalar options ---- */

static int o_noop(struct qemu_xlate *x, const char *opt, const char *v) { return 0; }

static int o_accel(struct qemu_xlate *x, const char *opt, const char *v)
{
	struct qkv o;
	int r = qkv_parse(x, &o, opt, v, "accel");
	const char *a = r ? NULL : qkv_get(&o, "accel");
	if (!r && (!a || strcmp(a, "kvm")))
		r = qx_fail(x, "%s %s: kvmini is KVM only (-accel kvm)", opt, v);
	qkv_free(&o);
	return r;
}

static int o_name(struct qemu_xlate *x, const char *opt, const char *v)
{
	static const char *const keys[] = { "guest", "process", "debug-threads", NULL };
	struct qkv o;
	int r = qkv_parse(x, &o, opt, v, "guest");
	if (!r)
		r = qkv_only(x, &o, opt, keys);
	const char *g = r ? NULL : qkv_get(&o, "guest");
	if (!r && g)
		r = qx_emit(x, "--name", g); /* a named VM: its QMP socket and run files come with it */
	qkv_free(&o);
	return r;
}

static int o_mem(struct qemu_xlate *x, const char *opt, const char *v)
{
	static const char *const keys[] = { "size", NULL };
	struct qkv o;
	int r = qkv_parse(x, &o, opt, v, "size");
	if (!r)
		r = qkv_only(x, &o, opt, keys);
	const char *s = r ? NULL : qkv_get(&o, "size");
	uint64_t bytes = 0;
	/* QEMU: a plain number is MiB; the rest is kvmini's own size syntax, shown as typed */
	bool digits = s && *s && strspn(s, "0123456789") == strlen(s);
	if (!r && s && (parse_size(s, &bytes) || !bytes || (digits && bytes > (UINT64_MAX >> 20))))
		r = qx_fail(x, "%s %s: expected a size like 2048, 512M or 2G", opt, v);
	if (!r && s)
		r = qx_emitf(x, "--mem", "%s%s", s, digits ? "M" : "");
	x->mem_given = x->mem_given || (!r && s);
	qkv_free(&o);
	return r;
}

static long number(const char *s, long max)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	long n = strtol(s, &end, 10);
	return errno || *end || n > max ? -1 : n;
}

static int o_smp(struct qemu_xlate *x, const char *opt, const char *v)
{
	static const char *const keys[] = { "cpus", "cores", "threads", "sockets", "dies", "maxcpus", NULL };
	struct qkv o;
	int r = qkv_parse(x, &o, opt, v, "cpus");
	if (!r)
		r = qkv_only(x, &o, opt, keys);
	long n = -1, prod = 1, max = -1;
	for (unsigned i = 0; !r && i < o.n; i++) {
		long k = number(o.val[i], 1024);
		if (k < 1)
			r = qx_fail(x, "%s %s: '%s' expects a number from 1 to 1024", opt, v, o.key[i]);
		else if (!strcmp(o.key[i], "cpus"))
			n = k;
		else if (!strcmp(o.key[i], "maxcpus"))
			max = k;
		else if ((prod *= k) > 1024)
			r = qx_fail(x, "%s %s: too many CPUs", opt, v);
	}
	if (!r && n < 0)
		n = max > 0 ? max : prod; /* QEMU derives the count from the topology */
	if (!r && max > 0 && max != n)
		r = qx_fail(x, "%s %s: maxcpus above cpus needs CPU hot-plug, which kvmini lacks", opt, v);
	if (!r)
		r = qx_emitf(x, "--cpus", "%ld", n);
	qkv_free(&o);
	return r;
}

static int o_cpu(struct qemu_xlate *x, const char *opt, const char *v)
{
	/* host and max are the same under KVM; QEMU's default models map to kvmini's default */
	if (!strcmp(v, "host") || !strcmp(v, "max"))
		return qx_emit(x, "--cpu", "host");
	if (!strcmp(v, "qemu64") || !strcmp(v, "kvm64"))
		return qx_emit(x, "--cpu", "default");
	return qx_fail(x, "%s %s: kvmini has the CPU models host (max) and its default (qemu64, kvm64)", opt, v);
}

static int o_machine(struct qemu_xlate *x, const char *opt, const char *v)
{
	struct qkv o;
	int r = qkv_parse(x, &o, opt, v, "type");
	for (unsigned i = 0; !r && i < o.n; i++) {
		const char *k = o.key[i], *val = o.val[i];
		/* kvmini has one board; pc and q35 (any version) both mean it, but q35's IDE drives sit on
		 * its ICH9 AHCI controller, kvmini's if=sata */
		if (!strcmp(k, "type") && (!strcmp(val, "pc") || !strncmp(val, "pc-i440fx-", 10))) {
			x->q35 = false;
			continue;
		}
		if (!strcmp(k, "type") && (!strcmp(val, "q35") || !strncmp(val, "pc-q35-", 7))) {
			x->q35 = true;
			continue;
		}
		if (!strcmp(k, "accel") && !strcmp(val, "kvm"))
			continue;
		r = qx_fail(x, "%s %s: kvmini has the machine pc (also q35) with accel=kvm only", opt, v);
	}
	qkv_free(&o);
	return r;
}

static int o_kernel(struct qemu_xlate *x, const char *opt, const char *v)
{
	x->have_kernel = true;
	return qx_emit(x, "--kernel", v);
}

static int o_initrd(struct qemu_xlate *x, const char *opt, const char *v) { return qx_emit(x, "--initrd", v); }
static int o_append(struct qemu_xlate *x, const char *opt, const char *v) { return qx_emit(x, "--append", v); }
static int o_no_reboot(struct qemu_xlate *x, const char *opt, const char *v) { return qx_emit(x, "--no-reboot", NULL); }

/* -gdb DEV, -s (= -gdb tcp::1234), -S: held for the debugger with one, else for QMP cont */
static int o_gdb(struct qemu_xlate *x, const char *opt, const char *v)
{
	x->gdb_given = true;
	return qx_emit(x, "--gdb", v ? v : "tcp::1234");
}

static int o_stopped(struct qemu_xlate *x, const char *opt, const char *v)
{
	x->stop_given = true;
	return 0;
}

static int o_nographic(struct qemu_xlate *x, const char *opt, const char *v)
{
	x->nographic = true; /* the serial port on stdio, as kvmini's default */
	return 0;
}

static int o_serial(struct qemu_xlate *x, const char *opt, const char *v)
{
	x->serial_given = true;
	if (!strcmp(v, "stdio") || !strcmp(v, "mon:stdio"))
		return qx_emit(x, "--serial", "stdio");
	if (!strcmp(v, "pty") || !strcmp(v, "none") || !strcmp(v, "null"))
		return qx_emit(x, "--serial", strcmp(v, "pty") ? "none" : "pty");
	if (!strncmp(v, "file:", 5) && v[5])
		return qx_emit(x, "--serial", v);
	return qx_fail(x, "%s %s: kvmini's serial port goes to stdio, pty, file:PATH or none", opt, v);
}

static int o_display(struct qemu_xlate *x, const char *opt, const char *v)
{
	if (strcmp(v, "none"))
		return qx_fail(x, "%s %s: not supported (kvmini has no display; -display none or -nographic)", opt, v);
	x->display_none = true;
	return 0;
}

static int o_vnc(struct qemu_xlate *x, const char *opt, const char *v)
{
	if (!strcmp(v, "none"))
		return 0; /* QEMU: no VNC server */
	if (v[0] != ':' || number(v + 1, 65535 - 5900) < 0)
		return qx_fail(x, "%s %s: expected :N (display N, port 5900+N)", opt, v);
	return qx_need(x, "vnc", opt) ? -EINVAL : qx_emit(x, "--vnc", v);
}

static int o_snapshot(struct qemu_xlate *x, const char *opt, const char *v)
{
	return qx_need(x, "snapshot", opt) ? -EINVAL : qx_emit(x, "--snapshot", NULL);
}

static int o_daemonize(struct qemu_xlate *x, const char *opt, const char *v)
{
	x->daemonize = true;
	return qx_emit(x, "--daemonize", NULL);
}

static int o_pidfile(struct qemu_xlate *x, const char *opt, const char *v)
{
	return qx_need(x, "pidfile", opt) ? -EINVAL : qx_emit(x, "--pidfile", v);
}

static int o_qmp(struct qemu_xlate *x, const char *opt, const char *v)
{
	static const char *const keys[] = { "path", "server", "wait", NULL };
	struct qkv o;
	int r = qkv_parse(x, &o, opt, v, "path");
	if (!r)
		r = qkv_only(x, &o, opt, keys);
	const char *path = r ? NULL : qkv_get(&o, "path");
	if (!r && path && !strncmp(path, "tcp:", 4))
		r = qx_fail(x, "%s %s: kvmini's QMP listens on unix sockets only (a TCP port is a root shell for "
			    "whoever reaches it): unix:PATH,server=on,wait=off", opt, v);
	if (!r && (!path || strncmp(path, "unix:", 5) || !path[5] || qkv_bool(qkv_get(&o, "server")) != 1 ||
		   qkv_bool(qkv_get(&o, "wait")) != 0))
		r = qx_fail(x, "%s %s: kvmini listens on a unix socket: unix:PATH,server=on,wait=off", opt, v);
	if (!r && !(r = qx_need(x, "qmp", opt)))
		r = qx_emit(x, "--qmp", path + 5);
	qkv_free(&o);
	return r;
}

/* -boot for the firmware (no -kernel): order= (or once=) as kvmini's --boot order, c and d only */
static int boot_arg(struct qemu_xlate *x)
{
	struct qkv o;
	int r = qkv_parse(x, &o, "-boot", x->boot_opt, "order");
	const char *order = r ? NULL : qkv_get(&o, "once");
	if (!r && !order)
		order = qkv_get(&o, "order");
	char cd[3] = "";
	for (unsigned i = 0, n = 0; order && order[i] && n < 2; i++)
		if ((order[i] == 'c' || order[i] == 'd') && !strchr(cd, order[i]))
			cd[n++] = order[i];
	if (!r && order && !cd[0])
		r = qx_fail(x, "-boot %s: kvmini's firmware boots c (disk) and d (CD-ROM) only", x->boot_opt);
	const char *menu = r ? NULL : qkv_get(&o, "menu");
	if (!r && cd[0])
		r = qx_emitf(x, "--boot", "order=%s%s", cd, menu && qkv_bool(menu) == 1 ? ",menu=on" : "");
	qkv_free(&o);
	return r;
}

static int o_boot(struct qemu_xlate *x, const char *opt, const char *v)
{
	static const char *const keys[] = { "order", "once", "menu", "splash", "splash-time", "reboot-timeout",
					    "strict", NULL };
	struct qkv o;
	int r = qkv_parse(x, &o, opt, v, "order");
	if (!r)
		r = qkv_only(x, &o, opt, keys);
	for (unsigned i = 0; !r && i < o.n; i++)
		if ((!strcmp(o.key[i], "order") || !strcmp(o.key[i], "once")) &&
		    (!*o.val[i] || strspn(o.val[i], "acdn") != strlen(o.val[i])))
			r = qx_fail(x, "%s %s: boot devices are letters of a, c, d, n", opt, v);
	qkv_free(&o);
	/* with -kernel the kernel boots whatever the order says (as in QEMU); menu= and the splash
	 * are the firmware's business: no-ops */
	x->boot_opt = v;
	return r;
}

static int o_hd(struct qemu_xlate *x, const char *opt, const char *v) { return qx_hd(x, opt, v, opt[3] - 'a'); }

typedef int (*qopt_fn)(struct qemu_xlate *x, const char *opt, const char *v);
static const struct {
	const char *name;
	bool arg;
	qopt_fn fn;
	int pass; /* 0 the machine (it decides where drives go), 1 drives and netdevs, 2 the rest */
} opts[] = {
	{ "enable-kvm", false, o_noop, 2 }, /* kvmini is always KVM */
	{ "accel", true, o_accel, 2 },
	{ "name", true, o_name, 2 },
	{ "m", true, o_mem, 2 },
	{ "smp", true, o_smp, 2 },
	{ "cpu", true, o_cpu, 2 },
	{ "machine", true, o_machine, 0 },
	{ "M", true, o_machine, 0 },
	{ "hda", true, o_hd, 1 },
	{ "hdb", true, o_hd, 1 },
	{ "hdc", true, o_hd, 1 },
	{ "hdd", true, o_hd, 1 },
	{ "cdrom", true, qx_cdrom, 1 },
	{ "drive", true, qx_drive, 1 },
	{ "netdev", true, qx_netdev, 1 },
	{ "chardev", true, qx_chardev, 1 },
	{ "boot", true, o_boot, 2 },
	{ "device", true, qx_device, 2 },
	{ "net", true, qx_net, 2 },
	{ "kernel", true, o_kernel, 2 },
	{ "initrd", true, o_initrd, 2 },
	{ "append", true, o_append, 2 },
	{ "nographic", false, o_nographic, 2 },
	{ "serial", true, o_serial, 2 },
	{ "display", true, o_display, 2 },
	{ "vnc", true, o_vnc, 2 },
	{ "snapshot", false, o_snapshot, 2 },
	{ "daemonize", false, o_daemonize, 2 },
	{ "pidfile", true, o_pidfile, 2 },
	{ "qmp", true, o_qmp, 2 },
	{ "no-reboot", false, o_no_reboot, 2 },
	{ "fsdev", true, qx_fsdev, 1 },
	{ "virtfs", true, qx_virtfs, 2 },
	{ "gdb", true, o_gdb, 2 },
	{ "s", false, o_gdb, 2 },
	{ "S", false, o_stopped, 2 }, /* stopped until QMP cont or the debugger continues */
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* ---- unknown options ---- */

static size_t edit_distance(const char *a, size_t la, const char *b)
{
	size_t lb = strlen(b), row[64];
	if (la >= 63 || lb >= 63)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

static int unknown(struct qemu_xlate *x, const char *arg)
{
	const char *name = arg + strspn(arg, "-");
	/* an option run into its argument: "-nettap,ifname=..." is "-net tap,ifname=..." */
	size_t best_len = 0;
	int best = -1;
	for (size_t i = 0; i < NOPTS; i++) {
		size_t n = strlen(opts[i].name);
		const char *rest = name + n;
		if (opts[i].arg && n > best_len && !strncmp(name, opts[i].name, n) && *rest &&
		    (strpbrk(rest, ",=:") || (*rest >= '0' && *rest <= '9'))) {
			best = (int)i;
			best_len = n;
		}
	}
	if (best >= 0)
		return qx_fail(x, "%s: unknown option (did you mean '-%s %s'?)", arg, opts[best].name, name + best_len);
	size_t len = strcspn(name, ",=");
	size_t limit = len >= 5 ? 2 : 1, dmin = 99;
	for (size_t i = 0; i < NOPTS; i++) {
		size_t d = edit_distance(name, len, opts[i].name);
		if (d < dmin) {
			dmin = d;
			best = (int)i;
		}
	}
	if (best >= 0 && dmin <= limit)
		return qx_fail(x, "%s: unknown option (did you mean '-%s'?)", arg, opts[best].name);
	return qx_fail(x, "%s: unknown option", arg);
}

/* ---- the whole line ---- */

int qemu_args_translate(struct qemu_xlate *x, int argc, char **argv, char *err, size_t errlen)
{
	memset(x, 0, sizeof(*x));
	x->err = err;
	x->errlen = errlen;
	err[0] = 0;
	int r = qx_emit(x, "run", NULL);
	/* the machine first (q35 moves the IDE drives to AHCI); as QEMU, drives and netdevs next (a
	 * -device may name one given later), then the rest in order; the first passes stop quietly
	 * where the last one will complain */
	for (int pass = 0; pass < 3 && !r; pass++) {
		for (int i = 1; !r && i < argc; i++) {
			const char *a = argv[i];
			if (a[0] != '-' || !a[1]) {
				if (pass == 1)
					r = qx_hd(x, a, a, -1); /* QEMU: a bare image is the first free IDE disk */
				continue;
			}
			const char *name = a + (a[1] == '-' ? 2 : 1); /* QEMU takes -opt and --opt */
			size_t k = 0;
			while (k < NOPTS && strcmp(opts[k].name, name))
				k++;
			if (k == NOPTS || (opts[k].arg && i + 1 >= argc)) {
				if (pass == 2)
					r = k == NOPTS ? unknown(x, a) : qx_fail(x, "%s: requires an argument", a);
				break;
			}
			const char *v = opts[k].arg ? argv[++i] : NULL;
			if (opts[k].pass != pass)
				continue;
			char shown[64];
			snprintf(shown, sizeof(shown), "-%s", opts[k].name);
			r = opts[k].fn(x, shown, v);
		}
	}
	if (!r)
		r = qx_finish_devices(x);
	if (!r && !x->have_kernel)
		r = qx_need(x, "firmware", "booting without -kernel");
	if (!r && !x->have_kernel && x->boot_opt)
		r = boot_arg(x);
	if (!r && x->nographic && x->daemonize)
		r = qx_fail(x, "-nographic cannot be used with -daemonize");
	/* -display none alone leaves QEMU's serial port on a console nobody sees */
	if (!r && x->display_none && !x->nographic && !x->serial_given)
		r = qx_emit(x, "--serial", "none");
	if (!r && !x->mem_given)
		r = qx_emit(x, "--mem", "128M"); /* QEMU's default, not kvmini's */
	if (!r && x->stop_given)
		r = qx_emit(x, x->gdb_given ? "--gdb-wait" : "--paused", NULL);
	if (r && !err[0])
		qx_fail(x, "out of memory");
	return r;
}

void qemu_xlate_free(struct qemu_xlate *x)
{
	for (int i = 0; i < x->argc; i++)
		free(x->argv[i]);
	free(x->argv);
	for (unsigned i = 0; i < x->ndrives; i++) {
		free(x->drives[i].id);
		free(x->drives[i].file);
		free(x->drives[i].format);
	}
	for (unsigned i = 0; i < x->nnetdevs; i++) {
		free(x->netdevs[i].id);
		free(x->netdevs[i].ifname);
	}
	for (unsigned i = 0; i < x->nnics; i++)
		free(x->nics[i].mac);
	for (unsigned i = 0; i < x->nnet_taps; i++)
		free(x->net_taps[i]);
	for (unsigned i = 0; i < x->nchardevs; i++) {
		free(x->chardevs[i].id);
		free(x->chardevs[i].path);
	}
	for (unsigned i = 0; i < x->nfsdevs; i++) {
		free(x->fsdevs[i].id);
		free(x->fsdevs[i].path);
	}
	memset(x, 0, sizeof(*x));
}

bool qemu_argv0(const char *argv0)
{
	static const char tail[] = "qemu-system-x86_64";
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	size_t n = strlen(base);
	return n >= sizeof(tail) - 1 && !strcmp(base + n - (sizeof(tail) - 1), tail);
}

int qemu_main(int argc, char **argv)
{
	struct qemu_xlate x;
	char err[512];
	if (argc >= 2 && (!strcmp(argv[1], "-version") || !strcmp(argv[1], "--version"))) {
		printf("kvmini's QEMU front end (qemu-system-x86_64 options on kvmini run)\n");
		return 0;
	}
	int r = qemu_args_translate(&x, argc, argv, err, sizeof(err));
	int status = 2;
	if (r) {
		kv_log("%s", err);
	} else {
		struct run_opts o;
		char rerr[256];
		if (run_opts_parse(&o, x.argc, x.argv, rerr, sizeof(rerr)))
			kv_log("%s", rerr);
		else
			status = run_vm(&o);
	}
	qemu_xlate_free(&x);
	return status;
}
