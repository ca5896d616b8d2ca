// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot and restore of the running machine (vmm/snapshot.h has the directory's layout; the
 * registry of the board's saved parts is vmm/machine_snap_devs.c's): the save the QMP command
 * runs on the main loop (pause, drain, flush, state and memory to temp files renamed into place,
 * resume), and the restore into a freshly built board whose vCPUs have never run. */
#include "machine_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "devices/disk/qcow2.h"
#include "snapshot.h"
#include "state_kvm.h"

#define MAX_HOST_DISKS MSNAP_MAX_DISKS

/* ---- save ---- */

/* path made absolute when it names a file here (a restore may run from another directory) */
static void abs_path(const char *p, char *out, size_t len)
{
	char real[PATH_MAX];
	if (p[0] != '/' && !strstr(p, "://") && realpath(p, real))
		snprintf(out, len, "%s", real);
	else
		snprintf(out, len, "%s", p);
}

/* strings board_of may make: kernel or BIOS and boot order, initrd, device options, NICs */
#define BOARD_BUFS (3 + OPT_MAX_DEVARGS + OPT_MAX_DEVS)

/* The board as `kvmini run` options, for the machine section (strings in bufs). */
static void board_of(struct machine *m, struct snap_board *b, char (*bufs)[SNAP_STR_MAX + 1])
{
	const struct run_opts *o = m->o;
	unsigned k = 0;
	memset(b, 0, sizeof(*b));
	b->mem = o->mem;
	b->cpus = o->cpus;
	b->cpu_host = (uint32_t)o->cpu_host;
	b->display = o->display != 0;
	if (o->kernel) {
		abs_path(o->kernel, bufs[k], sizeof(bufs[k]));
		b->kernel = bufs[k++];
	} else { /* firmware boot: the ROM the restore maps again, the order fw_cfg gave it */
		abs_path(m->fw.path, bufs[k], sizeof(bufs[k]));
		b->bios = bufs[k++];
		snprintf(bufs[k], sizeof(bufs[k]), "order=%s%s", o->boot.order, o->boot.menu ? ",menu=on" : "");
		b->boot = bufs[k++];
	}
	if (o->initrd) {
		abs_path(o->initrd, bufs[k], sizeof(bufs[k]));
		b->initrd = bufs[k++];
	}
	b->append = (char *)o->append;
	for (unsigned i = 0; i < o->ndevargs; i++) {
		/* a leading file name (before the sub-options) made absolute; "none" and URIs as they are */
		const char *v = o->devargs[i].val ? o->devargs[i].val : "";
		char head[SNAP_STR_MAX + 1], path[SNAP_STR_MAX + 1];
		size_t n = strcspn(v, ",");
		snprintf(head, sizeof(head), "%.*s", (int)n, v);
		if (!strcmp(head, "none") || !head[0])
			snprintf(path, sizeof(path), "%s", head);
		else
			abs_path(head, path, sizeof(path));
		b->dev_opt[b->ndevs] = (char *)o->devargs[i].opt;
		snprintf(bufs[k], sizeof(bufs[k]), "%s%s", path, v + n);
		b->dev_val[b->ndevs++] = bufs[k++];
	}
	for (unsigned i = 0; i < m->nets.n; i++) {
		const uint8_t *a = m->nets.spec[i].mac;
		if (strstr(o->nets[i], "mac="))
			snprintf(bufs[k], sizeof(bufs[k]), "%s", o->nets[i]);
		else
			snprintf(bufs[k], sizeof(bufs[k]), "%s,mac=%02x:%02x:%02x:%02x:%02x:%02x", o->nets[i], a[0], a[1],
				 a[2], a[3], a[4], a[5]);
		b->nets[b->nnets++] = bufs[k++];
	}
}

/* The stream: machine, vm, the vCPUs, then the registry. vCPUs stopped, devices paused. */
static int build_stream(struct machine *m, struct state_writer *w, char *why, size_t whylen)
{
	char(*bufs)[SNAP_STR_MAX + 1] = calloc(BOARD_BUFS, sizeof(*bufs));
	struct vcpu_host *h = calloc(1, sizeof(*h));
	struct vcpu_state *st = calloc(1, sizeof(*st));
	struct vm_state *vst = calloc(1, sizeof(*vst));
	int ret = -ENOMEM;
	snprintf(why, whylen, "out of memory");
	if (!bufs || !h || !st || !vst)
		goto out;
	struct snap_board b;
	board_of(m, &b, bufs);
	state_begin(w, SNAP_MACHINE_ID, 0, SNAP_MACHINE_VERSION);
	snap_board_put(w, &b);
	state_end(w);
	if ((ret = vm_state_save(&m->vm, vst, why, whylen)))
		goto out;
	state_begin(w, STATE_VM_ID, 0, STATE_VM_VERSION);
	state_vm_put(w, vst);
	state_end(w);
	if ((ret = vcpu_host_probe(m->kvm.fd, h, why, whylen)))
		goto out;
	for (unsigned i = 0; i < m->vcpus.n; i++) {
		struct vcpu *v = &m->vcpus.v[i];
		if ((ret = vcpu_state_save(v->fd, v->run, h, st, why, whylen)))
			goto out;
		state_begin(w, STATE_CPU_ID, i, STATE_CPU_VERSION);
		state_cpu_put(w, st);
		state_end(w);
	}
	if ((ret = state_registry_save(&m->reg, w))) {
		snprintf(why, whylen, "saving the devices: %s", strerror(-ret));
		goto out;
	}
	ret = state_writer_finish(w);
	if (ret)
		snprintf(why, whylen, "state stream: %s", strerror(-ret));
out:
	free(bufs);
	free(h);
	free(st);
	free(vst);
	return ret;
}

int msnap_board(struct machine *m, struct state_writer *w)
{
	char(*bufs)[SNAP_STR_MAX + 1] = calloc(BOARD_BUFS, sizeof(*bufs));
	if (!bufs)
		return -ENOMEM;
	struct snap_board b;
	board_of(m, &b, bufs);
	snap_board_put(w, &b);
	free(bufs);
	return state_writer_err(w);
}

int msnap_state(struct machine *m, uint8_t **buf, size_t *len, char *why, size_t whylen)
{
	struct state_writer w;
	state_writer_init(&w);
	int ret = build_stream(m, &w, why, whylen);
	const uint8_t *p = state_writer_data(&w, len);
	*buf = ret ? NULL : malloc(*len);
	if (!ret && !*buf)
		ret = -ENOMEM, snprintf(why, whylen, "out of memory");
	if (!ret)
		memcpy(*buf, p, *len);
	state_writer_free(&w);
	return ret;
}

/* dir/name.tmp written by the caller, renamed to dir/name. */
static int commit_file(const char *dir, const char *name, char *why, size_t whylen)
{
	char tmp[PATH_MAX], fin[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	snprintf(fin, sizeof(fin), "%s/%s", dir, name);
	if (rename(tmp, fin) < 0) {
		int e = -errno;
		snprintf(why, whylen, "%s: %s", fin, strerror(-e));
		return e;
	}
	return 0;
}

static int write_snapshot(struct machine *m, const char *dir, char *why, size_t whylen)
{
	struct state_writer w;
	state_writer_init(&w);
	int ret = build_stream(m, &w, why, whylen);
	char path[PATH_MAX];
	uint64_t data = 0;
	if (!ret) {
		snprintf(path, sizeof(path), "%s/%s.tmp", dir, SNAP_MEMORY_FILE);
		/* one host mapping, low RAM then high: the file's layout (vmm/snapshot.h) */
		ret = snap_write_memory(path, m->vm.mem.r[0].hva, m->vm.mem.ram_size, &data);
		if (ret)
			snprintf(why, whylen, "%s: %s", path, strerror(-ret));
		else
			ret = commit_file(dir, SNAP_MEMORY_FILE, why, whylen);
	}
	if (!ret) {
		size_t len;
		const uint8_t *p = state_writer_data(&w, &len);
		snprintf(path, sizeof(path), "%s/%s.tmp", dir, SNAP_STATE_FILE);
		ret = snap_write_file(path, p, len);
		if (ret)
			snprintf(why, whylen, "%s: %s", path, strerror(-ret));
		else
			ret = commit_file(dir, SNAP_STATE_FILE, why, whylen);
	}
	state_writer_free(&w);
	if (ret) { /* never a half snapshot: what was written goes */
		static const char *const left[] = { SNAP_MEMORY_FILE ".tmp", SNAP_STATE_FILE ".tmp", SNAP_MEMORY_FILE };
		for (unsigned i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, left[i]);
			unlink(path);
		}
	} else {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd); /* the renames */
			close(dfd);
		}
		kv_log("snapshot saved in %s (%llu MiB of RAM data)", dir, (unsigned long long)(data >> 20));
	}
	return ret;
}

/* ---- internal qcow2 snapshots of the drives' images (virsh snapshot-create) ---- */

/* The images the guest can write (CD-ROMs and readonly drives cannot change: nothing to keep). */
static unsigned writable_disks(struct machine *m, struct disk **out)
{
	struct disk *all[MAX_HOST_DISKS];
	unsigned n = msnap_host_disks(m, all), k = 0;
	for (unsigned i = 0; i < n; i++)
		if (!all[i]->read_only)
			out[k++] = all[i];
	return k;
}

/* libvirt's refusal: an internal snapshot needs every writable image to be qcow2 */
static int internal_possible(struct machine *m, char *why, size_t whylen)
{
	struct disk *d[MAX_HOST_DISKS];
	unsigned n = writable_disks(m, d);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(d[i]->format, "qcow2")) {
			snprintf(why, whylen, "unsupported configuration: internal snapshot for disk %s unsupported for storage type %s",
				 d[i]->path, d[i]->format);
			return -EOPNOTSUPP;
		}
	return 0;
}

/* path, absolute, appended to the JSON array a */
static void add_path(json_object *a, const char *path)
{
	char full[PATH_MAX];
	abs_path(path, full, sizeof(full));
	json_object_array_add(a, json_object_new_string(full));
}

/* Deletes the internal snapshot name from the first n writable images (a rollback, or the QMP
 * command); the paths it was deleted from are added to done (may be NULL). */
static void internal_delete(struct machine *m, const char *name, unsigned n, json_object *done)
{
	struct disk *d[MAX_HOST_DISKS];
	unsigned all = writable_disks(m, d);
	for (unsigned i = 0; i < n && i < all; i++)
		if (!strcmp(d[i]->format, "qcow2") && !qcow2_snapshot_delete(d[i], name) && done)
			add_path(done, d[i]->path);
}

/* Each writable image gets the internal snapshot name (devices paused, images flushed), its path
 * added to done. On failure the ones made are deleted again. */
static int internal_create(struct machine *m, const char *name, json_object *done, char *why, size_t whylen)
{
	struct disk *d[MAX_HOST_DISKS];
	unsigned n = writable_disks(m, d);
	for (unsigned i = 0; i < n; i++) {
		int ret = qcow2_snapshot_create(d[i], name);
		if (ret) {
			snprintf(why, whylen, "%s: internal snapshot %s: %s", d[i]->path, name,
				 ret == -EEXIST ? "the image has one of that name already" : strerror(-ret));
			internal_delete(m, name, i, NULL);
			return ret;
		}
		if (done)
			add_path(done, d[i]->path);
	}
	return 0;
}

int msnap_disk_snapshot_delete(struct machine *m, const char *name, json_object *done, char *why, size_t whylen)
{
	struct msnap_paused p;
	int ret = msnap_pause(m, &p, why, whylen);
	if (!ret)
		internal_delete(m, name, MAX_HOST_DISKS, done);
	msnap_resume(m, &p);
	return ret;
}

int msnap_save(struct machine *m, const char *dir, int resume, char *why, size_t whylen)
{
	return msnap_save_internal(m, dir, resume, NULL, NULL, why, whylen);
}

int msnap_save_internal(struct machine *m, const char *dir, int resume, const char *internal, json_object *done,
			char *why, size_t whylen)
{
	struct stat st;
	char path[PATH_MAX];
	if (m->state == RS_SHUTDOWN || m->host_req != HOST_NONE || atomic_load(&m->vm.stop_reason) != VM_STOP_NONE) {
		/* its vCPUs are finishing: there is no state left to continue */
		snprintf(why, whylen, m->state == RS_SHUTDOWN ? "the guest is shut down" : "the VM is stopping");
		return -EINVAL;
	}
	if (m->o->snapshot) {
		/* the disks' writes are in overlays that die with this process: a restore would not see them */
		snprintf(why, whylen, "a VM run with --snapshot (throw-away disks) cannot be saved");
		return -EOPNOTSUPP;
	}
	if (m->o->rootfs_share) {
		/* the board records neither the root share nor the built-in initramfs a reset boots */
		snprintf(why, whylen, "a VM run with --rootfs-share cannot be saved");
		return -EOPNOTSUPP;
	}
	if (dir[0] != '/' || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s: not an absolute path of a directory", dir);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, SNAP_STATE_FILE);
	if (stat(path, &st) == 0) {
		snprintf(why, whylen, "%s: a snapshot is there already", dir);
		return -EEXIST;
	}
	if (internal && internal_possible(m, why, whylen))
		return -EOPNOTSUPP;
	int was_running = m->state == RS_RUNNING;
	if (was_running) {
		vcpus_pause(&m->vcpus);
		m->state = RS_PAUSED;
		mqmp_event(m, "STOP", NULL);
	}
	struct msnap_paused p;
	int ret = msnap_pause(m, &p, why, whylen);
	if (!ret)
		ret = msnap_flush(m, why, whylen);
	/* the images' snapshots after their flush, with nothing in flight: they match the memory */
	int made = !ret && internal;
	if (made)
		made = !(ret = internal_create(m, internal, done, why, whylen));
	if (!ret)
		ret = write_snapshot(m, dir, why, whylen);
	if (ret && made)
		internal_delete(m, internal, MAX_HOST_DISKS, NULL);
	msnap_resume(m, &p);
	if (was_running && (resume || ret)) {
		vcpus_resume(&m->vcpus);
		m->state = RS_RUNNING;
		mqmp_event(m, "RESUME", NULL);
	}
	return ret;
}

/* ---- restore ---- */

int msnap_restore(struct machine *m, char *why, size_t whylen)
{
	return msnap_restore_image(m, m->o->snap, VM_CLOCK_CONTINUE, why, whylen);
}

int msnap_restore_image(struct machine *m, const struct snap_image *img, int clock_mode, char *why, size_t whylen)
{
	struct state_stream s = img->s;
	struct vcpu_host *h = calloc(1, sizeof(*h));
	struct msnap_paused p = { .nvd = 0 };
	static const char *const skip[] = { SNAP_MACHINE_ID, STATE_CPU_ID, STATE_VM_ID, NULL };
	int ret = 0;
	if (!h)
		ret = -ENOMEM, snprintf(why, whylen, "out of memory");
	else if (img->ncpu != m->vcpus.n)
		ret = -EINVAL, snprintf(why, whylen, "%u vCPU states for %u vCPUs", img->ncpu, m->vcpus.n);
	if (!ret)
		ret = vcpu_host_probe(m->kvm.fd, h, why, whylen);
	if (!ret)
		ret = vm_state_restore(&m->vm, img->vm, why, whylen);
	/* the LAPICs before the devices, whose loads re-drive their interrupt lines into them */
	for (unsigned i = 0; !ret && i < m->vcpus.n; i++)
		ret = vcpu_state_restore(m->vcpus.v[i].fd, h, img->cpu[i], why, whylen);
	if (!ret) /* the loads set up requests the I/O threads take once resumed */
		ret = msnap_pause(m, &p, why, whylen);
	state_rewind(&s);
	if (!ret)
		ret = state_registry_load(&m->reg, &s, skip, why, whylen);
	if (!ret) {
		msnap_resume(m, &p);
		ret = vm_state_restore_clock(&m->vm, img->vm, (enum vm_clock_mode)clock_mode, why, whylen);
	}
	free(h);
	return ret;
}
