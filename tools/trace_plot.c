// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini trace plot`: two panels drawn by gnuplot from data files in a temporary directory: the
 * exit rate per reason over time (100 bins), and each reason's handling-time distribution (the
 * fraction of exits handled within x ns, x logarithmic). The busiest PLOT_KEYS labels are drawn. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/trace.h"
#include "vmm/log.h"

#define PLOT_KEYS 6
#define BINS 100
#define CDF_POINTS 400

struct key {
	char name[80];
	uint64_t n;
	uint32_t *handle; /* its records' handling cycles */
	uint64_t bins[BINS];
};

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	return x->n == y->n ? strcmp(x->name, y->name) : x->n < y->n ? 1 : -1;
}

/* Collects every label's records (up to 256 labels); returns how many, -ENOMEM. */
static int collect(const struct trace *t, struct key *keys, uint64_t first, double span_ns)
{
	unsigned nk = 0;
	char buf[96];
	for (uint32_t v = 0; v < t->h.nvcpus; v++) {
		for (uint64_t i = 0; i < t->nrec[v]; i++) {
			const struct exit_rec *r = &t->rec[v][i];
			const char *name = trace_label(t, r, buf, sizeof(buf));
			unsigned k = 0;
			while (k < nk && strcmp(keys[k].name, name))
				k++;
			if (k == nk) {
				if (nk == 256)
					continue;
				snprintf(keys[nk++].name, sizeof(keys[0].name), "%s", name);
			}
			struct key *kk = &keys[k];
			if (!(kk->n & (kk->n - 1)) || !kk->n) { /* grow at powers of two */
				uint32_t *nh = realloc(kk->handle, (size_t)(kk->n ? kk->n * 2 : 16) * sizeof(*nh));
				if (!nh)
					return -ENOMEM;
				kk->handle = nh;
			}
			kk->handle[kk->n++] = r->handle;
			double at = trace_ns(t, r->tsc) - trace_ns(t, first);
			unsigned b = span_ns > 0 ? (unsigned)(at / span_ns * BINS) : 0;
			kk->bins[b >= BINS ? BINS - 1 : b]++;
		}
	}
	return (int)nk;
}

static int write_data(const char *dir, struct key *keys, unsigned n, double span_ns, double ns_per_cycle)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/rate.dat", dir);
	FILE *r = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/cdf.dat", dir);
	FILE *c = fopen(path, "w");
	if (!r || !c) {
		if (r)
			fclose(r);
		if (c)
			fclose(c);
		return -errno;
	}
	double bin_s = span_ns / BINS / 1e9;
	for (unsigned k = 0; k < n; k++) {
		for (unsigned b = 0; b < BINS; b++)
			fprintf(r, "%.9f %.3f\n", (b + 0.5) * bin_s, bin_s > 0 ? (double)keys[k].bins[b] / bin_s : 0);
		fprintf(r, "\n\n");
		qsort(keys[k].handle, keys[k].n, sizeof(uint32_t), u32_cmp);
		uint64_t step = keys[k].n / CDF_POINTS + 1;
		for (uint64_t i = 0; i < keys[k].n; i += step) {
			double ns = keys[k].handle[i] * ns_per_cycle;
			fprintf(c, "%.1f %.6f\n", ns < 1 ? 1 : ns, (double)(i + 1) / (double)keys[k].n);
		}
		double ns = keys[k].handle[keys[k].n - 1] * ns_per_cycle;
		fprintf(c, "%.1f 1\n\n\n", ns < 1 ? 1 : ns);
	}
	int bad = ferror(r) | ferror(c);
	bad |= fclose(r) | fclose(c);
	return bad ? -EIO : 0;
}

/* gnuplot quoting: the label inside single quotes, a quote doubled */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static int run_gnuplot(const char *dir, const struct key *keys, unsigned n, const char *out)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/plot.gp", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	int svg = !strcmp(out + strlen(out) - 4, ".svg");
	fprintf(f, "set terminal %s size 1200,900%s\nset output ", svg ? "svg" : "pngcairo",
		svg ? " dynamic background rgb 'white'" : " background rgb 'white'");
	put_quoted(f, out);
	fprintf(f, "\nset multiplot layout 2,1\nset grid\nset key outside right\n"
		   "set title 'exit rate per reason'\nset xlabel 'seconds since the trace started'\n"
		   "set ylabel 'exits per second'\nplot ");
	for (unsigned k = 0; k < n; k++) {
		fprintf(f, "%s'%s/rate.dat' index %u with lines lw 2 title ", k ? ", " : "", dir, k);
		put_quoted(f, keys[k].name);
	}
	fprintf(f, "\nset title 'handling time in the VMM per reason'\nset logscale x\nset xlabel 'ns'\n"
		   "set ylabel 'fraction of exits handled within'\nset yrange [0:1]\nplot ");
	for (unsigned k = 0; k < n; k++) {
		fprintf(f, "%s'%s/cdf.dat' index %u with steps lw 2 title ", k ? ", " : "", dir, k);
		put_quoted(f, keys[k].name);
	}
	fprintf(f, "\nunset multiplot\n");
	if (fclose(f))
		return -EIO;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("gnuplot", "gnuplot", path, (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		kv_log("trace plot: gnuplot not found (Debian: apt install gnuplot-nox; tools/install-deps)");
		return -ENOENT;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		kv_log("trace plot: gnuplot failed (its messages are above)");
		return -EIO;
	}
	return 0;
}

int trace_plot(const struct trace *t, const char *out)
{
	uint64_t first = UINT64_MAX, last = 0, total = 0;
	for (uint32_t v = 0; v < t->h.nvcpus; v++) {
		if (!t->nrec[v])
			continue;
		total += t->nrec[v];
		first = t->rec[v][0].tsc < first ? t->rec[v][0].tsc : first;
		last = t->rec[v][t->nrec[v] - 1].tsc > last ? t->rec[v][t->nrec[v] - 1].tsc : last;
	}
	if (!total) {
		kv_log("trace plot: the trace has no records to plot");
		return -EINVAL;
	}
	struct key *keys = calloc(256, sizeof(*keys));
	char dir[] = "/tmp/kvmini-plot-XXXXXX";
	if (!keys || !mkdtemp(dir)) {
		free(keys);
		return -ENOMEM;
	}
	double span = trace_ns(t, last) - trace_ns(t, first);
	int n = collect(t, keys, first, span), ret = n < 0 ? n : 0;
	if (n > 0) {
		qsort(keys, (size_t)n, sizeof(*keys), key_cmp);
		unsigned shown = n > PLOT_KEYS ? PLOT_KEYS : (unsigned)n;
		ret = write_data(dir, keys, shown, span, 1e6 / (double)t->h.tsc_khz);
		if (!ret)
			ret = run_gnuplot(dir, keys, shown, out);
		else
			kv_err(ret, "trace plot: data files in %s", dir);
	}
	for (int k = 0; k < n; k++)
		free(keys[k].handle);
	free(keys);
	static const char *const files[] = { "rate.dat", "cdf.dat", "plot.gp" };
	for (unsigned i = 0; i < 3; i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
	return ret;
}
