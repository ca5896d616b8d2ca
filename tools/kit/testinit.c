// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kvmini test init: the only file of initramfs-test.cpio.
 *
 * Freestanding (no libc) so the image is a few KB and unpacks instantly in a
 * guest whose kernel mode is emulated. It runs the comma-separated actions of
 * the `kvtest=` boot parameter (the kernel hands unknown key=value parameters
 * to init in envp), printing one `KVMINI-INIT: ...` line per action on the
 * console, then powers off. It never exits: PID 1 exiting would panic.
 *
 * To add an action: write `static void act_x(char *arg)` and add it to
 * `actions[]`. `arg` is the text after the first ':' (or "" without one).
 *
 * A disk is named by path (/dev/vda) or by its size (@64M: the /dev/vdX, else
 * the /dev/sdX, of exactly that capacity), so one boot can use several disks
 * whatever order the PCI and MMIO transports and the SCSI/ATA hosts probe them in. Result lines print it as
 * "@64M=/dev/vdb".
 *
 * The display action (framebuffer picture, keys and pointer reports) lives
 * in testinit_display.c, included below.
 *
 * Block pattern (for host-side checks): 64-bit little-endian words from
 * xorshift64 (x ^= x<<13; x ^= x>>7; x ^= x<<17; emit x) starting at SEED
 * (0 means 0x9e3779b97f4a7c15). Checksum: FNV-1a over 64-bit words,
 * h = 0xcbf29ce484222325; per word: h ^= w; h *= 0x100000001b3.
 */

typedef unsigned long u64;
typedef long i64;

enum {
	SYS_read = 0, SYS_write = 1, SYS_open = 2, SYS_close = 3, SYS_poll = 7, SYS_lseek = 8,
	SYS_dup2 = 33, SYS_nanosleep = 35, SYS_uname = 63, SYS_fcntl = 72,
	SYS_fsync = 74, SYS_mkdir = 83, SYS_sync = 162, SYS_mount = 165,
	SYS_reboot = 169, SYS_mmap = 9,
};
#define O_RDONLY 0
#define O_RDWR 2
#define O_DIRECT 040000
#define RB_POWER_OFF 0x4321fedc
#define RB_RESTART 0x01234567
#define RB_HALT 0xcdef0123

static i64 sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 asm("r10") = d, r8 asm("r8") = e, r9 asm("r9") = f;
	long ret;
	asm volatile("syscall" : "=a"(ret)
		     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}
#define sys(n, a, b, c) sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* gcc may emit calls to these even when freestanding */
void *memset(void *d, int c, unsigned long n)
{
	char *p = d;
	while (n--)
		*p++ = (char)c;
	return d;
}
void *memcpy(void *d, const void *s, unsigned long n)
{
	char *p = d;
	const char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

static unsigned long slen(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

static int prefix(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return 0;
	return 1;
}

/* One output line is assembled here and written with a single write(). */
static char line[2048];
static unsigned long pos;

static void put(const char *s)
{
	while (*s && pos < sizeof(line) - 2)
		line[pos++] = *s++;
}
static void putu(u64 v, int base)
{
	char b[24];
	int i = 0;
	do {
		b[i++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (i)
		line[pos < sizeof(line) - 2 ? pos++ : pos] = b[--i];
}
static void putnum(i64 v)
{
	if (v < 0) {
		put("-");
		v = -v;
	}
	putu(v, 10);
}
static void begin(const char *what)
{
	pos = 0;
	put("KVMINI-INIT: ");
	put(what);
}
static void end(void)
{
	line[pos++] = '\n';
	sys(SYS_write, 1, line, pos);
}
static void say(const char *what, const char *arg)
{
	begin(what);
	if (arg) {
		put(" ");
		put(arg);
	}
	end();
}
static void fail(const char *what, i64 err)
{
	begin(what);
	put("-error ");
	putnum(err);
	end();
}

/* Reads a small text file, without its trailing newline. */
static i64 readfile(const char *path, char *buf, unsigned long size)
{
	i64 fd = sys(SYS_open, path, O_RDONLY, 0), n;
	if (fd < 0)
		return fd;
	n = sys(SYS_read, fd, buf, size - 1);
	sys(SYS_close, fd, 0, 0);
	if (n < 0)
		return n;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return n;
}

static void show_file(const char *what, const char *path)
{
	static char buf[1024];
	i64 n = readfile(path, buf, sizeof(buf));
	if (n < 0)
		fail(what, n);
	else
		say(what, buf);
}

/* Decimal with optional K/M/G suffix; *s is advanced past it. */
static u64 number(char **s)
{
	u64 v = 0;
	while (**s >= '0' && **s <= '9')
		v = v * 10 + (u64)(*(*s)++ - '0');
	switch (**s) {
	case 'K': case 'k': v <<= 10; (*s)++; break;
	case 'M': case 'm': v <<= 20; (*s)++; break;
	case 'G': case 'g': v <<= 30; (*s)++; break;
	}
	return v;
}

/* Splits "a:b:c" in place: returns the first field, *s points at the rest. */
static char *field(char **s)
{
	char *f = *s;
	while (**s && **s != ':')
		(*s)++;
	if (**s)
		*(*s)++ = 0;
	return f;
}

static void power(const char *what, long cmd)
{
	say(what, 0);
	sys(SYS_sync, 0, 0, 0);
	sys6(SYS_reboot, 0xfee1dead, 672274793, cmd, 0, 0, 0);
}

static void act_cpus(char *arg) { show_file("cpus-online", "/sys/devices/system/cpu/online"); }
static void act_cmdline(char *arg) { show_file("cmdline", "/proc/cmdline"); }
static void act_echo(char *arg) { say("echo", arg); }
static void act_poweroff(char *arg) { power("poweroff", RB_POWER_OFF); }
static void act_reboot(char *arg) { power("reboot", RB_RESTART); }
static void act_halt(char *arg) { power("halt", RB_HALT); }

static void act_uname(char *arg)
{
	static char uts[6][65];
	i64 r = sys(SYS_uname, uts, 0, 0);
	if (r < 0)
		fail("uname", r);
	else
		say("uname", uts[2]);
}

static void act_sleep(char *arg)
{
	i64 ts[2] = { (i64)number(&arg), 0 };
	sys(SYS_nanosleep, ts, 0, 0);
	say("slept", 0);
}

static void act_bootid(char *arg) { show_file("boot-id", "/proc/sys/kernel/random/boot_id"); }

/* count:N prints "count i up UPTIME" once a second, N times: a guest that shows it keeps running
 * (and from where) across a pause, a snapshot or a migration. */
/* One line "WHAT i up UPTIME", then a second's sleep. */
static void count_line(const char *what, u64 i)
{
	static char up[128];
	if (readfile("/proc/uptime", up, sizeof(up)) < 0)
		up[0] = 0;
	for (char *c = up; *c; c++)
		if (*c == ' ')
			*c = 0;
	begin(what);
	putu(i, 10);
	put(" up ");
	put(up);
	end();
	i64 ts[2] = { 1, 0 };
	sys(SYS_nanosleep, ts, 0, 0);
}

static void act_count(char *arg)
{
	u64 n = number(&arg);
	for (u64 i = 0; i < n; i++)
		count_line("count ", i);
}

/* Block I/O in 64 KiB chunks from an aligned buffer so O_DIRECT works. */
static unsigned char iobuf[65536] __attribute__((aligned(4096)));

static u64 fnv(u64 h, const u64 *w, unsigned long n)
{
	for (unsigned long i = 0; i < n / 8; i++) {
		h ^= w[i];
		h *= 0x100000001b3UL;
	}
	return h;
}

/* "@SIZE": the disk of that capacity (virtio /dev/vdX first, then SCSI,
 * IDE and SATA /dev/sdX), or 0; anything else is a path. */
static char *disk_path(char *spec)
{
	static char dev[] = "/dev/vdX", attr[] = "/sys/block/vdX/size";
	static const char kinds[] = "vs";
	char buf[32], *p = spec + 1;
	u64 want;

	if (spec[0] != '@')
		return spec;
	want = number(&p);
	for (const char *k = kinds; *k; k++)
		for (char c = 'a'; c <= 'z'; c++) {
			attr[11] = *k;
			attr[13] = c;
			if (readfile(attr, buf, sizeof(buf)) <= 0)
				continue;
			p = buf;
			if (number(&p) * 512 == want) {
				dev[5] = *k;
				dev[7] = c;
				return dev;
			}
		}
	return 0;
}

/* "SPEC" or "SPEC=DEVICE" when SPEC named the disk by size */
static void put_disk(const char *spec, const char *path)
{
	put(spec);
	if (path && path != spec) {
		put("=");
		put(path);
	}
}

static void blkfail(const char *what, const char *spec, const char *path, i64 err)
{
	begin(what);
	put("-error ");
	putnum(err);
	put(" ");
	put_disk(spec, path);
	end();
}

/*
 * Shared by blkwrite/blkread: O_DIRECT when SIZE is sector-aligned so the
 * data really goes through the device, not the page cache.
 */
static void blkio(const char *what, char *spec, u64 seed, u64 size, int writing)
{
	u64 x = seed ? seed : 0x9e3779b97f4a7c15UL, h = 0xcbf29ce484222325UL, done = 0;
	int flags = (writing ? O_RDWR : O_RDONLY) | (size % 512 ? 0 : O_DIRECT);
	char *path = disk_path(spec);
	i64 fd = path ? sys(SYS_open, path, flags, 0) : -19 /* ENODEV */, n = 0;

	if (fd < 0 || size % 8) {
		blkfail(what, spec, path, fd < 0 ? fd : -22);
		return;
	}
	while (done < size) {
		u64 chunk = size - done < sizeof(iobuf) ? size - done : sizeof(iobuf);
		if (writing) {
			u64 *w = (u64 *)iobuf;
			for (u64 i = 0; i < chunk / 8; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				w[i] = x;
			}
			n = sys(SYS_write, fd, iobuf, chunk);
		} else {
			n = sys(SYS_read, fd, iobuf, chunk);
		}
		if (n <= 0 || (u64)n != chunk)
			break;
		h = fnv(h, (u64 *)iobuf, chunk);
		done += chunk;
	}
	if (writing && done == size)
		n = sys(SYS_fsync, fd, 0, 0);
	sys(SYS_close, fd, 0, 0);
	if (done != size || n < 0) {
		blkfail(what, spec, path, n < 0 ? n : -5);
		return;
	}
	begin(what);
	put(" ");
	put_disk(spec, path);
	put(" ");
	putu(size, 10);
	put(" ");
	putu(h, 16);
	end();
}

/* blkwrite:DEV:SEED:SIZE */
static void act_blkwrite(char *arg)
{
	char *path = field(&arg);
	u64 seed = number(&arg);
	field(&arg);
	blkio("blkwrite", path, seed, number(&arg), 1);
}

/* blkread:DEV:SIZE (checksum of what is there, to compare with blkwrite's) */
static void act_blkread(char *arg)
{
	char *path = field(&arg);
	blkio("blkread", path, 0, number(&arg), 0);
}

/*
 * powerbutton: what systemd-logind or acpid do with the ACPI power button.
 * Opens every /dev/input/eventN (the kernel's ACPI button driver is one),
 * says "powerbutton-ready", waits for KEY_POWER pressed, then says
 * "power button" and powers off. Without any input device it says so and
 * carries on.
 */
#define EV_KEY 1
#define KEY_POWER 116
#define MAX_INPUTS 8
struct pollfd_ { int fd; short events, revents; };
struct input_event_ { i64 sec, usec; unsigned short type, code; int value; };

static void act_powerbutton(char *arg)
{
	static char dev[] = "/dev/input/eventN";
	struct pollfd_ p[MAX_INPUTS];
	int n = 0;

	for (int i = 0; i < MAX_INPUTS; i++) {
		dev[16] = (char)('0' + i);
		i64 fd = sys(SYS_open, dev, O_RDONLY, 0);
		if (fd >= 0) {
			p[n].fd = (int)fd;
			p[n].events = 1; /* POLLIN */
			n++;
		}
	}
	if (!n) {
		say("powerbutton-error", "no /dev/input/event device");
		return;
	}
	say("powerbutton-ready", 0);
	for (;;) {
		if (sys(SYS_poll, p, n, -1) < 0)
			continue;
		for (int i = 0; i < n; i++) {
			struct input_event_ ev;
			if (!(p[i].revents & 1) || sys(SYS_read, p[i].fd, &ev, sizeof(ev)) != sizeof(ev))
				continue;
			if (ev.type == EV_KEY && ev.code == KEY_POWER && ev.value == 1) {
				say("power button", 0);
				power("poweroff", RB_POWER_OFF);
			}
		}
	}
}

#include "testinit_display.c"

/* diskcount:DEV:N: once a second, N times, writes 4 KiB block i of DEV (the block pattern with
 * SEED i + 1, O_DIRECT, fsync) and prints "diskcount i up UPTIME": a guest whose counter, clock
 * and disk writes can be followed across a migration, and checked on the host afterwards. */
static void act_diskcount(char *arg)
{
	char *spec = field(&arg), *path = disk_path(spec);
	u64 n = number(&arg);
	i64 fd = path ? sys(SYS_open, path, O_RDWR | O_DIRECT, 0) : -19;
	if (fd < 0) {
		blkfail("diskcount", spec, path, fd);
		return;
	}
	for (u64 i = 0; i < n; i++) {
		u64 x = i + 1, *w = (u64 *)iobuf;
		for (u64 k = 0; k < 512; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w[k] = x;
		}
		i64 r = sys(SYS_lseek, fd, (long)(i * 4096), 0);
		if (r >= 0)
			r = sys(SYS_write, fd, iobuf, 4096);
		if (r == 4096)
			r = sys(SYS_fsync, fd, 0, 0);
		if (r < 0) {
			blkfail("diskcount", spec, path, r);
			break;
		}
		count_line("diskcount ", i);
	}
	sys(SYS_close, fd, 0, 0);
}

/* dirty:MIB:RATE:SECS: maps MIB MiB (once a boot: a later dirty action reuses the mapping), writes
 * every page, says "dirty-ready", then for SECS seconds writes one word in RATE MiB worth of its
 * pages a second (100 steps a second, cycling) and says "dirty-done": memory dirtied at a fixed
 * rate, for the migration benchmark (RATE 0: idle). */
static void act_dirty(char *arg)
{
	u64 mib = number(&arg);
	field(&arg);
	u64 rate = number(&arg);
	field(&arg);
	u64 secs = number(&arg), pages = mib * 256, next = 0;
	static i64 p; /* one mapping for every dirty action of the boot (the first one's size) */
	static u64 mapped;
	if (!mapped) {
		p = sys6(SYS_mmap, 0, (long)(mib << 20), 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
		if (p < 0 && p > -4096) {
			fail("dirty", p);
			return;
		}
		mapped = pages;
	}
	pages = pages < mapped ? pages : mapped;
	volatile u64 *m = (volatile u64 *)p;
	for (u64 i = 0; i < pages; i++)
		m[i * 512] = i + 1;
	say("dirty-ready", 0);
	u64 per_step = rate * 256 / 100, gen = 1;
	for (u64 s = 0; s < secs * 100; s++) {
		for (u64 k = 0; k < per_step && pages; k++) {
			m[next * 512] = ++gen;
			next = next + 1 == pages ? 0 : next + 1;
		}
		i64 ts[2] = { 0, 10000000 };
		sys(SYS_nanosleep, ts, 0, 0);
	}
	say("dirty-done", 0);
}

static const struct {
	const char *name;
	void (*fn)(char *arg);
} actions[] = {
	{ "powerbutton", act_powerbutton },
	{ "display", act_display },
	{ "cpus", act_cpus },		{ "echo", act_echo },
	{ "uname", act_uname },		{ "cmdline", act_cmdline },
	{ "poweroff", act_poweroff },	{ "reboot", act_reboot },
	{ "halt", act_halt },		{ "sleep", act_sleep },
	{ "blkwrite", act_blkwrite },	{ "blkread", act_blkread },
	{ "bootid", act_bootid },	{ "count", act_count },
	{ "diskcount", act_diskcount },	{ "dirty", act_dirty },
};

static void run(char *act)
{
	char *arg = act;
	field(&arg);
	for (unsigned long i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (!actions[i].name[slen(act)] && prefix(actions[i].name, act)) {
			actions[i].fn(arg);
			return;
		}
	}
	say("unknown-action", act);
}

static void mnt(const char *src, const char *dir, const char *type)
{
	i64 r;
	sys(SYS_mkdir, dir, 0755, 0);
	r = sys6(SYS_mount, (long)src, (long)dir, (long)type, 0, 0, 0);
	if (r < 0)
		fail(dir, r);
}

__attribute__((used)) void start_c(long *sp)
{
	char **envp = (char **)(sp + 2 + sp[0]), *list = 0; /* argc, argv..., NULL, envp */
	i64 fd;

	mnt("proc", "/proc", "proc");
	mnt("sysfs", "/sys", "sysfs");
	mnt("devtmpfs", "/dev", "devtmpfs");
	/*
	 * The kernel opened the cpio's /dev/console as fds 0-2; without that node
	 * they are closed, so use devtmpfs's console instead.
	 */
	fd = sys(SYS_fcntl, 1, 1 /* F_GETFD */, 0) < 0 ? sys(SYS_open, "/dev/console", O_RDWR, 0) : -1;
	if (fd >= 0) {
		for (int i = 0; i < 3; i++)
			if (fd != i)
				sys(SYS_dup2, fd, i, 0);
		if (fd > 2)
			sys(SYS_close, fd, 0, 0);
	}
	say("start", 0);

	for (; *envp; envp++)
		if (prefix(*envp, "kvtest="))
			list = *envp + 7;
	if (!list || !*list) {
		say("no-kvtest", 0);
	} else {
		while (*list) {
			char *act = list;
			while (*list && *list != ',')
				list++;
			if (*list)
				*list++ = 0;
			if (*act)
				run(act);
		}
	}
	say("end", 0);
	/* never return: if even poweroff fails, stay alive rather than panic */
	for (;;) {
		power("poweroff", RB_POWER_OFF);
		i64 ts[2] = { 1, 0 };
		sys(SYS_nanosleep, ts, 0, 0);
	}
}

asm(".globl _start\n"
    "_start:\n"
    "	xor %ebp, %ebp\n"
    "	mov %rsp, %rdi\n"
    "	and $-16, %rsp\n"
    "	call start_c\n"
    "	hlt\n");
