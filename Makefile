# qkt top-level commands.  `make run` and `make test` do all the set-up.
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test bench clean sanitize fuzz

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/qkt run examples/default.ini

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	bash bench/run.sh $(BUILD)

# AddressSanitizer + UBSan build in build-asan and its test suite.  CI runs
# `make sanitize SANITIZE_TYPE=Release` (see .ci/run); SANITIZE_CTEST="-LE slow"
# leaves out the slow engine tests.
# Leak suppressions for third-party libraries only: tests/lsan.supp.
SANITIZE_TYPE ?= Debug
SANITIZE_CTEST ?=
SANITIZE_ENV = ASAN_OPTIONS=fast_unwind_on_malloc=0:detect_leaks=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1
sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=$(SANITIZE_TYPE) -DQKT_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && $(SANITIZE_ENV) ctest --output-on-failure -j $(JOBS) $(SANITIZE_CTEST)

# libFuzzer targets of tests/fuzz/ (clang, ASan + UBSan) in build-fuzz, each run
# FUZZ_SECONDS (60); fails on any crash.  See tests/fuzz/run.sh.
fuzz:
	@bash scripts/install-deps.sh fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) bash tests/fuzz/run.sh build-fuzz

clean:
	rm -rf $(BUILD) build-asan build-fuzz
