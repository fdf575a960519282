# The two entry points of the README: `make bench` and `make test`. Each installs what it needs first.
SWIFT ?= swift
# AVX2+FMA flags on x86-64 CPUs that have them (see the script); empty elsewhere.
SWIFT_CPU_FLAGS ?= $(shell scripts/swift-cpu-flags.sh)
RELEASE_BIN = .build/release/cnx-edge
# Tests run optimised: the SIMD kernels are ~100x slower unoptimised, and the suite runs whole
# networks. -enable-testing keeps @testable imports working in release.
TEST_FLAGS = -c release -Xswiftc -enable-testing

.PHONY: bootstrap build bench test clean arm64-env test-arm64 test-arm64-ci dist-arm64

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
	ARM64_GROUPS="kernels ops" scripts/arm64/test.sh
	ARM64_MODELS=neoverse-n1 ARM64_CROSS_FULL_MODELS=none scripts/arm64/cross-check.sh

# dist/cnx-edge-aarch64-linux.tar.gz: the aarch64 cnx-edge for a board (see scripts/arm64/dist.sh).
dist-arm64:
	scripts/arm64/dist.sh

clean:
	rm -rf .build .build-portable .build-notraits .build-arm64 .build-arm64-dist dist
	@echo "(the ARM64 chroot stays in .build-arm64-env: scripts/arm64/env.sh umount; rm -rf .build-arm64-env)"
