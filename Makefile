# SPDX-License-Identifier: GPL-2.0-or-later
# kvmini: `make` builds ./kvmini, `make check` runs every test, `make bench` the side-by-side benchmarks,
# `make fuzz` the libFuzzer targets.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter
DEPS    := liburing json-c zlib
PKGCFLAGS := $(shell pkg-config --cflags $(DEPS) 2>/dev/null)
LIBS    := $(shell pkg-config --libs $(DEPS) 2>/dev/null) -lpthread
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)
ALL_CFLAGS = $(WARN) $(CFLAGS) $(PKGCFLAGS) -I. -MMD -MP

SRCS    := $(filter-out tools/main.c,$(sort $(wildcard vmm/*.c devices/*.c devices/*/*.c virtio/*.c firmware/*.c tools/*.c)))
OBJS    := $(SRCS:%.c=build/obj/%.o)
AOBJS   := $(SRCS:%.c=build/asan/%.o)
UNIT    := $(sort $(wildcard tests/unit/test_*.c))
UNITBIN := $(UNIT:tests/unit/%.c=build/unit/%)
ASANBIN := $(UNIT:tests/unit/%.c=build/unit-asan/%)
GUESTS  := $(sort $(wildcard tests/guest/*.S))
GUESTBIN := $(GUESTS:tests/guest/%.S=build/guest/%.elf)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.PHONY: all check unit guests kit bench demo deps clean fuzz fuzz-build
all: kvmini

kvmini: build/obj/tools/main.o build/libkvmini.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

build/libkvmini.a: $(OBJS)
	@rm -f $@
	ar rcs $@ $^

build/libkvmini-asan.a: $(AOBJS)
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
	$(CC) $(ALL_CFLAGS) -o $@ $< build/libkvmini.a $(CHECK_LIBS) $(LIBS)

build/unit-asan/%: tests/unit/%.c build/libkvmini-asan.a tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< build/libkvmini-asan.a $(CHECK_LIBS) $(LIBS)

# tiny freestanding 64-bit guests: ELF files loaded at their physical addresses, entered in long mode
build/guest/%.elf: tests/guest/%.S tests/guest/guest.ld tests/guest/common.inc
	@mkdir -p $(dir $@)
	$(CC) -nostdlib -static -no-pie -Wl,-T,tests/guest/guest.ld -Wl,--build-id=none -o $@ $<

TOOLS   := $(patsubst tests/tools/%.c,build/tools/%,$(wildcard tests/tools/*.c))
build/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -o $@ $<

unit: $(UNITBIN) $(ASANBIN) $(TOOLS)
guests: $(GUESTBIN)

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

build/fuzz/libkvmini.a: $(FOBJS)
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

-include $(OBJS:.o=.d) $(AOBJS:.o=.d) $(FOBJS:.o=.d) $(FUZZBIN:=.d) build/obj/tools/main.d
