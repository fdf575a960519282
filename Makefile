# The two entry points of the README: `make bench` and `make test`. Each installs what it needs first.
SWIFT ?= swift
SWIFT_CPU_FLAGS ?= $(shell scripts/swift-cpu-flags.sh)
RELEASE_BIN = .build/release/cnx-edge

.PHONY: bootstrap build bench test clean

bootstrap:
	@scripts/bootstrap.sh

build: bootstrap
	$(SWIFT) build -c release $(SWIFT_CPU_FLAGS)

bench: build
	$(RELEASE_BIN) bench --model atto

test: bootstrap
	$(SWIFT) test

clean:
	rm -rf .build
