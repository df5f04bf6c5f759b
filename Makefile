# The README's two set-up commands: `make demo` and `make test`. Both install what is missing
# (Debian packages only), configure and build; CMake does the real work in build/.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
BUILD_SAN ?= build-sanitize

.PHONY: all deps build build-sanitize demo test test-fast bench clean fuzz

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD_SAN)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_SAN) -DCMAKE_BUILD_TYPE=Debug -DHEAT_SANITIZE=ON

build-sanitize: deps $(BUILD_SAN)/CMakeCache.txt
	cmake --build $(BUILD_SAN) -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD)/cli/heat

# The normal build, then the same suite under AddressSanitizer + UBSan.
test: build build-sanitize
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(BUILD_SAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# Only the normal build's suite, for the edit-compile-test loop.
test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@for b in $(BUILD)/bench/bench_*; do [ -x "$$b" ] && "$$b"; done; true

# libFuzzer on every parser (tests/fuzz/README.md), FUZZ_SECONDS each; needs clang.
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz:
	@HEAT_FUZZ=1 bash scripts/install-deps.sh
	@JOBS=$(JOBS) bash scripts/fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
