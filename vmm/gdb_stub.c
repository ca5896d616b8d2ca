// SPDX-License-Identifier: GPL-2.0-or-later
/* The GDB stub's server thread: see gdb_stub.h. */
#include "gdb_stub.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdb.h"
#include "gdb_kvm.h"
#include "log.h"

struct gdb_stub {
	int lfd, cfd, qfd; /* listening socket, the debugger's connection (-1: none), quit eventfd */
	pthread_t thread;
	int thread_ok;
	struct gdb_kvm kt;
	pthread_mutex_t lock;
	int hold; /* under lock: a rebuilt VM's vCPUs start parked (debugger holds it, --gdb-wait) */
	int waiting; /* --gdb-wait: no debugger has resumed the VM yet */
	struct gdb_session s;
};

int gdb_addr_parse(const char *spec, char *host, size_t hostlen, uint16_t *port)
{
	if (!spec || strncmp(spec, "tcp:", 4))
		return -EINVAL;
	const char *h = spec + 4, *colon = strrchr(h, ':');
	if (!colon || (size_t)(colon - h) >= hostlen)
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (errno || !colon[1] || *end || p == 0 || p > 65535 || colon[1] == '-' || colon[1] == '+')
		return -EINVAL;
	if (colon == h) {
		strcpy(host, "127.0.0.1");
	} else {
		memcpy(host, h, (size_t)(colon - h));
		host[colon - h] = 0;
	}
	*port = (uint16_t)p;
	return 0;
}

static int listen_on(const char *host, uint16_t port, const char **why)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(host, ps, &hints, &ai)) {
		*why = "cannot resolve the host";
		return -EINVAL;
	}
	int fd = -1, ret = -EADDRNOTAVAIL;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) || listen(fd, 1)) {
			ret = -errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	if (fd < 0)
		*why = ret == -EADDRINUSE ? "address already in use" : "cannot listen there";
	return fd < 0 ? ret : fd;
}

static int send_all(void *opaque, const void *buf, size_t len)
{
	struct gdb_stub *g = opaque;
	const char *p = buf;
	while (len && g->cfd >= 0) {
		ssize_t n = send(g->cfd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO; /* the read side notices the connection is gone */
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void update_hold(struct gdb_stub *g)
{
	pthread_mutex_lock(&g->lock);
	if (g->cfd >= 0 && g->s.running)
		g->waiting = 0;
	g->hold = g->waiting || (g->cfd >= 0 && !g->s.running && !g->s.ended);
	pthread_mutex_unlock(&g->lock);
}

static void hang_up(struct gdb_stub *g)
{
	if (!g->s.ended) /* gone without D: the guest runs on, as after a detach */
		gdb_kvm_ops.detach(&g->kt);
	pthread_mutex_lock(&g->lock);
	close(g->cfd);
	g->cfd = -1;
	g->waiting = 0;
	pthread_mutex_unlock(&g->lock);
	update_hold(g);
	kv_log("gdb: debugger disconnected");
}

static void connected(struct gdb_stub *g, int fd)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	gdb_kvm_ops.interrupt(&g->kt); /* a debugger finds the VM stopped */
	gdb_session_init(&g->s, &gdb_kvm_ops, &g->kt, send_all, g);
	g->s.no_data_bp = gdb_kvm_is_pvm(&g->kt) && !getenv("KVMINI_GDB_DATA_BP");
	pthread_mutex_lock(&g->lock);
	g->cfd = fd;
	pthread_mutex_unlock(&g->lock);
	update_hold(g);
	kv_log("gdb: debugger connected");
}

static void *stub_thread(void *arg)
{
	struct gdb_stub *g = arg;
	for (;;) {
		struct pollfd p[3] = { { g->qfd, POLLIN, 0 }, { g->kt.efd, POLLIN, 0 },
				       { g->cfd >= 0 ? g->cfd : g->lfd, POLLIN, 0 } };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if (p[1].revents) {
			unsigned cpu;
			uint64_t dr6;
			if (gdb_kvm_take_stop(&g->kt, &cpu, &dr6)) {
				if (g->cfd >= 0)
					gdb_session_stopped(&g->s, cpu, dr6, GDB_SIGTRAP);
				else /* the debugger went while this stop was on its way */
					gdb_kvm_ops.detach(&g->kt);
			}
			update_hold(g);
		}
		if (!p[2].revents)
			continue;
		if (g->cfd < 0) {
			int fd = accept4(g->lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				connected(g, fd);
			continue;
		}
		uint8_t buf[4096];
		ssize_t n = recv(g->cfd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		int ended = n <= 0 || gdb_session_input(&g->s, buf, (size_t)n);
		update_hold(g);
		if (ended)
			hang_up(g);
	}
	return NULL;
}

int gdb_stub_open(struct gdb_stub **out, const char *spec, int wait, const char **why)
{
	char host[256];
	uint16_t port;
	if (gdb_addr_parse(spec, host, sizeof(host), &port)) {
		*why = "expected tcp:[HOST]:PORT";
		return -EINVAL;
	}
	struct gdb_stub *g = calloc(1, sizeof(*g));
	if (!g) {
		*why = "out of memory";
		return -ENOMEM;
	}
	g->cfd = g->qfd = -1;
	g->lfd = listen_on(host, port, why);
	int ret = g->lfd < 0 ? g->lfd : gdb_kvm_init(&g->kt);
	pthread_mutex_init(&g->lock, NULL);
	g->waiting = g->hold = wait;
	if (!ret) {
		g->qfd = eventfd(0, EFD_CLOEXEC);
		ret = g->qfd < 0 ? -errno : -pthread_create(&g->thread, NULL, stub_thread, g);
		g->thread_ok = !ret;
		if (ret)
			*why = "cannot start its thread";
	} else if (g->lfd >= 0) {
		*why = "cannot create an eventfd";
	}
	if (ret) {
		gdb_stub_close(g);
		return ret;
	}
	pthread_setname_np(g->thread, "gdb");
	*out = g;
	return 0;
}

int gdb_stub_attach(struct gdb_stub *g, struct vcpus *vs, struct vm *vm)
{
	pthread_mutex_lock(&g->lock);
	int hold = g->hold;
	pthread_mutex_unlock(&g->lock);
	if (hold)
		vcpus_pause(vs); /* before the threads exist: they park before their first KVM_RUN */
	return gdb_kvm_attach(&g->kt, vs, vm);
}

void gdb_stub_detach(struct gdb_stub *g)
{
	if (g)
		gdb_kvm_detach(&g->kt);
}

void gdb_stub_close(struct gdb_stub *g)
{
	if (!g)
		return;
	if (g->thread_ok) {
		uint64_t one = 1;
		if (write(g->qfd, &one, sizeof(one)) == sizeof(one))
			pthread_join(g->thread, NULL);
	}
	if (g->cfd >= 0)
		close(g->cfd);
	if (g->lfd >= 0)
		close(g->lfd);
	if (g->qfd >= 0)
		close(g->qfd);
	if (g->kt.efd > 0)
		gdb_kvm_fini(&g->kt);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
