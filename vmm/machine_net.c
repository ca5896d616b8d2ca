// SPDX-License-Identifier: GPL-2.0-or-later
#include "machine_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "virtio/net.h"

/* copies val into a name field, refusing what does not fit */
static int set_name(char *dst, size_t cap, const char *val)
{
	size_t n = val ? strlen(val) : 0;
	if (!n || n >= cap || strchr(val, '/'))
		return -EINVAL;
	memcpy(dst, val, n + 1);
	return 0;
}

int net_spec_parse(const char *s, const char *vm_name, unsigned idx, struct net_spec *out, char *err,
		   size_t errlen)
{
	enum { IFNAME, BRIDGE, MAC, TRANSPORT, QUEUES };
	static char *const keys[] = { "ifname", "bridge", "mac", "transport", "queues", NULL };
	static const char *const transports[] = { "pci", "mmio", NULL };
	memset(out, 0, sizeof(*out));
	out->queues = 1;
	virtio_net_default_mac(vm_name, idx, out->mac);
	char *opts, *copy = subopts_split(s, &opts);
	if (!copy)
		return -ENOMEM;
	if (strcmp(copy, "tap")) {
		snprintf(err, errlen, "--net %s: expected tap[,ifname=NAME][,mac=MAC][,bridge=BR][,transport=pci|mmio]", s);
		free(copy);
		return -EINVAL;
	}
	/* getsubopt stops at an empty tail: "tap," is a mistake, not "no options" */
	const char *bad = opts && (!*opts || opts[strlen(opts) - 1] == ',') ? "" : NULL, *why = NULL;
	while (!bad && opts && *opts) {
		char *opt = opts, *val;
		int k = getsubopt(&opts, keys, &val), v;
		if (k == IFNAME || k == BRIDGE) {
			if (set_name(k == IFNAME ? out->ifname : out->bridge, IF_NAMESIZE, val))
				bad = opt, why = "interface names have 1 to 15 characters";
		} else if (k == MAC && val) {
			if (virtio_net_parse_mac(val, out->mac))
				bad = opt, why = "expected a unicast aa:bb:cc:dd:ee:ff";
		} else if (k == TRANSPORT && (v = subopt_value(val, transports)) >= 0) {
			out->transport = v ? VDEV_MMIO : VDEV_PCI;
		} else if (k == QUEUES && val && val[0] >= '1' && val[0] <= '0' + VIRTIO_NET_MAX_PAIRS && !val[1]) {
			out->queues = (unsigned)(val[0] - '0');
		} else {
			bad = opt;
		}
	}
	if (bad && why)
		snprintf(err, errlen, "--net %s: '%s': %s", s, bad, why);
	else if (bad)
		snprintf(err, errlen, "--net %s: bad option '%s' (see kvmini run --help)", s, bad);
	free(copy);
	return bad ? -EINVAL : 0;
}

int machine_nets_open(struct machine_nets *mn, const struct run_opts *o)
{
	char err[256];
	memset(mn, 0, sizeof(*mn));
	mn->stats = o->stats;
	for (unsigned i = 0; i < o->nnets; i++) {
		if (net_spec_parse(o->nets[i], o->name, i, &mn->spec[i], err, sizeof(err))) {
			kv_log("%s", err);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < o->nnets; i++) {
		const struct net_spec *s = &mn->spec[i];
		char def[IF_NAMESIZE];
		tap_default_name(o->name, i, def);
		struct tap_cfg tc = {
			.ifname = s->ifname[0] ? s->ifname : NULL,
			.default_name = def,
			.bridge = s->bridge[0] ? s->bridge : NULL,
			.queues = s->queues,
		};
		int r = tap_open(&mn->tap[i], &tc, err, sizeof(err));
		if (r < 0) {
			kv_log("--net %s: %s", o->nets[i], err);
			machine_nets_close(mn);
			return r == -EINVAL ? -EIO : r; /* the host refused: not a usage error */
		}
		mn->n++;
	}
	return 0;
}

static int offload_cb(void *opaque, unsigned flags) { return tap_set_offload(opaque, flags); }
static int queues_cb(void *opaque, unsigned active) { return tap_set_queues(opaque, active); }

int machine_nets_add(struct machine_nets *mn, struct vdev_place *p)
{
	for (unsigned i = 0; i < mn->n; i++) {
		struct tap *t = &mn->tap[i];
		struct virtio_net_backend be = {
			.nfds = t->nq,
			.set_offload = offload_cb,
			.set_queues = queues_cb,
			.opaque = t,
		};
		memcpy(be.fds, t->fds, sizeof(be.fds[0]) * t->nq);
		char name[32];
		snprintf(name, sizeof(name), "virtio-net%u", i);
		struct virtio_net_opts no = { .name = name };
		memcpy(no.mac, mn->spec[i].mac, 6);
		const char *why = NULL;
		int r = virtio_net_create(&mn->dev[i], &be, &no);
		if (r == 0)
			r = vdev_place(p, virtio_net_dev(mn->dev[i]), mn->spec[i].transport, &why);
		if (r < 0) {
			kv_log("--net (%s): %s", t->ifname, why ? why : strerror(-r));
			return r;
		}
	}
	return 0;
}

void machine_nets_remove(struct machine_nets *mn)
{
	for (unsigned i = 0; i < mn->n; i++) {
		if (!mn->dev[i])
			continue;
		if (mn->stats) {
			struct virtio_net_stats s;
			virtio_net_get_stats(mn->dev[i], &s);
			fprintf(stderr,
				"kvmini: %s (%s): tx %llu frames %llu bytes, rx %llu frames %llu bytes; dropped: tx short %llu "
				"oversize %llu bad-header %llu refused %llu, rx bad-buffer %llu dropped %llu, ctrl %llu\n",
				virtio_net_dev(mn->dev[i])->name, mn->tap[i].ifname, (unsigned long long)s.tx_packets,
				(unsigned long long)s.tx_bytes, (unsigned long long)s.rx_packets,
				(unsigned long long)s.rx_bytes, (unsigned long long)s.tx_short,
				(unsigned long long)s.tx_oversize, (unsigned long long)s.tx_bad_hdr,
				(unsigned long long)s.tx_errors, (unsigned long long)s.rx_bad_buf,
				(unsigned long long)s.rx_dropped, (unsigned long long)s.ctrl_bad);
		}
		virtio_net_destroy(mn->dev[i]);
		mn->dev[i] = NULL;
	}
}

void machine_nets_close(struct machine_nets *mn)
{
	machine_nets_remove(mn);
	for (unsigned i = 0; i < mn->n; i++)
		tap_close(&mn->tap[i]);
	mn->n = 0;
}
