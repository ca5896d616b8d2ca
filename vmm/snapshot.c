// SPDX-License-Identifier: GPL-2.0-or-later
/* A snapshot on disk: the machine section, loading and checking a snapshot directory, and the
 * sparse memory file (the layout is in vmm/snapshot.h). */
#include "snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware/bootorder.h"

static void put_str(struct state_writer *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	state_put_u32(w, (uint32_t)n);
	state_put_bytes(w, s, n);
}

void snap_board_put(struct state_writer *w, const struct snap_board *b)
{
	state_put_u64(w, b->mem);
	state_put_u32(w, SNAP_PAGE);
	state_put_u32(w, b->cpus);
	state_put_u32(w, (b->cpu_host ? 1u : 0u) | (b->display ? 2u : 0u));
	put_str(w, b->kernel);
	put_str(w, b->initrd);
	put_str(w, b->append);
	state_put_u32(w, b->ndevs);
	for (unsigned i = 0; i < b->ndevs; i++) {
		put_str(w, b->dev_opt[i]);
		put_str(w, b->dev_val[i]);
	}
	state_put_u32(w, b->nnets);
	for (unsigned i = 0; i < b->nnets; i++)
		put_str(w, b->nets[i]);
	put_str(w, b->bios);
	put_str(w, b->boot);
}

/* A string of the payload: NULL for "" when empty_null, else an owned copy; NULL with the reader's
 * error set on a bad one. */
static char *get_str(struct state_reader *r, int empty_null, int *bad)
{
	uint32_t n = state_get_u32(r);
	if (n > SNAP_STR_MAX) {
		state_reader_invalid(r);
		*bad = 1;
		return NULL;
	}
	const char *p = state_get_ptr(r, n);
	if (!p || memchr(p, 0, n)) {
		state_reader_invalid(r);
		*bad = 1;
		return NULL;
	}
	if (!n && empty_null)
		return NULL;
	char *s = malloc(n + 1);
	if (!s) {
		*bad = 1;
		return NULL;
	}
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

void snap_board_free(struct snap_board *b)
{
	free(b->kernel);
	free(b->initrd);
	free(b->append);
	for (unsigned i = 0; i < b->ndevs; i++) {
		free(b->dev_opt[i]);
		free(b->dev_val[i]);
	}
	for (unsigned i = 0; i < b->nnets; i++)
		free(b->nets[i]);
	free(b->bios);
	free(b->boot);
	memset(b, 0, sizeof(*b));
}

/* a kernel, or a BIOS file with a boot order that parses (and no initrd or --append) */
static int firmware_ok(const struct snap_board *b)
{
	struct boot_order bo;
	char err[160];
	if (b->kernel)
		return !b->bios && !b->boot;
	return b->bios && !b->initrd && !b->append && (!b->boot || !boot_order_parse(b->boot, &bo, err, sizeof(err)));
}

int snap_board_get(struct snap_board *b, struct state_reader *r, uint32_t version, char *why, size_t whylen)
{
	memset(b, 0, sizeof(*b));
	if (version < 1 || version > SNAP_MACHINE_VERSION) {
		snprintf(why, whylen, "machine section version %u, this kvmini reads %u", version, SNAP_MACHINE_VERSION);
		return -EPROTONOSUPPORT;
	}
	int bad = 0;
	b->mem = state_get_u64(r);
	uint32_t page = state_get_u32(r);
	b->cpus = state_get_u32(r);
	uint32_t flags = state_get_u32(r);
	b->cpu_host = flags & 1;
	b->display = (flags >> 1) & 1;
	b->kernel = get_str(r, 1, &bad); /* NULL: a firmware boot (version 3) */
	b->initrd = get_str(r, 1, &bad);
	b->append = get_str(r, 1, &bad);
	uint32_t n = state_get_u32(r);
	if (n > (version == 1 ? OPT_MAX_DEVS : OPT_MAX_DEVARGS))
		state_reader_invalid(r);
	for (uint32_t i = 0; !bad && !r->err && i < n; i++) {
		/* version 1: --disk specs only */
		b->dev_opt[i] = version == 1 ? strdup("disk") : get_str(r, 0, &bad);
		b->dev_val[i] = b->dev_opt[i] ? get_str(r, 0, &bad) : NULL;
		if (!b->dev_opt[i] || !b->dev_val[i]) {
			free(b->dev_opt[i]);
			free(b->dev_val[i]);
			bad = 1;
			break;
		}
		b->ndevs = i + 1;
		if (!run_opt_is_device(b->dev_opt[i]))
			state_reader_invalid(r); /* replayed as an option: only a device's */
	}
	n = state_get_u32(r);
	if (n > OPT_MAX_DEVS)
		state_reader_invalid(r);
	for (uint32_t i = 0; !bad && !r->err && i < n; i++) {
		b->nets[i] = get_str(r, 0, &bad);
		b->nnets = i + (b->nets[i] != NULL);
	}
	if (version >= 3 && !bad && !r->err) {
		b->bios = get_str(r, 1, &bad);
		b->boot = get_str(r, 1, &bad);
	}
	int ret = state_reader_done(r);
	const char *what = "machine section: bad framing";
	if (!ret && bad)
		ret = -ENOMEM, what = "machine section: out of memory";
	if (!ret && (page != SNAP_PAGE || flags > (version >= 3 ? 3u : 1u) || b->mem < (16ULL << 20) || (b->mem & (SNAP_PAGE - 1)) ||
		     b->cpus == 0 || b->cpus > 1024 || !firmware_ok(b)))
		ret = -EINVAL, what = "machine section: values out of range";
	if (ret == -EINVAL && r->err)
		what = "machine section: a string or count out of range";
	if (ret) {
		snprintf(why, whylen, "%s", what);
		snap_board_free(b);
	}
	return ret;
}

/* The "vm" and "cpu" sections: exactly one vm, one cpu per vCPU of the board. */
static int parse_kvm(struct snap_image *img, char *why, size_t whylen)
{
	unsigned n = img->board.cpus;
	img->vm = calloc(1, sizeof(*img->vm));
	img->cpu = calloc(n, sizeof(*img->cpu));
	img->ncpu = n;
	if (!img->vm || !img->cpu) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	struct state_section sec;
	int have_vm = 0, ret = 0;
	char r[160] = "";
	while (!ret && state_next(&img->s, &sec) == 1) {
		if (!strcmp(sec.id, STATE_VM_ID)) {
			if (have_vm++ || sec.instance)
				ret = -EBADMSG, snprintf(r, sizeof(r), "more than one vm section");
			else
				ret = state_vm_get(img->vm, &sec.r, sec.version, r, sizeof(r));
		} else if (!strcmp(sec.id, STATE_CPU_ID)) {
			if (sec.instance >= n || img->cpu[sec.instance])
				ret = -EBADMSG, snprintf(r, sizeof(r), "cpu section %u: not one per vCPU", sec.instance);
			else if (!(img->cpu[sec.instance] = calloc(1, sizeof(struct vcpu_state))))
				ret = -ENOMEM, snprintf(r, sizeof(r), "out of memory");
			else
				ret = state_cpu_get(img->cpu[sec.instance], &sec.r, sec.version, r, sizeof(r));
		}
	}
	for (unsigned i = 0; !ret && i < n; i++)
		if (!img->cpu[i])
			ret = -EBADMSG, snprintf(r, sizeof(r), "no state for vCPU %u", i);
	if (!ret && !have_vm)
		ret = -EBADMSG, snprintf(r, sizeof(r), "no vm section");
	state_rewind(&img->s);
	if (ret)
		snprintf(why, whylen, "%s", r);
	return ret;
}

static void free_kvm(struct snap_image *img)
{
	for (unsigned i = 0; img->cpu && i < img->ncpu; i++)
		free(img->cpu[i]);
	free(img->cpu);
	free(img->vm);
	img->cpu = NULL;
	img->vm = NULL;
	img->ncpu = 0;
}

int snap_image_parse(struct snap_image *img, char *why, size_t whylen)
{
	int ret = state_open(&img->s, img->buf, img->len, why, whylen);
	if (ret)
		return ret;
	struct state_section sec;
	int found = 0;
	while (state_next(&img->s, &sec) == 1) {
		if (strcmp(sec.id, SNAP_MACHINE_ID))
			continue;
		if (found || sec.instance) {
			snprintf(why, whylen, "more than one machine section");
			snap_board_free(&img->board);
			return -EBADMSG;
		}
		if ((ret = snap_board_get(&img->board, &sec.r, sec.version, why, whylen)))
			return ret;
		found = 1;
	}
	state_rewind(&img->s);
	if (!found) {
		snprintf(why, whylen, "no machine section");
		return -EBADMSG;
	}
	if ((ret = parse_kvm(img, why, whylen))) {
		free_kvm(img);
		snap_board_free(&img->board);
	}
	return ret;
}

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SNAP_STATE_MAX) {
		int e = !S_ISREG(st.st_mode) ? -EINVAL : st.st_size > SNAP_STATE_MAX ? -EFBIG : -errno;
		close(fd);
		return e;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	size_t got = 0;
	while (*buf && got < *len) {
		ssize_t n = read(fd, *buf + got, *len - got);
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;
			close(fd);
			free(*buf);
			*buf = NULL;
			return e;
		}
		got += (size_t)n;
	}
	close(fd);
	return *buf ? 0 : -ENOMEM;
}

int snap_image_load(struct snap_image *img, const char *dir, char *why, size_t whylen)
{
	memset(img, 0, sizeof(*img));
	if (snprintf(img->state_path, sizeof(img->state_path), "%s/%s", dir, SNAP_STATE_FILE) >=
		    (int)sizeof(img->state_path) ||
	    snprintf(img->memory_path, sizeof(img->memory_path), "%s/%s", dir, SNAP_MEMORY_FILE) >=
		    (int)sizeof(img->memory_path)) {
		snprintf(why, whylen, "%s: name too long", dir);
		return -ENAMETOOLONG;
	}
	int ret = read_all(img->state_path, &img->buf, &img->len);
	if (ret) {
		snprintf(why, whylen, "%s: %s", img->state_path,
			 ret == -EINVAL ? "not a regular file" : ret == -EFBIG ? "too large for a state stream"
										: strerror(-ret));
		return ret;
	}
	char r[200];
	if ((ret = snap_image_parse(img, r, sizeof(r)))) {
		snprintf(why, whylen, "%s: %s", img->state_path, r);
		snap_image_free(img);
		return ret;
	}
	struct stat st;
	if (stat(img->memory_path, &st) < 0) {
		ret = -errno;
		snprintf(why, whylen, "%s: %s", img->memory_path, strerror(-ret));
	} else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != img->board.mem) {
		ret = -EINVAL;
		snprintf(why, whylen, "%s: not a regular file of the guest's RAM size (%llu bytes)", img->memory_path,
			 (unsigned long long)img->board.mem);
	}
	if (ret)
		snap_image_free(img);
	return ret;
}

void snap_image_free(struct snap_image *img)
{
	free_kvm(img);
	snap_board_free(&img->board);
	free(img->buf);
	img->buf = NULL;
	img->len = 0;
}

int snap_image_opts(const struct snap_image *img, struct run_opts *o, char *why, size_t whylen)
{
	const struct snap_board *b = &img->board;
	o->mem = b->mem;
	o->cpus = b->cpus;
	o->cpu_host = (int)b->cpu_host;
	if (b->display) /* the bochs-display (and its input devices) again; --vnc may serve it */
		o->display = 1;
	o->kernel = b->kernel;
	o->bios = b->bios; /* firmware boot: the same ROM, and fw_cfg as the boot had it */
	if (b->boot && boot_order_parse(b->boot, &o->boot, why, whylen))
		return -EINVAL;
	o->initrd = b->initrd;
	o->append = b->append;
	o->nnets = b->nnets;
	for (unsigned i = 0; i < b->nnets; i++)
		o->nets[i] = b->nets[i];
	o->hugepages = HUGEPAGES_OFF; /* RAM is the snapshot's file */
	o->snap = img;
	return 0;
}

static int write_full(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

static int page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *)p;
	for (unsigned i = 0; i < SNAP_PAGE / 8; i++)
		if (q[i])
			return 0;
	return 1;
}

static int finish_file(int fd, int ret)
{
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int snap_write_memory(const char *path, const uint8_t *ram, uint64_t size, uint64_t *data)
{
	if (size % SNAP_PAGE)
		return -EINVAL;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int ret = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	*data = 0;
	/* runs of non-zero pages go out in one write; zero pages stay holes of the truncated file */
	uint64_t off = 0;
	while (!ret && off < size) {
		while (off < size && page_is_zero(ram + off))
			off += SNAP_PAGE;
		uint64_t end = off;
		while (end < size && end - off < (64u << 20) && !page_is_zero(ram + end))
			end += SNAP_PAGE;
		if (end > off) {
			ret = write_full(fd, ram + off, (size_t)(end - off), (off_t)off);
			*data += end - off;
		}
		off = end;
	}
	return finish_file(fd, ret);
}

int snap_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	return finish_file(fd, write_full(fd, buf, len, 0));
}
