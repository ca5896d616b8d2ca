// SPDX-License-Identifier: GPL-2.0-or-later
/* `kvmini net up|down|status`: the host side of guest networking in one command. `up` makes a
 * bridge with an address, turns on IPv4 forwarding and masquerades the bridge's subnet out of an
 * uplink in an nftables table of its own; `down` undoes exactly what `up` recorded in its state
 * file, nothing else. Runs iproute2 and nft (Debian's) without a shell. */
#include "tools/net.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/log.h"

struct net_state {
	char bridge[IF_NAMESIZE];
	char addr[64]; /* address we added ("" none) */
	char nat_out[IF_NAMESIZE];
	char table[64]; /* nft table we created ("" none) */
	int bridge_created;
	int forward_was; /* ip_forward before up (-1: we did not touch it) */
};

static void usage(FILE *f)
{
	fputs("Usage: kvmini net up [--bridge BR] [--address ADDR/LEN] [--nat-out IFACE] [--state FILE]\n"
	      "       kvmini net down [--bridge BR] [--state FILE]\n"
	      "       kvmini net status [--bridge BR] [--state FILE]\n"
	      "Host networking for guests started with --net tap,bridge=BR.\n"
	      "\n"
	      "  up      create bridge BR (default br0) with ADDR (default 10.0.2.1/24), enable IPv4\n"
	      "          forwarding and, with --nat-out, masquerade the bridge's subnet out of IFACE in\n"
	      "          the nftables table 'ip kvmini_BR'. What it did is written to the state file.\n"
	      "  down    undo exactly what 'up' recorded (an existing bridge or address is left alone)\n"
	      "  status  show the recorded state and the bridge\n"
	      "  --state FILE   default /run/kvmini/net-BR.state\n",
	      f);
}

/* Runs argv; returns its exit status (or -errno if it could not run). quiet: no stderr. */
static int run(char *const argv[], int quiet)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0)
				dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#define RUN(q, ...) run((char *const[]){ __VA_ARGS__, NULL }, q)

static int state_write(const char *path, const struct net_state *s)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "bridge=%s\nbridge_created=%d\naddr=%s\nnat_out=%s\ntable=%s\nforward_was=%d\n", s->bridge,
		s->bridge_created, s->addr, s->nat_out, s->table, s->forward_was);
	return fclose(f) ? -errno : 0;
}

static int state_read(const char *path, struct net_state *s)
{
	memset(s, 0, sizeof(*s));
	s->forward_was = -1;
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *v = strchr(line, '=');
		if (!v)
			continue;
		*v++ = 0;
		if (!strcmp(line, "bridge"))
			snprintf(s->bridge, sizeof(s->bridge), "%s", v);
		else if (!strcmp(line, "bridge_created"))
			s->bridge_created = atoi(v);
		else if (!strcmp(line, "addr"))
			snprintf(s->addr, sizeof(s->addr), "%s", v);
		else if (!strcmp(line, "nat_out"))
			snprintf(s->nat_out, sizeof(s->nat_out), "%s", v);
		else if (!strcmp(line, "table"))
			snprintf(s->table, sizeof(s->table), "%s", v);
		else if (!strcmp(line, "forward_was"))
			s->forward_was = atoi(v);
	}
	fclose(f);
	return 0;
}

static int forward_get(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int forward_set(int v)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "w");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", v);
	return fclose(f) ? -errno : 0;
}

/* The subnet of ADDR/LEN, as nft wants it (e.g. 10.0.2.0/24). */
int net_subnet_of(const char *addr, char *out, size_t len)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(addr, '/');
	struct in_addr a;
	if (!slash || (size_t)(slash - addr) >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, addr, (size_t)(slash - addr));
	ip[slash - addr] = 0;
	char *end;
	unsigned long p = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, ip, &a) != 1 || slash[1] < '0' || slash[1] > '9' || *end || p < 1 || p > 32)
		return -EINVAL;
	a.s_addr &= htonl(p == 32 ? ~0u : ~(~0u >> p));
	if (!inet_ntop(AF_INET, &a, ip, sizeof(ip)))
		return -errno;
	snprintf(out, len, "%s/%lu", ip, p);
	return 0;
}

static int net_up(const char *br, const char *addr, const char *nat_out, const char *state)
{
	struct net_state s = { .forward_was = -1 };
	if (access(state, F_OK) == 0) {
		kv_log("net up: %s exists: already up (run 'kvmini net down' first)", state);
		return 1;
	}
	char subnet[64];
	if (net_subnet_of(addr, subnet, sizeof(subnet))) {
		kv_log("net up: --address %s: expected A.B.C.D/LEN", addr);
		return 2;
	}
	if (nat_out && (!if_nametoindex(nat_out))) {
		kv_log("net up: --nat-out %s: no such interface", nat_out);
		return 2;
	}
	snprintf(s.bridge, sizeof(s.bridge), "%s", br);
	/* record as we go, so a failure half-way can still be undone with 'down' */
	if (!if_nametoindex(br)) {
		if (RUN(0, "ip", "link", "add", (char *)br, "type", "bridge")) {
			kv_log("net up: cannot create bridge %s (ip link add failed)", br);
			return 1;
		}
		s.bridge_created = 1;
	}
	state_write(state, &s);
	if (RUN(1, "ip", "addr", "add", (char *)addr, "dev", (char *)br) == 0)
		snprintf(s.addr, sizeof(s.addr), "%s", addr);
	/* else: already there (not ours to remove later) */
	state_write(state, &s);
	if (RUN(0, "ip", "link", "set", (char *)br, "up")) {
		kv_log("net up: cannot bring %s up", br);
		return 1;
	}
	int fw = forward_get();
	if (fw == 0) {
		if (forward_set(1) < 0) {
			kv_log("net up: cannot enable /proc/sys/net/ipv4/ip_forward");
			return 1;
		}
		s.forward_was = 0;
		state_write(state, &s);
	}
	if (nat_out) {
		snprintf(s.nat_out, sizeof(s.nat_out), "%s", nat_out);
		char table[64];
		snprintf(table, sizeof(table), "kvmini_%s", br);
		if (RUN(0, "nft", "add", "table", "ip", table)) {
			kv_log("net up: nft add table failed (is nftables installed?)");
			return 1;
		}
		snprintf(s.table, sizeof(s.table), "%s", table);
		state_write(state, &s);
		int r = RUN(0, "nft", "add", "chain", "ip", table, "kvmini_nat", "{ type nat hook postrouting priority srcnat ; }");
		r = r ?: RUN(0, "nft", "add", "rule", "ip", table, "kvmini_nat", "ip", "saddr", subnet, "oifname", (char *)nat_out,
			     "masquerade");
		r = r ?: RUN(0, "nft", "add", "chain", "ip", table, "kvmini_fwd", "{ type filter hook forward priority filter ; }");
		r = r ?: RUN(0, "nft", "add", "rule", "ip", table, "kvmini_fwd", "iifname", (char *)br, "accept");
		r = r ?: RUN(0, "nft", "add", "rule", "ip", table, "kvmini_fwd", "oifname", (char *)br, "ct", "state",
			     "established,related", "accept");
		if (r) {
			kv_log("net up: setting up NAT in nft table ip %s failed", table);
			return 1;
		}
	}
	printf("bridge %s%s, address %s, forwarding on%s%s\n", br, s.bridge_created ? " (created)" : "", addr,
	       nat_out ? ", NAT out of " : "", nat_out ? nat_out : "");
	return 0;
}

static int net_down(const char *state)
{
	struct net_state s;
	if (state_read(state, &s) < 0) {
		kv_log("net down: %s: nothing recorded (was 'kvmini net up' run?)", state);
		return 1;
	}
	int bad = 0;
	if (s.table[0] && RUN(0, "nft", "delete", "table", "ip", s.table))
		bad = 1;
	if (s.forward_was == 0 && forward_set(0) < 0)
		bad = 1;
	if (s.bridge_created) {
		if (if_nametoindex(s.bridge) && RUN(0, "ip", "link", "del", s.bridge))
			bad = 1;
	} else if (s.addr[0] && RUN(0, "ip", "addr", "del", s.addr, "dev", s.bridge)) {
		bad = 1;
	}
	if (bad) {
		kv_log("net down: some steps failed; %s kept", state);
		return 1;
	}
	unlink(state);
	printf("removed what 'net up' created for %s\n", s.bridge);
	return 0;
}

static int net_status(const char *br, const char *state)
{
	struct net_state s;
	if (state_read(state, &s) < 0) {
		printf("%s: not set up by kvmini (no %s)\n", br, state);
		return 1;
	}
	printf("bridge %s%s\naddress %s\nip_forward %d (before up: %s)\n", s.bridge,
	       s.bridge_created ? " (created by kvmini)" : " (existing)", s.addr[0] ? s.addr : "(existing)", forward_get(),
	       s.forward_was < 0 ? "already on" : "off");
	if (s.table[0])
		printf("nat out of %s, nft table ip %s\n", s.nat_out, s.table);
	else
		printf("nat off\n");
	fflush(stdout);
	RUN(1, "ip", "-br", "addr", "show", "dev", s.bridge);
	return 0;
}

int net_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bridge", required_argument, NULL, 'b' }, { "address", required_argument, NULL, 'a' },
		{ "nat-out", required_argument, NULL, 'n' }, { "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *cmd = argv[1], *br = "br0", *addr = "10.0.2.1/24", *nat = NULL, *state = NULL;
	opterr = 0;
	optind = 2;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': br = optarg; break;
		case 'a': addr = optarg; break;
		case 'n': nat = optarg; break;
		case 's': state = optarg; break;
		case 'h': usage(stdout); return 0;
		default:
			kv_log("net: %s: unknown option or missing value (try 'kvmini net --help')", argv[optind - 1]);
			return 2;
		}
	}
	if (!br[0] || strlen(br) >= IF_NAMESIZE || strchr(br, '/')) {
		kv_log("net: --bridge %s: not a valid interface name", br);
		return 2;
	}
	char def[128];
	snprintf(def, sizeof(def), "/run/kvmini/net-%s.state", br);
	if (!state)
		state = def;
	if (!strcmp(cmd, "up"))
		return net_up(br, addr, nat, state);
	if (!strcmp(cmd, "down"))
		return net_down(state);
	if (!strcmp(cmd, "status"))
		return net_status(br, state);
	kv_log("net: %s: unknown command (up, down or status)", cmd);
	return 2;
}
