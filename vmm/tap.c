// SPDX-License-Identifier: GPL-2.0-or-later
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define VNET_HDR_LEN 12 /* virtio_net_hdr_mrg_rxbuf, what a VERSION_1 driver uses */

static int fail(char *why, size_t len, int err, const char *fmt, const char *a, const char *b)
{
	snprintf(why, len, fmt, a, b ? b : "");
	return err;
}

void tap_default_name(const char *vm_name, unsigned idx, char out[IF_NAMESIZE])
{
	int n = snprintf(out, IF_NAMESIZE, "kvmini-%s-%u", vm_name, idx);
	int clean = 1;
	for (const char *s = vm_name; *s; s++)
		if (*s == '/' || *s == ':' || *s == ' ' || (unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			clean = 0;
	if (n > 0 && n < IF_NAMESIZE && clean)
		return;
	/* too long (IFNAMSIZ is 16) or not a valid interface name: a hash keeps it stable */
	uint32_t h = 2166136261u;
	for (const char *s = vm_name; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	snprintf(out, IF_NAMESIZE, "kvmini-%05x-%u", h & 0xfffff, idx % 100);
}

/* One more fd on the tap named t->ifname (creating the device on the first). */
static int tap_attach_fd(struct tap *t, int multi, char *why, size_t whylen)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;
		return fail(why, whylen, e,
			    e == -EACCES || e == -EPERM ? "/dev/net/tun: permission denied (kvmini needs CAP_NET_ADMIN%s%s)"
							: "/dev/net/tun: cannot open it (is the tun module loaded?)%s%s",
			    e == -EACCES || e == -EPERM ? ", or /dev/net/tun access and a tap created for you" : "", NULL);
	}
	unsigned feat = 0;
	if (ioctl(fd, TUNGETFEATURES, &feat) == 0 && !(feat & IFF_VNET_HDR)) {
		close(fd);
		return fail(why, whylen, -ENOTSUP, "/dev/net/tun: this kernel's tun has no IFF_VNET_HDR%s%s", "", NULL);
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi ? IFF_MULTI_QUEUE : 0);
	memcpy(ifr.ifr_name, t->ifname, strlen(t->ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = -errno;
		close(fd);
		if (e == -EBUSY)
			return fail(why, whylen, e, "tap %s is busy: another process has it open (another VM with this name?)%s",
				    t->ifname, NULL);
		if (e == -EPERM || e == -EACCES)
			return fail(why, whylen, e,
				    "tap %s: permission denied (needs CAP_NET_ADMIN, or a tap made for this user: ip tuntap add %s mode tap user $USER)",
				    t->ifname, t->ifname);
		if (e == -EINVAL)
			return fail(why, whylen, e, "tap %s: exists but is not a tap%s (or its multi_queue setting differs)",
				    t->ifname, NULL);
		snprintf(why, whylen, "tap %s: TUNSETIFF: %s", t->ifname, strerror(-e));
		return e;
	}
	memcpy(t->ifname, ifr.ifr_name, IF_NAMESIZE);
	t->ifname[IF_NAMESIZE - 1] = 0;
	int hdr = VNET_HDR_LEN;
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		int e = -errno;
		close(fd);
		snprintf(why, whylen, "tap %s: setting up the vnet header: %s", t->ifname, strerror(-e));
		return e;
	}
	t->fds[t->nq++] = fd;
	return 0;
}

/* Up, and into the bridge: plain ioctls on an inet socket of our network namespace. */
static int tap_link(struct tap *t, const char *bridge, char *why, size_t whylen)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail(why, whylen, -errno, "tap %s: socket: cannot configure it%s", t->ifname, NULL);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->ifname, strlen(t->ifname));
	int r = 0;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		r = fail(why, whylen, -errno, "tap %s: reading its flags: %s", t->ifname, strerror(errno));
		goto out;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
			r = fail(why, whylen, -errno, "tap %s: cannot bring it up: %s", t->ifname, strerror(errno));
			goto out;
		}
	}
	if (bridge) {
		unsigned idx = if_nametoindex(t->ifname);
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", bridge);
		ifr.ifr_ifindex = (int)idx;
		if (!idx || ioctl(s, SIOCBRADDIF, &ifr) < 0) {
			int e = idx ? errno : ENODEV;
			if (e == ENODEV || e == EOPNOTSUPP || e == EINVAL)
				r = fail(why, whylen, -e, "bridge %s: no such bridge (kvmini net up creates br0)%s", bridge, NULL);
			else if (e == EBUSY)
				r = fail(why, whylen, -e, "tap %s: already in another bridge (%s)", t->ifname, bridge);
			else
				r = fail(why, whylen, -e, "bridge %s: cannot add the tap: %s", bridge, strerror(e));
			goto out;
		}
		snprintf(t->bridge, sizeof(t->bridge), "%s", bridge);
		t->bridged = 1;
	}
out:
	close(s);
	return r;
}

int tap_open(struct tap *t, const struct tap_cfg *cfg, char *why, size_t whylen)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < TAP_MAX_QUEUES; i++)
		t->fds[i] = -1;
	unsigned nq = cfg->queues ? cfg->queues : 1;
	if (nq > TAP_MAX_QUEUES)
		return fail(why, whylen, -EINVAL, "tap: at most %s queues%s", "8", NULL);
	if (cfg->ifname) {
		if (!cfg->ifname[0] || strlen(cfg->ifname) >= IF_NAMESIZE || strchr(cfg->ifname, '/'))
			return fail(why, whylen, -EINVAL, "ifname=%s: not a valid interface name (at most 15 characters)%s",
				    cfg->ifname, NULL);
		snprintf(t->ifname, sizeof(t->ifname), "%s", cfg->ifname);
	} else {
		snprintf(t->ifname, sizeof(t->ifname), "%s", cfg->default_name ? cfg->default_name : "kvmini-0");
	}
	/* a name that exists before we attach is not ours to remove */
	t->created = if_nametoindex(t->ifname) == 0;
	int r = 0;
	for (unsigned i = 0; i < nq && r == 0; i++)
		r = tap_attach_fd(t, nq > 1, why, whylen);
	if (r == 0)
		r = tap_link(t, cfg->bridge, why, whylen);
	if (r < 0)
		tap_close(t);
	return r;
}

int tap_set_offload(struct tap *t, unsigned flags)
{
	for (unsigned i = 0; i < t->nq; i++)
		if (ioctl(t->fds[i], TUNSETOFFLOAD, (unsigned long)flags) < 0)
			return -errno;
	return 0;
}

int tap_set_queues(struct tap *t, unsigned active)
{
	if (t->nq < 2)
		return 0;
	for (unsigned i = 0; i < t->nq; i++) {
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = i < active ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
		/* attaching an attached queue (or detaching a detached one) is EINVAL: harmless */
		if (ioctl(t->fds[i], TUNSETQUEUE, &ifr) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

void tap_close(struct tap *t)
{
	/* the kernel drops a deleted port from its bridge; an existing tap we enslaved is left alone
	 * except for leaving the bridge again */
	if (t->bridged && !t->created) {
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->bridge);
		ifr.ifr_ifindex = (int)if_nametoindex(t->ifname);
		if (s >= 0 && ifr.ifr_ifindex)
			(void)!ioctl(s, SIOCBRDELIF, &ifr);
		if (s >= 0)
			close(s);
	}
	for (unsigned i = 0; i < t->nq; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	t->nq = 0;
	t->bridged = 0;
}
