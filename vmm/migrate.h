/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Live migration (pre-copy) over TCP, both ends, independent of the machine: the source's
 * migration thread (rounds of dirty pages while the guest runs, then the final stop-and-copy), the
 * target's receiving thread, and the URI they share ("tcp:HOST:PORT"). Stream: migrate_stream.h.
 *
 * Source: mig_src_start runs the thread. It connects, turns on dirty logging (KVM's log for vCPU
 * writes, gmem's bitmap for the VMM's), sends the board and every non-zero page, then rounds of
 * the pages dirtied meanwhile, until the pages left fit the downtime limit at the rate measured
 * (or MIG_MAX_ROUNDS passed, or the guest is paused). Then it asks the machine to stop the guest
 * (the "stop" callback, run on the machine's main loop: pause vCPUs, drain devices, flush disks,
 * return the state stream), sends the last pages and the state, and waits for the target's "ok".
 * It never touches a vCPU or a device itself. Then "done" is called (on the thread): status
 * COMPLETED (the source should exit) or FAILED/CANCELLED (it should resume). The thread is
 * joined by mig_src_join on the main loop.
 *
 * Every wait of the thread has a deadline (a dead peer is found within MIG_IO_TIMEOUT_MS) and
 * looks at the cancel flag at least every 100 ms. */
#ifndef KVMINI_MIGRATE_H
#define KVMINI_MIGRATE_H
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "dirty_log.h"
#include "gmem.h"
#include "migrate_stream.h"

#define MIG_MAX_ROUNDS 30
#define MIG_IO_TIMEOUT_MS 10000
#define MIG_ACK_TIMEOUT_MS 60000 /* the target restores before it answers */
#define MIG_DEFAULT_DOWNTIME_MS 300
#define MIG_DEFAULT_BANDWIDTH (128ull << 20) /* bytes/s: QEMU's default max-bandwidth */

enum mig_status { MIG_NONE, MIG_SETUP, MIG_ACTIVE, MIG_DEVICE, MIG_COMPLETED, MIG_FAILED, MIG_CANCELLED };
const char *mig_status_name(enum mig_status s);

/* "tcp:HOST:PORT" (HOST may be [v6]): 0, or -EINVAL with why. */
int mig_parse_uri(const char *uri, char *host, size_t hostlen, char *port, size_t portlen, const char **why);

/* What query-migrate shows (copied out under the lock). */
struct mig_stats {
	enum mig_status status;
	uint64_t transferred, remaining, total, duplicate, normal, dirty_sync_count, rounds;
	uint64_t expected_downtime_ms, downtime_ms, total_time_ms, setup_time_ms;
	double mbps;
	char error[300];
};

struct mig_src;
struct mig_src_ops {
	/* On the main loop (the thread waits for it): stop the guest and its devices, mark what
	 * they wrote (virtio rings) and build the state stream (*state malloc'd). 0 or -errno + why. */
	int (*stop)(void *opaque, uint8_t **state, size_t *len, char *why, size_t whylen);
	/* On the thread: wake the main loop, which then calls mig_src_serve_stop and, once the
	 * status is final, mig_src_join. */
	void (*wake)(void *opaque);
	void *opaque;
};

struct mig_src_cfg {
	char host[256], port[32];
	const uint8_t *board; /* the "machine" payload (copied) */
	size_t board_len;
	int vm_fd;
	struct gmem *mem; /* RAM: one host mapping from mem->r[0].hva, ram_size long */
	int firmware; /* low RAM's KVM slots as for a BIOS (vm_mem_cfg.firmware; dirty_log_start) */
	int offline; /* stop first, one pass */
	int run_on_target; /* MIG_FLAG_RUN */
	uint64_t downtime_ms, bandwidth; /* bandwidth in bytes/s, 0 = unlimited */
};

struct mig_src {
	struct mig_src_cfg cfg;
	struct mig_src_ops ops;
	pthread_t thread;
	int started;
	atomic_int cancel;
	atomic_ullong downtime_ms, bandwidth;
	pthread_mutex_t lock; /* the stats and the stop hand-over */
	pthread_cond_t cond;
	struct mig_stats st;
	/* the stop hand-over: the thread sets want_stop and waits for stop_done */
	int want_stop, stop_done, stop_ret;
	uint8_t *state;
	size_t state_len;
	char stop_why[256];
	long long pause_ms; /* when the guest was stopped (downtime starts) */
	/* kept until mig_src_free: a device thread may still mark into an old bitmap */
	uint64_t *vmm_dirty;
	int sock;
};

/* Starts the thread (cfg and ops copied). 0 or -errno. */
int mig_src_start(struct mig_src *s, const struct mig_src_cfg *cfg, const struct mig_src_ops *ops);
/* The main loop's side of the stop: does it when the thread asks (1 if it asked). */
int mig_src_serve_stop(struct mig_src *s);
/* 1 once the thread has finished (the status is final). */
int mig_src_finished(struct mig_src *s);
void mig_src_cancel(struct mig_src *s);
void mig_src_stats(struct mig_src *s, struct mig_stats *out);
/* Joins a finished (or cancelled) thread. */
void mig_src_join(struct mig_src *s);
void mig_src_free(struct mig_src *s);

/* ---- target ----
 * mig_listen binds (before the board is built, so a port in use is one line); mig_dst_start runs
 * the receiving thread: it accepts one connection, reads the stream into RAM (mig_receive) and
 * calls wake. The main loop then restores in->state and answers with mig_dst_answer. */

int mig_listen(const char *uri, int *fd, char *why, size_t whylen);

struct mig_dst {
	int lfd, sock;
	pthread_t thread;
	int started;
	atomic_int cancel, done;
	struct mig_in in; /* read/opaque are set by mig_dst_start */
	int ret;
	char why[256];
	char peer[80];
	long long t0, t1; /* connection accepted, stream complete (ms) */
	void (*wake)(void *opaque);
	void *wake_opaque;
};

/* in: ram, ram_size, board_ok (+opaque); lfd is taken over. 0 or -errno. */
int mig_dst_start(struct mig_dst *d, int lfd, const struct mig_in *in, void (*wake)(void *), void *opaque);
/* "ok" (why NULL) or "error: why" to the source, and the connection closed. */
void mig_dst_answer(struct mig_dst *d, const char *why);
/* Stops a thread still waiting and joins it; frees what it received. */
void mig_dst_stop(struct mig_dst *d);

#endif
