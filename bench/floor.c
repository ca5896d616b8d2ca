// SPDX-License-Identifier: GPL-2.0-or-later
/* The floor for a PIO exit round trip (vmm/floor.c: a bare KVM_RUN loop on /dev/kvm, no devices,
 * the same loop as bench/guest/pioloop.S runs in kvmini). Prints exits and ns per exit of the
 * timed run loop.
 * usage: floor [N] [PORT]   (default N=200000, PORT=0x550); KVM_DEV overrides /dev/kvm
 * Built by bench/pio.sh against build/libkvmini.a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/floor.h"

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	unsigned port = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 0x550;
	const char *dev = getenv("KVM_DEV") ? getenv("KVM_DEV") : "/dev/kvm", *why = "";
	struct floor_result r;
	int ret = kvm_floor_pio(dev, n, port, &r, &why);
	if (ret) {
		fprintf(stderr, "floor: %s: %s\n", why, strerror(-ret));
		return 1;
	}
	printf("exits %lu other %lu total_ns %.0f ns_per_exit %.1f\n", r.exits, r.other, r.total_ns, r.ns_per_exit);
	return 0;
}
