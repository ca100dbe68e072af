#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD_DIR/fuzz (each *_fuzz binary) for FUZZ_SECONDS
# (default 60) each, one after the other, and prints per target the executions done and the
# executions per second. Seeds of target NAME_fuzz come from fuzz/corpus/NAME/ (only read);
# what the fuzzer learns is kept in BUILD_DIR/fuzz/corpus/NAME so the next run starts from
# there; fuzz/NAME.dict, if any, is its dictionary; a crashing input is written to
# BUILD_DIR/fuzz/artifacts/NAME/. Any crash, leak, sanitizer report or timeout fails the
# script (exit 1) after every target has run.
# Usage: fuzz/run.sh [BUILD_DIR] [TARGET...]   (default build/fuzz, every target)
# `make fuzz` builds and runs them; .ci/run runs each for FUZZ_SECONDS=20.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${1:-build/fuzz}
shift || true
seconds=${FUZZ_SECONDS:-60}
# UBSan reports with their stack (the build makes every UBSan report fatal).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in "$build_dir"/fuzz/*_fuzz; do [[ -x "$f" ]] && targets+=("$(basename "$f")"); done
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  echo "no fuzz targets in $build_dir/fuzz: build them with 'make fuzz' (clang, -DAIGW_FUZZ=ON)" >&2
  exit 1
fi

failed=()
summary=()
for target in "${targets[@]}"; do
  name=${target%_fuzz}
  fuzzer="$build_dir/fuzz/$target"
  seeds="$here/corpus/$name"
  corpus="$build_dir/fuzz/corpus/$name"
  artifacts="$build_dir/fuzz/artifacts/$name"
  log="$build_dir/fuzz/$name.log"
  mkdir -p "$corpus" "$artifacts"
  [[ -d "$seeds" ]] || seeds=""
  dict="$here/$name.dict"  # optional: tokens the input format is made of
  [[ -f "$dict" ]] || dict=""
  echo "fuzz: $target for ${seconds}s (log: $log)" >&2
  # The first directory receives new inputs; the seeds are only read. max_len is left to
  # libFuzzer (at least 4096, or the largest seed). -timeout: an input slower than this is a
  # finding (a hang), generous for a loaded 2-core machine with ASan.
  "$fuzzer" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" ${dict:+-dict="$dict"} "$corpus" ${seeds:+"$seeds"} >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  result=ok
  if [[ $rc -ne 0 ]]; then
    result="FAILED (exit $rc)"
    failed+=("$target")
    # The report: the sanitizer's or libFuzzer's first lines and the input that caused it.
    grep -E -m 40 -A 30 '==ERROR|runtime error|Test unit written|deadly signal|SUMMARY' "$log" >&2 || tail -50 "$log" >&2
  fi
  summary+=("$(printf '%-22s %12s execs %8s exec/s  %s' "$target" "${execs:-?}" "${rate:-?}" "$result")")
done

echo "fuzz summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build_dir/fuzz/artifacts/)" >&2
  exit 1
fi
