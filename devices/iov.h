/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Scatter-gather helpers over struct iovec, shared by the disk layer and the storage controllers
 * (virtio-blk today; SCSI and ATA next): one copy of each, so a slice means the same everywhere. */
#ifndef KVMINI_DEVICES_IOV_H
#define KVMINI_DEVICES_IOV_H
#include <stddef.h>
#include <sys/uio.h>

size_t iov_size(const struct iovec *iov, int n);
void iov_to_buf(const struct iovec *iov, int n, size_t skip, void *buf, size_t len);
void iov_from_buf(const struct iovec *iov, int n, size_t skip, const void *buf, size_t len);
void iov_zero(const struct iovec *iov, int n, size_t skip, size_t len);
/* The part [skip, skip+len) of iov as a new vector in out (room for n entries); returns its count. */
int iov_slice(const struct iovec *iov, int n, size_t skip, size_t len, struct iovec *out);

#endif
