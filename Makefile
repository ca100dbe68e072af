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

.PHONY: run test deps release asan unit integration bench fuzz clean format

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

fuzz:
	@bash scripts/install-deps.sh --fuzz
	@cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DAIGW_TESTS=OFF -DAIGW_FUZZ=ON >/dev/null
	@cmake --build build/fuzz -j $(JOBS) --target jwt_fuzz
	@bash fuzz/run.sh build/fuzz

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf build
