/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The QEMU front end: `kvmini qemu ARGS...` (and kvmini invoked as ...qemu-system-x86_64) takes
 * qemu-system-x86_64's options as people type them and translates them into `kvmini run`'s, which
 * then run the VM. Options kvmini cannot honour are refused with one line naming them (status 2),
 * never silently dropped; the few documented no-ops (-enable-kvm, -machine pc|q35, -boot with
 * -kernel, -boot menu=, -display none's display part, -vnc none, -net none) say why in
 * qemu_args.c. Options whose kvmini run counterpart does not exist yet are refused by one table
 * (qemu_args.c: features), so adding one later is one line there.
 *
 * The translation is pure (no files opened, nothing started): tests and the fuzzer drive it. */
#ifndef KVMINI_QEMU_ARGS_H
#define KVMINI_QEMU_ARGS_H
#include <stdbool.h>
#include <stddef.h>

#define QX_MAX_DRIVES 32
#define QX_MAX_NETS 16

struct qx_drive {
	char *id;     /* id=, or NULL */
	char *file;   /* file=, or NULL (an empty CD-ROM drive) */
	char *format; /* format=, or NULL */
	int iface;    /* QX_IF_* */
	bool cdrom, readonly, used, nolock; /* nolock: file.locking=off */
	int index;             /* index=, or -1 */
	const char *cache;     /* kvmini's cache= value, or NULL */
	const char *discard;   /* kvmini's discard= value, or NULL */
};

struct qx_netdev {
	char *id, *ifname; /* ifname NULL: kvmini picks one */
};

struct qx_fsdev {
	char *id, *path; /* a -fsdev's id (NULL for -virtfs) and path= */
	bool ro, used;
};
#define QX_MAX_FSDEVS 16

struct qx_nic {
	char *mac;   /* macaddr=, or NULL */
	int netdev;  /* index into netdevs (-net nic,netdev= or -device ...,netdev=), or -1: pairs with a -net tap */
};

struct qx_chardev {
	char *id, *path; /* -chardev file,id=,path= (the one backend kvmini's debug port can write to) */
};

/* The translation: argv for run_opts_parse ("run", options..., NULL) and what it collected. */
struct qemu_xlate {
	char **argv;
	int argc, cap;
	struct qx_drive drives[QX_MAX_DRIVES];
	unsigned ndrives;
	struct qx_netdev netdevs[QX_MAX_NETS];
	unsigned nnetdevs;
	struct qx_nic nics[QX_MAX_NETS]; /* -net nic and -device virtio-net-pci, in order */
	unsigned nnics;
	char *net_taps[QX_MAX_NETS]; /* -net tap ifname= (NULL: none given), in order */
	unsigned nnet_taps;
	struct qx_chardev chardevs[QX_MAX_NETS];
	unsigned nchardevs;
	bool debugcon; /* an isa-debugcon was given (kvmini has one debug port) */
	bool q35; /* -machine q35: -hdX, -cdrom, if=ide and ide-hd/ide-cd are AHCI ports */
	struct qx_fsdev fsdevs[QX_MAX_FSDEVS]; /* -fsdev, for -device virtio-9p-pci */
	unsigned nfsdevs;
	bool have_kernel, nographic, display_none, daemonize, serial_given, mem_given;
	bool scsi_bus, scsi_devices; /* a virtio-scsi-pci; scsi-hd/scsi-cd devices */
	bool gdb_given, stop_given;  /* -gdb or -s; -S */
	const char *boot_opt;        /* -boot's value, for the firmware boot */
	char *err;                   /* the first error's line (no "kvmini: " prefix) */
	size_t errlen;
};

/* Translates QEMU's options argv[1..argc) into x->argv. 0, or -EINVAL with one line in err (the
 * option and why; usage errors), -ENOMEM. Free x with qemu_xlate_free in both cases. */
int qemu_args_translate(struct qemu_xlate *x, int argc, char **argv, char *err, size_t errlen);
void qemu_xlate_free(struct qemu_xlate *x);

/* `kvmini qemu ARGS...` / qemu-system-x86_64 ARGS...: translates, then runs the VM as `kvmini run`
 * would. argv[0] is the command's name. Returns the exit status. */
int qemu_main(int argc, char **argv);
/* Whether argv0's base name ends in "qemu-system-x86_64" (kvmini behind such a symlink). */
bool qemu_argv0(const char *argv0);

/* ---- inside the translator (qemu_args.c, qemu_devices.c) ---- */
enum { QX_IF_IDE, QX_IF_SCSI, QX_IF_VIRTIO, QX_IF_NONE };

#define QKV_MAX 32
/* One option value split QEMU's way: "a=b,c=d", ",," a literal comma; an element without '='
 * is the implied key's value when first, else a flag: "x" is x=on and "nox" x=off. */
struct qkv {
	char *buf;
	char *key[QKV_MAX], *val[QKV_MAX];
	unsigned n;
};
int qkv_parse(struct qemu_xlate *x, struct qkv *o, const char *opt, const char *s, const char *implied);
void qkv_free(struct qkv *o);
const char *qkv_get(const struct qkv *o, const char *key);
/* Refuses a key not in allowed (NULL-terminated): -EINVAL with the line set. */
int qkv_only(struct qemu_xlate *x, const struct qkv *o, const char *opt, const char *const *allowed);
/* QEMU's booleans: on/off, yes/no, true/false; -1 for anything else */
int qkv_bool(const char *v);

int qx_fail(struct qemu_xlate *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int qx_emit(struct qemu_xlate *x, const char *a, const char *b); /* b may be NULL */
int qx_emitf(struct qemu_xlate *x, const char *opt, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Refuses opt unless kvmini run has feature (qemu_args.c's table): -EINVAL with the line set. */
int qx_need(struct qemu_xlate *x, const char *feature, const char *opt);
char *qx_strdup(struct qemu_xlate *x, const char *s);

/* qemu_devices.c: -drive, -hdX/-cdrom/positional images, -device, -netdev, -net, and what is
 * left to emit once every option was seen (drives and NICs in order) */
int qx_drive(struct qemu_xlate *x, const char *opt, const char *val);
int qx_hd(struct qemu_xlate *x, const char *opt, const char *file, int index);
int qx_cdrom(struct qemu_xlate *x, const char *opt, const char *file);
int qx_device(struct qemu_xlate *x, const char *opt, const char *val);
int qx_netdev(struct qemu_xlate *x, const char *opt, const char *val);
int qx_net(struct qemu_xlate *x, const char *opt, const char *val);
int qx_chardev(struct qemu_xlate *x, const char *opt, const char *val);
int qx_finish_devices(struct qemu_xlate *x);
/* qemu_virtfs.c: -virtfs, -fsdev and -device virtio-9p-pci (o parsed, shown for messages) */
int qx_virtfs(struct qemu_xlate *x, const char *opt, const char *val);
int qx_fsdev(struct qemu_xlate *x, const char *opt, const char *val);
int qx_virtfs_device(struct qemu_xlate *x, const char *shown, const struct qkv *o);

#endif
