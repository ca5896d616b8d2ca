/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the machine (vmm/machine.c and vmm/machine_qmp.c only): the state of `kvmini run`, the
 * VM's run state as QMP reports it, and what the QMP side asks the main loop to do. */
#ifndef KVMINI_MACHINE_PRIV_H
#define KVMINI_MACHINE_PRIV_H

#include "control.h"
#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "gdb_stub.h"
#include "kvm.h"
#include "machine.h"
#include "machine_ahci.h"
#include "machine_console.h"
#include "machine_disk.h"
#include "machine_ide.h"
#include "machine_fw.h"
#include "machine_display.h"
#include "machine_net.h"
#include "machine_prof.h"
#include "machine_scsi.h"
#include "machine_share.h"
#include "qmp.h"
#include "state.h"
#include "vcpu.h"
#include "virtio/blk.h"

#define CMDLINE_MAX 4096

/* QEMU's run states that kvmini has (query-status) */
enum run_state { RS_RUNNING, RS_PAUSED, RS_SHUTDOWN, RS_INMIGRATE, RS_POSTMIGRATE };
enum host_req { HOST_NONE, HOST_RESET, HOST_QUIT };
/* what the main loop does next */
enum loop_next { LOOP_CONTINUE = -1, LOOP_EXIT, LOOP_REBUILD };

/* Everything that lives as long as the process; the VM itself is rebuilt on a guest reset. */
struct machine {
	const struct run_opts *o;
	struct kvm kvm;
	uint8_t *kernel, *initrd;
	size_t kernel_len, initrd_len;
	char base_cmdline[CMDLINE_MAX]; /* the user's plus what the host needs */
	char cmdline[CMDLINE_MAX]; /* plus this incarnation's virtio-mmio entries */
	struct disk_spec dspec[OPT_MAX_DEVS];
	struct disk *disks[OPT_MAX_DEVS]; /* virtio-blk ones; NULL for if=scsi and if=ide */
	unsigned ndisks;
	struct machine_scsi scsi; /* if=scsi drives, their controller per incarnation */
	struct machine_ide ide;   /* if=ide, --hdX and --cdrom drives, the PIIX3 per incarnation */
	struct machine_ahci ahci; /* if=sata drives, their controller per incarnation */
	struct machine_console console;
	int sig_fd;
	int exit_signal;
	const struct machine_env *env; /* NULL for an anonymous VM */
	/* QMP (named VMs): lives as long as the process, across VM rebuilds */
	int has_ctl;
	struct qmp_commands cmds;
	struct control ctl;
	enum run_state state;
	int reboot_shutdown; /* set-action reboot=shutdown (or --no-reboot): a guest reset powers off */
	int shutdown_pause; /* set-action shutdown=pause: a guest poweroff leaves the VM in "shutdown" */
	enum host_req host_req; /* asked by QMP or a signal, acted on by the main loop */
	const char *host_cause; /* its ShutdownCause */
	int start_paused; /* the next incarnation starts paused (reset of a VM that was not running) */
	int cont_pending; /* a cont came while a system_reset was on its way: the new incarnation runs */
	/* one VM incarnation */
	struct vm vm;
	struct vcpus vcpus;
	struct serial *serial;
	struct i8042 *i8042;
	struct rtc *rtc;
	struct acpi_pm *pm;
	struct debug_exit *dbgexit; /* --exit-device, NULL without */
	struct pci_host *pci;
	struct virtio_blk *blks[OPT_MAX_DEVS];
	struct machine_nets nets; /* taps for the run, virtio-net devices per incarnation */
	struct machine_display display; /* the VNC server for the run, display and input per incarnation */
	struct machine_shares shares; /* --share: virtio-9p devices per incarnation */
	struct state_registry reg; /* this incarnation's saved parts, in save order */
	struct machine_prof prof; /* the exit profiler (--stats, --trace, ...) */
	struct gdb_stub *gdb; /* --gdb: lives as long as the process, NULL without */
	int restoring; /* the next build continues o->snap instead of booting the kernel */
	struct machine_fw fw; /* no --kernel: SeaBIOS boots the disks */
	int incoming; /* the next build waits for a migration instead of booting the kernel */
	struct machine_mig *mig; /* machine_migrate.c's */
	struct fw_cfg *mb_fc; /* a multiboot kernel's fw_cfg (machine_mboot.c), NULL without */
	struct testdev *mb_testdev; /* and its pc-testdev */
};

/* Reads a whole regular file into *buf (malloc'd); -1 after one line naming what and path. */
int machine_read_file(const char *what, const char *path, uint8_t **buf, size_t *len);

/* machine_mboot.c: a multiboot --kernel's fw_cfg (CPU count, RAM size) and pc-testdev, created
 * and registered for their state after msnap_register; 0 (also for any other kernel) or -1 after
 * one line. */
int mmboot_add(struct machine *m);
void mmboot_remove(struct machine *m);


/* machine_snap.c: a snapshot into the existing directory dir (absolute; QMP's command), and the
 * restore of o->snap into a board just built, before its vCPUs start. 0, or -errno with one line
 * in why. */
int msnap_save(struct machine *m, const char *dir, int resume, char *why, size_t whylen);
/* msnap_save that also gives each writable image the internal qcow2 snapshot called internal
 * (NULL: none), taken while the devices are paused and after the images were flushed; every
 * writable image must be qcow2 (-EOPNOTSUPP with libvirt's words otherwise). The images' paths
 * go into the JSON array done. */
int msnap_save_internal(struct machine *m, const char *dir, int resume, const char *internal, json_object *done,
			char *why, size_t whylen);
/* Deletes the internal snapshot name from every writable qcow2 image that has it (devices paused
 * meanwhile); their paths go into done. */
int msnap_disk_snapshot_delete(struct machine *m, const char *name, json_object *done, char *why, size_t whylen);
int msnap_restore(struct machine *m, char *why, size_t whylen);
/* The same for any checked image (a migration's), clock_mode an enum vm_clock_mode. */
struct snap_image;
int msnap_restore_image(struct machine *m, const struct snap_image *img, int clock_mode, char *why, size_t whylen);

/* machine_snap_devs.c: the registry of this incarnation's parts (after its devices are built). */
int msnap_register(struct machine *m);
/* Every virtio device of this incarnation, in registration order (disks, then NICs): how many. */
#define MSNAP_MAX_VDEVS (3 * OPT_MAX_DEVS + 3) /* disks, NICs, the SCSI controller, the tablet, shares, the root share */
unsigned msnap_vdevs(struct machine *m, struct virtio_dev **out);
/* Every image the guest's drives have open (virtio-blk, the SCSI LUNs, IDE, then AHCI drives;
 * CD-ROMs with a medium): how many, at most MSNAP_MAX_DISKS. */
#define MSNAP_MAX_DISKS (OPT_MAX_DEVS + 5) /* --disk, --cdrom, --hda..--hdd */
unsigned msnap_host_disks(struct machine *m, struct disk **out);
/* disk_flush on each of them: 0, or -errno with the image named in why. */
int msnap_flush(struct machine *m, char *why, size_t whylen);
/* Every device with an I/O thread paused and drained (virtio, IDE, AHCI), so nothing completes into
 * guest memory or the images until msnap_resume; p records what was, msnap_resume undoes exactly
 * that (also after a failed pause). 0, or -errno with why. */
struct msnap_paused {
	struct virtio_dev *vd[MSNAP_MAX_VDEVS];
	unsigned nvd;
	bool ide, ahci;
};
int msnap_pause(struct machine *m, struct msnap_paused *p, char *why, size_t whylen);
void msnap_resume(struct machine *m, struct msnap_paused *p);
/* The "machine" section's payload; the whole state stream (vCPUs stopped, devices paused) as a
 * malloc'd buffer. 0 or -errno (with why). */
int msnap_board(struct machine *m, struct state_writer *w);
int msnap_state(struct machine *m, uint8_t **buf, size_t *len, char *why, size_t whylen);

/* machine_migrate.c: live migration, both ends (vmm/migrate.h). open: at start (binds
 * --incoming's socket); register: its QMP commands; watch/handle: its eventfd on the main loop;
 * start_incoming: once the target's board runs (paused); teardown: before an incarnation goes (a
 * migration in flight fails); close: at the end. busy: the guest is stopped for a migration's
 * last step (cont must not run it). */
int mmig_open(struct machine *m);
int mmig_register(struct machine *m);
void mmig_watch(struct machine *m, int ep);
int mmig_handle(struct machine *m, int fd);
int mmig_start_incoming(struct machine *m);
void mmig_teardown(struct machine *m);
void mmig_close(struct machine *m);
int mmig_busy(struct machine *m);
/* cont (1) or stop (0) while inmigrate: whether the guest runs once it has arrived */
void mmig_autostart(struct machine *m, int run);

/* machine_qmp.c: the control socket and its commands (no-ops for an anonymous VM) */
int mqmp_open(struct machine *m);
void mqmp_close(struct machine *m);
void mqmp_watch(struct machine *m, int ep);
/* 1 if fd was the control socket's (and it was served) */
int mqmp_handle(struct machine *m, int fd);
void mqmp_event(struct machine *m, const char *name, json_object *data);
/* A command of the machine's table (NULL-name terminated lists). */
struct mqmp_command {
	const char *name;
	const struct qmp_arg *args;
	qmp_handler fn;
};
/* machine_qmp_block.c: query-block and the CD-ROM medium changes */
extern const struct mqmp_command mqmp_block_commands[];
/* The host stops the VM (a signal, Ctrl-A x, QMP quit): SHUTDOWN {guest: false, reason: cause}. */
void machine_host_quit(struct machine *m, const char *cause);
/* Called by the main loop on every turn: sends the events of what happened (a guest poweroff or
 * reset, a host request) and applies the actions; says whether to go on, rebuild or exit. */
enum loop_next machine_next(struct machine *m);

#endif
