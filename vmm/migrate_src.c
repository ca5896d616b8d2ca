// SPDX-License-Identifier: GPL-2.0-or-later
/* The source side of a live migration: the migration thread (see migrate.h). */
#include "migrate.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "migrate_stream.h"

const char *mig_status_name(enum mig_status s)
{
	static const char *const n[] = { "none", "setup", "active", "device", "completed", "failed", "cancelled" };
	return s <= MIG_CANCELLED ? n[s] : "none";
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int mig_parse_uri(const char *uri, char *host, size_t hostlen, char *port, size_t portlen, const char **why)
{
	if (strncmp(uri, "tcp:", 4)) {
		*why = "expected tcp:HOST:PORT (the only transport kvmini has)";
		return -EINVAL;
	}
	const char *h = uri + 4, *colon;
	size_t hl;
	if (*h == '[') {
		const char *end = strchr(h, ']');
		if (!end || end[1] != ':') {
			*why = "expected tcp:[IPv6]:PORT";
			return -EINVAL;
		}
		h++;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(h, ':');
		hl = colon ? (size_t)(colon - h) : 0;
	}
	if (!colon || !colon[1] || hl >= hostlen || strlen(colon + 1) >= portlen) {
		*why = "expected tcp:HOST:PORT";
		return -EINVAL;
	}
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end || p == 0 || p > 65535) {
		*why = "the port is not a number from 1 to 65535";
		return -EINVAL;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	if (!hl)
		snprintf(host, hostlen, "0.0.0.0");
	snprintf(port, portlen, "%s", colon + 1);
	return 0;
}

/* ---- the connection ---- */

static void fail(struct mig_src *s, enum mig_status st, const char *fmt, const char *arg)
{
	pthread_mutex_lock(&s->lock);
	if (!s->st.error[0])
		snprintf(s->st.error, sizeof(s->st.error), fmt, arg);
	s->st.status = st;
	pthread_mutex_unlock(&s->lock);
}

static int cancelled(struct mig_src *s)
{
	return atomic_load(&s->cancel);
}

/* The target's "error: ..." line, if it sent one (it refuses the stream and closes). */
static void peer_reason(struct mig_src *s)
{
	char line[240];
	ssize_t n = recv(s->sock, line, sizeof(line) - 1, MSG_DONTWAIT);
	if (n <= 0)
		return;
	line[n] = 0;
	line[strcspn(line, "\r\n")] = 0;
	fail(s, MIG_FAILED, "the target refused it: %.200s", !strncmp(line, "error: ", 7) ? line + 7 : line);
}

static int connect_to(struct mig_src *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	int r = getaddrinfo(s->cfg.host, s->cfg.port, &hints, &ai);
	if (r) {
		fail(s, MIG_FAILED, "%s", gai_strerror(r));
		return -EHOSTUNREACH;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ret = fd < 0 ? -errno : 0;
	if (!ret && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
		ret = -errno;
	freeaddrinfo(ai);
	long long deadline = now_ms() + MIG_IO_TIMEOUT_MS;
	while (!ret) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int n = poll(&p, 1, 100);
		if (cancelled(s))
			ret = -ECANCELED;
		else if (n > 0) {
			int e = 0;
			socklen_t el = sizeof(e);
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
			ret = e ? -e : 1;
		} else if (now_ms() > deadline)
			ret = -ETIMEDOUT;
	}
	if (ret < 0) {
		if (fd >= 0)
			close(fd);
		if (ret != -ECANCELED)
			fail(s, MIG_FAILED, "cannot connect: %s", strerror(-ret));
		return ret;
	}
	int one = 1, secs = MIG_IO_TIMEOUT_MS;
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &secs, sizeof(secs)); /* unacked data: a dead peer */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->sock = fd;
	return 0;
}

struct sink {
	struct mig_src *s;
	long long t0; /* the rate limit's window */
	uint64_t sent0;
	int unlimited;
	int final; /* the guest is stopped: a cancel no longer stops the sending */
};

/* The state writer's sink: the bytes to the socket, under the bandwidth limit, within deadlines. */
static int sink_write(void *opaque, const void *buf, size_t len)
{
	struct sink *k = opaque;
	struct mig_src *s = k->s;
	const uint8_t *p = buf;
	long long deadline = now_ms() + MIG_IO_TIMEOUT_MS;
	while (len) {
		if (cancelled(s) && !k->final)
			return -ECANCELED;
		struct pollfd pf = { .fd = s->sock, .events = POLLOUT | POLLIN };
		int n = poll(&pf, 1, 100);
		if (n > 0 && (pf.revents & (POLLIN | POLLERR | POLLHUP))) {
			peer_reason(s);
			if (pf.revents & (POLLERR | POLLHUP) || s->st.error[0])
				return -ECONNRESET;
		}
		if (n > 0 && (pf.revents & POLLOUT)) {
			ssize_t w = send(s->sock, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				return -errno;
			if (w > 0) {
				p += w;
				len -= (size_t)w;
				deadline = now_ms() + MIG_IO_TIMEOUT_MS;
				pthread_mutex_lock(&s->lock);
				s->st.transferred += (uint64_t)w;
				pthread_mutex_unlock(&s->lock);
			}
		} else if (now_ms() > deadline) {
			return -ETIMEDOUT;
		}
	}
	uint64_t bw = atomic_load(&s->bandwidth);
	while (bw && !k->unlimited && !cancelled(s)) {
		/* ahead of the limit: wait (in slices, so a cancel or a new limit is seen) */
		long long due = k->t0 + (long long)((s->st.transferred - k->sent0) * 1000 / bw);
		long long left = due - now_ms();
		if (left <= 0)
			break;
		struct timespec t = { 0, (left > 100 ? 100 : left) * 1000000L };
		nanosleep(&t, NULL);
		bw = atomic_load(&s->bandwidth);
	}
	return 0;
}

/* ---- the rounds ---- */

static uint64_t popcount(const uint64_t *b, uint64_t words)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(b[i]);
	return n;
}

/* Sends the pages set in bm (clearing them), a window at a time: the window is re-protected in
 * KVM's log just before it is copied. */
static int send_pages(struct mig_src *s, struct state_writer *w, struct dirty_log *dl, uint64_t *bm, uint64_t npages,
		      uint32_t round, int skip_zero)
{
	const uint8_t *ram = s->cfg.mem->r[0].hva;
	uint64_t idx[MIG_BATCH_PAGES], words = (npages + 63) / 64;
	unsigned n = 0;
	for (uint64_t wd = 0; wd < words; wd += MIG_BATCH_PAGES / 64) {
		uint64_t nw = words - wd < MIG_BATCH_PAGES / 64 ? words - wd : MIG_BATCH_PAGES / 64;
		if (!popcount(bm + wd, nw))
			continue;
		if (dl && dirty_log_clear(dl, bm, wd, nw))
			return -EIO;
		for (uint64_t i = wd; i < wd + nw; i++) {
			while (bm[i]) {
				int b = __builtin_ctzll(bm[i]);
				bm[i] &= bm[i] - 1;
				idx[n++] = i * 64 + (uint64_t)b;
			}
		}
		unsigned sent = mig_put_pages(w, round, ram, idx, n, skip_zero);
		pthread_mutex_lock(&s->lock);
		s->st.normal += sent;
		s->st.duplicate += n - sent;
		s->st.remaining = s->st.remaining > n * (uint64_t)SNAP_PAGE ? s->st.remaining - n * (uint64_t)SNAP_PAGE : 0;
		pthread_mutex_unlock(&s->lock);
		n = 0;
		if (state_writer_err(w))
			return state_writer_err(w);
	}
	return 0;
}

/* Asks the main loop to stop the guest and waits for the state. */
static int ask_stop(struct mig_src *s, char *why, size_t whylen)
{
	pthread_mutex_lock(&s->lock);
	s->want_stop = 1;
	s->st.status = MIG_DEVICE;
	pthread_mutex_unlock(&s->lock);
	s->ops.wake(s->ops.opaque);
	pthread_mutex_lock(&s->lock);
	while (!s->stop_done)
		pthread_cond_wait(&s->cond, &s->lock);
	int ret = s->stop_ret;
	snprintf(why, whylen, "%s", s->stop_why);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int wait_ack(struct mig_src *s)
{
	char line[256];
	size_t got = 0;
	long long deadline = now_ms() + MIG_ACK_TIMEOUT_MS;
	while (got < sizeof(line) - 1 && !memchr(line, '\n', got)) {
		struct pollfd p = { .fd = s->sock, .events = POLLIN };
		int n = poll(&p, 1, 100);
		if (n > 0) {
			ssize_t k = recv(s->sock, line + got, sizeof(line) - 1 - got, 0);
			if (k <= 0) {
				fail(s, MIG_FAILED, "%s", k ? strerror(errno) : "the target closed the connection without starting the guest");
				return -ECONNRESET;
			}
			got += (size_t)k;
		} else if (now_ms() > deadline) {
			fail(s, MIG_FAILED, "%s", "the target did not confirm in time");
			return -ETIMEDOUT;
		}
	}
	line[got] = 0;
	line[strcspn(line, "\r\n")] = 0;
	if (!strcmp(line, "ok"))
		return 0;
	fail(s, MIG_FAILED, "the target refused it: %.200s", !strncmp(line, "error: ", 7) ? line + 7 : line);
	return -EREMOTEIO;
}

static void set_stats_round(struct mig_src *s, uint64_t remaining, uint64_t expect, double mbps)
{
	pthread_mutex_lock(&s->lock);
	s->st.remaining = remaining;
	s->st.expected_downtime_ms = expect;
	s->st.dirty_sync_count++;
	s->st.rounds++;
	if (mbps > 0)
		s->st.mbps = mbps;
	pthread_mutex_unlock(&s->lock);
}

static int migrate(struct mig_src *s, struct dirty_log *dl, uint64_t *pending)
{
	struct gmem *mem = s->cfg.mem;
	uint64_t npages = mem->ram_size / SNAP_PAGE, words = (npages + 63) / 64;
	char why[256];
	const char *w2 = NULL;
	int ret = connect_to(s);
	if (ret)
		return ret;
	gmem_log_set(mem, s->vmm_dirty);
	if ((ret = dirty_log_start(dl, s->cfg.vm_fd, mem, s->cfg.firmware, &w2))) {
		fail(s, MIG_FAILED, "%s", w2);
		return ret;
	}
	long long t0 = now_ms();
	pthread_mutex_lock(&s->lock);
	s->st.status = MIG_ACTIVE;
	s->st.setup_time_ms = (uint64_t)(t0 - s->pause_ms);
	s->st.remaining = mem->ram_size;
	pthread_mutex_unlock(&s->lock);
	s->ops.wake(s->ops.opaque);
	struct sink k = { .s = s, .t0 = t0, .sent0 = 0, .unlimited = s->cfg.offline };
	struct state_writer w;
	state_writer_init_sink(&w, sink_write, &k);
	mig_put_header(&w, mem->ram_size, s->cfg.run_on_target ? MIG_FLAG_RUN : 0);
	state_begin(&w, SNAP_MACHINE_ID, 0, SNAP_MACHINE_VERSION);
	state_put_bytes(&w, s->cfg.board, s->cfg.board_len);
	state_end(&w);
	uint32_t round = 0;
	if (!s->cfg.offline) {
		/* round 0: every page (the target's RAM is zero: zero pages need not go) */
		memset(pending, 0xff, words * 8);
		if (npages % 64)
			pending[words - 1] = (1ULL << (npages % 64)) - 1;
		for (;;) {
			long long r0 = now_ms();
			uint64_t sent0 = s->st.transferred;
			if ((ret = send_pages(s, &w, dl, pending, npages, round, round == 0)))
				break;
			if ((ret = dirty_log_fetch(dl, pending))) {
				fail(s, MIG_FAILED, "KVM_GET_DIRTY_LOG: %s", strerror(-ret));
				break;
			}
			round++;
			long long dt = now_ms() - r0;
			double rate = dt > 0 ? (double)(s->st.transferred - sent0) * 1000.0 / (double)dt : 0; /* bytes/s */
			uint64_t bw = atomic_load(&s->bandwidth);
			if (rate < 1e6)
				rate = bw ? (double)bw : 1e9; /* too little sent to measure */
			uint64_t left = popcount(pending, words) * SNAP_PAGE;
			uint64_t expect = (uint64_t)((double)left * 1000.0 / rate);
			set_stats_round(s, left, expect, rate * 8 / 1e6);
			if (expect <= atomic_load(&s->downtime_ms) || round >= MIG_MAX_ROUNDS || cancelled(s))
				break;
		}
	}
	if (!ret && cancelled(s))
		ret = -ECANCELED;
	if (!ret) {
		uint8_t *state = NULL;
		size_t len = 0;
		ret = ask_stop(s, why, sizeof(why));
		if (ret) {
			fail(s, MIG_FAILED, "%s", why);
		} else {
			pthread_mutex_lock(&s->lock);
			state = s->state;
			len = s->state_len;
			s->state = NULL;
			pthread_mutex_unlock(&s->lock);
			k.unlimited = k.final = 1; /* the guest is stopped: as fast as the link goes */
			if (s->cfg.offline) {
				memset(pending, 0xff, words * 8);
				if (npages % 64)
					pending[words - 1] = (1ULL << (npages % 64)) - 1;
			} else if ((ret = dirty_log_fetch(dl, pending))) {
				fail(s, MIG_FAILED, "KVM_GET_DIRTY_LOG: %s", strerror(-ret));
			}
			/* what the devices wrote, all of the migration long (they are drained now) */
			for (uint64_t i = 0; i < words; i++)
				pending[i] |= __atomic_load_n(&s->vmm_dirty[i], __ATOMIC_RELAXED);
			pthread_mutex_lock(&s->lock);
			s->st.remaining = popcount(pending, words) * SNAP_PAGE;
			pthread_mutex_unlock(&s->lock);
			if (!ret)
				ret = send_pages(s, &w, NULL, pending, npages, round, s->cfg.offline);
			if (!ret) {
				mig_put_state(&w, state, len);
				ret = state_writer_finish(&w);
			}
			free(state);
			if (!ret)
				ret = wait_ack(s);
		}
	}
	if (ret && ret != -ECANCELED)
		fail(s, MIG_FAILED, ret == -ETIMEDOUT ? "%s" : "sending: %s",
		     ret == -ETIMEDOUT ? "the target stopped answering" : strerror(-ret));
	state_writer_free(&w);
	return ret;
}

static void *thread_main(void *arg)
{
	struct mig_src *s = arg;
	struct gmem *mem = s->cfg.mem;
	uint64_t words = (mem->ram_size / SNAP_PAGE + 63) / 64;
	uint64_t *pending = calloc(words, 8);
	struct dirty_log dl = { .nslots = 0 };
	int ret = -ENOMEM;
	if (pending)
		ret = migrate(s, &dl, pending);
	else
		fail(s, MIG_FAILED, "%s", "out of memory");
	gmem_log_set(mem, NULL);
	dirty_log_stop(&dl);
	free(pending);
	if (s->sock >= 0)
		close(s->sock);
	s->sock = -1;
	pthread_mutex_lock(&s->lock);
	if (!ret) {
		s->st.status = MIG_COMPLETED;
		s->st.downtime_ms = (uint64_t)(now_ms() - s->pause_ms);
		s->st.remaining = 0;
	} else if (ret == -ECANCELED) {
		s->st.status = MIG_CANCELLED;
		if (!s->st.error[0])
			snprintf(s->st.error, sizeof(s->st.error), "by migrate_cancel");
	} else {
		s->st.status = MIG_FAILED;
	}
	s->st.total_time_ms = (uint64_t)(now_ms() - s->st.total_time_ms);
	pthread_mutex_unlock(&s->lock);
	s->ops.wake(s->ops.opaque);
	return NULL;
}

int mig_src_start(struct mig_src *s, const struct mig_src_cfg *cfg, const struct mig_src_ops *ops)
{
	uint64_t *keep = s->vmm_dirty;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->ops = *ops;
	s->sock = -1;
	atomic_store(&s->downtime_ms, cfg->downtime_ms);
	atomic_store(&s->bandwidth, cfg->bandwidth);
	uint64_t words = (cfg->mem->ram_size / SNAP_PAGE + 63) / 64;
	s->vmm_dirty = keep ? keep : calloc(words, 8);
	uint8_t *board = malloc(cfg->board_len ? cfg->board_len : 1);
	if (!s->vmm_dirty || !board) {
		free(board);
		return -ENOMEM;
	}
	memset(s->vmm_dirty, 0, words * 8);
	memcpy(board, cfg->board, cfg->board_len);
	s->cfg.board = board;
	pthread_mutex_init(&s->lock, NULL); /* s is zeroed between migrations, never locked then */
	pthread_cond_init(&s->cond, NULL);
	s->st.status = MIG_SETUP;
	s->st.total = cfg->mem->ram_size;
	s->st.total_time_ms = (uint64_t)now_ms(); /* the start, until the end makes it a duration */
	s->pause_ms = now_ms();
	int r = pthread_create(&s->thread, NULL, thread_main, s);
	if (r) {
		free(board);
		s->cfg.board = NULL;
		return -r;
	}
	s->started = 1;
	return 0;
}

int mig_src_serve_stop(struct mig_src *s)
{
	pthread_mutex_lock(&s->lock);
	int want = s->want_stop && !s->stop_done;
	pthread_mutex_unlock(&s->lock);
	if (!want)
		return 0;
	uint8_t *state = NULL;
	size_t len = 0;
	char why[256] = "";
	long long t = now_ms();
	int ret = s->ops.stop(s->ops.opaque, &state, &len, why, sizeof(why));
	pthread_mutex_lock(&s->lock);
	s->pause_ms = t;
	s->stop_ret = ret;
	s->state = state;
	s->state_len = len;
	snprintf(s->stop_why, sizeof(s->stop_why), "%s", why);
	s->stop_done = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return 1;
}

int mig_src_finished(struct mig_src *s)
{
	pthread_mutex_lock(&s->lock);
	enum mig_status st = s->st.status;
	pthread_mutex_unlock(&s->lock);
	return st == MIG_COMPLETED || st == MIG_FAILED || st == MIG_CANCELLED;
}

void mig_src_cancel(struct mig_src *s)
{
	atomic_store(&s->cancel, 1);
}

void mig_src_stats(struct mig_src *s, struct mig_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->st;
	int running = !(out->status == MIG_COMPLETED || out->status == MIG_FAILED || out->status == MIG_CANCELLED);
	if (running)
		out->total_time_ms = (uint64_t)(now_ms() - (long long)s->st.total_time_ms);
	pthread_mutex_unlock(&s->lock);
}

void mig_src_join(struct mig_src *s)
{
	if (!s->started)
		return;
	/* a stop asked for while the machine goes away: answer it, failed */
	pthread_mutex_lock(&s->lock);
	if (s->want_stop && !s->stop_done) {
		s->stop_ret = -ECANCELED;
		snprintf(s->stop_why, sizeof(s->stop_why), "the VM is going away");
		s->stop_done = 1;
		pthread_cond_signal(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	s->started = 0; /* the stats stay for query-migrate */
	free((void *)s->cfg.board);
	s->cfg.board = NULL;
	free(s->state);
	s->state = NULL;
}

void mig_src_free(struct mig_src *s)
{
	mig_src_join(s);
	free(s->vmm_dirty);
	s->vmm_dirty = NULL;
}
