# The two entry points of the README: `make bench` and `make test`. Each installs what it needs first.
SWIFT ?= swift
# AVX2+FMA flags on x86-64 CPUs that have them (see the script); empty elsewhere.
SWIFT_CPU_FLAGS ?= $(shell scripts/swift-cpu-flags.sh)
RELEASE_BIN = .build/release/cnx-edge
# Tests run optimised: the SIMD kernels are ~100x slower unoptimised, and the suite runs whole
# networks. -enable-testing keeps @testable imports working in release.
TEST_FLAGS = -c release -Xswiftc -enable-testing

.PHONY: bootstrap build bench test test-c-api dist-build install dist clean arm64-env test-arm64 test-arm64-ci dist-arm64 fuzz fuzz-smoke test-sanitize

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build -c release $(SWIFT_CPU_FLAGS)

bench: build
	$(RELEASE_BIN) bench --model atto

# 1. The whole suite with this CPU's flags. 2. If those flags changed the Swift kernels' code
# paths, the kernel, parity and CLI tests again on the portable build every other user gets.
# 3. The package without the Native trait (no C kernels): parity, op harness and CLI tests.
test: bootstrap
	$(SWIFT) test $(TEST_FLAGS) $(SWIFT_CPU_FLAGS)
ifneq ($(strip $(SWIFT_CPU_FLAGS)),)
	$(SWIFT) test $(TEST_FLAGS) --scratch-path .build-portable --filter 'KernelTests|QU8PWConvSwiftTests|QS8GRNRequantizeTests|OpHarnessTests|ReferenceModelTests|CLITests|ProviderTests'
endif
	$(SWIFT) test $(TEST_FLAGS) --disable-default-traits --scratch-path .build-notraits \
		--filter 'ReferenceModelTests|CompiledModelTests|OpHarnessTests|CLITests|ProviderTests'
	$(MAKE) test-c-api

# 4. The C API as a user gets it: `make install` into .build-c/prefix, then the C test program,
# the C example and the C++ example built there with pkg-config and run (scripts/c-api/test.sh).
test-c-api:
	$(MAKE) install PREFIX=$(CURDIR)/.build-c/prefix
	scripts/c-api/test.sh $(CURDIR)/.build-c/prefix

# libFuzzer targets (Fuzz/, its own package), built with AddressSanitizer and LeakSanitizer:
# `make fuzz TARGET=cnx SECONDS=1800`. TARGET: safetensors pytorch cnx numpy jpeg png, or all.
# Corpora and findings in .build-fuzz/ (see Fuzz/run.sh).
# `make fuzz-smoke`: every target for 20 s (what CI runs on each submission).
TARGET ?= all
SECONDS ?= 60
fuzz:
	@scripts/bootstrap.sh fuzz
	Fuzz/run.sh $(TARGET) $(SECONDS)

fuzz-smoke:
	@scripts/bootstrap.sh fuzz
	Fuzz/run.sh all 20

# AddressSanitizer + UndefinedBehaviorSanitizer (C) over the kernel, loader, file-format and parity
# tests, ThreadSanitizer over the threading tests (scripts/sanitize/run.sh; SANITIZE=asan or tsan
# for one). Each in its own scratch directory, .build-asan and .build-tsan.
test-sanitize: bootstrap
	scripts/sanitize/run.sh

# The distribution build (.build-dist): the Swift runtime linked statically (--static-swift-stdlib),
# so nothing of Swift is needed where it runs, and so are TurboJPEG, libpng, zlib, libstdc++ and
# libgcc (scripts/dist-static-deps.sh: Debian ships their archives). XNNPACK, cpuinfo and
# pthreadpool stay shared (Debian ships no archive), found through the system or, in `make dist`'s
# tarball, through $ORIGIN/lib beside the binary. What `make install` and `make dist` ship.
DIST_DEPS = $(CURDIR)/.build-dist/static-deps
DIST_FLAGS = -c release $(SWIFT_CPU_FLAGS) --static-swift-stdlib --scratch-path .build-dist \
	-Xlinker -rpath -Xlinker '$$ORIGIN/lib' -Xswiftc -Xclang-linker -Xswiftc -static-libgcc
dist-build: bootstrap
	scripts/dist-static-deps.sh $(DIST_DEPS)
	PKG_CONFIG_PATH=$(DIST_DEPS)/pkgconfig $(SWIFT) build $(DIST_FLAGS) --product cnx-edge
	PKG_CONFIG_PATH=$(DIST_DEPS)/pkgconfig $(SWIFT) build $(DIST_FLAGS) --product cnxedge-static

# PREFIX/bin/cnx-edge, PREFIX/include/cnx_edge.h, PREFIX/lib/libcnxedge.so and libcnxedge.a,
# PREFIX/lib/pkgconfig/cnx-edge.pc and cnx-edge-static.pc.
PREFIX ?= /usr/local
install: dist-build
	scripts/c-api/build.sh $(CURDIR)/.build-dist/release/libcnxedge-static.a $(CURDIR)/.build-dist/c-api $(PREFIX)
	install -d $(PREFIX)/bin $(PREFIX)/include $(PREFIX)/lib/pkgconfig
	install -m 755 .build-dist/release/cnx-edge $(PREFIX)/bin/cnx-edge
	install -m 644 .build-dist/c-api/include/cnx_edge.h $(PREFIX)/include/
	install -m 755 .build-dist/c-api/lib/libcnxedge.so $(PREFIX)/lib/
	install -m 644 .build-dist/c-api/lib/libcnxedge.a $(PREFIX)/lib/
	install -m 644 .build-dist/c-api/lib/pkgconfig/cnx-edge.pc .build-dist/c-api/lib/pkgconfig/cnx-edge-static.pc $(PREFIX)/lib/pkgconfig/

# dist/cnx-edge-<arch>-linux.tar.gz: the binary (no Swift needed), the C API, and the shared C
# libraries it needs in lib/; checked in an empty root holding only that and glibc (scripts/dist.sh).
dist: dist-build
	scripts/dist.sh

# ARM64 under emulation (scripts/arm64/): a Debian sid chroot with Debian's swiftlang in
# .build-arm64-env/ (about 7 GB; nothing from sid on the host), the package cross-compiled for
# aarch64, its tests run under qemu-aarch64 on three CPU models, then the aarch64 binary against the
# x86-64 one on the same .cnx files and eval images. scripts/arm64/test.sh says what runs where.
ARM64_MODELS ?= cortex-a53 neoverse-n1 max
arm64-env:
	scripts/arm64/env.sh setup

test-arm64: build
	scripts/arm64/build.sh tests
	ARM64_MODELS="$(ARM64_MODELS)" scripts/arm64/test.sh
	ARM64_MODELS="$(ARM64_MODELS)" scripts/arm64/cross-check.sh

# The subset CI runs after `make test` (see .ci/run; the full leg takes about 65 minutes): the
# kernel and op-harness tests on every model, then the aarch64 binary against the x86-64 one on 30
# eval images, fp32 and int8, on neoverse-n1 (the Pi 5 / RK3588 stand-in). Measured 622 s from a fresh clone
# with the chroot in place, plus about 6 minutes to set the chroot up.
test-arm64-ci: build
	scripts/arm64/build.sh tests
	ARM64_GROUPS="kernels ops embed" scripts/arm64/test.sh
	ARM64_MODELS=neoverse-n1 ARM64_CROSS_FULL_MODELS=none scripts/arm64/cross-check.sh

# dist/cnx-edge-aarch64-linux.tar.gz: the aarch64 cnx-edge for a board (see scripts/arm64/dist.sh).
dist-arm64:
	scripts/arm64/dist.sh

clean:
	rm -rf .build .build-portable .build-notraits .build-arm64 .build-arm64-dist .build-dist .build-c dist
	@echo "(the ARM64 chroot stays in .build-arm64-env: scripts/arm64/env.sh umount; rm -rf .build-arm64-env)"
