// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini img` subcommands: create, info, check, resize, snapshot (convert is in imgconvert.c). */
#include "tools/img.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "devices/disk/disk_int.h"
#include "devices/disk/qcow2.h"
#include "vmm/log.h"
#include "vmm/size.h"

static const char img_usage[] =
	"Usage: kvmini img COMMAND [options]\n"
	"Create and inspect disk images (raw, qcow2).\n"
	"\n"
	"Commands:\n"
	"  create -f raw|qcow2 [-b BACKING [-F FMT]] [-o preallocation=off|full] [-o cluster_size=N] FILE [SIZE]\n"
	"  info [--json] [-f FMT] [-U] FILE\n"
	"  check [-r leaks|all] [-f FMT] FILE\n"
	"  convert [-f FMT] -O raw|qcow2 [-o cluster_size=N] [-p] SRC DST\n"
	"  resize [-f FMT] [--shrink] FILE [+]SIZE\n"
	"  snapshot -c|-l|-a|-d [NAME] FILE\n"
	"\n"
	"Sizes take K, M, G, T suffixes (binary). `kvmini img COMMAND --help` for details.\n";

static int usage_err(const char *what, const char *why)
{
	kv_log("%s: %s", what, why);
	return 2;
}

int img_bad_option(char **argv, const char *opts)
{
	const char *verb = argv[0];
	if (optopt && strchr(opts, optopt))
		kv_log("img %s: -%c: needs a value", verb, optopt);
	else if (optopt)
		kv_log("img %s: -%c: unknown option (try 'kvmini img %s --help')", verb, optopt, verb);
	else
		kv_log("img %s: %s: unknown option (try 'kvmini img %s --help')", verb, argv[optind - 1], verb);
	return 2;
}

static int parse_fmt(const char *s, enum disk_format *f)
{
	return disk_format_parse(s, f) < 0 ? usage_err(s, "unknown format (raw, qcow2)") : 0;
}

/* The one-line reason for a failed open or create (the layer's own phrase, else errno's): 1. */
static int img_fail(int r, const char *path, const char *why)
{
	if (why)
		kv_log("%s: %s", path, why);
	else
		kv_err(r, "%s", path);
	return 1;
}

/* Opens an image for a subcommand, printing the one-line reason on failure. */
static int img_open(struct disk **d, const char *path, const struct disk_opts *o)
{
	const char *why = NULL;
	int r = disk_open(d, path, o, &why);
	return r < 0 ? img_fail(r, path, why) : 0;
}

/* "-o a=b,c=d" for create/convert */
static int parse_o(char *s, bool *prealloc, uint32_t *cs)
{
	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		char *eq = strchr(tok, '=');
		if (!eq)
			return usage_err(tok, "expected key=value");
		*eq++ = 0;
		if (!strcmp(tok, "preallocation") && prealloc) {
			if (!strcmp(eq, "full"))
				*prealloc = true;
			else if (!strcmp(eq, "off"))
				*prealloc = false;
			else
				return usage_err(eq, "preallocation must be off or full");
		} else if (!strcmp(tok, "cluster_size")) {
			uint64_t v;
			if (parse_size(eq, &v) < 0 || v < 512 || v > (2u << 20) || (v & (v - 1)))
				return usage_err(eq, "cluster_size must be a power of two, 512 to 2M");
			*cs = (uint32_t)v;
		} else {
			return usage_err(tok, "unknown option");
		}
	}
	return 0;
}

int img_create(const char *file, struct disk_create_opts *co, bool size_from_backing)
{
	int r;
	if (co->backing) {
		/* the user named it, so trust it; open it to learn its size and format */
		char *dir = strdup(file), *full = NULL;
		if (!dir)
			return 1;
		if (co->backing[0] == '/' || asprintf(&full, "%s/%s", dirname(dir), co->backing) < 0)
			full = strdup(co->backing);
		free(dir);
		struct disk_opts bo = { .format = co->backing_fmt, .read_only = true };
		struct disk *b;
		r = full ? img_open(&b, full, &bo) : 1;
		free(full);
		if (r)
			return r;
		if (size_from_backing)
			co->size = b->size;
		if (co->backing_fmt == DISK_FMT_AUTO)
			disk_format_parse(b->format, &co->backing_fmt);
		disk_close(b);
	}
	const char *why = NULL;
	r = disk_create(file, co, &why);
	return r < 0 ? img_fail(r, file, why) : 0;
}

static int cmd_create(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct disk_create_opts co = { .format = DISK_FMT_AUTO };
	const char *bfmt = NULL;
	int c, r, quiet = 0;
	optind = 0;
	static const char opts[] = "+f:b:F:o:qh";
	while ((c = getopt_long(argc, argv, opts, lo, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break; /* qemu-img's: no "Formatting" line */
		case 'f':
			if ((r = parse_fmt(optarg, &co.format)))
				return r;
			break;
		case 'b': co.backing = optarg; break;
		case 'F': bfmt = optarg; break;
		case 'o':
			if ((r = parse_o(optarg, &co.prealloc_full, &co.cluster_size)))
				return r;
			break;
		case 'h':
			printf("Usage: kvmini img create [-q] -f raw|qcow2 [-b BACKING [-F FMT]] [-o preallocation=off|full]\n"
			       "                         [-o cluster_size=N] FILE [SIZE]\n"
			       "SIZE defaults to the backing file's size. A relative BACKING is relative to FILE's directory.\n");
			return 0;
		default: return img_bad_option(argv, opts);
		}
	}
	if (co.format == DISK_FMT_AUTO)
		return usage_err("create", "-f raw|qcow2 is required");
	if (argc - optind < 1 || argc - optind > 2 || (argc - optind == 1 && !co.backing))
		return usage_err("create", "expected FILE SIZE (see kvmini img create --help)");
	const char *file = argv[optind];
	if (argc - optind == 2) {
		if ((r = parse_size(argv[optind + 1], &co.size)) < 0)
			return usage_err(argv[optind + 1], r == -ERANGE ? "size too large" : "invalid size");
		co.size = (co.size + DISK_SECTOR - 1) & ~(uint64_t)(DISK_SECTOR - 1);
	}
	if (bfmt && (r = parse_fmt(bfmt, &co.backing_fmt)))
		return r;
	if ((r = img_create(file, &co, argc - optind == 1)))
		return r;
	if (!quiet)
		printf("Formatting '%s', fmt=%s size=%llu\n", file, disk_format_name(co.format),
		       (unsigned long long)co.size);
	return 0;
}

static void snap_table(FILE *f, const struct qcow2_snapshot_info *s, int n)
{
	fprintf(f, "%-10s%-17s%8s%20s%13s\n", "ID", "TAG", "VM SIZE", "DATE", "VM CLOCK");
	for (int i = 0; i < n; i++) {
		char sz[32], date[32];
		time_t t = s[i].date_sec;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
		uint64_t ms = s[i].vm_clock_ns / 1000000;
		fprintf(f, "%-9s %-16s %8s %19s %02llu:%02llu:%02llu.%03llu\n", s[i].id, s[i].name,
		        size_human(s[i].vm_state_size, sz, sizeof(sz)), date,
		        (unsigned long long)(ms / 3600000), (unsigned long long)(ms / 60000 % 60),
		        (unsigned long long)(ms / 1000 % 60), (unsigned long long)(ms % 1000));
	}
}

static void info_json(const char *file, struct disk *d, uint64_t used, const struct qcow2_info *qi,
                      const struct qcow2_snapshot_info *s, int n)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "filename", json_object_new_string(file));
	json_object_object_add(o, "format", json_object_new_string(d->format));
	json_object_object_add(o, "virtual-size", json_object_new_int64((int64_t)d->size));
	json_object_object_add(o, "actual-size", json_object_new_int64((int64_t)used));
	if (qi) {
		json_object_object_add(o, "cluster-size", json_object_new_int64((int64_t)qi->cluster_size));
		json_object_object_add(o, "dirty-flag", json_object_new_boolean(qi->dirty));
		if (qi->backing_file)
			json_object_object_add(o, "backing-filename", json_object_new_string(qi->backing_file));
		if (qi->backing_fmt)
			json_object_object_add(o, "backing-filename-format", json_object_new_string(qi->backing_fmt));
		json_object *arr = json_object_new_array();
		for (int i = 0; i < n; i++) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "id", json_object_new_string(s[i].id));
			json_object_object_add(e, "name", json_object_new_string(s[i].name));
			json_object_object_add(e, "vm-state-size", json_object_new_int64((int64_t)s[i].vm_state_size));
			json_object_object_add(e, "date-sec", json_object_new_int64(s[i].date_sec));
			json_object_object_add(e, "date-nsec", json_object_new_int64(s[i].date_nsec));
			json_object_object_add(e, "vm-clock-nsec", json_object_new_int64((int64_t)s[i].vm_clock_ns));
			json_object_array_add(arr, e);
		}
		if (n)
			json_object_object_add(o, "snapshots", arr);
		else
			json_object_put(arr);
		json_object *fs = json_object_new_object(), *data = json_object_new_object();
		json_object_object_add(data, "compat", json_object_new_string(qi->version == 3 ? "1.1" : "0.10"));
		json_object_object_add(data, "lazy-refcounts", json_object_new_boolean(qi->lazy_refcounts));
		json_object_object_add(data, "refcount-bits", json_object_new_int((int)qi->refcount_bits));
		json_object_object_add(data, "corrupt", json_object_new_boolean(qi->corrupt));
		json_object_object_add(fs, "type", json_object_new_string("qcow2"));
		json_object_object_add(fs, "data", data);
		json_object_object_add(o, "format-specific", fs);
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int cmd_info(int argc, char **argv)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
		                                { "force-share", no_argument, NULL, 'U' },
		                                { "help", no_argument, NULL, 'h' }, { 0 } };
	struct disk_opts o = { .read_only = true, .no_backing = true };
	bool json = false;
	int c, r;
	optind = 0;
	static const char opts[] = "+f:Uh";
	while ((c = getopt_long(argc, argv, opts, lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			if ((r = parse_fmt(optarg, &o.format)))
				return r;
			break;
		case 'j': json = true; break;
		case 'U': o.no_lock = true; break;
		case 'h':
			printf("Usage: kvmini img info [--json] [-f FMT] [-U|--force-share] FILE\n"
			       "-U reads an image another process has open (its view may be stale).\n");
			return 0;
		default: return img_bad_option(argv, opts);
		}
	}
	if (argc - optind != 1)
		return usage_err("info", "expected one FILE");
	const char *file = argv[optind];
	struct disk *d;
	if ((r = img_open(&d, file, &o)))
		return r;
	struct stat st;
	uint64_t used = stat(file, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
	struct qcow2_info qi;
	struct qcow2_snapshot_info *s = NULL;
	int n = 0;
	bool q = qcow2_get_info(d, &qi) == 0;
	if (q && qcow2_snapshot_list(d, &s, &n) < 0)
		n = 0;
	if (json) {
		info_json(file, d, used, q ? &qi : NULL, s, n);
	} else {
		char a[32], b[32];
		printf("image: %s\nfile format: %s\nvirtual size: %s (%llu bytes)\ndisk size: %s\n", file,
		       d->format, size_human(d->size, a, sizeof(a)), (unsigned long long)d->size,
		       size_human(used, b, sizeof(b)));
		if (q) {
			printf("cluster_size: %llu\n", (unsigned long long)qi.cluster_size);
			if (qi.backing_file)
				printf("backing file: %s\n", qi.backing_file);
			if (qi.backing_fmt)
				printf("backing file format: %s\n", qi.backing_fmt);
			if (n) {
				printf("Snapshot list:\n");
				snap_table(stdout, s, n);
			}
			printf("Format specific information:\n    compat: %s\n    compression type: zlib\n"
			       "    lazy refcounts: %s\n    refcount bits: %u\n    corrupt: %s\n",
			       qi.version == 3 ? "1.1" : "0.10", qi.lazy_refcounts ? "true" : "false",
			       qi.refcount_bits, qi.corrupt ? "true" : "false");
			if (qi.dirty)
				printf("    dirty: true (run kvmini img check -r all)\n");
		}
	}
	free(s);
	disk_close(d);
	return 0;
}

static int cmd_check(int argc, char **argv)
{
	static const struct option lo[] = { { "repair", required_argument, NULL, 'r' },
		                                { "help", no_argument, NULL, 'h' }, { 0 } };
	struct disk_opts o = { .read_only = true, .no_backing = true };
	int fix = 0, c, r;
	optind = 0;
	static const char opts[] = "+f:r:h";
	while ((c = getopt_long(argc, argv, opts, lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			if ((r = parse_fmt(optarg, &o.format)))
				return r;
			break;
		case 'r':
			if (!strcmp(optarg, "leaks"))
				fix = QCOW2_FIX_LEAKS;
			else if (!strcmp(optarg, "all"))
				fix = QCOW2_FIX_LEAKS | QCOW2_FIX_ERRORS;
			else
				return usage_err(optarg, "-r takes leaks or all");
			break;
		case 'h':
			printf("Usage: kvmini img check [-r leaks|all] [-f FMT] FILE\n"
			       "Exit status: 0 no errors, 1 errors or the check failed, 2 bad usage, 3 only leaks.\n"
			       "-r leaks frees clusters nothing uses; -r all also raises refcounts that are too low,\n"
			       "fixes COPIED flags and clears the dirty bit.\n");
			return 0;
		default: return img_bad_option(argv, opts);
		}
	}
	if (argc - optind != 1)
		return usage_err("check", "expected one FILE");
	const char *file = argv[optind];
	o.read_only = !fix;
	o.repair = fix != 0;
	struct disk *d;
	if ((r = img_open(&d, file, &o)))
		return r;
	if (strcmp(d->format, "qcow2")) {
		kv_log("%s: %s images have no metadata to check", file, d->format);
		disk_close(d);
		return 1;
	}
	struct qcow2_check_result res;
	r = qcow2_check(d, fix, &res);
	disk_close(d);
	if (r < 0) {
		kv_err(r, "%s: check failed", file);
		return 1;
	}
	if (res.leaks_fixed || res.corruptions_fixed)
		printf("The following inconsistencies were found and repaired:\n\n"
		       "    %llu leaked clusters\n    %llu corruptions\n\n",
		       (unsigned long long)res.leaks_fixed, (unsigned long long)res.corruptions_fixed);
	if (res.corruptions)
		printf("\n%llu errors were found on the image.\n"
		       "Data may be corrupted, or further writes to the image may corrupt it.\n",
		       (unsigned long long)res.corruptions);
	if (res.leaks)
		printf("\n%llu leaked clusters were found on the image.\n"
		       "This means waste of disk space, but no harm to data.\n",
		       (unsigned long long)res.leaks);
	if (!res.corruptions && !res.leaks)
		printf("No errors were found on the image.\n");
	printf("%llu/%llu = %.2f%% allocated\nImage end offset: %llu\n",
	       (unsigned long long)res.allocated_clusters, (unsigned long long)res.total_clusters,
	       res.total_clusters ? 100.0 * (double)res.allocated_clusters / (double)res.total_clusters : 0.0,
	       (unsigned long long)res.image_end);
	return res.corruptions ? 1 : res.leaks ? 3 : 0;
}

static int cmd_resize(int argc, char **argv)
{
	static const struct option lo[] = { { "shrink", no_argument, NULL, 's' },
		                                { "help", no_argument, NULL, 'h' }, { 0 } };
	struct disk_opts o = { .no_backing = true };
	bool shrink = false;
	int c, r;
	optind = 0;
	static const char opts[] = "+f:h";
	while ((c = getopt_long(argc, argv, opts, lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			if ((r = parse_fmt(optarg, &o.format)))
				return r;
			break;
		case 's': shrink = true; break;
		case 'h':
			printf("Usage: kvmini img resize [-f FMT] [--shrink] FILE [+]SIZE\n"
			       "Shrinking needs --shrink and is only possible for raw images.\n");
			return 0;
		default: return img_bad_option(argv, opts);
		}
	}
	if (argc - optind != 2)
		return usage_err("resize", "expected FILE SIZE");
	const char *file = argv[optind], *ss = argv[optind + 1];
	bool rel = ss[0] == '+';
	uint64_t size;
	if ((r = parse_size(ss + rel, &size)) < 0)
		return usage_err(ss, r == -ERANGE ? "size too large" : "invalid size");
	struct disk *d;
	if ((r = img_open(&d, file, &o)))
		return r;
	if (rel)
		size = d->size + size < d->size ? UINT64_MAX : d->size + size;
	size = (size + DISK_SECTOR - 1) & ~(uint64_t)(DISK_SECTOR - 1);
	if (size < d->size && strcmp(d->format, "raw")) {
		kv_log("%s: %s images can only grow", file, d->format);
		disk_close(d);
		return 1;
	}
	if (size < d->size && !shrink) {
		kv_log("%s: shrinking discards data at the end of the disk; use --shrink if you mean it", file);
		disk_close(d);
		return 1;
	}
	r = disk_resize(d, size);
	if (!r)
		r = disk_flush(d);
	disk_close(d);
	if (r == -ENOTSUP) {
		kv_log("%s: qcow2 images can only grow", file);
		return 1;
	}
	if (r < 0) {
		kv_err(r, "%s: resize failed", file);
		return 1;
	}
	printf("Image resized.\n");
	return 0;
}

static int cmd_snapshot(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct disk_opts o = { .format = DISK_FMT_AUTO, .no_backing = true };
	int op = 0, c, r;
	const char *name = NULL;
	optind = 0;
	static const char opts[] = "+c:a:d:lf:h";
	while ((c = getopt_long(argc, argv, opts, lo, NULL)) != -1) {
		switch (c) {
		case 'c': case 'a': case 'd':
			name = optarg;
			/* fallthrough */
		case 'l':
			if (op)
				return usage_err("snapshot", "give exactly one of -c, -l, -a, -d");
			op = c;
			break;
		case 'f':
			if ((r = parse_fmt(optarg, &o.format)))
				return r;
			break;
		case 'h':
			printf("Usage: kvmini img snapshot -c NAME | -l | -a NAME | -d NAME FILE\n"
			       "-c create, -l list, -a apply (revert the disk to it), -d delete; NAME may be an ID.\n");
			return 0;
		default: return img_bad_option(argv, opts);
		}
	}
	if (!op || argc - optind != 1)
		return usage_err("snapshot", "expected -c|-l|-a|-d and one FILE");
	const char *file = argv[optind];
	o.read_only = op == 'l';
	struct disk *d;
	if ((r = img_open(&d, file, &o)))
		return r;
	if (strcmp(d->format, "qcow2")) {
		kv_log("%s: %s images have no snapshots", file, d->format);
		disk_close(d);
		return 1;
	}
	if (op == 'l') {
		struct qcow2_snapshot_info *s;
		int n;
		if ((r = qcow2_snapshot_list(d, &s, &n)) == 0) {
			printf("Snapshot list:\n");
			snap_table(stdout, s, n);
			free(s);
		}
	} else {
		r = op == 'c' ? qcow2_snapshot_create(d, name)
		  : op == 'a' ? qcow2_snapshot_apply(d, name) : qcow2_snapshot_delete(d, name);
	}
	disk_close(d);
	if (r == -EEXIST)
		kv_log("%s: a snapshot named '%s' already exists", file, name);
	else if (r == -ENOENT)
		kv_log("%s: no snapshot '%s'", file, name);
	else if (r < 0)
		kv_err(r, "%s: snapshot", file);
	return r < 0 ? 1 : 0;
}

int img_main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(img_usage, stderr);
		return 2;
	}
	const char *c = argv[1];
	opterr = 0; /* each verb says what was wrong in kvmini's words (img_bad_option) */
	if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
		fputs(img_usage, stdout);
		return 0;
	}
	static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
		{ "create", cmd_create }, { "info", cmd_info }, { "check", cmd_check },
		{ "convert", img_convert }, { "resize", cmd_resize }, { "snapshot", cmd_snapshot },
	};
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(c, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	kv_log("img %s: unknown command (try 'kvmini img --help')", c);
	return 2;
}
