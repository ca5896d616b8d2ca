// SPDX-License-Identifier: GPL-2.0-or-later
/* The BIOS image's slots and the PAM-controlled shadow segments (see bios.h). */
#include "bios.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "firmware/layout.h"
#include "log.h"

#define ALIAS_SIZE (128u << 10) /* the image's end shows at 0xE0000-0xFFFFF */
#define SEG_SMALL 0x4000u
#define F_SEG 0xf0000ULL

enum { MAP_NONE, MAP_ROM, MAP_RAM_RO, MAP_RAM_RW };

_Static_assert(VM_SLOT_BIOS + 1 + BIOS_SEGS <= VM_DEV_SLOT_BASE, "the shadow segments' slots run into the devices'");

static uint64_t seg_base(unsigned i)
{
	return i < BIOS_SEGS - 1 ? LAYOUT_SHADOW + (uint64_t)i * SEG_SMALL : F_SEG;
}

static uint64_t seg_size(unsigned i)
{
	return i < BIOS_SEGS - 1 ? SEG_SMALL : LAYOUT_HIMEM - F_SEG;
}

/* the image's bytes that show at guest address a when the segment decodes to ROM, or NULL */
static uint8_t *rom_at(const struct bios_map *b, uint64_t a)
{
	size_t alias = b->rom_len < ALIAS_SIZE ? b->rom_len : ALIAS_SIZE;
	if (a < LAYOUT_HIMEM - alias)
		return NULL; /* 0xC0000-0xDFFFF: PCI space, nothing decodes there */
	return b->rom + b->rom_len - (LAYOUT_HIMEM - a);
}

static uint8_t *ram_at(const struct bios_map *b, uint64_t a)
{
	return gmem_ptr(&b->vm->mem, a, 1);
}

int bios_image_check(const uint8_t *img, size_t len, const char **why)
{
	if (len < BIOS_MIN_SIZE || len > BIOS_MAX_SIZE || len % (64u << 10)) {
		*why = "not a BIOS image: its size must be 64, 128, 192 or 256 KiB";
		return -EINVAL;
	}
	if (img[len - 16] != 0xea) { /* ljmp at 0xFFFFFFF0, the first instruction after reset */
		*why = "not a BIOS image: no far jump at the reset vector";
		return -EINVAL;
	}
	return 0;
}

static int set_slot(struct bios_map *b, uint32_t slot, uint64_t gpa, uint64_t size, void *hva, int ro)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = ro ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = hva ? size : 0,
		.userspace_addr = (uintptr_t)hva,
	};
	return ioctl(b->vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

/* one segment's slot as its PAM bits want it: deleted first (KVM changes no slot in place) */
static int seg_apply(struct bios_map *b, unsigned i, uint8_t mode)
{
	uint64_t a = seg_base(i);
	int want = mode & 1 ? (mode & 2 ? MAP_RAM_RW : MAP_RAM_RO) : rom_at(b, a) ? MAP_ROM : MAP_NONE;
	__atomic_store_n(&b->mode[i], mode, __ATOMIC_RELEASE); /* for the MMIO handler */
	if (want == b->mapped[i])
		return 0;
	uint32_t slot = VM_SLOT_BIOS + 1 + i;
	int ret = 0;
	if (b->mapped[i] != MAP_NONE)
		ret = set_slot(b, slot, a, 0, NULL, 0);
	b->mapped[i] = MAP_NONE;
	if (!ret && want != MAP_NONE) {
		void *hva = want == MAP_ROM ? (void *)rom_at(b, a) : (void *)ram_at(b, a);
		ret = set_slot(b, slot, a, seg_size(i), hva, want != MAP_RAM_RW);
		if (!ret)
			b->mapped[i] = (uint8_t)want;
	}
	return ret;
}

static uint8_t pam_bits(const uint8_t pam[7], unsigned i)
{
	if (i == BIOS_SEGS - 1)
		return (pam[0] >> 4) & 3;
	return (pam[1 + i / 2] >> (i % 2 ? 4 : 0)) & 3;
}

void bios_map_pam(void *opaque, const uint8_t pam[7])
{
	struct bios_map *b = opaque;
	for (unsigned i = 0; i < BIOS_SEGS; i++) {
		int ret = seg_apply(b, i, pam_bits(pam, i));
		if (ret)
			kv_err(ret, "PAM: cannot remap %#llx", (unsigned long long)seg_base(i));
	}
}

/* ---- accesses no RAM slot takes: reads of undecoded space, writes to read-only segments ---- */

static unsigned seg_of(uint64_t a)
{
	return a >= F_SEG ? BIOS_SEGS - 1 : (unsigned)((a - LAYOUT_SHADOW) / SEG_SMALL);
}

static void shadow_read(void *o, uint64_t off, void *data, unsigned size)
{
	struct bios_map *b = o;
	uint8_t *d = data;
	for (unsigned k = 0; k < size; k++) {
		uint64_t a = LAYOUT_SHADOW + off + k;
		uint8_t mode = __atomic_load_n(&b->mode[seg_of(a)], __ATOMIC_ACQUIRE);
		const uint8_t *src = mode & 1 ? ram_at(b, a) : rom_at(b, a);
		d[k] = src ? *src : 0xff;
	}
}

static void shadow_write(void *o, uint64_t off, const void *data, unsigned size)
{
	struct bios_map *b = o;
	const uint8_t *d = data;
	for (unsigned k = 0; k < size; k++) {
		uint64_t a = LAYOUT_SHADOW + off + k;
		uint8_t *dst = ram_at(b, a);
		if ((__atomic_load_n(&b->mode[seg_of(a)], __ATOMIC_ACQUIRE) & 2) && dst)
			*dst = d[k]; /* write-enabled: to the shadow RAM; else the write goes nowhere */
	}
}

static const struct bus_ops shadow_ops = { shadow_read, shadow_write };

int bios_map_create(struct bios_map *b, struct vm *vm, const uint8_t *img, size_t len, const char **why)
{
	memset(b, 0, sizeof(*b));
	b->vm = vm;
	int ret = bios_image_check(img, len, why);
	if (ret)
		return ret;
	if (ioctl(vm->kvm->fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
		*why = "this host's KVM has no read-only memory slots (KVM_CAP_READONLY_MEM), which a BIOS needs";
		return -ENOTSUP;
	}
	if (!gmem_ptr(&vm->mem, LAYOUT_SHADOW, LAYOUT_HIMEM - LAYOUT_SHADOW)) {
		*why = "no RAM under the BIOS area";
		return -EINVAL;
	}
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		*why = "cannot map the BIOS image";
		return -errno;
	}
	memcpy(p, img, len);
	mprotect(p, len, PROT_READ);
	b->rom = p;
	b->rom_len = len;
	if ((ret = set_slot(b, VM_SLOT_BIOS, LAYOUT_4G - len, len, b->rom, 1))) {
		*why = "cannot map the BIOS below 4 GiB";
		return ret;
	}
	ret = bus_register(&vm->mmio, LAYOUT_SHADOW, LAYOUT_HIMEM - LAYOUT_SHADOW, &shadow_ops, b, "bios shadow");
	if (ret < 0) {
		*why = "cannot claim the BIOS area";
		return ret;
	}
	b->registered = 1;
	static const uint8_t reset_pam[7]; /* all segments on ROM / PCI */
	for (unsigned i = 0; i < BIOS_SEGS; i++)
		if ((ret = seg_apply(b, i, pam_bits(reset_pam, i)))) {
			*why = "cannot map the BIOS at 0xE0000";
			return ret;
		}
	return 0;
}

void bios_map_destroy(struct bios_map *b)
{
	if (b->registered)
		bus_unregister(&b->vm->mmio, LAYOUT_SHADOW, b);
	b->registered = 0;
	if (b->rom)
		munmap(b->rom, b->rom_len);
	b->rom = NULL; /* the slots go with the VM */
}
