// SPDX-License-Identifier: GPL-2.0-or-later
/* Register layout and target description of the GDB stub: see gdb_regs.h. gdb matches registers
 * by name within the features it knows (org.gnu.gdb.i386.*), so the names are gdb's; the system
 * registers go into kvmini's own feature, which gdb shows as plain registers. */
#include "gdb_regs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct reg_desc {
	const char *name;
	unsigned size; /* bytes */
	size_t off;
	const char *type;
	unsigned feature; /* index into features[] */
};

#define R(n, field, t, f) { n, sizeof(((struct gdb_regs *)0)->field), offsetof(struct gdb_regs, field), t, f }

static const char *const features[] = { "org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
					"org.gnu.gdb.i386.segments", "org.kvmini.x86.system" };

static const struct reg_desc regs[] = {
	R("rax", gpr[0], "int64", 0), R("rbx", gpr[1], "int64", 0), R("rcx", gpr[2], "int64", 0),
	R("rdx", gpr[3], "int64", 0), R("rsi", gpr[4], "int64", 0), R("rdi", gpr[5], "int64", 0),
	R("rbp", gpr[6], "data_ptr", 0), R("rsp", gpr[7], "data_ptr", 0), R("r8", gpr[8], "int64", 0),
	R("r9", gpr[9], "int64", 0), R("r10", gpr[10], "int64", 0), R("r11", gpr[11], "int64", 0),
	R("r12", gpr[12], "int64", 0), R("r13", gpr[13], "int64", 0), R("r14", gpr[14], "int64", 0),
	R("r15", gpr[15], "int64", 0), R("rip", rip, "code_ptr", 0), R("eflags", eflags, "int32", 0),
	R("cs", seg[0], "int32", 0), R("ss", seg[1], "int32", 0), R("ds", seg[2], "int32", 0),
	R("es", seg[3], "int32", 0), R("fs", seg[4], "int32", 0), R("gs", seg[5], "int32", 0),
	R("st0", st[0], "i387_ext", 0), R("st1", st[1], "i387_ext", 0), R("st2", st[2], "i387_ext", 0),
	R("st3", st[3], "i387_ext", 0), R("st4", st[4], "i387_ext", 0), R("st5", st[5], "i387_ext", 0),
	R("st6", st[6], "i387_ext", 0), R("st7", st[7], "i387_ext", 0), R("fctrl", fpu[0], "int", 0),
	R("fstat", fpu[1], "int", 0), R("ftag", fpu[2], "int", 0), R("fiseg", fpu[3], "int", 0),
	R("fioff", fpu[4], "int", 0), R("foseg", fpu[5], "int", 0), R("fooff", fpu[6], "int", 0),
	R("fop", fpu[7], "int", 0), R("xmm0", xmm[0], "vec128", 1), R("xmm1", xmm[1], "vec128", 1),
	R("xmm2", xmm[2], "vec128", 1), R("xmm3", xmm[3], "vec128", 1), R("xmm4", xmm[4], "vec128", 1),
	R("xmm5", xmm[5], "vec128", 1), R("xmm6", xmm[6], "vec128", 1), R("xmm7", xmm[7], "vec128", 1),
	R("xmm8", xmm[8], "vec128", 1), R("xmm9", xmm[9], "vec128", 1), R("xmm10", xmm[10], "vec128", 1),
	R("xmm11", xmm[11], "vec128", 1), R("xmm12", xmm[12], "vec128", 1), R("xmm13", xmm[13], "vec128", 1),
	R("xmm14", xmm[14], "vec128", 1), R("xmm15", xmm[15], "vec128", 1), R("mxcsr", mxcsr, "int", 1),
	R("fs_base", fs_base, "int64", 2), R("gs_base", gs_base, "int64", 2),
	R("k_gs_base", k_gs_base, "int64", 3), R("cr0", cr[0], "int64", 3), R("cr2", cr[1], "int64", 3),
	R("cr3", cr[2], "int64", 3), R("cr4", cr[3], "int64", 3), R("cr8", cr[4], "int64", 3),
	R("efer", efer, "int64", 3),
};

_Static_assert(sizeof(regs) / sizeof(regs[0]) == GDB_NREGS, "GDB_NREGS is the table's length");

unsigned gdb_reg_size(unsigned n)
{
	return n < GDB_NREGS ? regs[n].size : 0;
}

void *gdb_reg_ptr(struct gdb_regs *r, unsigned n)
{
	return n < GDB_NREGS ? (uint8_t *)r + regs[n].off : NULL;
}

size_t gdb_regs_bytes(void)
{
	size_t n = 0;
	for (unsigned i = 0; i < GDB_NREGS; i++)
		n += regs[i].size;
	return n;
}

/* appends to buf at *o; -ENOSPC once it would not fit */
__attribute__((format(printf, 4, 5))) static int put(char *buf, size_t cap, size_t *o, const char *fmt, ...)
{
	if (*o >= cap)
		return -ENOSPC;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *o, cap - *o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *o)
		return -ENOSPC;
	*o += (size_t)n;
	return 0;
}

int gdb_target_xml(char *buf, size_t cap)
{
	size_t o = 0;
	int ret = put(buf, cap, &o,
		      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		      "<target version=\"1.0\">\n<architecture>i386:x86-64</architecture>\n");
	for (unsigned f = 0; f < sizeof(features) / sizeof(features[0]) && !ret; f++) {
		ret = put(buf, cap, &o, "<feature name=\"%s\">\n", features[f]);
		if (f == 1 && !ret) /* the SSE feature's 128-bit vector type, as gdb's own SSE feature has it */
			ret = put(buf, cap, &o,
				  "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
				  "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
				  "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
				  "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
				  "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
				  "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
				  "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
				  "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
				  "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
				  "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
				  "</union>\n");
		for (unsigned i = 0; i < GDB_NREGS && !ret; i++)
			if (regs[i].feature == f)
				ret = put(buf, cap, &o, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"/>\n",
					  regs[i].name, regs[i].size * 8, regs[i].type, i);
		if (!ret)
			ret = put(buf, cap, &o, "</feature>\n");
	}
	if (!ret)
		ret = put(buf, cap, &o, "</target>\n");
	return ret ? ret : (int)o;
}
