#!/usr/bin/env bash
# Runs the JWT fuzzer for FUZZ_SECONDS (default 60). Seeds come from fuzz/corpus/; what the
# fuzzer learns is kept in BUILD_DIR/fuzz/corpus so the next run starts from there, and any
# crashing input is written to BUILD_DIR/fuzz/artifacts/.
# Usage: fuzz/run.sh [BUILD_DIR]   (default build/fuzz; `make fuzz` builds and runs it)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${1:-build/fuzz}
fuzzer="$build_dir/fuzz/jwt_fuzz"
if [[ ! -x "$fuzzer" ]]; then
  echo "no fuzzer at $fuzzer: build it with 'make fuzz' (clang, -DAIGW_FUZZ=ON)" >&2
  exit 1
fi
corpus="$build_dir/fuzz/corpus"
artifacts="$build_dir/fuzz/artifacts"
mkdir -p "$corpus" "$artifacts"
# The first directory receives new inputs; the seeds are only read.
"$fuzzer" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$here/corpus"
