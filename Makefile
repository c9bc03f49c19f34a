# Thin wrapper around CMake. `make run` and `make test` work on a fresh
# Debian 12 machine as root: they install what they need first.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_RUNS ?= 100000
FUZZ_SECONDS ?= 600
CMAKE_FLAGS ?=

export CCACHE_DIR ?= $(CURDIR)/.cache/ccache

.PHONY: all deps build run test test-unit test-asan fuzz fuzz-short bench deb clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNGM_WERROR=ON $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Foreground daemon on loopback with the embedded default configuration
# (packaging/ngmedia-run.conf): interface 127.0.0.1, ng on 127.0.0.1:2223,
# media ports 30000-40000. Ctrl-C stops it.
run: build
	$(BUILD)/src/app/ngmediad --config-file=packaging/ngmedia-run.conf --config-section=ngmedia

# Every skip is listed at the end; with CI set (as .ci/run has it) a skip
# not in tests/allowed-skips.txt fails the run.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) --output-junit $(CURDIR)/$(BUILD)/ctest-junit.xml
	python3 tests/check_skips.py $(BUILD)/ctest-junit.xml
	$(MAKE) --no-print-directory fuzz-short

# Unit and integration tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNGM_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS) -E '^(diff\.|integration\.oracle_media$$)' \
	  --output-junit $(CURDIR)/$(BUILD_ASAN)/ctest-junit.xml
	python3 tests/check_skips.py $(BUILD_ASAN)/ctest-junit.xml

$(BUILD_FUZZ)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNGM_FUZZ=ON -DNGM_TESTS=OFF

fuzz-build: deps $(BUILD_FUZZ)/build.ninja
	cmake --build $(BUILD_FUZZ) -j $(JOBS)

# A short reproducible pass of every fuzzer (part of `make test`): the
# committed corpus and regression inputs, then FUZZ_RUNS inputs from a fixed
# seed. `make fuzz` explores: FUZZ_SECONDS per target from a fresh seed.
fuzz-short: fuzz-build
	bash tests/fuzz/run-fuzzers.sh $(BUILD_FUZZ) --runs $(FUZZ_RUNS)

fuzz: fuzz-build
	bash tests/fuzz/run-fuzzers.sh $(BUILD_FUZZ) --seconds $(FUZZ_SECONDS)

# The Debian package ngmedia from this build's binaries and generated man
# pages (packaging/build-deb.sh): $(BUILD)/deb/ngmedia_<version>_<arch>.deb.
deb: build
	bash packaging/build-deb.sh $(BUILD) $(BUILD)/deb

# BENCH_PHASE: all, or one of control, media, secure, dtls, ops (bench/README.md).
BENCH_PHASE ?= all
bench: deps
	cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DNGM_TESTS=OFF
	cmake --build build-release -j $(JOBS)
	bash bench/run.sh build-release $(BENCH_PHASE)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) build-release
