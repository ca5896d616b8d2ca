// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest page-table walks for the debugger: see guest_vaddr.h. Access rights are not checked: the
 * debugger sees (and may patch) what the kernel can, read-only pages included. */
#include "guest_vaddr.h"

#include <errno.h>

#define CR0_PG (1ULL << 31)
#define CR4_PSE (1ULL << 4)
#define CR4_PAE (1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define EFER_LMA (1ULL << 10)
#define PTE_P 1ULL
#define PTE_PS (1ULL << 7)
#define ADDR_MASK 0x000ffffffffff000ULL

/* 64-bit entries: levels top..1, 9 bits each; a PS bit at level 2 or 3 ends the walk */
static int walk64(const struct gmem *m, uint64_t table, int levels, uint64_t va, uint64_t *pa, uint64_t *psize)
{
	for (int l = levels; l >= 1; l--) {
		unsigned shift = 12 + 9 * (unsigned)(l - 1);
		uint64_t e;
		if (gmem_read64(m, (table & ADDR_MASK) + ((va >> shift) & 511) * 8, &e) || !(e & PTE_P))
			return -EFAULT;
		if (l == 1 || ((e & PTE_PS) && l <= 3)) {
			uint64_t size = 1ULL << shift;
			*pa = (e & ADDR_MASK & ~(size - 1)) | (va & (size - 1));
			*psize = size;
			return 0;
		}
		table = e;
	}
	return -EFAULT;
}

int gva_translate(const struct gmem *m, const struct gva_mode *md, uint64_t va, uint64_t *pa, uint64_t *span)
{
	uint64_t psize = GMEM_PAGE;
	int ret = 0;
	if (!(md->cr0 & CR0_PG)) {
		*pa = va;
	} else if (md->efer & EFER_LMA) {
		int la57 = !!(md->cr4 & CR4_LA57);
		unsigned bits = la57 ? 57 : 48; /* canonical: the bits above the top one copy it */
		int64_t sx = (int64_t)(va << (64 - bits)) >> (64 - bits);
		if ((uint64_t)sx != va)
			return -EFAULT;
		ret = walk64(m, md->cr3, la57 ? 5 : 4, va, pa, &psize);
	} else if (md->cr4 & CR4_PAE) {
		uint64_t pdpte;
		va &= 0xffffffffULL;
		if (gmem_read64(m, (md->cr3 & 0xffffffe0ULL) + (va >> 30) * 8, &pdpte) || !(pdpte & PTE_P))
			return -EFAULT;
		ret = walk64(m, pdpte, 2, va, pa, &psize);
	} else {
		uint32_t pde, pte;
		va &= 0xffffffffULL;
		if (gmem_read32(m, (md->cr3 & 0xfffff000ULL) + (va >> 22) * 4, &pde) || !(pde & PTE_P))
			return -EFAULT;
		if ((pde & PTE_PS) && (md->cr4 & CR4_PSE)) {
			/* a 4 MiB page: bits 13..20 of the entry are address bits 32..39 */
			*pa = (pde & 0xffc00000ULL) | ((uint64_t)(pde >> 13 & 0xff) << 32) | (va & 0x3fffff);
			psize = 4ULL << 20;
		} else {
			if (gmem_read32(m, (pde & 0xfffff000ULL) + ((va >> 12) & 1023) * 4, &pte) || !(pte & PTE_P))
				return -EFAULT;
			*pa = (pte & 0xfffff000ULL) | (va & 0xfff);
		}
	}
	if (ret)
		return ret;
	*span = psize - (*pa & (psize - 1));
	return 0;
}

long gva_read(const struct gmem *m, const struct gva_mode *md, uint64_t va, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		uint64_t pa, span;
		if (gva_translate(m, md, va + done, &pa, &span))
			break;
		size_t n = len - done < span ? len - done : (size_t)span;
		if (gmem_read(m, pa, (uint8_t *)buf + done, n))
			break;
		done += n;
	}
	return done || !len ? (long)done : -EFAULT;
}

int gva_write(const struct gmem *m, const struct gva_mode *md, uint64_t va, const void *buf, size_t len)
{
	for (int pass = 0; pass < 2; pass++) { /* the first only checks, so a failure writes nothing */
		for (size_t done = 0; done < len;) {
			uint64_t pa, span;
			if (gva_translate(m, md, va + done, &pa, &span))
				return -EFAULT;
			size_t n = len - done < span ? len - done : (size_t)span;
			if (pass ? gmem_write(m, pa, (const uint8_t *)buf + done, n) : !gmem_ptr_ro(m, pa, n))
				return -EFAULT;
			done += n;
		}
	}
	return 0;
}
