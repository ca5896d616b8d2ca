// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini img convert`: copy an image into a new one of another format, skipping zeros, via a
 * temporary file that is renamed into place only once the copy is complete and synced. */
#include "tools/img.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/disk/disk_int.h"
#include "vmm/log.h"
#include "vmm/size.h"

#define CHUNK (1u << 20)

static bool all_zero(const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static void progress(uint64_t done, uint64_t total)
{
	fprintf(stderr, "\r    (%.2f/100%%)", total ? 100.0 * (double)done / (double)total : 100.0);
}

static int copy(struct disk *src, struct disk *dst, bool show)
{
	uint8_t *buf = dfile_alloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	int r = 0;
	uint64_t last = 0;
	for (uint64_t off = 0; off < src->size && !r;) {
		uint64_t want = src->size - off < CHUNK ? src->size - off : CHUNK, n;
		int st = disk_block_status(src, off, want, &n);
		if (st < 0) {
			r = st;
			break;
		}
		if (n == 0 || n > want)
			n = want;
		/* a fresh image reads zeros everywhere: zero ranges need no write at all */
		if (!(st & DISK_BS_ZERO)) {
			r = disk_read(src, off, buf, (size_t)n);
			if (!r && !all_zero(buf, (size_t)n))
				r = disk_write(dst, off, buf, (size_t)n);
		}
		off += n;
		if (show && (off - last >= (64u << 20) || off == src->size)) {
			progress(off, src->size);
			last = off;
		}
	}
	if (show)
		fputc('\n', stderr);
	free(buf);
	return r;
}

static int sync_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int img_convert_file(const char *src, const struct disk_opts *so, const char *dst, struct disk_create_opts *co,
		     bool show)
{
	const char *why = NULL;
	struct disk *s = NULL, *d = NULL;
	int r = disk_open(&s, src, so, &why);
	if (r < 0) {
		why ? kv_log("%s: %s", src, why) : kv_err(r, "%s", src);
		return 1;
	}
	if ((r = disk_in_use(dst, &why)) < 0) {
		kv_log("%s: %s", dst, why ? why : strerror(-r));
		disk_close(s);
		return 1;
	}
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.kvmini-convert-%d", dst, (int)getpid()) < 0) {
		disk_close(s);
		return 1;
	}
	co->size = s->size;
	r = disk_create(tmp, co, &why);
	/* nobody sees the temporary file before the rename: skip per-allocation syncs, and sync
	 * once at the end instead */
	struct disk_opts dopt = { .format = co->format, .cache = DISK_CACHE_UNSAFE };
	if (!r)
		r = disk_open(&d, tmp, &dopt, &why);
	if (!r)
		r = copy(s, d, show);
	if (!r)
		r = disk_flush(d);
	if (d)
		disk_close(d);
	disk_close(s);
	if (!r)
		r = sync_file(tmp);
	if (!r && rename(tmp, dst) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		why ? kv_log("%s: %s", dst, why) : kv_err(r, "%s: convert failed", dst);
	}
	free(tmp);
	return r < 0 ? 1 : 0;
}

int img_convert(int argc, char **argv)
{
	static const struct option lo[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct disk_opts so = { .read_only = true };
	struct disk_create_opts co = { .format = DISK_FMT_AUTO };
	int c, show = -1;
	optind = 0;
	static const char opts[] = "+f:O:o:pqh";
	while ((c = getopt_long(argc, argv, opts, lo, NULL)) != -1) {
		switch (c) {
		case 'f':
		case 'O':
			if (disk_format_parse(optarg, c == 'f' ? &so.format : &co.format) < 0) {
				kv_log("%s: unknown format (raw, qcow2)", optarg);
				return 2;
			}
			break;
		case 'o': {
			uint64_t v;
			if (strncmp(optarg, "cluster_size=", 13) || parse_size(optarg + 13, &v) < 0 ||
			    v < 512 || v > (2u << 20) || (v & (v - 1))) {
				kv_log("%s: only -o cluster_size=N (a power of two, 512 to 2M) is supported", optarg);
				return 2;
			}
			co.cluster_size = (uint32_t)v;
			break;
		}
		case 'p': show = 1; break;
		case 'q': show = 0; break;
		case 'h':
			printf("Usage: kvmini img convert [-f FMT] -O raw|qcow2 [-o cluster_size=N] [-p|-q] SRC DST\n"
			       "The whole backing chain of SRC is flattened into DST. DST appears only when\n"
			       "the copy is complete. -p shows progress (default when stderr is a terminal).\n");
			return 0;
		default: return img_bad_option(argv, opts);
		}
	}
	if (co.format == DISK_FMT_AUTO || argc - optind != 2) {
		kv_log("convert: expected -O raw|qcow2 SRC DST (see kvmini img convert --help)");
		return 2;
	}
	if (co.format == DISK_FMT_RAW && co.cluster_size) {
		kv_log("convert: raw images have no cluster size");
		return 2;
	}
	if (show < 0)
		show = isatty(2);
	return img_convert_file(argv[optind], &so, argv[optind + 1], &co, show);
}
