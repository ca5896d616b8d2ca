// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini trace`: a trace's summary (per vCPU, per reason and range: count and handling-time
 * percentiles; the guest's phase markers), its records as CSV, or as Chrome trace-event JSON (one
 * track per vCPU; Perfetto and chrome://tracing open it). */
#include "tools/trace.h"

#include <errno.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/hist.h"
#include "vmm/log.h"
#include "vmm/stats.h"

static void usage(FILE *f)
{
	fputs("Usage: kvmini trace FILE [--csv | --chrome OUT.json | --console SERIAL-FILE]\n"
	      "       kvmini trace plot FILE -o OUT.png|OUT.svg\n"
	      "Read an exit trace written by `kvmini run --trace FILE`.\n"
	      "\n"
	      "  (no option)      a summary: per vCPU and in total, the count and handling-time\n"
	      "                   percentiles of each exit reason and port/MMIO range, and the guest's\n"
	      "                   phase markers (writes to port 0x5fe)\n"
	      "      --csv        every record as CSV on stdout\n"
	      "      --chrome OUT write Chrome trace-event JSON (one track per vCPU) to OUT\n"
	      "      --console F  F is the run's serial output (--serial file:F): each console line with\n"
	      "                   the time its first byte left the guest, the longest gaps first (where\n"
	      "                   a boot spends its time, without printk timestamps)\n"
	      "  plot -o OUT      exit rate over time and handling-time distribution per reason,\n"
	      "                   drawn with gnuplot (PNG or SVG by OUT's suffix)\n"
	      "  -h, --help       this text\n",
	      f);
}

const char *trace_label(const struct trace *t, const struct exit_rec *r, char *buf, size_t len)
{
	int bus = r->reason == KVM_EXIT_IO ? 1 : r->reason == KVM_EXIT_MMIO ? 2 : 0;
	if (!bus)
		return stats_reason_name(r->reason);
	if (r->flags & PROF_F_MARK)
		return "mark";
	const char *n = r->dev == PROF_DEV_NONE ? NULL : trace_name_of(t, bus, r->dev, NULL);
	snprintf(buf, len, "%s %s", bus == 1 ? "pio" : "mmio", n ? n : "(unclaimed)");
	return buf;
}

#define MAX_KEYS 512

struct agg {
	char key[80];
	struct hist *h;
};

static struct hist *agg_get(struct agg *a, unsigned *n, const char *key)
{
	for (unsigned i = 0; i < *n; i++)
		if (!strcmp(a[i].key, key))
			return a[i].h;
	if (*n >= MAX_KEYS)
		return NULL;
	snprintf(a[*n].key, sizeof(a[*n].key), "%s", key);
	a[*n].h = calloc(1, sizeof(struct hist));
	return a[(*n)++].h;
}

static int agg_cmp(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;
	return a->h->sum == b->h->sum ? strcmp(a->key, b->key) : a->h->sum < b->h->sum ? 1 : -1;
}

static void print_aggs(const struct trace *t, const char *title, struct agg *a, unsigned n)
{
	qsort(a, n, sizeof(*a), agg_cmp);
	double k = 1e6 / (double)t->h.tsc_khz;
	printf("%s:\n  %-28s %10s %11s %9s %9s %9s %9s %9s\n", title, "exit", "count", "total us", "mean ns",
	       "p50 ns", "p99 ns", "p99.9 ns", "max ns");
	for (unsigned i = 0; i < n; i++) {
		const struct hist *h = a[i].h;
		printf("  %-28s %10llu %11.1f %9.0f %9.0f %9.0f %9.0f %9.0f\n", a[i].key, (unsigned long long)h->count,
		       (double)h->sum * k / 1e3, hist_mean(h) * k, (double)hist_percentile(h, 50) * k,
		       (double)hist_percentile(h, 99) * k, (double)hist_percentile(h, 99.9) * k, (double)h->max * k);
	}
}

static void free_aggs(struct agg *a, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(a[i].h);
}

static int summary(const struct trace *t)
{
	uint64_t total = 0, dropped = 0, first = UINT64_MAX, last = 0;
	for (uint32_t v = 0; v < t->h.nvcpus; v++) {
		total += t->nrec[v];
		dropped += t->dropped[v];
		if (t->nrec[v]) {
			first = t->rec[v][0].tsc < first ? t->rec[v][0].tsc : first;
			last = t->rec[v][t->nrec[v] - 1].tsc > last ? t->rec[v][t->nrec[v] - 1].tsc : last;
		}
	}
	printf("trace: %u vCPUs, %llu records over %.6f s, TSC %llu kHz\n", t->h.nvcpus, (unsigned long long)total,
	       total ? (trace_ns(t, last) - trace_ns(t, first)) / 1e9 : 0.0, (unsigned long long)t->h.tsc_khz);
	if (dropped)
		printf("note: %llu exits were not recorded: the ring was full (the writer fell behind)\n",
		       (unsigned long long)dropped);
	if (t->cut)
		printf("note: the trace was cut at --trace-max: %llu later exits are not in it\n",
		       (unsigned long long)t->cut);
	struct agg *all = calloc(MAX_KEYS, sizeof(*all)), *one = calloc(MAX_KEYS, sizeof(*one));
	if (!all || !one) {
		free(all);
		free(one);
		return -ENOMEM;
	}
	unsigned nall = 0, nmarks = 0;
	char buf[96];
	for (uint32_t v = 0; v < t->h.nvcpus; v++) {
		unsigned none = 0;
		for (uint64_t i = 0; i < t->nrec[v]; i++) {
			const struct exit_rec *r = &t->rec[v][i];
			const char *key = trace_label(t, r, buf, sizeof(buf));
			struct hist *h1 = agg_get(one, &none, key), *h2 = agg_get(all, &nall, key);
			if (h1)
				hist_add(h1, r->handle);
			if (h2)
				hist_add(h2, r->handle);
			nmarks += (r->flags & PROF_F_MARK) != 0;
		}
		if (t->h.nvcpus > 1 && none) {
			snprintf(buf, sizeof(buf), "vcpu%u (%llu records)", v, (unsigned long long)t->nrec[v]);
			print_aggs(t, buf, one, none);
		}
		free_aggs(one, none);
	}
	print_aggs(t, "total", all, nall);
	free_aggs(all, nall);
	free(all);
	free(one);
	if (nmarks) {
		printf("markers (guest writes to port %#x):\n", PROF_MARK_PORT);
		for (uint32_t v = 0; v < t->h.nvcpus; v++)
			for (uint64_t i = 0; i < t->nrec[v]; i++)
				if (t->rec[v][i].flags & PROF_F_MARK)
					printf("  %14.6f s  vcpu%u  %#llx\n", trace_ns(t, t->rec[v][i].tsc) / 1e9, v,
					       (unsigned long long)t->rec[v][i].addr);
	}
	return 0;
}

static int write_csv(const struct trace *t, FILE *f)
{
	char buf[96];
	double k = 1e6 / (double)t->h.tsc_khz;
	fprintf(f, "vcpu,time_ns,reason,label,address,size,write,marker,count,guest_ns,handling_ns\n");
	for (uint32_t v = 0; v < t->h.nvcpus; v++) {
		for (uint64_t i = 0; i < t->nrec[v]; i++) {
			const struct exit_rec *r = &t->rec[v][i];
			fprintf(f, "%u,%.0f,%s,\"%s\",%#llx,%u,%u,%u,%u,%.0f,%.0f\n", v, trace_ns(t, r->tsc),
				stats_reason_name(r->reason), trace_label(t, r, buf, sizeof(buf)),
				(unsigned long long)r->addr, r->size, r->flags & PROF_F_WRITE ? 1 : 0,
				r->flags & PROF_F_MARK ? 1 : 0, r->count, r->guest * k, r->handle * k);
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* Chrome's trace-event format: ts and dur in microseconds; an exit is a complete ("X") event over
 * its handling time on its vCPU's track, a marker an instant ("i") event. */
static int write_chrome(const struct trace *t, FILE *f)
{
	char buf[96];
	double k = 1e3 / (double)t->h.tsc_khz;
	fprintf(f, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
	fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"kvmini\"}}");
	for (uint32_t v = 0; v < t->h.nvcpus; v++)
		fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":%u,\"args\":{\"name\":\"vcpu%u\"}}", v, v);
	for (uint32_t v = 0; v < t->h.nvcpus; v++) {
		for (uint64_t i = 0; i < t->nrec[v]; i++) {
			const struct exit_rec *r = &t->rec[v][i];
			double ts = trace_ns(t, r->tsc) / 1e3;
			if (r->flags & PROF_F_MARK) {
				fprintf(f, ",\n{\"name\":\"mark %#llx\",\"cat\":\"marker\",\"ph\":\"i\",\"s\":\"p\",\"ts\":%.3f,"
					   "\"pid\":1,\"tid\":%u}",
					(unsigned long long)r->addr, ts, v);
				continue;
			}
			fprintf(f, ",\n{\"name\":\"%s\",\"cat\":\"exit\",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,"
				   "\"tid\":%u,\"args\":{\"address\":\"%#llx\",\"size\":%u,\"write\":%d,\"guest_us\":%.3f}}",
				trace_label(t, r, buf, sizeof(buf)), ts, r->handle * k, v, (unsigned long long)r->addr,
				r->size, r->flags & PROF_F_WRITE ? 1 : 0, r->guest * k);
		}
	}
	fprintf(f, "\n]}\n");
	return ferror(f) ? -EIO : 0;
}

struct cline {
	double at, gap;
	char text[100];
};

static int cline_cmp(const void *a, const void *b)
{
	const struct cline *x = a, *y = b;
	return x->gap < y->gap ? 1 : x->gap > y->gap ? -1 : 0;
}

/* The serial bytes are COM1's THR writes in order (a port write to 0x3f8 of one byte; the two
 * divisor-latch writes of the UART's setup shift the match by as many bytes, nothing more). */
static int console_lines(const struct trace *t, const char *serial)
{
	FILE *f = fopen(serial, "rb");
	if (!f) {
		kv_err(-errno, "trace: --console %s", serial);
		return -errno;
	}
	size_t cap = 1024, n = 0, used = 0;
	struct cline *l = calloc(cap, sizeof(*l));
	uint64_t k = 0;
	double prev = 0;
	int c, started = 0;
	while (l && (c = fgetc(f)) != EOF) {
		const struct exit_rec *r = NULL;
		while (k < t->nrec[0] && !r) { /* the console is vCPU 0's in a boot until SMP; enough here */
			const struct exit_rec *x = &t->rec[0][k++];
			if (x->reason == KVM_EXIT_IO && x->addr == 0x3f8 && (x->flags & PROF_F_WRITE) && x->size == 1)
				r = x;
		}
		if (!r)
			break;
		if (!started) {
			double at = trace_ns(t, r->tsc) / 1e9;
			if (n == cap) {
				struct cline *nl = realloc(l, (cap *= 2) * sizeof(*l));
				if (!nl)
					break;
				l = nl;
			}
			l[n] = (struct cline){ .at = at, .gap = n ? at - prev : at };
			prev = at;
			used = 0;
			started = 1;
		}
		if (c == '\n') {
			started = 0;
			n++;
		} else if (c != '\r' && used + 1 < sizeof(l[n].text)) {
			l[n].text[used++] = (char)c;
		}
	}
	fclose(f);
	if (started)
		n++;
	printf("console lines: %zu; the 25 longest gaps before a line (seconds since the trace started):\n", n);
	struct cline *sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (sorted) {
		memcpy(sorted, l, n * sizeof(*l));
		qsort(sorted, n, sizeof(*sorted), cline_cmp);
		for (size_t i = 0; i < n && i < 25; i++)
			printf("  %+9.3f s  at %9.3f  %s\n", sorted[i].gap, sorted[i].at, sorted[i].text);
	}
	printf("all lines:\n");
	for (size_t i = 0; i < n; i++)
		printf("  %9.3f %+9.3f  %s\n", l[i].at, l[i].gap, l[i].text);
	free(sorted);
	free(l);
	return 0;
}

static int load(struct trace *t, const char *path)
{
	char why[256];
	int ret = trace_load(t, path, why, sizeof(why));
	if (ret)
		kv_log("trace: %s: %s", path, why);
	return ret;
}

static int plot_main(int argc, char **argv)
{
	const char *out = NULL, *file = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage(stdout), 0;
		else if (argv[i][0] == '-' || file)
			return kv_log("trace plot: %s: unexpected argument (try 'kvmini trace --help')", argv[i]), 2;
		else
			file = argv[i];
	}
	size_t ol = out ? strlen(out) : 0;
	if (!file || !out || (ol < 4 || (strcmp(out + ol - 4, ".png") && strcmp(out + ol - 4, ".svg")))) {
		kv_log("trace plot: needs FILE and -o OUT.png or OUT.svg (try 'kvmini trace --help')");
		return 2;
	}
	struct trace t;
	if (load(&t, file))
		return 1;
	int ret = trace_plot(&t, out);
	trace_free(&t);
	return ret ? 1 : 0;
}

int trace_main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "plot"))
		return plot_main(argc - 1, argv + 1);
	static const struct option opts[] = {
		{ "csv", no_argument, NULL, 'c' },
		{ "chrome", required_argument, NULL, 'j' },
		{ "console", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, csv = 0;
	const char *chrome = NULL, *console = NULL;
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return usage(stdout), 0;
		if (c == 'c')
			csv = 1;
		else if (c == 'j')
			chrome = optarg;
		else if (c == 's')
			console = optarg;
		else
			return kv_log("trace: %s: %s (try 'kvmini trace --help')", argv[optind - 1],
				      c == ':' ? "needs a value" : "unknown option"),
			       2;
	}
	if (argc - optind != 1 || !!csv + !!chrome + !!console > 1) {
		kv_log("trace: %s (try 'kvmini trace --help')",
		       argc - optind != 1 ? "needs one trace FILE" : "one of --csv, --chrome, --console");
		return 2;
	}
	struct trace t;
	if (load(&t, argv[optind]))
		return 1;
	int ret;
	if (csv) {
		ret = write_csv(&t, stdout);
	} else if (console) {
		ret = console_lines(&t, console);
	} else if (chrome) {
		FILE *f = fopen(chrome, "w");
		if (!f) {
			kv_err(-errno, "trace: --chrome %s", chrome);
			trace_free(&t);
			return 1;
		}
		ret = write_chrome(&t, f);
		if (fclose(f) && !ret)
			ret = -EIO;
		if (ret)
			kv_err(ret, "trace: --chrome %s", chrome);
	} else {
		ret = summary(&t);
	}
	trace_free(&t);
	return ret ? 1 : 0;
}
