// SPDX-License-Identifier: GPL-2.0-or-later
#include "machine_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "cpuid.h"
#include "daemon.h"
#include "firmware/acpi.h"
#include "firmware/layout.h"
#include "firmware/mptable.h"
#include "firmware/multiboot.h"
#include "log.h"
#include "size.h"
#include "rootfs.h"
#include "snapshot.h"

int machine_read_file(const char *what, const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		kv_err(-errno, "%s %s", what, path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0) {
		kv_log("%s %s: %s", what, path, S_ISREG(st.st_mode) ? "empty file" : "not a regular file");
		close(fd);
		return -1;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len);
	size_t got = 0;
	while (*buf && got < *len) {
		ssize_t n = read(fd, *buf + got, *len - got);
		if (n <= 0) {
			kv_err(n < 0 ? -errno : -EIO, "%s %s: read", what, path);
			close(fd);
			free(*buf);
			*buf = NULL;
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	if (!*buf) {
		kv_log("%s %s: too large to load", what, path);
		return -1;
	}
	return 0;
}

static void free_files(struct machine *m)
{
	free(m->kernel);
	free(m->initrd);
	m->kernel = m->initrd = NULL;
}

static int load_files(struct machine *m)
{
	if (!m->o->kernel)
		return 0; /* firmware boot: the BIOS file is read by machine_fw */
	if (machine_read_file("--kernel", m->o->kernel, &m->kernel, &m->kernel_len) ||
	    (m->o->initrd && machine_read_file("--initrd", m->o->initrd, &m->initrd, &m->initrd_len))) {
		free_files(m);
		return -1;
	}
	/* --rootfs-share: the initramfs that switches root to the share (its argument is checked
	 * again, with a message, by machine_shares_open) */
	struct rootfs_spec rs;
	char err[64];
	int r = m->o->rootfs_share && !rootfs_spec_parse(m->o->rootfs_share, &rs, err, sizeof(err))
			? rootfs_initramfs(rs.rw, &m->initrd, &m->initrd_len) : 0;
	if (r) {
		kv_err(r, "--rootfs-share: the initramfs");
		free_files(m);
		return -1;
	}
	return 0;
}

/* Limits that depend on the host; violating them is a usage error (status 2). */
static int check_host_limits(struct machine *m)
{
	const struct run_opts *o = m->o;
	unsigned max = (unsigned)m->kvm.max_vcpus < CPUID_MAX_CPUS ? (unsigned)m->kvm.max_vcpus : CPUID_MAX_CPUS;
	if (o->cpus > max) {
		kv_log("--cpus %u: this host's KVM allows at most %u", o->cpus, max);
		return 2;
	}
	struct sysinfo si;
	if (sysinfo(&si) == 0) {
		uint64_t host = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
		if (o->mem > host) {
			char a[32], b[32];
			kv_log("--mem %s: more than this host's memory (%s)", size_human(o->mem, a, sizeof(a)),
			       size_human(host, b, sizeof(b)));
			return 2;
		}
	}
	return 0;
}

static void machine_teardown(struct machine *m)
{
	mdisplay_stop(&m->display); /* the VNC thread lets go of the display first */
	mmig_teardown(m); /* a migration in flight reads this RAM: it fails first */
	gdb_stub_detach(m->gdb);
	vcpus_destroy(&m->vcpus);
	state_registry_free(&m->reg);
	state_registry_init(&m->reg);
	/* the host unmaps its devices' BARs, which live in the virtio transports: host first */
	if (m->pci)
		pci_host_destroy(m->pci);
	machine_ide_remove(&m->ide);
	for (unsigned i = 0; i < m->ndisks; i++) {
		if (m->blks[i])
			virtio_blk_destroy(m->blks[i]);
		m->blks[i] = NULL;
	}
	machine_scsi_remove(&m->scsi);
	machine_ahci_remove(&m->ahci);
	machine_nets_remove(&m->nets);
	machine_shares_remove(&m->shares);
	mfw_teardown(m);
	mmboot_remove(m);
	mdisplay_remove(&m->display);
	if (m->pm)
		acpi_pm_destroy(m->pm);
	debug_exit_destroy(m->dbgexit);
	m->dbgexit = NULL;
	if (m->rtc)
		rtc_destroy(m->rtc);
	if (m->i8042)
		i8042_destroy(m->i8042);
	if (m->serial)
		serial_destroy(m->serial);
	m->pci = NULL;
	m->pm = NULL;
	m->rtc = NULL;
	m->i8042 = NULL;
	m->serial = NULL;
	vm_destroy(&m->vm);
}

static int fail_step(const char *step, int err, const char *why)
{
	if (why)
		kv_log("%s: %s%s%s", step, why, err ? ": " : "", err ? strerror(-err) : "");
	else
		kv_err(err, "%s", step);
	return -1;
}

static int machine_vcpus(struct machine *m)
{
	const struct run_opts *o = m->o;
	const char *why = NULL;
	struct cpuid_cfg cc = {
		.ncpus = o->cpus,
		.mode = o->cpu_host ? CPUID_MODE_HOST : CPUID_MODE_DEFAULT,
		.host_is_pvm = m->kvm.is_pvm,
	};
	int ret = vcpus_create(&m->vcpus, &m->vm, o->cpus, &cc, mprof_create(&m->prof, o->cpus), &why);
	mprof_vcpus_created(&m->prof, &m->vcpus);
	return ret ? fail_step("cannot create vCPUs", ret, why) : 0;
}

/* The rest of a restored board: its RAM holds the guest already (no tables, no kernel to load);
 * fresh vCPUs take the saved state. */
static int machine_build_restored(struct machine *m)
{
	int ret = machine_vcpus(m);
	if (ret)
		return ret;
	char why[256] = "";
	m->restoring = 0; /* a later reset boots the kernel */
	if ((ret = msnap_restore(m, why, sizeof(why)))) {
		kv_log("--restore %s: %s", m->o->restore, why);
		return -1;
	}
	return 0;
}

/* The PCI host bridge only when a device sits on it (or --pci on): a bus with nothing on it costs a
 * Linux guest ~2 s of enumeration and quirks where its kernel mode is emulated, and qemu's microvm
 * has none either. Every PCI device kind counts here (a new kind adds its line). */
static int machine_wants_pci(const struct machine *m)
{
	if (m->o->pci_on || m->fw.on || m->o->display) /* SeaBIOS expects the i440FX and the PIIX3; bochs-display is PCI */
		return 1;
	for (unsigned i = 0; i < m->o->ndisks; i++)
		if (m->dspec[i].iface == DISK_IF_VIRTIO && m->dspec[i].transport == VDEV_PCI)
			return 1;
	if (m->ide.n || m->ahci.ndevs) /* the PIIX3 functions and the AHCI controller live on the PCI bus */
		return 1;
	if (m->scsi.nluns && m->scsi.transport == VDEV_PCI)
		return 1;
	for (unsigned i = 0; i < m->nets.n; i++)
		if (m->nets.spec[i].transport == VDEV_PCI)
			return 1;
	return machine_shares_want_pci(&m->shares);
}

/* Builds one incarnation of the VM, ready to start. */
static int machine_build(struct machine *m)
{
	const struct run_opts *o = m->o;
	const char *why = NULL;
	if (!m->restoring && !m->kernel && load_files(m))
		return -1;
	struct vm_mem_cfg mc = { .size = o->mem, .ksm = o->ksm, .hugepages = o->hugepages, .firmware = m->fw.on };
	if (m->restoring)
		mc.ram_file = o->snap->memory_path;
	int ret = vm_create(&m->vm, &m->kvm, &mc, &why);
	if (ret)
		return fail_step("cannot create the VM", ret, why);
	struct vm *vm = &m->vm;
	struct serial_config sc = {
		.base = LAYOUT_COM1,
		.irq = { &vm->hooks, vm, LAYOUT_COM1_IRQ },
	};
	mconsole_serial_config(&m->console, &sc);
	mprof_serial_hook(&m->prof, &sc);
	if ((ret = serial_create(&m->serial, &vm->pio, &sc)))
		return fail_step("serial", ret, NULL);
	struct irq_line kbd_irq = { &vm->hooks, vm, 1 };
	if ((ret = i8042_create(&m->i8042, &vm->pio, &kbd_irq, &vm->hooks, vm)))
		return fail_step("i8042", ret, NULL);
	if ((ret = rtc_create(&m->rtc, &vm->pio)))
		return fail_step("rtc", ret, NULL);
	uint64_t below = vm->mem.r[0].size;
	rtc_set_memory(m->rtc, below, vm->mem.ram_size - below);
	struct irq_line sci = { &vm->hooks, vm, LAYOUT_SCI_IRQ };
	if ((ret = acpi_pm_create(&m->pm, &vm->pio, &sci, &vm->hooks, vm, 0)))
		return fail_step("acpi pm", ret, NULL);
	if (o->exit_device) {
		uint16_t port;
		unsigned iosize;
		debug_exit_parse(o->exit_device, &port, &iosize); /* checked by the option parser */
		if ((ret = debug_exit_create(&m->dbgexit, &vm->pio, port, iosize, &vm->hooks, vm))) {
			kv_log("--exit-device: ports 0x%x..0x%x: %s", port, port + iosize - 1,
			       ret == -EEXIST ? "taken by another device" : strerror(-ret));
			return -1;
		}
	}
	if (machine_wants_pci(m) && (ret = pci_host_create(&m->pci, &vm->pio, &vm->mmio, &vm->hooks, vm)))
		return fail_step("pci host", ret, NULL);
	if (machine_ide_add(&m->ide, vm, m->pci)) /* slot 1, before every other PCI device */
		return -1;
	strcpy(m->cmdline, m->base_cmdline);
	struct vdev_place place = {
		.pci = m->pci,
		.mmio = &vm->mmio,
		.env = { .mem = &vm->mem, .hooks = &vm->hooks, .hooks_opaque = vm },
		.cmdline = m->cmdline,
		.cmdline_len = sizeof(m->cmdline),
	};
	for (unsigned i = 0; i < m->ndisks; i++) {
		if (!m->disks[i])
			continue; /* on the virtio-scsi or IDE controller */
		char name[32], serial[24];
		snprintf(name, sizeof(name), "virtio-blk%u", i);
		snprintf(serial, sizeof(serial), "kvmini-disk%u", i);
		struct virtio_blk_opts bo = { .serial = serial, .name = name, .no_discard = m->dspec[i].no_discard };
		if ((ret = virtio_blk_create(&m->blks[i], m->disks[i], &bo)) ||
		    (ret = vdev_place(&place, virtio_blk_dev(m->blks[i]), m->dspec[i].transport, &why))) {
			kv_log("--disk %s: %s", m->dspec[i].path, why ? why : strerror(-ret));
			return -1;
		}
	}
	if (machine_scsi_add(&m->scsi, &place, o->cpus) || machine_nets_add(&m->nets, &place) ||
	    machine_shares_add(&m->shares, &place) ||
	    machine_ahci_add(&m->ahci, m->pci, &vm->mem, &vm->hooks, vm) ||
	    mdisplay_add(&m->display, &place, m->i8042, LAYOUT_I8042_AUX_IRQ))
		return -1;
	if ((ret = msnap_register(m)))
		return fail_step("state registry", ret, NULL);
	if (m->fw.on && mfw_build(m)) /* the ROM, its PAM hook and fw_cfg: a restore's too */
		return -1;
	if (mmboot_add(m))
		return -1;
	if (m->restoring)
		return machine_build_restored(m);
	/* incoming: RAM and state come from the source; firmware: SeaBIOS runs from the reset vector,
	 * the APs wait for its INIT/SIPI */
	if (m->incoming || m->fw.on)
		return machine_vcpus(m);

	struct acpi_cfg ac = { .ncpus = o->cpus, .no_pci = !m->pci };
	uint64_t rsdp = 0;
	if ((ret = acpi_build(&vm->mem, &ac, &rsdp)))
		return fail_step("acpi tables", ret, NULL);
	if ((ret = mptable_write(&vm->mem, o->cpus)))
		return fail_step("mp table", ret, NULL);
	struct boot_image img = {
		.kernel = m->kernel,
		.kernel_len = m->kernel_len,
		.initrd = m->initrd,
		.initrd_len = m->initrd_len,
		.cmdline = m->cmdline,
		.kernel_name = o->kernel,
		.acpi_rsdp = rsdp,
	};
	struct boot_entry entry;
	ret = boot_load_kernel(&vm->mem, &img, &entry, &why);
	if (ret) {
		kv_log("--kernel %s: %s", o->kernel, why ? why : strerror(-ret));
		return -1;
	}
	/* the files are in guest RAM now; a reboot reads them again, so a rebuilt kernel boots then */
	free_files(m);
	if (machine_vcpus(m))
		return -1;
	ret = vcpu_boot_setup(&m->vcpus.v[0], &entry);
	if (ret)
		return fail_step("cannot set up the boot vCPU", ret, NULL);
	return 0;
}

/* Serves the console, the control socket and signals until the VM is to be rebuilt or the process
 * to end (machine_next decides, from the VM's stop reason and the host's requests). */
static enum loop_next machine_loop(struct machine *m)
{
	struct vm *vm = &m->vm;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return LOOP_EXIT;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = vm->stop_efd };
	epoll_ctl(ep, EPOLL_CTL_ADD, vm->stop_efd, &ev);
	ev.data.fd = m->sig_fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, m->sig_fd, &ev);
	mconsole_loop_begin(&m->console, ep);
	mqmp_watch(m, ep);
	mfw_watch(m, ep);
	mmig_watch(m, ep);
	enum loop_next next;
	while ((next = machine_next(m)) == LOOP_CONTINUE) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, mconsole_prepare(&m->console));
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == m->sig_fd) {
				struct signalfd_siginfo si;
				if (read(m->sig_fd, &si, sizeof(si)) == sizeof(si)) {
					m->exit_signal = (int)si.ssi_signo;
					machine_host_quit(m, "host-signal");
				}
			} else if (fd == vm->stop_efd) {
				uint64_t v; /* consumed so that a VM kept in "shutdown" does not wake the loop forever */
				if (read(fd, &v, sizeof(v)) < 0) {
					/* EAGAIN: another event already took it */
				}
			} else if (mfw_handle(m, fd)) {
				/* the firmware's log went to its file */
			} else if (mqmp_handle(m, fd) || mmig_handle(m, fd)) {
				/* commands ran */
			} else if (mconsole_event(&m->console, fd, evs[i].events)) {
				machine_host_quit(m, "host-ui"); /* Ctrl-A x */
			}
		}
		mconsole_after(&m->console, m->serial);
	}
	close(ep);
	return next;
}

static int build_cmdline(struct machine *m)
{
	/* a multiboot kernel (kvm-unit-tests) takes its command line as arguments: no Linux parameters */
	int linux_params = m->kvm.is_pvm && !(m->kernel && multiboot_detect(m->kernel, m->kernel_len));
	int ret = cmdline_add_host_params(m->base_cmdline, sizeof(m->base_cmdline), m->o->append, linux_params,
					  m->o->no_host_workarounds);
	if (ret) {
		kv_log("--append: %s", ret == -E2BIG ? "clearcpuid= list too long" : "command line too long");
		return 2;
	}
	return 0;
}

static int machine_prepare(struct machine *m)
{
	const struct run_opts *o = m->o;
	if (!m->restoring && load_files(m))
		return 1;
	char err[256];
	for (unsigned i = 0; i < o->ndisks; i++) {
		if (disk_spec_parse(o->disks[i], &m->dspec[i], err, sizeof(err))) {
			kv_log("%s", err);
			return 2;
		}
		m->dspec[i].opts.snapshot = o->snapshot; /* every controller's disk_open makes the overlay */
	}
	for (unsigned i = 0; i < o->ndisks; i++) {
		const char *why = NULL;
		if (m->dspec[i].iface != DISK_IF_VIRTIO) {
			m->ndisks++; /* opened by machine_scsi_open, machine_ide_open or machine_ahci_open */
			continue;
		}
		int ret = disk_open(&m->disks[i], m->dspec[i].path, &m->dspec[i].opts, &why);
		if (ret) {
			kv_log("--disk %s: %s", m->dspec[i].path, why ? why : strerror(-ret));
			return 1;
		}
		m->ndisks++;
	}
	int sr = machine_scsi_open(&m->scsi, m->dspec, o->ndisks, NULL);
	if (!sr)
		sr = machine_ide_open(&m->ide, o, m->dspec, o->ndisks);
	if (sr)
		return sr == -EINVAL ? 2 : 1;
	if ((sr = machine_ahci_open(&m->ahci, m->dspec, o->ndisks)))
		return sr == -EINVAL ? 2 : 1;
	int nr = machine_nets_open(&m->nets, o);
	if (nr)
		return nr == -EINVAL ? 2 : 1;
	if ((nr = machine_shares_open(&m->shares, o)))
		return nr == -EINVAL ? 2 : 1;
	if ((nr = mdisplay_open(&m->display, o)))
		return nr;
	const char *why = NULL;
	int ret = kvm_open(&m->kvm, o->kvm_path, &why);
	if (ret) {
		if (ret == -ENOENT || ret == -EACCES || ret == -ENOTSUP)
			kv_log("%s: %s", o->kvm_path, why);
		else
			kv_log("%s: %s: %s", o->kvm_path, why, strerror(-ret));
		return 1;
	}
	if ((ret = check_host_limits(m)) || (ret = build_cmdline(m)) || (ret = mfw_prepare(m)))
		return ret;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	m->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	if (m->sig_fd < 0)
		return 1;
	if (mconsole_open(&m->console, o, m->env ? m->env->console_path : NULL) || mmig_open(m))
		return 1;
	if (o->gdb) {
		const char *why = NULL;
		int ret = gdb_stub_open(&m->gdb, o->gdb, o->gdb_wait, &why);
		if (ret) {
			kv_log("--gdb %s: %s", o->gdb, why);
			return 1;
		}
	}
	return mqmp_open(m) ? 1 : 0;
}

int machine_run(const struct run_opts *o, const struct machine_env *env)
{
	struct machine *m = calloc(1, sizeof(*m));
	if (!m)
		return 1;
	m->o = o;
	m->env = env;
	m->kvm.fd = -1;
	m->sig_fd = -1;
	m->vm.fd = -1;
	m->reboot_shutdown = o->no_reboot;
	m->start_paused = o->paused; /* --paused: the first incarnation waits for cont */
	m->restoring = o->snap != NULL;
	state_registry_init(&m->reg);
	mconsole_init(&m->console);
	mprof_init(&m->prof, o);
	int status = machine_prepare(m);
	int first = 1;
	while (!status) {
		enum loop_next next = LOOP_EXIT;
		if (machine_build(m)) {
			status = 1;
		} else {
			if (first && m->kvm.is_pvm && !o->no_host_workarounds && !o->snap && o->kernel && !m->incoming &&
			    !m->mb_fc /* a multiboot kernel got none */) {
				/* said once the kernel is known to load, so a bad kernel still gets a single line */
				kv_log("PVM host: added guest kernel parameters (--no-host-workarounds drops them): %s",
				       cpuid_pvm_cmdline());
			}
			first = 0;
			if (m->start_paused || m->incoming)
				vcpus_pause(&m->vcpus); /* before the threads exist: they park before the first KVM_RUN */
			if (m->gdb && gdb_stub_attach(m->gdb, &m->vcpus, &m->vm))
				kv_log("gdb: cannot set the debug registers of the vCPUs");
			m->state = m->incoming ? RS_INMIGRATE : m->start_paused ? RS_PAUSED : RS_RUNNING;
			if (mprof_start(&m->prof, &m->vm) || mdisplay_start(&m->display)) {
				status = 1;
			} else if (vcpus_start(&m->vcpus)) {
				kv_log("cannot start vCPU threads");
				status = 1;
			} else if (mmig_start_incoming(m)) {
				status = 1;
			} else {
				if (env && env->daemon)
					daemon_ready(env->daemon);
				next = machine_loop(m);
			}
		}
		vm_request_stop(&m->vm, VM_STOP_ERROR); /* no-op if stopped already: kicks all vCPUs */
		vcpus_join(&m->vcpus); /* nothing writes to the console or the counters after this */
		int again = !status && next == LOOP_REBUILD;
		if (!again) {
			/* the guest's last words before kvmini's own, and the user's terminal back */
			mconsole_finish(&m->console);
		}
		mprof_finish(&m->prof, &m->vm);
		if (o->stats && m->vcpus.n)
			mconsole_print_stats(&m->console, stderr);
		int reason = atomic_load(&m->vm.stop_reason);
		int guest_status = debug_exit_status(m->dbgexit);
		machine_teardown(m);
		if (status)
			break;
		if (again) {
			kv_log("guest reset: restarting");
			continue;
		}
		status = reason == VM_STOP_GUEST_EXIT && guest_status >= 0	 ? guest_status
			 : reason == VM_STOP_ERROR && m->host_req != HOST_QUIT ? 1
			 : m->exit_signal				 ? 128 + m->exit_signal
									 : 0;
		break;
	}
	gdb_stub_close(m->gdb);
	mqmp_close(m);
	mfw_close(m);
	mmig_close(m);
	mconsole_close(&m->console);
	if (m->sig_fd >= 0)
		close(m->sig_fd);
	kvm_close(&m->kvm);
	for (unsigned i = 0; i < m->ndisks; i++)
		disk_close(m->disks[i]);
	machine_scsi_close(&m->scsi);
	machine_ide_close(&m->ide);
	machine_ahci_close(&m->ahci);
	machine_nets_close(&m->nets);
	mdisplay_close(&m->display);
	free_files(m);
	free(m);
	return status;
}
