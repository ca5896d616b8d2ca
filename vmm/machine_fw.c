// SPDX-License-Identifier: GPL-2.0-or-later
/* The firmware side of `kvmini run` (see machine_fw.h). */
#include "machine_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "firmware/acpi.h"
#include "firmware/acpi_loader.h"
#include "firmware/bootorder.h"
#include "firmware/layout.h"
#include "log.h"
#include "vmm/le.h"

static const char *const default_bios[] = { "/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/bios.bin" };

#define CMOS_BOOT_FLAG1 0x38
#define CMOS_BOOT_FLAG2 0x3d
#define CMOS_SMP_COUNT 0x5f

static int load_image(struct machine *m)
{
	struct machine_fw *f = &m->fw;
	if (machine_read_file("--bios", f->path, &f->image, &f->image_len))
		return -1;
	const char *why = NULL;
	if (bios_image_check(f->image, f->image_len, &why)) {
		kv_log("--bios %s: %s", f->path, why);
		free(f->image);
		f->image = NULL;
		return -1;
	}
	return 0;
}

int mfw_prepare(struct machine *m)
{
	const struct run_opts *o = m->o;
	struct machine_fw *f = &m->fw;
	f->log_fd = -1;
	f->on = !o->kernel; /* a restore of a firmware boot too: the same ROM again (o->bios) */
	if (!f->on)
		return 0;
	m->ide.bridge = true; /* SeaBIOS routes PCI interrupts through the PIIX3 ISA bridge */
	for (unsigned i = 0; i < o->ndisks; i++) {
		if (m->dspec[i].transport == VDEV_MMIO) {
			kv_log("--disk %s: transport=mmio needs --kernel (the firmware cannot find virtio-mmio devices)",
			       m->dspec[i].path);
			return 2;
		}
	}
	const char *path = o->bios;
	for (unsigned i = 0; !path && i < sizeof(default_bios) / sizeof(default_bios[0]); i++)
		if (access(default_bios[i], R_OK) == 0)
			path = default_bios[i];
	if (!path) {
		kv_log("firmware: no SeaBIOS in /usr/share/seabios (apt-get install seabios, or give --bios FILE)");
		return 1;
	}
	snprintf(f->path, sizeof(f->path), "%s", path);
	if (load_image(m))
		return 1;
	free(f->image); /* read again by each build */
	f->image = NULL;
	if (o->bios_log) {
		f->log_fd = open(o->bios_log, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_CLOEXEC, 0644);
		if (f->log_fd < 0) {
			kv_err(-errno, "--bios-log %s", o->bios_log);
			return 1;
		}
		if (console_out_init(&f->log, f->log_fd, MFW_LOG_SIZE)) {
			kv_log("--bios-log: out of memory");
			return 1;
		}
		f->has_log = 1;
	}
	return 0;
}

/* SeaBIOS said it has nothing to boot: it would wait and reboot for ever, so the run ends here. */
static void boot_failed(void *opaque, const char *line)
{
	struct machine *m = opaque;
	kv_log("firmware: %s (SeaBIOS found nothing to boot; see --boot and the disks given)", line);
	vm_request_stop(&m->vm, VM_STOP_ERROR);
}

/* etc/e820: every RAM region (SeaBIOS cuts the holes below 1 MiB itself); 20 bytes an entry */
static int add_e820(struct machine *m)
{
	const struct gmem *g = &m->vm.mem;
	uint8_t e[GMEM_MAX_REGIONS * 20];
	for (int i = 0; i < g->nr; i++) {
		le_put64(e, 20 * (size_t)i, g->r[i].gpa);
		le_put64(e, 20 * (size_t)i + 8, g->r[i].size);
		le_put32(e, 20 * (size_t)i + 16, 1);
	}
	return fw_cfg_add_file(m->fw.fc, "etc/e820", e, 20 * (size_t)g->nr);
}

/* The tables a direct boot gets, built in a scratch area at their usual address, then handed over
 * through the table loader (SeaBIOS places them and fixes the pointers). */
static int add_acpi(struct machine *m)
{
	size_t len = LAYOUT_ACPI_END - LAYOUT_ACPI;
	uint8_t *area = calloc(1, len);
	if (!area)
		return -ENOMEM;
	struct gmem scratch = { 0 };
	struct acpi_cfg ac = { .ncpus = m->o->cpus, .pci_mmio_end = LAYOUT_IOAPIC };
	uint64_t rsdp;
	struct acpi_loader l;
	int ret = gmem_add(&scratch, LAYOUT_ACPI, len, area);
	if (!ret)
		ret = acpi_build(&scratch, &ac, &rsdp);
	if (!ret)
		ret = acpi_loader_build(&l, area, len, LAYOUT_ACPI);
	free(area);
	if (ret)
		return ret;
	struct fw_cfg *fc = m->fw.fc;
	if (!(ret = fw_cfg_add_file(fc, "etc/acpi/rsdp", l.rsdp, sizeof(l.rsdp))) &&
	    !(ret = fw_cfg_add_file(fc, "etc/acpi/tables", l.tables, l.tables_len)))
		ret = fw_cfg_add_file(fc, "etc/table-loader", l.cmds, l.ncmds * ACPI_LOADER_CMD_SIZE);
	acpi_loader_free(&l);
	return ret;
}

/* The boot devices: virtio --disk as given, then the IDE positions (hda..hdd, the --cdrom at hdc),
 * then the AHCI ports. */
static unsigned boot_devs(struct machine *m, struct boot_dev *d, unsigned max)
{
	unsigned n = 0;
	const struct machine_scsi *ms = &m->scsi;
	unsigned scsi_slot = ms->dev ? virtio_pci_dev(virtio_scsi_dev(ms->dev))->slot : 0;
	for (unsigned i = 0; i < m->o->ndisks && n < max; i++) {
		if (m->dspec[i].iface == DISK_IF_VIRTIO && m->blks[i]) {
			d[n].kind = BOOT_HD;
			if (boot_path_virtio_blk(d[n].path, sizeof(d[n].path),
						 virtio_pci_dev(virtio_blk_dev(m->blks[i]))->slot) > 0)
				n++;
			continue;
		}
		for (unsigned k = 0; k < ms->ndrv && scsi_slot; k++) {
			const struct mscsi_drive *sd = &ms->drv[k];
			if (sd->spec != &m->dspec[i])
				continue;
			d[n].kind = sd->spec->media == DISK_MEDIA_CDROM ? BOOT_CD : BOOT_HD;
			if (boot_path_virtio_scsi(d[n].path, sizeof(d[n].path), scsi_slot, sd->target, sd->lun) > 0)
				n++;
		}
	}
	for (unsigned k = 0; k < ms->ndrv && scsi_slot && n < max; k++) {
		const struct mscsi_drive *sd = &ms->drv[k];
		if (sd->spec >= m->dspec && sd->spec < m->dspec + OPT_MAX_DEVS)
			continue; /* a --disk, listed above */
		d[n].kind = BOOT_CD;
		if (boot_path_virtio_scsi(d[n].path, sizeof(d[n].path), scsi_slot, sd->target, sd->lun) > 0)
			n++;
	}
	for (unsigned pos = 0; pos < IDE_UNITS && n < max; pos++) {
		if (!m->ide.used[pos])
			continue;
		d[n].kind = m->ide.spec[pos].media == DISK_MEDIA_CDROM ? BOOT_CD : BOOT_HD;
		if (boot_path_ide(d[n].path, sizeof(d[n].path), 1, 1, pos / 2, pos % 2) > 0)
			n++;
	}
	for (unsigned port = 0; m->ahci.hba && port < AHCI_PORTS && n < max; port++) {
		if (!m->ahci.dev[port])
			continue;
		d[n].kind = ata_dev_kind(m->ahci.dev[port]) == ATA_CDROM ? BOOT_CD : BOOT_HD;
		if (boot_path_ahci(d[n].path, sizeof(d[n].path), ahci_pci(m->ahci.hba)->slot, 0, port) > 0)
			n++;
	}
	return n;
}

static int add_boot(struct machine *m)
{
	const struct boot_order *bo = &m->o->boot;
	struct boot_dev devs[OPT_MAX_DEVS + 1];
	unsigned n = boot_devs(m, devs, OPT_MAX_DEVS + 1);
	char text[(BOOT_PATH_MAX + 1) * BOOT_ORDER_MAX + 1];
	size_t len;
	int ret = bootorder_build(bo, devs, n, text, sizeof(text), &len);
	if (!ret && len)
		ret = fw_cfg_add_file(m->fw.fc, "bootorder", text, len + 1); /* NUL-terminated, as QEMU's */
	uint8_t r3d, r38;
	boot_order_cmos(bo, &r3d, &r38);
	rtc_set_cmos(m->rtc, CMOS_BOOT_FLAG2, r3d);
	rtc_set_cmos(m->rtc, CMOS_BOOT_FLAG1, r38);
	if (!ret && bo->menu)
		ret = fw_cfg_add_u16(m->fw.fc, FW_CFG_BOOT_MENU, 1);
	return ret;
}

static int fill_fw_cfg(struct machine *m)
{
	struct fw_cfg *fc = m->fw.fc;
	unsigned cpus = m->o->cpus;
	int ret;
	const char *rom_name, *rom_path;
	if (mdisplay_option_rom(&m->display, &rom_name, &rom_path)) {
		/* SeaBIOS runs the display's VGA BIOS, so BIOS and boot-loader screens show on it */
		uint8_t *rom;
		size_t rom_len;
		if (machine_read_file("the display's VGA BIOS", rom_path, &rom, &rom_len))
			return -EIO;
		ret = fw_cfg_add_file(fc, rom_name, rom, rom_len);
		free(rom);
		if (ret)
			return ret;
		m->fw.has_display = 1;
	}
	if ((ret = fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, (uint16_t)cpus)) ||
	    (ret = fw_cfg_add_u16(fc, FW_CFG_MAX_CPUS, (uint16_t)cpus)) ||
	    (ret = fw_cfg_add_u64(fc, FW_CFG_RAM_SIZE, m->vm.mem.ram_size)) ||
	    (ret = fw_cfg_add_u16(fc, FW_CFG_NOGRAPHIC, m->fw.has_display ? 0 : 1)) || (ret = add_e820(m)) ||
	    (ret = add_acpi(m)) || (ret = add_boot(m)))
		return ret;
	rtc_set_cmos(m->rtc, CMOS_SMP_COUNT, (uint8_t)(cpus - 1));
	if (!m->fw.has_display) { /* SeaBIOS's screen output and int 10h go to COM1 */
		uint8_t port[2];
		le_put16(port, 0, LAYOUT_COM1);
		ret = fw_cfg_add_file(fc, "etc/sercon-port", port, sizeof(port));
	}
	return ret;
}

int mfw_build(struct machine *m)
{
	struct machine_fw *f = &m->fw;
	if (!f->on)
		return 0;
	if (load_image(m))
		return -1;
	const char *why = NULL;
	int ret = bios_map_create(&f->map, &m->vm, f->image, f->image_len, &why);
	free(f->image); /* the map holds its copy */
	f->image = NULL;
	f->mapped = 1;
	if (ret) {
		kv_log("--bios %s: %s%s%s", f->path, why, ret == -EINVAL || ret == -ENOTSUP ? "" : ": ",
		       ret == -EINVAL || ret == -ENOTSUP ? "" : strerror(-ret));
		return -1;
	}
	pci_host_set_pam_hook(m->pci, bios_map_pam, &f->map);
	struct debugcon_cfg dcc = {
		.sink = f->has_log ? console_out_put : NULL,
		.sink_opaque = &f->log,
		.on_fail = boot_failed,
		.fail_opaque = m,
	};
	if ((ret = fw_cfg_create(&f->fc, &m->vm.pio, &m->vm.mem)) || (ret = fill_fw_cfg(m)) ||
	    (ret = debugcon_create(&f->dc, &m->vm.pio, &dcc))) {
		kv_err(ret, "firmware configuration");
		return -1;
	}
	if ((ret = state_registry_add(&m->reg, &fw_cfg_state_ops, 0, f->fc)) ||
	    (ret = state_registry_add(&m->reg, &debugcon_state_ops, 0, f->dc))) {
		kv_err(ret, "state registry");
		return -1;
	}
	return 0;
}

void mfw_teardown(struct machine *m)
{
	struct machine_fw *f = &m->fw;
	debugcon_destroy(f->dc);
	fw_cfg_destroy(f->fc);
	f->dc = NULL;
	f->fc = NULL;
	if (f->mapped)
		bios_map_destroy(&f->map);
	f->mapped = 0;
	free(f->image);
	f->image = NULL;
}

void mfw_watch(struct machine *m, int ep)
{
	if (!m->fw.has_log)
		return;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = console_out_wake_fd(&m->fw.log) };
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
}

int mfw_handle(struct machine *m, int fd)
{
	if (!m->fw.has_log || fd != console_out_wake_fd(&m->fw.log))
		return 0;
	console_out_drain(&m->fw.log); /* a regular file takes everything */
	return 1;
}

void mfw_close(struct machine *m)
{
	struct machine_fw *f = &m->fw;
	if (f->has_log) {
		console_out_flush(&f->log, 2000, 500);
		console_out_destroy(&f->log);
	}
	f->has_log = 0;
	if (f->log_fd >= 0)
		close(f->log_fd);
	f->log_fd = -1;
}
