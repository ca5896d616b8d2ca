/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VM definition: the subset of libvirt's domain XML (https://libvirt.org/formatdomain.html) that
 * kvmini understands, as a plain struct. tools/domain_xml.c parses it (libxml2), tools/
 * domain_format.c writes it back (valid for `virt-xml-validate FILE domain`), tools/domain_argv.c
 * turns it into `kvmini run` arguments. Strings are malloc'd and owned by the struct (NULL: absent).
 * Everything parsed is kept so that dumpxml round-trips, even what `run` cannot do yet. */
#ifndef KVMINI_DOMAIN_H
#define KVMINI_DOMAIN_H
#include <stddef.h>
#include <stdint.h>

#define DOM_MAX_DISKS 16
#define DOM_MAX_NETS 16
#define DOM_MAX_BOOT 4

enum dom_disk_type { DOM_DISK_FILE, DOM_DISK_BLOCK, DOM_DISK_VOLUME };
enum dom_disk_device { DOM_DEV_DISK, DOM_DEV_CDROM };
enum dom_disk_fmt { DOM_FMT_PROBE, DOM_FMT_RAW, DOM_FMT_QCOW2 }; /* PROBE: <driver type> left out */
enum dom_bus { DOM_BUS_VIRTIO, DOM_BUS_SCSI, DOM_BUS_IDE, DOM_BUS_SATA };
enum dom_net_type { DOM_NET_BRIDGE, DOM_NET_ETHERNET };
enum dom_cpu_mode { DOM_CPU_DEFAULT, DOM_CPU_HOST_PASSTHROUGH, DOM_CPU_HOST_MODEL };
/* on_poweroff/on_reboot/on_crash, libvirt's words */
enum dom_action { DOM_ACT_DESTROY, DOM_ACT_RESTART, DOM_ACT_PRESERVE, DOM_ACT_RENAME_RESTART };
enum dom_boot_dev { DOM_BOOT_HD, DOM_BOOT_CDROM, DOM_BOOT_NETWORK, DOM_BOOT_FD };

struct dom_disk {
	enum dom_disk_type type;
	enum dom_disk_device device;
	enum dom_disk_fmt fmt;
	char *source; /* file= or dev= (NULL for an empty cdrom) */
	char *pool, *volume; /* type volume */
	char *target; /* target dev, e.g. "vda", "sda", "hdc" */
	enum dom_bus bus;
	int readonly;
};

struct dom_net {
	enum dom_net_type type;
	char *bridge; /* type bridge: <source bridge> */
	char *tap; /* <target dev> (type ethernet: the tap to use or create) */
	char mac[18]; /* "52:54:00:..."; "" when absent (kvmini picks one) */
	char *model; /* "virtio" */
};

struct domain {
	char *name;
	uint8_t uuid[16];
	int has_uuid;
	char *title, *description;
	uint64_t memory; /* bytes (<memory> with its unit; libvirt's default unit is KiB) */
	uint64_t current_memory; /* bytes; 0: absent or not below memory (parsed as 0 then) */
	unsigned vcpus;
	/* <os> */
	char *os_arch, *os_machine; /* <type arch= machine=>: kept for dumpxml */
	char *kernel, *initrd, *cmdline;
	enum dom_boot_dev boot[DOM_MAX_BOOT];
	unsigned nboot;
	int acpi, apic; /* <features> */
	enum dom_cpu_mode cpu_mode;
	char *clock_offset; /* "utc", "localtime" */
	enum dom_action on_poweroff, on_reboot, on_crash;
	int hugepages; /* <memoryBacking><hugepages/> */
	struct dom_disk disks[DOM_MAX_DISKS];
	unsigned ndisks;
	int virtio_scsi; /* <controller type='scsi' model='virtio-scsi'> */
	struct dom_net nets[DOM_MAX_NETS];
	unsigned nnets;
	int serial_pty, console_pty; /* <serial type='pty'>, <console type='pty'> */
	int graphics_vnc; /* <graphics type='vnc'> */
	int vnc_port; /* -1: autoport */
	char *vnc_listen;
	char *video_model; /* <video><model type=> */
};

/* Diagnostics while parsing: warnings (an element or attribute value kvmini does not implement,
 * named once per message in a domain_parse call; also what is kept but not emulated, e.g. <video>)
 * and the one error line. Both read "line N: ..." without a "kvmini: " prefix, e.g.
 * "line 31: <controller type='usb'>: not supported by kvmini, ignored". */
typedef void (*dom_warn_fn)(void *opaque, const char *msg);

/* Parses one or two domain documents from buf (virt-install --print-xml prints an install pass
 * then the final pass, concatenated). out[0] is the first, out[1] the second or NULL; the one to
 * define is out[1] when there are two (the final pass). Fields absent from the XML get libvirt's
 * defaults (vcpus 1, on_reboot restart, on_poweroff/on_crash destroy, vnc_port -1). Returns 0, or
 * -EINVAL (-ENOMEM) with a one-line reason in err ("line 12: ..." both for XML that is not well
 * formed and for what is missing or invalid); nothing is allocated on error. warn may be NULL.
 * The input is untrusted: no DTD (a DOCTYPE is refused), no entities, no network, at most 1 MiB. */
int domain_parse(const char *buf, size_t len, struct domain *out[2], char *err, size_t errlen, dom_warn_fn warn,
		 void *opaque);
/* Reads path and parses it as above; err is prefixed with nothing (the caller names the file):
 * "No such file or directory", "line 3: ...". */
int domain_parse_file(const char *path, struct domain *out[2], char *err, size_t errlen, dom_warn_fn warn,
		      void *opaque);
/* Frees d's strings and d itself (a struct from domain_parse); NULL is fine. */
void domain_free(struct domain *d);

/* The XML for d (malloc'd, NUL-terminated), libvirt's layout; NULL without memory. A missing uuid
 * is generated into d first, so a definition keeps the same uuid from then on. */
char *domain_format(struct domain *d);

/* Resolves a <disk type='volume'> to a path (tools/pool.h provides one for the storage pools).
 * 0, or -errno with a reason in err. */
typedef int (*dom_vol_resolve_fn)(void *opaque, const char *pool, const char *vol, char *path, size_t len,
				  char *err, size_t errlen);

/* The `kvmini run` arguments for d (after "run"; the caller adds --definition, --daemonize):
 * --name, --mem, --cpus, [--cpu host], --kernel, [--initrd], [--append], [--hugepages],
 * [--no-reboot], [--serial pty], then --disk and --net per device. No <serial>/<console> gives
 * no --serial (run's default). Volumes go through resolve (NULL: a volume disk is an error).
 * Returns argc with *argv malloc'd (NULL-terminated; free with domain_argv_free), or -errno with
 * a one-line reason in err: what run cannot do yet is -EOPNOTSUPP, "NAME: cdrom hdc is not
 * supported yet" (cdroms, ide/sata/scsi buses, virtio-scsi, VNC, firmware boot without <kernel>,
 * non-virtio NICs, on_poweroff other than destroy, on_reboot preserve/rename-restart), never
 * dropped; a failed resolve or a disk path with ',' is "NAME: disk vda: why". */
int domain_argv(const struct domain *d, char ***argv, dom_vol_resolve_fn resolve, void *opaque, char *err,
		size_t errlen);
void domain_argv_free(char **argv);

#endif
