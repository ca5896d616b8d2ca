// SPDX-License-Identifier: GPL-2.0-or-later
/* nbd: a disk that is an export of an NBD server (shared storage: both ends of a migration open the
 * same one), through libnbd. The export is used raw. Only nbd://HOST[:PORT]/EXPORT and
 * nbd+unix:///EXPORT?socket=PATH are taken (no TLS, vsock or local-command forms).
 *
 * Two paths over one connection. The synchronous ops (kvmini img, the fallbacks) block in libnbd.
 * The disk_aio path never blocks: commands go out with libnbd's asynchronous calls, the socket is a
 * source on the owning context's epoll (aio_int.h) with the direction libnbd wants, and the replies
 * are read when it is ready, on that thread. libnbd runs completion callbacks with its handle lock
 * held, so they only queue the command on a list; the list is worked off after libnbd returns.
 * Don't mix the two while requests are in flight (the sync calls would read their replies).
 *
 * A lost connection (server gone, reset, or a drain that waited 30 s for a reply, after
 * which the socket is shut down) fails every pending and later request with -EIO and is logged once;
 * there is no reconnect. */
#include "aio_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libnbd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmm/log.h"

#define NBD_MAX_RW (32u << 20)    /* bytes per read/write command: what servers take by default */
#define NBD_MAX_RANGE (1u << 30)  /* per trim/zero command (the protocol's limit is 4 GiB - 1) */
#define NBD_ZEROS (1u << 20)      /* zeroing by writes, for servers without NBD_CMD_WRITE_ZEROES */
#define NBD_CONNECT_MS 10000

struct nbd_disk;

/* One NBD command of a request. */
struct nbd_op {
	struct nbd_disk *n;
	struct disk_aio *q;
	struct disk_req *r;
	uint8_t *bounce; /* a read or write over several segments: one contiguous buffer */
	size_t skip, len; /* a bounced read: where it goes in r's iov */
	int err;          /* errno the command ended with */
	bool ended;
	struct nbd_op *next;
};

struct nbd_disk {
	struct disk d;
	struct nbd_handle *h;
	struct aio_src src; /* src.fd: our dup of libnbd's socket (-1 once lost) */
	struct nbd_op *done, *done_tail; /* ended inside libnbd, to finish outside it */
	unsigned inflight;               /* commands issued, not finished */
	size_t max_rw;
	bool can_flush, can_trim, can_zero;
	bool lost;
	_Atomic bool lost_logged;
	void *zeros;
};

static struct nbd_disk *nbd_of(struct disk *d) { return (struct nbd_disk *)d; }

static bool uri_has(const char *uri, const char *prefix)
{
	return !strncmp(uri, prefix, strlen(prefix));
}

int disk_nbd_uri(const char *path, const char **why)
{
	const char *colon = strchr(path, ':');
	size_t slen = colon ? (size_t)(colon - path) : 0;
	bool scheme = slen && !strncmp(colon, "://", 3);
	for (size_t i = 0; scheme && i < slen; i++) /* RFC 3986: ALPHA *( ALPHA / DIGIT / + - . ) */
		scheme = (path[i] >= 'a' && path[i] <= 'z') || (path[i] >= 'A' && path[i] <= 'Z') ||
		         (i && ((path[i] >= '0' && path[i] <= '9') || strchr("+-.", path[i])));
	if (!scheme)
		return 0; /* a file path */
	const char *bad = NULL;
	if (!uri_has(path, "nbd://") && !uri_has(path, "nbd+unix://"))
		bad = "unsupported URI (only nbd://HOST[:PORT]/EXPORT and nbd+unix:///EXPORT?socket=PATH)";
	for (const char *p = path; !bad && *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			bad = "NBD URI with a space or control character (percent-encode it)";
	if (!bad && uri_has(path, "nbd+unix://")) {
		const char *q = strchr(path, '?');
		if (strncmp(path, "nbd+unix:///", 12))
			bad = "nbd+unix:// takes no host: nbd+unix:///EXPORT?socket=PATH";
		else if (!q || (strncmp(q, "?socket=", 8) && !strstr(q, "&socket=")))
			bad = "nbd+unix:// needs ?socket=PATH";
	} else if (!bad && path[6] == '/') {
		bad = "nbd:// needs a host: nbd://HOST[:PORT]/EXPORT";
	}
	if (bad && why)
		*why = bad;
	return bad ? -EINVAL : 1;
}

/* Once per disk, from any thread. */
static void log_lost(struct nbd_disk *n)
{
	if (!atomic_exchange(&n->lost_logged, true))
		kv_log("%s: connection to the NBD server lost: disk requests fail with I/O errors",
		       n->d.path ? n->d.path : "nbd");
}

static bool conn_gone(struct nbd_disk *n)
{
	return n->lost || nbd_aio_is_dead(n->h) || nbd_aio_is_closed(n->h);
}

/* The owning thread's view: stop watching the socket; commands still in libnbd end with errors. */
static void lose(struct nbd_disk *n)
{
	log_lost(n);
	n->lost = true;
	aio_src_detach(&n->src);
	if (n->src.fd >= 0)
		close(n->src.fd);
	n->src.fd = -1;
}

/* An error of a command: a gone connection is an I/O error whatever libnbd called it. */
static int cmd_err(struct nbd_disk *n, int err)
{
	if (!err)
		return 0;
	if (conn_gone(n) || err == ENOTCONN || err == ESHUTDOWN || err == ECONNRESET || err == EPIPE)
		return -EIO;
	return -err;
}

/* Sync ops on a connection known to be gone fail before libnbd is asked. */
static int sync_gone(struct nbd_disk *n)
{
	if (!conn_gone(n))
		return 0;
	log_lost(n);
	return -EIO;
}

static int sync_err(struct nbd_disk *n)
{
	int e = cmd_err(n, nbd_get_errno() ? nbd_get_errno() : EIO);
	if (conn_gone(n))
		log_lost(n);
	return e;
}

/* --- synchronous ops --- */

static int sync_rw(struct disk *d, uint64_t off, const struct iovec *iov, int niov, bool wr)
{
	struct nbd_disk *n = nbd_of(d);
	int e = sync_gone(n);
	for (int i = 0; i < niov && !e; i++)
		for (size_t done = 0; done < iov[i].iov_len;) {
			size_t l = iov[i].iov_len - done < n->max_rw ? iov[i].iov_len - done : n->max_rw;
			char *p = (char *)iov[i].iov_base + done;
			if ((wr ? nbd_pwrite(n->h, p, l, off, 0) : nbd_pread(n->h, p, l, off, 0)) < 0)
				return sync_err(n);
			done += l;
			off += l;
		}
	return e;
}

static int nd_readv(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len)
{
	return sync_rw(d, off, iov, n, false);
}

static int nd_writev(struct disk *d, uint64_t off, const struct iovec *iov, int n, size_t len)
{
	return sync_rw(d, off, iov, n, true);
}

static int nd_flush(struct disk *d)
{
	struct nbd_disk *n = nbd_of(d);
	int e = sync_gone(n);
	return !e && n->can_flush && nbd_flush(n->h, 0) < 0 ? sync_err(n) : e;
}

/* Trim or zero [off, off+len) in commands of NBD_MAX_RANGE, or zero it by writes. */
static int sync_range(struct nbd_disk *n, enum disk_op op, uint64_t off, uint64_t len, bool may_unmap)
{
	bool by_writes = op == DISK_OP_WRITE_ZEROES && !n->can_zero;
	uint64_t max = by_writes ? NBD_ZEROS : NBD_MAX_RANGE;
	int e = sync_gone(n);
	for (uint64_t done = 0; done < len && !e;) {
		uint64_t l = len - done < max ? len - done : max;
		int r = by_writes ? nbd_pwrite(n->h, n->zeros, l, off + done, 0)
		        : op == DISK_OP_DISCARD
		            ? nbd_trim(n->h, l, off + done, 0)
		            : nbd_zero(n->h, l, off + done, may_unmap ? 0 : LIBNBD_CMD_FLAG_NO_HOLE);
		if (r < 0)
			return sync_err(n);
		done += l;
	}
	return e;
}

/* Discard is advisory: an export without trim keeps the data. */
static int nd_discard(struct disk *d, uint64_t off, uint64_t len)
{
	struct nbd_disk *n = nbd_of(d);
	return n->can_trim ? sync_range(n, DISK_OP_DISCARD, off, len, true) : sync_gone(n);
}

static int nd_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool may_unmap)
{
	return sync_range(nbd_of(d), DISK_OP_WRITE_ZEROES, off, len, may_unmap);
}

/* --- the disk_aio path --- */

/* libnbd's completion callback (its lock held: queue only). */
static int op_ended(void *user_data, int *error)
{
	struct nbd_op *op = user_data;
	struct nbd_disk *n = op->n;
	op->err = *error;
	op->ended = true;
	op->next = NULL;
	if (n->done_tail)
		n->done_tail->next = op;
	else
		n->done = op;
	n->done_tail = op;
	return 1; /* retire the command */
}

static void op_finish(struct nbd_op *op)
{
	struct nbd_disk *n = op->n;
	int ret = cmd_err(n, op->err);
	if (!ret && op->bounce && op->r->op == DISK_OP_READ)
		iov_from_buf(op->r->iov, op->r->niov, op->skip, op->bounce, op->len);
	n->inflight--;
	aio_part_end(op->q, op->r, ret);
	free(op->bounce);
	free(op);
}

/* After every call into libnbd: notice a lost connection, watch what libnbd waits for, finish what
 * ended. Finishing may submit (a held flush) and so come back here: the list is popped one by one. */
static void pump(struct nbd_disk *n)
{
	if (!n->lost && conn_gone(n))
		lose(n);
	if (!n->lost) {
		unsigned dir = nbd_aio_get_direction(n->h);
		aio_src_watch(&n->src, (dir & LIBNBD_AIO_DIRECTION_READ ? EPOLLIN : 0) |
		                           (dir & LIBNBD_AIO_DIRECTION_WRITE ? EPOLLOUT : 0));
	}
	while (n->done) {
		struct nbd_op *op = n->done;
		n->done = op->next;
		if (!n->done)
			n->done_tail = NULL;
		op_finish(op);
	}
}

static void src_ready(struct aio_src *s, uint32_t revents)
{
	struct nbd_disk *n = (struct nbd_disk *)((char *)s - offsetof(struct nbd_disk, src));
	if (!revents) { /* a drain waited its stall time: stop waiting for this server */
		kv_log("%s: the NBD server stopped answering: dropping the connection",
		       n->d.path ? n->d.path : "nbd");
		shutdown(s->fd, SHUT_RDWR);
		revents = EPOLLIN | EPOLLHUP; /* libnbd reads the end of the stream and fails the rest */
	}
	uint32_t anything = EPOLLHUP | EPOLLERR;
	if ((revents & (EPOLLIN | anything)) &&
	    (nbd_aio_get_direction(n->h) & LIBNBD_AIO_DIRECTION_READ))
		nbd_aio_notify_read(n->h);
	if ((revents & (EPOLLOUT | anything)) && !conn_gone(n) &&
	    (nbd_aio_get_direction(n->h) & LIBNBD_AIO_DIRECTION_WRITE))
		nbd_aio_notify_write(n->h);
	pump(n);
}

static unsigned src_busy(const struct aio_src *s)
{
	return ((const struct nbd_disk *)((const char *)s - offsetof(struct nbd_disk, src)))->inflight;
}

/* The one segment that holds [skip, skip+len) of iov, or NULL if it spans several. */
static void *contiguous(const struct iovec *iov, int n, size_t skip, size_t len)
{
	for (int i = 0; i < n; i++) {
		if (skip < iov[i].iov_len)
			return iov[i].iov_len - skip >= len ? (char *)iov[i].iov_base + skip : NULL;
		skip -= iov[i].iov_len;
	}
	return NULL;
}

/* Issues one command of r: len bytes at off (for READ/WRITE from r's iov at skip, or from buf). */
static void issue(struct nbd_disk *n, struct disk_aio *q, struct disk_req *r, enum disk_op op,
                  uint64_t off, size_t skip, uint64_t len, const void *buf)
{
	struct nbd_op *o = calloc(1, sizeof(*o));
	if (!o) {
		aio_req_err(r, -ENOMEM);
		return;
	}
	*o = (struct nbd_op){ .n = n, .q = q, .r = r, .skip = skip, .len = (size_t)len };
	bool rw = op == DISK_OP_READ || op == DISK_OP_WRITE;
	void *p = buf ? (void *)buf : rw ? contiguous(r->iov, r->niov, skip, (size_t)len) : NULL;
	if (rw && !p) {
		if (!(p = o->bounce = malloc((size_t)len))) {
			free(o);
			aio_req_err(r, -ENOMEM);
			return;
		}
		if (op == DISK_OP_WRITE)
			iov_to_buf(r->iov, r->niov, skip, o->bounce, (size_t)len);
	}
	aio_part_begin(r);
	n->inflight++;
	nbd_completion_callback cb = { .callback = op_ended, .user_data = o };
	int64_t c = -1;
	if (!n->lost) {
		switch (op) {
		case DISK_OP_READ: c = nbd_aio_pread(n->h, p, (size_t)len, off, cb, 0); break;
		case DISK_OP_WRITE: c = nbd_aio_pwrite(n->h, p, (size_t)len, off, cb, 0); break;
		case DISK_OP_FLUSH: c = nbd_aio_flush(n->h, cb, 0); break;
		case DISK_OP_DISCARD: c = nbd_aio_trim(n->h, len, off, cb, 0); break;
		case DISK_OP_WRITE_ZEROES:
			c = nbd_aio_zero(n->h, len, off, cb, r->may_unmap ? 0 : LIBNBD_CMD_FLAG_NO_HOLE);
			break;
		}
	}
	if (c < 0 && !o->ended) { /* never queued: libnbd won't call back */
		o->err = n->lost ? EIO : nbd_get_errno() ? nbd_get_errno() : EIO;
		op_ended(o, &o->err);
	}
}

/* [off, off+len) in commands of at most max bytes (buf: one buffer for all, the zeros). */
static void issue_split(struct nbd_disk *n, struct disk_aio *q, struct disk_req *r, enum disk_op op,
                        uint64_t len, uint64_t max, const void *buf)
{
	for (uint64_t done = 0; done < len;) {
		uint64_t l = len - done < max ? len - done : max;
		issue(n, q, r, op, r->off + done, (size_t)done, l, buf);
		done += l;
	}
}

static void nd_aio_submit(struct disk *d, struct disk_aio *q, struct disk_req *r)
{
	struct nbd_disk *n = nbd_of(d);
	if (n->lost) {
		aio_req_err(r, -EIO);
		return;
	}
	int e = aio_src_attach(q, &n->src);
	if (e < 0) {
		kv_err(e, "%s: NBD disk on a second request queue", d->path ? d->path : "nbd");
		aio_req_err(r, e);
		return;
	}
	switch (r->op) {
	case DISK_OP_READ:
	case DISK_OP_WRITE:
		issue_split(n, q, r, r->op, iov_size(r->iov, r->niov), n->max_rw, NULL);
		break;
	case DISK_OP_FLUSH:
		if (n->can_flush)
			issue(n, q, r, DISK_OP_FLUSH, 0, 0, 0, NULL);
		break;
	case DISK_OP_DISCARD:
		if (n->can_trim)
			issue_split(n, q, r, DISK_OP_DISCARD, r->len, NBD_MAX_RANGE, NULL);
		break;
	case DISK_OP_WRITE_ZEROES:
		if (n->can_zero)
			issue_split(n, q, r, DISK_OP_WRITE_ZEROES, r->len, NBD_MAX_RANGE, NULL);
		else
			issue_split(n, q, r, DISK_OP_WRITE, r->len, NBD_ZEROS, n->zeros);
		break;
	}
	pump(n);
}

static void nd_close(struct disk *d)
{
	struct nbd_disk *n = nbd_of(d);
	aio_src_detach(&n->src);
	if (n->src.fd >= 0)
		close(n->src.fd);
	/* a polite NBD_CMD_DISC if the socket takes it now; nbd_shutdown would wait for the server */
	if (!conn_gone(n))
		nbd_aio_disconnect(n->h, 0);
	nbd_close(n->h); /* ends (and calls back) whatever is left: no context to finish it on */
	while (n->done) {
		struct nbd_op *op = n->done;
		n->done = op->next;
		free(op->bounce);
		free(op);
	}
	free(n->zeros);
	free(n);
}

static const struct disk_ops nbd_ops = {
	.readv = nd_readv,
	.writev = nd_writev,
	.flush = nd_flush,
	.discard = nd_discard,
	.write_zeroes = nd_write_zeroes,
	.close = nd_close,
	.aio_submit = nd_aio_submit,
	.aio_no_ring = true,
};

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Connects within NBD_CONNECT_MS (a silent host must not hold `kvmini run` forever). */
static int nd_connect(struct nbd_handle *h, const char *uri, const char **why)
{
	if (nbd_set_uri_allow_transports(h, LIBNBD_ALLOW_TRANSPORT_TCP | LIBNBD_ALLOW_TRANSPORT_UNIX) < 0 ||
	    nbd_set_uri_allow_tls(h, LIBNBD_TLS_DISABLE) < 0 || nbd_set_pread_initialize(h, false) < 0)
		return -(nbd_get_errno() ? nbd_get_errno() : EINVAL);
	if (nbd_aio_connect_uri(h, uri) < 0) {
		int e = nbd_get_errno();
		if (why && (e == EINVAL || e == ENOTSUP || !e))
			*why = "malformed NBD URI";
		return -(e ? e : EINVAL);
	}
	int64_t end = now_ms() + NBD_CONNECT_MS;
	while (nbd_aio_is_connecting(h)) {
		int64_t left = end - now_ms();
		int r = left > 0 ? nbd_poll(h, (int)left) : 0;
		if (r < 0)
			break;
		if (r == 0 && now_ms() >= end) {
			if (why)
				*why = "the NBD server did not answer within 10 s";
			return -ETIMEDOUT;
		}
	}
	if (nbd_aio_is_ready(h))
		return 0;
	int e = nbd_get_errno();
	if (why && (e == ENOENT || e == EINVAL) && nbd_aio_is_dead(h))
		*why = "the NBD server refused the export (no such export?)";
	return -(e ? e : EIO);
}

int nbd_disk_open(struct disk **out, const char *uri, const struct disk_opts *o, const char **why)
{
	if (o->format == DISK_FMT_QCOW2) {
		if (why)
			*why = "an NBD export is used raw (format=qcow2 is not supported over NBD)";
		return -EINVAL;
	}
	struct nbd_disk *n = calloc(1, sizeof(*n));
	if (!n || !(n->h = nbd_create()) || !(n->zeros = calloc(1, NBD_ZEROS))) {
		if (n && n->h)
			nbd_close(n->h);
		free(n);
		return -ENOMEM;
	}
	n->src.fd = -1;
	int r = nd_connect(n->h, uri, why);
	int64_t size = r ? -1 : nbd_get_size(n->h);
	if (!r && size < 0)
		r = -(nbd_get_errno() ? nbd_get_errno() : EIO);
	if (!r && (n->src.fd = fcntl(nbd_aio_get_fd(n->h), F_DUPFD_CLOEXEC, 0)) < 0)
		r = -errno;
	if (r) {
		n->lost = true; /* nothing to say goodbye to */
		nd_close(&n->d);
		return r;
	}
	int64_t max = nbd_get_block_size(n->h, LIBNBD_SIZE_MAXIMUM);
	n->max_rw = max >= 512 && max < NBD_MAX_RW ? (size_t)max : NBD_MAX_RW;
	n->can_flush = nbd_can_flush(n->h) == 1;
	n->can_trim = nbd_can_trim(n->h) == 1;
	n->can_zero = nbd_can_zero(n->h) == 1;
	n->src.events = EPOLLIN;
	n->src.ready = src_ready;
	n->src.busy = src_busy;
	n->d.ops = &nbd_ops;
	n->d.format = "raw";
	n->d.size = (uint64_t)size;
	n->d.read_only = o->read_only;
	if (nbd_is_read_only(n->h) == 1 && !o->read_only) {
		kv_log("%s: the NBD export is read-only: the disk is read-only", uri);
		n->d.read_only = true;
	}
	*out = &n->d;
	return 0;
}
