# The two commands of the README: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE_DIR := build/release
ASAN_DIR := build/asan
ARGS ?=
export CCACHE_DIR ?= $(HOME)/.cache/aigw-ccache
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
export CCACHE_SLOPPINESS := pch_defines,time_macros,include_file_mtime,include_file_ctime
CMAKE_FLAGS ?=

.PHONY: run test deps release asan unit integration bench fuzz tsan clean format format-check

deps:
	@bash scripts/install-deps.sh

release: deps
	@cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DAIGW_TESTS=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS) --target aigw

# Serve on the embedded default (mock provider, built-in issuer) at 0.0.0.0:8787.
run: release
	./$(RELEASE_DIR)/aigw serve $(ARGS)

# The sanitizer build (ASan + UBSan, warnings are errors) runs every unit and integration test.
asan: deps
	@cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DAIGW_SANITIZE=ON -DAIGW_WERROR=ON \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS)

test: asan
	@bash scripts/install-deps.sh --test
	@bash scripts/run-tests.sh $(ASAN_DIR)

bench: deps
	@bash scripts/install-deps.sh --bench
	@bash bench/run.sh

# libFuzzer targets (clang, ASan + UBSan): builds every *_fuzz target, then runs each for
# FUZZ_SECONDS (default 60) from its seeds in fuzz/corpus/NAME; a crash fails (fuzz/run.sh).
FUZZ_DIR := build/fuzz
fuzz:
	@bash scripts/install-deps.sh --fuzz
	@cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_FLAGS="-fno-sanitize-recover=undefined" -DAIGW_TESTS=OFF -DAIGW_FUZZ=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target \
	  $$(ninja -C $(FUZZ_DIR) -t targets all | sed -n '/^cmake_/d; s/^\([A-Za-z0-9_]*_fuzz\): phony$$/\1/p')
	@bash fuzz/run.sh $(FUZZ_DIR)

# ThreadSanitizer (Debug -O1): builds the unit and integration tests and runs them all. Every
# report (from the test binaries and from each aigw they start) goes to build/tsan/reports/;
# any report fails the target after the run, and the reports are printed.
TSAN_DIR := build/tsan
tsan: deps
	@cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
	  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
	  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TSAN_DIR) -j $(JOBS) --target aigw aigw_unit_tests aigw_integration_tests
	@bash scripts/install-deps.sh --test
	@rm -rf $(TSAN_DIR)/reports && mkdir -p $(TSAN_DIR)/reports
	@TSAN_OPTIONS="second_deadlock_stack=1 history_size=4 log_path=$(CURDIR)/$(TSAN_DIR)/reports/tsan \
	  suppressions=$(CURDIR)/tests/tsan.supp $${TSAN_OPTIONS:-}" bash scripts/run-tests.sh $(TSAN_DIR); \
	  rc=$$?; if compgen -G '$(TSAN_DIR)/reports/tsan.*' >/dev/null; then \
	    cat $(TSAN_DIR)/reports/tsan.*; echo "tsan: reports in $(TSAN_DIR)/reports" >&2; exit 1; fi; exit $$rc

# Every C++ file of the repository as .clang-format says: `make format` applies it, `make
# format-check` (part of CI) fails on any file that differs and names it.
format:
	@bash scripts/install-deps.sh --format
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

format-check:
	@bash scripts/install-deps.sh --format
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build
