#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of initramfs-shell.cpio: an interactive busybox shell on the console
# for poking at a guest by hand; the VM powers off when the shell exits.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
hostname kvmini-guest
echo "KVMINI-SHELL: $(uname -r), cpus $(cat /sys/devices/system/cpu/online), 'poweroff -f' or exit to stop"
# cttyhack opens the real console device (e.g. ttyS0) so the shell gets job control
setsid cttyhack sh -l
poweroff -f
