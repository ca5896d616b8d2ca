// SPDX-License-Identifier: GPL-2.0-or-later
/* The exit profiler's reports: one list of rows per vCPU and in total (exit reasons, then ports
 * and MMIO ranges), sorted by the VMM's handling time, in the table, CSV, JSON and .hgrm forms. */
#include "prof_report.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct row {
	const char *kind; /* exit, pio, mmio */
	const char *name;
	uint64_t addr;
	const struct hist *h;
};

#define MAX_ROWS (STATS_REASONS + 2 * (BUS_MAX_RANGES + 1))

#define KCOUNT_FIELDS X(exits) X(io_exits) X(mmio_exits) X(halt_exits) X(irq_exits) X(insn_emulation) \
	X(hypercalls) X(halt_wait_ns)

static void kcounts_sub(struct kvm_exit_counts *a, const struct kvm_exit_counts *b)
{
#define X(f) a->f -= b->f;
	KCOUNT_FIELDS
#undef X
	for (unsigned i = 0; i < a->hist_n && i < b->hist_n; i++)
		a->halt_wait_hist[i] -= b->halt_wait_hist[i];
}

static void kcounts_add(struct kvm_exit_counts *a, const struct kvm_exit_counts *b)
{
#define X(f) a->f += b->f;
	KCOUNT_FIELDS
#undef X
	for (unsigned i = 0; i < b->hist_n; i++)
		a->halt_wait_hist[i] += b->halt_wait_hist[i];
	if (a->hist_n < b->hist_n)
		a->hist_n = b->hist_n;
	a->have |= b->have;
}

static void sum_into(struct prof_vcpu *t, const struct prof_vcpu *v)
{
	for (unsigned i = 0; i < STATS_REASONS; i++)
		hist_merge(&t->reason[i], &v->reason[i]);
	for (unsigned i = 0; i <= BUS_MAX_RANGES; i++) {
		hist_merge(&t->pio[i], &v->pio[i]);
		hist_merge(&t->mmio[i], &v->mmio[i]);
	}
	t->guest_cycles += v->guest_cycles;
	t->handle_cycles += v->handle_cycles;
	t->ring.dropped += v->ring.dropped;
}

int prof_view_take(struct prof_view *w, const struct prof *p, const struct bus *pio, const struct bus *mmio)
{
	memset(w, 0, sizeof(*w));
	w->v = calloc(p->n + 1, sizeof(*w->v));
	w->k = calloc(p->n + 1, sizeof(*w->k));
	if (!w->v || !w->k) {
		prof_view_free(w);
		return -ENOMEM;
	}
	w->n = p->n;
	w->tsc_khz = p->tsc_khz;
	w->pio = pio;
	w->mmio = mmio;
	pthread_mutex_lock((pthread_mutex_t *)&p->kbase_lock);
	for (unsigned i = 0; i < p->n; i++) {
		prof_vcpu_read(p, &p->v[i], &w->v[i]);
		if (p->ks && p->ks[i].fd >= 0 && !kvmstats_exit_counts(&p->ks[i], &w->k[i]))
			kcounts_sub(&w->k[i], &p->kbase[i]);
	}
	pthread_mutex_unlock((pthread_mutex_t *)&p->kbase_lock);
	w->now_tsc = prof_now();
	struct prof_vcpu *t = &w->v[p->n];
	for (unsigned i = 0; i < p->n; i++) {
		sum_into(t, &w->v[i]);
		kcounts_add(&w->k[p->n], &w->k[i]);
		uint64_t from = w->v[i].reset_tsc > w->v[i].first_tsc ? w->v[i].reset_tsc : w->v[i].first_tsc;
		if (from && w->now_tsc - from > w->wall_cycles)
			w->wall_cycles = w->now_tsc - from;
	}
	return 0;
}

void prof_view_free(struct prof_view *w)
{
	free(w->v);
	free(w->k);
	w->v = NULL;
	w->k = NULL;
}

double prof_ns(const struct prof_view *w, uint64_t cycles)
{
	return (double)cycles * 1e6 / (double)w->tsc_khz;
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int gx = strcmp(x->kind, "exit") != 0, gy = strcmp(y->kind, "exit") != 0;
	if (gx != gy)
		return gx - gy; /* exit reasons first, then the ranges */
	if (x->h->sum != y->h->sum)
		return x->h->sum < y->h->sum ? 1 : -1;
	if (x->h->count != y->h->count)
		return x->h->count < y->h->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The rows of one vCPU (or the total), busiest first. Bus names are read under the bus lock. */
static size_t rows_of(const struct prof_view *w, const struct prof_vcpu *s, struct row *rows)
{
	size_t n = 0;
	for (unsigned r = 0; r < STATS_REASONS; r++)
		if (s->reason[r].count)
			rows[n++] = (struct row){ "exit", stats_reason_name(r), r, &s->reason[r] };
	for (int bi = 0; bi < 2; bi++) {
		const struct bus *b = bi ? w->mmio : w->pio;
		const struct hist *h = bi ? s->mmio : s->pio;
		pthread_rwlock_rdlock((pthread_rwlock_t *)&b->lock);
		for (int id = 0; id <= BUS_MAX_RANGES; id++) {
			if (!h[id].count)
				continue;
			int unclaimed = id == STATS_UNCLAIMED;
			rows[n++] = (struct row){ bi ? "mmio" : "pio",
						  unclaimed ? "(unclaimed)" : (b->names[id] ? b->names[id] : "?"),
						  unclaimed ? 0 : b->bases[id], &h[id] };
		}
		pthread_rwlock_unlock((pthread_rwlock_t *)&b->lock);
	}
	qsort(rows, n, sizeof(rows[0]), row_cmp);
	return n;
}

static const char *title_of(const struct prof_view *w, unsigned i, char *buf, size_t len)
{
	if (i == w->n)
		return "total";
	snprintf(buf, len, "vcpu%u", i);
	return buf;
}

/* halt_wait_hist: bucket 0 is a wait of 0 ns, bucket i waits of [2^(i-1), 2^i) ns */
static uint64_t log2_percentile(const struct kvm_exit_counts *k, double p)
{
	uint64_t total = 0, seen = 0;
	for (unsigned i = 0; i < k->hist_n; i++)
		total += k->halt_wait_hist[i];
	if (!total)
		return 0;
	uint64_t rank = (uint64_t)(p / 100 * (double)total + 0.999999);
	for (unsigned i = 0; i < k->hist_n; i++) {
		seen += k->halt_wait_hist[i];
		if (seen >= rank)
			return i ? (1ull << i) - 1 : 0;
	}
	return 0;
}

static void print_kvm(FILE *f, const struct prof_view *w, unsigned i)
{
	const struct kvm_exit_counts *k = &w->k[i];
	const struct prof_vcpu *s = &w->v[i];
	if (!k->have) {
		fprintf(f, "  in KVM: no binary statistics (KVM_GET_STATS_FD)\n");
		return;
	}
	uint64_t uio = s->reason[KVM_EXIT_IO].count, ummio = s->reason[KVM_EXIT_MMIO].count;
	char ink[96];
	if (k->io_exits >= uio)
		snprintf(ink, sizeof(ink), "in-kernel %llu", (unsigned long long)(k->io_exits - uio));
	else /* PVM counts port I/O as instruction emulation, not in io_exits */
		snprintf(ink, sizeof(ink), "in-kernel unknown: this KVM counts fewer io_exits than reached kvmini");
	fprintf(f, "  in KVM: %llu exits: io %llu (to kvmini %llu, %s), mmio %llu (kvmini %llu: %s), "
		   "halt %llu, irq %llu, insn_emulation %llu, hypercalls %llu\n",
		(unsigned long long)k->exits, (unsigned long long)k->io_exits, (unsigned long long)uio, ink,
		(unsigned long long)k->mmio_exits, (unsigned long long)ummio,
		k->mmio_exits == ummio ? "self-check ok" : "self-check MISMATCH", (unsigned long long)k->halt_exits,
		(unsigned long long)k->irq_exits, (unsigned long long)k->insn_emulation,
		(unsigned long long)k->hypercalls);
	fprintf(f, "  halted: %.3f ms; a wait p50 < %.1f us, p99 < %.1f us\n", (double)k->halt_wait_ns / 1e6,
		(double)log2_percentile(k, 50) / 1e3, (double)log2_percentile(k, 99) / 1e3);
}

/* The split of the vCPU's time since its counters started: in the guest, halted, VMM. */
static void time_split(const struct prof_view *w, unsigned i, double *wall, double *guest, double *halted,
		       double *vmm)
{
	const struct prof_vcpu *s = &w->v[i];
	double scale = i == w->n ? (double)w->n : 1;
	*wall = prof_ns(w, w->wall_cycles) * scale;
	*halted = (double)w->k[i].halt_wait_ns;
	*guest = prof_ns(w, s->guest_cycles) - *halted;
	if (*guest < 0)
		*guest = 0;
	*vmm = *wall - *guest - *halted;
	if (*vmm < 0)
		*vmm = 0;
}

static void print_one(FILE *f, const struct prof_view *w, unsigned i)
{
	struct row rows[MAX_ROWS];
	size_t n = rows_of(w, &w->v[i], rows);
	const struct prof_vcpu *s = &w->v[i];
	uint64_t total = 0, total_cyc = 0;
	for (unsigned r = 0; r < STATS_REASONS; r++) {
		total += s->reason[r].count;
		total_cyc += s->reason[r].sum;
	}
	char tb[32];
	double wall, guest, halted, vmm;
	time_split(w, i, &wall, &guest, &halted, &vmm);
	fprintf(f, "%s: %llu exits, %.3f ms handling in the VMM; of %.3f s: guest %.1f %%, halted %.1f %%, VMM %.1f %%\n",
		title_of(w, i, tb, sizeof(tb)), (unsigned long long)total, prof_ns(w, total_cyc) / 1e6, wall / 1e9,
		wall > 0 ? guest * 100 / wall : 0, wall > 0 ? halted * 100 / wall : 0, wall > 0 ? vmm * 100 / wall : 0);
	fprintf(f, "  %-5s %-20s %-12s %10s %7s %7s %11s %8s %8s %8s %8s %8s %8s %8s %9s\n", "kind", "name",
		"address", "count", "count%", "time%", "total us", "min ns", "mean ns", "stddev", "p50 ns", "p90 ns",
		"p99 ns", "p99.9 ns", "max ns");
	for (size_t r = 0; r < n; r++) {
		const struct hist *h = rows[r].h;
		char addr[24] = "";
		int is_exit = !strcmp(rows[r].kind, "exit");
		if (!is_exit)
			snprintf(addr, sizeof(addr), "%#llx", (unsigned long long)rows[r].addr);
		fprintf(f, "  %-5s %-20s %-12s %10llu %6.2f%% %6.2f%% %11.1f %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f %8.0f %9.0f\n",
			rows[r].kind, rows[r].name, addr, (unsigned long long)h->count,
			total ? (double)h->count * 100 / (double)total : 0,
			total_cyc ? (double)h->sum * 100 / (double)total_cyc : 0, prof_ns(w, h->sum) / 1e3,
			prof_ns(w, h->min), hist_mean(h) * 1e6 / (double)w->tsc_khz,
			hist_stddev(h) * 1e6 / (double)w->tsc_khz, prof_ns(w, hist_percentile(h, 50)),
			prof_ns(w, hist_percentile(h, 90)), prof_ns(w, hist_percentile(h, 99)),
			prof_ns(w, hist_percentile(h, 99.9)), prof_ns(w, h->max));
	}
	print_kvm(f, w, i);
	if (s->ring.dropped)
		fprintf(f, "  trace: %llu records dropped (the ring was full)\n", (unsigned long long)s->ring.dropped);
}

void prof_print_table(FILE *f, const struct prof_view *w)
{
	for (unsigned i = 0; i < w->n; i++)
		print_one(f, w, i);
	print_one(f, w, w->n);
}

int prof_write_csv(FILE *f, const struct prof_view *w)
{
	fprintf(f, "vcpu,kind,name,address,count,total_ns,min_ns,mean_ns,stddev_ns,p50_ns,p90_ns,p99_ns,p999_ns,max_ns\n");
	struct row rows[MAX_ROWS];
	for (unsigned i = 0; i <= w->n; i++) {
		size_t n = rows_of(w, &w->v[i], rows);
		char tb[32];
		for (size_t r = 0; r < n; r++) {
			const struct hist *h = rows[r].h;
			fprintf(f, "%s,%s,\"%s\",%llu,%llu,%.0f,%.0f,%.1f,%.1f,%.0f,%.0f,%.0f,%.0f,%.0f\n",
				title_of(w, i, tb, sizeof(tb)), rows[r].kind, rows[r].name, (unsigned long long)rows[r].addr,
				(unsigned long long)h->count, prof_ns(w, h->sum), prof_ns(w, h->min),
				hist_mean(h) * 1e6 / (double)w->tsc_khz, hist_stddev(h) * 1e6 / (double)w->tsc_khz,
				prof_ns(w, hist_percentile(h, 50)), prof_ns(w, hist_percentile(h, 90)),
				prof_ns(w, hist_percentile(h, 99)), prof_ns(w, hist_percentile(h, 99.9)), prof_ns(w, h->max));
		}
	}
	return ferror(f) ? -EIO : 0;
}

static void jadd(json_object *o, const char *k, double v)
{
	json_object_object_add(o, k, json_object_new_double(v));
}

static void jaddu(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static json_object *json_one(const struct prof_view *w, unsigned i)
{
	json_object *o = json_object_new_object(), *rl = json_object_new_array();
	char tb[32];
	json_object_object_add(o, "vcpu", json_object_new_string(title_of(w, i, tb, sizeof(tb))));
	double wall, guest, halted, vmm;
	time_split(w, i, &wall, &guest, &halted, &vmm);
	json_object *t = json_object_new_object();
	jadd(t, "wall_ns", wall);
	jadd(t, "guest_ns", guest);
	jadd(t, "halted_ns", halted);
	jadd(t, "vmm_ns", vmm);
	jadd(t, "handling_ns", prof_ns(w, w->v[i].handle_cycles));
	json_object_object_add(o, "time", t);
	const struct kvm_exit_counts *k = &w->k[i];
	if (k->have) {
		json_object *kj = json_object_new_object();
		uint64_t uio = w->v[i].reason[KVM_EXIT_IO].count, ummio = w->v[i].reason[KVM_EXIT_MMIO].count;
		jaddu(kj, "exits", k->exits);
		jaddu(kj, "io_exits", k->io_exits);
		json_object_object_add(kj, "in_kernel_io",
				       k->io_exits >= uio ? json_object_new_int64((int64_t)(k->io_exits - uio)) : NULL);
		jaddu(kj, "mmio_exits", k->mmio_exits);
		json_object_object_add(kj, "mmio_self_check", json_object_new_boolean(k->mmio_exits == ummio));
		jaddu(kj, "halt_exits", k->halt_exits);
		jaddu(kj, "irq_exits", k->irq_exits);
		jaddu(kj, "insn_emulation", k->insn_emulation);
		jaddu(kj, "hypercalls", k->hypercalls);
		jaddu(kj, "halt_wait_ns", k->halt_wait_ns);
		json_object *hj = json_object_new_array();
		for (unsigned b = 0; b < k->hist_n; b++)
			json_object_array_add(hj, json_object_new_int64((int64_t)k->halt_wait_hist[b]));
		json_object_object_add(kj, "halt_wait_hist_log2", hj);
		json_object_object_add(o, "kvm", kj);
	}
	jaddu(o, "trace_dropped", w->v[i].ring.dropped);
	struct row rows[MAX_ROWS];
	size_t n = rows_of(w, &w->v[i], rows);
	for (size_t r = 0; r < n; r++) {
		const struct hist *h = rows[r].h;
		json_object *rj = json_object_new_object();
		json_object_object_add(rj, "kind", json_object_new_string(rows[r].kind));
		json_object_object_add(rj, "name", json_object_new_string(rows[r].name));
		jaddu(rj, "address", rows[r].addr);
		jaddu(rj, "count", h->count);
		jadd(rj, "total_ns", prof_ns(w, h->sum));
		jadd(rj, "min_ns", prof_ns(w, h->min));
		jadd(rj, "mean_ns", hist_mean(h) * 1e6 / (double)w->tsc_khz);
		jadd(rj, "stddev_ns", hist_stddev(h) * 1e6 / (double)w->tsc_khz);
		jadd(rj, "p50_ns", prof_ns(w, hist_percentile(h, 50)));
		jadd(rj, "p90_ns", prof_ns(w, hist_percentile(h, 90)));
		jadd(rj, "p99_ns", prof_ns(w, hist_percentile(h, 99)));
		jadd(rj, "p999_ns", prof_ns(w, hist_percentile(h, 99.9)));
		jadd(rj, "max_ns", prof_ns(w, h->max));
		json_object_array_add(rl, rj);
	}
	json_object_object_add(o, "rows", rl);
	return o;
}

json_object *prof_view_json(const struct prof_view *w)
{
	json_object *o = json_object_new_object(), *vl = json_object_new_array();
	jaddu(o, "tsc_khz", w->tsc_khz);
	for (unsigned i = 0; i < w->n; i++)
		json_object_array_add(vl, json_one(w, i));
	json_object_object_add(o, "vcpus", vl);
	json_object_object_add(o, "total", json_one(w, w->n));
	return o;
}

/* a file name from a row: letters, digits, '-' and '_' kept, the rest '_' */
static void safe_name(char *out, size_t len, const char *in)
{
	size_t i = 0;
	for (; in[i] && i + 1 < len; i++) {
		char c = in[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
		out[i] = ok ? c : '_';
	}
	out[i] = 0;
}

int prof_write_hgrm(const char *dir, const struct prof_view *w)
{
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return -errno;
	struct row rows[MAX_ROWS];
	for (unsigned i = 0; i <= w->n; i++) {
		size_t n = rows_of(w, &w->v[i], rows);
		char tb[32], nm[64], path[4096];
		for (size_t r = 0; r < n; r++) {
			safe_name(nm, sizeof(nm), rows[r].name);
			snprintf(path, sizeof(path), "%s/%s.%s.%s.hgrm", dir, title_of(w, i, tb, sizeof(tb)), rows[r].kind, nm);
			FILE *f = fopen(path, "w");
			if (!f)
				return -errno;
			int ret = hist_write_hgrm(f, rows[r].h, 1e3 / (double)w->tsc_khz);
			if (fclose(f) || ret)
				return ret ? ret : -EIO;
		}
	}
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

int prof_output_kind_ok(const char *path)
{
	struct stat st;
	return ends_with(path, ".csv") || ends_with(path, ".json") || ends_with(path, "/") ||
	       ends_with(path, ".hgrm") || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
}

int prof_write_file(const char *path, const struct prof_view *w)
{
	if (!prof_output_kind_ok(path))
		return -EINVAL;
	if (!ends_with(path, ".csv") && !ends_with(path, ".json"))
		return prof_write_hgrm(path, w);
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	int ret;
	if (ends_with(path, ".csv")) {
		ret = prof_write_csv(f, w);
	} else {
		json_object *j = prof_view_json(w);
		ret = fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY), f) < 0 ? -EIO : 0;
		fputc('\n', f);
		json_object_put(j);
	}
	if (fclose(f) && !ret)
		ret = -EIO;
	return ret;
}
