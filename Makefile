# The two entry points of the README: `make bench` and `make test`. Each installs what it needs first.
SWIFT ?= swift
# AVX2+FMA flags on x86-64 CPUs that have them (see the script); empty elsewhere.
SWIFT_CPU_FLAGS ?= $(shell scripts/swift-cpu-flags.sh)
RELEASE_BIN = .build/release/cnx-edge
# Tests run optimised: the SIMD kernels are ~100x slower unoptimised, and the suite runs whole
# networks. -enable-testing keeps @testable imports working in release.
TEST_FLAGS = -c release -Xswiftc -enable-testing

.PHONY: bootstrap build bench test clean

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

clean:
	rm -rf .build .build-portable .build-notraits
