/* SPDX-License-Identifier: GPL-2.0-or-later */
/* --net: the option's grammar, the taps it opens (kept for the whole run, so a guest reset keeps its
 * host interface), and the virtio-net devices built on them in each VM incarnation. */
#ifndef KVMINI_MACHINE_NET_H
#define KVMINI_MACHINE_NET_H
#include <stddef.h>
#include <stdint.h>

#include "machine_disk.h"
#include "options.h"
#include "tap.h"

struct virtio_net;

struct net_spec {
	char ifname[IF_NAMESIZE]; /* "" : kvmini creates kvmini-<name>-<n> */
	char bridge[IF_NAMESIZE]; /* "" : none */
	uint8_t mac[6];
	enum vdev_transport transport;
	unsigned queues; /* queue pairs (multiqueue tap when > 1) */
};

struct machine_nets {
	unsigned n;
	int stats; /* print counters at teardown */
	struct net_spec spec[OPT_MAX_DEVS];
	struct tap tap[OPT_MAX_DEVS];
	struct virtio_net *dev[OPT_MAX_DEVS]; /* this incarnation's devices */
};

/* tap[,ifname=NAME][,mac=MAC][,bridge=BR][,transport=pci|mmio][,queues=N]. NIC idx of VM vm_name
 * gets a MAC derived from both unless mac= is given. -EINVAL with a reason in err. */
int net_spec_parse(const char *s, const char *vm_name, unsigned idx, struct net_spec *out, char *err,
		   size_t errlen);

/* Parses every --net and opens its tap; reports its own errors. -EINVAL: a usage error (exit 2);
 * other -errno: the host refused (exit 1). Taps opened so far are closed on failure. */
int machine_nets_open(struct machine_nets *mn, const struct run_opts *o);
/* Builds this incarnation's virtio-net devices and places them; reports its own errors. */
int machine_nets_add(struct machine_nets *mn, struct vdev_place *p);
/* Destroys this incarnation's devices (after the vCPUs stopped); the taps stay. */
void machine_nets_remove(struct machine_nets *mn);
/* Closes the taps: the ones kvmini created disappear. */
void machine_nets_close(struct machine_nets *mn);

#endif
