#!/usr/bin/env bash
# Runs every test of a build tree with ctest; the sanitizers abort on the first error.
set -euo pipefail
build_dir=${1:-build/asan}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp}
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 180
