/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host tap devices for virtio-net: /dev/net/tun with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and a 12-byte
 * vnet header, one non-blocking fd per queue. A tap kvmini creates is not persistent, so it vanishes
 * with the last fd, even after SIGKILL; one that already existed (ifname=) is only attached to. */
#ifndef KVMINI_TAP_H
#define KVMINI_TAP_H
#include <net/if.h>

#define TAP_MAX_QUEUES 8

struct tap_cfg {
	const char *ifname; /* existing or wanted name; NULL: default_name */
	const char *default_name; /* see tap_default_name */
	const char *bridge; /* enslave to this bridge (NULL: none) */
	unsigned queues; /* 0 or 1: single queue; more: IFF_MULTI_QUEUE */
};

struct tap {
	char ifname[IF_NAMESIZE];
	int fds[TAP_MAX_QUEUES];
	unsigned nq;
	int created; /* we created it (it goes away with our fds) */
	int bridged; /* we enslaved it to cfg->bridge */
	char bridge[IF_NAMESIZE];
};

/* Opens (creating if needed) the tap, brings it up and enslaves it to the bridge. On failure
 * returns -errno with a one-line explanation in why. */
int tap_open(struct tap *t, const struct tap_cfg *cfg, char *why, size_t whylen);
/* TUNSETOFFLOAD with TUN_F_* flags: what the reader of the tap (the guest) accepts. */
int tap_set_offload(struct tap *t, unsigned flags);
/* Attaches the first `active` queues and detaches the rest (multiqueue taps). */
int tap_set_queues(struct tap *t, unsigned active);
/* Closes the fds; a tap we created disappears with them. */
void tap_close(struct tap *t);
/* The default name for NIC idx of VM name: kvmini-<name>-<idx>, or a hashed form when too long. */
void tap_default_name(const char *vm_name, unsigned idx, char out[IF_NAMESIZE]);

#endif
