// SPDX-License-Identifier: GPL-2.0-or-later
/* VNC server thread over libvncserver. kvmini owns the listening socket (TCP or Unix, so a port in
 * use is a clear startup error and a Unix socket works at all) and hands each accepted connection
 * to libvncserver, which speaks RFB; the thread's poll() covers the listener, a wake eventfd and
 * every client socket, then rfbProcessEvents(…, 0) serves what is readable and sends updates. */
#include "vnc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <rfb/rfb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ui/keymap.h"
#include "ui/vnc_fb.h"

#define MAX_CLIENTS 16
#define TICK_MIN_MS 20 /* display looked at this often while it changes */
#define TICK_MAX_MS 100 /* and this often once idle */
#define CLIENT_WAIT_MS 3000 /* a client that sends half a message is dropped after this */
#define ENC_QEMU_EXT_KEY (-258)

struct vnc {
	struct vnc_cfg cfg;
	char addr[VNC_HOST_MAX + VNC_PATH_MAX + 16];
	int lfd, wake_fd;
	rfbScreenInfoPtr screen;
	struct vnc_fb fb;
	pthread_mutex_t pw_lock;
	char password[9];
	pthread_t thread;
	int running;
	atomic_int stop;
	struct bochs_display *disp;
	const struct vnc_input_ops *ops;
	void *opaque;
	unsigned last_buttons;
};

static void rfb_quiet(const char *fmt, ...) {}

/* ---- input ---- */

static struct vnc *vnc_of(rfbClientPtr cl) { return cl->screen->screenData; }

static void on_key(rfbBool down, rfbKeySym sym, rfbClientPtr cl)
{
	struct vnc *v = vnc_of(cl);
	unsigned xt = keymap_keysym_to_xt(sym);
	if (xt && v->ops && v->ops->key)
		v->ops->key(v->opaque, xt, !!down);
}

static void on_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	struct vnc *v = vnc_of(cl);
	unsigned w = v->fb.w, h = v->fb.h;
	x = x < 0 ? 0 : x >= (int)w ? (int)w - 1 : x;
	y = y < 0 ? 0 : y >= (int)h ? (int)h - 1 : y;
	if (v->ops && v->ops->pointer)
		v->ops->pointer(v->opaque, (unsigned)x, (unsigned)y, w, h, (unsigned)mask & 0x1f);
}

/* QEMU's extended key event: type 255, submessage 0, down (u16), keysym (u32), key number (u32) */
static rfbBool ext_new_client(rfbClientPtr cl, void **data) { return TRUE; }

static rfbBool ext_enable(rfbClientPtr cl, void **data, int enc)
{
	if (enc != ENC_QEMU_EXT_KEY)
		return FALSE;
	/* the server says it understands them: an update with one rectangle of that encoding */
	rfbFramebufferUpdateMsg m = { .type = rfbFramebufferUpdate, .nRects = Swap16IfLE(1) };
	rfbFramebufferUpdateRectHeader r = { .encoding = Swap32IfLE((uint32_t)ENC_QEMU_EXT_KEY) };
	char buf[sz_rfbFramebufferUpdateMsg + sz_rfbFramebufferUpdateRectHeader];
	memcpy(buf, &m, sz_rfbFramebufferUpdateMsg);
	memcpy(buf + sz_rfbFramebufferUpdateMsg, &r, sz_rfbFramebufferUpdateRectHeader);
	if (rfbWriteExact(cl, buf, (int)sizeof(buf)) < 0)
		rfbCloseClient(cl);
	return TRUE;
}

static rfbBool ext_message(rfbClientPtr cl, void *data, const rfbClientToServerMsg *msg)
{
	if (msg->type != 255)
		return FALSE;
	uint8_t b[11];
	if (rfbReadExact(cl, (char *)b, sizeof(b)) <= 0) {
		rfbCloseClient(cl);
		return TRUE;
	}
	if (b[0] != 0) { /* another QEMU message (audio): its length is unknown here */
		rfbCloseClient(cl);
		return TRUE;
	}
	struct vnc *v = vnc_of(cl);
	int down = (b[1] << 8 | b[2]) != 0;
	uint32_t sym = (uint32_t)b[3] << 24 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 8 | b[6];
	uint32_t num = (uint32_t)b[7] << 24 | (uint32_t)b[8] << 16 | (uint32_t)b[9] << 8 | b[10];
	unsigned xt = keymap_qnum_to_xt(num);
	if (!xt)
		xt = keymap_keysym_to_xt(sym);
	if (xt && v->ops && v->ops->key)
		v->ops->key(v->opaque, xt, down);
	return TRUE;
}

static int ext_encodings[] = { ENC_QEMU_EXT_KEY, 0 };
static rfbProtocolExtension ext_key = {
	.newClient = ext_new_client,
	.pseudoEncodings = ext_encodings,
	.enablePseudoEncoding = ext_enable,
	.handleMessage = ext_message,
};
static pthread_once_t ext_once = PTHREAD_ONCE_INIT;
static void ext_register(void)
{
	/* libvncserver's registry and log hooks are process-wide */
	rfbLog = rfb_quiet;
	rfbErr = rfb_quiet;
	rfbMaxClientWait = CLIENT_WAIT_MS;
	rfbRegisterProtocolExtension(&ext_key);
}

/* ---- authentication ---- */

static rfbBool check_password(rfbClientPtr cl, const char *response, int len)
{
	struct vnc *v = vnc_of(cl);
	char pw[9];
	pthread_mutex_lock(&v->pw_lock);
	memcpy(pw, v->password, sizeof(pw));
	pthread_mutex_unlock(&v->pw_lock);
	if (!pw[0] || len != CHALLENGESIZE)
		return FALSE;
	unsigned char expect[CHALLENGESIZE];
	memcpy(expect, cl->authChallenge, CHALLENGESIZE);
	rfbEncryptBytes(expect, pw);
	return !memcmp(expect, response, CHALLENGESIZE);
}

int vnc_set_password(struct vnc *v, const char *password)
{
	if (!v->cfg.password)
		return -EINVAL;
	pthread_mutex_lock(&v->pw_lock);
	memset(v->password, 0, sizeof(v->password));
	size_t n = strnlen(password, 8);
	memcpy(v->password, password, n);
	pthread_mutex_unlock(&v->pw_lock);
	return 0;
}

static int read_password_file(struct vnc *v, char *err, size_t errlen)
{
	FILE *f = fopen(v->cfg.password_file, "re");
	char line[256] = "";
	if (!f || (!fgets(line, sizeof(line), f) && ferror(f))) {
		int e = errno;
		snprintf(err, errlen, "--vnc: password-file %s: %s", v->cfg.password_file, strerror(e));
		if (f)
			fclose(f);
		return -e;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = 0;
	vnc_set_password(v, line);
	memset(line, 0, sizeof(line));
	return 0;
}

/* ---- sockets ---- */

static int listen_tcp(struct vnc *v, char *err, size_t errlen)
{
	char port[8];
	snprintf(port, sizeof(port), "%u", VNC_PORT_BASE + v->cfg.display);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int g = getaddrinfo(v->cfg.host, port, &hints, &ai);
	if (g) {
		snprintf(err, errlen, "--vnc: %s: %s", v->cfg.host, gai_strerror(g));
		return -EINVAL;
	}
	int e = -EADDRNOTAVAIL;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		int one = 1;
		if (fd < 0) {
			e = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 16) == 0) {
			v->lfd = fd;
			e = 0;
			break;
		}
		e = -errno;
		close(fd);
	}
	freeaddrinfo(ai);
	if (e)
		snprintf(err, errlen, "--vnc: cannot listen on %s port %s: %s", v->cfg.host, port, strerror(-e));
	else
		snprintf(v->addr, sizeof(v->addr), "%s:%s", v->cfg.host, port);
	return e;
}

static int listen_unix(struct vnc *v, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", v->cfg.path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* a stale socket file from an earlier run is replaced; a live one is refused */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "--vnc: unix:%s: a server is listening there already", v->cfg.path);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(v->cfg.path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = -errno;
		snprintf(err, errlen, "--vnc: unix:%s: %s", v->cfg.path, strerror(-e));
		if (fd >= 0)
			close(fd);
		return e;
	}
	v->lfd = fd;
	snprintf(v->addr, sizeof(v->addr), "unix:%s", v->cfg.path);
	return 0;
}

static void server_format(rfbScreenInfoPtr s)
{
	/* the shadow is 0x00RRGGBB in host (little-endian) order */
	s->serverFormat.redShift = 16;
	s->serverFormat.greenShift = 8;
	s->serverFormat.blueShift = 0;
}

int vnc_open(struct vnc **out, const struct vnc_cfg *cfg, char *err, size_t errlen)
{
	pthread_once(&ext_once, ext_register);
	struct vnc *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->cfg = *cfg;
	v->lfd = -1;
	pthread_mutex_init(&v->pw_lock, NULL);
	atomic_init(&v->stop, 0);
	int e = vnc_fb_init(&v->fb);
	if (!e)
		e = cfg->kind == VNC_UNIX ? listen_unix(v, err, errlen) : listen_tcp(v, err, errlen);
	if (!e && cfg->password && cfg->password_file[0])
		e = read_password_file(v, err, errlen);
	v->wake_fd = e ? -1 : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!e && v->wake_fd < 0)
		e = -errno;
	if (!e) {
		int argc = 0;
		v->screen = rfbGetScreen(&argc, NULL, (int)v->fb.w, (int)v->fb.h, 8, 3, 4);
		if (!v->screen)
			e = -ENOMEM;
	}
	if (e) {
		if (!err[0])
			snprintf(err, errlen, "--vnc: %s", strerror(-e));
		vnc_close(v);
		return e;
	}
	rfbScreenInfoPtr s = v->screen;
	s->screenData = v;
	s->frameBuffer = (char *)v->fb.px;
	s->desktopName = "kvmini";
	s->port = 0; /* no listening by libvncserver: connections come from our socket */
	s->ipv6port = 0;
	s->autoPort = FALSE;
	s->deferUpdateTime = 0; /* send at once: the thread already batches by its tick */
	s->alwaysShared = TRUE; /* several viewers at once */
	s->kbdAddEvent = on_key;
	s->ptrAddEvent = on_pointer;
	s->ignoreSIGPIPE = TRUE;
	if (cfg->password) {
		s->authPasswdData = v; /* non-NULL: offer VNC authentication */
		s->passwordCheck = check_password;
	}
	server_format(s);
	rfbInitServer(s);
	*out = v;
	return 0;
}

static unsigned count_clients(struct vnc *v, struct pollfd *p, unsigned max)
{
	unsigned n = 0;
	rfbClientIteratorPtr it = rfbGetClientIterator(v->screen);
	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		if (cl->sock != RFB_INVALID_SOCKET && n < max)
			p[n++] = (struct pollfd){ .fd = cl->sock, .events = POLLIN };
	}
	rfbReleaseClientIterator(it);
	return n;
}

static void accept_client(struct vnc *v, unsigned nclients)
{
	int fd = accept4(v->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (nclients >= MAX_CLIENTS || !rfbNewClient(v->screen, fd))
		close(fd);
}

static void mark(void *opaque, int x0, int y0, int x1, int y1)
{
	rfbMarkRectAsModified(((struct vnc *)opaque)->screen, x0, y0, x1, y1);
}

/* returns 1 if something changed */
static int refresh(struct vnc *v)
{
	uint32_t *old = NULL;
	int n = vnc_fb_refresh(&v->fb, v->disp, mark, v, &old);
	if (old) { /* new size: clients that can be told are (desktop resize), the rest get it whole */
		rfbNewFramebuffer(v->screen, (char *)v->fb.px, (int)v->fb.w, (int)v->fb.h, 8, 3, 4);
		server_format(v->screen);
		free(old);
	}
	return n > 0;
}

static void *vnc_thread(void *arg)
{
	struct vnc *v = arg;
	int tick = TICK_MIN_MS;
	while (!atomic_load(&v->stop)) {
		struct pollfd p[2 + MAX_CLIENTS + 1];
		p[0] = (struct pollfd){ .fd = v->wake_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = v->lfd, .events = POLLIN };
		unsigned nc = count_clients(v, p + 2, MAX_CLIENTS + 1);
		/* nobody watching: sleep until someone connects */
		int r = poll(p, 2 + nc, nc ? tick : -1);
		if (r < 0 && errno != EINTR)
			break;
		if (p[0].revents) {
			uint64_t x;
			if (read(v->wake_fd, &x, sizeof(x)) < 0) {
				/* EAGAIN: another wake took it */
			}
		}
		if (p[1].revents & POLLIN)
			accept_client(v, nc);
		if (nc || (p[1].revents & POLLIN))
			tick = refresh(v) ? TICK_MIN_MS : (tick * 2 > TICK_MAX_MS ? TICK_MAX_MS : tick * 2);
		rfbProcessEvents(v->screen, 0);
	}
	return NULL;
}

int vnc_attach(struct vnc *v, struct bochs_display *d, const struct vnc_input_ops *ops, void *opaque)
{
	if (v->running)
		return -EBUSY;
	v->disp = d;
	v->ops = ops;
	v->opaque = opaque;
	v->fb.fresh = 1;
	atomic_store(&v->stop, 0);
	int e = pthread_create(&v->thread, NULL, vnc_thread, v);
	if (e)
		return -e;
	v->running = 1;
	return 0;
}

void vnc_detach(struct vnc *v)
{
	if (!v || !v->running)
		return;
	atomic_store(&v->stop, 1);
	uint64_t one = 1;
	if (write(v->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the thread is being woken anyway */
	}
	pthread_join(v->thread, NULL);
	v->running = 0;
	v->disp = NULL;
}

void vnc_close(struct vnc *v)
{
	if (!v)
		return;
	vnc_detach(v);
	if (v->screen) {
		rfbShutdownServer(v->screen, TRUE);
		v->screen->frameBuffer = NULL;
		rfbScreenCleanup(v->screen);
	}
	if (v->lfd >= 0) {
		close(v->lfd);
		if (v->cfg.kind == VNC_UNIX)
			unlink(v->cfg.path);
	}
	if (v->wake_fd >= 0)
		close(v->wake_fd);
	vnc_fb_free(&v->fb);
	pthread_mutex_destroy(&v->pw_lock);
	free(v);
}

const char *vnc_address(const struct vnc *v)
{
	return v->addr;
}
