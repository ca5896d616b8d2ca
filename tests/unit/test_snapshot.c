// SPDX-License-Identifier: GPL-2.0-or-later
/* The snapshot directory (vmm/snapshot.h): the machine section round trip and its refusals, a
 * snapshot directory loaded and checked (stream, machine/vm/cpu sections, memory file size), the run
 * options it yields, the sparse memory file (holes where RAM was zero, data where not), and guest
 * RAM mapped privately from it (with /dev/kvm). */
#include "unit.h"
#include "vmm/kvm.h"
#include "vmm/snapshot.h"
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static struct snap_board sample(void)
{
	static char k[] = "/k/vmlinux", i[] = "/k/initrd", a[] = "console=ttyS0", d0[] = "/d/a.qcow2,format=qcow2",
		    d1[] = "/d/b.raw,transport=mmio", n0[] = "tap,mac=02:00:00:00:00:01";
	struct snap_board b = { .mem = 64 << 20, .cpus = 2, .cpu_host = 1, .kernel = k, .initrd = i, .append = a };
	static char disk[] = "disk", cdrom[] = "cdrom", none[] = "none";
	b.dev_opt[b.ndevs] = disk;
	b.dev_val[b.ndevs++] = d0;
	b.dev_opt[b.ndevs] = disk;
	b.dev_val[b.ndevs++] = d1;
	b.dev_opt[b.ndevs] = cdrom;
	b.dev_val[b.ndevs++] = none;
	b.nets[b.nnets++] = n0;
	return b;
}

/* a finished stream: a machine section holding the payload p (n bytes), a vm section, and ncpu
 * cpu sections (minimal states with the required pieces) */
static uint8_t *stream_of(const void *p, size_t n, unsigned ncpu, size_t *len)
{
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, SNAP_MACHINE_ID, 0, SNAP_MACHINE_VERSION);
	state_put_bytes(&w, p, n);
	state_end(&w);
	struct vm_state *vst = calloc(1, sizeof(*vst));
	vst->have = VM_ST_REQUIRED;
	for (unsigned i = 0; i < 3; i++)
		vst->chip[i].chip_id = i;
	state_begin(&w, STATE_VM_ID, 0, STATE_VM_VERSION);
	state_vm_put(&w, vst);
	state_end(&w);
	free(vst);
	struct vcpu_state *st = calloc(1, sizeof(*st));
	st->have = VCPU_ST_REQUIRED;
	st->ncpuid = 1;
	for (unsigned i = 0; i < ncpu; i++) {
		state_begin(&w, STATE_CPU_ID, i, STATE_CPU_VERSION);
		state_cpu_put(&w, st);
		state_end(&w);
	}
	free(st);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	const uint8_t *d = state_writer_data(&w, len);
	uint8_t *out = malloc(*len);
	memcpy(out, d, *len);
	state_writer_free(&w);
	return out;
}

static uint8_t *payload_of(const struct snap_board *b, size_t *len)
{
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, "x", 0, 1);
	snap_board_put(&w, b);
	state_end(&w);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	size_t n;
	const uint8_t *d = state_writer_data(&w, &n);
	/* header 16, then id length 1 + "x" + instance, version, length (16) */
	*len = n - 16 - 2 - 16 - 1 - 4;
	uint8_t *out = malloc(*len);
	memcpy(out, d + 16 + 2 + 16, *len);
	state_writer_free(&w);
	return out;
}

START_TEST(board_round_trip)
{
	struct snap_board b = sample(), c;
	size_t n;
	uint8_t *p = payload_of(&b, &n);
	struct state_reader r;
	char why[200];
	state_reader_init(&r, p, n);
	ck_assert_int_eq(snap_board_get(&c, &r, SNAP_MACHINE_VERSION, why, sizeof(why)), 0);
	ck_assert_uint_eq(c.mem, 64 << 20);
	ck_assert_uint_eq(c.cpus, 2);
	ck_assert_uint_eq(c.cpu_host, 1);
	ck_assert_str_eq(c.kernel, "/k/vmlinux");
	ck_assert_str_eq(c.initrd, "/k/initrd");
	ck_assert_str_eq(c.append, "console=ttyS0");
	ck_assert_uint_eq(c.ndevs, 3);
	ck_assert_str_eq(c.dev_opt[1], "disk");
	ck_assert_str_eq(c.dev_val[1], "/d/b.raw,transport=mmio");
	ck_assert_str_eq(c.dev_opt[2], "cdrom");
	ck_assert_str_eq(c.dev_val[2], "none");
	ck_assert_uint_eq(c.nnets, 1);
	ck_assert_str_eq(c.nets[0], "tap,mac=02:00:00:00:00:01");
	snap_board_free(&c);

	/* every shorter payload is refused, and so is one byte more */
	for (size_t k = 0; k < n; k++) {
		state_reader_init(&r, p, k);
		ck_assert_int_eq(snap_board_get(&c, &r, SNAP_MACHINE_VERSION, why, sizeof(why)), -EBADMSG);
		ck_assert_ptr_null(c.kernel);
	}
	uint8_t *longer = calloc(1, n + 1);
	memcpy(longer, p, n);
	state_reader_init(&r, longer, n + 1);
	ck_assert_int_eq(snap_board_get(&c, &r, SNAP_MACHINE_VERSION, why, sizeof(why)), -EBADMSG);
	free(longer);
	state_reader_init(&r, p, n);
	ck_assert_int_eq(snap_board_get(&c, &r, SNAP_MACHINE_VERSION + 1, why, sizeof(why)), -EPROTONOSUPPORT);
	ck_assert_ptr_nonnull(strstr(why, "version 4"));
	/* version 2 ended after the NICs: the same payload without the two firmware strings */
	ck_assert_uint_eq(SNAP_MACHINE_VERSION, 3);
	state_reader_init(&r, p, n - 8);
	ck_assert_int_eq(snap_board_get(&c, &r, 2, why, sizeof(why)), 0);
	ck_assert_str_eq(c.kernel, "/k/vmlinux");
	ck_assert_ptr_null(c.bios);
	snap_board_free(&c);
	state_reader_init(&r, p, n);
	ck_assert_int_eq(snap_board_get(&c, &r, 2, why, sizeof(why)), -EBADMSG);
	free(p);
}
END_TEST

/* b written and read back into c: snap_board_get's result */
static int board_trip(const struct snap_board *b, struct snap_board *c)
{
	size_t n;
	uint8_t *p = payload_of(b, &n);
	struct state_reader r;
	char why[200];
	state_reader_init(&r, p, n);
	int ret = snap_board_get(c, &r, SNAP_MACHINE_VERSION, why, sizeof(why));
	free(p);
	return ret;
}

/* a firmware boot's board: no kernel, the BIOS file and its boot order; they come back, and the
 * run options a restore gets name the same ROM and order */
START_TEST(board_firmware)
{
	static char bios[] = "/usr/share/seabios/bios-256k.bin", boot[] = "order=dc,menu=on";
	struct snap_board b = sample(), c;
	b.kernel = b.initrd = b.append = NULL;
	b.bios = bios;
	b.boot = boot;
	b.display = 1;
	ck_assert_int_eq(board_trip(&b, &c), 0);
	ck_assert_ptr_null(c.kernel);
	ck_assert_ptr_null(c.initrd);
	ck_assert_uint_eq(c.display, 1);
	ck_assert_str_eq(c.bios, bios);
	ck_assert_str_eq(c.boot, boot);
	ck_assert_uint_eq(c.ndevs, 3);
	struct snap_image img;
	memset(&img, 0, sizeof(img));
	img.board = c;
	struct run_opts o;
	memset(&o, 0, sizeof(o));
	char why[200];
	ck_assert_int_eq(snap_image_opts(&img, &o, why, sizeof(why)), 0);
	ck_assert_ptr_null(o.kernel);
	ck_assert_int_eq(o.display, 1);
	ck_assert_str_eq(o.bios, bios);
	ck_assert_str_eq(o.boot.order, "dc");
	ck_assert_int_eq(o.boot.menu, 1);
	snap_board_free(&c);
	/* refused: a BIOS beside a kernel, an initrd without a kernel, neither, a bad boot order */
	static char bad_boot[] = "order=x";
	for (int k = 0; k < 4; k++) {
		b = sample();
		b.kernel = k == 0 ? b.kernel : NULL;
		b.initrd = k == 1 ? b.initrd : NULL;
		b.append = NULL;
		b.bios = k == 2 ? NULL : bios;
		b.boot = k == 3 ? bad_boot : boot;
		ck_assert_msg(board_trip(&b, &c) == -EINVAL, "case %d", k);
		ck_assert_ptr_null(c.bios);
	}
}
END_TEST

static void put_s(struct state_writer *w, const char *s)
{
	state_put_u32(w, (uint32_t)strlen(s));
	state_put_bytes(w, s, strlen(s));
}

/* a version 1 section (disk specs where version 2 has device options) still reads */
START_TEST(board_version1)
{
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, "x", 0, 1);
	state_put_u64(&w, 64 << 20);
	state_put_u32(&w, SNAP_PAGE);
	state_put_u32(&w, 1);
	state_put_u32(&w, 0);
	put_s(&w, "/k/vmlinux");
	put_s(&w, "");
	put_s(&w, "");
	state_put_u32(&w, 2);
	put_s(&w, "/d/a.raw");
	put_s(&w, "/d/b.qcow2,readonly");
	state_put_u32(&w, 0);
	state_end(&w);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	size_t n;
	const uint8_t *d = state_writer_data(&w, &n);
	struct state_reader r;
	state_reader_init(&r, d + 16 + 2 + 16, n - 16 - 2 - 16 - 1 - 4);
	struct snap_board c;
	char why[200];
	ck_assert_int_eq(snap_board_get(&c, &r, 1, why, sizeof(why)), 0);
	ck_assert_uint_eq(c.ndevs, 2);
	ck_assert_str_eq(c.dev_opt[0], "disk");
	ck_assert_str_eq(c.dev_val[1], "/d/b.qcow2,readonly");
	ck_assert_ptr_null(c.initrd);
	snap_board_free(&c);
	state_writer_free(&w);
}
END_TEST

START_TEST(board_bad_values)
{
	struct snap_board b, c;
	struct state_reader r;
	char why[200];
	size_t n;
	static char empty[] = "";
	struct {
		uint64_t mem;
		uint32_t cpus;
		int empty_kernel;
	} cases[] = { { 1 << 20, 1, 0 }, { (64 << 20) + 1, 1, 0 }, { 64 << 20, 0, 0 }, { 64 << 20, 2000, 0 },
		      { 64 << 20, 1, 1 } };
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = sample();
		b.mem = cases[i].mem;
		b.cpus = cases[i].cpus;
		if (cases[i].empty_kernel)
			b.kernel = empty;
		uint8_t *p = payload_of(&b, &n);
		state_reader_init(&r, p, n);
		ck_assert_msg(snap_board_get(&c, &r, SNAP_MACHINE_VERSION, why, sizeof(why)) == -EINVAL, "case %u", i);
		free(p);
	}
	/* a device option count beyond OPT_MAX_DEVARGS, an option that is not a device's, a NUL */
	b = sample();
	uint8_t *p = payload_of(&b, &n);
	size_t off = 8 + 4 + 4 + 4 + (4 + 10) + (4 + 9) + (4 + 13);
	ck_assert_uint_eq(p[off], 3); /* the device option count */
	p[off] = OPT_MAX_DEVARGS + 1;
	state_reader_init(&r, p, n);
	ck_assert_int_eq(snap_board_get(&c, &r, SNAP_MACHINE_VERSION, why, sizeof(why)), -EINVAL);
	p[off] = 3;
	memcpy(p + off + 4 + 4, "kick", 4); /* "disk" -> "kick": not a device option, never replayed */
	state_reader_init(&r, p, n);
	ck_assert_int_eq(snap_board_get(&c, &r, SNAP_MACHINE_VERSION, why, sizeof(why)), -EINVAL);
	memcpy(p + off + 4 + 4, "disk", 4);
	state_reader_init(&r, p, n);
	ck_assert_int_eq(snap_board_get(&c, &r, SNAP_MACHINE_VERSION, why, sizeof(why)), 0);
	snap_board_free(&c);
	p[8 + 4 + 4 + 4 + 4 + 3] = 0; /* inside "/k/vmlinux" */
	state_reader_init(&r, p, n);
	ck_assert_int_eq(snap_board_get(&c, &r, SNAP_MACHINE_VERSION, why, sizeof(why)), -EINVAL);
	free(p);
}
END_TEST

static void write_file(const char *path, const void *p, size_t n)
{
	ck_assert_int_eq(snap_write_file(path, p, n), 0);
}

START_TEST(image_load)
{
	char dir[] = "/tmp/kvmini-snapXXXXXX", path[256], why[300];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct snap_board b = sample();
	size_t pn, sn;
	uint8_t *p = payload_of(&b, &pn), *s = stream_of(p, pn, 1, &sn);
	snprintf(path, sizeof(path), "%s/state", dir);
	write_file(path, s, sn);
	struct snap_image img;
	/* one cpu section for a board of two vCPUs */
	ck_assert_int_eq(snap_image_load(&img, dir, why, sizeof(why)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "no state for vCPU 1"));
	free(s);
	s = stream_of(p, pn, 2, &sn);
	snprintf(path, sizeof(path), "%s/state", dir);
	write_file(path, s, sn);
	ck_assert_int_eq(snap_image_load(&img, dir, why, sizeof(why)), -ENOENT); /* no memory file */
	ck_assert_ptr_nonnull(strstr(why, "/memory"));
	snprintf(path, sizeof(path), "%s/memory", dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 32 << 20), 0);
	ck_assert_int_eq(snap_image_load(&img, dir, why, sizeof(why)), -EINVAL); /* not the RAM size */
	ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
	close(fd);
	ck_assert_int_eq(snap_image_load(&img, dir, why, sizeof(why)), 0);
	struct run_opts o;
	memset(&o, 0, sizeof(o));
	o.hugepages = HUGEPAGES_THP;
	ck_assert_int_eq(snap_image_opts(&img, &o, why, sizeof(why)), 0);
	ck_assert_uint_eq(o.mem, 64 << 20);
	ck_assert_uint_eq(o.cpus, 2);
	ck_assert_int_eq(o.cpu_host, 1);
	ck_assert_str_eq(o.kernel, "/k/vmlinux");
	ck_assert_uint_eq(o.nnets, 1);
	ck_assert_int_eq(o.hugepages, HUGEPAGES_OFF);
	ck_assert_ptr_eq(o.snap, &img);
	ck_assert_uint_eq(img.ncpu, 2);
	ck_assert_uint_eq(img.cpu[1]->ncpuid, 1);
	ck_assert_uint_eq(img.vm->have, VM_ST_REQUIRED);
	snap_image_free(&img);

	/* a corrupt stream: one reason naming the file */
	s[sn / 2] ^= 1;
	snprintf(path, sizeof(path), "%s/state", dir);
	write_file(path, s, sn);
	ck_assert_int_eq(snap_image_load(&img, dir, why, sizeof(why)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "/state: "));
	ck_assert_ptr_null(strchr(why, '\n'));
	/* a valid stream without a machine section */
	struct state_writer w;
	state_writer_init(&w);
	state_begin(&w, "rtc", 0, 1);
	state_end(&w);
	ck_assert_int_eq(state_writer_finish(&w), 0);
	size_t wn;
	const uint8_t *wd = state_writer_data(&w, &wn);
	write_file(path, wd, wn);
	state_writer_free(&w);
	ck_assert_int_eq(snap_image_load(&img, dir, why, sizeof(why)), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(why, "no machine section"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/memory", dir);
	unlink(path);
	rmdir(dir);
	free(p);
	free(s);
}
END_TEST

/* zeroed RAM of size bytes, and a temp file for it at path (a mkstemp template) */
static uint8_t *ram_and_file(char *path, uint64_t size)
{
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	uint8_t *ram = calloc(1, size);
	ck_assert_ptr_nonnull(ram);
	return ram;
}

START_TEST(sparse_memory)
{
	char path[] = "/tmp/kvmini-memXXXXXX";
	uint64_t size = 8 << 20, data;
	uint8_t *ram = ram_and_file(path, size);
	int fd;
	ram[0] = 1;
	ram[SNAP_PAGE * 100 + 7] = 2;
	ram[SNAP_PAGE * 101] = 3; /* two pages in a row: one run */
	ram[size - 1] = 4;
	ck_assert_int_eq(snap_write_memory(path, ram, size, &data), 0);
	ck_assert_uint_eq(data, 4 * SNAP_PAGE);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)size);
	ck_assert_int_lt(st.st_blocks * 512, 1 << 20); /* holes where RAM was zero */
	uint8_t *back = malloc(size);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(pread(fd, back, size, 0), (ssize_t)size);
	close(fd);
	ck_assert_mem_eq(back, ram, size);
	ck_assert_int_eq(snap_write_memory(path, ram, size - 1, &data), -EINVAL); /* not whole pages */
	unlink(path);
	free(back);
	free(ram);
}
END_TEST

/* vm_create with a memory file: guest RAM shows the file, guest writes never reach it */
START_TEST(ram_file_private)
{
	char path[] = "/tmp/kvmini-ramXXXXXX";
	uint64_t size = 32 << 20, data;
	uint8_t *ram = ram_and_file(path, size);
	memcpy(ram + 0x5000, "snapshot", 8);
	ram[size - 1] = 0x5a;
	ck_assert_int_eq(snap_write_memory(path, ram, size, &data), 0);
	struct kvm kvm;
	struct vm vm;
	const char *why = NULL;
	ck_assert_int_eq(kvm_open(&kvm, "/dev/kvm", &why), 0);
	struct vm_mem_cfg mc = { .size = size, .ram_file = path };
	ck_assert_int_eq(vm_create(&vm, &kvm, &mc, &why), 0);
	uint8_t *p = gmem_ptr(&vm.mem, 0x5000, 8);
	ck_assert_ptr_nonnull(p);
	ck_assert_mem_eq(p, "snapshot", 8);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&vm.mem, size - 1, 1), 0x5a);
	memcpy(p, "modified", 8); /* copy on write */
	vm_destroy(&vm);
	uint8_t back[8];
	int fd = open(path, O_RDONLY);
	ck_assert_int_eq(pread(fd, back, 8, 0x5000), 8);
	close(fd);
	ck_assert_mem_eq(back, "snapshot", 8);
	/* a file smaller than RAM is refused */
	ck_assert_int_eq(truncate(path, size / 2), 0);
	ck_assert_int_eq(vm_create(&vm, &kvm, &mc, &why), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "memory file"));
	vm_destroy(&vm); /* a failed create is torn down like a built one */
	kvm_close(&kvm);
	unlink(path);
	free(ram);
}
END_TEST

Suite *make_suite(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("snapshot");
	struct kvm kvm;
	const char *why = NULL;
	if (kvm_open(&kvm, "/dev/kvm", &why) < 0) {
		printf("skip - snapshot: ram_file_private: /dev/kvm: %s\n", why ? why : "cannot open");
	} else {
		kvm_close(&kvm);
		tcase_add_test(tc, ram_file_private);
	}
	tcase_add_test(tc, board_round_trip);
	tcase_add_test(tc, board_firmware);
	tcase_add_test(tc, board_version1);
	tcase_add_test(tc, board_bad_values);
	tcase_add_test(tc, image_load);
	tcase_add_test(tc, sparse_memory);
	suite_add_tcase(s, tc);
	return s;
}

UNIT_MAIN
