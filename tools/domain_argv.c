// SPDX-License-Identifier: GPL-2.0-or-later
/* struct domain as `kvmini run` arguments (vmm/options.c's syntax; --disk and --net as
 * vmm/machine_disk.c and vmm/machine_net.c parse them). What the definition asks for and run cannot
 * do yet is an error naming it, never left out: "<name>: <what> is not supported yet". */
#include "tools/domain.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ARGV_MAX (2 * (DOM_MAX_DISKS + DOM_MAX_NETS) + 24)

struct args {
	char **v;
	int n;
	int oom;
};

static void add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct args *a, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0 || a->n >= ARGV_MAX) {
		if (r >= 0)
			free(s);
		a->oom = 1;
		return;
	}
	a->v[a->n++] = s;
}

static int unsupported(char *err, size_t errlen, const struct domain *d, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int unsupported(char *err, size_t errlen, const struct domain *d, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s is not supported yet", d->name ? d->name : "domain", what);
	return -EOPNOTSUPP;
}

/* run's --mem takes a size with K/M/G suffixes */
static void add_mem(struct args *a, uint64_t bytes)
{
	if (bytes % (1ULL << 30) == 0)
		add(a, "%lluG", (unsigned long long)(bytes >> 30));
	else if (bytes % (1ULL << 20) == 0)
		add(a, "%lluM", (unsigned long long)(bytes >> 20));
	else
		add(a, "%lluK", (unsigned long long)(bytes >> 10));
}

static const char *const action_names[] = { "destroy", "restart", "preserve", "rename-restart" };

/* <os><boot dev=...> as run's --boot order= letters (hd: c, cdrom: d; others cannot boot here) */
static int boot_order(const struct domain *d, char *out, size_t len, char *err, size_t errlen)
{
	size_t n = 0;
	for (unsigned i = 0; i < d->nboot && i < DOM_MAX_BOOT && n + 1 < len; i++) {
		if (d->boot[i] == DOM_BOOT_NETWORK || d->boot[i] == DOM_BOOT_FD)
			return unsupported(err, errlen, d, "booting from %s", d->boot[i] == DOM_BOOT_FD ? "a floppy" : "the network");
		char c = d->boot[i] == DOM_BOOT_CDROM ? 'd' : 'c';
		if (!memchr(out, c, n))
			out[n++] = c;
	}
	if (!n) /* libvirt's default: the first hard disk */
		out[n++] = 'c';
	out[n] = 0;
	return 0;
}

/* what run cannot do yet, before anything is resolved */
static int check_supported(const struct domain *d, char *err, size_t errlen)
{
	/* the parser takes x86_64 and i686 only: kvmini's x86-64 vCPU runs both, and run's kernel
	 * loader refuses a kernel without a 64-bit entry with its own message */
	for (unsigned i = 0; i < d->nnets; i++)
		if (d->nets[i].model && strcmp(d->nets[i].model, "virtio"))
			return unsupported(err, errlen, d, "NIC model %s", d->nets[i].model);
	if (d->on_poweroff != DOM_ACT_DESTROY)
		return unsupported(err, errlen, d, "on_poweroff %s", action_names[d->on_poweroff % 4]);
	if (d->on_reboot != DOM_ACT_RESTART && d->on_reboot != DOM_ACT_DESTROY)
		return unsupported(err, errlen, d, "on_reboot %s", action_names[d->on_reboot % 4]);
	return 0;
}

/* the bus position libvirt's target name gives: hda..hdd are IDE bus/unit (0/0, 0/1, 1/0, 1/1), sdX
 * the SATA port or SCSI target X; run places virtio disks in order */
static int disk_place(const struct domain *d, const struct dom_disk *k, char *out, size_t len, char *err, size_t errlen)
{
	static const char *const bus_names[] = { "virtio", "scsi", "ide", "sata" };
	static const char prefix[][3] = { "vd", "sd", "hd", "sd" };
	static const int count[] = { 26, 8, 4, 6 }; /* SCSI targets 0..7, IDE 2x2, AHCI ports 0..5 */
	const char *t = k->target ? k->target : "";
	unsigned b = k->bus % 4;
	int idx = strlen(t) == 3 && !strncmp(t, prefix[b], 2) ? t[2] - 'a' : -1;
	if (idx < 0 || idx >= count[b])
		return unsupported(err, errlen, d, "disk %s on bus %s (kvmini's places are %s%c..%s%c)", t, bus_names[b],
				   prefix[b], 'a', prefix[b], 'a' + count[b] - 1);
	const char *media = k->device == DOM_DEV_CDROM ? ",media=cdrom" : "";
	if (k->bus == DOM_BUS_VIRTIO)
		snprintf(out, len, "%s", k->device == DOM_DEV_CDROM ? ",media=cdrom" : "");
	else if (k->bus == DOM_BUS_IDE)
		snprintf(out, len, ",if=ide,bus=%d,unit=%d%s", idx / 2, idx % 2, media);
	else if (k->bus == DOM_BUS_SATA)
		snprintf(out, len, ",if=sata,bus=%d%s", idx, media);
	else
		snprintf(out, len, ",if=scsi,target=%d%s", idx, media);
	if (k->bus == DOM_BUS_VIRTIO && k->device == DOM_DEV_CDROM) /* as run: no virtio-blk CD-ROM */
		return unsupported(err, errlen, d, "cdrom %s on bus virtio", t);
	return 0;
}

/* <graphics type='vnc'> as run's --vnc HOST:N; autoport takes the first display whose port is free
 * now, as libvirt does (5900 + N) */
static int add_vnc(struct args *a, const struct domain *d, char *err, size_t errlen)
{
	const char *host = d->vnc_listen ? d->vnc_listen : "127.0.0.1";
	int v6 = strchr(host, ':') != NULL, disp = d->vnc_port - 5900;
	if (d->vnc_port >= 0 && (disp < 0 || disp > 59635))
		return unsupported(err, errlen, d, "VNC port %d (below 5900)", d->vnc_port);
	for (int n = 0; d->vnc_port < 0 && n < 100; n++) {
		/* numeric only (no name lookups here); a host name is probed on the wildcard address, whose
		 * bind fails when any address holds the port */
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV | AI_NUMERICHOST }, *ai = NULL;
		char port[8];
		snprintf(port, sizeof(port), "%d", 5900 + n);
		if (getaddrinfo(host, port, &hints, &ai)) {
			hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
			if (getaddrinfo(NULL, port, &hints, &ai))
				break;
		}
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
		int free_port = fd >= 0 && !setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) &&
				!bind(fd, ai->ai_addr, ai->ai_addrlen);
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		if (free_port) {
			disp = n;
			break;
		}
	}
	if (disp < 0)
		return snprintf(err, errlen, "%s: no free VNC port in 5900..5999 on %s", d->name, host), -EADDRINUSE;
	add(a, "--vnc");
	add(a, v6 ? "[%s]:%d" : "%s:%d", host, disp);
	return 0;
}

static int add_disk(struct args *a, const struct domain *d, const struct dom_disk *k, dom_vol_resolve_fn resolve,
		    void *opaque, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *p = k->source ? k->source : k->device == DOM_DEV_CDROM && k->type != DOM_DISK_VOLUME ? "none" : NULL;
	if (k->type == DOM_DISK_VOLUME) {
		if (!resolve)
			return unsupported(err, errlen, d, "disk %s from pool volume %s/%s here", k->target, k->pool, k->volume);
		char why[200] = "";
		int r = resolve(opaque, k->pool, k->volume, path, sizeof(path), why, sizeof(why));
		if (r) {
			snprintf(err, errlen, "%s: disk %s: %s", d->name, k->target, why[0] ? why : strerror(-r));
			return r < 0 ? r : -EINVAL;
		}
		p = path;
	}
	/* run's --disk splits at the first comma */
	if (!p || !p[0] || strchr(p, ',')) {
		snprintf(err, errlen, "%s: disk %s: %s", d->name, k->target,
			 p && p[0] ? "a path with ',' cannot be given to kvmini run" : "no source");
		return -EINVAL;
	}
	char place[64];
	int r = disk_place(d, k, place, sizeof(place), err, errlen);
	if (r)
		return r;
	add(a, "--disk");
	add(a, "%s%s%s%s", p, k->fmt == DOM_FMT_RAW ? ",format=raw" : k->fmt == DOM_FMT_QCOW2 ? ",format=qcow2" : "",
	    k->readonly && k->device != DOM_DEV_CDROM ? ",readonly" : "", place);
	return 0;
}

static void add_net(struct args *a, const struct dom_net *t)
{
	char opts[128] = "";
	size_t n = 0;
	if (t->tap)
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, ",ifname=%s", t->tap);
	if (t->mac[0] && n < sizeof(opts))
		n += (size_t)snprintf(opts + n, sizeof(opts) - n, ",mac=%s", t->mac);
	if (t->type == DOM_NET_BRIDGE && t->bridge && n < sizeof(opts))
		snprintf(opts + n, sizeof(opts) - n, ",bridge=%s", t->bridge);
	add(a, "--net");
	add(a, "tap%s", opts);
}

int domain_argv(const struct domain *d, char ***argv, dom_vol_resolve_fn resolve, void *opaque, char *err,
		size_t errlen)
{
	*argv = NULL;
	if (!d->name) {
		snprintf(err, errlen, "domain: no name");
		return -EINVAL;
	}
	int r = check_supported(d, err, errlen);
	if (r)
		return r;
	struct args a = { .v = calloc(ARGV_MAX + 1, sizeof(char *)) };
	if (!a.v)
		return snprintf(err, errlen, "out of memory"), -ENOMEM;
	add(&a, "--name");
	add(&a, "%s", d->name);
	add(&a, "--mem");
	add_mem(&a, d->memory);
	add(&a, "--cpus");
	add(&a, "%u", d->vcpus ? d->vcpus : 1);
	if (d->cpu_mode != DOM_CPU_DEFAULT) { /* host-model: the closest kvmini has is the host's CPUID */
		add(&a, "--cpu");
		add(&a, "host");
	}
	if (d->kernel) {
		add(&a, "--kernel");
		add(&a, "%s", d->kernel);
	} else { /* firmware boot through SeaBIOS */
		char order[DOM_MAX_BOOT + 2] = "";
		if ((r = boot_order(d, order, sizeof(order), err, errlen)))
			goto out;
		add(&a, "--boot");
		add(&a, "order=%s", order);
	}
	if (d->initrd) {
		add(&a, "--initrd");
		add(&a, "%s", d->initrd);
	}
	if (d->cmdline) {
		add(&a, "--append");
		add(&a, "%s", d->cmdline);
	}
	if (d->hugepages)
		add(&a, "--hugepages");
	if (d->on_reboot == DOM_ACT_DESTROY)
		add(&a, "--no-reboot");
	if (d->serial_pty || d->console_pty) {
		add(&a, "--serial");
		add(&a, "pty");
	}
	for (unsigned i = 0; !r && i < d->ndisks && i < DOM_MAX_DISKS; i++)
		r = add_disk(&a, d, &d->disks[i], resolve, opaque, err, errlen);
	for (unsigned i = 0; !r && i < d->nnets && i < DOM_MAX_NETS; i++)
		add_net(&a, &d->nets[i]);
	if (!r && d->graphics_vnc)
		r = add_vnc(&a, d, err, errlen);
out:
	if (!r && a.oom)
		r = -ENOMEM, snprintf(err, errlen, "out of memory");
	if (r) {
		domain_argv_free(a.v);
		return r;
	}
	*argv = a.v;
	return a.n;
}

void domain_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}
