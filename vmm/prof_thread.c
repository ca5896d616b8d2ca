// SPDX-License-Identifier: GPL-2.0-or-later
/* The trace writer and --stats-interval printer. */
#include "prof_thread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "prof_report.h"
#include "size.h"
#include "trace.h"

#define DRAIN_MS 10
#define DRAIN_MAX 4096

static void write_chunk(struct prof_thread *t, unsigned v, const struct exit_rec *r, unsigned n)
{
	size_t bytes = sizeof(struct trace_chunk) + (size_t)n * sizeof(*r);
	if (t->trace_bytes + bytes > t->trace_max) {
		if (!t->cut) {
			char sz[32];
			kv_log("--trace %s: reached --trace-max %s; later exits are counted, not written", t->trace_path,
			       size_human(t->trace_max, sz, sizeof(sz)));
		}
		t->cut += n;
		return;
	}
	struct trace_chunk c = { TRACE_CHUNK_RECORDS, v, n, 0 };
	fwrite(&c, sizeof(c), 1, t->trace);
	fwrite(r, sizeof(*r), n, t->trace);
	t->trace_bytes += bytes;
	t->written[v] += n;
}

static void drain_all(struct prof_thread *t, struct exit_rec *buf)
{
	for (unsigned v = 0; v < t->p->n; v++) {
		unsigned n;
		while ((n = prof_drain(&t->p->v[v], buf, DRAIN_MAX)) > 0)
			write_chunk(t, v, buf, n);
	}
}

static void print_interval(struct prof_thread *t)
{
	struct prof_view w;
	if (prof_view_take(&w, t->p, t->pio, t->mmio))
		return;
	json_object *j = prof_view_json(&w);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_object_add(j, "timestamp", json_object_new_double((double)ts.tv_sec + ts.tv_nsec / 1e9));
	fprintf(stderr, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
	fflush(stderr);
	json_object_put(j);
	prof_view_free(&w);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *prof_thread_main(void *arg)
{
	struct prof_thread *t = arg;
	struct exit_rec *buf = malloc(DRAIN_MAX * sizeof(*buf));
	uint64_t next = mono_ms() + t->interval_ms;
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		unsigned wait_ms = t->trace ? DRAIN_MS : t->interval_ms;
		ts.tv_nsec += (long)(wait_ms % 1000) * 1000000;
		ts.tv_sec += wait_ms / 1000 + ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->lock);
		if (t->trace && buf)
			drain_all(t, buf);
		if (t->interval_ms && mono_ms() >= next) {
			print_interval(t);
			next += t->interval_ms;
		}
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	free(buf);
	return NULL;
}

int prof_thread_start(struct prof_thread *t, struct prof *p, const struct bus *pio, const struct bus *mmio,
		      const char *trace_path, uint64_t trace_max, unsigned interval_ms)
{
	memset(t, 0, sizeof(*t));
	t->p = p;
	t->pio = pio;
	t->mmio = mmio;
	t->trace_path = trace_path;
	t->trace_max = trace_max;
	t->interval_ms = interval_ms;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	t->written = calloc(p->n, sizeof(*t->written));
	if (!t->written)
		return -ENOMEM;
	if (trace_path) {
		t->trace = fopen(trace_path, "we");
		if (!t->trace) {
			int e = -errno;
			kv_err(e, "--trace %s", trace_path);
			return e;
		}
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		struct trace_hdr h = {
			.version = TRACE_VERSION,
			.header_size = TRACE_HEADER_SIZE,
			.record_size = sizeof(struct exit_rec),
			.nvcpus = p->n,
			.tsc_khz = p->tsc_khz,
			.start_tsc = p->start_tsc,
			.start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec,
		};
		memcpy(h.magic, TRACE_MAGIC, 8);
		fwrite(&h, sizeof(h), 1, t->trace);
		t->trace_bytes = sizeof(h);
	}
	if (!t->trace && !interval_ms)
		return 0;
	int ret = -pthread_create(&t->thread, NULL, prof_thread_main, t);
	if (ret)
		return ret;
	t->started = 1;
	pthread_setname_np(t->thread, "profiler");
	return 0;
}

static void write_names(FILE *f, const struct bus *b, uint8_t busno, uint32_t *count, int really)
{
	pthread_rwlock_rdlock((pthread_rwlock_t *)&b->lock);
	for (int id = 0; id < BUS_MAX_RANGES; id++) {
		if (!b->names[id])
			continue;
		(*count)++;
		if (!really)
			continue;
		size_t len = strnlen(b->names[id], 63);
		uint8_t head[16] = { busno, (uint8_t)id, (uint8_t)len, (uint8_t)(len >> 8) };
		memcpy(head + 8, &b->bases[id], 8);
		fwrite(head, sizeof(head), 1, f);
		char pad[64] = { 0 };
		memcpy(pad, b->names[id], len);
		fwrite(pad, (len + 7) & ~(size_t)7, 1, f);
	}
	pthread_rwlock_unlock((pthread_rwlock_t *)&b->lock);
}

int prof_thread_stop(struct prof_thread *t)
{
	if (!t->p)
		return 0; /* never started */
	if (t->started) {
		pthread_mutex_lock(&t->lock);
		t->stop = 1;
		pthread_cond_signal(&t->cond);
		pthread_mutex_unlock(&t->lock);
		pthread_join(t->thread, NULL);
		t->started = 0;
	}
	int ret = 0;
	if (t->trace) {
		struct exit_rec *buf = malloc(DRAIN_MAX * sizeof(*buf));
		if (buf)
			drain_all(t, buf);
		free(buf);
		uint32_t names = 0;
		write_names(t->trace, t->pio, 1, &names, 0);
		write_names(t->trace, t->mmio, 2, &names, 0);
		struct trace_chunk c = { TRACE_CHUNK_END, 0, names, 0 };
		fwrite(&c, sizeof(c), 1, t->trace);
		for (unsigned v = 0; v < t->p->n; v++) {
			uint64_t pair[2] = { t->written[v], __atomic_load_n(&t->p->v[v].ring.dropped, __ATOMIC_RELAXED) };
			fwrite(pair, sizeof(pair), 1, t->trace);
		}
		fwrite(&t->cut, sizeof(t->cut), 1, t->trace);
		names = 0;
		write_names(t->trace, t->pio, 1, &names, 1);
		write_names(t->trace, t->mmio, 2, &names, 1);
		if (ferror(t->trace) | fclose(t->trace)) {
			ret = -EIO;
			kv_log("--trace %s: write failed (disk full?)", t->trace_path);
		}
		t->trace = NULL;
	}
	free(t->written);
	t->written = NULL;
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	t->p = NULL;
	return ret;
}
