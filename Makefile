# SPDX-License-Identifier: GPL-2.0-or-later
# kvmini: `make` builds ./kvmini, `make check` runs every test, `make bench` the side-by-side benchmarks,
# `make fuzz` the libFuzzer targets.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter
DEPS    := liburing json-c zlib libxml-2.0 libnbd libvncserver
PKGCFLAGS := $(shell pkg-config --cflags $(DEPS) 2>/dev/null)
LIBS    := $(shell pkg-config --libs $(DEPS) 2>/dev/null) -lpthread -lm
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
ALL_CFLAGS = $(WARN) $(CFLAGS) $(PKGCFLAGS) -I. -MMD -MP

SRCS    := $(filter-out tools/main.c,$(sort $(wildcard vmm/*.c devices/*.c devices/*/*.c virtio/*.c firmware/*.c ui/*.c tools/*.c)))
OBJS    := $(SRCS:%.c=build/obj/%.o)
AOBJS   := $(SRCS:%.c=build/asan/%.o)
UNIT    := $(sort $(wildcard tests/unit/test_*.c))
UNITBIN := $(UNIT:tests/unit/%.c=build/unit/%)
ASANBIN := $(UNIT:tests/unit/%.c=build/unit-asan/%)
GUESTS  := $(sort $(wildcard tests/guest/*.S))
GUESTBIN := $(GUESTS:tests/guest/%.S=build/guest/%.elf)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# ThreadSanitizer build of the unit tests that run I/O threads or vCPU-like threads (make tsan)
# -Wno-tsan: the fences order accesses to guest rings against the guest, which TSan does not see
TSAN    := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TSAN_TESTS := test_console_out test_vcpu test_virtio_blk test_virtio_net test_virtio_pci test_state_virtio test_state_blk_net test_scsi_threads test_virtio_scsi test_ata_threads test_ide test_ide_dma test_prof test_ahci test_gdb_kvm
TOBJS   := $(SRCS:%.c=build/tsan/%.o)
TSANBIN := $(TSAN_TESTS:%=build/unit-tsan/%)

.PHONY: all check unit guests kit bench demo deps clean tsan fuzz fuzz-build
all: kvmini

kvmini: build/obj/tools/main.o build/libkvmini.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# --rootfs-share's guest init: a static program, embedded into every library variant by .incbin
ROOTFS_BLOB := build/rootfs-blob.o
build/rootfs-init: firmware/rootfs/init.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -static -Os -s -o $@ $<
$(ROOTFS_BLOB): firmware/rootfs/blob.S build/rootfs-init
	$(CC) -c -o $@ $<

build/libkvmini.a: $(OBJS) $(ROOTFS_BLOB)
	@rm -f $@
	ar rcs $@ $^

build/libkvmini-asan.a: $(AOBJS) $(ROOTFS_BLOB)
	@rm -f $@
	ar rcs $@ $^

build/libkvmini-tsan.a: $(TOBJS) $(ROOTFS_BLOB)
	@rm -f $@
	ar rcs $@ $^

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -c -o $@ $<

build/unit/%: tests/unit/%.c build/libkvmini.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< build/libkvmini.a $(UNIT_LDFLAGS) $(CHECK_LIBS) $(LIBS)

build/unit-asan/%: tests/unit/%.c build/libkvmini-asan.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< build/libkvmini-asan.a $(UNIT_LDFLAGS) $(CHECK_LIBS) $(LIBS)

# test_virtio_blk_aio brings its own disk_aio (a backend that holds requests until the test lets
# them go): its definitions, linked before the library, take the place of devices/disk/aio.c's.
build/unit/test_virtio_blk_aio build/unit-asan/test_virtio_blk_aio build/unit-tsan/test_virtio_blk_aio: \
	UNIT_LDFLAGS := -Wl,--allow-multiple-definition

# test_cpu_state runs tests/guest/counter.S in two VMs
build/unit/test_cpu_state build/unit-asan/test_cpu_state: build/guest/counter.elf

build/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TSAN) -c -o $@ $<

build/unit-tsan/%: tests/unit/%.c build/libkvmini-tsan.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TSAN) -o $@ $< build/libkvmini-tsan.a $(CHECK_LIBS) $(LIBS)

# tiny freestanding 64-bit guests: ELF files loaded at their physical addresses, entered in long mode
build/guest/%.elf: tests/guest/%.S tests/guest/guest.ld tests/guest/common.inc
	@mkdir -p $(dir $@)
	$(CC) -nostdlib -static -no-pie -Wl,-T,tests/guest/guest.ld -Wl,--build-id=none -o $@ $<

# multiboot guests in the forms they come in: ELF32 (kvm-unit-tests' objcopy) and a flat binary
# (the a.out kludge)
MBGUESTS := build/guest/multiboot.flat build/guest/mbaout.bin
build/guest/%.flat: build/guest/%.elf
	objcopy -O elf32-i386 $< $@
build/guest/%.bin: build/guest/%.elf
	objcopy -O binary $< $@
build/guest/mbaout.elf: tests/guest/multiboot.S

TOOLS   := $(patsubst tests/tools/%.c,build/tools/%,$(wildcard tests/tools/*.c))
build/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

# the domain XML test driver links the library
build/tools/domxml-tool: tests/tools/domxml-tool.c build/libkvmini.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< build/libkvmini.a $(LIBS)

unit: $(UNITBIN) $(ASANBIN) $(TOOLS)
guests: $(GUESTBIN) $(MBGUESTS)

# Runs each threaded test in one process (no fork per check, so one report covers the run); any
# ThreadSanitizer report fails it, as does a failing check.
tsan: $(TSANBIN)
	@fail=0; for t in $(TSANBIN); do \
		if CK_FORK=no TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" $$t \
			>build/unit-tsan/$${t##*/}.log 2>&1 && ! grep -q ThreadSanitizer build/unit-tsan/$${t##*/}.log; \
		then echo "PASS: $$t"; else echo "FAIL: $$t (build/unit-tsan/$${t##*/}.log)"; \
			grep -A30 -m1 ThreadSanitizer build/unit-tsan/$${t##*/}.log | head -n 40; fail=1; fi; \
	done; exit $$fail
# libFuzzer targets (tests/fuzz/fuzz_*.c) built with clang into build/fuzz/; `make fuzz` builds them
# and runs each for FUZZ_SECONDS over its seed corpus (tests/fuzz/corpus/<target>/, read-only: new
# inputs go to build/fuzz/corpus/<target>/), tests/fuzz/smoke.sh is the short run for make check
FUZZ_CC  ?= clang-14
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS ?= 60
FUZZSRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZBIN  := $(FUZZSRC:tests/fuzz/%.c=build/fuzz/%)
FOBJS    := $(SRCS:%.c=build/fuzz/obj/%.o)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libkvmini.a: $(FOBJS) $(ROOTFS_BLOB)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h build/fuzz/libkvmini.a
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< build/fuzz/libkvmini.a $(LIBS)

fuzz-build: $(FUZZBIN)

fuzz: deps fuzz-build
	tests/fuzz/run.sh $(FUZZ_SECONDS) $(notdir $(FUZZBIN))

# the Linux test guest (kernel + initramfs), built once and cached outside the tree
kit:
	tools/build-guest

check: deps
	$(MAKE) -j$$(nproc) kvmini unit guests fuzz-build
	$(MAKE) kit
	tests/run-all

bench: deps
	$(MAKE) kvmini guests kit
	bench/run-all

demo:
	tools/demo

# Debian packages the build and tests need (quick no-op when present)
deps:
	tools/install-deps

clean:
	rm -rf build kvmini

-include $(OBJS:.o=.d) $(AOBJS:.o=.d) $(TOBJS:.o=.d) $(FOBJS:.o=.d) $(FUZZBIN:=.d) build/obj/tools/main.d
# the test binaries depend on the headers they include (vring.h, vmmio_drv.h, ...)
-include $(UNITBIN:=.d) $(ASANBIN:=.d) $(TSANBIN:=.d)
