// SPDX-License-Identifier: GPL-2.0-or-later
/* The exit trace reader: checks every length and count against the file before using it. */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int bad(struct trace *t, char *why, size_t whylen, const char *fmt, unsigned long long at)
{
	snprintf(why, whylen, fmt, at);
	trace_free(t);
	return -EINVAL;
}

static int add_records(struct trace *t, uint32_t vcpu, const uint8_t *p, uint32_t count)
{
	if (!count)
		return 0; /* realloc to 0 bytes would free the records so far */
	struct exit_rec *nr = realloc(t->rec[vcpu], (size_t)(t->nrec[vcpu] + count) * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	memcpy(nr + t->nrec[vcpu], p, (size_t)count * sizeof(*nr));
	t->rec[vcpu] = nr;
	t->nrec[vcpu] += count;
	return 0;
}

static int parse_end(struct trace *t, const uint8_t *p, size_t left, uint32_t count, size_t at, char *why,
		     size_t whylen)
{
	size_t need = (size_t)t->h.nvcpus * 16 + 8;
	if (left < need)
		return bad(t, why, whylen, "truncated in its end chunk at byte %llu", at);
	for (uint32_t v = 0; v < t->h.nvcpus; v++) {
		uint64_t written;
		memcpy(&written, p + v * 16, 8);
		memcpy(&t->dropped[v], p + v * 16 + 8, 8);
		if (written != t->nrec[v])
			return bad(t, why, whylen, "the end chunk at byte %llu counts other records than the file holds", at);
	}
	memcpy(&t->cut, p + t->h.nvcpus * 16, 8);
	p += need;
	left -= need;
	at += need;
	if (count > 2 * 256)
		return bad(t, why, whylen, "too many range names in the end chunk at byte %llu", at);
	t->names = calloc(count ? count : 1, sizeof(*t->names));
	if (!t->names) {
		trace_free(t);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (left < 16)
			return bad(t, why, whylen, "truncated in a range name at byte %llu", at);
		uint16_t len;
		memcpy(&len, p + 2, 2);
		size_t padded = ((size_t)len + 7) & ~(size_t)7;
		struct trace_name *n = &t->names[i];
		n->bus = p[0];
		n->id = p[1];
		memcpy(&n->base, p + 8, 8);
		if ((n->bus != 1 && n->bus != 2) || len == 0 || len >= sizeof(n->name) || left - 16 < padded)
			return bad(t, why, whylen, "a bad range name at byte %llu", at);
		memcpy(n->name, p + 16, len);
		n->name[len] = 0;
		if (strlen(n->name) != len)
			return bad(t, why, whylen, "a range name with a NUL in it at byte %llu", at);
		p += 16 + padded;
		left -= 16 + padded;
		at += 16 + padded;
		t->nnames++;
	}
	if (left)
		return bad(t, why, whylen, "%llu bytes after the end chunk", left);
	return 0;
}

int trace_parse(struct trace *t, const uint8_t *buf, size_t len, char *why, size_t whylen)
{
	memset(t, 0, sizeof(*t));
	if (len < TRACE_HEADER_SIZE || memcmp(buf, TRACE_MAGIC, 8))
		return bad(t, why, whylen, "not a kvmini trace (no KVMINITR header)%.0llu", 0);
	memcpy(&t->h, buf, sizeof(t->h));
	if (t->h.version != TRACE_VERSION)
		return bad(t, why, whylen, "trace version %llu, this kvmini reads version 1", (unsigned long long)t->h.version);
	if (t->h.header_size != TRACE_HEADER_SIZE || t->h.record_size != sizeof(struct exit_rec))
		return bad(t, why, whylen, "header or record size is not this version's%.0llu", 0);
	if (t->h.nvcpus == 0 || t->h.nvcpus > TRACE_MAX_VCPUS || t->h.tsc_khz == 0)
		return bad(t, why, whylen, "vCPU count or TSC frequency out of range%.0llu", 0);
	t->rec = calloc(t->h.nvcpus, sizeof(*t->rec));
	t->nrec = calloc(t->h.nvcpus, sizeof(*t->nrec));
	t->dropped = calloc(t->h.nvcpus, sizeof(*t->dropped));
	if (!t->rec || !t->nrec || !t->dropped) {
		trace_free(t);
		return -ENOMEM;
	}
	size_t at = TRACE_HEADER_SIZE;
	while (at < len) {
		struct trace_chunk c;
		if (len - at < sizeof(c))
			return bad(t, why, whylen, "truncated in a chunk head at byte %llu", at);
		memcpy(&c, buf + at, sizeof(c));
		size_t body = at + sizeof(c);
		if (c.kind == TRACE_CHUNK_END)
			return parse_end(t, buf + body, len - body, c.count, body, why, whylen);
		if (c.kind != TRACE_CHUNK_RECORDS || c.zero)
			return bad(t, why, whylen, "an unknown chunk at byte %llu", at);
		if (c.vcpu >= t->h.nvcpus)
			return bad(t, why, whylen, "a chunk of a vCPU the header does not have at byte %llu", at);
		if ((len - body) / sizeof(struct exit_rec) < c.count)
			return bad(t, why, whylen, "truncated in a chunk of records at byte %llu", at);
		if (add_records(t, c.vcpu, buf + body, c.count)) {
			trace_free(t);
			return -ENOMEM;
		}
		at = body + (size_t)c.count * sizeof(struct exit_rec);
	}
	return bad(t, why, whylen, "truncated at byte %llu: no end chunk (the VMM did not finish writing it)", len);
}

int trace_load(struct trace *t, const char *path, char *why, size_t whylen)
{
	memset(t, 0, sizeof(*t));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return e;
	}
	size_t len = (size_t)st.st_size;
	uint8_t *buf = malloc(len ? len : 1);
	size_t got = 0;
	while (buf && got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf) {
		snprintf(why, whylen, "too large to load");
		return -ENOMEM;
	}
	int ret = trace_parse(t, buf, got, why, whylen);
	free(buf);
	return ret;
}

void trace_free(struct trace *t)
{
	for (uint32_t v = 0; t->rec && v < t->h.nvcpus; v++)
		free(t->rec[v]);
	free(t->rec);
	free(t->nrec);
	free(t->dropped);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

const char *trace_name_of(const struct trace *t, int bus, unsigned dev, uint64_t *base)
{
	for (unsigned i = 0; i < t->nnames; i++) {
		if (t->names[i].bus == bus && t->names[i].id == dev) {
			if (base)
				*base = t->names[i].base;
			return t->names[i].name;
		}
	}
	return NULL;
}

double trace_ns(const struct trace *t, uint64_t tsc)
{
	return ((double)tsc - (double)t->h.start_tsc) * 1e6 / (double)t->h.tsc_khz;
}
